#!/usr/bin/env python3
"""The HTTP systems the example's DAGs call besides Spark and DataX, for the end-to-end test.

    python3 tests/spark/services.py [--record FILE] [--published 20240305,...]
                                    [--gateway-load CMD]

Starts three local HTTP servers on free ports of 127.0.0.1 and prints one JSON line,
{"alerts": PORT, "gateway": PORT, "kylin": PORT}; they stop when standard input closes (or on SIGTERM).
Standard library only. Every request is recorded, in arrival order, as
{"service", "method", "path", "query", "body"} (the body parsed as JSON when it is JSON):
GET /_requests on either server returns the list, and --record FILE appends each one to
FILE as a JSON line, so a test can assert what the real operators asked.

kylin — Apache Kylin's v1 REST API (prefix /kylin/api), as much of it as Airflow's
KylinCubeOperator (through kylinpy) uses to build a cube segment and track its job:

    GET  /kylin/api/cube_desc/<cube>/desc      the cube (any name), on model <cube>_model
    GET  /kylin/api/models                     that model (a fact table, no lookups)
    GET  /kylin/api/tables_and_columns         no tables
    PUT  /kylin/api/cubes/<cube>/build         {"startTime", "endTime", "buildType"}: a new
                                               job, {"uuid", "name", "job_status": "PENDING"}
    GET  /kylin/api/jobs/<uuid>                {"uuid", "job_status": "FINISHED"}

The startTime/endTime of a build are what the test asserts: the business date's day in
milliseconds since the epoch (UTC midnight to midnight, Kylin's segment of a date
partition). A build whose buildType is not BUILD, MERGE or REFRESH, or whose times are
missing or not end > start, answers 400 like Kylin. Basic auth is accepted as sent.

gateway — the card network's chargeback gateway the `wait_chargeback_batch` HttpSensor polls:

    GET /v1/chargeback-batches/<yyyyMMdd>/status

answers 200 {"batch": DATE, "status": "PUBLISHED"} once the batch of DATE is published:
every date, or only those of --published. Before its first 200 for a date, the gateway
loads that batch into the warehouse, as the real one does: --gateway-load CMD is run with
the date (yyyyMMdd) as its last argument (through the shell: CMD "$1"), e.g. a spark-sql
client loading tests/fixtures/.../tables/ods.pay_chargeback_batch.json; if CMD fails, the
gateway answers 503 and tries again on the next poke. Unpublished dates answer 404.

alerts — where failure alerts go (the run with a planted strong violation fails tasks,
and their on_failure_callback posts): the DingTalk robot API the dingding provider's hook
calls (POST /robot/send?access_token=TOKEN with the message as JSON; answers
{"errcode": 0}, or errcode 300001 without a token), and any other POST (a Slack
incoming webhook: answers "ok"). Point the connections dingtalk_dw_dev (host
http://127.0.0.1:PORT, password: any token) and slack_dw_dev at it.
"""

import argparse
import json
import re
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
REQUESTS = []
JOBS = {}
LOADED = set()
BUILD_TYPES = ("BUILD", "MERGE", "REFRESH")


class Handler(BaseHTTPRequestHandler):
    service = "?"
    options = None

    def log_message(self, *_args):
        pass

    def _record(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        entry = {"service": self.service, "method": method, "path": parts.path,
                 "query": {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()},
                 "body": body}
        if parts.path != "/_requests":
            with LOCK:
                REQUESTS.append(entry)
                if self.options.record:
                    with open(self.options.record, "a", encoding="utf-8") as file:
                        file.write(json.dumps(entry, sort_keys=True) + "\n")
        return entry

    def _answer(self, status, document):
        data = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method):
        entry = self._record(method)
        if entry["path"] == "/_requests" and method == "GET":
            with LOCK:
                return self._answer(200, list(REQUESTS))
        status, document = self.route(method, entry)
        self._answer(status, document)

    def do_GET(self):
        self._handle("GET")

    def do_PUT(self):
        self._handle("PUT")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


