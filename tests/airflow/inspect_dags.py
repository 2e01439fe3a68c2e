"""Load a DAG folder in a real Airflow (2.10 or 3.x) and describe it as JSON.

Usage (with the python of one of the venvs made by scripts/airflow-venvs.sh):

    python tests/airflow/inspect_dags.py DAG_FOLDER [--logical-date 2024-03-05] [--pools pools.json]
        [--conf '{"bizdate": "2024-03-05"}'] [--import-pools pools.json]

Prints one JSON object on stdout (see tests/airflow/README.md). Import errors and
problems are data: the exit code is 0 whenever the script itself ran to the end.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime, timedelta, timezone


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_folder")
    parser.add_argument(
        "--logical-date",
        default="2024-03-05",
        help="the day (UTC) whose scheduled run is rendered: the first run whose "
        "logical date falls on or after its midnight",
    )
    parser.add_argument(
        "--pools",
        help="JSON list of pool names, or Airflow `pools import` format {name: {slots, description}}",
    )
    parser.add_argument(
        "--conf",
        type=json_object,
        default={},
        help="JSON object: the sample runs' dag_run.conf, merged over the params like a "
        "run triggered with that conf",
    )
    parser.add_argument(
        "--connection",
        action="append",
        default=[],
        metavar="ID=URI",
        help="an Airflow connection the DAGs' templates may read (`conn.get(id)`), "
        "provided as AIRFLOW_CONN_<ID>; repeatable",
    )
    parser.add_argument(
        "--import-pools",
        metavar="POOLS_JSON",
        help="run `airflow db migrate` and `airflow pools import POOLS_JSON` in the "
        "isolated AIRFLOW_HOME and report the result as pools_import",
    )
    return parser.parse_args(argv)


def json_object(text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def configure_environment(home):
    """Everything Airflow reads at import time; must run before `import airflow`."""
    # Airflow's defaults only, whatever the caller's environment holds. Not
    # UNIT_TEST_MODE: its unit_tests.cfg sets [scheduler] create_cron_data_intervals
    # = true, which on 3.x would hide the cron-string CronTriggerTimetable trap.
    for name in list(os.environ):
        if name.startswith("AIRFLOW__") or name == "AIRFLOW_CONFIG":
            del os.environ[name]
    for name in list(os.environ):
        if name.startswith("AIRFLOW_CONN_"):
            del os.environ[name]
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"
    os.environ["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "120"
    warnings.simplefilter("ignore")


def load_pools(path):
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        return set(data)
    if isinstance(data, list):
        return {item["name"] if isinstance(item, dict) else str(item) for item in data}
    raise SystemExit(f"--pools {path}: expected a JSON list or object")


def airflow_cli(home, *args):
    """This venv's `airflow` CLI in the isolated AIRFLOW_HOME: (exit code, stdout, stderr)."""
    completed = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        cwd=home,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return completed.returncode, completed.stdout, completed.stderr


def json_tail(text):
    """The JSON value in `text` after any log lines the CLI printed before it."""
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char in "[{" and (index == 0 or text[index - 1] == "\n"):
            try:
                value, _ = decoder.raw_decode(text[index:])
            except json.JSONDecodeError:
                continue
            return value
    raise ValueError(f"no JSON in: {text[-2000:]}")


def import_pools(home, path):
    """`airflow db migrate`, `airflow pools import PATH`, then the pools read back with
    `airflow pools list -o json`: {"ok", "output", "pools": {name: slots}}."""
    path = os.path.abspath(path)
    code, out, err = airflow_cli(home, "db", "migrate")
    if code != 0:
        return {"ok": False, "output": f"airflow db migrate failed ({code}):\n{out}{err}", "pools": {}}
    code, out, err = airflow_cli(home, "pools", "import", path)
    output = (out + err).strip()
    if code != 0:
        return {"ok": False, "output": output, "pools": {}}
    list_code, list_out, list_err = airflow_cli(home, "pools", "list", "-o", "json")
    try:
        if list_code != 0:
            raise ValueError(f"exit code {list_code}: {list_err}")
        pools = {item["pool"]: int(item["slots"]) for item in json_tail(list_out)}
    except (ValueError, KeyError, TypeError) as error:
        return {"ok": False, "output": f"{output}\nairflow pools list failed: {error}", "pools": {}}
    return {"ok": True, "output": output, "pools": pools}


