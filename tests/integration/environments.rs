//! Environments: dev and prod compiled from one source run side by side in one real
//! Airflow, dev reading and writing only dev tables, systems and pools.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use regex::Regex;
use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, SAMPLE_LOGICAL_DATE, inspect_with};
use crate::support::{copy_dir, example_copy, flowc, flowc_in, text, tree};

/// Databases production uses in the example; dev maps each to `dev_<db>`.
const PRODUCTION_DATABASES: [&str; 4] = ["ods", "dwd", "dws", "ads"];

/// Compiles the example for dev and prod, puts both DAG folders into one Airflow DAGs
/// folder with both pool sets, and loads it.
fn load_side_by_side(version: AirflowVersion) -> (tempfile::TempDir, Value) {
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc(
        &[
            "compile",
            "examples/wingpay",
            "--env",
            "dev",
            "--env",
            "prod",
            "--airflow-version",
            version.cli_arg(),
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let dags = out.path().join("airflow");
    copy_dir(&out.path().join("dev/dags"), &dags.join("dev"));
    copy_dir(&out.path().join("prod/dags"), &dags.join("prod"));
    let mut pools = serde_json::Map::new();
    for env in ["dev", "prod"] {
        let file: Value =
            serde_json::from_slice(&fs::read(out.path().join(env).join("pools.json")).expect("pools")).expect("json");
        for (name, pool) in file.as_object().expect("pools object") {
            assert!(
                pools.insert(name.clone(), pool.clone()).is_none(),
                "pool {name} in both"
            );
        }
    }
    let pools_file = out.path().join("pools.json");
    fs::write(&pools_file, serde_json::to_vec(&pools).expect("json")).expect("write pools");
    let conf = format!(r#"{{"bizdate": "{SAMPLE_LOGICAL_DATE}"}}"#);
    let airflow = inspect_with(
        version,
        &dags,
        Some(&pools_file),
        &[
            OsStr::new("--conf"),
            OsStr::new(&conf),
            OsStr::new("--import-pools"),
            pools_file.as_os_str(),
        ],
    );
    (out, airflow)
}

/// Every `<db>.` of a production database in a SQL text, as written, outside comments
/// and string literals (which the rewrite rightly leaves alone).
fn production_references(sql: &str) -> Vec<String> {
    let code = Regex::new(r"(?s)--[^\n]*|/\*.*?\*/|'(?:[^'\\]|\\.)*'").expect("regex");
    let sql = code.replace_all(sql, " ");
    let pattern = Regex::new(r"(?i)(^|[^A-Za-z0-9_`.])`?(ods|dwd|dws|ads)`?\.[A-Za-z_`]").expect("regex");
    pattern
        .captures_iter(&sql)
        .map(|c| c.get(0).map_or("", |m| m.as_str()).trim().to_owned())
        .collect()
}

fn side_by_side(version: AirflowVersion) {
    let (out, airflow) = load_side_by_side(version);
    assert_eq!(
        airflow["import_errors"],
        serde_json::json!({}),
        "{version:?} import errors"
    );
    assert_eq!(airflow["problems"], serde_json::json!([]), "{version:?} problems");
    assert_eq!(
        airflow["pools_import"]["ok"],
        Value::Bool(true),
        "{version:?} pools import"
    );
    let dags = airflow["dags"].as_object().expect("dags");
    let (dev, prod): (BTreeSet<&String>, BTreeSet<&String>) = dags.keys().partition(|id| id.starts_with("dev__"));
    assert_eq!(prod.len(), 7, "{version:?}: {prod:?}");
    let mirrored: BTreeSet<String> = prod.iter().map(|id| format!("dev__{id}")).collect();
    assert_eq!(
        dev.into_iter().cloned().collect::<BTreeSet<_>>(),
        mirrored,
        "dev mirrors prod"
    );
    let mut sql_tasks = 0;
    for (dag_id, dag) in dags {
        let is_dev = dag_id.starts_with("dev__");
        let prod_dag = &dags[dag_id.trim_start_matches("dev__")];
        // Mirrored task codes: the same task ids in both copies.
        let ids = |dag: &Value| {
            dag["tasks"]
                .as_object()
                .expect("tasks")
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(dag), ids(prod_dag), "{dag_id}: task ids");
        assert_eq!(
            dag["is_paused_upon_creation"],
            if is_dev { Value::Bool(true) } else { Value::Null },
            "{dag_id}: dev DAGs start paused"
        );
        for (task_id, task) in dag["tasks"].as_object().expect("tasks") {
            let pool = task["pool"].as_str().expect("pool");
            assert_eq!(pool.starts_with("dev__"), is_dev, "{dag_id}.{task_id}: pool {pool}");
            if let Some(external) = task["external_dag_id"].as_str() {
                assert_eq!(
                    external.starts_with("dev__"),
                    is_dev,
                    "{dag_id}.{task_id} waits for {external}"
                );
            }
            if let Some(queue) = task["yarn_queue"].as_str() {
                assert_eq!(queue == "root.dev", is_dev, "{dag_id}.{task_id}: YARN queue {queue}");
            }
            let Some(sql) = task["rendered"]["sql"].as_str() else {
                continue;
            };
            sql_tasks += 1;
            if is_dev {
                assert_eq!(
                    production_references(sql),
                    Vec::<String>::new(),
                    "{dag_id}.{task_id}:\n{sql}"
                );
                assert!(sql.contains("dev_"), "{dag_id}.{task_id} names no dev table:\n{sql}");
            } else {
                assert!(!sql.contains("dev_"), "{dag_id}.{task_id} names a dev table:\n{sql}");
            }
        }
    }
    assert!(sql_tasks >= 40, "only {sql_tasks} SQL tasks rendered");
    // DataX jobs: dev writes dev warehouse paths and the dev reporting database.
    for (path, bytes) in tree(&out.path().join("dev/datax")) {
        let job = String::from_utf8(bytes).expect("UTF-8");
        for database in PRODUCTION_DATABASES {
            assert!(
                !job.contains(&format!("/{database}.db/")),
                "dev/datax/{path} uses {database}"
            );
        }
        assert!(
            !job.contains("report-mysql.db"),
            "dev/datax/{path} writes the production MySQL"
        );
    }
    let export = fs::read_to_string(out.path().join("dev/datax/reporting/export_gmv_to_mysql.json")).expect("job");
    assert!(export.contains("report-mysql-dev.db"), "{export}");
    let dev_manifest: Value =
        serde_json::from_slice(&fs::read(out.path().join("dev/manifest.json")).expect("manifest")).expect("json");
    for flow in dev_manifest["flows"].as_array().expect("flows") {
        for task in flow["tasks"].as_array().expect("tasks") {
            for table in task["reads"]
                .as_array()
                .into_iter()
                .chain(task["writes"].as_array())
                .flatten()
            {
                let table = table.as_str().expect("table");
                let database = table.split('.').next().unwrap_or_default();
                assert!(
                    !PRODUCTION_DATABASES.contains(&database),
                    "dev manifest: {} touches {table}",
                    task["name"]
                );
            }
        }
    }
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn dev_and_prod_run_side_by_side_in_airflow_2_10() {
    side_by_side(AirflowVersion::V2_10);
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn dev_and_prod_run_side_by_side_in_airflow_3() {
    side_by_side(AirflowVersion::V3);
}

#[test]
fn production_references_are_found_only_as_table_qualifiers() {
    assert_eq!(production_references("FROM dwd.x JOIN `ods`.y"), ["dwd.x", "`ods`.y"]);
    assert!(production_references("FROM dev_dwd.x o WHERE o.dt = 'dwd.x' AND s.ods_id = 1 -- dwd.y").is_empty());
}

#[test]
fn a_dev_compile_that_writes_production_fails_and_writes_nothing() {
    let repo = example_copy();
    let flowc_yaml = repo.path().join("flowc.yaml");
    let text_before = fs::read_to_string(&flowc_yaml).expect("flowc.yaml");
    fs::write(&flowc_yaml, text_before.replace("      ads: dev_ads\n", "")).expect("write");
    let out = tempfile::tempdir().expect("out");
    let output = flowc_in(
        repo.path(),
        &[
            "compile",
            ".",
            "--env",
            "dev",
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[R606]"), "{stderr}");
    assert!(
        stderr.contains("would write production table `ads.ads_pay_gmv_1d`"),
        "{stderr}"
    );
    assert!(stderr.contains(".sql:"), "located in the SQL file: {stderr}");
    assert!(
        fs::read_dir(out.path()).expect("out").next().is_none(),
        "nothing written"
    );
    assert!(Path::new(&flowc_yaml).exists());
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn a_third_environment_replaces_queues_connections_and_schedules() {
    let repo = example_copy();
    let flowc_yaml = repo.path().join("flowc.yaml");
    let text_before = fs::read_to_string(&flowc_yaml).expect("flowc.yaml");
    let staging = "  staging:\n    dag_prefix: stg__\n    databases: {ods: stg_ods, dwd: stg_dwd, dws: stg_dws, ads: stg_ads, dq: stg_dq}\n    \
                   connections: {report_mysql: report_mysql_dev}\n    schedule: manual\n    \
                   queues: {default: staging}\n    \
                   airflow_connections: {spark_sql_default: spark_sql_staging, metastore_default: metastore_staging, kylin_default: kylin_staging, \
                   report_mysql_dev_rw: report_staging_rw}\n  prod:\n";
    fs::write(&flowc_yaml, text_before.replacen("  prod:\n", staging, 1)).expect("write");
    let out = tempfile::tempdir().expect("out");
    let output = flowc_in(
        repo.path(),
        &[
            "compile",
            ".",
            "--env",
            "staging",
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let dags = out.path().join("staging/dags");
    let payments = fs::read_to_string(dags.join("stg__payments.py")).expect("staging DAG");
    assert!(
        payments.contains("    schedule=None,"),
        "manual: no time schedule\n{payments}"
    );
    assert!(!payments.contains("CronDataIntervalTimetable("), "{payments}");
    assert!(payments.contains("queue='staging'"), "default queue replaced");
    assert!(
        payments.contains("conn_id='spark_sql_staging'"),
        "Spark connection replaced"
    );
    assert!(!payments.contains("spark_sql_default"), "{payments}");
    assert!(!payments.contains("is_paused_upon_creation"), "manual is not paused");
    let reporting = fs::read_to_string(dags.join("stg__reporting.py")).expect("staging DAG");
    assert!(
        reporting.contains("conn.get(\\'report_staging_rw\\')"),
        "sync credentials come from the replaced Airflow connection"
    );
    let pools: Value =
        serde_json::from_slice(&fs::read(out.path().join("staging/pools.json")).expect("pools")).expect("json");
    assert!(
        pools
            .as_object()
            .expect("pools")
            .keys()
            .all(|pool| pool.starts_with("stg__")),
        "{pools}"
    );
    let airflow = inspect_with(
        AirflowVersion::V2_10,
        &dags,
        Some(&out.path().join("staging/pools.json")),
        &[
            OsStr::new("--conf"),
            OsStr::new(&format!(r#"{{"bizdate": "{SAMPLE_LOGICAL_DATE}"}}"#)),
        ],
    );
    assert_eq!(airflow["import_errors"], serde_json::json!({}));
    assert_eq!(airflow["problems"], serde_json::json!([]));
    let dag = &airflow["dags"]["stg__payments"];
    assert_eq!(dag["timetable"], "NullTimetable", "{dag}");
    for (task_id, task) in dag["tasks"].as_object().expect("tasks") {
        assert_eq!(task["queue"], "staging", "stg__payments.{task_id}");
    }
}

#[test]
fn a_star_pattern_maps_every_database_and_entries_win() {
    let repo = example_copy();
    let flowc_yaml = repo.path().join("flowc.yaml");
    let text_before = fs::read_to_string(&flowc_yaml).expect("flowc.yaml");
    let explicit = "      ods: dev_ods\n      dwd: dev_dwd\n      dws: dev_dws\n      ads: dev_ads\n";
    assert!(text_before.contains(explicit), "the example's dev mapping changed");
    let compile = |mapping: &str| {
        fs::write(&flowc_yaml, text_before.replace(explicit, mapping)).expect("write");
        let out = tempfile::tempdir().expect("out");
        let output = flowc_in(
            repo.path(),
            &[
                "compile",
                ".",
                "--env",
                "dev",
                "--out",
                &out.path().display().to_string(),
            ],
            b"",
        );
        (out, output)
    };
    // One pattern for every database; the explicit `dq: dev_dq` entry stays and wins.
    let (out, output) = compile("      \"*\": dev_*\n      ads: dev_reports\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mut sql_files = 0;
    for (file, bytes) in tree(&out.path().join("dev/dags")) {
        if Path::new(&file).extension() == Some(OsStr::new("sql")) {
            let sql = String::from_utf8(bytes).expect("utf-8");
            assert!(production_references(&sql).is_empty(), "{file}: {sql}");
            assert!(
                !sql.contains("dev_ads."),
                "the `ads` entry wins over the pattern: {file}"
            );
            sql_files += 1;
        }
    }
    assert!(sql_files > 0);
    // A pattern that maps a database onto itself writes production: R606.
    let (_out, output) = compile("      \"*\": \"*\"\n");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[R606]"), "{stderr}");
    assert!(stderr.contains("the `\"*\"` pattern"), "{stderr}");
}
