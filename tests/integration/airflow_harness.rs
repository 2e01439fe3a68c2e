//! The Airflow test harness: loads DAG folders in real Airflow 2.10.5 and 3.3.2 (venvs
//! made by `scripts/airflow-venvs.sh` under `.venv/`, which needs Python 3.11 and the
//! network the first time) through `tests/airflow/inspect_dags.py`, and runs DAGs with
//! `tests/airflow/run_dag.py`. See `tests/airflow/README.md`. Every test that calls it
//! is `#[ignore]`d: `scripts/test.sh` runs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{flowc, repo_root, text};

/// The day whose scheduled run every templated field is rendered for.
pub(crate) const SAMPLE_LOGICAL_DATE: &str = "2024-03-05";

/// The Airflow versions flowc renders DAG files for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AirflowVersion {
    V2_10,
    V3,
}

impl AirflowVersion {
    pub(crate) const ALL: [Self; 2] = [Self::V2_10, Self::V3];

    fn venv(self) -> &'static str {
        match self {
            Self::V2_10 => "airflow-2.10",
            Self::V3 => "airflow-3",
        }
    }

    /// What `airflow.__version__` starts with.
    pub(crate) fn version_prefix(self) -> &'static str {
        match self {
            Self::V2_10 => "2.10.",
            Self::V3 => "3.3.",
        }
    }

    /// The value of `flowc compile --airflow-version`.
    pub(crate) fn cli_arg(self) -> &'static str {
        match self {
            Self::V2_10 => "2.10",
            Self::V3 => "3",
        }
    }

    /// 0 for 2.10, 1 for 3.x: the slot of a per-version cache.
    pub(crate) fn index(self) -> usize {
        match self {
            Self::V2_10 => 0,
            Self::V3 => 1,
        }
    }
}

/// Creates or reuses the Airflow venvs, once per test process; fails with the
/// script's output if it fails.
fn ensure_venvs() {
    static VENVS: OnceLock<Result<(), String>> = OnceLock::new();
    let result = VENVS.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/airflow-venvs.sh"))
            .current_dir(repo_root())
            .output()
            .map_err(|error| format!("cannot run bash: {error}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{}\n{}{}",
                output.status,
                text(&output.stdout),
                text(&output.stderr)
            ))
        }
    });
    if let Err(message) = result {
        panic!("scripts/airflow-venvs.sh failed: {message}");
    }
}

/// The python of `version`'s venv, the venvs created first if need be.
pub(crate) fn venv_python(version: AirflowVersion) -> PathBuf {
    ensure_venvs();
    repo_root().join(".venv").join(version.venv()).join("bin/python")
}

/// Loads `dag_folder` in a real Airflow `version` and returns the harness's JSON
/// description of it (rendered for [`SAMPLE_LOGICAL_DATE`]); `pools` is a pools file
/// whose names are the only known pools besides `default_pool`.
pub(crate) fn inspect(version: AirflowVersion, dag_folder: &Path, pools: Option<&Path>) -> Value {
    inspect_with(version, dag_folder, pools, &[])
}