class Kylin(Handler):
    service = "kylin"

    def route(self, method, entry):
        path = entry["path"]
        if not path.startswith("/kylin/api/"):
            return 404, {"exception": "not found: %s" % path}
        rest = path[len("/kylin/api/"):].strip("/")
        found = re.fullmatch(r"cube_desc/([^/]+)/desc", rest)
        if method == "GET" and found:
            cube = found.group(1)
            return 200, {"name": cube, "model_name": cube + "_model", "dimensions": [], "measures": []}
        if method == "GET" and rest == "models":
            cube_models = sorted({e["path"].split("/")[4] + "_model" for e in REQUESTS
                                  if e["service"] == "kylin" and "/cube_desc/" in e["path"]})
            return 200, [{"name": name, "fact_table": "DEFAULT.FACT", "lookups": []} for name in cube_models]
        if method == "GET" and rest == "tables_and_columns":
            return 200, []
        found = re.fullmatch(r"cubes/([^/]+)/build", rest)
        if method == "PUT" and found:
            body = entry["body"] if isinstance(entry["body"], dict) else {}
            start, end, kind = body.get("startTime"), body.get("endTime"), body.get("buildType")
            if kind not in BUILD_TYPES:
                return 400, {"exception": "Unsupported build type: %s" % kind}
            if not isinstance(start, int) or not isinstance(end, int) or end <= start:
                return 400, {"exception": "bad segment range: %s..%s" % (start, end)}
            job = str(uuid.uuid4())
            with LOCK:
                JOBS[job] = {"uuid": job, "name": "%s - %s" % (found.group(1), kind), "cube": found.group(1),
                             "job_status": "FINISHED"}
            return 200, {"uuid": job, "name": JOBS[job]["name"], "job_status": "PENDING"}
        found = re.fullmatch(r"jobs/([^/]+)", rest)
        if method == "GET" and found:
            job = JOBS.get(found.group(1))
            return (200, job) if job else (404, {"exception": "no job %s" % found.group(1)})
        return 404, {"exception": "the stand-in does not answer %s %s" % (method, path)}


class Gateway(Handler):
    service = "gateway"

    def route(self, method, entry):
        found = re.fullmatch(r"/v1/chargeback-batches/(\d{8})/status", entry["path"])
        if method != "GET" or not found:
            return 404, {"error": "not found"}
        day = found.group(1)
        if self.options.published is not None and day not in self.options.published:
            return 404, {"batch": day, "status": "NOT_PUBLISHED"}
        with LOCK:
            if day not in LOADED and self.options.gateway_load:
                done = subprocess.run(["sh", "-c", self.options.gateway_load + ' "$1"', "gateway-load", day],
                                      stdout=sys.stderr, stderr=sys.stderr)
                if done.returncode != 0:
                    return 503, {"batch": day, "status": "LOADING"}
            LOADED.add(day)
        return 200, {"batch": day, "status": "PUBLISHED"}


class Alerts(Handler):
    service = "alerts"

    def route(self, method, entry):
        if method == "POST" and entry["path"] == "/robot/send":
            if not entry["query"].get("access_token"):
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if method == "POST":
            return 200, "ok"
        return 404, {"error": "not found"}


def serve(handler, options):
    handler.options = options
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv):
    parser = argparse.ArgumentParser(description="Kylin and card-gateway stand-ins for the end-to-end test")
    parser.add_argument("--record", help="append every request to this file as a JSON line")
    parser.add_argument("--published", help="comma-separated yyyyMMdd dates whose batch is published (default: all)")
    parser.add_argument("--gateway-load", help="shell command run with the date before the first 200 for it")
    options = parser.parse_args(argv)
    options.published = None if options.published is None else set(options.published.split(","))
    servers = {"kylin": serve(Kylin, options), "gateway": serve(Gateway, options), "alerts": serve(Alerts, options)}
    sys.stdout.write(json.dumps({name: s.server_address[1] for name, s in servers.items()}, sort_keys=True) + "\n")
    sys.stdout.flush()
    try:
        while sys.stdin.read(65536):
            pass
    except KeyboardInterrupt:
        pass
    for server in servers.values():
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
