#!/usr/bin/env python3
"""Prints the SQL that loads a seed folder's warehouse tables into the local Spark.

    python3 tests/spark/seed_sql.py SEED_DIR [--db ods=dev_ods ...] [--kind tables|ml]

Each ``<kind>/<db>.<table>.json`` of SEED_DIR (tests/fixtures/spark/wingpay/make_seeds.py)
becomes one ``INSERT OVERWRITE TABLE`` (of its partition when it names one), its
database mapped by ``--db FROM=TO`` (a dev run: ods=dev_ods, dws=dev_dws; a database
without a mapping stays as it is, like dim). Values are SQL literals cast to the
table's column types by Spark (times as TIMESTAMP literals); text is quoted with every quote and backslash escaped.
``--kind tables`` (the default) loads what the source systems outside DataX land;
``--kind ml`` what the example's two ml tasks write (their stand-in). Statements end
with ``;`` on a line of their own, one per file, sorted by file name.
"""

import argparse
import json
import os
import re
import sys

# Text that is a time of day ("yyyy-MM-dd HH:mm:ss") is written as a TIMESTAMP literal:
# Spark's store assignment does not cast text to a timestamp column, and a timestamp
# written to a text column reads back the same.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if TIMESTAMP.fullmatch(str(value)):
        return "TIMESTAMP '%s'" % value
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return "'%s'" % text


def insert(document, databases):
    db, table = document["table"].split(".", 1)
    target = "`%s`.`%s`" % (databases.get(db, db), table)
    columns = document["columns"]
    partition = document.get("partition")
    head = "INSERT OVERWRITE TABLE %s" % target
    if partition:
        head += " PARTITION (%s)" % ", ".join("`%s` = %s" % (k, literal(v)) for k, v in sorted(partition.items()))
    head += " (%s)" % ", ".join("`%s`" % c for c in columns)
    if not document["rows"]:
        return "%s\nSELECT %s WHERE false" % (head, ", ".join("NULL" for _ in columns))
    rows = ",\n  ".join("(%s)" % ", ".join(literal(v) for v in row) for row in document["rows"])
    return "%s VALUES\n  %s" % (head, rows)


def statements(seed_dir, databases, kind="tables"):
    folder = os.path.join(seed_dir, kind)
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                out.append(insert(json.load(file), databases))
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed_dir")
    parser.add_argument("--db", action="append", default=[], help="FROM=TO database mapping")
    parser.add_argument("--kind", default="tables", choices=["tables", "ml"])
    args = parser.parse_args(argv)
    databases = dict(item.split("=", 1) for item in args.db)
    for statement in statements(args.seed_dir, databases, args.kind):
        sys.stdout.write(statement + "\n;\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
