"""Audit Log API and Assessment partner callbacks."""
import httpx

AUDIT = "https://auditlog.us.greenhouse.io"


def events(token, cursor=None):
    return httpx.get(f"{AUDIT}/events", params={"paging_key": cursor},
                     headers={"Authorization": f"Bearer {token}"}).json()


def assessment_status(partner_key, ticket):
    # Called by Greenhouse on our assessment partner endpoint.
    return {"partner_status": "complete", "partner_profile_url": f"https://assess.acme.io/{ticket}"}


def onboarding(token):
    return httpx.post("https://onboarding-api.greenhouse.io/graphql", json={"query": "{ employees { id } }"},
                      auth=(token, "")).json()
