//! The bundled example, run for real: compiled for `dev`, its tables created in the
//! local Spark from `flowc ddl`, the source systems' rows planted, and every DAG run for
//! business date 2024-03-05 in dependency order in a real Airflow (2.10 and 3.x) as
//! scheduled runs — Spark SQL tasks and the generated quality checks on the local Spark
//! through `SparkSqlOperator`, syncs through their rendered command and flowc's DataX
//! launcher on the DataX stand-in (the only stand-in for a system flowc writes jobs
//! for), sensors against the local metastore, landing folder, card gateway and Kylin.
//! Then the ads tables hold exactly the rows derived from the seeds in plain Python
//! (`tests/fixtures/spark/wingpay/expected/`), and the dev run touched only `dev_*`
//! databases. A run of 2024-03-06 on top, with planted violations, fails one strong
//! rule and leaves everything downstream `upstream_failed` across flows while a weak one
//! warns: in Airflow 3 only, since what a failed check stops is Airflow's own doing and
//! `quality` runs both rule kinds on Spark in both versions (the run costs minutes of
//! the test command's shared Spark).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, for_both_versions};
use crate::example_services::{Services, data_dir, seed_statements};
use crate::spark_harness::{Spark, spark};
use crate::spark_runs::{RunOptions, ddl, on_local_warehouse, run_on_spark, states};
use crate::support::{example, repo_root};

/// The DAGs in dependency order, each with the instant its scheduled run of a business
/// date D starts (UTC) on day D (Asia/Shanghai, 8 hours ahead); `None` for the
/// triggered `chargebacks`.
const DAGS: [(&str, Option<&str>); 8] = [
    ("dev__ods_ingest", Some("17:00")),
    // payments waits for merchants' dimension and merchants for payments' summary: the
    // scheduler runs them side by side, dag.test() one after the other, so merchants
    // runs before payments (its dimension) and again after it (the rest).
    ("dev__merchants", Some("18:00")),
    ("dev__payments", Some("18:30")),
    ("dev__merchants", Some("18:00")),
    ("dev__users", Some("19:15")),
    ("dev__risk", Some("20:00")),
    ("dev__chargebacks", None),
    ("dev__reporting", Some("16:00")),
];

/// The compiled example, its services and landing folder, on one Spark.
struct Prepared {
    _repo: tempfile::TempDir,
    dir: tempfile::TempDir,
    env_dir: PathBuf,
    services: Services,
}

fn prepare(version: AirflowVersion, spark: &Spark) -> Prepared {
    let repo = on_local_warehouse(&example(), spark);
    let dir = tempfile::tempdir().expect("temp dir");
    crate::compile::compile(repo.path(), "dev", &dir.path().join("out"), version);
    // Both environments' tables: dev reads the production calendar (dev maps no `dim`),
    // and a dev run must leave every production table as it was.
    spark.sql(&ddl(repo.path(), "prod"));
    spark.sql(&ddl(repo.path(), "dev"));
    let seed = data_dir().join("seed");
    let violations = data_dir().join("seed-violations");
    let services = Services::start(spark, dir.path(), &[("20240305", &seed), ("20240306", &violations)]);
    Prepared {
        _repo: repo,
        env_dir: dir.path().join("out/dev"),
        dir,
        services,
    }
}

/// Loads what the source systems outside DataX land for a business date (the gateway
/// loads the chargeback batch itself), and the bank's marker file.
fn plant(spark: &Spark, prepared: &Prepared, seed: &Path, day: &str) {
    let tables: Vec<String> = seed_statements(seed, "tables")
        .into_iter()
        .filter(|s| !s.contains("`pay_chargeback_batch`"))
        .collect();
    spark.sql(&tables.join(";\n"));
    let landing = prepared.dir.path().join("landing/settlement");
    std::fs::create_dir_all(&landing).expect("landing folder");
    std::fs::write(landing.join(format!("WINGPAY_SETTLE_{}.ok", day.replace('-', ""))), "").expect("marker");
}

