#!/usr/bin/env python3
"""A stand-in for DataX's ``bin/datax.py`` in flowc's end-to-end test on real Spark.

DataX is in no package registry, so the sync tasks of the example run this instead,
through flowc's real launcher (runtime/flowc_datax.py) and the rendered BashOperator
command, with ``DATAX_HOME`` pointing at ``tests/spark/datax``::

    python $DATAX_HOME/bin/datax.py -p "-Dbizdate=2024-03-05 -Dbizdate_nodash=20240305" JOB

It reads the real job file and does what DataX would do with it, on local files:

* ``${name}`` in the job is replaced by the ``-Dname=value`` of ``-p`` (a variable the
  job uses and ``-p`` does not give is an error, as in DataX);
* the reader's rows come from the seed folder ``$FLOWC_SEED_DIR`` (what the source
  system holds, see tests/fixtures/spark/wingpay/make_seeds.py):
  - rdbms readers (oraclereader, mysqlreader, oceanbasev10reader, ...):
    ``rdbms/<table>.json`` for ``connection[0].table[0]``, lower case; for ``querySql``
    the query's first ``FROM`` table, its columns being the SELECT list's names; the
    job's ``column`` list picks the seed columns by name (case-insensitive, ``*`` = all);
  - hbase readers: ``hbase/<table>.json``, the job's ``range`` (start inclusive, end
    exclusive) applied to ``rowkey``, columns by ``family:qualifier`` name, each
    converted to its ``type`` (a ``date`` parsed with the job's ``format``);
  - ftpreader / txtfilereader: ``sftp/<file name of path>`` read as the job says
    (``encoding``, ``fieldDelimiter``, ``skipHeader``), columns by ``index`` and ``type``;
  - hdfsreader: the partition files ``defaultFS`` + ``path`` names (``*`` globs) in the
    job's ``fileType`` (orc, parquet, text), columns by ``index`` and ``type``;
* reader column i goes to writer column i, converted to the writer's type; a value
  that does not convert is a dirty record (counted, not written) and the job fails
  when the dirty records exceed ``setting.errorLimit``;
* hdfswriter writes one file ``<fileName>__<suffix>`` into ``defaultFS`` + ``path``
  (a ``file://`` filesystem only; the folder must exist, as DataX requires: the sync's
  ``__partition`` task creates it) in its ``fileType``: orc (``compress``: NONE, SNAPPY,
  ZLIB, LZ4, ZSTD), parquet (same, GZIP) or text (``fieldDelimiter``, nulls as ``\\N``,
  ``compress`` NONE or GZIP); ``writeMode`` truncate first deletes the folder's files
  whose name starts with ``fileName``, append keeps them, nonConflict fails if there are;
* mysqlwriter (an export) writes the rows it would load to
  ``$FLOWC_DATAX_SINK/<database>.<table>.json`` (database from ``jdbcUrl``):
  {"jdbcUrl", "table", "writeMode", "preSql", "columns", "rows"}; a ``preSql`` of
  ``DELETE FROM @table`` empties what an earlier run left there, otherwise rows append;
* it ends with DataX's job summary (``读出记录总数`` records read, ``读写失败总数``
  dirty records), which flowc's launcher parses, and exits 0; a bad job, a missing seed
  or too many dirty records print an error and exit 1.

Needs pyarrow for orc and parquet (tests/spark/requirements.lock); the value conversions are
in datax_values.py beside it.
"""

import datetime as dt
import decimal
import glob
import gzip
import json
import os
import re
import sys
import time
import uuid

from datax_values import Dirty, JobError, hive_type, read_type, write_type

RDBMS_READERS = {
    "mysqlreader", "oraclereader", "oceanbasev10reader", "postgresqlreader", "sqlserverreader",
    "drdsreader", "db2reader", "rdbmsreader", "clickhousereader",
}
HBASE_READERS = {"hbase11xreader", "hbase20xreader", "hbase094xreader"}
FILE_READERS = {"ftpreader", "txtfilereader"}
RDBMS_WRITERS = {"mysqlwriter", "oceanbasev10writer", "postgresqlwriter", "oraclewriter"}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEXT_NULL = "\\N"


