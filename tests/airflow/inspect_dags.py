"""Load a DAG folder in a real Airflow (2.10 or 3.x) and describe it as JSON.

Usage (with the python of one of the venvs made by scripts/airflow-venvs.sh):

    python tests/airflow/inspect_dags.py DAG_FOLDER [--logical-date 2024-03-05] [--pools pools.json]

Prints one JSON object on stdout (see tests/airflow/README.md). Import errors and
problems are data: the exit code is 0 whenever the script itself ran to the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
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
    return parser.parse_args(argv)


def configure_environment(home):
    """Everything Airflow reads at import time; must run before `import airflow`."""
    # Airflow's defaults only, whatever the caller's environment holds. Not
    # UNIT_TEST_MODE: its unit_tests.cfg sets [scheduler] create_cron_data_intervals
    # = true, which on 3.x would hide the cron-string CronTriggerTimetable trap.
    for name in list(os.environ):
        if name.startswith("AIRFLOW__") or name == "AIRFLOW_CONFIG":
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

    The first scheduled run whose logical date is at or after midnight UTC of `day`
    (`next_dagrun_info` with catchup, no previous run). For CronDataIntervalTimetable
    that run's logical date is the start of its data interval on 2.10 and 3.x alike,
    so `ds` is `day`. A DAG without a schedule gets a manual run at midnight with the
    data interval the timetable infers for it.
    """
    import pendulum
    from airflow.timetables.base import TimeRestriction

    earliest = pendulum.instance(day)
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

    def __init__(self, dag, run, run_id):
        self.dag_id = dag.dag_id
        self.run_id = run_id
        self.run_type = run["run_type"]
        self.logical_date = run["logical_date"]
        self.data_interval_start = run["data_interval_start"]
        self.data_interval_end = run["data_interval_end"]
        self.run_after = run["run_after"]
        self.conf = {}
        self.external_trigger = False


def dump_params(params):
    if params is None:
        return {}
    if hasattr(params, "dump"):
        return dict(params.dump())
    return dict(params)


def template_context(dag, task, run, is_v2):
    """The keys both versions provide (plus the 2.x-only ones on 2.x)."""
    try:
        from airflow.sdk.execution_time import macros
    except ImportError:
        from airflow import macros

    logical_date = run["logical_date"]
    ds = logical_date.strftime("%Y-%m-%d")
    ts = logical_date.isoformat()
    run_id = f"{run['run_type']}__{ts}"
    params = {**dump_params(dag.params), **dump_params(task.params)}
    context = {
        "dag": dag,
        "task": task,
        "macros": macros,
        "params": params,
        "run_id": run_id,
        "dag_run": SampleDagRun(dag, run, run_id),
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


def describe_task(dag, task, env, run, is_v2, pools, problems):
    where = f"{dag.dag_id}/{task.task_id}"
    if pools is not None and task.pool != "default_pool" and task.pool not in pools:
        problems.append(f"{where}: unknown pool {task.pool!r}")
    context = template_context(dag, task, run, is_v2)
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
    return {
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
        "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
        "mode": task.mode if is_sensor else None,
        "doc_md": task.doc_md,
        "template_fields": list(task.template_fields),
        "rendered": rendered,
    }


def cron_expression(timetable):
    for attribute in ("expression", "_expression"):
        value = getattr(timetable, attribute, None)
        if isinstance(value, str):
            return value
    return None


def describe_dag(dag, run_day, is_v2, pools, problems):
    env = strict_env(dag)
    run = sample_run(dag, run_day)
    start_date = dag.start_date
    return {
        "fileloc": os.path.basename(dag.fileloc),
        "timetable": type(dag.timetable).__name__,
        "cron": cron_expression(dag.timetable),
        "catchup": bool(dag.catchup),
        "tags": sorted(dag.tags or []),
        "owner": dag.owner,
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "start_date": start_date.isoformat() if start_date else None,
        "params": jsonable(dump_params(dag.params)),
        "description": dag.description,
        "sample_run": jsonable(run),
        "tasks": {
            task.task_id: describe_task(dag, task, env, run, is_v2, pools, problems)
            for task in sorted(dag.tasks, key=lambda t: t.task_id)
        },
    }


def inspect(args):
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
            dags[dag_id] = describe_dag(bag.dags[dag_id], run_day, is_v2, pools, problems)
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
    return {
        "airflow_version": airflow.__version__,
        "import_errors": import_errors,
        "dags": dags,
        "problems": sorted(problems),
    }


def main(argv):
    args = parse_args(argv)
    home = tempfile.mkdtemp(prefix="flowc-airflow-home-")
    configure_environment(home)
    # Whatever Airflow or the DAG files print goes to stderr: stdout is the JSON only.
    json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = inspect(args)
        json.dump(result, json_out, indent=2, sort_keys=True)
        json_out.write("\n")
        json_out.flush()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