/// Runs every DAG for business date `day` (yyyy-MM-dd) with the seeds of `seed` (planted
/// first), in the Airflow home of `prepared` (a later run sees the earlier ones).
fn run_day(version: AirflowVersion, spark: &Spark, prepared: &Prepared, seed: &Path, day: &str) -> Value {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("a date");
    let before = date.pred_opt().expect("a day before");
    let runs = DAGS
        .iter()
        .map(|(dag, at)| {
            let at = match at {
                // The Beijing day D starts on day D-1 in UTC.
                Some(time) => format!("{before}T{time}:00+00:00"),
                None => format!("{day}T06:00:00+00:00"),
            };
            (*dag, at)
        })
        .collect();
    // ml tasks: their output rows (no model or JAR exists to submit).
    let ml_dir = prepared.dir.path().join(format!("ml-{day}"));
    std::fs::create_dir_all(&ml_dir).expect("ml folder");
    let mut ml_sql = Vec::new();
    for (task, statement) in [
        ("dev__merchants.merchant_churn_model", "`dws_mch_churn_score`"),
        ("dev__risk.fraud_scoring", "`dws_risk_fraud_score_1d`"),
    ] {
        let sql = seed_statements(seed, "ml")
            .into_iter()
            .find(|s| s.contains(statement))
            .expect("the ml task's rows");
        let file = ml_dir.join(format!("{task}.sql"));
        std::fs::write(&file, sql).expect("write");
        ml_sql.push((task.to_owned(), file));
    }
    let sink = prepared.dir.path().join(format!("sink-{day}"));
    std::fs::create_dir_all(&sink).expect("sink folder");
    let mut connections = prepared.services.connections();
    connections.push((
        "fs_default".to_owned(),
        format!(
            r#"{{"conn_type": "fs", "extra": {{"path": "{}"}}}}"#,
            prepared.dir.path().join("landing").display()
        ),
    ));
    for conn_id in [
        "acct_oceanbase_ro",
        "merchant_mysql_ro",
        "bank_sftp",
        "report_mysql_dev_rw",
    ] {
        connections.push((
            conn_id.to_owned(),
            format!("mysql://reader:not-a-secret@127.0.0.1:9/{conn_id}"),
        ));
    }
    let env = [
        ("FLOWC_SEED_DIR", seed.display().to_string()),
        ("FLOWC_DATAX_SINK", sink.display().to_string()),
        ("CORE_ORACLE_PASSWORD", "not-a-secret".to_owned()),
        ("USERCENTER_MYSQL_PASSWORD", "not-a-secret".to_owned()),
    ]
    .map(|(name, value)| (name.to_owned(), value))
    .to_vec();
    let options = RunOptions {
        runs,
        dag_conf: vec![("dev__chargebacks", format!(r#"{{"bizdate": "{day}"}}"#))],
        connections,
        env,
        datax_home: Some(repo_root().join("tests/spark/datax")),
        home: Some(prepared.dir.path().join("airflow")),
        ml_sql,
        // The DataX stand-in writes ORC and Parquet with pyarrow: the Spark venv's python.
        extra_path: vec![repo_root().join(".venv/spark/bin")],
    };
    run_on_spark(version, spark, &prepared.env_dir, &options)
}

/// Every table's partitions, per database: what the metastore holds. Three client
/// calls, however many tables (each call is a process and a session): the tables, then
/// which are partitioned, then their partitions.
fn metastore(spark: &Spark) -> BTreeMap<String, Vec<String>> {
    let databases = spark.databases();
    let shows: Vec<String> = databases.iter().map(|db| format!("SHOW TABLES IN `{db}`")).collect();
    // spark-sql prints SHOW TABLES as the table names alone (Hive's format).
    let tables: Vec<(String, String)> = databases
        .iter()
        .zip(spark.sql_each(&shows))
        .flat_map(|(db, rows)| {
            rows.into_iter()
                .filter_map(|row| row.into_iter().next())
                .map(move |table| (format!("{db}.{table}"), format!("`{db}`.`{table}`")))
        })
        .collect();
    let describes: Vec<String> = tables
        .iter()
        .map(|(_, quoted)| format!("DESCRIBE TABLE {quoted}"))
        .collect();
    let partitioned: Vec<&(String, String)> = tables
        .iter()
        .zip(spark.sql_each(&describes))
        .filter(|(_, rows)| {
            rows.iter()
                .any(|row| row.first().is_some_and(|c| c.trim() == "# Partition Information"))
        })
        .map(|(table, _)| table)
        .collect();
    let shows: Vec<String> = partitioned
        .iter()
        .map(|(_, quoted)| format!("SHOW PARTITIONS {quoted}"))
        .collect();
    let mut metastore: BTreeMap<String, Vec<String>> =
        tables.iter().map(|(name, _)| (name.clone(), Vec::new())).collect();
    for ((name, _), rows) in partitioned.into_iter().zip(spark.sql_each(&shows)) {
        metastore.insert(name.clone(), rows.into_iter().map(|r| r.join("\t")).collect());
    }
    metastore
}

/// The files under a database's folders of the warehouse, with their sizes.
fn warehouse_files(spark: &Spark, keep: impl Fn(&str) -> bool) -> BTreeMap<String, u64> {
    let mut files = BTreeMap::new();
    let root = spark.warehouse();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            if !keep(&relative) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(relative, entry.metadata().map_or(0, |m| m.len()));
            }
        }
    }
    files
}

