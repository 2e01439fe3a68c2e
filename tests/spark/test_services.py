#!/usr/bin/env python3
"""Tests tests/spark/services.py with the real Airflow operators and hooks the example's
DAGs use against it: HttpSensor (the card gateway), DingdingHook (failure alerts) and
KylinCubeOperator (kylinpy, Kylin's v1 REST API).

    .venv/airflow-2.10/bin/python tests/spark/test_services.py

Run by the #[ignore]d Rust test in tests/integration/spark_seeds.rs, for both Airflow
versions. Prints one line per check and exits 1 if any failed.

kylinpy 2.8.4, the newest release and what the Kylin provider installs, calls
inspect.getargspec, which Python 3.11 removed: KylinCubeOperator fails on Python 3.11
before it sends its build. The check below proves that on the real operator (so it
notices when a kylinpy release fixes it), then puts getargspec back for the process
to check what the operator sends.
"""

import inspect
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []


def check(ok, what):
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    if not ok:
        FAILURES.append(what)


def main():
    record = os.path.join(tempfile.mkdtemp(), "requests.jsonl")
    loaded = os.path.join(tempfile.mkdtemp(), "loaded")
    services = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "services.py"), "--record", record, "--published", "20240305",
         "--gateway-load", "echo >> %s" % loaded],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ports = json.loads(services.stdout.readline())
    os.environ["AIRFLOW_CONN_KYLIN_DEV"] = "kylin://admin:KYLIN@127.0.0.1:%d" % ports["kylin"]
    os.environ["AIRFLOW_CONN_CARD_NETWORK_GATEWAY"] = "http://127.0.0.1:%d" % ports["gateway"]
    os.environ["AIRFLOW_CONN_DINGTALK_DW_DEV"] = json.dumps(
        {"conn_type": "http", "host": "http://127.0.0.1:%d" % ports["alerts"], "password": "robot-token"})

    from airflow.providers.apache.kylin.operators.kylin_cube import KylinCubeOperator
    from airflow.providers.dingding.hooks.dingding import DingdingHook
    from airflow.providers.http.sensors.http import HttpSensor

    sensor = HttpSensor(task_id="wait_chargeback_batch", http_conn_id="card_network_gateway",
                        endpoint="/v1/chargeback-batches/20240305/status")
    check(sensor.poke({}) is True, "gateway: the published batch's status answers 200")
    with open(loaded) as file:
        check(file.read().split() == ["20240305"], "gateway: the batch was loaded (once) before the 200")
    sensor.poke({})
    with open(loaded) as file:
        check(file.read().split() == ["20240305"], "gateway: a second poke does not load it again")
    later = HttpSensor(task_id="later", http_conn_id="card_network_gateway",
                       endpoint="/v1/chargeback-batches/20240306/status")
    check(later.poke({}) is False, "gateway: an unpublished batch keeps the sensor waiting")

    DingdingHook(dingding_conn_id="dingtalk_dw_dev", message_type="text", message="flowc: task x failed",
                 at_mobiles=["13800000000"], at_all=False).send()

    cube = dict(task_id="gmv_cube", kylin_conn_id="kylin_dev", project="wingpay_bi", cube="pay_gmv_daily",
                command="refresh", start_time="1709596800000", end_time="1709683200000", is_track_job=True,
                interval=0)
    if sys.version_info >= (3, 11) and not hasattr(inspect, "getargspec"):
        try:
            KylinCubeOperator(**cube).execute({})
            check(False, "kylin: kylinpy works on Python %d.%d now: drop the getargspec shim" % sys.version_info[:2])
        except AttributeError as error:
            check("getargspec" in str(error), "kylin: kylinpy 2.8.4 fails on Python 3.11+ (%s)" % error)
        inspect.getargspec = inspect.getfullargspec
    answer = KylinCubeOperator(**cube).execute({})
    check(isinstance(answer, dict) and answer.get("uuid"), "kylin: the build answers a job (%s)" % answer)

    with urllib.request.urlopen("http://127.0.0.1:%d/_requests" % ports["kylin"]) as response:
        requests = json.loads(response.read())
    builds = [r for r in requests if r["service"] == "kylin" and r["method"] == "PUT"]
    check(len(builds) == 1 and builds[0]["path"] == "/kylin/api/cubes/pay_gmv_daily/build"
          and builds[0]["body"] == {"buildType": "REFRESH", "startTime": 1709596800000, "endTime": 1709683200000},
          "kylin: one REFRESH of pay_gmv_daily for 2024-03-05 UTC midnight to midnight (%s)" % builds)
    check(any(r["path"].startswith("/kylin/api/jobs/") for r in requests), "kylin: the job is tracked")
    services.stdin.close()
    check(services.wait(timeout=20) == 0, "services stop when stdin closes")
    with open(record) as file:
        recorded = [json.loads(line) for line in file]
    alerts = [r for r in recorded if r["service"] == "alerts"]
    check(len(alerts) == 1 and alerts[0]["query"] == {"access_token": "robot-token"}
          and alerts[0]["body"]["text"]["content"] == "flowc: task x failed",
          "alerts: the DingTalk message is recorded (%s)" % alerts)
    check(recorded == requests, "--record holds every request, as /_requests answers (%d, %d)" % (len(recorded), len(requests)))
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
