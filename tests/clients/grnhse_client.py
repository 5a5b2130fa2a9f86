"""Drives PyPI grnhse-api 0.1.1, unchanged, against harvest-proxy.

Usage: python grnhse_client.py BASE_URL API_KEY PER_PAGE
Prints {"candidates": [ids], "applications": [ids], "jobs": [ids], "pages": {...}} as JSON.
The client follows the proxy's Link headers verbatim (HarvestObject.get_next).
"""
import json
import sys

import grnhse.harvest.versions as versions

base, key, per_page = sys.argv[1], sys.argv[2], int(sys.argv[3])
versions.api_versions["v1"]["base"] = base.rstrip("/") + "/v1/"

from grnhse import Harvest  # noqa: E402  (import after the base URL is set, as documented)

h = Harvest(key)
out = {"pages": {}}
for name in ("candidates", "applications", "jobs"):
    endpoint = getattr(h, name)
    ids, pages = [], 0
    for rec in endpoint.get(per_page=per_page):
        ids.append(rec["id"])
    pages += 1
    while endpoint.records_remaining:
        batch = endpoint.get_next()
        pages += 1
        ids.extend(r["id"] for r in batch)
    out[name] = ids
    out["pages"][name] = pages
# One retrieve through the client's own single-record route.
first = out["candidates"][0]
one = h.candidates.get(first)
out["retrieved"] = {"id": one["id"], "keys": list(one.keys())}
print(json.dumps(out))
