"""Drives PyPI open-greenhouse-mcp 0.3.3, unchanged, against harvest-proxy.

Usage: python mcp_client.py BASE_URL API_KEY PER_PAGE
Calls its list functions for candidates, applications and jobs through
GreenhouseClient(api_key=KEY), following every page (paginate="all").

Usage: python mcp_client.py write BASE_URL API_KEY ON_BEHALF_OF
Calls its candidate, application and tag write tools through
GreenhouseClient(api_key=KEY, on_behalf_of=USER) and reads each effect back through its v1 read
tools. Prints {"writes": {tool: {"ok", "visible", "detail"}}}: ok = the tool got no error,
visible = a v1 read afterwards shows the write.
"""
import asyncio
import json
import sys

import greenhouse_mcp.client as gc

if sys.argv[1] == "write":
    base, key, acting = sys.argv[2], sys.argv[3], sys.argv[4]
    per_page = 100
else:
    base, key, per_page = sys.argv[1], sys.argv[2], int(sys.argv[3])
gc.HARVEST_BASE = base.rstrip("/") + "/v1"
gc._INTER_PAGE_DELAY = 0  # the client sleeps between pages; no rate limit to respect here

from greenhouse_mcp.harvest import applications as ap  # noqa: E402
from greenhouse_mcp.harvest import candidates as ca  # noqa: E402
from greenhouse_mcp.harvest import tags as tg  # noqa: E402
from greenhouse_mcp.harvest.activity_feed import get_activity_feed  # noqa: E402
from greenhouse_mcp.harvest.applications import list_applications  # noqa: E402
from greenhouse_mcp.harvest.candidates import list_candidates  # noqa: E402
from greenhouse_mcp.harvest.jobs import list_jobs  # noqa: E402
from greenhouse_mcp.harvest.job_stages import list_job_stages_for_job  # noqa: E402
from greenhouse_mcp.harvest.rejection_reasons import list_rejection_reasons  # noqa: E402
from greenhouse_mcp.harvest.sources import list_sources  # noqa: E402


async def reads(client):
    out = {}
    for name, fn in (("candidates", list_candidates), ("applications", list_applications), ("jobs", list_jobs)):
        res = await fn(client, per_page=per_page, paginate="all")
        if "items" not in res:
            raise SystemExit(f"{name}: client reported an error: {res}")
        out[name] = [r["id"] for r in res["items"]]
    single = await list_candidates(client, per_page=per_page, page=2)
    out["page2"] = [r["id"] for r in single["items"]]
    out["page2_has_next"] = single["has_next"]
    return out


def items(res):
    return res.get("items", res) if isinstance(res, dict) else res


class Writes:
    """Runs write tools and records what a v1 read shows afterwards."""

    def __init__(self, client):
        self.client = client
        self.out = {}

    async def run(self, name, call, check):
        res = await call
        ok = not (isinstance(res, dict) and gc.GreenhouseClient._is_error(res))
        visible = False
        self.client._cache.clear()  # the client caches some lists; the check must see v1 now
        if ok:
            try:
                visible = bool(await check(res))
            except Exception as e:  # a read that fails is a write not visible
                res = {"read_error": repr(e), "answer": res}
        self.out[name] = {"ok": ok, "visible": visible, "detail": json.dumps(res, default=str)[:400]}
        return res

    async def candidate(self, cid):
        return await ca.get_candidate(self.client, candidate_id=cid)

    async def application(self, aid):
        return await ap.get_application(self.client, application_id=aid)


async def candidate_writes(w, existing):
    c = w.client
    made = await w.run(
        "create_candidate",
        ca.create_candidate(c, first_name="Mcp", last_name="Writer", company="Acme", tags=["mcp-made"],
                            email_addresses=[{"value": "mcp.writer@example.com", "type": "personal"}]),
        lambda r: w.candidate(r["id"]))
    # v1 required applications on a new candidate, which this tool never sends: the other
    # tools then work on a candidate that exists.
    cid = made.get("id") or existing

    async def titled(_):
        return (await w.candidate(cid)).get("title") == "Staff Engineer"
    await w.run("update_candidate", ca.update_candidate(c, candidate_id=cid, title="Staff Engineer"), titled)

    async def prospect(r):
        got = await w.candidate(r["id"])
        return any(a.get("prospect") for a in got.get("applications", []))
    await w.run("add_prospect", ca.add_prospect(c, first_name="Mcp", last_name="Prospect"), prospect)

    async def has(field, pred):
        return any(pred(x) for x in (await w.candidate(cid)).get(field, []))

    async def lacks(field, made):
        return bool(made.get("id")) and not await has(field, lambda x: x["id"] == made["id"])
    edu = await w.run("add_education", ca.add_education(c, candidate_id=cid, start_date="2001-09-15T00:00:00.000Z",
                                                        end_date="2004-05-15T00:00:00.000Z"),
                      lambda r: has("educations", lambda e: e["id"] == r["id"]))
    emp = await w.run("add_employment", ca.add_employment(c, candidate_id=cid, company_name="Greenhouse", title="Engineer",
                                                          start_date="2012-08-15T00:00:00.000Z"),
                      lambda r: has("employments", lambda e: e["id"] == r["id"]))
    await w.run("remove_education", ca.remove_education(c, candidate_id=cid, education_id=edu.get("id", 0)),
                lambda _: lacks("educations", edu))
    await w.run("remove_employment", ca.remove_employment(c, candidate_id=cid, employment_id=emp.get("id", 0)),
                lambda _: lacks("employments", emp))
    await w.run("add_attachment", ca.add_attachment(c, candidate_id=cid, filename="mcp.pdf", type="resume",
                                                    url="https://example.com/mcp.pdf", content_type="application/pdf"),
                lambda _: has("attachments", lambda a: a["filename"] == "mcp.pdf"))

    async def in_feed(kind, text):
        feed = await get_activity_feed(c, candidate_id=cid)
        return any(text in json.dumps(n) for n in feed.get(kind, []))
    await w.run("add_note_to_candidate", ca.add_note_to_candidate(c, candidate_id=cid, body="mcp note", visibility="public"),
                lambda _: in_feed("notes", "mcp note"))
    await w.run("add_email_note_to_candidate",
                ca.add_email_note_to_candidate(c, candidate_id=cid, to="cand@example.com", from_="rec@example.com",
                                               subject="mcp subject", body="mcp email"),
                lambda _: in_feed("emails", "mcp subject"))
    return cid





