#!/usr/bin/env bash
# Runs fuzz targets one after the other, each for SECONDS (default 600), at the lowest CPU
# priority, on the stable toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz's nightly flags
# through). Seeds the corpora first when they are missing. Each run's libFuzzer log is kept in
# fuzz/logs/TARGET.log and its final figures are printed; a crash, timeout or OOM input lands in
# fuzz/artifacts/TARGET/ and makes the script exit non-zero.
#
# Usage: fuzz/run.sh [SECONDS [TARGET...]]   (targets: basic_auth legacy_query mapping_loader
#        engine scanner; default: all). Extra libFuzzer flags: FUZZ_FLAGS="-max_len=8192".
#        No AddressSanitizer: SANITIZER=none (cargo fuzz -s none).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(basic_auth legacy_query mapping_loader engine scanner)
export RUSTC_BOOTSTRAP=1
cd "$here"
[ -d corpus ] || ./seed.sh
mkdir -p logs
status=0
for t in "${targets[@]}"; do
  echo "== $t: ${secs}s"
  mkdir -p "corpus/$t"
  # -jobs=1 -workers=1: one fuzzing process, its output in fuzz-0.log (moved to logs/).
  nice -n 19 cargo fuzz run -s "${SANITIZER:-address}" "$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -jobs=1 -workers=1 ${FUZZ_FLAGS:-} > "logs/$t.cargo.log" 2>&1
  rc=$?
  [ -f fuzz-0.log ] && mv fuzz-0.log "logs/$t.log"
  grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "logs/$t.log" 2>/dev/null | tail -1
  grep -E '^(stat::|Done )' "logs/$t.log" 2>/dev/null
  if [ $rc -ne 0 ] || grep -qE 'ERROR: libFuzzer|==ERROR|panicked' "logs/$t.log" 2>/dev/null; then
    echo "!! $t failed (exit $rc): see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    status=1
  fi
done
exit $status