/// [`inspect`] with more arguments for `inspect_dags.py`, e.g.
/// `["--conf", r#"{"bizdate": "2024-03-04"}"#]` or `["--import-pools", path]`.
pub(crate) fn inspect_with(
    version: AirflowVersion,
    dag_folder: &Path,
    pools: Option<&Path>,
    extra_args: &[&std::ffi::OsStr],
) -> Value {
    let mut command = Command::new(venv_python(version));
    command
        .arg(repo_root().join("tests/airflow/inspect_dags.py"))
        .arg(dag_folder)
        .args(["--logical-date", SAMPLE_LOGICAL_DATE])
        .current_dir(repo_root());
    if let Some(pools) = pools {
        command.arg("--pools").arg(pools);
    }
    for conn_id in connections_read(dag_folder) {
        command.arg("--connection").arg(format!(
            "{conn_id}=mysql://{}:{}@db.test:3306/x",
            test_login(&conn_id),
            test_password(&conn_id)
        ));
    }
    command.args(extra_args);
    let output = command.output().expect("the venv's python runs");
    assert!(
        output.status.success(),
        "inspect_dags.py on {} with {version:?} failed ({}):\n{}",
        dag_folder.display(),
        output.status,
        text(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "inspect_dags.py printed no JSON ({error}):\n{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    });
    let reported = value["airflow_version"].as_str().expect("airflow_version is a string");
    assert!(
        reported.starts_with(version.version_prefix()),
        "{version:?} venv runs Airflow {reported}"
    );
    value
}

/// Runs DAGs with Airflow `version`'s test runner (`tests/airflow/run_dag.py`: Spark
/// jobs replaced by stand-ins that record the SQL Airflow rendered), each for the
/// logical date (an ISO instant) given with it, in order; returns its JSON: every
/// task's state per DAG. Real runs on Spark: `crate::spark_runs`.
pub(crate) fn run_dags_at(version: AirflowVersion, dag_folder: &Path, runs: &[(&str, &str)], pools: &Path) -> Value {
    let mut command = Command::new(venv_python(version));
    command
        .arg(repo_root().join("tests/airflow/run_dag.py"))
        .arg(dag_folder)
        .args(runs.iter().map(|(dag_id, _)| *dag_id))
        .arg("--pools")
        .arg(pools)
        .current_dir(repo_root());
    for (dag_id, at) in runs {
        command.arg("--at").arg(format!("{dag_id}={at}"));
    }
    run_dag_output(version, dag_folder, &mut command)
}

/// The JSON `run_dag.py` prints, checked to come from Airflow `version`.
pub(crate) fn run_dag_output(version: AirflowVersion, dag_folder: &Path, command: &mut Command) -> Value {
    let output = command.output().expect("the venv's python runs");
    assert!(
        output.status.success(),
        "run_dag.py on {} with {version:?} failed ({}):\n{}",
        dag_folder.display(),
        output.status,
        text(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "run_dag.py printed no JSON ({error}):\n{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    });
    assert!(
        value["airflow_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(version.version_prefix())),
        "{version:?} venv runs Airflow {}",
        value["airflow_version"]
    );
    value
}

/// The login of the test connection `conn_id` the inspector provides.
pub(crate) fn test_login(conn_id: &str) -> String {
    format!("login_{conn_id}")
}

/// The password of the test connection `conn_id` the inspector provides.
pub(crate) fn test_password(conn_id: &str) -> String {
    format!("secret-{conn_id}")
}

/// The Airflow connections the DAG files of a folder read in templates
/// (`conn.get('id')`, as flowc renders credentials of sync tasks).
pub(crate) fn connections_read(dag_folder: &Path) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dag_folder) else {
        return found;
    };
    for entry in entries.flatten() {
        if entry.path().is_dir() {
            found.extend(connections_read(&entry.path()));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for (start, _) in text.match_indices("conn.get(\\'") {
            let rest = &text[start + "conn.get(\\'".len()..];
            if let Some(end) = rest.find("\\'") {
                found.insert(rest[..end].to_owned());
            }
        }
    }
    found
}

/// Runs `check` for both versions in parallel (each Airflow load takes seconds); a
/// panic in either fails the test.
pub(crate) fn for_both_versions(check: impl Fn(AirflowVersion) + Sync) {
    std::thread::scope(|scope| {
        for version in AirflowVersion::ALL {
            let check = &check;
            scope.spawn(move || check(version));
        }
    });
}

/// Compiles `repo` for environment `env` and Airflow `version` into the fresh folder
/// `out` (removed first if an earlier run left it); returns `<out>/<env>`.
pub(crate) fn compile_fresh(repo: &Path, env: &str, out: &Path, version: AirflowVersion) -> PathBuf {
    if out.exists() {
        std::fs::remove_dir_all(out).expect("the old output folder is removed");
    }
    let output = flowc(
        &[
            "compile",
            repo.to_str().expect("UTF-8 path"),
            "--env",
            env,
            "--out",
            out.to_str().expect("UTF-8 path"),
            "--airflow-version",
            version.cli_arg(),
        ],
        b"",
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "flowc compile {} --env {env} for {version:?}:\n{}\n{}",
        repo.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    out.join(env)
}
