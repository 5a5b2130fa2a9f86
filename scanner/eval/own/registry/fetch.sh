#!/usr/bin/env bash
# fetch.sh DEST — downloads the published packages named in labels.json (beside this script) at
# their exact versions with the ordinary clients and unpacks each into DEST/<folder>/, so that
# file paths match the labels:
#   npm:NAME@VER   npm pack, the tarball's single top folder (package/) stripped
#   pypi:NAME@VER  the wheel, unzipped as is; a package with no wheel: its sdist, the single top
#                  folder (NAME-VER/) stripped
# Then every labelled line is checked (the kit's score.py --check). The packages' code is not
# kept in this repository (their licences differ): only the labels and this script.
set -euo pipefail
die() { echo "fetch: ERROR: $*" >&2; exit 1; }
[[ $# -eq 1 && -n "$1" ]] || die "usage: fetch.sh DEST"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=$here/../../kit
labels=$here/labels.json
mkdir -p "$1"
dest=$(cd "$1" && pwd)
python3 "$kit/score.py" --labels "$labels" --list | while IFS=$'\t' read -r folder source name ver repo; do
  [[ "$folder" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad folder $folder"
  if [[ -d "$dest/$folder" ]] &&
    python3 "$kit/score.py" --labels "$labels" --corpus "$dest" --check --only "$repo" >/dev/null 2>&1; then
    echo "fetch: $repo: up to date"
    continue
  fi
  tmp=$(mktemp -d)
  mkdir -p "$tmp/dl" "$tmp/out"
  case "$source" in
    npm)
      (cd "$tmp/dl" && npm pack --ignore-scripts --loglevel=error "$name@$ver" >/dev/null) || die "npm pack $name@$ver"
      tar -xzf "$tmp"/dl/*.tgz --no-same-owner --strip-components=1 -C "$tmp/out"
      ;;
    pypi)
      if python3 -m pip download --quiet --no-deps --only-binary :all: --ignore-requires-python \
        -d "$tmp/dl" "$name==$ver" 2>/dev/null; then
        python3 -m zipfile -e "$tmp"/dl/*.whl "$tmp/out"
      else
        python3 -m pip download --quiet --no-deps --ignore-requires-python -d "$tmp/dl" \
          "$name==$ver" || die "pip download $name==$ver"
        tar -xzf "$tmp"/dl/*.tar.gz --no-same-owner --strip-components=1 -C "$tmp/out"
      fi
      ;;
    *) die "$repo: not an npm or pypi entry" ;;
  esac
  rm -rf "${dest:?}/$folder"
  mv "$tmp/out" "$dest/$folder"
  rm -rf "$tmp"
  python3 "$kit/score.py" --labels "$labels" --corpus "$dest" --check --only "$repo" >/dev/null ||
    die "$repo: the unpacked files do not match the labels"
  echo "fetch: $repo: ready in $folder/"
done
