#!/usr/bin/env bash
# run.sh [SCANNER [score.py options]] — scores harvest-scan on this labelled set with the kit's
# score.py. Default scanner: the debug build of the workspace (CARGO_TARGET_DIR respected).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=$here/../kit
target=${CARGO_TARGET_DIR:-$here/../../../target}
scanner=${1:-$target/debug/harvest-scan --format json}
python3 "$here/spec.py" >/dev/null
python3 "$kit/score.py" --labels "$here/labels.json" --corpus "$here/trees" --check >/dev/null
python3 "$kit/score.py" --labels "$here/labels.json" --corpus "$here/trees" --scanner "$scanner" "${@:2}"
