#!/usr/bin/env bash
# Creates (once) and reuses the Python virtual environments with pinned Airflow
# 2.10.5 and 3.3.2 that the rendering tests load DAG files in. Idempotent: a venv whose
# stamp matches its lock list is reused as is.
#   .venv/airflow-2.10   apache-airflow 2.10.5 + providers, constraints tests/airflow/locks/airflow-2.10.5-py3.11.txt
#   .venv/airflow-3      apache-airflow 3.3.2  + providers, constraints tests/airflow/locks/airflow-3.3.2-py3.11.txt
# The Spark and Hive providers are installed without their dependencies: importing
# their operators and sensors does not import pyspark (about 490 MB alone), and of the
# Hive clients only the metastore's (hmsclient and thrift, pinned here: the Airflow
# constraints do not list them) is needed, by NamedHivePartitionSensor when the tests
# run it against the local Spark's metastore.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
root="$PWD/.venv"
mkdir -p "$root"
python="${FLOWC_PYTHON:-python3}"

# shellcheck source=scripts/uv.sh
source scripts/uv.sh

make_venv() {
  local name=$1 airflow=$2 lock=$3; shift 3
  local venv="$root/$name" stamp
  # Contents only: the path the script is started by (relative, absolute) must not matter.
  stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
  if [ -f "$venv/.flowc-stamp" ] && [ "$(cat "$venv/.flowc-stamp")" = "$stamp" ]; then
    echo "airflow venv $name: up to date"
    return
  fi
  echo "airflow venv $name: installing apache-airflow==$airflow"
  rm -rf "$venv"
  $uv venv --quiet --python "$python" "$venv"
  # Airflow and the providers in one command, so a provider cannot upgrade Airflow.
  $uv pip install --quiet --python "$venv/bin/python" -c "$lock" "apache-airflow==$airflow" "$@"
  $uv pip install --quiet --python "$venv/bin/python" --no-deps -c "$lock" \
    apache-airflow-providers-apache-spark apache-airflow-providers-apache-hive \
    hmsclient==0.1.1 thrift==0.22.0
  # This environment sets PYTHONDONTWRITEBYTECODE; compile once so DAG loads stay fast.
  "$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null 2>&1 || true
  echo "$stamp" > "$venv/.flowc-stamp"
}

make_venv airflow-2.10 2.10.5 tests/airflow/locks/airflow-2.10.5-py3.11.txt \
  apache-airflow-providers-standard apache-airflow-providers-apache-kylin \
  apache-airflow-providers-common-sql apache-airflow-providers-http "universal-pathlib<0.3" \
  apache-airflow-providers-smtp apache-airflow-providers-slack apache-airflow-providers-dingding \
  apache-airflow-providers-sftp
make_venv airflow-3 3.3.2 tests/airflow/locks/airflow-3.3.2-py3.11.txt \
  apache-airflow-providers-standard apache-airflow-providers-apache-kylin \
  apache-airflow-providers-common-sql apache-airflow-providers-http \
  apache-airflow-providers-smtp apache-airflow-providers-slack apache-airflow-providers-dingding \
  apache-airflow-providers-sftp
