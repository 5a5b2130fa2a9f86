#!/usr/bin/env bash
# eval.sh [CORPUS] — fetch the labelled corpus (npm + pip) and score harvest-scan against it.
# The kit (labels, scorer, fetch script) is scanner/eval/kit/; EVAL_KIT=DIR uses another one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=${EVAL_KIT:-$here/eval/kit}
corpus=${1:-/tmp/corpus}
target=${CARGO_TARGET_DIR:-$here/../target}
(cd "$here/.." && cargo build -q -p harvest-scan)
bash "$kit/fetch-corpus.sh" "$corpus"
python3 "$kit/score.py" --labels "$kit/labels.json" --corpus "$corpus" \
  --scanner "$target/debug/harvest-scan --format json"
