//! The compiled repositories of `compile_snapshots` (one per task type, and the bundled
//! example) loaded in real Airflow 2.10 and 3: Airflow's view of every DAG and task must
//! match `manifest.json`, and spot checks of rendered fields hold the business date,
//! params and overrides.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::airflow_harness::{AirflowVersion, inspect_with};
use crate::compile_snapshots::{CASES, Cache, case_index, compiled};

/// The conf every sample run is created with: triggered flows need `bizdate`.
const CONF: &str = r#"{"bizdate": "2024-03-05"}"#;

/// The business date of every sample run (the harness's logical date, and `CONF`).
const SAMPLE_DS: &str = "2024-03-05";

/// The Airflow harness's description of the compiled DAG folder, once per process.
fn inspected(case: &str, version: AirflowVersion) -> &'static Value {
    static CACHE: Cache<Value> = [const { [const { OnceLock::new() }, const { OnceLock::new() }] }; CASES.len()];
    CACHE[case_index(case)][version.index()].get_or_init(|| {
        let out = compiled(case, version);
        inspect_with(
            version,
            &out.join("dags"),
            Some(&out.join("pools.json")),
            &["--conf".as_ref(), CONF.as_ref()],
        )
    })
}

fn manifest(case: &str, version: AirflowVersion) -> Value {
    let path = compiled(case, version).join("manifest.json");
    let bytes = std::fs::read(&path).expect("manifest.json is written");
    serde_json::from_slice(&bytes).expect("manifest.json is JSON")
}

/// Collects every mismatch instead of stopping at the first.
#[derive(Default)]
struct Mismatches(Vec<String>);

impl Mismatches {
    fn eq(&mut self, what: &str, actual: &Value, expected: &Value) {
        if actual != expected {
            self.0
                .push(format!("{what}: Airflow has {actual}, expected {expected}"));
        }
    }

    /// Numbers compared as floats (the harness reports seconds as floats).
    fn seconds(&mut self, what: &str, actual: &Value, expected: &Value) {
        if actual.as_f64() != expected.as_f64() || actual.is_null() != expected.is_null() {
            self.0
                .push(format!("{what}: Airflow has {actual}, expected {expected}"));
        }
    }

    fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }
}

fn object_keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The business date of a run whose logical date is `timestamp` (ISO), in a flow of
/// time zone `zone`: the timestamp's date there.
fn business_date(timestamp: &Value, zone: &Value) -> Option<String> {
    let zone: chrono_tz::Tz = zone.as_str()?.parse().ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(timestamp.as_str()?).ok()?;
    Some(at.with_timezone(&zone).format("%Y-%m-%d").to_string())
}

/// The instant an ISO timestamp names, as UTC ISO text: timestamps written with other
/// offsets compare equal.
fn instant(timestamp: &Value) -> Value {
    timestamp
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| timestamp.clone(), |at| json!(at.to_utc().to_rfc3339()))
}

