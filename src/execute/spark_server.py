"""A long-lived local Spark for `flowc test`, flowc's own tests, and anyone who wants one.

One Spark 3.5 driver (pyspark, Hive support, an embedded Derby metastore and a warehouse
in WORKDIR) that runs SQL sent by `flowc test` (src/execute/spark.rs, which embeds this
file and starts it from a temporary folder) or by `tests/spark/bin/spark-sql`, the client
that takes the command line Airflow's SparkSqlHook builds. Starting a JVM costs about 8 s
on two cores; a spark-sql process per task would cost that for every task and check, this
costs it once per run.

Usage (with the python of .venv/spark, made by scripts/spark-venv.sh):

    python src/execute/spark_server.py WORKDIR [--port N] [--thrift-port N] [--metastore] [--remove-on-exit]

Prints one line `{"port": N, "warehouse": DIR, "thrift_port": N|null,
"metastore_port": N|null}` on stdout once it accepts SQL, then serves until its stdin
is closed (so it dies with the process that started it) or it gets SIGTERM.
`--thrift-port` also starts Spark's Thrift server (HiveServer2, NOSASL, 127.0.0.1) in
the same driver, for JDBC tools and beeline. `--metastore` also serves the Hive
metastore's Thrift API (NOSASL, 127.0.0.1, a free port) over the same Derby database,
in the same JVM: what Airflow's Hive partition sensors ask.

The protocol, on 127.0.0.1:PORT, one JSON object per line each way:
    -> {"sql": TEXT, "conf": {KEY: VALUE}}
    <- {"ok": true, "output": [LINE, ...]} | {"ok": false, "error": MESSAGE}
TEXT may hold several statements; they run in order, in a new Spark session per
request (its own SQL conf and temporary views, like a spark-sql process), and stop at
the first failure. `output` is each query's rows as spark-sql prints them (Hive's
result format: tab-separated, NULL for nulls).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import socketserver
import sys
import threading
import time


def split_statements(text):
    """The statements of a SQL text, split at `;` outside quotes, backquotes and
    comments, the way spark-sql splits its input."""
    statements, current = [], []
    i, n = 0, len(text)
    quote = None
    while i < n:
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\" and quote != "`" and i + 1 < n:
                current.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            current.append(text[i:end])
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            current.append(text[i:end])
            i = end
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s for s in statements if strip_comments(s).strip()]


def strip_comments(statement):
    lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
    return "\n".join(lines)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(spark):
    jvm = spark._jvm

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for raw in self.rfile:
                try:
                    request = json.loads(raw)
                    reply = run(request.get("sql", ""), request.get("conf") or {})
                except Exception as error:  # a bad request, not a Spark error
                    reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
                self.wfile.write((json.dumps(reply) + "\n").encode())
                self.wfile.flush()

    def run(text, conf):
        session = spark.newSession()
        output = []
        for key, value in conf.items():
            session.conf.set(key, value)
        for statement in split_statements(text):
            try:
                frame = session.sql(statement)
                plan = frame._jdf.queryExecution().executedPlan()
                lines = jvm.org.apache.spark.sql.execution.HiveResult.hiveResultString(plan)
                output.extend(lines.mkString("\n").split("\n") if lines.nonEmpty() else [])
            except Exception as error:
                return {"ok": False, "error": spark_error(error), "output": output}
        return {"ok": True, "output": output}

    return Handler


def spark_error(error):
    """What spark-sql prints for a failed statement: Spark's message, and for a job
    that failed, the exception that failed it (e.g. `raise_error`'s), not the trace."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return str(getattr(error, "desc", None) or error).strip()
    root = java
    while root.getCause() is not None:
        root = root.getCause()
    return str(root.toString()).strip()


def start_spark(workdir, thrift_port, throwaway):
    from pyspark.sql import SparkSession

    warehouse = os.path.join(workdir, "warehouse")
    metastore = os.path.join(workdir, "metastore_db")
    os.makedirs(warehouse, exist_ok=True)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("flowc-local-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={metastore};create=true")
        .config("spark.driver.extraJavaOptions", java_options(workdir, throwaway))
        .config("spark.sql.shuffle.partitions", "2")
        # Partitions written as Hive writes them, so a file a sync writes and a
        # partition Spark adds agree on the folder.
        .config("hive.exec.dynamic.partition.mode", "nonstrict")
        .enableHiveSupport()
    )
    if thrift_port:
        builder = (
            builder.config("spark.hadoop.hive.server2.thrift.port", str(thrift_port))
            .config("spark.hadoop.hive.server2.thrift.bind.host", "127.0.0.1")
            .config("spark.hadoop.hive.server2.authentication", "NOSASL")
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # The metastore initialises on first use: pay for it before saying ready.
    spark.sql("SHOW DATABASES").collect()
    if thrift_port:
        spark._jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(spark._jsparkSession.sqlContext())
    return spark, warehouse


def java_options(workdir, throwaway):
    """The driver's Java options: Derby's files in WORKDIR; the JIT's quick compiler
    only (`TieredStopAtLevel=1`): the statements a local Spark runs are many and small,
    so Spark's time goes to planning code the optimising compiler would spend more CPU
    compiling than it saves (measured: `flowc test` on the example used 38% less CPU).
    For a metastore removed when the server stops, no disk sync on each commit (Derby's
    `test` durability), which makes every CREATE, INSERT and DROP several times faster.
    A kept WORKDIR keeps Derby's default, so a crash cannot corrupt it."""
    options = f"-Dderby.system.home={workdir} -XX:TieredStopAtLevel=1"
    if throwaway:
        options += " -Dderby.system.durability=test"
    return options


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_metastore(spark, workdir, warehouse):
    """The Hive metastore Thrift service of Hive 2.3 (in Spark's jars), on the Derby
    database the Spark catalog uses; returns its port once it accepts connections."""
    jvm = spark._jvm
    conf = jvm.org.apache.hadoop.hive.conf.HiveConf()
    conf.set("javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={workdir}/metastore_db;create=true")
    conf.set("hive.metastore.warehouse.dir", warehouse)
    conf.set("hive.metastore.schema.verification", "false")
    bridge = jvm.org.apache.hadoop.hive.shims.ShimLoader.getHadoopThriftAuthBridge()
    port = free_port()
    # startMetaStore serves until the JVM exits: give it a thread of its own.
    threading.Thread(
        target=jvm.org.apache.hadoop.hive.metastore.HiveMetaStore.startMetaStore,
        args=(port, bridge, conf),
        daemon=True,
    ).start()
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the metastore did not start on port {port}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--thrift-port", type=int, default=0)
    parser.add_argument("--metastore", action="store_true")
    parser.add_argument("--remove-on-exit", action="store_true", help="delete WORKDIR when it stops")
    args = parser.parse_args(argv)
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)  # derby.log and stray metastore files stay in the work folder
    spark, warehouse = start_spark(workdir, args.thrift_port, args.remove_on_exit)
    metastore_port = start_metastore(spark, workdir, warehouse) if args.metastore else None
    server = Server(("127.0.0.1", args.port), make_handler(spark))
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready = {"port": port, "warehouse": warehouse, "thrift_port": args.thrift_port or None}
    ready["metastore_port"] = metastore_port
    print(json.dumps(ready), flush=True)

    def stop(*_):
        server.shutdown()
        spark.stop()
        if args.remove_on_exit:
            shutil.rmtree(workdir, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    # Serve until whoever started us goes away.
    sys.stdin.read()
    stop()


if __name__ == "__main__":
    main(sys.argv[1:])
