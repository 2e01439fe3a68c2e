//! Running compiled DAGs for real: a repository pointed at the local Spark's warehouse,
//! its tables created from `flowc ddl`, and its DAGs run in a real Airflow whose Spark
//! SQL tasks run on the local Spark (`tests/airflow/run_dag.py --spark`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, run_dag_output, venv_python};
use crate::spark_harness::Spark;
use crate::support::{copy_dir_editing, flowc, repo_root, text};

/// A copy of `repo` whose hive connection (the warehouse DataX writes and partitions
/// are added in) is the local Spark's warehouse: `default_fs: file://` and
/// `warehouse_dir:` its folder. Nothing else changes.
pub(crate) fn on_local_warehouse(repo: &Path, spark: &Spark) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    let warehouse = spark.warehouse().display().to_string();
    let project = repo.join("flowc.yaml");
    copy_dir_editing(repo, copy.path(), &|path| {
        (path == project).then(|| {
            let yaml = std::fs::read_to_string(path).expect("flowc.yaml reads");
            let yaml = set_value(&yaml, "default_fs:", "\"file://\"");
            set_value(&yaml, "warehouse_dir:", &warehouse)
        })
    });
    copy
}

/// `yaml` with the value after every `key` (up to `,`, `}` or the line's end) replaced.
fn set_value(yaml: &str, key: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = yaml;
    while let Some(at) = rest.find(key) {
        let (head, tail) = rest.split_at(at + key.len());
        out.push_str(head);
        let end = tail.find([',', '}', '\n']).unwrap_or(tail.len());
        out.push(' ');
        out.push_str(value);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `flowc ddl REPO --env ENV`, asserted to succeed.
pub(crate) fn ddl(repo: &Path, env: &str) -> String {
    let output = flowc(&["ddl", &repo.display().to_string(), "--env", env], b"");
    assert!(
        output.status.success(),
        "flowc ddl --env {env} failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Everything a real run needs besides the DAG folder.
#[derive(Default)]
pub(crate) struct RunOptions<'a> {
    /// DAG ids with the logical date (ISO instant) each runs for, in order.
    pub(crate) runs: Vec<(&'a str, String)>,
    /// Run conf per DAG id (a triggered DAG's params), as JSON.
    pub(crate) dag_conf: Vec<(&'a str, String)>,
    /// More Airflow connections: id and URI or JSON.
    pub(crate) connections: Vec<(String, String)>,
    /// Environment variables of the tasks.
    pub(crate) env: Vec<(String, String)>,
    /// `DATAX_HOME` of the sync tasks (they run their rendered command for real).
    pub(crate) datax_home: Option<PathBuf>,
}

/// Runs the DAGs of `env_dir` (a compiled environment folder) as scheduled runs in
/// Airflow `version`, Spark SQL tasks on `spark`; returns run_dag.py's JSON.
pub(crate) fn run_on_spark(version: AirflowVersion, spark: &Spark, env_dir: &Path, options: &RunOptions<'_>) -> Value {
    let dag_folder = env_dir.join("dags");
    let mut command = Command::new(venv_python(version));
    command
        .arg(repo_root().join("tests/airflow/run_dag.py"))
        .arg(&dag_folder)
        .args(options.runs.iter().map(|(dag_id, _)| *dag_id))
        .arg("--pools")
        .arg(env_dir.join("pools.json"))
        .args(["--scheduled", "--spark", &spark.master()])
        // Hive partition sensors ask the local Spark's metastore.
        .arg("--conn")
        .arg(format!(
            r#"metastore_default={{"conn_type": "hive_metastore", "host": "127.0.0.1", "port": {}}}"#,
            spark.metastore().rsplit(':').next().unwrap_or_default()
        ))
        .arg("--path")
        .arg(Spark::bin_dir())
        .current_dir(repo_root());
    for (dag_id, at) in &options.runs {
        command.arg("--at").arg(format!("{dag_id}={at}"));
    }
    for (dag_id, conf) in &options.dag_conf {
        command.arg("--dag-conf").arg(format!("{dag_id}={conf}"));
    }
    for (conn_id, value) in &options.connections {
        command.arg("--conn").arg(format!("{conn_id}={value}"));
    }
    for (name, value) in &options.env {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    if let Some(home) = &options.datax_home {
        command.arg("--datax-home").arg(home);
    }
    run_dag_output(version, &dag_folder, &mut command)
}

/// The state of every task of `dag` in a run's JSON.
pub(crate) fn states(result: &Value, dag: &str) -> Value {
    result["runs"][dag]["states"].clone()
}

/// The `flowc-dq` lines and error of the Spark SQL task `task` (`dag_id.task_id`).
pub(crate) fn spark_task<'a>(result: &'a Value, task: &str) -> &'a Value {
    result["spark"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["task"] == task))
        .unwrap_or_else(|| panic!("{task} did not run on Spark: {result:#}"))
}

#[test]
fn set_value_replaces_block_and_flow_style_values() {
    assert_eq!(
        set_value("a:\n  default_fs: hdfs://x\n  b: 1\n", "default_fs:", "\"file://\""),
        "a:\n  default_fs: \"file://\"\n  b: 1\n"
    );
    assert_eq!(
        set_value(
            "w: {type: hive, default_fs: \"hdfs://ns1\", warehouse_dir: /w}",
            "warehouse_dir:",
            "/tmp/x"
        ),
        "w: {type: hive, default_fs: \"hdfs://ns1\", warehouse_dir: /tmp/x}"
    );
}