def new_dagbag(folder):
    # Built outside the `except` block, so import errors of DAG files are not chained
    # to this ImportError in their tracebacks.
    try:  # Airflow 3.x
        from airflow.dag_processing.dagbag import DagBag

        extra = {}
    except ImportError:  # Airflow 2.x
        from airflow.models.dagbag import DagBag

        extra = {"include_examples": False}
    return DagBag(dag_folder=folder, **extra)


def core_timetable(timetable):
    """3.x DAG files hold Task SDK timetables; the scheduler-side class computes intervals."""
    if hasattr(timetable, "next_dagrun_info"):
        return timetable
    from airflow.serialization.encoders import coerce_to_core_timetable

    return coerce_to_core_timetable(timetable)


def sample_run(dag, day):
    """The run the scheduler creates for `day`, computed the same way on both versions.

    The first scheduled run whose logical date is at or after midnight of `day` in the
    DAG's time zone (`next_dagrun_info` with catchup, no previous run). For
    CronDataIntervalTimetable that run's logical date is the start of its data interval
    on 2.10 and 3.x alike, so its business date is `day` (and `ds` too in UTC). A DAG
    without a schedule gets a manual run at midnight with the data interval the
    timetable infers for it.
    """
    import pendulum
    from airflow.timetables.base import TimeRestriction

    zone = getattr(core_timetable(dag.timetable), "_timezone", None) or "UTC"
    earliest = pendulum.datetime(day.year, day.month, day.day, tz=zone)
    timetable = core_timetable(dag.timetable)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=earliest, latest=None, catchup=True),
    )
    if info is not None:
        logical_date = info.logical_date
        start, end = info.data_interval.start, info.data_interval.end
        run_after = info.run_after
        run_type = "scheduled"
    else:
        interval = timetable.infer_manual_data_interval(run_after=earliest)
        logical_date, run_after = earliest, earliest
        start, end = interval.start, interval.end
        run_type = "manual"
    return {
        "run_type": run_type,
        "logical_date": pendulum.instance(logical_date),
        "data_interval_start": pendulum.instance(start),
        "data_interval_end": pendulum.instance(end),
        "run_after": pendulum.instance(run_after),
    }


class SampleDagRun:
    """The attributes of a DagRun templates commonly read."""

    def __init__(self, dag, run, run_id, conf):
        self.dag_id = dag.dag_id
        self.run_id = run_id
        self.run_type = run["run_type"]
        self.logical_date = run["logical_date"]
        self.data_interval_start = run["data_interval_start"]
        self.data_interval_end = run["data_interval_end"]
        self.run_after = run["run_after"]
        self.conf = dict(conf)
        self.external_trigger = bool(conf)


class SampleTaskInstance:
    """`ti` before anything ran: `xcom_pull` returns None (no value pushed yet), and
    only for task ids upstream of the task; any other id is a template error, so a
    template cannot read the result of a task that may not have run."""

    def __init__(self, dag, task, run_id):
        self.dag_id = dag.dag_id
        self.task_id = task.task_id
        self.run_id = run_id
        self._upstream = set(task.get_flat_relative_ids(upstream=True))

    def xcom_pull(self, task_ids=None, key="return_value", **_kwargs):
        wanted = [task_ids] if isinstance(task_ids, str) else list(task_ids or [])
        for task_id in wanted:
            if task_id not in self._upstream:
                raise ValueError(
                    f"xcom_pull of task {task_id!r}, which is not upstream of {self.task_id!r}"
                )
        return None if isinstance(task_ids, str) else [None for _ in wanted]


def dump_params(params):
    if params is None:
        return {}
    if hasattr(params, "dump"):
        try:
            return dict(params.dump())
        except Exception:  # noqa: BLE001 - a Param without a default may not dump
            return {key: value for key, (value, _) in param_values(params).items()}
    return dict(params)


NO_VALUE = object()


def param_values(params):
    """{key: (value or NO_VALUE, Param or None)} without resolving (validating) anything."""
    found = {}
    if params is None:
        return found
    get_param = getattr(params, "get_param", None)
    for key in params:
        param = get_param(key) if get_param else None
        if param is None or not hasattr(param, "value"):
            found[key] = (params[key], None)
            continue
        # `has_value` compares with the NOTSET singleton, but a deep-copied Param (task
        # params on both versions) holds a copy of it: check the type too.
        has_value = getattr(param, "has_value", True) and type(param.value).__name__ != "ArgNotSet"
        found[key] = (param.value if has_value else NO_VALUE, param)
    return found


