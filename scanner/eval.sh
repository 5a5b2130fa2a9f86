#!/usr/bin/env bash
# eval.sh [CORPUS] — fetch the labelled corpus (npm + pip) and score harvest-scan against it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=${EVAL_KIT:-$here/../../shared/eval/scanner}
corpus=${1:-/tmp/corpus}
(cd "$here/.." && cargo build -q -p harvest-scan)
bash "$kit/fetch-corpus.sh" "$corpus"
python3 "$kit/score.py" --labels "$kit/labels.json" --corpus "$corpus" \
  --scanner "$here/../target/debug/harvest-scan --format json"
