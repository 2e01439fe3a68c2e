//! Data quality rules in a real Airflow: `tests/fixtures/compile/quality` compiled for
//! Airflow 2.10 and 3, then its DAGs run with Airflow's own test runner (`dag.test()`,
//! through `tests/airflow/run_dag.py`) with the Spark jobs replaced by stand-ins that
//! play the rendered SQL on data that violates a chosen rule. A violated strong rule
//! fails its check, and every task downstream of the checked table — in the flow, and
//! through the sensor in another flow — ends `upstream_failed`; a violated weak rule
//! is logged and everything downstream succeeds.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::airflow_harness::{AirflowVersion, for_both_versions, run_dags};
use crate::support::repo_root;

/// Compiles the quality fixture for `version` into `out`; returns `<out>/prod`.
fn compile(version: AirflowVersion, out: &Path) -> PathBuf {
    let repo = repo_root().join("tests/fixtures/compile/quality");
    crate::compile::compile(&repo, "prod", out, version);
    out.join("prod")
}

/// Runs `orders` then `reporting` (whose sensor waits for `orders.load`) with the
/// checks in `violations` on violating data.
fn run(version: AirflowVersion, violations: &[&str]) -> Value {
    let out = tempfile::tempdir().expect("temp dir");
    let env_dir = compile(version, out.path());
    run_dags(
        version,
        &env_dir.join("dags"),
        &["orders", "reporting"],
        &env_dir.join("pools.json"),
        violations,
        None,
    )
}