def params_spec(params):
    """{key: {"default", "has_default", "schema", "description"}} for every DAG param."""
    spec = {}
    for key, (value, param) in param_values(params).items():
        spec[key] = {
            "default": None if value is NO_VALUE else jsonable(value),
            "has_default": value is not NO_VALUE,
            "schema": jsonable(dict(getattr(param, "schema", None) or {})),
            "description": getattr(param, "description", None),
        }
    return spec


def run_params(dag, task, conf):
    """The params a run triggered with `conf` sees: defaults (DAG's, overlaid by the
    task's), then conf merged over them ([core] dag_run_conf_overrides_params is on by
    default). A param without a default and without a conf value is left out, so a
    template reading it fails like it would in Airflow. Returns (params, errors): a
    conf value its Param's schema rejects is an error."""
    values = {**param_values(dag.params), **param_values(task.params)}
    params, errors = {}, []
    for key, (value, param) in values.items():
        if key in conf:
            value = conf[key]
            if param is not None and hasattr(param, "resolve"):
                try:  # on a copy: resolve() stores the value in the Param
                    value = copy.deepcopy(param).resolve(value=value)
                except Exception as error:  # noqa: BLE001 - schema violations are data
                    errors.append(f"conf: param {key!r}: {type(error).__name__}: {error}")
        if value is not NO_VALUE:
            params[key] = value
    for key, value in conf.items():
        params.setdefault(key, value)
    return params, errors


def connection_accessor():
    """The `conn` template variable of the running Airflow version."""
    try:
        from airflow.sdk.execution_time.context import ConnectionAccessor
    except ImportError:
        from airflow.utils.context import ConnectionAccessor
    return ConnectionAccessor()


def template_context(dag, task, run, is_v2, conf=None):
    """The keys both versions provide (plus the 2.x-only ones on 2.x)."""
    try:
        from airflow.sdk.execution_time import macros
    except ImportError:
        from airflow import macros

    logical_date = run["logical_date"]
    ds = logical_date.strftime("%Y-%m-%d")
    ts = logical_date.isoformat()
    run_id = f"{run['run_type']}__{ts}"
    conf = conf or {}
    params, _ = run_params(dag, task, conf)
    context = {
        "dag": dag,
        "task": task,
        "macros": macros,
        "params": params,
        "run_id": run_id,
        "dag_run": SampleDagRun(dag, run, run_id, conf),
        "ds": ds,
        "ds_nodash": ds.replace("-", ""),
        "ts": ts,
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
        "logical_date": logical_date,
        "data_interval_start": run["data_interval_start"],
        "data_interval_end": run["data_interval_end"],
        "inlets": [],
        "outlets": [],
        "conn": connection_accessor(),
        "ti": SampleTaskInstance(dag, task, run_id),
        "task_instance": SampleTaskInstance(dag, task, run_id),
    }
    if is_v2:
        from airflow.configuration import conf as airflow_conf

        # Context keys that exist on 2.x and are gone on 3.x.
        context.update(
            {
                "execution_date": logical_date,
                "next_execution_date": run["data_interval_end"],
                "next_ds": run["data_interval_end"].strftime("%Y-%m-%d"),
                "next_ds_nodash": run["data_interval_end"].strftime("%Y%m%d"),
                "yesterday_ds": (logical_date - timedelta(days=1)).strftime("%Y-%m-%d"),
                "yesterday_ds_nodash": (logical_date - timedelta(days=1)).strftime("%Y%m%d"),
                "tomorrow_ds": (logical_date + timedelta(days=1)).strftime("%Y-%m-%d"),
                "tomorrow_ds_nodash": (logical_date + timedelta(days=1)).strftime("%Y%m%d"),
                "conf": airflow_conf,
            }
        )
    return context


def strict_env(dag):
    import jinja2

    env = dag.get_template_env()
    undefined = getattr(env, "undefined", None)
    if not (isinstance(undefined, type) and issubclass(undefined, jinja2.StrictUndefined)):
        env = env.overlay(undefined=jinja2.StrictUndefined)
    return env


def iter_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from iter_strings(item)


