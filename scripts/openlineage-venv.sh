#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment with OpenLineage's own
# client, openlineage-python (pinned, every file hash-checked by
# tests/openlineage/requirements.lock), that the tests validate flowc's OpenLineage
# events with (tests/openlineage/validate.py). Idempotent: a venv whose stamp matches
# the lock and this script is reused as is (scripts/lib/pinned-venv.sh).
#   .venv/openlineage   openlineage-python 1.54.0 and its dependencies
# To move the pin: edit tests/openlineage/requirements.in, then
#   uv pip compile --python-version 3.11 --generate-hashes --no-header \
#     tests/openlineage/requirements.in -o tests/openlineage/requirements.lock
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/pinned-venv.sh
source scripts/lib/pinned-venv.sh
pinned_venv openlineage tests/openlineage/requirements.lock "$script"
