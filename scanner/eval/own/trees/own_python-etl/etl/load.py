"""Writes back the hiring decisions made in the warehouse."""
import requests

from .settings import GREENHOUSE_API_KEY, HARVEST_API


def advance(application_id, from_stage, acting_user):
    return requests.post(
        f"{HARVEST_API}/applications/{application_id}/advance",
        auth=(GREENHOUSE_API_KEY, ""),
        headers={"On-Behalf-Of": str(acting_user)},
        json={"from_stage_id": from_stage},
    )


def public_jobs(board):
    # The careers site reads the public board, no key.
    return requests.get(f"https://boards-api.greenhouse.io/v1/boards/{board}/jobs").json()