def check_field(env, task, value):
    """Syntax errors and missing template files, as `problem` messages."""
    import jinja2

    found = []
    extensions = tuple(getattr(task, "template_ext", ()) or ())
    for text in iter_strings(value):
        if extensions and text.endswith(extensions):
            try:
                source, filename, _ = env.loader.get_source(env, text)
            except jinja2.TemplateNotFound:
                searched = list(getattr(env.loader, "searchpath", []))
                found.append(f"template file not found: {text!r} (searched {searched})")
                continue
            where = filename
        else:
            source, where = text, None
        try:
            env.parse(source)
        except jinja2.TemplateSyntaxError as error:
            location = f" in {os.path.basename(where)}" if where else ""
            found.append(f"template syntax error{location} line {error.lineno}: {error.message}")
    return found


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


def seconds(value):
    return None if value is None else float(value.total_seconds())


def weight_rule_name(rule):
    """3.x keeps the string (or WeightRule enum); 2.10 keeps a priority-strategy object."""
    if isinstance(rule, str):
        return str(getattr(rule, "value", rule))
    try:
        from airflow.task.priority_strategy import airflow_priority_weight_strategies
    except ImportError:
        airflow_priority_weight_strategies = {}
    for name, cls in airflow_priority_weight_strategies.items():
        if type(rule) is cls:
            return name
    # A custom strategy: its import path, as Airflow serializes it.
    return f"{type(rule).__module__}.{type(rule).__qualname__}"


def asset_uris(items):
    """Dataset (2.10) / Asset (3.x) URIs of inlets, outlets or a schedule condition,
    in order; any/all conditions (`objects`) are flattened, aliases become `alias:NAME`."""
    uris = []
    for item in items or []:
        uri = getattr(item, "uri", None)
        if isinstance(uri, str):
            uris.append(uri)
        elif getattr(item, "objects", None) is not None:
            uris.extend(asset_uris(item.objects))
        elif isinstance(getattr(item, "name", None), str):
            uris.append(f"alias:{item.name}")
        else:
            uris.append(str(item))
    return uris


def schedule_assets(dag):
    """The asset (dataset) URIs an asset-scheduled DAG waits for, else None. 2.10
    timetables all carry a dataset_condition (a null one unless dataset-triggered);
    the 3.3 Task SDK AssetAll has no iter_assets, so `objects` is walked."""
    timetable = dag.timetable
    if not any(word in type(timetable).__name__ for word in ("Asset", "Dataset")):
        return None
    for attribute in ("asset_condition", "dataset_condition"):
        condition = getattr(timetable, attribute, None)
        if condition is not None:
            return asset_uris([condition]) or None
    return None


def class_names(task):
    return {cls.__name__ for cls in type(task).__mro__}


def external_task_details(task, context, where, problems):
    """ExternalTaskSensor: what it waits for, and which upstream run (logical date)."""
    delta = getattr(task, "execution_delta", None)
    date_fn = getattr(task, "execution_date_fn", None)
    details = {
        "external_dag_id": task.external_dag_id,
        "external_task_id": getattr(task, "external_task_id", None),
        "execution_delta_seconds": seconds(delta),
        "has_execution_date_fn": date_fn is not None,
        "allowed_states": jsonable(getattr(task, "allowed_states", None)),
        "failed_states": jsonable(getattr(task, "failed_states", None)),
    }
    logical_date = context["logical_date"]
    if delta is not None:
        details["execution_delta_target"] = jsonable(logical_date - delta)
    if date_fn is not None:
        try:
            if hasattr(task, "_handle_execution_date_fn"):
                # The sensor's own call: logical date first, the context as keyword
                # arguments (filtered to the function's signature), plus `context`.
                result = task._handle_execution_date_fn(context=context)
            else:
                from airflow.utils.operator_helpers import make_kwargs_callable

                kwargs = {k: v for k, v in context.items() if k not in {"execution_date", "logical_date"}}
                kwargs["context"] = context
                result = make_kwargs_callable(date_fn)(logical_date, **kwargs)
        except Exception as error:  # noqa: BLE001 - a failing function is data
            problems.append(f"{where}: execution_date_fn failed: {type(error).__name__}: {error}")
            result = None
        details["execution_date_fn_result"] = jsonable(result)
    return details


