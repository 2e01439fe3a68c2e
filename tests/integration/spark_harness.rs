//! The Spark test harness: one real, long-lived local Spark 3.5 per test process
//! (`src/execute/spark_server.py` in `.venv/spark`, made by `scripts/spark-venv.sh`; Java 17),
//! shared by every test that needs it and used by one at a time. SQL reaches it
//! through `tests/spark/bin/spark-sql`, the client that takes the command line
//! Airflow's `SparkSqlHook` builds — the same path a DAG's Spark SQL task takes.
//!
//! Every test that calls [`spark`] is `#[ignore]`d: `scripts/test.sh` runs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use crate::support::{repo_root, text};

/// The running server: its port and warehouse, and the pipe whose closing (when the
/// test process ends) stops it.
struct Server {
    port: u16,
    metastore_port: u16,
    warehouse: PathBuf,
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// A test's hold on the shared Spark: others wait until it is dropped.
pub(crate) struct Spark {
    server: &'static Server,
    _turn: MutexGuard<'static, ()>,
}

/// Set by `scripts/test.sh` for the test process that runs every test but the Spark
/// ones (the modules it names run in a process of their own, which holds the run's one
/// Spark): a test there that asks for Spark is in a module the script does not name.
const NO_SPARK: &str = "FLOWC_TEST_NO_SPARK";

/// The shared Spark, started on first use, with every database but `default` dropped:
/// each test starts from an empty metastore and warehouse.
pub(crate) fn spark() -> Spark {
    static TURN: Mutex<()> = Mutex::new(());
    assert!(
        std::env::var_os(NO_SPARK).is_none(),
        "this test needs Spark, but scripts/test.sh runs its module in the process without one ({NO_SPARK} is set): add the module to SPARK_MODULES there"
    );
    // A test that failed while holding the Spark poisons nothing the next one needs.
    let turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let spark = Spark {
        server: server(),
        _turn: turn,
    };
    spark.reset();
    spark
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(message) => panic!("the local Spark did not start: {message}"),
    }
}

/// The Python of `.venv/spark` (pyspark 3.5), created or reused by
/// `scripts/spark-venv.sh` once per test process.
pub(crate) fn spark_python() -> Result<PathBuf, String> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = Command::new("bash")
                .arg(repo_root().join("scripts/spark-venv.sh"))
                .current_dir(repo_root())
                .output()
                .map_err(|error| format!("cannot run bash: {error}"))?;
            if !venv.status.success() {
                return Err(format!(
                    "scripts/spark-venv.sh: {}\n{}{}",
                    venv.status,
                    text(&venv.stdout),
                    text(&venv.stderr)
                ));
            }
            // The venv the link points at now: another test process may move the link.
            Ok(std::fs::canonicalize(repo_root().join(".venv/spark"))
                .map_err(|error| format!(".venv/spark: {error}"))?
                .join("bin/python"))
        })
        .clone()
}

