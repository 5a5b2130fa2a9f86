#!/usr/bin/env bash
# run.sh [CORPUS [SCANNER]] — fetches the published packages of this part of the own set
# (default CORPUS /tmp/own-registry) and scores harvest-scan on them with the kit's score.py.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=$here/../../kit
corpus=${1:-/tmp/own-registry}
target=${CARGO_TARGET_DIR:-$here/../../../../target}
scanner=${2:-$target/debug/harvest-scan --format json}
bash "$here/fetch.sh" "$corpus" >&2
python3 "$kit/score.py" --labels "$here/labels.json" --corpus "$corpus" --scanner "$scanner"
