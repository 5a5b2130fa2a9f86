"""Job Board API: public reads, and application submission with the board's API key."""
import httpx

BOARDS = "https://boards-api.greenhouse.io/v1/boards"


def jobs(board_token):
    return httpx.get(f"{BOARDS}/{board_token}/jobs", params={"content": "true"}).json()


def apply(board_token, job_id, api_key, form):
    return httpx.post(f"{BOARDS}/{board_token}/jobs/{job_id}", data=form, auth=(api_key, ""))


def offices(board_token):
    return httpx.get(BOARDS + "/" + board_token + "/offices").json()