/// Loads the compiled DAG folder in Airflow `version` and compares it with the
/// manifest: DAG ids, every task's operator, upstream, pool, weight, queue, retries
/// and timeouts, asset schedules and outlets, and which upstream run each sensor
/// waits for.
fn check_in_airflow(case: &str, version: AirflowVersion) {
    let out = inspected(case, version);
    let manifest = manifest(case, version);
    let context = format!("{case} on {version:?}");
    assert_eq!(out["import_errors"], json!({}), "{context}");
    assert_eq!(out["problems"], json!([]), "{context}");
    let dags = &out["dags"];
    let flows = manifest["flows"].as_array().expect("manifest flows");
    let expected_ids: BTreeSet<String> = flows
        .iter()
        .map(|f| f["dag_id"].as_str().expect("a dag_id").to_owned())
        .collect();
    assert_eq!(object_keys(dags), expected_ids, "{context}: DAG ids");

    let mut m = Mismatches::default();
    let mut sensors = Sensors::default();
    let mut run = RunSeen::default();
    // Every asset some task updates, by URI → the DAGs whose tasks update it.
    let mut updated_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for flow in flows {
        let dag_id = flow["dag_id"].as_str().expect("a dag_id");
        let dag = &dags[dag_id];
        check_run_settings(&mut m, &mut run, flow, dag, version);
        let tasks = flow["tasks"].as_array().expect("manifest tasks");
        let expected_tasks: BTreeSet<String> = tasks
            .iter()
            .map(|t| t["task_id"].as_str().expect("a task_id").to_owned())
            .collect();
        m.eq(
            &format!("{dag_id}: task ids"),
            &json!(object_keys(&dag["tasks"])),
            &json!(expected_tasks),
        );
        let schedule = &flow["schedule"];
        if schedule["kind"] == "assets" {
            m.eq(
                &format!("{dag_id}: schedule_assets"),
                &dag["schedule_assets"],
                &schedule["assets"],
            );
        } else {
            m.eq(
                &format!("{dag_id}: schedule_assets"),
                &dag["schedule_assets"],
                &Value::Null,
            );
        }
        if schedule["kind"] == "cron" {
            m.eq(
                &format!("{dag_id}: timetable"),
                &dag["timetable"],
                &schedule["timetable"],
            );
            m.eq(&format!("{dag_id}: cron"), &dag["cron"], &schedule["cron"]);
            // The sample run is the one of business date SAMPLE_DS.
            m.eq(
                &format!("{dag_id}: sample run ds"),
                &json!(business_date(&dag["sample_run"]["logical_date"], &flow["timezone"])),
                &json!(SAMPLE_DS),
            );
        }
        for task in tasks {
            let task_id = task["task_id"].as_str().expect("a task_id");
            let actual = &dag["tasks"][task_id];
            let what = |field: &str| format!("{dag_id}.{task_id}: {field}");
            m.eq(&what("operator"), &actual["operator"], &task["operator"]);
            for field in [
                "upstream",
                "pool",
                "pool_slots",
                "priority_weight",
                "weight_rule",
                "queue",
                "retries",
                "outlets",
            ] {
                m.eq(&what(field), &actual[field], &task[field]);
            }
            m.seconds(
                &what("retry_delay_seconds"),
                &actual["retry_delay_seconds"],
                &task["retry_delay_seconds"],
            );
            m.seconds(
                &what("execution_timeout_seconds"),
                &actual["execution_timeout_seconds"],
                &task["execution_timeout_seconds"],
            );
            if let Some(mode) = task.get("mode") {
                m.eq(&what("mode"), &actual["mode"], mode);
            }
            for uri in task["outlets"].as_array().into_iter().flatten() {
                updated_by
                    .entry(uri.as_str().expect("a URI").to_owned())
                    .or_default()
                    .insert(dag_id.to_owned());
            }
            if task["operator"] != "ExternalTaskSensor" {
                continue;
            }
            check_sensor(&mut m, &mut sensors, (dags, flows), &what, task, actual);
        }
        // Every asset this DAG is scheduled on is updated by a task of another DAG.
        for uri in schedule["assets"].as_array().into_iter().flatten() {
            let uri = uri.as_str().expect("a URI");
            m.check(updated_by_later(flows, uri).iter().any(|other| other != dag_id), || {
                format!("{dag_id}: no task of another DAG updates {uri}")
            });
        }
    }
    match case {
        "sparksql" => m.check(sensors.with_delta > 0, || {
            "no cross-flow sensor with a non-zero execution_delta".to_owned()
        }),
        "trigger" => m.check(sensors.with_fn > 0, || "no sensor with an execution_date_fn".to_owned()),
        "assets" => m.check(!updated_by.is_empty(), || "no task has outlets".to_owned()),
        "wingpay" => run.expect_everything(&mut m, version),
        _ => {}
    }
    assert!(m.0.is_empty(), "{context}:\n{}", m.0.join("\n"));
}

/// The sensors of a case, by how they find the upstream run they wait for.
#[derive(Default)]
struct Sensors {
    /// With a non-zero `execution_delta`.
    with_delta: usize,
    /// With an `execution_date_fn`.
    with_fn: usize,
}

