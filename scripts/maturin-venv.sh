#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment with maturin, pinned and
# every file hash-checked by tests/wheel/requirements.lock: the tool that builds
# flowc's wheel (pyproject.toml). The wheel test builds with it; a release builds with
# the same version (MATURIN_VERSION in .github/workflows/release.yml).
#   .venv/maturin   maturin
# To move the pin: edit tests/wheel/requirements.in, then
#   uv pip compile --python-version 3.11 --generate-hashes --no-header \
#     tests/wheel/requirements.in -o tests/wheel/requirements.lock
# and MATURIN_VERSION in release.yml.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/pinned-venv.sh
source scripts/lib/pinned-venv.sh
pinned_venv maturin tests/wheel/requirements.lock "$script"
