#!/usr/bin/env python3
"""Writes labels.json (the kit's format) for published packages fetched by fetch.sh.

  python3 spec.py CORPUS      # CORPUS as filled by fetch.sh; writes labels.json beside this file

Each label names its line by a text that occurs exactly once in the file ("text@2" = the second
occurrence). The labels say what the code does, worked out by reading it (what each library
sends when it runs), not what any scanner reports. The packages' code is not in this repository:
fetch.sh downloads the exact versions with npm and pip.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
E, B, A, O = "endpoint", "base_url", "basic_auth", "on_behalf_of"


def grnhse_findings():
    """grnhse-api: `__getattr__` client; every list/retrieve value of the route table is
    requested with GET under the v1 base (HarvestObject.get / __iter__)."""
    v = "grnhse/harvest/versions.py"
    out = [(v, "'base': 'https://harvest.greenhouse.io/v1/'", B, None)]
    direct = [
        ("'list': 'applications'", "GET /v1/applications"),
        ("'retrieve': 'applications/{id}'", "GET /v1/applications/{id}"),
        ("'retrieve': 'approval_flows/{id}'", "GET /v1/approval_flows/{id}"),
        ("'list': 'candidates'", "GET /v1/candidates"),
        ("'retrieve': 'candidates/{id}'", "GET /v1/candidates/{id}"),
        ("'list': 'close_reasons'", "GET /v1/close_reasons"),
        ("'list': 'degrees'", "GET /v1/degrees"),
        ("'list': 'departments'", "GET /v1/departments"),
        ("'retrieve': 'departments/{id}'", "GET /v1/departments/{id}"),
        ("'list': 'disciplines'", "GET /v1/disciplines"),
        ("'list': 'email_templates'", "GET /v1/email_templates"),
        ("'retrieve': 'email_templates/{id}'", "GET /v1/email_templates/{id}"),
        ("'list': 'scheduled_interviews'", "GET /v1/scheduled_interviews"),
        ("'retrieve': 'scheduled_interviews/{id}'", "GET /v1/scheduled_interviews/{id}"),
        ("'list': 'job_posts'", "GET /v1/job_posts"),
        ("'retrieve': 'job_posts/{id}'", "GET /v1/job_posts/{id}"),
        ("'list': 'job_stages'", "GET /v1/job_stages"),
        ("'retrieve': 'job_stages/{id}'", "GET /v1/job_stages/{id}"),
        ("'list': 'jobs'", "GET /v1/jobs"),
        ("'retrieve': 'jobs/{id}'", "GET /v1/jobs/{id}"),
        ("'list': 'offers'", "GET /v1/offers"),
        ("'retrieve': 'offers/{id}'", "GET /v1/offers/{id}"),
        ("'list': 'offices'", "GET /v1/offices"),
        ("'retrieve': 'offices/{id}'", "GET /v1/offices/{id}"),
        ("'list': 'prospect_pools'", "GET /v1/prospect_pools"),
        ("'retrieve': 'prospect_pools/{id}'", "GET /v1/prospect_pools/{id}"),
        ("'list': 'rejection_reasons'", "GET /v1/rejection_reasons"),
        ("'list': 'schools'", "GET /v1/schools"),
        ("'list': 'scorecards'", "GET /v1/scorecards"),
        ("'retrieve': 'scorecards/{id}'", "GET /v1/scorecards/{id}"),
        ("'list': 'sources'", "GET /v1/sources"),
        ("'list': 'tags/candidate'", "GET /v1/tags/candidate"),
        ("'list': 'users'", "GET /v1/users"),
        ("'retrieve': 'users/{id}'", "GET /v1/users/{id}"),
        ("'list': 'user_roles'", "GET /v1/user_roles"),
        ("'retrieve': 'user_roles/{id}'", "GET /v1/user_roles/{id}"),
        ("'list': 'custom_fields'", "GET /v1/custom_fields"),
        ("'retrieve': 'custom_field/{id}'", "GET /v1/custom_field/{id}"),
        ("'list': 'applications/{rel_id}/eeoc'", "GET /v1/applications/{id}/eeoc"),
        ("'list': 'applications/{rel_id}/scheduled_interviews'", "GET /v1/applications/{id}/scheduled_interviews"),
        ("'list': 'applications/{rel_id}/offers'", "GET /v1/applications/{id}/offers"),
        ("'list': 'applications/{rel_id}/scorecards'", "GET /v1/applications/{id}/scorecards"),
        ("'list': 'candidates/{rel_id}/activity_feed'", "GET /v1/candidates/{id}/activity_feed"),
        ("'list': 'candidates/{rel_id}/tags'", "GET /v1/candidates/{id}/tags"),
        ("'list': 'jobs/{rel_id}/approval_flows'", "GET /v1/jobs/{id}/approval_flows"),
        ("'list': 'jobs/{rel_id}/hiring_team'", "GET /v1/jobs/{id}/hiring_team"),
        ("'list': 'jobs/{rel_id}/openings'", "GET /v1/jobs/{id}/openings"),
        ("'retrieve': 'jobs/{rel_id}/openings/{{id}}'", "GET /v1/jobs/{id}/openings/{id}"),
        ("'list': 'jobs/{rel_id}/job_posts'", "GET /v1/jobs/{id}/job_posts"),
        ("'retrieve': 'jobs/{rel_id}/job_posts/{{id}}'", "GET /v1/jobs/{id}/job_posts/{id}"),
        ("'list': 'jobs/{rel_id}/stages'", "GET /v1/jobs/{id}/stages"),
        ("'list': 'users/{rel_id}/permissions/future_jobs'", "GET /v1/users/{id}/permissions/future_jobs"),
        ("'list': 'users/{rel_id}/permissions/jobs'", "GET /v1/users/{id}/permissions/jobs"),
        ("'list': 'users/{rel_id}/pending_approvals'", "GET /v1/users/{id}/pending_approvals"),
    ]
    out += [(v, t, E, r) for t, r in direct]
    a = "grnhse/harvest/api.py"
    out += [
        (a, "auth = (self._api_key, '')", A, None),
        # The request URLs, built from the base at run time (route per table entry).
        (a, "self._list = base_url + list_uri if list_uri else None", E, None),
        (a, "self._retrieve = base_url + retrieve_uri if retrieve_uri else None", E, None),
    ]
    return out


def opensdks_findings():
    """@opensdks/sdk-greenhouse: an OpenAPI document (JSON, and the same as a TS module and as
    openapi-typescript types) whose server is the bare host with /v1 paths, all GET; the
    client sets `Authorization: Basic base64(username:password||'')` with the API key as
    username (the options type says the password is always blank)."""
    routes = [
        ("/v1/departments/{id}", "GET /v1/departments/{id}"),
        ("/v1/departments", "GET /v1/departments"),
        ("/v1/jobs/{id}", "GET /v1/jobs/{id}"),
        ("/v1/jobs", "GET /v1/jobs"),
        ("/v1/jobs/{id}/openings", "GET /v1/jobs/{id}/openings"),
        ("/v1/offers/{id}", "GET /v1/offers/{id}"),
        ("/v1/offers", "GET /v1/offers"),
        ("/v1/candidates/{id}", "GET /v1/candidates/{id}"),
        ("/v1/candidates", "GET /v1/candidates"),
    ]
    out = []
    for f, q in [("greenhouse.oas.json", '"'), ("src/greenhouse.oas.ts", "'"),
                 ("greenhouse.oas.types.d.ts", "'")]:
        for p, r in routes:
            out.append((f, f"{q}{p}{q}: {{", E, r))
    out += [
        ("src/index.ts", '`Basic ${btoa(', A, None),
        ("esm/index.js", "headers.set('Authorization', `Basic ${btoa(", A, None),
        ("cjs/index.js", "headers.set('Authorization', `Basic ${btoa(", A, None),
    ]
    return out


ENTRIES = [
    {"repo": "pypi:grnhse-api@0.1.1", "language": "Python (requests, __getattr__ client, sdist)",
     "why": "A Harvest v1 wrapper: a route table per version (versions.py) whose values are GET under the v1 base, Basic auth (key, ''), request URLs built from the base at run time.",
     "findings": grnhse_findings(),
     "negatives": [("README.md", "[Harvest API](https://developers.greenhouse.io/harvest.html)", "developer docs link")]},
    {"repo": "npm:@opensdks/sdk-greenhouse@0.0.8", "language": "TypeScript/JS SDK + OpenAPI JSON",
     "why": "Generated SDK: OpenAPI document with the bare host server and /v1 paths (three copies: JSON, TS module, openapi-typescript types); Basic auth with the key as username in src, esm and cjs builds.",
     "findings": opensdks_findings(),
     "negatives": [("greenhouse.oas.json", '"url": "https://harvest.greenhouse.io"', "bare host: unchanged in v3")]},
    {"repo": "npm:@karrotmarket/gatsby-source-greenhouse-jobboard@0.11.0", "language": "JavaScript (Gatsby plugin)",
     "why": "NEGATIVE CONTROL: Job Board API through greenhouse-jobboard-js.", "findings": [],
     "expect_no_findings": True},
    {"repo": "npm:@aleph/gatsby-source-greenhouse-job-board@1.0.6", "language": "JavaScript (Gatsby plugin)",
     "why": "NEGATIVE CONTROL: Job Board API (boards-api) offices, departments, jobs.", "findings": [],
     "expect_no_findings": True},
    {"repo": "pypi:jobfeeds@0.1.0", "language": "Python (async job feeds)",
     "why": "NEGATIVE CONTROL: the public Job Board API among other job feeds.", "findings": [],
     "negatives": [("jobfeeds/sources/greenhouse.py", 'BOARD_URL = "https://boards-api.greenhouse.io/v1/boards/{token}/jobs"', "Job Board v1 URL")],
     "expect_no_findings": True},
    {"repo": "pypi:payband-mcp@0.12.0", "language": "Python (MCP server)",
     "why": "NEGATIVE CONTROL: reads public job-board APIs (Greenhouse among others) for pay ranges.", "findings": [],
     "expect_no_findings": True},
]


def folder_of(repo):
    src, rest = repo.split(":", 1)
    name, ver = rest.rsplit("@", 1)
    return f"{src}_{name.replace('@', '').replace('/', '_')}_{ver}"


def find_line(path, text):
    n = 1
    if "@" in text and text.rsplit("@", 1)[1].isdigit():
        text, n = text.rsplit("@", 1)[0], int(text.rsplit("@", 1)[1])
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    hits = [i + 1 for i, l in enumerate(lines) if text in l]
    if len(hits) < n or (n == 1 and len(hits) > 1 and "@" not in text):
        raise SystemExit(f"{path}: text {text!r} found {len(hits)} times")
    return hits[n - 1], text


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    corpus = sys.argv[1]
    out = []
    for e in ENTRIES:
        d = os.path.join(corpus, folder_of(e["repo"]))
        ent = {k: v for k, v in e.items() if k not in ("findings", "negatives")}
        ent["findings"] = []
        for path, text, kind, route in e["findings"]:
            line, t = find_line(os.path.join(d, path), text)
            lab = {"path": path, "line": line, "kind": kind, "text": t}
            if route:
                lab["legacy_route"] = route
            ent["findings"].append(lab)
        negs = []
        for path, text, why in e.get("negatives", []):
            line, t = find_line(os.path.join(d, path), text)
            negs.append({"path": path, "line": line, "text": t, "why": why})
        if negs:
            ent["negatives"] = negs
        out.append(ent)
    with open(os.path.join(HERE, "labels.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"labels.json: {sum(len(e['findings']) for e in out)} findings, {len(out)} entries")


if __name__ == "__main__":
    main()
