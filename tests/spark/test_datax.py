#!/usr/bin/env python3
"""Tests the DataX stand-in (tests/spark/datax/bin/datax.py) on every DataX job of the
compiled example, through flowc's real launcher (runtime/flowc_datax.py).

    .venv/spark/bin/python tests/spark/test_datax.py ENV_DIR WAREHOUSE

ENV_DIR is `flowc compile`'s output for one environment (its datax/ folder), compiled
with the hive connection's default_fs `file://` and warehouse_dir WAREHOUSE (an empty
folder). Run by the #[ignore]d Rust test `datax_stand_in` (tests/integration/spark_seeds.rs).
Prints one line per check and exits 1 if any failed.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STAND_IN = os.path.join(ROOT, "tests/spark/datax/bin/datax.py")
LAUNCHER = os.path.join(ROOT, "runtime/flowc_datax.py")
FIXTURES = os.path.join(ROOT, "tests/fixtures/spark/wingpay")
SEED = os.path.join(FIXTURES, "seed")
DAY = "2024-03-05"
FAILURES = []


def check(ok, what):
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    if not ok:
        FAILURES.append(what)


def job_of(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def parts(job):
    content = job["job"]["content"][0]
    return content["reader"], content["writer"]


def folder_of(parameter, day=DAY):
    return parameter["path"].replace("${bizdate}", day).replace("${bizdate_nodash}", day.replace("-", ""))


def run(job_path, seed=SEED, sink=None, day=DAY, params=None, extra_env=None):
    """The rendered sync command: the launcher, then the stand-in with -p."""
    env = dict(os.environ)
    for name in ("CORE_ORACLE_PASSWORD", "USERCENTER_MYSQL_PASSWORD"):
        env[name] = "not-a-secret"
    for key in list(json.dumps(job_of(job_path)).split("${env:"))[1:]:
        env[key.split("}")[0]] = "not-a-secret"
    env["FLOWC_SEED_DIR"] = seed
    env["FLOWC_DATAX_SINK"] = sink or os.path.join(tempfile.gettempdir(), "flowc-sink-unused")
    env.update(extra_env or {})
    p = params if params is not None else "-Dbizdate=%s -Dbizdate_nodash=%s" % (day, day.replace("-", ""))
    command = [sys.executable, LAUNCHER, job_path, "--", sys.executable, STAND_IN, "-p", p]
    return subprocess.run(command, env=env, capture_output=True, text=True)


def seed_rows(kind, name):
    with open(os.path.join(SEED, kind, name), encoding="utf-8") as file:
        document = json.load(file)
    return document["columns"], document["rows"]


def source_count(reader):
    """How many rows the reader reads from the seed, worked out here, not by the stand-in."""
    name, parameter = reader["name"], reader["parameter"]
    if name == "hbasereader" or name.startswith("hbase"):
        _, rows = seed_rows("hbase", parameter["table"] + ".json")
        span = parameter.get("range", {})
        start = folder_of({"path": span.get("startRowkey", "")})
        end = folder_of({"path": span.get("endRowkey", "")})
        return sum(1 for r in rows if r[0] >= start and (not end or r[0] < end))
    if name == "ftpreader":
        with open(os.path.join(SEED, "sftp", os.path.basename(folder_of({"path": parameter["path"][0]}))), "rb") as f:
            return len(f.read().decode(parameter["encoding"]).splitlines()) - (1 if parameter.get("skipHeader") else 0)
    connection = parameter["connection"][0]
    if connection.get("querySql"):
        return len(seed_rows("rdbms", "paycore.t_refund.json")[1])
    return len(seed_rows("rdbms", connection["table"][0].lower() + ".json")[1])


ARROW = {
    "BIGINT": pa.int64(), "INT": pa.int32(), "STRING": pa.string(), "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("ns"),
}


def read_back(writer, folder):
    """The rows of the files in folder, in the writer's format, as lists."""
    files = sorted(f for f in os.listdir(folder) if f.startswith(writer["fileName"]))
    rows, schemas = [], []
    for name in files:
        path = os.path.join(folder, name)
        if writer["fileType"] == "orc":
            table = orc.read_table(path)
        elif writer["fileType"] == "parquet":
            table = pq.read_table(path)
        else:
            with open(path, encoding="utf-8") as file:
                rows += [line.rstrip("\n").split(writer["fieldDelimiter"]) for line in file]
            continue
        schemas.append(table.schema)
        rows += [list(r.values()) for r in table.to_pylist()]
    return files, rows, schemas


