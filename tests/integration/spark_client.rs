//! flowc's Spark client (`flowc::execute::spark`): the local Spark `flowc test` starts
//! or connects to. Discovery errors are checked with stand-in `java` and `python`
//! scripts (no Java needed); the tests that start or use a real Spark are `#[ignore]`d
//! and start one JVM between them, beside the harness's.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use flowc::execute::spark::{FailureKind, LocalSpark, Machine, SparkOptions, SparkUnavailable};

use crate::spark_harness;

/// A folder with executable shell scripts: name → body.
fn scripts(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    dir
}

/// A machine whose PATH is `dir` and `/bin` (for the scripts' `sh`) only.
fn machine_on(dir: &Path) -> Machine {
    Machine {
        path: std::env::join_paths([dir, Path::new("/bin")]).expect("join"),
        ..Machine::default()
    }
}

fn open_error(options: &SparkOptions, machine: &Machine) -> SparkUnavailable {
    match LocalSpark::open_on(options, machine, &|_| {}) {
        Ok(spark) => panic!("a local Spark opened at {}", spark.address()),
        Err(error) => error,
    }
}

#[test]
fn without_java_open_says_what_to_install() {
    let empty = tempfile::tempdir().expect("tempdir");
    let machine = Machine {
        path: OsString::from(empty.path()),
        ..Machine::default()
    };
    let options = SparkOptions {
        address: None,
        python: Some(PathBuf::from(".venv/spark/bin/python")),
    };
    let error = open_error(&options, &machine);
    assert!(matches!(error, SparkUnavailable::NoJava), "{error}");
    let message = error.to_string();
    for needed in ["apt-get install openjdk-17-jre-headless", "JAVA_HOME", "FLOWC_SPARK"] {
        assert!(message.contains(needed), "{message}");
    }
}

