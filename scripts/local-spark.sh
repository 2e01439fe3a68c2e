#!/usr/bin/env bash
# A local Spark 3.5 to run flowc's SQL on: `flowc ddl` output, `flowc run`, or the
# compiled DAGs' SQL. One long-lived Spark driver with Hive support, an embedded Derby
# metastore and a warehouse under WORKDIR (default .flowc-spark/, kept between runs).
#   scripts/local-spark.sh [WORKDIR]
# Needs Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) and Python
# 3.11; installs pyspark into .venv/spark the first time (scripts/spark-venv.sh).
# Then, in another shell, run SQL with the spark-sql client of tests/spark/bin:
#   export FLOWC_SPARK=127.0.0.1:PORT PATH="$PWD/tests/spark/bin:$PATH"
#   spark-sql -e 'SHOW DATABASES'
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
workdir="${1:-.flowc-spark}"
bash scripts/spark-venv.sh >&2
echo "starting Spark (about 10 s) in $workdir ..." >&2
# The server serves until its stdin closes: keep it open until Ctrl-C.
tail -f /dev/null | .venv/spark/bin/python src/execute/spark_server.py "$workdir" --thrift-port "${FLOWC_SPARK_THRIFT_PORT:-10000}" |
  while read -r line; do
    port=$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')
    echo "local Spark ready; JDBC (beeline, NOSASL) on 127.0.0.1:${FLOWC_SPARK_THRIFT_PORT:-10000}. In another shell:"
    echo "  export FLOWC_SPARK=127.0.0.1:$port PATH=\"$PWD/tests/spark/bin:\$PATH\""
  done