fn states(result: &Value, dag: &str) -> Value {
    result["runs"][dag]["states"].clone()
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn a_failing_strong_rule_stops_everything_downstream_in_airflow() {
    for_both_versions(|version| {
        let result = run(version, &["orders.load__dq_merchant_known"]);
        assert_eq!(
            states(&result, "orders"),
            json!({
                // The partition the sync `land` writes is registered before it runs.
                "land__partition": "success",
                "land": "success",
                "land__dq_all_landed": "success",
                "land__dq": "success",
                "load": "success",
                "load__dq_order_id_unique": "success",
                "load__dq_merchant_known": "failed",
                "load__dq_amount_in_range": "success",
                "load__dq": "upstream_failed",
                "summary": "upstream_failed",
                "summary__dq_summary_matches_orders": "upstream_failed",
                "summary__dq": "upstream_failed",
                "export": "upstream_failed",
            }),
            "{version:?}: {result:#}"
        );
        // The other flow's sensor waits for the gate, sees it failed, and fails.
        assert_eq!(
            states(&result, "reporting"),
            json!({
                "wait__orders__load": "failed",
                "merchant_report": "upstream_failed",
                "merchant_report__dq_lands_by_six": "upstream_failed",
            }),
            "{version:?}: {result:#}"
        );
        let why = result["sensor_errors"]["reporting.wait__orders__load"]
            .as_str()
            .unwrap_or_default();
        assert!(
            why.contains("['load__dq']") && why.contains("failed"),
            "{version:?}: the sensor failed for another reason: {why}"
        );
        // The stand-in failed because the rendered SQL of the strong rule raises.
        let failed: Vec<&Value> = result["stand_in"]
            .as_array()
            .expect("stand_in")
            .iter()
            .filter(|s| s["outcome"] == "fail")
            .collect();
        assert_eq!(failed.len(), 1, "{version:?}: {result:#}");
        assert_eq!(
            failed[0]["line"],
            "flowc-dq FAIL rule=orders.merchant_known (stand-in: the data violates the rule)"
        );
    });
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn a_failing_weak_rule_lets_everything_downstream_run_in_airflow() {
    for_both_versions(|version| {
        let result = run(version, &["orders.load__dq_amount_in_range"]);
        for dag in ["orders", "reporting"] {
            assert_eq!(result["runs"][dag]["state"], "success", "{version:?} {dag}: {result:#}");
            let states = states(&result, dag);
            for (task, state) in states.as_object().expect("states") {
                assert_eq!(state, "success", "{version:?}: {dag}.{task} in {result:#}");
            }
        }
        // The weak check ran on violating data: it logged a warning and succeeded.
        let warned: Vec<&Value> = result["stand_in"]
            .as_array()
            .expect("stand_in")
            .iter()
            .filter(|s| s["outcome"] == "warn")
            .collect();
        assert_eq!(warned.len(), 1, "{version:?}: {result:#}");
        assert_eq!(warned[0]["task"], "orders.load__dq_amount_in_range");
        assert!(
            result["sensor_errors"]
                .as_object()
                .is_some_and(serde_json::Map::is_empty)
        );
    });
}

/// A stand-in DataX (`$DATAX_HOME/bin/datax.py`): logs a little, then, when
/// `FAKE_DATAX_READ` is set, DataX's end-of-job summary with that many records read.
const FAKE_DATAX: &str = r#"
import os, sys
print("2024-03-06 02:30:01.000 [job-0] INFO  JobContainer - DataX jobContainer starts job.")
read = os.environ.get("FAKE_DATAX_READ")
if read is not None:
    print("2024-03-06 02:31:01.000 [job-0] INFO  JobContainer - ")
    print("任务启动时刻                    : 2024-03-06 02:30:01")
    print("读出记录总数                    : %18s" % read)
    print("读写失败总数                    : %18s" % "0")
sys.exit(0)
"#;

/// Runs `orders` with its sync task for real (the rendered command, flowc's DataX
/// launcher, [`FAKE_DATAX`]); returns the SQL Airflow rendered for the
/// `compare: sync_source` check, and the run's states.
fn run_with_datax(version: AirflowVersion, records_read: Option<&str>) -> (String, Value) {
    let out = tempfile::tempdir().expect("temp dir");
    let env_dir = compile(version, out.path());
    let home = out.path().join("datax-home");
    std::fs::create_dir_all(home.join("bin")).expect("fake DataX home");
    std::fs::write(home.join("bin/datax.py"), FAKE_DATAX).expect("fake DataX");
    let mut env = vec![("SHOP_PASSWORD", "not-a-secret")];
    if let Some(read) = records_read {
        env.push(("FAKE_DATAX_READ", read));
    }
    let result = run_dags(
        version,
        &env_dir.join("dags"),
        &["orders"],
        &env_dir.join("pools.json"),
        &[],
        Some((&home, &env)),
    );
    let sql = result["stand_in"]
        .as_array()
        .expect("stand_in")
        .iter()
        .find(|s| s["task"] == "orders.land__dq_all_landed")
        .and_then(|s| s["sql"].as_str())
        .unwrap_or_else(|| panic!("{version:?}: the check did not run: {result:#}"))
        .to_owned();
    (sql, states(&result, "orders"))
}

/// `row_count_change` with `compare: sync_source`: the records DataX read reach the
/// check through Airflow itself — the launcher prints the count last, BashOperator
/// keeps it as the task's XCom, the check's SQL template pulls it — and an unknown
/// count renders as NULL (a failed check), never as text in the SQL.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn the_records_datax_read_reach_the_sync_source_check_in_airflow() {
    for_both_versions(|version| {
        let (sql, states) = run_with_datax(version, Some("4321"));
        assert_eq!(states["land"], "success", "{version:?}: {states:#}");
        assert!(
            sql.contains("SELECT CAST(4321 AS BIGINT) AS total"),
            "{version:?}: the check did not get the count:\n{sql}"
        );
        let (sql, states) = run_with_datax(version, None);
        assert_eq!(states["land"], "success", "{version:?}: {states:#}");
        assert!(
            sql.contains("SELECT CAST(NULL AS BIGINT) AS total"),
            "{version:?}: a missing count must render as NULL:\n{sql}"
        );
    });
}
