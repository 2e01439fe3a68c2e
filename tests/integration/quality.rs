//! Data quality rules in a real Airflow: `tests/fixtures/compile/quality` compiled for
//! Airflow 2.10 and 3, then its DAGs run with Airflow's own test runner (`dag.test()`,
//! through `tests/airflow/run_dag.py`) with the Spark jobs replaced by stand-ins that
//! play the rendered SQL on data that violates a chosen rule. A violated strong rule
//! fails its check, and every task downstream of the checked table — in the flow, and
//! through the sensor in another flow — ends `upstream_failed`; a violated weak rule
//! is logged and everything downstream succeeds.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::airflow::{AirflowVersion, for_both_versions, run_dags};
use crate::{flowc, text};

/// Compiles the quality fixture for `version` into `out`; returns `<out>/prod`.
fn compile(version: AirflowVersion, out: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/quality");
    let output = flowc(
        &[
            "compile",
            repo.to_str().expect("UTF-8 path"),
            "--env",
            "prod",
            "--out",
            out.to_str().expect("UTF-8 path"),
            "--airflow-version",
            version.cli_arg(),
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "flowc compile failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
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
    )
}

fn states(result: &Value, dag: &str) -> Value {
    result["runs"][dag]["states"].clone()
}

#[test]
fn a_failing_strong_rule_stops_everything_downstream_in_airflow() {
    for_both_versions(|version| {
        let result = run(version, &["orders.load__dq_merchant_known"]);
        assert_eq!(
            states(&result, "orders"),
            json!({
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