/// Compares an `ExternalTaskSensor` with the manifest: what it waits for, and that the
/// run it waits for is the upstream DAG's run of the same business date.
/// What the run-settings checks met, so the example's checks are not vacuous.
#[derive(Default)]
struct RunSeen {
    alert_kinds: BTreeSet<String>,
    depends_on_past: usize,
    dagrun_timeouts: usize,
    task_slas: usize,
    deadlines: usize,
    checks_without_retries: usize,
}

impl RunSeen {
    fn expect_everything(&self, m: &mut Mismatches, version: AirflowVersion) {
        let kinds: BTreeSet<String> = ["dingtalk", "email", "slack"].map(str::to_owned).into();
        m.check(self.alert_kinds == kinds, || {
            format!("alert kinds seen: {:?}", self.alert_kinds)
        });
        m.check(self.depends_on_past > 0, || "no task depends on its past".to_owned());
        m.check(self.dagrun_timeouts > 0, || "no DAG has a dagrun_timeout".to_owned());
        m.check(self.checks_without_retries > 0, || {
            "no quality check without retries".to_owned()
        });
        match version {
            AirflowVersion::V2_10 => m.check(self.task_slas > 0, || "no task has an sla".to_owned()),
            AirflowVersion::V3 => m.check(self.deadlines > 0, || "no DAG has a deadline alert".to_owned()),
        }
    }
}

/// An alert as the manifest writes it, with the SMTP connection Airflow defaults to.
fn normalized(alert: &Value) -> Value {
    let mut alert = alert.clone();
    if alert["kind"] == "email" && alert["connection"].is_null() {
        alert["connection"] = json!("smtp_default");
    }
    alert
}

fn normalized_all(alerts: &Value) -> Value {
    Value::Array(alerts.as_array().into_iter().flatten().map(normalized).collect())
}

/// One DAG's run settings as Airflow loaded them against the manifest: run timeout,
/// concurrency, the SLA (every task's `sla` on 2.10, deadline alerts on 3), and each
/// task's `depends_on_past` and failure notifiers with their connection ids.
fn check_run_settings(m: &mut Mismatches, seen: &mut RunSeen, flow: &Value, dag: &Value, version: AirflowVersion) {
    let dag_id = flow["dag_id"].as_str().unwrap_or_default();
    let what = |field: &str| format!("{dag_id}: {field}");
    if !flow["max_active_runs"].is_null() {
        m.eq(
            &what("max_active_runs"),
            &dag["max_active_runs"],
            &flow["max_active_runs"],
        );
    }
    m.seconds(
        &what("dagrun_timeout_seconds"),
        &dag["dagrun_timeout_seconds"],
        &flow["dagrun_timeout_seconds"],
    );
    seen.dagrun_timeouts += usize::from(!flow["dagrun_timeout_seconds"].is_null());
    let sla = &flow["sla_seconds"];
    let expected_deadlines: Vec<Value> = flow["deadline_alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|alert| {
            json!({
                "reference": "DagRunQueuedAtDeadline",
                "interval_seconds": sla.as_f64(),
                "callback": "AsyncCallback",
                "alert": normalized(alert),
            })
        })
        .collect();
    if version == AirflowVersion::V3 {
        m.check(sla.is_null() || !expected_deadlines.is_empty(), || {
            format!("{dag_id}: an sla without deadline alerts on Airflow 3")
        });
    }
    let actual_deadlines: Vec<Value> = dag["deadline_alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let mut d = d.clone();
            d["alert"] = normalized(&d["alert"]);
            d
        })
        .collect();
    m.eq(&what("deadline"), &json!(actual_deadlines), &json!(expected_deadlines));
    seen.deadlines += expected_deadlines.len();
    for task in flow["tasks"].as_array().into_iter().flatten() {
        let task_id = task["task_id"].as_str().unwrap_or_default();
        let actual = &dag["tasks"][task_id];
        let what = |field: &str| format!("{dag_id}.{task_id}: {field}");
        m.eq(
            &what("depends_on_past"),
            &actual["depends_on_past"],
            &task["depends_on_past"],
        );
        m.eq(
            &what("alerts"),
            &normalized_all(&actual["alerts"]),
            &normalized_all(&task["alerts"]),
        );
        let expected_sla = if version == AirflowVersion::V2_10 {
            sla
        } else {
            &Value::Null
        };
        m.seconds(&what("sla_seconds"), &actual["sla_seconds"], expected_sla);
        seen.task_slas += usize::from(!actual["sla_seconds"].is_null());
        seen.depends_on_past += usize::from(actual["depends_on_past"] == true);
        for alert in task["alerts"].as_array().into_iter().flatten() {
            seen.alert_kinds
                .insert(alert["kind"].as_str().unwrap_or_default().to_owned());
        }
        seen.checks_without_retries += usize::from(task["type"] == "quality" && actual["retries"] == 0);
    }
}

