#!/usr/bin/env bash
# bench.sh [TREE] — wall time and peak RSS of harvest-scan against ripgrep searching the same
# literals (the scanner's prefilter markers) on a large tree (default: ~/.cargo/registry/src).
# Needs a release build (cargo build --release -p harvest-scan), rg and GNU time (/usr/bin/time).
# Each tool runs once to warm the page cache, then RUNS times; the best wall time is printed.
# SYMLINKED=1 builds and measures a tree with symlinked folders instead: a real copy of TREE
# plus two symlinks to it (a monorepo's aliases); neither tool follows them by default.
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
fi
runs=${RUNS:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scan=${HARVEST_SCAN:-$here/../target/release/harvest-scan}
[[ -x "$scan" ]] || { echo "bench: build first: cargo build --release -p harvest-scan" >&2; exit 2; }
command -v rg >/dev/null || { echo "bench: rg (ripgrep) is required" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (GNU time) is required" >&2; exit 2; }

files=$(find "$tree" -type f | wc -l)
size=$(du -sh "$tree" | cut -f1)
echo "tree: $tree ($files files, $size), $(nproc) cores, best of $runs"

measure() { # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1 || true
  local best="" rss=""
  for _ in $(seq "$runs"); do
    local out tf
    tf=$(mktemp)
    /usr/bin/time -v -o "$tf" "$@" >/dev/null 2>/dev/null || true
    out=$(cat "$tf"); rm -f "$tf"
    local wall r
    wall=$(printf '%s\n' "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    r=$(printf '%s\n' "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
    if [[ -z "$best" ]] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    if [[ -z "$rss" ]] || (( r > rss )); then rss=$r; fi
  done
  printf '%-44s wall %6.2fs   peak RSS %7.1f MB\n' "$name" "$best" "$(awk "BEGIN{print $rss/1024}")"
  echo "$best"  >"/tmp/bench.$name.wall"
}

# Same literals as the scanner's first pass, case-insensitive, every file (no ignore files, like
# the scanner walking a registry tree that has no .gitignore).
measure rg rg -i -l --no-ignore --hidden -e greenhouse -e on-behalf-of "$tree"
measure harvest-scan "$scan" --format json --all "$tree"
measure harvest-scan-default "$scan" --format json "$tree"
rg_t=$(cat /tmp/bench.rg.wall); hs_t=$(cat /tmp/bench.harvest-scan.wall)
hd_t=$(cat /tmp/bench.harvest-scan-default.wall)
echo "ratio harvest-scan --all / rg: $(awk "BEGIN{printf \"%.2f\", $hs_t/$rg_t}")"
echo "ratio harvest-scan (default) / rg: $(awk "BEGIN{printf \"%.2f\", $hd_t/$rg_t}")"
