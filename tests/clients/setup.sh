#!/usr/bin/env bash
# Installs the three real legacy clients the proxy is tested against, from their registries,
# into target/clients/ (idempotent; safe to run again). Needs python3 (with venv) and npm.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="${HARVEST_CLIENTS_DIR:-$root/target/clients}"
mkdir -p "$dest"
stamp="$dest/.installed-v1"
if [[ -f "$stamp" ]]; then
  exit 0
fi
if [[ ! -x "$dest/venv/bin/python" ]]; then
  python3 -m venv "$dest/venv"
fi
"$dest/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "grnhse-api==0.1.1" "six" "open-greenhouse-mcp==0.3.3"
mkdir -p "$dest/node"
( cd "$dest/node" && [[ -f package.json ]] || echo '{"name":"harvest-bridge-clients","private":true}' > package.json )
npm install --prefix "$dest/node" --no-audit --no-fund --loglevel=error "@pipedream/greenhouse@1.2.0" >/dev/null
touch "$stamp"
echo "real clients installed in $dest"
