//! Data quality rules on real data in a real Airflow: `tests/fixtures/compile/quality`
//! compiled for Airflow 2.10 and 3, its tables created in the local Spark from `flowc
//! ddl`, rows planted in its sources, and its DAGs run with Airflow's own test runner
//! (`dag.test()`, through `tests/airflow/run_dag.py --spark`): every Spark SQL task —
//! the loads and the check SQL flowc generated — runs on the local Spark through the
//! provider's `SparkSqlOperator`. A strong rule the data violates fails its check, and
//! every task downstream of the checked table — in the flow, and through the sensor in
//! another flow — ends `upstream_failed`; a violated weak rule logs `flowc-dq WARN` and
//! everything downstream succeeds; each check writes its row to the results table. The
//! sync task runs its rendered command through flowc's DataX launcher on [`FAKE_DATAX`]
//! (DataX itself is in no registry); the rows it "landed" are planted by SQL.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::airflow_harness::{AirflowVersion, for_both_versions};
use crate::spark_harness::{Spark, spark};
use crate::spark_runs::{RunOptions, ddl, on_local_warehouse, run_on_spark, spark_task, states};
use crate::support::repo_root;

/// The business date of every run (the fixture has no time zone: UTC).
const DAY: &str = "2024-03-05";

/// The scheduled run of both DAGs for [`DAY`] (`30 2 * * *`).
const AT: &str = "2024-03-05T02:30:00+00:00";

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

/// The fixture on the local warehouse, compiled for prod and `version`, its tables
/// created from `flowc ddl`, with `orders` (SQL `VALUES` rows: order_id, merchant_id,
/// amount) in `ods.orders` and three rows landed in the sync's partition.
struct Prepared {
    _repo: tempfile::TempDir,
    out: tempfile::TempDir,
    env_dir: PathBuf,
}

fn prepare(version: AirflowVersion, spark: &Spark, orders: &str) -> Prepared {
    let repo = on_local_warehouse(&repo_root().join("tests/fixtures/compile/quality"), spark);
    let out = tempfile::tempdir().expect("temp dir");
    crate::compile::compile(repo.path(), "prod", out.path(), version);
    spark.sql(&ddl(repo.path(), "prod"));
    spark.sql(&format!(
        "INSERT INTO dim.merchant VALUES (1, 'north'), (2, 'south');\n\
         INSERT INTO ods.orders PARTITION (dt = '{DAY}') VALUES {orders};\n\
         INSERT INTO stg.orders_landed PARTITION (dt = '{DAY}') VALUES (10, 1, 5.0), (11, 2, 7.0), (12, 1, 9.0);"
    ));
    let env_dir = out.path().join("prod");
    Prepared {
        _repo: repo,
        out,
        env_dir,
    }
}

/// Runs `dags` for [`DAY`] on `spark`; the sync's DataX reports `records_read`.
fn run(
    version: AirflowVersion,
    spark: &Spark,
    prepared: &Prepared,
    dags: &[&'static str],
    records_read: Option<&str>,
) -> Value {
    let home = prepared.out.path().join("datax-home");
    std::fs::create_dir_all(home.join("bin")).expect("fake DataX home");
    std::fs::write(home.join("bin/datax.py"), FAKE_DATAX).expect("fake DataX");
    let mut env = vec![("SHOP_PASSWORD".to_owned(), "not-a-secret".to_owned())];
    if let Some(read) = records_read {
        env.push(("FAKE_DATAX_READ".to_owned(), read.to_owned()));
    }
    let options = RunOptions {
        runs: dags.iter().map(|dag| (*dag, AT.to_owned())).collect(),
        env,
        datax_home: Some(home),
        ..RunOptions::default()
    };
    run_on_spark(version, spark, &prepared.env_dir, &options)
}

/// The rows of the results table for [`DAY`]: rule, severity, observed, passed.
fn results(spark: &Spark) -> Vec<Vec<String>> {
    spark.sql(&format!(
        "SELECT rule, severity, observed, passed FROM dq.check_results WHERE dt = '{DAY}' ORDER BY rule"
    ))
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| (*cell).to_owned()).collect()
}

