"""Pulls recruiting data into the warehouse."""
import requests

from .settings import GREENHOUSE_API_KEY, HARVEST_API, PAGE_SIZE

session = requests.Session()
session.auth = (GREENHOUSE_API_KEY, "")


def _pages(path, **params):
    page = 1
    while True:
        resp = session.get(f"{HARVEST_API}{path}", params={"page": page, "per_page": PAGE_SIZE, **params})
        resp.raise_for_status()
        rows = resp.json()
        if not rows:
            return
        yield from rows
        page += 1


def candidates(updated_after=None):
    return _pages("/candidates", updated_after=updated_after)


def applications():
    return _pages("/applications")


def scorecards():
    return _pages("/scorecards")


def job_posts(job_id):
    resp = session.get(HARVEST_API + "/jobs/%d/job_posts" % job_id)
    return resp.json()


def counts(rows):
    stats = {}
    for row in rows:
        stats["jobs"] = stats.get("jobs", 0) + len(row.get("jobs", []))
    return stats
