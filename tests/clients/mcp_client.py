"""Drives PyPI open-greenhouse-mcp 0.3.3, unchanged, against harvest-proxy.

Usage: python mcp_client.py BASE_URL API_KEY PER_PAGE
Calls its list functions for candidates, applications and jobs through
GreenhouseClient(api_key=KEY), following every page (paginate="all").

Usage: python mcp_client.py write BASE_URL API_KEY ON_BEHALF_OF
Calls every Harvest write tool of the package (found as its server finds them: each public
function of its harvest modules whose source calls harvest_post/patch/put/delete) through
GreenhouseClient(api_key=KEY, on_behalf_of=USER), and checks each effect with the package's own
v1 read tools. Prints {"tools": [...], "writes": {case: {"ok", "checked", "sent", "detail"}}}:
- tools: the package's write tools;
- a case is a tool name, or "tool:variant" when a tool is driven a second way;
- ok: the tool returned no error (the package flags only 401/403/404/422/429/5xx);
- sent: each non-GET request the tool made, [method, path, status, v1 answer];
- checked: a v1 read afterwards shows what the answer says: the write for an answer that
  succeeded, nothing changed for one that refused.
"""
import asyncio
import inspect
import json
import sys
from urllib.parse import urlsplit

import greenhouse_mcp.client as gc

if sys.argv[1] == "write":
    base, key, acting = sys.argv[2], sys.argv[3], sys.argv[4]
    per_page = 100
else:
    base, key, per_page = sys.argv[1], sys.argv[2], int(sys.argv[3])
gc.HARVEST_BASE = base.rstrip("/") + "/v1"
gc._INTER_PAGE_DELAY = 0  # the client sleeps between pages; no rate limit to respect here

from greenhouse_mcp.harvest import applications as ap  # noqa: E402
from greenhouse_mcp.harvest import approvals as apv  # noqa: E402
from greenhouse_mcp.harvest import batch as bt  # noqa: E402
from greenhouse_mcp.harvest import candidates as ca  # noqa: E402
from greenhouse_mcp.harvest import custom_fields as cf  # noqa: E402
from greenhouse_mcp.harvest import departments as dp  # noqa: E402
from greenhouse_mcp.harvest import hiring_team as ht  # noqa: E402
from greenhouse_mcp.harvest import interviews as iv  # noqa: E402
from greenhouse_mcp.harvest import job_openings as jo  # noqa: E402
from greenhouse_mcp.harvest import job_posts as jp  # noqa: E402
from greenhouse_mcp.harvest import jobs as jb  # noqa: E402
from greenhouse_mcp.harvest import offers as of  # noqa: E402
from greenhouse_mcp.harvest import offices as oc  # noqa: E402
from greenhouse_mcp.harvest import tags as tg  # noqa: E402
from greenhouse_mcp.harvest import user_permissions as up  # noqa: E402
from greenhouse_mcp.harvest import users as us  # noqa: E402
from greenhouse_mcp.harvest.activity_feed import get_activity_feed  # noqa: E402
from greenhouse_mcp.harvest.applications import list_applications  # noqa: E402
from greenhouse_mcp.harvest.candidates import list_candidates  # noqa: E402
from greenhouse_mcp.harvest.close_reasons import list_close_reasons  # noqa: E402
from greenhouse_mcp.harvest.jobs import list_jobs  # noqa: E402
from greenhouse_mcp.harvest.job_stages import list_job_stages_for_job  # noqa: E402
from greenhouse_mcp.harvest.rejection_reasons import list_rejection_reasons  # noqa: E402
from greenhouse_mcp.harvest.sources import list_sources  # noqa: E402
from greenhouse_mcp.harvest.user_roles import list_user_roles  # noqa: E402

# The harvest modules the package's server registers tools from (greenhouse_mcp/server.py).
HARVEST_MODULES = [
    "candidates", "applications", "jobs", "job_posts", "job_stages", "job_openings", "offers",
    "scorecards", "interviews", "users", "user_permissions", "departments", "offices",
    "custom_fields", "sources", "rejection_reasons", "email_templates", "tags", "activity_feed",
    "eeoc", "demographics", "approvals", "hiring_team", "prospect_pools", "close_reasons",
    "tracking_links", "user_roles", "education", "workflows", "analytics", "batch", "search",
    "attachments",
]
HARVEST_WRITES = ("harvest_post", "harvest_patch", "harvest_put", "harvest_delete")