def operator_details(task, context, is_sensor, where, problems):
    """Settings that are not templated fields, for the operators flowc writes."""
    details = {}
    names = class_names(task)
    if is_sensor:
        details["poke_interval_seconds"] = float(task.poke_interval)
        details["timeout_seconds"] = float(task.timeout) if task.timeout is not None else None
    if hasattr(task, "external_dag_id") and hasattr(task, "execution_delta"):
        details.update(external_task_details(task, context, where, problems))
    if "SparkSqlOperator" in names:
        details.update(
            {
                "spark_conf": jsonable(getattr(task, "_conf", None)),
                "yarn_queue": getattr(task, "_yarn_queue", None),
                "spark_name": getattr(task, "_name", None),
                "conn_id": getattr(task, "_conn_id", None),
            }
        )
    if "SparkSubmitOperator" in names:
        details.update(
            {
                "spark_conf": jsonable(getattr(task, "conf", getattr(task, "_conf", None))),
                "application": getattr(task, "application", getattr(task, "_application", None)),
                "spark_name": getattr(task, "name", getattr(task, "_name", None)),
                "yarn_queue": getattr(task, "_yarn_queue", None),
                "conn_id": getattr(task, "_conn_id", None),
            }
        )
    if "KylinCubeOperator" in names:
        for attribute in ("kylin_conn_id", "project", "cube", "command"):
            details[attribute] = jsonable(getattr(task, attribute, None))
    for attribute in ("http_conn_id", "metastore_conn_id", "sftp_conn_id"):
        if hasattr(task, attribute):
            details[attribute] = jsonable(getattr(task, attribute))
    return details


def describe_task(dag, task, env, run, is_v2, pools, conf, problems):
    where = f"{dag.dag_id}/{task.task_id}"
    if pools is not None and task.pool != "default_pool" and task.pool not in pools:
        problems.append(f"{where}: unknown pool {task.pool!r}")
    context = template_context(dag, task, run, is_v2, conf)
    rendered = {}
    for field in task.template_fields:
        value = getattr(task, field, None)
        field_problems = check_field(env, task, value)
        if field_problems:
            problems.extend(f"{where}: {field}: {message}" for message in field_problems)
            rendered[field] = None
            continue
        try:
            result = task.render_template(value, context, env, set())
        except Exception as error:  # noqa: BLE001 - every render failure is data
            problems.append(f"{where}: {field}: render failed: {type(error).__name__}: {error}")
            rendered[field] = None
            continue
        rendered[field] = jsonable(result)
    is_sensor = hasattr(task, "poke_interval") and hasattr(task, "mode")
    details = operator_details(task, context, is_sensor, where, problems)
    return {
        **details,
        "operator": task.task_type,
        "upstream": sorted(task.upstream_task_ids),
        "downstream": sorted(task.downstream_task_ids),
        "pool": task.pool,
        "pool_slots": task.pool_slots,
        "priority_weight": task.priority_weight,
        "weight_rule": weight_rule_name(task.weight_rule),
        "queue": task.queue,
        "retries": task.retries,
        "retry_delay_seconds": seconds(task.retry_delay),
        "execution_timeout_seconds": seconds(task.execution_timeout),
        "depends_on_past": bool(task.depends_on_past),
        "alerts": failure_alerts(task),
        "sla_seconds": seconds(getattr(task, "sla", None)) if is_v2 else None,
        "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
        "mode": task.mode if is_sensor else None,
        "doc_md": task.doc_md,
        "template_fields": list(task.template_fields),
        "rendered": rendered,
        "inlets": asset_uris(getattr(task, "inlets", None)),
        "outlets": asset_uris(getattr(task, "outlets", None)),
    }


def alert_of(class_name, fields):
    """One failure or deadline callback in the form of an alert in flowc's manifest:
    the notifier's kind and connection id (`fields` are its attributes or kwargs)."""
    if class_name == "SmtpNotifier":
        to = fields.get("to")
        return {
            "kind": "email",
            "to": [to] if isinstance(to, str) else list(to or []),
            "connection": fields.get("smtp_conn_id"),
        }
    if class_name == "SlackWebhookNotifier":
        return {"kind": "slack", "connection": fields.get("slack_webhook_conn_id"), "channel": None}
    if class_name == "SlackNotifier":
        return {"kind": "slack", "connection": fields.get("slack_conn_id"), "channel": fields.get("channel")}
    if class_name == "FlowcDingTalkAlert":
        return {
            "kind": "dingtalk",
            "connection": fields.get("dingding_conn_id"),
            "at_mobiles": list(fields.get("at_mobiles") or []),
            "at_all": bool(fields.get("at_all")),
        }
    return {"kind": f"unknown callback {class_name}"}