def test_ods_jobs(env_dir, warehouse):
    jobs = sorted(glob.glob(os.path.join(env_dir, "datax/ods_ingest/*.json")))
    check(len(jobs) == 10, "the example has 10 ods sync jobs (%d)" % len(jobs))
    for path in jobs:
        name = os.path.basename(path)[:-5]
        reader, writer = parts(job_of(path))
        parameter = writer["parameter"]
        folder = folder_of(parameter)
        check(folder.startswith(warehouse + "/"), "%s: writes under the warehouse (%s)" % (name, folder))
        os.makedirs(folder, exist_ok=True)  # what the sync's __partition task does
        done = run(path)
        check(done.returncode == 0, "%s: exits 0 (%s)" % (name, done.stderr.strip()[-300:]))
        expected = source_count(reader)
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        check(last == str(expected), "%s: the launcher's last line is the records read, %d (%r)" % (name, expected, last))
        check("读出记录总数" in done.stdout and "读写失败总数" in done.stdout, "%s: DataX's summary is printed" % name)
        files, rows, schemas = read_back(parameter, folder)
        check(len(files) == 1, "%s: one %s file in %s (%s)" % (name, parameter["fileType"], folder, files))
        check(len(rows) == expected, "%s: the file holds the %d rows read (%d)" % (name, expected, len(rows)))
        if schemas:
            want = [(c["name"], ARROW[c["type"]]) for c in parameter["column"]]
            got = [(f.name, f.type) for f in schemas[0]]
            check(got == want, "%s: the file's schema is the writer's columns and types" % name)
        else:
            check(all(len(r) == len(parameter["column"]) for r in rows),
                  "%s: every text line has %d fields split by %r" % (name, len(parameter["column"]), parameter["fieldDelimiter"]))


def test_values(warehouse):
    folder = os.path.join(warehouse, "dev_ods.db/pay_order/dt=%s" % DAY)
    table = orc.read_table(glob.glob(os.path.join(folder, "pay_order__*"))[0]).to_pylist()
    latest = [r for r in table if r["order_id"] == 9003 and r["status"] == "S"]
    check(len(latest) == 1 and str(latest[0]["gmt_pay"]) == "2024-03-05 23:40:00" and latest[0]["amount"] == 150.0
          and latest[0]["channel"] == "BANK_CARD" and latest[0]["store_id"] == 1002,
          "pay_order: order 9003's newest version has its typed values (%s)" % latest[:1])
    check(any(r["store_id"] is None for r in table), "pay_order: a NULL store_id stays NULL")
    folder = os.path.join(warehouse, "dev_ods.db/bank_settlement_detail/dt=%s" % DAY)
    with open(glob.glob(os.path.join(folder, "bank_settlement_detail__*"))[0], encoding="utf-8") as file:
        first = file.readline().rstrip("\n").split("|")
    check(first == ["B20240305001", "9001", "120000.0", "600.0", "CNY", "00", "2024-03-05 09:16:00"],
          "bank file: GBK, header skipped, yyyyMMddHHmmss parsed to a timestamp (%s)" % first)
    folder = os.path.join(warehouse, "dev_ods.db/usr_login_log/dt=%s" % DAY)
    rows = orc.read_table(glob.glob(os.path.join(folder, "usr_login_log__*"))[0]).to_pylist()
    check(all(r["rowkey"].startswith("20240305") for r in rows), "login log: only the row-key range of the day")
    folder = os.path.join(warehouse, "dev_ods.db/risk_device_fingerprint/dt=%s" % DAY)
    rows = orc.read_table(glob.glob(os.path.join(folder, "risk_device_fingerprint__*"))[0]).to_pylist()
    tampered = [r["device_id"] for r in rows if r["is_rooted"] or r["is_emulator"]]
    check(sorted(tampered) == ["dev-C", "dev-D"], "fingerprint: booleans converted (%s)" % tampered)


def test_write_modes(env_dir, warehouse):
    path = os.path.join(env_dir, "datax/ods_ingest/sync_store.json")
    folder = folder_of(parts(job_of(path))[1]["parameter"])
    run(path)
    check(len(os.listdir(folder)) == 1, "truncate: a second run replaces the file (%s)" % os.listdir(folder))
    path = os.path.join(env_dir, "datax/ods_ingest/sync_ledger_entry.json")
    writer = parts(job_of(path))[1]["parameter"]
    run(path)
    files, rows, _ = read_back(writer, folder_of(writer))
    check(len(files) == 2 and len(rows) == 20, "append: a second run adds a file (%d files, %d rows)" % (len(files), len(rows)))