/// Creates or reuses `.venv/spark` and starts the server; says how long it took.
#[expect(
    clippy::print_stderr,
    reason = "the Spark start-up time is part of the test run's report (scripts/test.sh shows it)"
)]
fn start() -> Result<Server, String> {
    let began = Instant::now();
    let python = spark_python()?;
    // The server deletes its folder when it stops (this process's end closes its stdin):
    // a static is never dropped, so a TempDir here would never be removed.
    let workdir = tempfile::Builder::new()
        .prefix("flowc-spark-")
        .tempdir()
        .map_err(|error| error.to_string())?
        .keep();
    let log = std::fs::File::create(workdir.join("server.log")).map_err(|error| error.to_string())?;
    let mut child = Command::new(python)
        .arg(repo_root().join("src/execute/spark_server.py"))
        .arg(&workdir)
        .args(["--metastore", "--remove-on-exit"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|error| format!("cannot start src/execute/spark_server.py: {error}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|error| error.to_string())?;
    let ready: serde_json::Value = serde_json::from_str(&line).map_err(|_| {
        let log = std::fs::read_to_string(workdir.join("server.log")).unwrap_or_default();
        format!("the server said {line:?}; its log:\n{log}")
    })?;
    let port = ready["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("no port")?;
    let metastore_port = ready["metastore_port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("no metastore port")?;
    let warehouse = PathBuf::from(ready["warehouse"].as_str().ok_or("no warehouse")?);
    eprintln!(
        "local Spark ready on 127.0.0.1:{port} in {:.1} s (venv check and JVM start)",
        began.elapsed().as_secs_f64()
    );
    Ok(Server {
        port,
        metastore_port,
        warehouse,
        _stdin: Mutex::new(stdin),
        _child: Mutex::new(child),
    })
}

impl Spark {
    /// The `--master` of the client: what a DAG's Spark SQL connection points at.
    pub(crate) fn master(&self) -> String {
        format!("local-spark://127.0.0.1:{}", self.server.port)
    }

    /// The Hive metastore's Thrift API over the same catalog, as `HOST:PORT`.
    pub(crate) fn metastore(&self) -> String {
        format!("127.0.0.1:{}", self.server.metastore_port)
    }

    /// The folder of `spark-sql` (the client): put it first on a task's PATH.
    pub(crate) fn bin_dir() -> PathBuf {
        repo_root().join("tests/spark/bin")
    }

    /// The warehouse folder: `spark.sql.warehouse.dir`, where managed tables live.
    pub(crate) fn warehouse(&self) -> &Path {
        &self.server.warehouse
    }

    /// Runs `sql` (one or more statements) through the client; its output rows split
    /// at tabs. Panics with Spark's error when a statement fails.
    pub(crate) fn sql(&self, sql: &str) -> Vec<Vec<String>> {
        match self.try_sql(sql) {
            Ok(rows) => rows,
            Err(error) => panic!("Spark failed on\n{sql}\n{error}"),
        }
    }

    /// [`Spark::sql`] returning Spark's error instead of panicking.
    pub(crate) fn try_sql(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let output = Command::new(Self::bin_dir().join("spark-sql"))
            .args(["--master", &self.master(), "-e", sql])
            .output()
            .map_err(|error| format!("cannot run tests/spark/bin/spark-sql: {error}"))?;
        if !output.status.success() {
            return Err(text(&output.stderr));
        }
        Ok(text(&output.stdout)
            .lines()
            .map(|line| line.split('\t').map(str::to_owned).collect())
            .collect())
    }

    /// Runs each statement of `statements` in one client call (one process, one Spark
    /// session, instead of one of each per statement) and returns each one's rows.
    pub(crate) fn sql_each(&self, statements: &[String]) -> Vec<Vec<Vec<String>>> {
        // A query whose only row marks where a statement's rows end.
        const END: &str = "flowc: the end of one statement";
        if statements.is_empty() {
            return Vec::new();
        }
        let sql: Vec<String> = statements
            .iter()
            .map(|statement| format!("{statement};\nSELECT '{END}'"))
            .collect();
        let mut each = vec![Vec::new()];
        for row in self.sql(&sql.join(";\n")) {
            if row.len() == 1 && row[0] == END {
                each.push(Vec::new());
            } else if let Some(rows) = each.last_mut() {
                rows.push(row);
            }
        }
        each.pop();
        assert_eq!(each.len(), statements.len(), "the rows of each statement");
        each
    }

    /// Runs a SQL file through the client, as `spark-sql -f FILE`.
    pub(crate) fn run_file(&self, path: &Path) -> Vec<Vec<String>> {
        let sql = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        self.sql(&sql)
    }

    /// The databases of the metastore, sorted.
    pub(crate) fn databases(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .sql("SHOW DATABASES")
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect();
        names.sort();
        names
    }

    /// Drops every database but `default`, and every table in `default`.
    fn reset(&self) {
        let databases = self.databases().into_iter().filter(|d| d != "default");
        let mut drops: Vec<String> = databases
            .map(|database| format!("DROP DATABASE IF EXISTS `{database}` CASCADE;"))
            .collect();
        // spark-sql prints SHOW TABLES as the table names alone (Hive's format).
        for row in self.sql("SHOW TABLES IN default") {
            if let Some(table) = row.first() {
                drops.push(format!("DROP TABLE IF EXISTS default.`{table}`;"));
            }
        }
        let sql = drops.join("\n");
        if !sql.is_empty() {
            self.sql(&sql);
        }
    }
}

#[test]
#[ignore = "needs Spark (Java 17 and .venv/spark): run by scripts/test.sh"]
fn the_local_spark_runs_sql_like_spark_sql() {
    let spark = spark();
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        file.path(),
        "CREATE DATABASE flowc_probe;\n\
         CREATE TABLE flowc_probe.t (a BIGINT, b STRING) PARTITIONED BY (dt STRING) STORED AS ORC;\n\
         -- a comment; with a semicolon\n\
         INSERT OVERWRITE TABLE flowc_probe.t PARTITION (dt = '2024-03-05') SELECT 1, 'x;y' UNION ALL SELECT 2, NULL;\n\
         SELECT a, b, dt FROM flowc_probe.t ORDER BY a",
    )
    .expect("write the probe");
    let rows = spark.run_file(file.path());
    assert_eq!(
        rows,
        [["1", "x;y", "2024-03-05"], ["2", "NULL", "2024-03-05"]].map(|r| r.map(str::to_owned).to_vec())
    );
    // Partition folders as Hive lays them out, in the warehouse the server reports.
    assert!(spark.warehouse().join("flowc_probe.db/t/dt=2024-03-05").is_dir());
    // A failing statement fails the client with Spark's message: what a strong
    // quality check relies on.
    let error = spark
        .try_sql("SELECT raise_error('flowc-dq FAIL rule=probe')")
        .expect_err("raise_error fails");
    assert!(error.contains("flowc-dq FAIL rule=probe"), "{error}");
    assert_eq!(spark.databases(), ["default", "flowc_probe"]);
    // The metastore's Thrift API (what Airflow's Hive partition sensors ask) sees the
    // partition Spark wrote.
    let (host, port) = spark
        .metastore()
        .split_once(':')
        .map(|(h, p)| (h.to_owned(), p.to_owned()))
        .expect("HOST:PORT");
    let asked = Command::new(crate::airflow_harness::venv_python(
        crate::airflow_harness::AirflowVersion::V3,
    ))
    .args([
        "-c",
        "import sys, hmsclient\n\
             from thrift.protocol import TBinaryProtocol\n\
             from thrift.transport import TSocket, TTransport\n\
             t = TTransport.TBufferedTransport(TSocket.TSocket(sys.argv[1], int(sys.argv[2])))\n\
             with hmsclient.HMSClient(iprot=TBinaryProtocol.TBinaryProtocol(t)) as c:\n    \
             print(c.get_partition_names('flowc_probe', 't', 10))",
        &host,
        &port,
    ])
    .output()
    .expect("python runs");
    assert_eq!(
        text(&asked.stdout).trim(),
        "['dt=2024-03-05']",
        "{}",
        text(&asked.stderr)
    );
    drop(spark);
    // The next test starts from an empty metastore.
    assert_eq!(self::spark().databases(), ["default"]);
}
