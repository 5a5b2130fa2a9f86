#!/usr/bin/env bash
# bench.sh [TREE] — wall time and peak RSS of harvest-scan against ripgrep searching the same
# literals (the scanner's prefilter markers) on a large tree (default: ~/.cargo/registry/src).
# Needs a release build (cargo build --release -p harvest-scan), rg and GNU time (/usr/bin/time).
# Each tool runs once to warm the page cache, then RUNS times, the two tools alternating so that
# both see the same machine load; the best and the median wall time are printed, and the ratio
# of the best times.
#   SYMLINKED=1  a tree with symlinked folders instead: a real copy of TREE plus two symlinks to
#                it (a monorepo's aliases); neither tool follows them by default.
#   SMALL=N      a tree of N small files (default 60000, ~300 bytes each, 20 per folder, a few
#                of them naming Greenhouse) instead.
set -euo pipefail
tree=${1:-$HOME/.cargo/registry/src}
if [[ -n "${SYMLINKED:-}" ]]; then
  sym=${TMPDIR:-/tmp}/harvest-scan-symtree
  if [[ ! -d $sym/real ]]; then
    mkdir -p "$sym/links"
    cp -r "$tree" "$sym/real"
    ln -s ../real "$sym/links/a"
    ln -s ../real "$sym/links/b"
  fi
  tree=$sym
elif [[ -n "${SMALL:-}" ]]; then
  n=$SMALL; [[ $n =~ ^[0-9]+$ && $n -gt 1 ]] || n=60000
  small=${TMPDIR:-/tmp}/harvest-scan-small-$n
  if [[ ! -f $small/.done ]]; then
    rm -rf "$small"
    python3 - "$small" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
body = "".join(f"def f{k}(x):\n    return x * {k}  # plain helper\n" for k in range(6))
for i in range(n):
    d = os.path.join(root, f"pkg{i // 2000}", f"mod{(i // 20) % 100}")
    os.makedirs(d, exist_ok=True)
    extra = 'URL = "https://harvest.greenhouse.io/v1/jobs"\n' if i % 5000 == 0 else ""
    with open(os.path.join(d, f"m{i}.py"), "w") as f:
        f.write(extra + body)
PY
    touch "$small/.done"
  fi
  tree=$small
fi
runs=${RUNS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scan=${HARVEST_SCAN:-${CARGO_TARGET_DIR:-$here/../target}/release/harvest-scan}
[[ -x "$scan" ]] || { echo "bench: build first: cargo build --release -p harvest-scan" >&2; exit 2; }
command -v rg >/dev/null || { echo "bench: rg (ripgrep) is required" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (GNU time) is required" >&2; exit 2; }

files=$(find "$tree" -type f | wc -l)
size=$(du -sh "$tree" | cut -f1)
echo "tree: $tree ($files files, $size), $(nproc) cores, best of $runs"

# Same literals as the scanner's first pass, case-insensitive, every file (no ignore files, like
# the scanner walking a registry tree that has no .gitignore).
names=(rg harvest-scan harvest-scan-default)
cmds=(
  "rg -i -l --no-ignore --hidden -e greenhouse -e on-behalf-of $tree"
  "$scan --format json --all $tree"
  "$scan --format json $tree"
)
declare -A walls rss
for k in 0 1 2; do ${cmds[$k]} >/dev/null 2>&1 || true; walls[$k]=""; rss[$k]=0; done
for _ in $(seq "$runs"); do
  for k in 0 1 2; do
    tf=$(mktemp)
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$tf" ${cmds[$k]} >/dev/null 2>/dev/null || true
    t1=$EPOCHREALTIME
    walls[$k]="${walls[$k]} $(awk "BEGIN{print $t1 - $t0}")"
    r=$(tail -1 "$tf"); rm -f "$tf"
    (( r > rss[$k] )) && rss[$k]=$r
  done
done
declare -A best
for k in 0 1 2; do
  read -r b m < <(tr ' ' '\n' <<<"${walls[$k]}" | grep . | sort -g | awk '{a[NR]=$1} END{print a[1], a[int((NR+1)/2)]}')
  best[$k]=$b
  printf '%-22s best %6.3fs  median %6.3fs   peak RSS %7.1f MB\n' "${names[$k]}" "$b" "$m" "$(awk "BEGIN{print ${rss[$k]}/1024}")"
done
echo "ratio harvest-scan --all / rg: $(awk "BEGIN{printf \"%.2f\", ${best[1]}/${best[0]}}")"
echo "ratio harvest-scan (default) / rg: $(awk "BEGIN{printf \"%.2f\", ${best[2]}/${best[0]}}")"