def edited(path, edit, folder):
    job = job_of(path)
    edit(job)
    target = os.path.join(folder, os.path.basename(path))
    with open(target, "w", encoding="utf-8") as file:
        json.dump(job, file)
    return target


def test_formats_and_errors(env_dir, warehouse, scratch):
    store = os.path.join(env_dir, "datax/ods_ingest/sync_store.json")

    def parquet(job):
        parameter = parts(job)[1]["parameter"]
        parameter["fileType"] = "parquet"
        parameter["path"] = parameter["path"].replace("mch_store", "mch_store_parquet")

    path = edited(store, parquet, scratch)
    folder = folder_of(parts(job_of(path))[1]["parameter"])
    os.makedirs(folder, exist_ok=True)
    done = run(path)
    files, rows, _ = read_back(parts(job_of(path))[1]["parameter"], folder)
    check(done.returncode == 0 and len(rows) == 6, "parquet: written and read back (%d rows)" % len(rows))

    def missing_folder(job):
        parts(job)[1]["parameter"]["path"] = parts(job)[1]["parameter"]["path"].replace("mch_store", "nowhere")

    done = run(edited(store, missing_folder, scratch))
    check(done.returncode != 0 and "不存在" in done.stderr, "a partition folder that does not exist fails the job")
    done = run(store, params="-Dbizdate_nodash=20240305")
    check(done.returncode != 0 and "${bizdate}" in done.stderr, "a variable -p does not set fails the job")
    done = run(store, seed=os.path.join(scratch, "no-seed"))
    check(done.returncode != 0 and "does not exist" in done.stderr, "a reader without seed rows fails the job")
    dirty = os.path.join(scratch, "dirty")
    shutil.copytree(SEED, dirty)
    orders = os.path.join(dirty, "rdbms/paycore.t_pay_order.json")
    with open(orders, encoding="utf-8") as file:
        document = json.load(file)
    document["rows"][0][0] = "not-a-number"
    with open(orders, "w", encoding="utf-8") as file:
        json.dump(document, file)
    done = run(os.path.join(env_dir, "datax/ods_ingest/sync_payment_order.json"), seed=dirty)
    check(done.returncode != 0 and "脏数据" in done.stderr, "a dirty record over errorLimit (0) fails the job")


def test_export(env_dir, warehouse, scratch):
    path = os.path.join(env_dir, "datax/reporting/export_gmv_to_mysql.json")
    reader, writer = parts(job_of(path))
    folder = folder_of(reader["parameter"]).rstrip("*").rstrip("/")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(FIXTURES, "expected/ads_pay_gmv_1d.json"), encoding="utf-8") as file:
        ads = json.load(file)
    types = [pa.string(), pa.bool_(), pa.int32(), pa.int64(), pa.int64(), pa.float64(), pa.int64(), pa.float64(),
             pa.float64(), pa.float64()]
    schema = pa.schema(list(zip(ads["columns"], types)))
    orc.write_table(pa.Table.from_pylist([dict(zip(ads["columns"], r)) for r in ads["rows"]], schema=schema),
                    os.path.join(folder, "part-00000.snappy.orc"))
    sink = os.path.join(scratch, "sink")
    for attempt in (1, 2):
        done = run(path, sink=sink)
        check(done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "3",
              "export run %d: exits 0, 3 records read (%s)" % (attempt, done.stderr.strip()[-300:]))
    with open(os.path.join(sink, "report.t_pay_gmv_latest.json"), encoding="utf-8") as file:
        loaded = json.load(file)
    with open(os.path.join(FIXTURES, "expected/report.t_pay_gmv_latest.json"), encoding="utf-8") as file:
        expected = json.load(file)
    check(loaded["columns"] == expected["columns"] and sorted(map(str, loaded["rows"])) == sorted(map(str, expected["rows"])),
          "export: the sink holds the day's rows once (DELETE FROM @table before a re-run)")


def main(argv):
    env_dir, warehouse = argv[1], argv[2]
    with tempfile.TemporaryDirectory() as scratch:
        test_ods_jobs(env_dir, warehouse)
        test_values(warehouse)
        test_write_modes(env_dir, warehouse)
        test_formats_and_errors(env_dir, warehouse, scratch)
        test_export(env_dir, warehouse, scratch)
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
