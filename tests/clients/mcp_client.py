"""Drives PyPI open-greenhouse-mcp 0.3.3, unchanged, against harvest-proxy.

Usage: python mcp_client.py BASE_URL API_KEY PER_PAGE
Calls its list functions for candidates, applications and jobs through
GreenhouseClient(api_key=KEY), following every page (paginate="all").
"""
import asyncio
import json
import sys

import greenhouse_mcp.client as gc

base, key, per_page = sys.argv[1], sys.argv[2], int(sys.argv[3])
gc.HARVEST_BASE = base.rstrip("/") + "/v1"
gc._INTER_PAGE_DELAY = 0  # the client sleeps between pages; no rate limit to respect here

from greenhouse_mcp.harvest.applications import list_applications  # noqa: E402
from greenhouse_mcp.harvest.candidates import list_candidates  # noqa: E402
from greenhouse_mcp.harvest.jobs import list_jobs  # noqa: E402


async def main():
    client = gc.GreenhouseClient(api_key=key)
    out = {}
    try:
        for name, fn in (("candidates", list_candidates), ("applications", list_applications), ("jobs", list_jobs)):
            res = await fn(client, per_page=per_page, paginate="all")
            if "items" not in res:
                raise SystemExit(f"{name}: client reported an error: {res}")
            out[name] = [r["id"] for r in res["items"]]
        single = await list_candidates(client, per_page=per_page, page=2)
        out["page2"] = [r["id"] for r in single["items"]]
        out["page2_has_next"] = single["has_next"]
    finally:
        await client.close()
    print(json.dumps(out))


asyncio.run(main())
