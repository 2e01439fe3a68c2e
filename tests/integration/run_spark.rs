//! `flowc run` for real, on the local Spark: the dev environment's `spark-sql` runner
//! pointed at the test client, its tables created by SQL here, seed rows planted, and
//! the partition a task writes read back; a flow run with its quality checks.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

use crate::spark_harness::{Spark, spark};
use crate::spark_runs::on_local_warehouse;
use crate::support::{flowc_command, repo_root, text};

/// `repo` with `runners:` added to its dev environment: the local Spark's client, and
/// `datax_home` when given.
fn with_dev_runners(repo: &Path, spark: &Spark, datax_home: Option<&Path>) {
    let project = repo.join("flowc.yaml");
    let yaml = std::fs::read_to_string(&project).expect("flowc.yaml reads");
    let mut runners = format!(
        "\n    runners:\n      spark_sql: {}/spark-sql --master {}\n",
        Spark::bin_dir().display(),
        spark.master()
    );
    if let Some(home) = datax_home {
        let _ = writeln!(runners, "      datax_home: {}", home.display());
    }
    let at = yaml.find("\n  dev:").expect("a dev environment") + "\n  dev:".len();
    let line_end = at + yaml[at..].find('\n').expect("dev: ends its line");
    let yaml = format!("{}{}{}", &yaml[..line_end], runners.trim_end(), &yaml[line_end..]);
    std::fs::write(project, yaml).expect("flowc.yaml writes");
}

fn flowc_run(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    flowc_command(repo_root())
        .arg("run")
        .arg(repo)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("flowc runs")
}

/// The example's payments orders: order 1 in two versions (the later one counts),
/// order 2 in USD, order 3 failed; yesterday's partition must not be read.
const PAY_ORDERS: &str = "\
(1, 100, 7, 70, 'wechat', 'card', 'CNY', 10.00, 0.10, 'P', '10.0.0.1', 'd1', TIMESTAMP'2024-03-05 08:00:00', TIMESTAMP'2024-03-05 08:00:05', TIMESTAMP'2024-03-05 08:00:05'),
(1, 100, 7, 70, 'wechat', 'card', 'CNY', 10.00, 0.10, 'S', '10.0.0.1', 'd1', TIMESTAMP'2024-03-05 08:00:00', TIMESTAMP'2024-03-05 08:00:05', TIMESTAMP'2024-03-05 09:00:00'),
(2, 101, 8, 80, 'alipay', 'wallet', 'USD', 20.00, 0.50, 'S', '10.0.0.2', 'd2', TIMESTAMP'2024-03-05 22:10:00', TIMESTAMP'2024-03-05 22:10:30', TIMESTAMP'2024-03-05 22:10:30'),
(3, 102, 7, 71, 'union_pay', 'card', 'CNY', 5.50, 0.00, 'F', '10.0.0.3', 'd3', TIMESTAMP'2024-03-05 12:00:00', NULL, TIMESTAMP'2024-03-05 12:00:10')";

