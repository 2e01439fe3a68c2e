#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environment holding the local Spark the
# tests run flowc's SQL on: pyspark 3.5 (pinned, every file hash-checked by
# tests/spark/requirements.lock), whose wheel carries Spark itself with Hive support,
# an embedded Derby metastore, the Thrift server and beeline. Spark needs a Java 17
# runtime on the PATH (Debian: `apt-get install openjdk-17-jre-headless`).
# Idempotent: a venv whose stamp matches the lock and this script is reused as is.
#   .venv/spark   a link to .venv/spark-<lock hash>: pyspark 3.5.x, py4j, pyarrow
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

# One venv per lock, named by its hash, and `.venv/spark` a link to the current one: a
# Spark started from an older lock keeps its files while a newer one is installed.
# Contents only: the path the script is started by (relative, absolute) must not matter.
stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
venv="$root/spark-$stamp"
if [ ! -f "$venv/.flowc-stamp" ]; then
  echo "spark venv: installing pyspark from $lock"
  rm -rf "$venv"
  $uv venv --quiet --python "$python" "$venv"
  $uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
  echo "$stamp" > "$venv/.flowc-stamp"
else
  echo "spark venv: up to date"
fi
# Atomically: a new link renamed over the old one (a directory left by an older
# version of this script is removed first).
if [ -d "$root/spark" ] && [ ! -L "$root/spark" ]; then rm -rf "$root/spark"; fi
ln -sfn "spark-$stamp" "$root/spark.new"
mv -T "$root/spark.new" "$root/spark"