fn check_sensor(
    m: &mut Mismatches,
    sensors: &mut Sensors,
    (dags, flows): (&Value, &[Value]),
    what: &dyn Fn(&str) -> String,
    task: &Value,
    actual: &Value,
) {
    m.eq(
        &what("external_dag_id"),
        &actual["external_dag_id"],
        &task["external_dag_id"],
    );
    m.eq(
        &what("external_task_id"),
        &actual["external_task_id"],
        &task["external_task_id"],
    );
    // The run of the upstream DAG with the same business date as this sample run.
    let upstream_dag = &dags[task["external_dag_id"].as_str().expect("an external_dag_id")];
    let upstream_run = &upstream_dag["sample_run"]["logical_date"];
    let upstream_zone = flows
        .iter()
        .find(|f| f["dag_id"] == task["external_dag_id"])
        .map_or(&Value::Null, |f| &f["timezone"]);
    m.eq(
        &format!("{}: sample run ds", task["external_dag_id"]),
        &json!(business_date(upstream_run, upstream_zone)),
        &json!(SAMPLE_DS),
    );
    if task["execution_delta_seconds"].is_null() {
        sensors.with_fn += 1;
        m.eq(
            &what("has_execution_date_fn"),
            &actual["has_execution_date_fn"],
            &json!(true),
        );
        m.eq(
            &what("execution_delta_seconds"),
            &actual["execution_delta_seconds"],
            &Value::Null,
        );
        m.eq(
            &what("execution_date_fn_result"),
            &instant(&actual["execution_date_fn_result"]),
            &instant(upstream_run),
        );
    } else {
        if task["execution_delta_seconds"] != json!(0) {
            sensors.with_delta += 1;
        }
        m.seconds(
            &what("execution_delta_seconds"),
            &actual["execution_delta_seconds"],
            &task["execution_delta_seconds"],
        );
        m.eq(
            &what("execution_delta_target"),
            &instant(&actual["execution_delta_target"]),
            &instant(upstream_run),
        );
    }
}

