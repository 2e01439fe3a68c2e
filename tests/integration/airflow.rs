//! The Airflow harness itself, on hand-written DAG folders (`tests/fixtures/airflow/`)
//! loaded in real Airflow 2.10.5 and 3.3.2: the sample folder as written, every problem
//! of the broken one, the traps it must see, sensor and operator settings, params and
//! pools. See `tests/airflow/README.md`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::airflow_harness::{AirflowVersion, for_both_versions, inspect, inspect_with};
use crate::support::repo_root;

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/airflow").join(name)
}

/// Each folder is loaded once per version and shared by the tests that read it.
fn cached(cache: &'static [OnceLock<Value>; 2], version: AirflowVersion, folder: &str) -> &'static Value {
    cache[version.index()].get_or_init(|| inspect(version, &fixture(folder), Some(&fixture("pools.json"))))
}

fn sample(version: AirflowVersion) -> &'static Value {
    static CACHE: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
    cached(&CACHE, version, "sample_dags")
}

fn broken(version: AirflowVersion) -> &'static Value {
    static CACHE: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
    cached(&CACHE, version, "broken_dags")
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

/// The tasks as written in `tests/fixtures/airflow/sample_dags`: dag, task, operator,
/// upstream, downstream, pool, pool_slots, priority_weight, weight_rule, queue,
/// retries, mode.
#[expect(clippy::type_complexity, reason = "one row of the table per task, read at a glance")]
#[rustfmt::skip]
const SAMPLE_TASKS: &[(
    &str,
    &str,
    &str,
    &[&str],
    &[&str],
    &str,
    u64,
    u64,
    &str,
    &str,
    u64,
    Option<&str>,
)] = &[
    ("sales_daily", "wait_orders", "ExternalTaskSensor", &[], &["load_sales"], "sensors", 1, 1, "downstream", "sensors", 0, Some("reschedule")),
    ("sales_daily", "wait_landing", "FileSensor", &[], &["load_sales"], "sensors", 1, 1, "downstream", "sensors", 0, Some("reschedule")),
    ("sales_daily", "load_sales", "SparkSqlOperator", &["wait_landing", "wait_orders"], &["build_cube"], "spark", 2, 10, "absolute", "spark", 3, None),
    ("sales_daily", "build_cube", "KylinCubeOperator", &["load_sales"], &["notify"], "kylin", 1, 5, "upstream", "default", 2, None),
    ("sales_daily", "notify", "BashOperator", &["build_cube"], &[], "default_pool", 1, 1, "downstream", "default", 1, None),
    ("orders_daily", "api_ready", "HttpSensor", &[], &["load_orders"], "sensors", 1, 1, "downstream", "sensors", 1, Some("poke")),
    ("orders_daily", "load_orders", "SparkSubmitOperator", &["api_ready"], &["aggregate_orders"], "spark", 3, 20, "downstream", "spark", 4, None),
    ("orders_daily", "aggregate_orders", "SparkSqlOperator", &["load_orders"], &[], "spark", 1, 1, "downstream", "spark", 1, None),
    ("orders_hourly", "refresh_hourly", "SparkSqlOperator", &[], &[], "spark", 1, 1, "downstream", "spark", 1, None),
];