#[test]
fn a_java_spark_3_5_does_not_run_on_is_refused() {
    let home = scripts(&[(
        "bin/java",
        "echo 'openjdk version \"21.0.2\" 2024-01-16' >&2\necho 'OpenJDK Runtime Environment (build 21.0.2+13-58)' >&2",
    )]);
    let machine = Machine {
        java_home: Some(home.path().into()),
        ..machine_on(home.path())
    };
    let error = open_error(&SparkOptions::default(), &machine);
    assert!(
        matches!(error, SparkUnavailable::JavaVersion { major: 21, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("8, 11 or 17"), "{error}");
}

#[test]
fn a_python_without_pyspark_gets_the_pip_command() {
    let bin = scripts(&[
        ("java", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"),
        (
            "python3",
            "echo 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'pyspark'\" >&2\nexit 1",
        ),
    ]);
    let machine = machine_on(bin.path());
    let error = open_error(&SparkOptions::default(), &machine);
    let python = bin.path().join("python3");
    assert!(
        matches!(&error, SparkUnavailable::NoPyspark { python: p, .. } if *p == python),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("{} -m pip install 'pyspark==3.5.*'", python.display())),
        "{message}"
    );
    assert!(
        message.contains("No module named 'pyspark'") && message.contains("FLOWC_PYTHON"),
        "{message}"
    );
    // Another pyspark than 3.5 is refused too.
    let old = scripts(&[
        ("java", "echo 'openjdk version \"11.0.21\"' >&2"),
        ("python3", "echo 3.4.1"),
    ]);
    let error = open_error(&SparkOptions::default(), &machine_on(old.path()));
    assert!(
        matches!(&error, SparkUnavailable::PysparkVersion { version, .. } if version == "3.4.1"),
        "{error}"
    );
}

/// A `java` (17) and a `python3` whose pyspark is 3.5 and which runs the server as
/// `server` (a shell script body).
fn stand_ins(server: &str) -> tempfile::TempDir {
    scripts(&[
        ("java", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"),
        (
            "python3",
            &format!("if [ \"$1\" = -c ]; then echo 3.5.9; exit 0; fi\n{server}"),
        ),
    ])
}

#[test]
fn a_server_that_dies_at_start_is_reported_with_its_log() {
    let bin =
        stand_ins("echo 'starting'; echo 'Java gateway process exited before sending its port number' >&2; exit 1");
    let error = open_error(&SparkOptions::default(), &machine_on(bin.path()));
    assert!(matches!(error, SparkUnavailable::NotReady { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("Java gateway process exited"), "{message}");
    assert!(message.contains("first line is not the ready line"), "{message}");
}

#[test]
fn a_started_server_is_stopped_and_its_folder_removed_when_dropped() {
    // Says it is ready, then serves until its stdin closes, like the real one.
    let bin = stand_ins("echo '{\"port\": 1, \"warehouse\": \"w\"}'; cat >/dev/null; echo stopped >&2");
    let heard = RefCell::new(Vec::new());
    let spark = LocalSpark::open_on(&SparkOptions::default(), &machine_on(bin.path()), &|line| {
        heard.borrow_mut().push(line.to_owned());
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(spark.started_here());
    assert_eq!(spark.address(), "127.0.0.1:1");
    let heard = heard.into_inner();
    assert_eq!(heard.len(), 2, "{heard:?}");
    assert!(
        heard[0].starts_with("starting a local Spark (Java 17, pyspark 3.5.9"),
        "{heard:?}"
    );
    assert!(
        heard[1].starts_with("local Spark ready on 127.0.0.1:1 in "),
        "{heard:?}"
    );
    let work = spark.work_folder().expect("a work folder").to_path_buf();
    assert!(work.join("spark_server.py").is_file());
    // Nothing listens on port 1: the error says the server flowc started is gone.
    let error = spark.connect().expect_err("nothing there");
    assert!(
        error.to_string().contains("the local Spark flowc started has stopped"),
        "{error}"
    );
    let stopping = std::time::Instant::now();
    drop(spark);
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(5),
        "the stand-in was killed, not stopped"
    );
    assert!(!work.exists(), "{} is left after drop", work.display());
}

#[test]
fn nothing_listening_at_flowc_spark_is_unreachable() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind")
        .port();
    let machine = Machine {
        flowc_spark: Some(format!("127.0.0.1:{port}")),
        ..Machine::default()
    };
    let error = open_error(&SparkOptions::default(), &machine);
    assert!(matches!(error, SparkUnavailable::Unreachable { .. }), "{error}");
    assert!(error.to_string().contains("unset FLOWC_SPARK"), "{error}");
    let bad = SparkOptions {
        address: Some("localhost".to_owned()),
        python: None,
    };
    let error = open_error(&bad, &machine);
    assert!(
        matches!(error, SparkUnavailable::BadAddress { from: "--spark", .. }),
        "{error}"
    );
}

#[test]
#[ignore = "needs Spark (Java 17 and .venv/spark): run by scripts/test.sh"]
#[expect(
    clippy::print_stderr,
    reason = "the start-up time of flowc's own local Spark is part of the test run's report"
)]
fn open_starts_a_local_spark_that_runs_sql_and_stops_when_dropped() {
    let python = spark_harness::spark_python().unwrap_or_else(|error| panic!("{error}"));
    let options = SparkOptions {
        address: None,
        python: Some(python),
    };
    let heard = RefCell::new(Vec::new());
    let spark = LocalSpark::open_on(&options, &Machine::from_env(), &|line| {
        heard.borrow_mut().push(line.to_owned());
    })
    .unwrap_or_else(|error| panic!("{error}"));
    eprintln!(
        "flowc's local Spark ready on {} in {:.1} s",
        spark.address(),
        spark.startup().as_secs_f64()
    );
    assert!(spark.started_here());
    let heard = heard.into_inner();
    assert!(
        heard
            .first()
            .is_some_and(|line| line.starts_with("starting a local Spark")),
        "{heard:?}"
    );
    let work = spark.work_folder().expect("a work folder").to_path_buf();
    assert!(work.join("server.log").is_file());

    let mut connection = spark.connect().expect("connect");
    let none = BTreeMap::new();
    assert_eq!(connection.sql("SELECT 1", &none).expect("SELECT 1"), ["1"]);
    // Several statements in one session: a temporary view lives until the request ends.
    let rows = connection
        .sql(
            "CREATE TEMPORARY VIEW v AS SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, NULL;\nSELECT a, b FROM v ORDER BY a",
            &none,
        )
        .expect("a view");
    assert_eq!(rows, ["1\tx", "2\tNULL"]);
    let failure = connection
        .sql("SELECT 1;\nSELECT * FROM flowc_no_such_table", &none)
        .expect_err("no such table");
    assert_eq!(failure.kind, FailureKind::Spark);
    assert_eq!(failure.output, ["1"]);
    assert!(failure.message.contains("flowc_no_such_table"), "{}", failure.message);
    // The view went with its session; the connection is still good.
    let failure = connection.sql("SELECT * FROM v", &none).expect_err("the view is gone");
    assert_eq!(failure.kind, FailureKind::Spark);

    // Two connections at once, from two threads, each with its own session conf.
    let zones = ["Asia/Shanghai", "America/New_York"];
    let answers: Vec<Vec<String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = zones
            .iter()
            .map(|zone| {
                let spark = &spark;
                scope.spawn(move || {
                    let mut connection = spark.connect().expect("connect");
                    let conf = BTreeMap::from([("spark.sql.session.timeZone".to_owned(), (*zone).to_owned())]);
                    connection
                        .sql("SELECT current_timezone(), count(*) FROM range(200000)", &conf)
                        .expect("runs")
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("thread")).collect()
    });
    assert_eq!(answers, zones.map(|zone| vec![format!("{zone}\t200000")]));

    drop(connection);
    let stopping = std::time::Instant::now();
    drop(spark);
    eprintln!(
        "flowc's local Spark stopped in {:.1} s",
        stopping.elapsed().as_secs_f64()
    );
    assert!(!work.exists(), "{} is left after drop", work.display());
}

#[test]
#[ignore = "needs Spark (Java 17 and .venv/spark): run by scripts/test.sh"]
fn open_connects_to_a_running_local_spark_without_starting_one() {
    let harness = spark_harness::spark();
    let options = SparkOptions {
        address: Some(harness.master()),
        python: None,
    };
    // No Java, no Python on this machine: a running Spark needs neither.
    let machine = Machine {
        path: OsString::new(),
        ..Machine::default()
    };
    let heard = RefCell::new(Vec::new());
    let spark = LocalSpark::open_on(&options, &machine, &|line| {
        heard.borrow_mut().push(line.to_owned());
    })
    .unwrap_or_else(|error| panic!("{error}"));
    assert!(!spark.started_here());
    assert!(spark.work_folder().is_none());
    assert_eq!(format!("local-spark://{}", spark.address()), harness.master());
    assert_eq!(
        heard.into_inner(),
        [format!("using the local Spark at {} (--spark)", spark.address())]
    );
    let mut connection = spark.connect().expect("connect");
    assert_eq!(connection.sql("SELECT 1 + 1", &BTreeMap::new()).expect("runs"), ["2"]);
    // What the client creates, the harness sees: one server.
    connection
        .sql("CREATE DATABASE flowc_client_probe", &BTreeMap::new())
        .expect("create");
    assert_eq!(harness.databases(), ["default", "flowc_client_probe"]);
}
