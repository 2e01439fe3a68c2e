"""Render the templates of a DAG's tasks for one run with Airflow's own task instance,
and print them as JSON.

Usage (with the python of one of the venvs made by scripts/airflow-venvs.sh):

    python tests/airflow/render_run.py DAG_FOLDER RUNS_JSON

RUNS_JSON is a list of runs: [{"dag_id", "run_id", "logical_date", "data_interval_end",
"conf"}], the dates ISO instants (the run's data interval is from one to the other),
`conf` the run's conf (a triggered DAG's params). Each task's templated fields are rendered the way a worker renders
them before it runs the task: `TaskInstance.render_templates()` on Airflow 2.10, the
task SDK's `RuntimeTaskInstance.render_templates()` on Airflow 3.x, with the run's
context (dates, params, run id, macros). XCom has nothing in it (`ti.xcom_pull` is
None): nothing ran before. A BashOperator's `env` (credentials read from Airflow
connections) is left unrendered: `flowc run` takes credentials from its own
environment instead.

Prints {"airflow_version", "tasks": {"dag_id.task_id": {"sql": rendered SQL (SparkSqlOperator),
"bash_command": (BashOperator), "application_args": [...] (SparkSubmitOperator)}}}.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from datetime import datetime


def configure(home):
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"
    warnings.filterwarnings("ignore")


def without_env(task):
    """`task` with its `env` no longer a templated field."""
    task.template_fields = tuple(f for f in task.template_fields if f != "env")
    return task


def fields(task):
    """The rendered fields this comparison is about."""
    out = {}
    for name in ("sql", "bash_command", "application_args", "application"):
        if name in task.template_fields and hasattr(task, name):
            out[name] = getattr(task, name)
    return out


def render_v2(dag, run_id, logical, end, conf):
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.types import DagRunType

    from airflow.utils import db

    TaskInstance.xcom_pull = lambda self, *args, **kwargs: None
    run = DagRun(
        dag_id=dag.dag_id,
        run_id=run_id,
        execution_date=logical,
        data_interval=(logical, end),
        run_type=DagRunType.MANUAL,
        conf=conf,
    )
    run.dag = dag
    rendered = {}
    for task in dag.tasks:
        ti = TaskInstance(without_env(task), run_id=run_id)
        ti.dag_run = run
        ti.render_templates()
        rendered[f"{dag.dag_id}.{task.task_id}"] = fields(ti.task)
    return rendered


def render_v3(dag, run_id, logical, end, conf):
    from airflow.sdk.api.datamodels._generated import DagRun, TIRunContext
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    import uuid

    RuntimeTaskInstance.xcom_pull = lambda self, *args, **kwargs: None
    context = TIRunContext(
        dag_run=DagRun(
            dag_id=dag.dag_id,
            run_id=run_id,
            logical_date=logical,
            data_interval_start=logical,
            data_interval_end=end,
            run_after=end,
            start_date=end,
            end_date=None,
            run_type="manual",
            state="running",
            conf=conf,
            consumed_asset_events=[],
            partition_key=None,
        ),
        max_tries=0,
    )
    rendered = {}
    for task in dag.tasks:
        ti = RuntimeTaskInstance.model_construct(
            id=uuid.uuid4(),
            task_id=task.task_id,
            dag_id=dag.dag_id,
            run_id=run_id,
            try_number=1,
            map_index=-1,
            task=without_env(task),
            max_tries=0,
            start_date=end,
            _ti_context_from_server=context,
        )
        ti._ti_context_from_server = context
        ti._cached_template_context = None
        ti.render_templates()
        rendered[f"{dag.dag_id}.{task.task_id}"] = fields(ti.task)
    return rendered


def main(argv):
    folder, runs = argv[0], json.loads(argv[1])
    home = tempfile.mkdtemp(prefix="flowc-render-")
    configure(home)
    import airflow

    v3 = airflow.__version__.startswith("3")
    if not v3:
        from airflow.utils import db

        # Airflow 2.10's context looks up earlier runs (`prev_data_interval_start_success`…):
        # an empty metadata database has none.
        db.initdb()
    try:  # Airflow 3.x
        from airflow.dag_processing.dagbag import DagBag

        extra = {}
    except ImportError:  # Airflow 2.x
        from airflow.models.dagbag import DagBag

        extra = {"include_examples": False}
    bag = DagBag(dag_folder=folder, **extra)
    if bag.import_errors:
        print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}))
        return 1
    rendered = {}
    for run in runs:
        dag = bag.dags[run["dag_id"]]
        logical = datetime.fromisoformat(run["logical_date"])
        end = datetime.fromisoformat(run["data_interval_end"])
        render = render_v3 if v3 else render_v2
        rendered.update(render(dag, run["run_id"], logical, end, run.get("conf") or {}))
    print(json.dumps({"airflow_version": airflow.__version__, "tasks": rendered}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
