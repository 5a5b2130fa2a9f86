#!/usr/bin/env bash
# Nightly export of recruiting data.
set -euo pipefail
: "${GREENHOUSE_KEY:?}"

curl -sf -u "$GREENHOUSE_KEY:" "https://harvest.greenhouse.io/v1/candidates?per_page=500" > candidates.json
curl -sf "https://$GREENHOUSE_KEY:@harvest.greenhouse.io/v1/users?per_page=500" > users.json
curl -sf -u "$GREENHOUSE_KEY:" -X PATCH -H "On-Behalf-Of: 4242" \
  -d '{"status":"closed"}' "https://harvest.greenhouse.io/v1/jobs/$JOB_ID"
curl -sf "https://boards-api.greenhouse.io/v1/boards/acme/jobs" > board.json