fn check_sample(version: AirflowVersion) {
    let out = sample(version);
    assert_eq!(out["import_errors"], json!({}), "{version:?}");
    assert_eq!(out["problems"], json!([]), "{version:?}");
    let dags = &out["dags"];
    assert_eq!(
        keys(dags),
        BTreeSet::from(["orders_daily", "orders_hourly", "sales_daily"]),
        "{version:?}"
    );
    for (dag_id, file, cron, tags, owner, max_active_runs) in [
        (
            "sales_daily",
            "sales_daily.py",
            "30 2 * * *",
            json!(["flowc", "sales"]),
            "data-platform",
            1,
        ),
        (
            "orders_daily",
            "orders_daily.py",
            "30 2 * * *",
            json!(["orders"]),
            "orders-team",
            16,
        ),
        (
            "orders_hourly",
            "orders_daily.py",
            "15 * * * *",
            json!(["hourly", "orders"]),
            "orders-team",
            2,
        ),
    ] {
        let dag = &dags[dag_id];
        let context = format!("{version:?} {dag_id}");
        assert_eq!(dag["fileloc"], file, "{context}");
        assert_eq!(dag["timetable"], "CronDataIntervalTimetable", "{context}");
        assert_eq!(dag["cron"], cron, "{context}");
        assert_eq!(dag["catchup"], false, "{context}");
        assert_eq!(dag["tags"], tags, "{context}");
        assert_eq!(dag["owner"], owner, "{context}");
        assert_eq!(dag["max_active_runs"], max_active_runs, "{context}");
        assert_eq!(dag["start_date"], "2024-01-01T00:00:00+00:00", "{context}");
    }
    assert_eq!(dags["sales_daily"]["params"], json!({"region": "eu"}));
    assert_eq!(dags["sales_daily"]["max_active_tasks"], 4);
    let mut expected_tasks = BTreeSet::new();
    for &(dag_id, task_id, operator, upstream, downstream, pool, slots, weight, rule, queue, retries, mode) in
        SAMPLE_TASKS
    {
        expected_tasks.insert((dag_id, task_id));
        let task = &dags[dag_id]["tasks"][task_id];
        let context = format!("{version:?} {dag_id}.{task_id}: {task}");
        assert_eq!(task["operator"], operator, "{context}");
        assert_eq!(task["upstream"], json!(upstream), "{context}");
        assert_eq!(task["downstream"], json!(downstream), "{context}");
        assert_eq!(task["pool"], pool, "{context}");
        assert_eq!(task["pool_slots"], slots, "{context}");
        assert_eq!(task["priority_weight"], weight, "{context}");
        assert_eq!(task["weight_rule"], rule, "{context}");
        assert_eq!(task["queue"], queue, "{context}");
        assert_eq!(task["retries"], retries, "{context}");
        assert_eq!(task["mode"], json!(mode), "{context}");
    }
    let actual_tasks: BTreeSet<(&str, &str)> = ["sales_daily", "orders_daily", "orders_hourly"]
        .into_iter()
        .flat_map(|dag_id| keys(&dags[dag_id]["tasks"]).into_iter().map(move |task| (dag_id, task)))
        .collect();
    assert_eq!(actual_tasks, expected_tasks, "{version:?}");
    let load_sales = &dags["sales_daily"]["tasks"]["load_sales"];
    assert_eq!(load_sales["retry_delay_seconds"], 600.0);
    assert_eq!(load_sales["execution_timeout_seconds"], 7200.0);
    assert_eq!(dags["sales_daily"]["tasks"]["notify"]["trigger_rule"], "all_done");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_2_10_loads_the_sample_dags_as_written() {
    check_sample(AirflowVersion::V2_10);
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_3_loads_the_sample_dags_as_written() {
    check_sample(AirflowVersion::V3);
}

fn trap(version: AirflowVersion) -> &'static Value {
    static CACHE: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
    cached(&CACHE, version, "trap_dags")
}

/// The conf `sensor_dags` is loaded with: the run of `bizdate_triggered` is triggered
/// for business day 2024-03-04.
const BIZDATE_CONF: &str = r#"{"bizdate": "2024-03-04"}"#;

fn sensors(version: AirflowVersion) -> &'static Value {
    static CACHE: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
    CACHE[version.index()].get_or_init(|| {
        inspect_with(
            version,
            &fixture("sensor_dags"),
            Some(&fixture("pools.json")),
            &["--conf".as_ref(), BIZDATE_CONF.as_ref()],
        )
    })
}