def failure_alerts(task):
    callbacks = task.on_failure_callback or []
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]
    return [alert_of(type(callback).__name__, vars(callback)) for callback in callbacks]


def deadline_alerts(dag):
    """Airflow 3's deadline alerts: reference, interval and the notifier each calls."""
    deadlines = getattr(dag, "deadline", None) or []
    if not isinstance(deadlines, (list, tuple)):
        deadlines = [deadlines]
    return [
        {
            "reference": type(deadline.reference).__name__,
            "interval_seconds": seconds(deadline.interval),
            "callback": type(deadline.callback).__name__,
            "alert": alert_of(deadline.callback.path.rsplit(".", 1)[-1], deadline.callback.kwargs),
        }
        for deadline in deadlines
    ]


def cron_expression(timetable):
    for attribute in ("expression", "_expression"):
        value = getattr(timetable, attribute, None)
        if isinstance(value, str):
            return value
    return None


def describe_dag(dag, run_day, is_v2, pools, conf, problems):
    env = strict_env(dag)
    run = sample_run(dag, run_day)
    _, conf_errors = run_params(dag, dag, conf)
    problems.extend(f"{dag.dag_id}: {message}" for message in conf_errors)
    start_date = dag.start_date
    return {
        "fileloc": os.path.basename(dag.fileloc),
        "timetable": type(dag.timetable).__name__,
        "cron": cron_expression(dag.timetable),
        "catchup": bool(dag.catchup),
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "tags": sorted(dag.tags or []),
        "owner": dag.owner,
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "dagrun_timeout_seconds": seconds(dag.dagrun_timeout),
        "deadline_alerts": [] if is_v2 else deadline_alerts(dag),
        "start_date": start_date.isoformat() if start_date else None,
        "params": jsonable(dump_params(dag.params)),
        "params_spec": params_spec(dag.params),
        "schedule_assets": schedule_assets(dag),
        "description": dag.description,
        "sample_run": jsonable(run),
        "tasks": {
            task.task_id: describe_task(dag, task, env, run, is_v2, pools, conf, problems)
            for task in sorted(dag.tasks, key=lambda t: t.task_id)
        },
    }


def inspect(args, home):
    import airflow

    folder = os.path.abspath(args.dag_folder)
    if not os.path.isdir(folder):
        raise SystemExit(f"inspect_dags.py: {args.dag_folder}: not a folder")
    is_v2 = airflow.__version__.startswith("2.")
    pools = load_pools(args.pools)
    run_day = datetime.strptime(args.logical_date, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    bag = new_dagbag(folder)
    problems = []
    import_errors = {
        os.path.relpath(path, folder): str(message).strip()
        for path, message in sorted(bag.import_errors.items())
    }
    dags = {}
    for dag_id in sorted(bag.dags):
        try:
            dags[dag_id] = describe_dag(bag.dags[dag_id], run_day, is_v2, pools, args.conf, problems)
        except Exception as error:  # noqa: BLE001 - one DAG must not hide the others
            problems.append(f"{dag_id}: could not be described: {type(error).__name__}: {error}")
    # A file that yields neither a DAG nor an import error usually forgot to bind its DAG.
    loaded = {os.path.realpath(dag.fileloc) for dag in bag.dags.values()}
    failed = {os.path.realpath(path) for path in bag.import_errors}
    for directory, _, files in os.walk(folder):
        for name in sorted(files):
            path = os.path.realpath(os.path.join(directory, name))
            if name.endswith(".py") and path not in loaded and path not in failed:
                problems.append(f"{os.path.relpath(path, folder)}: no DAG found at module level")
    result = {
        "airflow_version": airflow.__version__,
        "import_errors": import_errors,
        "dags": dags,
        "problems": sorted(problems),
    }
    if args.import_pools:
        result["pools_import"] = import_pools(home, args.import_pools)
    return result


def main(argv):
    args = parse_args(argv)
    home = tempfile.mkdtemp(prefix="flowc-airflow-home-")
    configure_environment(home)
    for connection in args.connection:
        conn_id, _, uri = connection.partition("=")
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = uri
    # Whatever Airflow or the DAG files print goes to stderr: stdout is the JSON only.
    json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = inspect(args, home)
        json.dump(result, json_out, indent=2, sort_keys=True)
        json_out.write("\n")
        json_out.flush()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
