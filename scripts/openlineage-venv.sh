#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment with OpenLineage's own
# client, openlineage-python (pinned, every file hash-checked by
# tests/openlineage/requirements.lock), that the tests validate flowc's OpenLineage
# events with (tests/openlineage/validate.py). Idempotent: a venv whose stamp matches
# the lock and this script is reused as is.
#   .venv/openlineage   openlineage-python 1.54.0 and its dependencies
# To move the pin: edit tests/openlineage/requirements.in, then
#   uv pip compile --python-version 3.11 --generate-hashes --no-header \
#     tests/openlineage/requirements.in -o tests/openlineage/requirements.lock
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
root="$PWD/.venv"
mkdir -p "$root"
python="${FLOWC_PYTHON:-python3}"
lock=tests/openlineage/requirements.lock

# shellcheck source=scripts/uv.sh
source scripts/uv.sh

venv="$root/openlineage"
# Contents only: the path the script is started by (relative, absolute) must not matter.
stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
if [ -f "$venv/.flowc-stamp" ] && [ "$(cat "$venv/.flowc-stamp")" = "$stamp" ]; then
  echo "openlineage venv: up to date"
  exit 0
fi
echo "openlineage venv: installing openlineage-python from $lock"
rm -rf "$venv"
$uv venv --quiet --python "$python" "$venv"
$uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
echo "$stamp" > "$venv/.flowc-stamp"
