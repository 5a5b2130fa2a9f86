package src

import "net/http"

func ashbyCandidates(key string) (*http.Response, error) {
	req, _ := http.NewRequest("POST", "https://api.ashbyhq.com/candidate.list", nil)
	req.SetBasicAuth(key, "")
	return http.DefaultClient.Do(req)
}