/// The DAG ids whose tasks list `uri` in their outlets, from the manifest.
fn updated_by_later(flows: &[Value], uri: &str) -> BTreeSet<String> {
    flows
        .iter()
        .filter(|flow| {
            flow["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["outlets"].as_array().into_iter().flatten().any(|o| o == uri))
        })
        .map(|flow| flow["dag_id"].as_str().expect("a dag_id").to_owned())
        .collect()
}

/// Spot checks of rendered fields: the business date reaches the SQL, params and
/// overrides are rendered, and triggered flows use the conf's `bizdate`.
fn check_rendered(case: &str, version: AirflowVersion) {
    let dags = &inspected(case, version)["dags"];
    let rendered = |dag: &str, task: &str, field: &str| -> String {
        let value = &dags[dag]["tasks"][task]["rendered"][field];
        match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let mut report = String::new();
    let mut expect = |dag: &str, task: &str, field: &str, needle: &str| {
        let text = rendered(dag, task, field);
        if !text.contains(needle) {
            let _ = writeln!(report, "{dag}.{task}.{field} lacks {needle:?}: {text}");
        }
    };
    match case {
        "sparksql" => {
            expect("payments", "pay_detail", "sql", "PARTITION (dt = '2024-03-05')");
            expect("payments", "pay_detail", "sql", "'CNY' AS currency");
            expect("payments", "pay_detail", "sql", "AND amount > 0");
            expect(
                "payments",
                "pay_summary_1d",
                "application_args",
                "PARTITION (dt = '20240305')",
            );
            // The task's own params win over the project's.
            expect("payments", "pay_summary_1d", "application_args", "0.5 AS tolerance");
            expect(
                "payments",
                "pay_summary_1d",
                "application_args",
                "DATE_SUB('2024-03-05', 3)",
            );
            expect("reporting", "ads_top_payers", "sql", "LIMIT 50");
        }
        "sync" => {
            expect("ods_ingest", "sync_order", "bash_command", "-Dbizdate=2024-03-05");
            expect("ods_ingest", "sync_shop", "bash_command", "-Dbizdate_nodash=20240305");
        }
        "ml" => {
            expect("risk", "fraud_score", "application_args", "2024-03-05");
            expect("risk", "fraud_score", "application_args", "v7");
            expect("risk", "churn_model", "application_args", "20240305");
        }
        "kylin" => {
            expect("bi", "gmv_cube", "cube", "gmv_20240305");
            expect("bi", "gmv_cube", "project", "bi_prod");
        }
        "trigger" => {
            expect("settlement", "wait_gateway", "endpoint", "/v1/batches/20240305/status");
            expect("settlement", "wait_bank_file", "filepath", "SETTLE_20240305.ok");
            expect("settlement", "wait_refund_file", "path", "/out/refunds_2024-03-05.csv");
            expect(
                "settlement",
                "wait_fx_rate",
                "partition_names",
                "ods.fx_rate/dt=2024-03-05/src=bank",
            );
            expect("rerun", "settlement_report", "sql", "PARTITION (dt = '2024-03-05')");
            let sftp = &dags["settlement"]["tasks"]["wait_refund_file"];
            for (key, expected) in [
                ("operator", json!("SFTPSensor")),
                ("sftp_conn_id", json!("partner_sftp")),
                ("mode", json!("reschedule")),
                ("timeout_seconds", json!(10800.0)),
                ("poke_interval_seconds", json!(180.0)),
            ] {
                if sftp[key] != expected {
                    let _ = writeln!(
                        report,
                        "settlement.wait_refund_file.{key}: {} (expected {expected})",
                        sftp[key]
                    );
                }
            }
        }
        "assets" => {
            expect("orders", "dwd_orders", "sql", "dt = '2024-03-05'");
            // The harness's manual run of the asset-scheduled DAG starts on SAMPLE_DS.
            expect(
                "orders_report",
                "ads_order_report",
                "sql",
                "PARTITION (dt = '2024-03-05')",
            );
        }
        "quality" => {
            // The check reads the run's partition and records under the run's id.
            let check = "load__dq_order_id_unique";
            expect(
                "orders",
                check,
                "sql",
                "INSERT INTO TABLE dq.check_results PARTITION (dt = '2024-03-05')",
            );
            expect("orders", check, "sql", "WHERE t.dt = '2024-03-05'");
            expect("orders", check, "sql", "'dt=2024-03-05' AS checked_partition");
            expect(
                "orders",
                check,
                "sql",
                "AND run_id = 'scheduled__2024-03-05T02:30:00+00:00'",
            );
            expect("orders", check, "sql", "ELSE raise_error(");
            expect("orders", "load__dq_amount_in_range", "sql", "'flowc-dq WARN '");
        }
        _ => {}
    }
    assert!(report.is_empty(), "{case} on {version:?}:\n{report}");
}

fn check_case(case: &str) {
    std::thread::scope(|scope| {
        for version in AirflowVersion::ALL {
            scope.spawn(move || {
                check_in_airflow(case, version);
                check_rendered(case, version);
            });
        }
    });
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_sparksql_loads_in_airflow() {
    check_case("sparksql");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_sync_loads_in_airflow() {
    check_case("sync");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_ml_loads_in_airflow() {
    check_case("ml");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_kylin_loads_in_airflow() {
    check_case("kylin");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_trigger_loads_in_airflow() {
    check_case("trigger");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_assets_loads_in_airflow() {
    check_case("assets");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_quality_loads_in_airflow() {
    check_case("quality");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn compile_snapshots_wingpay_loads_in_airflow() {
    check_case("wingpay");
}
