package greenhouse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

const baseURL = "https://harvest.greenhouse.io/v1"

// Client talks to the Harvest API with the account's API key.
type Client struct {
	apiKey string
	userID int
	http   *http.Client
}

func New(apiKey string, userID int) *Client {
	return &Client{apiKey: apiKey, userID: userID, http: http.DefaultClient}
}

func (c *Client) do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(c.apiKey, "")
	req.Header.Set("Content-Type", "application/json")
	return c.http.Do(req)
}

// Jobs lists one page of jobs.
func (c *Client) Jobs(page int) (*http.Response, error) {
	url := fmt.Sprintf("%s/jobs?page=%d&per_page=100", baseURL, page)
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// JobStages lists the interview stages of a job.
func (c *Client) JobStages(jobID int) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/jobs/%d/stages", baseURL, jobID), nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// CreateCandidate adds a candidate as the configured user.
func (c *Client) CreateCandidate(body map[string]any) (*http.Response, error) {
	buf, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", baseURL+"/candidates", bytes.NewReader(buf))
	if err != nil {
		return nil, err
	}
	req.Header.Set("On-Behalf-Of", strconv.Itoa(c.userID))
	return c.do(req)
}

// DeleteAttachment is unused by the exporter but kept for the CLI.
func (c *Client) Scorecards(applicationID int) (*http.Response, error) {
	req, err := http.NewRequest("GET", baseURL+"/applications/"+strconv.Itoa(applicationID)+"/scorecards", nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}