def write_tools():
    """The package's Harvest write tools, found the way its server's _is_write_tool finds them."""
    import importlib
    names = set()
    for m in HARVEST_MODULES:
        mod = importlib.import_module(f"greenhouse_mcp.harvest.{m}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("_") and any(w in inspect.getsource(fn) for w in HARVEST_WRITES):
                names.add(name)
    return sorted(names)


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
    """Runs write tools, records the requests they send and what a v1 read shows afterwards."""

    def __init__(self, client):
        self.client = client
        self.out = {}
        self.sent = []
        inner = client._request

        async def recording(method, url, **kw):
            resp = await inner(method, url, **kw)
            if method != "GET":
                body = gc.GreenhouseClient._parse_body(resp)
                self.sent.append([method, urlsplit(url).path, resp.status_code, body])
            return resp
        client._request = recording  # observes only: the request is the package's, unchanged

    async def run(self, name, call, check):
        self.sent = []
        res = await call
        ok = not (isinstance(res, dict) and gc.GreenhouseClient._is_error(res))
        checked = False
        self.client._cache.clear()  # the client caches some lists; the check must see v1 now
        try:
            checked = bool(await check(res))
        except Exception as e:  # a read that fails is a check that fails
            res = {"read_error": repr(e), "answer": res}
        self.out[name] = {"ok": ok, "checked": checked, "sent": self.sent,
                          "detail": json.dumps(res, default=str)[:400]}
        return res if isinstance(res, (dict, list)) else {}

    async def candidate(self, cid):
        return await ca.get_candidate(self.client, candidate_id=cid)

    async def application(self, aid):
        return await ap.get_application(self.client, application_id=aid)


def missing(res):
    return isinstance(res, dict) and res.get("status_code") == 404


async def candidate_writes(w, existing):
    c = w.client
    # v1 required applications on a new candidate, which create_candidate and add_prospect
    # never send: v1's 422, and no candidate of that name exists afterwards.
    async def no_candidate(last):
        found = items(await list_candidates(c, email="mcp.writer@example.com"))
        return all(x.get("last_name") != last for x in found)
    made = await w.run(
        "create_candidate",
        ca.create_candidate(c, first_name="Mcp", last_name="Writer", company="Acme", tags=["mcp-made"],
                            email_addresses=[{"value": "mcp.writer@example.com", "type": "personal"}]),
        lambda r: no_candidate("Writer"))
    cid = made.get("id") or existing

    async def titled(_):
        return (await w.candidate(cid)).get("title") == "Staff Engineer"
    await w.run("update_candidate", ca.update_candidate(c, candidate_id=cid, title="Staff Engineer"), titled)
    await w.run("add_prospect",
                ca.add_prospect(c, first_name="Mcp", last_name="Prospect",
                                email_addresses=[{"value": "mcp.writer@example.com", "type": "personal"}]),
                lambda r: no_candidate("Prospect"))

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

    # The note tools send no user_id (the author v1 required): v1's 422; the feed is unchanged.
    async def not_in_feed(kind, text):
        feed = await get_activity_feed(c, candidate_id=cid)
        return "error" not in feed and not any(text in json.dumps(n) for n in feed.get(kind, []))
    await w.run("add_note_to_candidate", ca.add_note_to_candidate(c, candidate_id=cid, body="mcp note", visibility="public"),
                lambda _: not_in_feed("notes", "mcp note"))
    await w.run("add_email_note_to_candidate",
                ca.add_email_note_to_candidate(c, candidate_id=cid, to="cand@example.com", from_="rec@example.com",
                                               subject="mcp subject", body="mcp email"),
                lambda _: not_in_feed("emails", "mcp subject"))

    # anonymize_candidate sends fields in the JSON body as a list; v1 read them from the query
    # string (?fields=a,b, required): v1's 422 on fields, and the name is unchanged.
    before = await w.candidate(cid)

    async def same_name(_):
        now = await w.candidate(cid)
        return (now["first_name"], now["last_name"]) == (before["first_name"], before["last_name"])
    await w.run("anonymize_candidate", ca.anonymize_candidate(c, candidate_id=cid, fields=["full_name"]), same_name)
    return cid


async def merge_writes(w, primary, duplicate):
    c = w.client
    dup_apps = {a["id"] for a in (await w.candidate(duplicate)).get("applications", [])}

    async def merged(_):
        gone = missing(await w.candidate(duplicate))
        apps = {a["id"] for a in (await w.candidate(primary)).get("applications", [])}
        return gone and dup_apps <= apps
    await w.run("merge_candidates",
                ca.merge_candidates(c, primary_candidate_id=primary, duplicate_candidate_id=duplicate), merged)


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

    # bulk_tag sends PUT /v1/candidates/{id}/tags {"tag": name}: v1 had no such route (tags
    # are applied by id, PUT /v1/candidates/{id}/tags/{tag_id}); nothing is tagged.
    async def untagged(_):
        return all(t.get("name") != "mcp-bulk" for t in items(await tg.list_tags_on_candidate(c, candidate_id=cid)))
    await w.run("bulk_tag", bt.bulk_tag(c, candidate_ids=[cid], tag_name="mcp-bulk"), untagged)


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


async def application_moves(w, aid, job2, stages2):
    c = w.client

    async def on_job(_):
        a = await w.application(aid)
        return [j["id"] for j in a.get("jobs", [])] == [job2] and a["current_stage"]["id"] == stages2[1]
    await w.run("move_application",
                ap.move_application(c, application_id=aid, new_job_id=job2, new_stage_id=stages2[1]), on_job)
    await w.run("delete_application", ap.delete_application(c, application_id=aid), lambda _: missing_app(w, aid))


async def missing_app(w, aid):
    return missing(await w.application(aid))


async def active_apps(c, job):
    return [a for a in items(await list_applications(c, job_id=job, status="active", per_page=500))
            if not a.get("prospect")]


async def pipeline_writes(w, job, stages, reason):
    """hire, bulk_reject, bulk_advance and convert_prospect on the job's existing applications."""
    c = w.client
    apps = await active_apps(c, job)
    by_stage = {}
    for a in apps:
        by_stage.setdefault(a["current_stage"]["id"], []).append(a["id"])
    # bulk_advance: two applications of one stage that has a next stage.
    stage = next(s for s in stages[:-1] if len(by_stage.get(s, [])) >= 2)
    adv = by_stage[stage][:2]
    nxt = stages[stages.index(stage) + 1]

    async def advanced(_):
        return all([(await w.application(a))["current_stage"]["id"] == nxt for a in adv])
    await w.run("bulk_advance", bt.bulk_advance(c, application_ids=adv, from_stage_id=stage), advanced)
    rest = [a["id"] for a in apps if a["id"] not in adv]
    rej = rest[:2]

    async def rejected(_):
        return all([(await w.application(a))["status"] == "rejected" for a in rej])
    await w.run("bulk_reject", bt.bulk_reject(c, application_ids=rej, rejection_reason_id=reason), rejected)
    hire = rest[2]
    close = items(await list_close_reasons(c))[0]["id"]

    async def hired(_):
        return (await w.application(hire))["status"] == "hired"
    await w.run("hire_application",
                ap.hire_application(c, application_id=hire, start_date="2027-01-15", close_reason_id=close), hired)

    # convert_prospect sends PATCH /v1/applications/{id}/convert_to_candidate: v1's route was
    # /convert_prospect, so v1 answered 404; the prospect application is unchanged.
    prospects = [a for a in items(await list_applications(c, per_page=500, status="active")) if a.get("prospect")]
    pid = prospects[0]["id"] if prospects else 0

    async def still_prospect(_):
        return bool(pid) and (await w.application(pid)).get("prospect") is True
    await w.run("convert_prospect", ap.convert_prospect(c, application_id=pid, job_id=job), still_prospect)


async def job_writes(w, template, job, department, office):
    c = w.client
    made = await w.run(
        "create_job",
        jb.create_job(c, template_job_id=template, number_of_openings=1, job_name="MCP Job",
                      department_id=department, office_ids=[office], requisition_id="MCP-1"),
        lambda r: named_job(w, r.get("id"), "MCP Job"))
    new_job = made.get("id") or job
    await w.run("update_job", jb.update_job(c, job_id=new_job, name="MCP Job 2", notes="mcp notes", requisition_id="MCP-2"),
                lambda _: named_job(w, new_job, "MCP Job 2"))

    # update_job's status is not a field of v1's PATCH /v1/jobs/{id} (opening or closing a job
    # is not in v1's write API): v1 ignored it and answered the job, its status unchanged.
    status = (await jb.get_job(c, job_id=new_job)).get("status")

    async def same_status(_):
        return (await jb.get_job(c, job_id=new_job)).get("status") == status
    await w.run("update_job:status", jb.update_job(c, job_id=new_job, status="closed"), same_status)
    return new_job


async def named_job(w, jid, name):
    return bool(jid) and (await jb.get_job(w.client, job_id=jid)).get("name") == name


async def job_post_writes(w, job):
    c = w.client
    post = items(await jp.list_job_posts_for_job(c, job_id=job))[0]
    pid = post["id"]

    async def titled(_):
        got = await jp.get_job_post(c, job_post_id=pid)
        return got.get("title") == "MCP Post" and got.get("content") == "<p>mcp</p>"
    await w.run("update_job_post", jp.update_job_post(c, job_post_id=pid, title="MCP Post", content="<p>mcp</p>"), titled)
    live = (await jp.get_job_post(c, job_post_id=pid)).get("live")
    status = "offline" if live else "live"

    # PATCH /v1/job_posts/{id} {"status"}: the deprecated v1 form of the post update took
    # live/offline as the v2 status route does (mappings/resources/job_posts.toml).
    async def flipped(_):
        return (await jp.get_job_post(c, job_post_id=pid)).get("live") is (status == "live")
    await w.run("update_job_post_status", jp.update_job_post_status(c, job_post_id=pid, status=status), flipped)


async def opening_writes(w, job):
    c = w.client
    before = items(await jo.list_job_openings(c, job_id=job))

    # create_job_opening sends one opening's fields flat; v1 took {"openings": [...]} (required).
    async def no_new(_):
        return len(items(await jo.list_job_openings(c, job_id=job))) == len(before)
    await w.run("create_job_opening", jo.create_job_opening(c, job_id=job, opening_id="OPN-MCP"), no_new)
    target = before[0]
    close = items(await list_close_reasons(c))[-1]["id"]

    async def reason_is(_):
        got = await jo.get_job_opening(c, job_id=job, opening_id=target["id"])
        return got.get("status") == "closed" and (got.get("close_reason") or {}).get("id") == close
    await w.run("update_job_opening",
                jo.update_job_opening(c, job_id=job, opening_id=target["id"], status="closed", close_reason_id=close),
                reason_is)

    # delete_job_opening sends DELETE /v1/jobs/{job}/openings/{id}; v1 deleted openings with
    # DELETE /v1/jobs/{job}/openings {"ids": [...]}: no such route; the opening stays.
    async def kept(_):
        return not missing(await jo.get_job_opening(c, job_id=job, opening_id=target["id"]))
    await w.run("delete_job_opening", jo.delete_job_opening(c, job_id=job, opening_id=target["id"]), kept)


async def offer_writes(w):
    c = w.client
    offer = next(o for o in items(await of.list_offers(c, per_page=500)) if o.get("status") == "unresolved")
    app = offer["application_id"]
    before = await of.get_current_offer(c, application_id=app)

    # update_current_offer sends starts_at; v1's field was start_date: v1 ignored starts_at and
    # answered success; the offer's start date is unchanged.
    async def same_start(_):
        return (await of.get_current_offer(c, application_id=app)).get("starts_at") == before.get("starts_at")
    await w.run("update_current_offer", of.update_current_offer(c, application_id=app, starts_at="2031-02-03"),
                same_start)


async def interview_writes(w, job, user):
    c = w.client
    apps = await active_apps(c, job)
    app = apps[0]["id"]
    stage = next(s for s in (await list_job_stages_for_job(c, job_id=job))["items"] if s.get("interviews"))
    interview = stage["interviews"][0]["id"]
    before = items(await iv.list_interviews_for_application(c, application_id=app))

    # create_interview sends POST /v1/applications/{id}/scheduled_interviews; v1 (and v2)
    # scheduled with POST /v2/scheduled_interviews: no such write route; nothing is scheduled.
    async def none_new(_):
        return len(items(await iv.list_interviews_for_application(c, application_id=app))) == len(before)
    await w.run("create_interview",
                iv.create_interview(c, application_id=app, interview_id=interview, interviewer_ids=[user],
                                    start="2031-05-01T10:00:00Z", end="2031-05-01T11:00:00Z"), none_new)
    sched = next(i for i in items(await iv.list_interviews(c, per_page=500)) if i.get("status") == "scheduled")
    sid = sched["id"]

    async def moved(_):
        got = await iv.get_interview(c, interview_id=sid)
        return got["start"]["date_time"].startswith("2031-06-01T10:00") and got["end"]["date_time"].startswith("2031-06-01T11:00")
    await w.run("update_interview",
                iv.update_interview(c, interview_id=sid, start="2031-06-01T10:00:00Z", end="2031-06-01T11:00:00Z"), moved)
    # interviewer_ids become [{"id": n}]; v1's interviewers were {user_id | email}: v1's 422.
    before_ivs = (await iv.get_interview(c, interview_id=sid)).get("interviewers")

    async def same_ivs(_):
        return (await iv.get_interview(c, interview_id=sid)).get("interviewers") == before_ivs
    await w.run("update_interview:interviewers", iv.update_interview(c, interview_id=sid, interviewer_ids=[user]), same_ivs)
    await w.run("delete_interview", iv.delete_interview(c, interview_id=sid),
                lambda _: gone_interview(c, sid))


async def gone_interview(c, sid):
    return missing(await iv.get_interview(c, interview_id=sid))


async def user_writes(w, user, job, role):
    c = w.client

    # create_user always sends send_email, which v1 did not know (its field was
    # send_email_invite) and ignored: the user is created.
    async def created(r):
        return (await us.get_user(c, user_id=r["id"])).get("primary_email_address") == "mcp.user@example.com"
    await w.run("create_user", us.create_user(c, first_name="Mcp", last_name="User", email="mcp.user@example.com"),
                created)

    async def first_is(_):
        return (await us.get_user(c, user_id=user)).get("first_name") == "Mcpfirst"
    await w.run("update_user", us.update_user(c, user_id=user, first_name="Mcpfirst"), first_is)

    async def disabled(flag):
        return (await us.get_user(c, user_id=user)).get("disabled") is flag
    await w.run("disable_user", us.disable_user(c, user_id=user), lambda _: disabled(True))
    await w.run("enable_user", us.enable_user(c, user_id=user), lambda _: disabled(False))
    before = await us.get_user(c, user_id=user)

    # v1 changed the level with PATCH /v1/users/permission_level {"user": {...}, "level"}; the
    # tool's /v1/users/{id}/permissions/permission_level was never a v1 route: 404.
    async def same_admin(_):
        return (await us.get_user(c, user_id=user)).get("site_admin") == before.get("site_admin")
    await w.run("change_user_permission_level",
                us.change_user_permission_level(c, user_id=user, permission_level="basic"), same_admin)
    async def emailed(_):
        return "mcp.extra@example.com" in (await us.get_user(c, user_id=user)).get("emails", [])
    await w.run("add_email_to_user", us.add_email_to_user(c, user_id=user, email="mcp.extra@example.com"), emailed)

    # Job and future-job permissions: v1 granted with PUT and revoked with DELETE on the
    # collection path (the permission id in the body); the tool's POST and its DELETE with the
    # id in the path were never v1 routes. Nothing changes.
    jobs_before = items(await up.list_job_permissions(c, user_id=user))
    future_before = items(await up.list_future_job_permissions(c, user_id=user))

    async def same(list_fn, before):
        return items(await list_fn(c, user_id=user)) == before
    await w.run("add_job_permission", up.add_job_permission(c, user_id=user, job_id=job, user_role_id=role),
                lambda _: same(up.list_job_permissions, jobs_before))
    await w.run("remove_job_permission", up.remove_job_permission(c, user_id=user, job_permission_id=1),
                lambda _: same(up.list_job_permissions, jobs_before))
    await w.run("add_future_job_permission", up.add_future_job_permission(c, user_id=user, user_role_id=role),
                lambda _: same(up.list_future_job_permissions, future_before))
    fid = future_before[0]["id"] if future_before else 1
    await w.run("remove_future_job_permission",
                up.remove_future_job_permission(c, user_id=user, future_job_permission_id=fid),
                lambda _: same(up.list_future_job_permissions, future_before))


async def org_writes(w):
    c = w.client
    dept = await w.run("create_department", dp.create_department(c, name="MCP Department"),
                       lambda r: dept_named(c, r["id"], "MCP Department"))
    did = dept.get("id", 0)
    await w.run("update_department", dp.update_department(c, department_id=did, name="MCP Department 2"),
                lambda _: dept_named(c, did, "MCP Department 2"))

    async def office_is(oid, name, location):
        got = await oc.get_office(c, office_id=oid)
        return got.get("name") == name and (got.get("location") or {}).get("name") == location
    office = await w.run("create_office", oc.create_office(c, name="MCP Office", location="Lisbon, Portugal"),
                         lambda r: office_is(r["id"], "MCP Office", "Lisbon, Portugal"))
    oid = office.get("id", 0)
    await w.run("update_office", oc.update_office(c, office_id=oid, name="MCP Office 2", location="Porto, Portugal"),
                lambda _: office_is(oid, "MCP Office 2", "Porto, Portugal"))


async def dept_named(c, did, name):
    return (await dp.get_department(c, department_id=did)).get("name") == name


async def custom_field_writes(w):
    c = w.client

    async def field_is(fid, name):
        return (await one_field(c, fid)).get("name") == name
    made = await w.run("create_custom_field",
                       cf.create_custom_field(c, name="MCP Field", field_type="candidate", value_type="single_select"),
                       lambda r: field_is(field_id(r), "MCP Field"))
    fid = field_id(made)
    await w.run("update_custom_field", cf.update_custom_field(c, custom_field_id=fid, name="MCP Field 2"),
                lambda _: field_is(fid, "MCP Field 2"))

    # The option tools use /v1/custom_fields/{id}/custom_field_options; v1's option writes were
    # at /v1/custom_field/{id}/custom_field_options (singular): 404, and the options are unchanged.
    async def options():
        return (await one_field(c, fid)).get("custom_field_options")
    before = await options()

    async def same(_):
        return await options() == before
    await w.run("create_custom_field_options",
                cf.create_custom_field_options(c, custom_field_id=fid, options=[{"name": "A", "priority": 1}]), same)
    await w.run("update_custom_field_options",
                cf.update_custom_field_options(c, custom_field_id=fid, options=[{"id": 1, "name": "B"}]), same)
    await w.run("delete_custom_field_options", cf.delete_custom_field_options(c, custom_field_id=fid, option_ids=[1]),
                same)

    async def gone(_):
        got = await one_field(c, fid)
        return missing(got) or got.get("active") is False
    await w.run("delete_custom_field", cf.delete_custom_field(c, custom_field_id=fid), gone)


async def one_field(c, fid):
    """v1's retrieve is GET /v1/custom_field/{id} (singular); the package's get_custom_field
    asks /v1/custom_fields/{id}, v1's list by field type, so the field is read at v1's path."""
    return await c.harvest_get_one(f"/custom_field/{fid}")


def field_id(r):
    """v1 answered a created custom field in a one-element list (the package passes it on)."""
    if isinstance(r, list) and r:
        return r[0].get("id", 0)
    return r.get("id", 0) if isinstance(r, dict) else 0


async def approval_writes(w, job, user):
    c = w.client
    flows = items(await apv.list_approvals_for_job(c, job_id=job))

    async def same(_):
        return items(await apv.list_approvals_for_job(c, job_id=job)) == flows
    # v1 requested approvals at POST /v1/approval_flows/{id}/request_approvals and replaced an
    # approver at PUT /v1/approver_groups/{id}/replace_approvers: the tool's job-scoped paths
    # were never v1 routes (404).
    flow = flows[0]
    await w.run("request_approvals", apv.request_approvals(c, job_id=job, approval_flow_id=flow["id"]), same)
    old = flow["approver_groups"][0]["approvers"][0]["id"]
    await w.run("replace_approver", apv.replace_approver(c, job_id=job, approval_flow_id=flow["id"],
                                                         remove_user_id=old, add_user_id=user), same)
    # The tool sends no `sequential`, which v1 required: v1's 422, flows unchanged.
    await w.run("create_or_replace_approval_flow",
                apv.create_or_replace_approval_flow(
                    c, job_id=job, approval_type="open_job",
                    approver_groups=[{"approvals_required": 1, "approvers": [{"user_id": user}]}]), same)


async def hiring_team_writes(w, job, user, other):
    c = w.client

    async def team():
        return await ht.get_hiring_team(c, job_id=job)

    async def replaced(_):
        t = await team()
        return [m["id"] for m in t["hiring_managers"]] == [user] and [m["id"] for m in t["recruiters"]] == [user]
    resp = {"responsible_for_future_candidates": True, "responsible_for_active_candidates": False,
            "responsible_for_inactive_candidates": False}
    await w.run("replace_hiring_team",
                ht.replace_hiring_team(c, job_id=job, hiring_managers=[{"user_id": user}],
                                       recruiters=[{"user_id": user, **resp}]), replaced)

    async def added(_):
        return other in [m["id"] for m in (await team())["sourcers"]]
    await w.run("add_hiring_team_members", ht.add_hiring_team_members(c, job_id=job, sourcers=[{"user_id": other}]),
                added)
    # v1 removed members with DELETE /v1/jobs/{id}/hiring_team (user ids by role in the body);
    # /hiring_team/members/{user_id} was never a v1 route: 404, the sourcer stays.
    await w.run("remove_hiring_team_member", ht.remove_hiring_team_member(c, job_id=job, user_id=other), added)


async def find_job(client, jobs, skip=()):
    for j in jobs:
        if j["id"] in skip or j.get("status") != "open" or j.get("is_template"):
            continue
        st = sorted(items(await list_job_stages_for_job(client, job_id=j["id"])), key=lambda s: s.get("priority") or 0)
        if len(st) >= 3:
            return j, [s["id"] for s in st]
    raise SystemExit("no open job with three stages")


async def main_writes():
    client = gc.GreenhouseClient(api_key=key, on_behalf_of=acting)
    try:
        jobs = (await list_jobs(client, per_page=100))["items"]
        job, stages = await find_job(client, jobs)
        job2, stages2 = await find_job(client, jobs, skip={job["id"]})
        template = next(j["id"] for j in jobs if j.get("is_template"))
        reason = items(await list_rejection_reasons(client))[0]["id"]
        users = [u for u in items(await us.list_users(client, per_page=100))
                 if str(u["id"]) != acting and not u.get("disabled")]
        user, other = users[0]["id"], users[1]["id"]
        role = next(r["id"] for r in items(await list_user_roles(client)) if r.get("type") == "job_admin")
        w = Writes(client)
        cands = (await list_candidates(client, per_page=10))["items"]
        cid = await candidate_writes(w, cands[0]["id"])
        await merge_writes(w, cands[1]["id"], cands[2]["id"])
        await tag_writes(w, cid)
        aid = await application_writes(w, cid, job["id"], stages, reason)
        await application_moves(w, aid, job2["id"], stages2)
        await pipeline_writes(w, job2["id"], stages2, reason)
        await interview_writes(w, job["id"], user)
        await offer_writes(w)
        await job_writes(w, template, job["id"], job["departments"][0]["id"], job["offices"][0]["id"])
        await job_post_writes(w, job["id"])
        await opening_writes(w, job["id"])
        await user_writes(w, user, job["id"], role)
        await org_writes(w)
        await custom_field_writes(w)
        await approval_writes(w, job["id"], user)
        await hiring_team_writes(w, job["id"], user, other)
        await w.run("delete_candidate", ca.delete_candidate(client, candidate_id=cid), lambda _: gone_candidate(w, cid))
    finally:
        await client.close()
    print(json.dumps({"tools": write_tools(), "writes": w.out}))


async def gone_candidate(w, cid):
    return missing(await w.candidate(cid))


async def main():
    client = gc.GreenhouseClient(api_key=key)
    try:
        out = await reads(client)
    finally:
        await client.close()
    print(json.dumps(out))


asyncio.run(main_writes() if sys.argv[1] == "write" else main())