# ---- command line and job -------------------------------------------------------


def parse_args(argv):
    variables, job, i = {}, None, 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-p", "--params"):
            if i + 1 >= len(argv):
                raise JobError("-p needs a value")
            for item in argv[i + 1].split():
                if not item.startswith("-D") or "=" not in item:
                    raise JobError("bad -p item %r: expected -Dname=value" % item)
                name, value = item[2:].split("=", 1)
                variables[name] = value
            i += 2
        elif arg in ("-j", "--jvm", "-m", "--mode", "-r", "--reader", "-w", "--writer"):
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            job = arg
            i += 1
    if job is None:
        raise JobError("usage: datax.py [-p \"-Dname=value ...\"] JOB")
    return variables, job


def load_job(path, variables):
    try:
        with open(path, "r", encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        raise JobError("cannot read job %s: %s" % (path, error))
    missing = sorted({m.group(1) for m in VARIABLE.finditer(text) if m.group(1) not in variables})
    if missing:
        raise JobError("the job uses ${%s}, which -p does not set" % "}, ${".join(missing))
    text = VARIABLE.sub(lambda m: json_escape(variables[m.group(1)]), text)
    try:
        job = json.loads(text)
        content = job["job"]["content"][0]
        return job, content["reader"], content["writer"]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise JobError("%s is not a DataX job: %s" % (path, error))


def json_escape(value):
    return json.dumps(value)[1:-1]


def seed_dir():
    folder = os.environ.get("FLOWC_SEED_DIR")
    if not folder:
        raise JobError("FLOWC_SEED_DIR is not set: it names the folder of the source systems' seed rows")
    return folder


def load_seed(kind, name):
    path = os.path.join(seed_dir(), kind, name)
    try:
        with open(path, "r", encoding="utf-8") as file:
            document = json.load(file)
    except OSError:
        raise JobError("no seed rows for this reader: %s does not exist" % path)
    except ValueError as error:
        raise JobError("%s is not valid JSON: %s" % (path, error))
    return document["columns"], document["rows"]


# ---- readers --------------------------------------------------------------------


def pick(columns, rows, wanted):
    """The seed rows' values of the ``wanted`` columns, by name, case-insensitively."""
    index = {name.lower(): i for i, name in enumerate(columns)}
    if wanted == ["*"]:
        return rows
    positions = []
    for name in wanted:
        key = name.strip().strip('`"').lower()
        if key not in index:
            raise JobError("the reader reads column %s, which the seed (%s) does not have" % (name, ", ".join(columns)))
        positions.append(index[key])
    return [[row[i] for i in positions] for row in rows]


def query_names(query):
    found = re.match(r"\s*SELECT\s+(.*?)\s+FROM\s+([A-Za-z0-9_.$]+)", query, re.S | re.I)
    if not found:
        raise JobError("cannot read the SELECT list and FROM table of querySql: %s" % query)
    names = []
    for item in found.group(1).split(","):
        words = item.strip().split()
        names.append(words[-1].split(".")[-1])
    return names, found.group(2).lower()


def read_rdbms(parameter):
    connection = parameter["connection"][0]
    if connection.get("querySql"):
        names, table = query_names(connection["querySql"][0])
        columns, rows = load_seed("rdbms", table + ".json")
        return pick(columns, rows, names), names
    table = connection["table"][0].lower()
    columns, rows = load_seed("rdbms", table + ".json")
    wanted = parameter.get("column") or ["*"]
    return pick(columns, rows, wanted), wanted


def read_hbase(parameter):
    columns, rows = load_seed("hbase", parameter["table"] + ".json")
    key = {name: i for i, name in enumerate(columns)}
    span = parameter.get("range") or {}
    start, end = span.get("startRowkey") or "", span.get("endRowkey") or ""
    rows = [r for r in rows if r[key["rowkey"]] >= start and (not end or r[key["rowkey"]] < end)]
    spec = parameter["column"]
    out = []
    for row in rows:
        values = []
        for column in spec:
            if column["name"] not in key:
                raise JobError("the reader reads %s, which the seed does not have" % column["name"])
            values.append((row[key[column["name"]]], column.get("type"), column.get("format")))
        out.append(values)
    return out


def read_text_file(parameter):
    paths = parameter["path"] if isinstance(parameter["path"], list) else [parameter["path"]]
    delimiter = parameter.get("fieldDelimiter", ",")
    encoding = parameter.get("encoding", "UTF-8")
    out = []
    for path in paths:
        local = os.path.join(seed_dir(), "sftp", os.path.basename(path))
        try:
            with open(local, "r", encoding=encoding, newline="") as file:
                lines = file.read().splitlines()
        except OSError:
            raise JobError("no file for this reader: %s does not exist" % local)
        except (UnicodeDecodeError, LookupError) as error:
            raise JobError("%s is not %s: %s" % (local, encoding, error))
        if parameter.get("skipHeader") and lines:
            lines = lines[1:]
        for line in lines:
            if line == "":
                continue
            fields = line.split(delimiter)
            out.append(indexed(fields, parameter["column"], null=parameter.get("nullFormat")))
    return out


def indexed(fields, spec, null=None):
    values = []
    for column in spec:
        if "value" in column:
            raw = column["value"]
        else:
            raw = fields[column["index"]] if column["index"] < len(fields) else None
        if null is not None and raw == null:
            raw = None
        values.append((raw, column.get("type"), column.get("format")))
    return values


def local_path(default_fs, path):
    if not default_fs.startswith("file:"):
        raise JobError(
            "defaultFS %s: the stand-in reads and writes local files only; compile with the hive "
            "connection's default_fs set to file://" % default_fs
        )
    root = re.sub(r"^file:(//)?", "", default_fs).rstrip("/")
    return root + path if path.startswith("/") else os.path.join(root or "/", path)


def read_hdfs(parameter):
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    pattern = local_path(parameter["defaultFS"], parameter["path"])
    files = sorted(f for f in glob.glob(pattern) if os.path.isfile(f) and not os.path.basename(f).startswith((".", "_")))
    if not glob.has_magic(pattern) and os.path.isdir(pattern):
        files = sorted(os.path.join(pattern, f) for f in os.listdir(pattern) if not f.startswith((".", "_")))
    kind = parameter.get("fileType", "text").lower()
    out = []
    for path in files:
        if kind == "orc":
            rows = orc.read_table(path).to_pylist()
        elif kind == "parquet":
            rows = pq.read_table(path).to_pylist()
        elif kind in ("text", "csv"):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt", encoding=parameter.get("encoding", "UTF-8")) as file:
                delimiter = parameter.get("fieldDelimiter", ",")
                rows = [dict(enumerate(line.rstrip("\n").split(delimiter))) for line in file if line.strip("\n")]
        else:
            raise JobError("hdfsreader fileType %s is not supported by the stand-in" % kind)
        for row in rows:
            fields = list(row.values())
            if kind in ("text", "csv"):
                fields = [None if f == TEXT_NULL else f for f in fields]
            out.append(indexed(fields, parameter["column"]))
    return out


def read(reader):
    name, parameter = reader["name"], reader.get("parameter", {})
    if name in RDBMS_READERS:
        rows, _ = read_rdbms(parameter)
        return [[(value, None, None) for value in row] for row in rows]
    if name in HBASE_READERS:
        return read_hbase(parameter)
    if name in FILE_READERS:
        return read_text_file(parameter)
    if name == "hdfsreader":
        return read_hdfs(parameter)
    raise JobError("the stand-in has no reader %s" % name)


# ---- writers --------------------------------------------------------------------


def arrow_type(hive):
    import pyarrow as pa

    kind = hive_type(hive)
    upper = hive.strip().upper()
    if kind == "int":
        return {"TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INT": pa.int32(), "INTEGER": pa.int32()}.get(
            upper, pa.int64()
        )
    if kind == "float":
        return pa.float32() if upper == "FLOAT" else pa.float64()
    if kind == "text":
        return pa.string()
    if kind == "bool":
        return pa.bool_()
    if kind == "timestamp":
        return pa.timestamp("ns")
    if kind == "date":
        return pa.date32()
    precision, scale = re.findall(r"\d+", upper) or ["10", "0"]
    return pa.decimal128(int(precision), int(scale))


def text_value(value):
    if value is None:
        return TEXT_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def write_hdfs(parameter, rows):
    import pyarrow as pa
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    folder = local_path(parameter["defaultFS"], parameter["path"])
    if not os.path.isdir(folder):
        raise JobError(
            "您配置的path: [%s] 不存在, 请先在hive端创建对应的数据库和表. (the partition folder does not exist)" % folder
        )
    prefix = parameter["fileName"]
    existing = [f for f in os.listdir(folder) if f.startswith(prefix)]
    mode = parameter.get("writeMode", "append").lower()
    if mode == "truncate":
        for name in existing:
            os.remove(os.path.join(folder, name))
    elif mode == "nonconflict" and existing:
        raise JobError("writeMode nonConflict: %s already holds files named %s*" % (folder, prefix))
    columns = parameter["column"]
    kind = parameter.get("fileType", "text").lower()
    compress = (parameter.get("compress") or "NONE").upper()
    name = "%s__%s" % (prefix, uuid.uuid4().hex)
    final = os.path.join(folder, name)
    temp = os.path.join(folder, "." + name + ".tmp")
    if kind in ("orc", "parquet"):
        schema = pa.schema([(c["name"], arrow_type(c["type"])) for c in columns])
        table = pa.Table.from_pylist([{c["name"]: v for c, v in zip(columns, row)} for row in rows], schema=schema)
        codec = {"NONE": "uncompressed", "SNAPPY": "snappy", "ZLIB": "zlib", "LZ4": "lz4", "ZSTD": "zstd", "GZIP": "gzip"}
        if compress not in codec:
            raise JobError("compress %s is not supported for %s" % (compress, kind))
        if kind == "orc":
            orc.write_table(table, temp, compression=codec[compress])
        else:
            pq.write_table(table, temp, compression=codec[compress])
    elif kind == "text":
        delimiter = parameter.get("fieldDelimiter", ",")
        data = "".join(delimiter.join(text_value(v) for v in row) + "\n" for row in rows).encode("utf-8")
        if compress in ("GZIP", "GZ"):
            data, final = gzip.compress(data, mtime=0), final + ".gz"
        elif compress != "NONE":
            raise JobError("compress %s is not supported for text" % compress)
        with open(temp, "wb") as file:
            file.write(data)
    else:
        raise JobError("hdfswriter fileType %s is not supported by the stand-in" % kind)
    os.rename(temp, final)
    return final


def write_rdbms(parameter, rows):
    sink = os.environ.get("FLOWC_DATAX_SINK")
    if not sink:
        raise JobError("FLOWC_DATAX_SINK is not set: it names the folder export jobs write their rows to")
    connection = parameter["connection"][0]
    url = connection["jdbcUrl"] if isinstance(connection["jdbcUrl"], str) else connection["jdbcUrl"][0]
    database = re.sub(r"[?;].*$", "", url).rstrip("/").rsplit("/", 1)[-1]
    table = connection["table"][0]
    path = os.path.join(sink, "%s.%s.json" % (database, table))
    columns = parameter["column"]
    pre_sql = parameter.get("preSql") or []
    kept = []
    emptied = any(re.fullmatch(r"\s*(DELETE\s+FROM|TRUNCATE\s+TABLE)\s+@table\s*", sql, re.I) for sql in pre_sql)
    if os.path.exists(path) and not emptied:
        with open(path, "r", encoding="utf-8") as file:
            kept = json.load(file)["rows"]
    document = {
        "jdbcUrl": url,
        "table": table,
        "writeMode": parameter.get("writeMode", "insert"),
        "preSql": pre_sql,
        "columns": columns,
        "rows": kept + [[to_json(v) for v in row] for row in rows],
    }
    os.makedirs(sink, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(document, file, ensure_ascii=False, indent=1)
        file.write("\n")
    return path


def to_json(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def convert(records, writer):
    """Reader records to writer rows; returns (rows, dirty records)."""
    name, parameter = writer["name"], writer["parameter"]
    columns = parameter.get("column") or []
    rows, dirty = [], []
    for record in records:
        if columns and len(record) != len(columns):
            raise JobError("the reader gives %d columns, the writer takes %d" % (len(record), len(columns)))
        try:
            values = [read_type(raw, kind, pattern) for raw, kind, pattern in record]
            if name == "hdfswriter":
                values = [write_type(v, c["type"]) for v, c in zip(values, columns)]
            rows.append(values)
        except Dirty as why:
            dirty.append(str(why))
    return rows, dirty


def check_error_limit(job, read, dirty):
    limit = job.get("job", {}).get("setting", {}).get("errorLimit", {})
    if "record" in limit and len(dirty) > int(limit["record"]):
        raise JobError("脏数据条数检查不通过，限制是[%s]条，但实际上捕获了[%d]条. first: %s" % (limit["record"], len(dirty), dirty[0]))
    if "percentage" in limit and read and len(dirty) / read > float(limit["percentage"]):
        raise JobError("脏数据百分比检查不通过，限制是[%s]，但实际上捕获到[%f]. first: %s" % (limit["percentage"], len(dirty) / read, dirty[0]))


def log(message):
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    print("%s [job-0] INFO  JobContainer - %s" % (stamp, message), flush=True)


def run(argv):
    started = time.time()
    variables, path = parse_args(argv)
    job, reader, writer = load_job(path, variables)
    log("DataX jobContainer starts job (flowc test stand-in): %s -> %s" % (reader.get("name"), writer.get("name")))
    records = read(reader)
    rows, dirty = convert(records, writer)
    check_error_limit(job, len(records), dirty)
    if writer["name"] == "hdfswriter":
        target = write_hdfs(writer["parameter"], rows)
    elif writer["name"] in RDBMS_WRITERS:
        target = write_rdbms(writer["parameter"], rows)
    else:
        raise JobError("the stand-in has no writer %s" % writer["name"])
    for why in dirty:
        print("%s [0-0-0-writer] ERROR StdoutPluginCollector - 脏数据: %s" % (dt.datetime.now(), why))
    log("wrote %d records to %s" % (len(rows), target))
    ended = time.time()
    fmt = "%Y-%m-%d %H:%M:%S"
    print()
    print("任务启动时刻                    : %s" % time.strftime(fmt, time.localtime(started)))
    print("任务结束时刻                    : %s" % time.strftime(fmt, time.localtime(ended)))
    print("任务总计耗时                    : %18ss" % max(1, int(round(ended - started))))
    print("任务平均流量                    : %18s" % "0B/s")
    print("记录写入速度                    : %18s" % ("%drec/s" % len(records)))
    print("读出记录总数                    : %18d" % len(records))
    print("读写失败总数                    : %18d" % len(dirty))
    print(flush=True)


def main(argv):
    try:
        run(argv[1:])
    except JobError as error:
        sys.stdout.flush()
        sys.stderr.write("DataX (flowc test stand-in): job failed: %s\n" % error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
