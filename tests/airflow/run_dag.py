"""Run DAGs of a folder with Airflow's own test runner (`dag.test()`), every Spark job
replaced by a stand-in, and print the state of each task as JSON.

Usage (with the python of one of the venvs made by scripts/airflow-venvs.sh):

    python tests/airflow/run_dag.py DAG_FOLDER DAG_ID [DAG_ID...] [--logical-date 2024-03-05]
        [--pools pools.json]
        [--datax-home DIR] [--at DAG_ID=2024-03-04T17:00:00+00:00 ...]
        [--spark MASTER] [--conn CONN_ID=URI_OR_JSON ...] [--path DIR ...] [--env NAME=VALUE ...]
        [--scheduled] [--dag-conf DAG_ID=JSON ...] [--home DIR] [--ml-sql DAG_ID.TASK_ID=FILE ...]

The DAGs run one after the other, for the same logical date (UTC midnight of
`--logical-date`, or the instant `--at` gives that DAG), in one metadata database: a
later DAG's ExternalTaskSensor sees the task states of an earlier one. Airflow decides
each run's data interval from the logical date (a manual run's: the last complete
interval, the one that ends there, on 2.10 and 3.x); it is printed with the run.

With `--scheduled`, each run gets the data interval the scheduled run of its logical
date has (the interval that starts there), as the scheduler would make it, instead of a
manual run's (the one that ends there): runs of several DAGs for one business date then
have the logical dates their sensors look for. `--dag-conf` is the run conf of a DAG
(a triggered DAG's parameters).

`--home DIR` keeps Airflow's home (its metadata database) there instead of a temporary
folder, so a later run for another business date sees the earlier runs.

With `--spark MASTER` (e.g. `local-spark://127.0.0.1:PORT`, the local Spark of
src/execute/spark_server.py), `SparkSqlOperator` runs for real: Airflow renders the SQL, the
provider's SparkSqlHook runs `spark-sql` (tests/spark/bin/spark-sql, given with
`--path`) against that Spark through the `spark_sql_default` connection, and what it
printed is recorded per task (`spark`). `--conn` sets more Airflow connections,
`--env` environment variables of the tasks. Tasks are not retried (a failure shows at
once, not after the retry delays). Two things change for such a run, both for
reasons outside flowc: an ml task (`SparkSubmitOperator`) given with `--ml-sql` runs
that SQL file on the Spark instead — its output rows, since the models and JARs it
would submit are nowhere to be had; and `KylinCubeOperator` runs for real against the
Kylin its connection names, with two shims for the provider's client: kylinpy 2.8.4
(the newest) calls `inspect.getargspec`, which Python 3.11 removed, so it is put back
as `getfullargspec`'s first four fields; and the operator's wait between job polls (60
s) is not slept.

Otherwise the stand-ins never touch a cluster:
- `SparkSubmitOperator` (ml tasks, sql_runner) succeeds;
- `BashOperator` (DataX) succeeds, unless `--datax-home DIR` is given: then it runs for
  real — the rendered command, flowc's DataX launcher, and whatever `DIR/bin/datax.py`
  is (`DATAX_HOME=DIR`), with Airflow keeping its last output line as the task's XCom;
- `SparkSqlOperator` records the SQL Airflow rendered for the task and succeeds (what
  that SQL does on data is proven with `--spark`).

Cross-flow sensors (ExternalTaskSensor) run for real; the error each one fails with is
recorded.

Prints {"airflow_version", "runs": {dag_id: {"state", "states": {task_id: state},
"data_interval": [start, end] (UTC, ISO)}},
"stand_in": [{"task", "outcome", "sql"}], "sensor_errors": {task: message}} on
stdout (`task` is `dag_id.task_id`; `sql` is what Airflow rendered for a Spark SQL
task); Airflow's logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime, timezone


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_folder")
    parser.add_argument("dag_ids", nargs="+", metavar="DAG_ID")
    parser.add_argument("--logical-date", default="2024-03-05")
    parser.add_argument("--pools", help="pools file in the `airflow pools import` format")
    parser.add_argument("--datax-home", help="run BashOperator for real with this DATAX_HOME")
    parser.add_argument("--at", action="append", default=[], metavar="DAG_ID=ISO", help="this DAG's logical date")
    parser.add_argument("--spark", metavar="MASTER", help="run SparkSqlOperator for real on this Spark")
    parser.add_argument("--conn", action="append", default=[], metavar="CONN_ID=URI_OR_JSON")
    parser.add_argument("--path", action="append", default=[], metavar="DIR", help="prepended to PATH")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--scheduled", action="store_true", help="scheduled runs' data intervals")
    parser.add_argument("--dag-conf", action="append", default=[], metavar="DAG_ID=JSON")
    parser.add_argument("--home", help="Airflow home to keep (default: a temporary one)")
    parser.add_argument("--ml-sql", action="append", default=[], metavar="DAG_ID.TASK_ID=FILE")
    return parser.parse_args(argv)


def configure_environment(home, dag_folder):
    """Everything Airflow reads at import time; must run before `import airflow`."""
    for name in list(os.environ):
        if name.startswith(("AIRFLOW__", "AIRFLOW_CONN_")) or name == "AIRFLOW_CONFIG":
            del os.environ[name]
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = dag_folder
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    warnings.simplefilter("ignore")


def airflow_cli(home, *args):
    completed = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        cwd=home,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"airflow {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")


def migrated_database(home):
    """The Airflow home's `airflow.db`, migrated: `airflow db migrate` runs once per
    venv (several seconds of CPU each time) into a template kept in the venv, which
    every later home copies; a home that already has its database (a kept --home) keeps
    it."""
    database = os.path.join(home, "airflow.db")
    if os.path.exists(database):
        return
    template = os.path.join(sys.prefix, "flowc-migrated-airflow.db")
    if not os.path.exists(template):
        airflow_cli(home, "db", "migrate")
        # Another run may be making it too: each writes its own copy, then renames.
        partial = f"{template}.{os.getpid()}"
        shutil.copyfile(database, partial)
        os.replace(partial, template)
        return
    shutil.copyfile(template, database)


STAND_IN = []
SPARK = []


def observe_spark_sql():
    """Not a stand-in: SparkSqlOperator runs for real; the lines spark-sql printed (the
    hook reads them from the process's stdout) and the error it failed with are
    recorded per task. The hook's subprocess module is wrapped so that the process's
    output is also copied here: how the hook logs it differs between Airflow 2 and 3."""
    import subprocess as real_subprocess

    from airflow.providers.apache.spark.hooks import spark_sql as hook_module
    from airflow.providers.apache.spark.operators.spark_sql import SparkSqlOperator

    current = []

    class Tee:
        def __init__(self, process):
            self._process = process
            self.stdout = self._lines(process.stdout)

        def _lines(self, stream):
            for line in stream:
                current.append(line.rstrip("\n"))
                yield line

        def __getattr__(self, name):
            return getattr(self._process, name)

    class Subprocess:
        def __getattr__(self, name):
            return getattr(real_subprocess, name)

        @staticmethod
        def Popen(*args, **kwargs):
            return Tee(real_subprocess.Popen(*args, **kwargs))

    hook_module.subprocess = Subprocess()
    real_execute = SparkSqlOperator.execute

    def execute(self, context, **kwargs):
        current.clear()
        entry = {"task": f"{self.dag_id}.{self.task_id}", "outcome": "pass", "lines": [], "error": None}
        try:
            return real_execute(self, context, **kwargs)
        except Exception as error:
            entry["outcome"] = "fail"
            entry["error"] = str(error)
            raise
        finally:
            entry["lines"] = [line for line in current if "flowc-dq" in line or "Error in query" in line]
            SPARK.append(entry)

    SparkSqlOperator.execute = execute


ML_SQL = {}


def ml_as_sql(operator):
    """An ml task listed in --ml-sql runs its SQL file through spark-sql instead."""
    def execute(self, context, **kwargs):
        task = f"{self.dag_id}.{self.task_id}"
        path = ML_SQL.get(task)
        if path is None:
            STAND_IN.append({"task": task, "outcome": "pass"})
            return None
        completed = subprocess.run(
            ["spark-sql", "--master", os.environ["FLOWC_RUN_SPARK"], "-f", path],
            capture_output=True, text=True, check=False,
        )
        STAND_IN.append({"task": task, "outcome": "pass" if completed.returncode == 0 else "fail", "sql": path})
        if completed.returncode != 0:
            raise RuntimeError(f"the ml stand-in's SQL failed: {completed.stderr}")
        return None

    operator.execute = execute


def kylin_shims():
    import collections
    import inspect

    if not hasattr(inspect, "getargspec"):
        ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")

        def getargspec(func):
            spec = inspect.getfullargspec(func)
            return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)

        inspect.getargspec = getargspec
    try:
        from airflow.providers.apache.kylin.operators import kylin_cube
    except ImportError:
        return

    class NoWait:
        def __getattr__(self, name):
            return getattr(__import__("time"), name)

        @staticmethod
        def sleep(_seconds):
            return None

    kylin_cube.time = NoWait()


def install_stand_ins(real_bash, real_spark):
    from airflow.providers.apache.spark.operators.spark_sql import SparkSqlOperator
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    def spark_sql(self, context, **kwargs):
        STAND_IN.append({"task": f"{self.dag_id}.{self.task_id}", "outcome": "pass", "sql": self.sql or ""})

    def succeed(self, context, **kwargs):
        STAND_IN.append({"task": f"{self.dag_id}.{self.task_id}", "outcome": "pass"})

    if real_spark:
        observe_spark_sql()
    else:
        SparkSqlOperator.execute = spark_sql
    SparkSubmitOperator.execute = succeed
    if real_spark:
        ml_as_sql(SparkSubmitOperator)
        kylin_shims()
    observe_sensor_failures()
    import importlib

    if real_bash:
        return
    for module in ("airflow.providers.standard.operators.bash", "airflow.operators.bash"):
        try:
            importlib.import_module(module).BashOperator.execute = succeed
        except ImportError:
            pass


SENSOR_ERRORS = {}
FILE_POKES = []


def observe_file_sensors():
    """Not a stand-in: FileSensor runs for real; the path each poke looked at and what
    it found are recorded."""
    import importlib

    for module in ("airflow.providers.standard.sensors.filesystem", "airflow.sensors.filesystem"):
        try:
            cls = importlib.import_module(module).FileSensor
        except ImportError:
            continue
        real_poke = cls.poke

        def poke(self, context, _real=real_poke):
            found = _real(self, context)
            FILE_POKES.append({"task": f"{self.dag_id}.{self.task_id}", "path": str(self.path), "found": bool(found)})
            return found

        cls.poke = poke


def scheduled_intervals():
    """A run of a cron DAG gets the data interval that starts at its logical date, as a
    scheduled run does, not the last complete one before it (a manual run's)."""
    from airflow.timetables.base import DataInterval
    from airflow.timetables.interval import CronDataIntervalTimetable

    def infer(self, *, run_after):
        start = self._align_to_prev(run_after)
        return DataInterval(start=start, end=self._get_next(start))

    CronDataIntervalTimetable.infer_manual_data_interval = infer


def observe_sensor_failures():
    """Not a stand-in: ExternalTaskSensor runs for real; why it fails is recorded.
    Both classes are observed where both exist (2.10 with the standard provider): the
    DAG files import the core one on 2.10."""
    import importlib

    classes = set()
    for module in ("airflow.providers.standard.sensors.external_task", "airflow.sensors.external_task"):
        try:
            classes.add(importlib.import_module(module).ExternalTaskSensor)
        except ImportError:
            pass
    for cls in classes:
        real_poke = cls.poke

        def poke(self, context, *args, _real=real_poke, **kwargs):
            try:
                return _real(self, context, *args, **kwargs)
            except Exception as error:
                SENSOR_ERRORS[f"{self.dag_id}.{self.task_id}"] = f"{type(error).__name__}: {error}"
                raise

        cls.poke = poke


def load_dags(folder):
    """Every DAG of the folder, registered in the metadata database (as the DAG processor
    would), so ExternalTaskSensor's existence check finds the DAGs it waits for."""
    try:  # Airflow 3.x: dag.test() syncs the DAG folder itself.
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(folder)
    except ImportError:  # Airflow 2.x
        from airflow.models.dagbag import DagBag

        bag = DagBag(folder, include_examples=False)
        bag.sync_to_db()
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    return bag.dags


def utc_iso(value):
    """An aware datetime as ISO text in UTC, or None."""
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def text(state):
    """A state enum (or None) as its plain value."""
    return None if state is None else str(getattr(state, "value", state))


def main(argv):
    args = parse_args(argv)
    # Airflow logs task output to stdout: send everything to stderr, keep the real
    # stdout for the JSON.
    sys.stdout.flush()
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    folder = os.path.abspath(args.dag_folder)
    home = os.path.abspath(args.home) if args.home else tempfile.mkdtemp(prefix="flowc-airflow-run-")
    os.makedirs(home, exist_ok=True)
    try:
        configure_environment(home, folder)
        migrated_database(home)
        import airflow

        if args.pools:
            # `airflow pools import` through Airflow's own command-line parser, in this
            # process: the command's code, without a second Airflow start-up.
            from airflow.cli.cli_parser import get_parser

            command = get_parser().parse_args(["pools", "import", os.path.abspath(args.pools)])
            command.func(command)

        if args.datax_home:
            os.environ["DATAX_HOME"] = os.path.abspath(args.datax_home)
        for item in args.conn:
            conn_id, _, value = item.partition("=")
            os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = value
        for item in args.ml_sql:
            task, _, path = item.partition("=")
            ML_SQL[task] = os.path.abspath(path)
        if args.spark:
            os.environ["FLOWC_RUN_SPARK"] = args.spark
            host, _, port = args.spark.rpartition(":")
            os.environ["AIRFLOW_CONN_SPARK_SQL_DEFAULT"] = json.dumps(
                {"conn_type": "spark_sql", "host": host, "port": int(port)}
            )
        for item in args.env:
            name, _, value = item.partition("=")
            os.environ[name] = value
        if args.path:
            os.environ["PATH"] = os.pathsep.join([*map(os.path.abspath, args.path), os.environ["PATH"]])
        if airflow.__version__.startswith("2."):
            # The users table's model: a DagRun that dag.test() replaces (a DAG run again
            # for the same date, or in a kept --home) is deleted with its notes, whose
            # foreign key names it.
            try:
                import airflow.providers.fab.auth_manager.models  # noqa: F401
            except ImportError:
                pass
        observe_file_sensors()
        install_stand_ins(real_bash=bool(args.datax_home), real_spark=bool(args.spark))
        if args.scheduled:
            scheduled_intervals()
        dag_conf = {}
        for item in args.dag_conf:
            dag_id, _, value = item.partition("=")
            dag_conf[dag_id] = json.loads(value)
        day = datetime.strptime(args.logical_date, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        at = {}
        for item in args.at:
            dag_id, _, instant = item.partition("=")
            at[dag_id] = datetime.fromisoformat(instant)
        runs = {}
        dags = load_dags(folder)
        for dag_id in args.dag_ids:
            if dag_id not in dags:
                raise SystemExit(f"no DAG {dag_id} in {folder}: {sorted(dags)}")
            dag = dags[dag_id]
            logical_date = at.get(dag_id, day)
            if args.spark:
                # A real run that fails should say so now, not after its retry delays;
                # and a sensor whose condition does not hold yet fails at once instead of
                # waiting (dag.test runs one DAG at a time: a DAG whose sensor waits for a
                # DAG later in the order is listed again after it).
                for task in dag.tasks:
                    task.retries = 0
                    if hasattr(task, "poke"):
                        task.timeout = 0
            if not airflow.__version__.startswith("2.") and getattr(dag, "deadline", None):
                # Airflow 3.3's dag.test() cannot run a DAG with deadline alerts: the
                # run's update_state looks the DAG's DeadlineAlert objects up as alert
                # ids in the database and fails. Deadlines are checked when the DAG
                # files load (inspect_dags.py), not here.
                dag.deadline = None
            conf = dag_conf.get(dag_id)
            if airflow.__version__.startswith("2."):
                run = dag.test(execution_date=logical_date, run_conf=conf)
            else:
                run = dag.test(logical_date=logical_date, run_conf=conf)
            states = {ti.task_id: text(ti.state) for ti in run.get_task_instances()}
            runs[dag_id] = {
                "state": text(run.state),
                "states": dict(sorted(states.items())),
                "data_interval": [utc_iso(run.data_interval_start), utc_iso(run.data_interval_end)],
            }
        json.dump(
            {
                "airflow_version": airflow.__version__,
                "runs": runs,
                "stand_in": STAND_IN,
                "spark": SPARK,
                "sensor_errors": SENSOR_ERRORS,
                "file_pokes": FILE_POKES,
            },
            result_out,
            indent=2,
        )
        print(file=result_out)
        result_out.flush()
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
