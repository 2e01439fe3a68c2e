//! What the example's end-to-end run needs besides Spark and Airflow: the seed rows as
//! SQL (`tests/spark/seed_sql.py`), the HTTP systems its DAGs call
//! (`tests/spark/services.py`: the card network's gateway, Kylin, the alert robots), and
//! the landing folder of the bank's marker file. Data lives in
//! `tests/fixtures/spark/wingpay/` (its README says what each part is).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

use crate::spark_harness::Spark;
use crate::support::{repo_root, text};

/// The folder of the end-to-end data.
pub(crate) fn data_dir() -> PathBuf {
    repo_root().join("tests/fixtures/spark/wingpay")
}

/// The dev environment's database mapping, as `seed_sql.py --db` arguments.
const DEV_DATABASES: [&str; 5] = [
    "ods=dev_ods",
    "dwd=dev_dwd",
    "dws=dev_dws",
    "ads=dev_ads",
    "dim=dev_dim",
];

/// The statements `seed_sql.py` prints for `kind` (`tables` or `ml`) of a seed folder,
/// mapped to the dev databases, each with the seed file's table.
pub(crate) fn seed_statements(seed: &Path, kind: &str) -> Vec<String> {
    let mut command = Command::new("python3");
    command
        .arg(repo_root().join("tests/spark/seed_sql.py"))
        .arg(seed)
        .args(["--kind", kind]);
    for mapping in DEV_DATABASES {
        command.args(["--db", mapping]);
    }
    let output = command.output().expect("python3 runs");
    assert!(output.status.success(), "seed_sql.py failed: {}", text(&output.stderr));
    text(&output.stdout)
        .split("\n;\n")
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The HTTP systems, running until dropped.
pub(crate) struct Services {
    ports: Value,
    record: PathBuf,
    _stdin: ChildStdin,
    _child: Child,
}

impl Services {
    /// Starts `services.py` in `dir`: the gateway publishes the batches of `published`
    /// (yyyyMMdd) after loading each into `dev_ods.pay_chargeback_batch` with the
    /// chargeback statement of `seeds[date]`.
    pub(crate) fn start(spark: &Spark, dir: &Path, batches: &[(&str, &Path)]) -> Self {
        // The gateway's load command gets the date as its last argument.
        let mut script = String::from("#!/bin/sh\nset -e\ncase \"$1\" in\n");
        for (date, seed) in batches {
            let statement = seed_statements(seed, "tables")
                .into_iter()
                .find(|s| s.contains("`pay_chargeback_batch`"))
                .expect("a chargeback batch in the seed");
            let file = dir.join(format!("chargeback_batch_{date}.sql"));
            std::fs::write(&file, statement).expect("write the batch SQL");
            let line = format!(
                "  {date}) exec '{}' --master '{}' -f '{}' ;;\n",
                Spark::bin_dir().join("spark-sql").display(),
                spark.master(),
                file.display()
            );
            script.push_str(&line);
        }
        script.push_str("  *) exit 1 ;;\nesac\n");
        let load = dir.join("load_batch.sh");
        std::fs::write(&load, script).expect("write the load script");
        let record = dir.join("requests.jsonl");
        let published: Vec<&str> = batches.iter().map(|(date, _)| *date).collect();
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/spark/services.py"))
            .arg("--record")
            .arg(&record)
            .args(["--published", &published.join(",")])
            .arg("--gateway-load")
            .arg(format!("sh '{}'", load.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs services.py");
        let stdin = child.stdin.take().expect("stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("services.py says its ports");
        let ports: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("services.py said {line:?}: {e}"));
        Self {
            ports,
            record,
            _stdin: stdin,
            _child: child,
        }
    }

    fn url(&self, service: &str) -> String {
        format!("http://127.0.0.1:{}", self.ports[service])
    }

    /// The Airflow connections of the dev DAGs that point at these services.
    pub(crate) fn connections(&self) -> Vec<(String, String)> {
        let http = |service: &str| format!(r#"{{"conn_type": "http", "host": "{}"}}"#, self.url(service));
        vec![
            ("card_network_gateway".to_owned(), http("gateway")),
            (
                "kylin_dev".to_owned(),
                format!(
                    r#"{{"conn_type": "kylin", "host": "127.0.0.1", "port": {}, "login": "ADMIN", "password": "KYLIN"}}"#,
                    self.ports["kylin"]
                ),
            ),
            (
                "dingtalk_dw_dev".to_owned(),
                format!(
                    r#"{{"conn_type": "dingding", "host": "{}", "password": "robot-token"}}"#,
                    self.url("alerts")
                ),
            ),
            ("slack_dw_dev".to_owned(), http("alerts")),
        ]
    }

    /// Every request the services got, in arrival order.
    pub(crate) fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}
