"""Values for the DataX stand-in (datax.py beside it): DataX's reader column types and
the Hive types of hdfswriter applied to raw seed values, and the two errors of a job.
"""

import datetime as dt
import decimal


class JobError(Exception):
    """A job DataX would reject, or a run that fails; printed and exit 1."""


class Dirty(Exception):
    """A value that does not convert: the record is dirty."""


# ---- value conversion -----------------------------------------------------------

JAVA_DATE = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%f")]


def java_format(pattern):
    out = pattern
    for java, python in JAVA_DATE:
        out = out.replace(java, python)
    return out


def parse_time(value, pattern=None):
    if value is None or isinstance(value, dt.datetime):
        return value
    text = str(value).strip()
    if text == "":
        return None
    formats = [java_format(pattern)] if pattern else ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d"]
    for form in formats:
        try:
            return dt.datetime.strptime(text, form)
        except ValueError:
            continue
    raise Dirty("%r is not a date in %s" % (value, pattern or "yyyy-MM-dd HH:mm:ss"))


def to_bool(value):
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise Dirty("%r is not a boolean" % (value,))


def to_int(value):
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        return int(value)
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise Dirty("%r is not a number" % (value,))
    if number != number.to_integral_value():
        raise Dirty("%r is not a whole number" % (value,))
    return int(number)


def to_float(value):
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        raise Dirty("%r is not a number" % (value,))


def to_text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def read_type(value, kind, pattern=None):
    """A reader column's ``type`` (DataX's internal types) applied to a raw value."""
    kind = (kind or "string").lower()
    if kind == "date":
        return parse_time(value, pattern)
    if kind == "boolean":
        return to_bool(value)
    if kind in ("long", "int"):
        return to_int(value)
    if kind == "double":
        return to_float(value)
    if kind in ("string", "bytes"):
        return to_text(value)
    raise JobError("unknown reader column type %r" % kind)


def hive_type(name):
    upper = name.strip().upper()
    base = upper.split("(")[0]
    if base in ("TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT"):
        return "int"
    if base in ("FLOAT", "DOUBLE"):
        return "float"
    if base in ("STRING", "VARCHAR", "CHAR"):
        return "text"
    if base == "BOOLEAN":
        return "bool"
    if base == "TIMESTAMP":
        return "timestamp"
    if base == "DATE":
        return "date"
    if base == "DECIMAL":
        return "decimal"
    raise JobError("the stand-in does not write Hive type %s" % name)


def write_type(value, hive):
    kind = hive_type(hive)
    if kind == "int":
        return to_int(value)
    if kind == "float":
        return to_float(value)
    if kind == "text":
        return to_text(value)
    if kind == "bool":
        return to_bool(value)
    if kind == "timestamp":
        return parse_time(value)
    if kind == "date":
        stamp = parse_time(value)
        return None if stamp is None else stamp.date()
    if kind == "decimal":
        return None if value is None else decimal.Decimal(str(value))
    raise JobError("unreachable type %s" % hive)
