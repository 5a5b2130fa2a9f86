#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET/, not committed) from the repository: the golden
# cases' requests and v3 fixtures, the mapping files, the scanner's fixtures, and a few
# Authorization headers. Needs bash, jq and base64. Usage: fuzz/seed.sh (from anywhere).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/fuzz/corpus"
mkdir -p "$out"/{basic_auth,legacy_query,mapping_loader,engine,scanner}

# basic_auth: headers as clients send them, and near misses.
n=0
auth() { printf '%s' "$1" > "$out/basic_auth/seed-$n"; n=$((n + 1)); }
for cred in 'key:' 'key' 'key:password' ':pw' 'a:b:c' 'ünï:' ' spaced :'; do
  b64="$(printf '%s' "$cred" | base64 -w0)"
  auth "Basic $b64"
  auth "basic  $b64 "
done
auth 'Bearer token'
auth 'Basic'
auth 'Basic !!!'

# legacy_query: byte 0 (even: text mode; bits 1.. the row count of v3), then the request.
# engine: two bytes picking the endpoint or view, one the mode, then the v3 JSON.
i=0
for f in "$root"/mappings/tests/golden/*.json "$root"/mappings/tests/golden_writes/*.json; do
  name="$(basename "$f" .json)"
  req="$(jq -r '.request // empty' "$f")"
  if [ -n "$req" ]; then
    { printf "\\x$(printf %02x $(( (i % 31) * 2 )))"; printf '%s' "$req"; } \
      > "$out/legacy_query/$name"
  fi
  if jq -e '.v3 | type == "object"' "$f" > /dev/null 2>&1; then
    { printf "\\x$(printf %02x $((i % 256)))\\x00\\x$(printf %02x $((i % 4)))"; jq -c '.v3' "$f"; } \
      > "$out/engine/$name"
  fi
  i=$((i + 1))
done

# mapping_loader: byte 0 even = the file alone; odd = it replaces embedded file (byte0 >> 1).
i=0
for f in "$root"/mappings/resources/*.toml; do
  name="$(basename "$f" .toml)"
  { printf '\x00'; cat "$f"; } > "$out/mapping_loader/$name-alone"
  { printf "\\x$(printf %02x $((i * 2 + 1)))"; cat "$f"; } > "$out/mapping_loader/$name-in-place"
  i=$((i + 1))
done

# scanner: byte 0 picks the language (the order of LANGS in fuzz_targets/scanner.rs).
lang_of() {
  case "$1" in
    py) echo 0 ;; js) echo 1 ;; ts) echo 2 ;; tsx) echo 3 ;; rb) echo 4 ;; go) echo 5 ;;
    php) echo 6 ;; java) echo 7 ;; kt|kts) echo 8 ;; cs) echo 9 ;; sh) echo 10 ;;
    rs) echo 11 ;; yaml|yml|raml) echo 12 ;; json) echo 13 ;; md) echo 14 ;; txt|env) echo 15 ;;
    *) echo "" ;;
  esac
}
i=0
while IFS= read -r -d '' f; do
  l="$(lang_of "${f##*.}")"
  [ -n "$l" ] || continue
  { printf "\\x$(printf %02x "$l")"; cat "$f"; } > "$out/scanner/fixture-$i"
  i=$((i + 1))
done < <(find "$root/scanner/tests/fixtures" -type f -size -16k -print0 | sort -z)

# Deep nesting (the scanner once overflowed its stack on it): Rust, Python, JavaScript.
rep() { printf "%.0s$1" $(seq "$2"); }
{ printf '\x0b'; printf 'fn f() { let x = '; rep '(' 2000; printf 1; rep ')' 2000; printf '; }\n'; } \
  > "$out/scanner/deep-rust-parens"
{ printf '\x0b'; printf 'fn f() { let x: '; rep 'Vec<' 1000; printf u8; rep '>' 1000; printf ' = 1; }\n'; } \
  > "$out/scanner/deep-rust-generics"
{ printf '\x00'; rep 'f(' 1000; printf "'https://harvest.greenhouse.io/v1/candidates'"; rep ')' 1000; } \
  > "$out/scanner/deep-python-calls"
{ printf '\x01'; rep '[' 2000; rep ']' 2000; } > "$out/scanner/deep-js-arrays"

for t in basic_auth legacy_query mapping_loader engine scanner; do
  echo "$t: $(find "$out/$t" -type f | wc -l) seeds"
done