/// A cell as a comparable text: numbers to nine significant digits (doubles compare
/// with a relative tolerance), booleans and NULL as Spark prints them.
fn canonical(cell: &str, expected: &Value) -> String {
    match expected {
        Value::Number(_) => cell
            .parse::<f64>()
            .map_or_else(|_| cell.to_owned(), |n| format!("{n:.8e}")),
        _ => cell.to_owned(),
    }
}

fn canonical_json(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |n| format!("{n:.8e}")),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The rows of an expected file and Spark's rows of the same table and partition, both
/// canonical and sorted.
fn compare_table(spark: &Spark, expected: &Value) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let table = expected["table"].as_str().expect("table");
    let (db, name) = table.split_once('.').expect("db.table");
    let columns: Vec<&str> = expected["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut sql = format!(
        "SELECT {} FROM `dev_{db}`.`{name}`",
        columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
    );
    if let Some(partition) = expected["partition"].as_object() {
        let filters: Vec<String> = partition
            .iter()
            .map(|(k, v)| format!("`{k}` = '{}'", v.as_str().unwrap_or_default()))
            .collect();
        sql = format!("{sql} WHERE {}", filters.join(" AND "));
    }
    let rows = expected["rows"].as_array().expect("rows");
    let mut want: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.as_array().expect("a row").iter().map(canonical_json).collect())
        .collect();
    let sample = rows.first().and_then(Value::as_array).cloned().unwrap_or_default();
    let mut got: Vec<Vec<String>> = spark
        .sql(&sql)
        .into_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, cell)| canonical(cell, sample.get(i).unwrap_or(&Value::Null)))
                .collect()
        })
        .collect();
    want.sort();
    got.sort();
    (want, got)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
