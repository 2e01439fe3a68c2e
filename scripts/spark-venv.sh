#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment holding the local Spark the
# tests run flowc's SQL on: pyspark 3.5 (pinned, every file hash-checked by
# tests/spark/requirements.lock), whose wheel carries Spark itself with Hive support,
# an embedded Derby metastore, the Thrift server and beeline. Spark needs a Java 17
# runtime on the PATH (Debian: `apt-get install openjdk-17-jre-headless`).
# Idempotent: a venv whose stamp matches the lock and this script is reused as is.
#   .venv/spark   pyspark 3.5.x and py4j
# To move the pin: edit tests/spark/requirements.in, then
#   uv pip compile --python-version 3.11 --generate-hashes --no-header \
#     tests/spark/requirements.in -o tests/spark/requirements.lock
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
root="$PWD/.venv"
mkdir -p "$root"
python="${FLOWC_PYTHON:-python3}"
lock=tests/spark/requirements.lock

if ! java -version >/dev/null 2>&1; then
  echo "spark venv: no Java runtime on the PATH; Spark 3.5 needs Java 17" >&2
  echo "  (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)" >&2
  exit 1
fi

# shellcheck source=scripts/uv.sh
source scripts/uv.sh

venv="$root/spark"
# Contents only: the path the script is started by (relative, absolute) must not matter.
stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
if [ -f "$venv/.flowc-stamp" ] && [ "$(cat "$venv/.flowc-stamp")" = "$stamp" ]; then
  echo "spark venv: up to date"
  exit 0
fi
echo "spark venv: installing pyspark from $lock"
rm -rf "$venv"
$uv venv --quiet --python "$python" "$venv"
$uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
echo "$stamp" > "$venv/.flowc-stamp"