#[test]
#[ignore = "needs Airflow and Spark (Python 3.11, Java 17, the network to install .venv/): run by scripts/test.sh"]
fn a_strong_rule_the_data_violates_stops_everything_downstream_in_airflow() {
    for_both_versions(|version| {
        let spark = spark();
        // Order 10 twice: `dwd.orders` gets a duplicate key.
        let prepared = prepare(version, &spark, "(10, 1, 5.0), (10, 1, 5.0), (11, 2, 7.0)");
        let result = run(version, &spark, &prepared, &["orders", "reporting"], Some("3"));
        assert_eq!(
            states(&result, "orders"),
            json!({
                // The partition the sync `land` writes is registered before it runs.
                "land__partition": "success",
                "land": "success",
                "land__dq_all_landed": "success",
                "land__dq": "success",
                "load": "success",
                "load__dq_order_id_unique": "failed",
                "load__dq_merchant_known": "success",
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
        // Spark failed the check: `raise_error` in the SQL flowc generated, on the data.
        let check = spark_task(&result, "orders.load__dq_order_id_unique");
        assert_eq!(check["outcome"], "fail", "{version:?}: {check:#}");
        assert!(
            check["lines"][0].as_str().is_some_and(|line| line.contains(
                "flowc-dq FAIL rule=orders.order_id_unique table=dwd.orders partition=dt=2024-03-05 severity=strong observed=1.0"
            )),
            "{version:?}: {check:#}"
        );
        // Every check that ran wrote its row, the failed one too.
        assert_eq!(
            results(&spark),
            [
                row(&["all_landed", "strong", "0.0", "true"]),
                row(&["amount_in_range", "weak", "0.0", "true"]),
                row(&["merchant_known", "strong", "0.0", "true"]),
                row(&["order_id_unique", "strong", "1.0", "false"]),
            ],
            "{version:?}"
        );
    });
}

#[test]
#[ignore = "needs Airflow and Spark (Python 3.11, Java 17, the network to install .venv/): run by scripts/test.sh"]
fn a_weak_rule_the_data_violates_warns_and_lets_everything_run_in_airflow() {
    for_both_versions(|version| {
        let spark = spark();
        // Eleven amounts out of range: more than the rule's threshold of 10.
        let outliers: Vec<String> = (100..111).map(|id| format!("({id}, 1, 2000000.0)")).collect();
        let orders = format!("(10, 1, 5.0), (11, 2, 7.0), {}", outliers.join(", "));
        let prepared = prepare(version, &spark, &orders);
        let result = run(version, &spark, &prepared, &["orders", "reporting"], Some("3"));
        for dag in ["orders", "reporting"] {
            assert_eq!(result["runs"][dag]["state"], "success", "{version:?} {dag}: {result:#}");
            let states = states(&result, dag);
            for (task, state) in states.as_object().expect("states") {
                assert_eq!(state, "success", "{version:?}: {dag}.{task} in {result:#}");
            }
        }
        let check = spark_task(&result, "orders.load__dq_amount_in_range");
        assert!(
            check["lines"][0].as_str().is_some_and(|line| line.starts_with(
                "flowc-dq WARN rule=orders.amount_in_range table=dwd.orders partition=dt=2024-03-05 severity=weak observed=11.0"
            )),
            "{version:?}: {check:#}"
        );
        let rows = results(&spark);
        assert!(
            rows.contains(&row(&["amount_in_range", "weak", "11.0", "false"])),
            "{version:?}: {rows:?}"
        );
        // What reached the report: the orders of the day, outliers included.
        assert_eq!(
            spark.sql(&format!(
                "SELECT merchant_id, orders, amount FROM ads.merchant_report WHERE dt = '{DAY}' ORDER BY merchant_id"
            )),
            [row(&["1", "12", "2.2000005E7"]), row(&["2", "1", "7.0"]),],
            "{version:?}"
        );
    });
}

/// `row_count_change` with `compare: sync_source`: the records DataX read reach the
/// check through Airflow itself — the launcher prints the count last, BashOperator
/// keeps it as the task's XCom, the check's SQL template pulls it — and Spark compares
/// it with the rows in the partition; an unknown count is NULL (a failed check), never
/// text in the SQL.
#[test]
#[ignore = "needs Airflow and Spark (Python 3.11, Java 17, the network to install .venv/): run by scripts/test.sh"]
fn the_records_datax_read_are_compared_with_the_rows_landed_in_airflow() {
    for_both_versions(|version| {
        let spark = spark();
        let prepared = prepare(version, &spark, "(10, 1, 5.0)");
        // Four read, three landed: 25 % off.
        let result = run(version, &spark, &prepared, &["orders"], Some("4"));
        assert_eq!(states(&result, "orders")["land"], "success", "{version:?}: {result:#}");
        assert_eq!(
            states(&result, "orders")["land__dq_all_landed"],
            "failed",
            "{version:?}: {result:#}"
        );
        let check = spark_task(&result, "orders.land__dq_all_landed");
        assert!(
            check["lines"][0]
                .as_str()
                .is_some_and(|line| line.contains("severity=strong observed=25.0")),
            "{version:?}: {check:#}"
        );
        // DataX printed no count: the check fails on NULL.
        let result = run(version, &spark, &prepared, &["orders"], None);
        let check = spark_task(&result, "orders.land__dq_all_landed");
        assert!(
            check["lines"][0]
                .as_str()
                .is_some_and(|line| line.contains("severity=strong observed=null")),
            "{version:?}: {check:#}"
        );
    });
}
