#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment with maturin, pinned and
# every file hash-checked by tests/wheel/requirements.lock: the tool that builds
# flowc's wheel (pyproject.toml). The wheel test builds with it; a release builds with
# the same version (.github/workflows/release.yml). Idempotent: a venv whose stamp
# matches the lock and this script is reused as is.
#   .venv/maturin   maturin
# To move the pin: edit tests/wheel/requirements.in, then
#   uv pip compile --python-version 3.11 --generate-hashes --no-header \
#     tests/wheel/requirements.in -o tests/wheel/requirements.lock
# and the version in release.yml.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
root="$PWD/.venv"
mkdir -p "$root"
python="${FLOWC_PYTHON:-python3}"
lock=tests/wheel/requirements.lock

# shellcheck source=scripts/uv.sh
source scripts/uv.sh

venv="$root/maturin"
# Contents only: the path the script is started by (relative, absolute) must not matter.
stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
if [ -f "$venv/.flowc-stamp" ] && [ "$(cat "$venv/.flowc-stamp")" = "$stamp" ]; then
  echo "maturin venv: up to date"
  exit 0
fi
echo "maturin venv: installing maturin from $lock"
rm -rf "$venv"
$uv venv --quiet --python "$python" "$venv"
$uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
echo "$stamp" > "$venv/.flowc-stamp"
