//! The Hive partition step of every sync into a partitioned table, seen by real
//! Airflow 2.10 and 3: the bundled example compiled for `dev` and `prod`, each
//! hdfswriter sync has a `<sync>__partition` task right before it, which took over
//! what the sync waited for, and whose SQL, rendered for a business date, registers
//! exactly the directory the sync's DataX job writes in the environment's database.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, compile_fresh, for_both_versions, inspect_with};
use crate::support::example;

/// The business date of the harness's sample runs.
const SAMPLE_DS: &str = "2024-03-05";

/// Compiles the example for `env` and Airflow `version`; returns `<out>/<env>`.
fn compile(env: &str, version: AirflowVersion) -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("partitions_in_airflow")
        .join(format!("{env}-{}", version.cli_arg()));
    compile_fresh(&example(), env, &out, version)
}

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A template value filled in for the sample run.
fn for_sample_run(text: &str) -> String {
    text.replace("${bizdate_nodash}", &SAMPLE_DS.replace('-', ""))
        .replace("${bizdate}", SAMPLE_DS)
}

/// What the partition step of a sync must run, worked out from the sync's DataX job
/// (its writer's NameNode and path) and the table the manifest says it writes.
fn expected_statement(table: &str, writer: &Value) -> String {
    let path = writer["path"].as_str().expect("an hdfswriter path");
    let default_fs = writer["defaultFS"].as_str().expect("an hdfswriter defaultFS");
    let spec: Vec<String> = path
        .split('/')
        .filter_map(|segment| segment.split_once('='))
        .map(|(column, value)| format!("`{column}` = '{}'", for_sample_run(value)))
        .collect();
    assert!(!spec.is_empty(), "{path} names no partition");
    let (database, name) = table.split_once('.').expect("a qualified table");
    format!(
        "ALTER TABLE `{database}`.`{name}` ADD IF NOT EXISTS PARTITION ({})\nLOCATION '{default_fs}{}'",
        spec.join(", "),
        for_sample_run(path)
    )
}

/// Checks every hdfswriter sync of the example in `env` on Airflow `version`; returns
/// how many were checked.
fn check(env: &str, version: AirflowVersion) -> usize {
    let out = compile(env, version);
    let manifest = json(&out.join("manifest.json"));
    let inspected = inspect_with(
        version,
        &out.join("dags"),
        Some(&out.join("pools.json")),
        &["--conf".as_ref(), r#"{"bizdate": "2024-03-05"}"#.as_ref()],
    );
    assert_eq!(inspected["import_errors"], serde_json::json!({}), "{env} {version:?}");
    assert_eq!(inspected["problems"], serde_json::json!([]), "{env} {version:?}");
    let mut problems = Vec::new();
    let mut checked = 0;
    for flow in manifest["flows"].as_array().expect("flows") {
        let dag_id = flow["dag_id"].as_str().expect("a dag_id");
        let tasks = flow["tasks"].as_array().expect("tasks");
        let dag = &inspected["dags"][dag_id]["tasks"];
        for sync in tasks.iter().filter(|t| t["type"] == "sync") {
            let job = json(&out.join(sync["datax_job"].as_str().expect("a datax_job")));
            let writer = &job["job"]["content"][0]["writer"];
            if writer["name"] != "hdfswriter" {
                continue;
            }
            checked += 1;
            let sync_id = sync["task_id"].as_str().expect("a task_id");
            let partition_id = format!("{sync_id}__partition");
            let where_ = format!("{env} {version:?} {dag_id}.{partition_id}");
            let table = sync["writes"][0].as_str().expect("the table the sync writes");
            if env == "prod" {
                assert!(table.starts_with("ods."), "{where_}: {table}");
            } else {
                assert!(table.starts_with(&format!("{env}_")), "{where_}: {table} is not mapped");
            }
            let Some(step) = tasks.iter().find(|t| t["task_id"] == partition_id.as_str()) else {
                problems.push(format!("{where_}: not in the manifest"));
                continue;
            };
            if step["type"] != "partition" || step["partition"]["table"] != table {
                problems.push(format!("{where_}: manifest entry {step}"));
            }
            let (airflow_sync, airflow_step) = (&dag[sync_id], &dag[partition_id.as_str()]);
            if airflow_step.is_null() {
                problems.push(format!("{where_}: not in the DAG Airflow loaded"));
                continue;
            }
            // Right before the sync, and after whatever the sync would wait for.
            let sync_upstream: BTreeSet<&str> = strings(&airflow_sync["upstream"]);
            if sync_upstream != BTreeSet::from([partition_id.as_str()]) {
                problems.push(format!("{where_}: the sync's upstream is {sync_upstream:?}"));
            }
            if strings(&airflow_step["downstream"]) != BTreeSet::from([sync_id]) {
                problems.push(format!("{where_}: downstream {}", airflow_step["downstream"]));
            }
            let expected_upstream: BTreeSet<&str> = strings(&step["upstream"]);
            if strings(&airflow_step["upstream"]) != expected_upstream {
                problems.push(format!("{where_}: upstream {}", airflow_step["upstream"]));
            }
            if airflow_step["operator"] != "SparkSqlOperator" {
                problems.push(format!("{where_}: operator {}", airflow_step["operator"]));
            }
            let rendered = airflow_step["rendered"]["sql"].as_str().unwrap_or_default();
            let expected = expected_statement(table, &writer["parameter"]);
            if rendered.trim_end() != expected {
                problems.push(format!("{where_}: renders\n{rendered}\nexpected\n{expected}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    checked
}

fn strings(value: &Value) -> BTreeSet<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn every_hive_sync_of_the_example_registers_its_partition_first_in_airflow() {
    for_both_versions(|version| {
        for env in ["dev", "prod"] {
            // The ten ods_ingest syncs land in partitioned tables.
            assert_eq!(check(env, version), 10, "{env} {version:?}");
        }
    });
}