/// The daily-partition trap: with `CronDataIntervalTimetable` given explicitly, the
/// run for 2024-03-05 and every rendered field are the same on both versions.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_versions_render_the_same_partition() {
    let [v2, v3] = AirflowVersion::ALL.map(sample);
    let sql = &v2["dags"]["sales_daily"]["tasks"]["load_sales"]["rendered"]["sql"];
    assert_eq!(
        sql,
        "INSERT OVERWRITE TABLE dw.sales PARTITION (dt='2024-03-05') \
         SELECT * FROM ods.sales WHERE dt='2024-03-05' AND region='eu'"
    );
    let from_file = &v2["dags"]["orders_daily"]["tasks"]["aggregate_orders"]["rendered"]["sql"];
    assert!(
        from_file
            .as_str()
            .is_some_and(|sql| sql.contains("PARTITION (dt='2024-03-05')")),
        "{from_file}"
    );
    for dag_id in keys(&v2["dags"]) {
        let (dag2, dag3) = (&v2["dags"][dag_id], &v3["dags"][dag_id]);
        assert_eq!(dag2["sample_run"], dag3["sample_run"], "{dag_id}");
        for task_id in keys(&dag2["tasks"]) {
            let (r2, r3) = (&dag2["tasks"][task_id]["rendered"], &dag3["tasks"][task_id]["rendered"]);
            // 3.x providers template a few more fields (connection ids); compare the shared ones.
            for field in keys(r2).intersection(&keys(r3)) {
                assert_eq!(r2[*field], r3[*field], "{dag_id}.{task_id}.{field}");
            }
        }
    }
    assert_eq!(
        v3["dags"]["sales_daily"]["sample_run"],
        json!({
            "run_type": "scheduled",
            "logical_date": "2024-03-05T02:30:00+00:00",
            "data_interval_start": "2024-03-05T02:30:00+00:00",
            "data_interval_end": "2024-03-06T02:30:00+00:00",
            "run_after": "2024-03-06T02:30:00+00:00",
        })
    );
}

