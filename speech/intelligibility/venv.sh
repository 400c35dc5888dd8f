#!/usr/bin/env bash
# Creates (or reuses) the intelligibility tool's virtualenv under target/ from the pinned
# requirements.txt and prints its python. Re-installs when requirements.txt changes.
# Needs python3 with venv (scripts/install-deps installs python3-venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/speech/intelligibility"
venv="${KODE_INTELLIGIBILITY_VENV:-$root/target/intelligibility/venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "intelligibility: installing the pinned Python environment in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-deps -r "$here/requirements.txt" >&2
  "$venv/bin/python" -m pip check >&2
  echo "$want" >"$stamp"
fi
echo "$venv/bin/python"