#[ignore = "needs Airflow and Spark (Python 3.11, Java 17, the network to install .venv/): run by scripts/test.sh"]
fn the_example_runs_for_a_business_date_on_spark_under_airflow() {
    for_both_versions(|version| {
        let spark = spark();
        let prepared = prepare(version, &spark);
        let seed = data_dir().join("seed");
        plant(&spark, &prepared, &seed, "2024-03-05");
        let metastore_before = metastore(&spark);
        assert!(metastore_before.len() > 40, "{version:?}: tables {metastore_before:?}");
        let production = |path: &str| !path.starts_with("dev_");
        let files_before = warehouse_files(&spark, production);
        let result = run_day(version, &spark, &prepared, &seed, "2024-03-05");

        // Every task of every DAG succeeded.
        for (dag, _) in DAGS {
            let states = states(&result, dag);
            let failed: Vec<(&String, &Value)> = states
                .as_object()
                .unwrap_or_else(|| panic!("{version:?}: {dag} did not run: {result:#}"))
                .iter()
                .filter(|(_, state)| *state != "success")
                .collect();
            assert!(failed.is_empty(), "{version:?}: {dag}: {failed:?}\n{result:#}");
        }

        // The ads tables hold exactly the rows derived from the seeds.
        for entry in std::fs::read_dir(data_dir().join("expected")).expect("expected rows") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.starts_with("ads_") || path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let (want, got) = compare_table(&spark, &read_json(&path));
            assert_eq!(got, want, "{version:?}: {name}");
        }
        // The MySQL export loaded the day's GMV rows.
        let exported = read_json(&prepared.dir.path().join("sink-2024-03-05/report.t_pay_gmv_latest.json"));
        let expected = read_json(&data_dir().join("expected/report.t_pay_gmv_latest.json"));
        let sorted = |rows: &Value| {
            let mut rows: Vec<String> = rows.as_array().into_iter().flatten().map(Value::to_string).collect();
            rows.sort();
            rows
        };
        assert_eq!(
            sorted(&exported["rows"]),
            sorted(&expected["rows"]),
            "{version:?}: the export"
        );

        // The business date is the Beijing date: runs that start on 2024-03-04 in UTC
        // wrote the partitions of 2024-03-05, and no other.
        let after = metastore(&spark);
        for (table, partitions) in after.iter().filter(|(t, _)| t.starts_with("dev_")) {
            assert!(
                partitions
                    .iter()
                    .all(|p| p.contains("2024-03-05") || !p.starts_with("dt=")),
                "{version:?}: {table} has {partitions:?}"
            );
        }
        assert!(after["dev_ods.pay_order"].contains(&"dt=2024-03-05".to_owned()));

        // The dev run touched only dev_* databases.
        let untouched = |m: &BTreeMap<String, Vec<String>>| {
            m.iter()
                .filter(|(t, _)| !t.starts_with("dev_"))
                .map(|(t, p)| (t.clone(), p.clone()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            untouched(&after),
            untouched(&metastore_before),
            "{version:?}: the metastore"
        );
        assert_eq!(
            warehouse_files(&spark, production),
            files_before,
            "{version:?}: production files"
        );

        // Kylin built the business date's segment: Beijing 2024-03-05 as UTC days.
        let builds: Vec<Value> = prepared
            .services
            .requests()
            .into_iter()
            .filter(|r| r["service"] == "kylin" && r["method"] == "PUT")
            .collect();
        assert_eq!(builds.len(), 2, "{version:?}: {builds:#?}");
        for build in &builds {
            assert_eq!(build["body"]["startTime"], 1_709_596_800_000_i64, "{build:#}");
            assert_eq!(build["body"]["endTime"], 1_709_683_200_000_i64, "{build:#}");
        }

        if version == AirflowVersion::V3 {
            violations_run(version, &spark, &prepared);
        }
    });
}

/// 2024-03-06 on top of 2024-03-05: the planted strong violation fails its check on the
/// real data and stops everything downstream in every flow; the weak one warns.
fn violations_run(version: AirflowVersion, spark: &Spark, prepared: &Prepared) {
    let expected = read_json(&data_dir().join("expected-violations.json"));
    let seed = data_dir().join("seed-violations");
    plant(spark, prepared, &seed, "2024-03-06");
    let result = run_day(version, spark, prepared, &seed, "2024-03-06");
    for (dag, _) in DAGS {
        let states = states(&result, dag);
        let not_success: BTreeMap<&String, &Value> = states
            .as_object()
            .unwrap_or_else(|| panic!("{version:?}: {dag} did not run: {result:#}"))
            .iter()
            .filter(|(_, state)| *state != "success")
            .collect();
        let want: BTreeMap<&String, &Value> = expected["not_success"][dag]
            .as_object()
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        assert_eq!(not_success, want, "{version:?}: {dag}\n{result:#}");
    }
    let spark_lines = |task: &str| -> String {
        result["spark"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["task"] == task)
            .flat_map(|t| t["lines"].as_array().cloned().unwrap_or_default())
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for kind in ["strong", "weak"] {
        let rule = &expected[kind];
        let task = format!(
            "dev__{}.{}",
            rule["flow"].as_str().unwrap_or_default(),
            rule["check_task"].as_str().unwrap_or_default()
        );
        let lines = spark_lines(&task);
        assert!(
            lines.contains(rule["log"].as_str().unwrap_or_default()),
            "{version:?}: {task} logged {lines:?}"
        );
    }
    // Both wrote their row to the results table.
    let rows =
        spark.sql("SELECT concat(flow, '.', rule), passed FROM dev_dq.results WHERE dt = '2024-03-06' ORDER BY 1");
    let outcome = |rule: &str| rows.iter().find(|r| r[0] == rule).map(|r| r[1].clone());
    for kind in ["strong", "weak"] {
        let rule = &expected[kind];
        let name = format!(
            "{}.{}",
            rule["flow"].as_str().unwrap_or_default(),
            rule["rule"].as_str().unwrap_or_default()
        );
        assert_eq!(
            outcome(&name).as_deref(),
            Some("false"),
            "{version:?}: {name} in {rows:?}"
        );
    }
}