fn check_broken(version: AirflowVersion) {
    let out = broken(version);
    assert_eq!(keys(&out["dags"]), BTreeSet::from(["bad_templates"]), "{version:?}");
    assert_eq!(
        keys(&out["import_errors"]),
        BTreeSet::from(["import_error.py"]),
        "{version:?}"
    );
    let import_error = out["import_errors"]["import_error.py"].as_str().expect("a message");
    assert!(
        import_error.contains("No module named 'flowc_no_such_module'"),
        "{import_error}"
    );
    let problems: Vec<&str> = out["problems"]
        .as_array()
        .expect("problems is a list")
        .iter()
        .map(|problem| problem.as_str().expect("a problem is a string"))
        .collect();
    let mut expected = vec![
        "bad_templates/jinja_syntax: bash_command: template syntax error line 1",
        "bad_templates/missing_sql_file: sql: template file not found: 'sql/no_such_file.sql'",
        "bad_templates/undefined_param: bash_command: render failed: UndefinedError",
        "bad_templates/undefined_variable: bash_command: render failed: UndefinedError: 'no_such_variable' is undefined",
        "bad_templates/unknown_pool: unknown pool 'no_such_pool'",
        "unbound.py: no DAG found at module level",
    ];
    if version == AirflowVersion::V3 {
        // `next_ds` is a 2.x context key only.
        expected
            .push("bad_templates/removed_in_3: bash_command: render failed: UndefinedError: 'next_ds' is undefined");
    }
    for want in &expected {
        assert!(
            problems.iter().any(|problem| problem.starts_with(want)),
            "{version:?}: no problem starting with {want:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{version:?}: {problems:#?}");
    let fine = &out["dags"]["bad_templates"]["tasks"]["fine"]["rendered"]["bash_command"];
    assert_eq!(fine, "echo 2024-03-05 eu", "{version:?}");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_2_10_reports_each_problem_of_the_broken_dags() {
    check_broken(AirflowVersion::V2_10);
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_3_reports_each_problem_of_the_broken_dags() {
    check_broken(AirflowVersion::V3);
}

/// The harness sees the trap the sample DAGs avoid: a plain cron string gets a
/// different timetable on 3.x, and the run for the same `ds` starts a day earlier.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_harness_detects_the_cron_string_trap() {
    let [v2, v3] = AirflowVersion::ALL.map(trap);
    let (dag2, dag3) = (&v2["dags"]["cron_string"], &v3["dags"]["cron_string"]);
    assert_eq!(dag2["timetable"], "CronDataIntervalTimetable");
    assert_eq!(dag3["timetable"], "CronTriggerTimetable");
    assert_eq!(dag2["sample_run"]["run_after"], "2024-03-06T02:30:00+00:00");
    assert_eq!(dag3["sample_run"]["run_after"], "2024-03-05T02:30:00+00:00");
    assert_ne!(dag2["sample_run"], dag3["sample_run"]);
}

/// With the Hive provider installed, 3.x validates `hive://` asset URIs (host,
/// database and table): a URI 2.10 takes as written fails the import of the file.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_harness_detects_the_hive_asset_uri_trap() {
    let [v2, v3] = AirflowVersion::ALL.map(trap);
    assert_eq!(
        v2["dags"]["hive_asset_uri"]["tasks"]["publish"]["outlets"],
        json!(["hive://dw/sales"])
    );
    assert_eq!(keys(&v2["import_errors"]), BTreeSet::new());
    assert!(v3["dags"].get("hive_asset_uri").is_none());
    let error = v3["import_errors"]["hive_asset_uri.py"]
        .as_str()
        .expect("an import error for hive_asset_uri.py on 3.x");
    assert!(
        error.contains("URI format hive:// must contain database, schema, and table names"),
        "{error}"
    );
}

/// A task's report without the keys every task has: what `operator_details` added.
fn details(task: &Value) -> Value {
    let mut object = task.as_object().expect("a task is an object").clone();
    for common in [
        "operator",
        "upstream",
        "downstream",
        "pool",
        "pool_slots",
        "priority_weight",
        "weight_rule",
        "queue",
        "retries",
        "retry_delay_seconds",
        "execution_timeout_seconds",
        "depends_on_past",
        "sla_seconds",
        "alerts",
        "trigger_rule",
        "doc_md",
        "template_fields",
        "rendered",
    ] {
        object.remove(common);
    }
    Value::Object(object)
}

fn check_sensors(version: AirflowVersion) {
    let out = sensors(version);
    assert_eq!(out["import_errors"], json!({}), "{version:?}");
    assert_eq!(out["problems"], json!([]), "{version:?}");
    assert_eq!(
        keys(&out["dags"]),
        BTreeSet::from(["bizdate_triggered", "sales_consumer", "sensors_daily"]),
        "{version:?}"
    );
    let tasks = &out["dags"]["sensors_daily"]["tasks"];
    let expected = [
        (
            "wait_orders",
            json!({
                "mode": "reschedule", "poke_interval_seconds": 300.0, "timeout_seconds": 7200.0,
                "external_dag_id": "orders_daily", "external_task_id": "load_orders",
                "execution_delta_seconds": 3600.0, "has_execution_date_fn": false,
                // The sample run's logical date 2024-03-05T02:30 minus one hour.
                "execution_delta_target": "2024-03-05T01:30:00+00:00",
                "allowed_states": ["success"], "failed_states": ["failed", "upstream_failed"],
                "inlets": [], "outlets": [],
            }),
        ),
        (
            "wait_partition",
            json!({
                "mode": "reschedule", "poke_interval_seconds": 600.0, "timeout_seconds": 3600.0,
                "metastore_conn_id": "metastore_default", "inlets": [], "outlets": [],
            }),
        ),
        (
            "api_ready",
            json!({
                "mode": "poke", "poke_interval_seconds": 60.0, "timeout_seconds": 600.0,
                "http_conn_id": "orders_api", "inlets": [], "outlets": [],
            }),
        ),
        (
            "load_sales",
            json!({
                "mode": null,
                "spark_conf": "spark.executor.memory=4g,spark.sql.shuffle.partitions=200",
                "yarn_queue": "etl", "spark_name": "load_sales", "conn_id": "spark_sql_default",
                "inlets": [], "outlets": ["hive://metastore:9083/dw/sales"],
            }),
        ),
        (
            "build_cube",
            json!({
                "mode": null, "kylin_conn_id": "kylin_default", "project": "sales",
                "cube": "sales_cube", "command": "build",
                "inlets": ["hive://metastore:9083/dw/sales"], "outlets": [],
            }),
        ),
    ];
    assert_eq!(
        keys(tasks),
        expected.iter().map(|(task_id, _)| *task_id).collect(),
        "{version:?}"
    );
    for (task_id, want) in &expected {
        assert_eq!(details(&tasks[*task_id]), *want, "{version:?} {task_id}");
    }
    assert_eq!(
        tasks["wait_partition"]["rendered"]["partition_names"],
        json!(["ods.orders/dt=2024-03-05"]),
        "{version:?}"
    );
    assert_eq!(
        tasks["api_ready"]["rendered"]["endpoint"], "ready/2024-03-05",
        "{version:?}"
    );
    assert_eq!(
        out["dags"]["sensors_daily"]["schedule_assets"],
        Value::Null,
        "{version:?}"
    );
    assert_eq!(
        out["dags"]["sales_consumer"]["schedule_assets"],
        json!(["hive://metastore:9083/dw/sales", "hive://metastore:9083/dw/orders"]),
        "{version:?}"
    );

    let triggered = &out["dags"]["bizdate_triggered"];
    assert_eq!(
        triggered["params_spec"],
        json!({
            "bizdate": {
                "default": null, "has_default": false, "description": "business day to rebuild",
                "schema": {"type": "string", "format": "date"},
            },
            "region": {
                "default": "eu", "has_default": true, "description": null,
                "schema": {"type": "string", "enum": ["eu", "us"]},
            },
        }),
        "{version:?}"
    );
    assert_eq!(triggered["schedule_assets"], Value::Null, "{version:?}");
    let wait_sales = &triggered["tasks"]["wait_sales"];
    assert_eq!(wait_sales["has_execution_date_fn"], true, "{version:?}");
    assert_eq!(wait_sales["execution_delta_seconds"], Value::Null, "{version:?}");
    // The function reads params["bizdate"] (from --conf): the sensor waits for the
    // sales_daily run whose ds is 2024-03-04, not for the triggered run's own date.
    assert_eq!(
        wait_sales["execution_date_fn_result"], "2024-03-04T02:30:00+00:00",
        "{version:?}"
    );
    assert_eq!(
        triggered["tasks"]["rebuild"]["rendered"]["bash_command"], "echo 2024-03-04 eu 2024-03-04",
        "{version:?}"
    );
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_2_10_reports_sensor_and_operator_settings() {
    check_sensors(AirflowVersion::V2_10);
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_3_reports_sensor_and_operator_settings() {
    check_sensors(AirflowVersion::V3);
}

/// Without `--conf`, a param without a default is not in the context (Airflow would
/// not create the run): templates and the execution_date_fn reading it fail; a conf
/// value the param's schema rejects is reported.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_harness_needs_conf_for_params_without_default() {
    for_both_versions(|version| {
        let folder = fixture("sensor_dags");
        let without = inspect(version, &folder, None);
        let problems: Vec<&str> = without["problems"]
            .as_array()
            .expect("problems is a list")
            .iter()
            .map(|problem| problem.as_str().expect("a problem is a string"))
            .collect();
        assert_eq!(
            problems,
            [
                "bizdate_triggered/rebuild: bash_command: render failed: UndefinedError: \
                 'dict object' has no attribute 'bizdate'",
                "bizdate_triggered/wait_sales: execution_date_fn failed: KeyError: 'bizdate'",
            ],
            "{version:?}"
        );
        let wait_sales = &without["dags"]["bizdate_triggered"]["tasks"]["wait_sales"];
        assert_eq!(wait_sales["execution_date_fn_result"], Value::Null, "{version:?}");

        let invalid = inspect_with(
            version,
            &folder,
            None,
            &[
                "--conf".as_ref(),
                r#"{"bizdate": "2024-03-04", "region": "asia"}"#.as_ref(),
            ],
        );
        let problems = invalid["problems"].as_array().expect("problems is a list");
        assert_eq!(problems.len(), 1, "{version:?}: {problems:#?}");
        let problem = problems[0].as_str().expect("a problem is a string");
        assert!(
            problem.starts_with("bizdate_triggered: conf: param 'region': ParamValidationError: 'asia' is not one of"),
            "{version:?}: {problem}"
        );
    });
}

/// The pools file (the format flowc writes) imports with `airflow pools import`.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_imports_the_pools_file() {
    for_both_versions(|version| {
        let pools = fixture("pools.json");
        let out = inspect_with(
            version,
            &fixture("trap_dags"),
            None,
            &["--import-pools".as_ref(), pools.as_os_str()],
        );
        let report = &out["pools_import"];
        assert_eq!(report["ok"], true, "{version:?}: {report}");
        assert_eq!(
            report["pools"],
            json!({"default_pool": 128, "sensors": 16, "spark": 8, "kylin": 2}),
            "{version:?}: {report}"
        );
    });
}
