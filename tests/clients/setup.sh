#!/usr/bin/env bash
# Installs the three real legacy clients the proxy is tested against, from their registries,
# into target/clients/ (or $HARVEST_CLIENTS_DIR). Needs python3 (with venv), npm and flock.
#
# Idempotent and safe to run concurrently or after an interrupted run:
# - the stamp file holds a hash of the package lists, so changing a list reinstalls;
# - installers run under an exclusive flock on $dest/.lock, and the stamp is checked again once
#   the lock is held (a concurrent run may have finished the work meanwhile);
# - the venv and node_modules are built in temporary folders beside their final place and then
#   renamed into it, so a half-made one is never left at the final path; the stamp is written
#   last, so anything without a matching stamp is rebuilt from scratch.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="${HARVEST_CLIENTS_DIR:-$root/target/clients}"

py_pkgs=("grnhse-api==0.1.1" "six" "open-greenhouse-mcp==0.3.3")
npm_pkgs=("@pipedream/greenhouse@1.2.0")

# Bump the leading tag when the way things are installed changes.
version=$(printf '%s\n' layout-2 "${py_pkgs[@]}" -- "${npm_pkgs[@]}" | sha256sum | cut -c1-16)
stamp="$dest/.installed"

installed() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$version" ]] &&
    [[ -x "$dest/venv/bin/python" ]] &&
    [[ -f "$dest/node/node_modules/@pipedream/greenhouse/package.json" ]]
}

installed && exit 0

mkdir -p "$dest"
exec 9>"$dest/.lock"
flock -w 1800 9 || { echo "setup.sh: timed out waiting for $dest/.lock" >&2; exit 1; }
installed && exit 0

rm -f "$stamp"
# Leftovers of interrupted runs (no other run is building: we hold the lock).
rm -rf "$dest"/.venv.tmp.* "$dest"/.node.tmp.* "$dest"/.old.* "$dest/.installed-v1"
tmp_venv="$dest/.venv.tmp.$$"
tmp_node="$dest/.node.tmp.$$"
old="$dest/.old.$$"
trap 'rm -rf "$tmp_venv" "$tmp_node" "$old" "$stamp.tmp.$$"' EXIT

# replace FINAL NEW: puts NEW at FINAL (renames; whatever was at FINAL is removed).
replace() {
  if [[ -e "$1" || -L "$1" ]]; then
    mv -T "$1" "$old"
  fi
  mv -T "$2" "$1"
  rm -rf "$old"
}

# Python: a fresh venv, renamed into place before pip runs so that the scripts pip writes name
# the final path. Without the stamp it is never reused: an interrupted pip is simply redone.
python3 -m venv "$tmp_venv" 9>&-
replace "$dest/venv" "$tmp_venv"
"$dest/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${py_pkgs[@]}" 9>&-

# Node: installed completely in a temporary folder, then renamed into place.
mkdir -p "$tmp_node"
echo '{"name":"harvest-bridge-clients","private":true}' >"$tmp_node/package.json"
npm install --prefix "$tmp_node" --no-audit --no-fund --loglevel=error "${npm_pkgs[@]}" >/dev/null 9>&-
replace "$dest/node" "$tmp_node"

echo "$version" >"$stamp.tmp.$$"
mv -f "$stamp.tmp.$$" "$stamp"
echo "real clients installed in $dest"
