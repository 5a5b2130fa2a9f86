"""Greenhouse Harvest v3 client (OAuth2 client credentials)."""
import httpx

HARVEST_HOST = "https://harvest.greenhouse.io"
TOKEN_URL = "https://auth.greenhouse.io/token"
API = f"{HARVEST_HOST}/v3"


class Harvest:
    def __init__(self, client_id, client_secret, user_id=None):
        self._http = httpx.Client(base_url=API)
        data = {"grant_type": "client_credentials"}
        if user_id:
            data["sub"] = str(user_id)
        tok = httpx.post(TOKEN_URL, data=data, auth=(client_id, client_secret)).json()
        self._http.headers["Authorization"] = f"Bearer {tok['access_token']}"

    def candidates(self, cursor=None):
        return self._http.get("/candidates", params={"cursor": cursor}).json()

    def job(self, job_id):
        return self._http.get(f"/jobs/{job_id}").json()

    def departments(self):
        return self._http.get(f"{HARVEST_HOST}/v3/departments").json()
