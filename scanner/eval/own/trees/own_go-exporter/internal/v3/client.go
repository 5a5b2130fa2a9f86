package v3

import (
	"fmt"
	"net/http"
)

// The v3 client, being rolled out: OAuth2 bearer tokens and cursor pagination.
const host = "https://harvest.greenhouse.io"

type Client struct {
	token string
}

func (c *Client) Candidates(cursor string) (*http.Request, error) {
	req, err := http.NewRequest("GET", fmt.Sprintf("%s/v3/candidates?cursor=%s", host, cursor), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return req, nil
}

func (c *Client) Jobs() (*http.Request, error) {
	return http.NewRequest("GET", host+"/v3/jobs", nil)
}