/// The tables `payments.dwd_pay_order` and its checks use, in dev, with seed rows.
fn example_tables(spark: &Spark) {
    spark.sql(&format!(
        "CREATE DATABASE IF NOT EXISTS dev_ods;
         CREATE DATABASE IF NOT EXISTS dev_dwd;
         CREATE DATABASE IF NOT EXISTS dev_dq;
         CREATE TABLE dev_ods.pay_order (order_id BIGINT, user_id BIGINT, merchant_id BIGINT, store_id BIGINT,
           channel STRING, pay_method STRING, currency STRING, amount DECIMAL(18,2), fee_amount DECIMAL(18,2),
           status STRING, client_ip STRING, device_id STRING, gmt_create TIMESTAMP, gmt_pay TIMESTAMP,
           gmt_modified TIMESTAMP) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_ods.fx_rate_daily (currency STRING, rate_to_cny DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_dwd.dwd_pay_order_di (order_id BIGINT, user_id BIGINT, merchant_id BIGINT, store_id BIGINT,
           channel STRING, pay_method STRING, currency STRING, amount_orig DECIMAL(18,2), amount_cny DOUBLE,
           fee_cny DOUBLE, base_currency STRING, order_status STRING, is_paid BOOLEAN, client_ip STRING,
           device_id STRING, created_at TIMESTAMP, paid_at TIMESTAMP, pay_hour INT)
           PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_dq.results (flow STRING, task STRING, rule STRING, dimension STRING, kind STRING,
           severity STRING, table_name STRING, checked_partition STRING, observed DOUBLE, comparison STRING,
           threshold DOUBLE, passed BOOLEAN, run_id STRING, checked_at TIMESTAMP)
           PARTITIONED BY (dt STRING) STORED AS PARQUET;
         INSERT INTO dev_ods.pay_order PARTITION (dt = '2024-03-05') VALUES {PAY_ORDERS};
         INSERT INTO dev_ods.pay_order PARTITION (dt = '2024-03-04') VALUES
           (9, 109, 7, 70, 'wechat', 'card', 'CNY', 1.00, 0.00, 'S', '10.0.0.9', 'd9', NULL, NULL, NULL);
         INSERT INTO dev_ods.fx_rate_daily PARTITION (dt = '2024-03-05') VALUES ('USD', 7.1), ('CNY', 1.0);"
    ));
}

#[test]
#[ignore = "needs Spark (Java 17, .venv/spark): run by scripts/test.sh"]
fn a_task_run_writes_the_partition_its_dag_writes() {
    let spark = spark();
    let repo = on_local_warehouse(&repo_root().join("examples/wingpay"), &spark);
    with_dev_runners(repo.path(), &spark, None);
    example_tables(&spark);
    let output = flowc_run(
        repo.path(),
        &["payments.dwd_pay_order", "--env", "dev", "--date", "2024-03-05"],
        &[],
    );
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    // Computed here, not by flowc: the latest version of each order of the day, USD
    // at 7.1, amounts rounded to 2 places, statuses spelled out.
    let rows = spark.sql(
        "SELECT order_id, channel, currency, amount_orig, amount_cny, fee_cny, base_currency, order_status, \
         is_paid, paid_at, pay_hour FROM dev_dwd.dwd_pay_order_di WHERE dt = '2024-03-05' ORDER BY order_id",
    );
    let expected = [
        "1\tWECHAT\tCNY\t10.00\t10.0\t0.1\tCNY\tSUCCESS\ttrue\t2024-03-05 08:00:05\t8",
        "2\tALIPAY\tUSD\t20.00\t142.0\t3.55\tCNY\tSUCCESS\ttrue\t2024-03-05 22:10:30\t22",
        "3\tUNION_PAY\tCNY\t5.50\t5.5\t0.0\tCNY\tFAILED\tfalse\tNULL\tNULL",
    ];
    let rows: Vec<String> = rows.iter().map(|r| r.join("\t")).collect();
    assert_eq!(rows, expected);
    // Only that partition, and nothing outside dev.
    assert_eq!(
        spark.sql("SHOW PARTITIONS dev_dwd.dwd_pay_order_di"),
        vec![vec!["dt=2024-03-05".to_owned()]]
    );
    assert!(
        spark
            .databases()
            .iter()
            .all(|db| db == "default" || db.starts_with("dev_"))
    );
}

#[test]
#[ignore = "needs Spark (Java 17, .venv/spark): run by scripts/test.sh"]
fn checks_report_pass_warn_and_fail_and_a_strong_failure_stops_the_run() {
    let spark = spark();
    let repo = on_local_warehouse(&repo_root().join("examples/wingpay"), &spark);
    with_dev_runners(repo.path(), &spark, None);
    example_tables(&spark);
    let args = [
        "payments.dwd_pay_order",
        "--env",
        "dev",
        "--date",
        "2024-03-05",
        "--with-checks",
    ];
    let output = flowc_run(repo.path(), &args, &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let verdicts = verdicts(&stdout);
    assert_eq!(
        verdicts,
        [
            "pass payments.pay_order_one_row_per_order",
            "pass payments.pay_order_keys_present",
            "pass payments.pay_order_status_known",
            "pass payments.pay_order_amounts_not_negative",
            "pass payments.pay_order_fee_within_amount",
            // No partition the day before: no change to measure.
            "pass payments.pay_order_volume_steady",
            // The newest payment of the day is at 22:10:30, 1 h 49 min before midnight.
            "warn payments.pay_order_paid_until_midnight",
            "pass payments.pay_order_channel_code",
        ],
        "{stdout}"
    );
    assert_eq!(
        spark.sql("SELECT count(*) FROM dev_dq.results WHERE dt = '2024-03-05' AND run_id = 'flowc_run__2024-03-04T18:30:00+00:00'"),
        vec![vec!["8".to_owned()]]
    );

    // An order without a user: the strong not-null rule fails, and the run stops there
    // with the check's exit status.
    spark.sql(
        "INSERT INTO dev_ods.pay_order PARTITION (dt = '2024-03-05') VALUES \
         (4, NULL, 7, 70, 'wechat', 'card', 'CNY', 1.00, 0.00, 'S', '10.0.0.4', 'd4', NULL, NULL, NULL)",
    );
    let output = flowc_run(repo.path(), &args, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("\nfail payments.pay_order_keys_present\n"), "{stdout}");
    assert!(!stdout.contains("pay_order_status_known"), "the run stopped: {stdout}");
    assert!(text(&output.stderr).contains(
        "error: payments.dwd_pay_order__dq_pay_order_keys_present failed with exit status 1; the run stops here"
    ));
}

/// A stand-in for DataX (`$DATAX_HOME/bin/datax.py`): prints the summary DataX ends a
/// job with, 3 records read.
const FAKE_DATAX: &str = r#"
import sys
print("读出记录总数                    : %18s" % "3")
print("读写失败总数                    : %18s" % "0")
sys.exit(0)
"#;

#[test]
#[ignore = "needs Spark (Java 17, .venv/spark): run by scripts/test.sh"]
fn a_flow_run_with_checks_runs_sync_load_and_checks_in_order() {
    let spark = spark();
    let repo = on_local_warehouse(&repo_root().join("tests/fixtures/compile/quality"), &spark);
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(home.path().join("bin")).expect("bin");
    std::fs::write(home.path().join("bin/datax.py"), FAKE_DATAX).expect("fake DataX");
    with_dev_runners(repo.path(), &spark, Some(home.path()));
    let day = "2024-03-05";
    // Eleven orders out of the range of `amount_in_range`, which allows ten.
    let outliers: Vec<String> = (100..111).map(|id| format!("({id}, 1, 2000000.0)")).collect();
    let outliers = outliers.join(", ");
    spark.sql(&format!(
        "CREATE DATABASE ods; CREATE DATABASE dim; CREATE DATABASE dev_stg; CREATE DATABASE dev_dwd;
         CREATE DATABASE dev_dws; CREATE DATABASE dev_ads; CREATE DATABASE dev_dq;
         CREATE TABLE ods.orders (order_id BIGINT, merchant_id BIGINT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dim.merchant (merchant_id BIGINT, merchant_name STRING) STORED AS PARQUET;
         CREATE TABLE dev_stg.orders_landed (order_id BIGINT, merchant_id BIGINT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_dwd.orders (order_id BIGINT, merchant_id BIGINT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_dws.order_summary (merchant_id BIGINT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_ads.order_export (order_id BIGINT, amount DOUBLE) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         CREATE TABLE dev_dq.check_results (flow STRING, task STRING, rule STRING, dimension STRING, kind STRING,
           severity STRING, table_name STRING, checked_partition STRING, observed DOUBLE, comparison STRING,
           threshold DOUBLE, passed BOOLEAN, run_id STRING, checked_at TIMESTAMP) PARTITIONED BY (dt STRING) STORED AS PARQUET;
         INSERT INTO dim.merchant VALUES (1, 'north'), (2, 'south');
         INSERT INTO ods.orders PARTITION (dt = '{day}') VALUES (10, 1, 5.0), (11, 2, 7.0), {outliers};
         INSERT INTO dev_stg.orders_landed PARTITION (dt = '{day}') VALUES (10, 1, 5.0), (11, 2, 7.0), (12, 1, 9.0);"
    ));
    let output = flowc_run(
        repo.path(),
        &["orders", "--env", "dev", "--date", day, "--with-checks"],
        &[("SHOP_PASSWORD", "not-a-secret")],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let verdicts = verdicts(&stdout);
    assert_eq!(
        verdicts,
        [
            // The 3 records DataX read (the launcher's last line) are the 3 landed.
            "pass orders.all_landed",
            "pass orders.order_id_unique",
            "pass orders.merchant_known",
            "warn orders.amount_in_range",
            "pass orders.summary_matches_orders",
        ],
        "{stdout}"
    );
    assert_eq!(
        spark.sql(&format!(
            "SELECT merchant_id, amount FROM dev_dws.order_summary WHERE dt = '{day}' ORDER BY merchant_id"
        )),
        vec![
            vec!["1".to_owned(), "2.2000005E7".to_owned()],
            vec!["2".to_owned(), "7.0".to_owned()]
        ]
    );
    assert_eq!(
        spark.sql(&format!("SELECT count(*) FROM dev_ads.order_export WHERE dt = '{day}'")),
        vec![vec!["13".to_owned()]]
    );
    assert!(!stdout.contains("not-a-secret"));
}

/// The `pass`/`warn`/`fail` lines `flowc run --with-checks` printed, in order.
fn verdicts(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("pass ") || l.starts_with("warn ") || l.starts_with("fail "))
        .collect()
}