async def tag_writes(w, cid):
    c = w.client
    async def listed(r):
        return any(t["id"] == r["id"] for t in items(await tg.list_tags(c)))
    tag = await w.run("create_tag", tg.create_tag(c, name="mcp-tag"), listed)
    tid = tag.get("id", 0)

    async def on(present):
        names = [t["id"] for t in items(await tg.list_tags_on_candidate(c, candidate_id=cid))]
        return (tid in names) == present
    await w.run("add_tag_to_candidate", tg.add_tag_to_candidate(c, candidate_id=cid, tag_id=tid), lambda _: on(True))
    await w.run("remove_tag_from_candidate", tg.remove_tag_from_candidate(c, candidate_id=cid, tag_id=tid),
                lambda _: on(False))

    async def gone(_):
        return all(t["id"] != tid for t in items(await tg.list_tags(c)))
    await w.run("delete_tag", tg.delete_tag(c, tag_id=tid), gone)


async def application_writes(w, cid, job, stages, reason):
    c = w.client
    app = await w.run("create_application", ap.create_application(c, candidate_id=cid, job_id=job),
                      lambda r: w.application(r["id"]))
    aid = app.get("id", 0)
    source = items(await list_sources(c))[-1]["id"]

    async def sourced(_):
        return ((await w.application(aid)).get("source") or {}).get("id") == source
    await w.run("update_application", ap.update_application(c, application_id=aid, source_id=source), sourced)
    # Moved to an early stage of the job (in its order), then advanced to the next one.
    current = (await w.application(aid))["current_stage"]["id"]
    to = stages[0] if stages[0] != current else stages[1]
    after = stages[stages.index(to) + 1]

    async def stage_is(sid):
        return (await w.application(aid)).get("current_stage", {}).get("id") == sid
    await w.run("move_application_same_job",
                ap.move_application_same_job(c, application_id=aid, from_stage_id=current, to_stage_id=to),
                lambda _: stage_is(to))
    await w.run("advance_application", ap.advance_application(c, application_id=aid, from_stage_id=to),
                lambda _: stage_is(after))

    async def status_is(s):
        return (await w.application(aid)).get("status") == s
    await w.run("reject_application", ap.reject_application(c, application_id=aid, rejection_reason_id=reason, notes="mcp"),
                lambda _: status_is("rejected"))
    await w.run("update_rejection_reason", ap.update_rejection_reason(c, application_id=aid, rejection_reason_id=reason),
                lambda _: status_is("rejected"))
    await w.run("unreject_application", ap.unreject_application(c, application_id=aid), lambda _: status_is("active"))
    await w.run("add_attachment_to_application",
                ap.add_attachment_to_application(c, application_id=aid, filename="app.pdf", type="cover_letter",
                                                 url="https://example.com/app.pdf", content_type="application/pdf"),
                lambda _: attached(w, cid, "app.pdf"))
    return aid


async def attached(w, cid, filename):
    return any(a["filename"] == filename for a in (await w.candidate(cid)).get("attachments", []))


async def main_writes():
    client = gc.GreenhouseClient(api_key=key, on_behalf_of=acting)
    try:
        jobs = (await list_jobs(client, per_page=100))["items"]
        job, stages = None, []
        for j in jobs:
            st = sorted(items(await list_job_stages_for_job(client, job_id=j["id"])), key=lambda s: s.get("priority") or 0)
            if j.get("status") == "open" and len(st) >= 3:
                job, stages = j["id"], [s["id"] for s in st]
                break
        reason = items(await list_rejection_reasons(client))[0]["id"]
        w = Writes(client)
        existing = (await list_candidates(client, per_page=1))["items"][0]["id"]
        cid = await candidate_writes(w, existing)
        await tag_writes(w, cid)
        await application_writes(w, cid, job, stages, reason)
        await w.run("delete_candidate", ca.delete_candidate(client, candidate_id=cid), lambda _: gone_candidate(w, cid))
    finally:
        await client.close()
    print(json.dumps({"writes": w.out}))


async def gone_candidate(w, cid):
    res = await w.candidate(cid)
    return isinstance(res, dict) and res.get("status_code") == 404


async def main():
    client = gc.GreenhouseClient(api_key=key)
    try:
        out = await reads(client)
    finally:
        await client.close()
    print(json.dumps(out))


asyncio.run(main_writes() if sys.argv[1] == "write" else main())
