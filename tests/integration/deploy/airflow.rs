//! Deployed releases in real Airflow 2.10 and 3: each live DAG file found once through
//! its link, every DAG loaded exactly once, DataX paths resolved through the link.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{change_sql, deploy_with, dir_target, files, is_python, snapshot};
use crate::airflow_harness::{
    AirflowVersion, SAMPLE_LOGICAL_DATE, connections_read, for_both_versions, inspect_with, test_login, test_password,
    venv_python,
};
use crate::support::{commit_all, example_repository, repo_root, text};

/// Dev and prod of the example deployed into one folder twice (the second time
/// changed), then a third deploy of each interrupted (prod crashed before the switch,
/// dev failing half-way): Airflow's own walk finds each live DAG file once, through its
/// link, in both `.airflowignore` syntaxes; both Airflow versions load every DAG exactly
/// once without import errors; `{{ dag.folder }}/../datax` resolves through the link.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_loads_each_deployed_dag_exactly_once() {
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    let (_repo, live) = deploy_dev_and_prod(&dags);

    // What Airflow's safe-mode heuristic keeps: Python files naming both words.
    let mut expected_files = Vec::new();
    let mut dag_ids = BTreeSet::new();
    for (link, files) in &live {
        for (path, bytes) in files {
            let lower = String::from_utf8_lossy(bytes).to_lowercase();
            if is_python(path) && lower.contains("airflow") && lower.contains("dag") {
                expected_files.push(format!("{link}/{path}"));
            }
            if let Some(dag_id) = path.strip_prefix("dags/").and_then(|p| p.strip_suffix(".py")) {
                dag_ids.insert(dag_id.to_owned());
            }
        }
    }
    expected_files.sort();
    assert_eq!(dag_ids.len(), 14, "{dag_ids:?}");

    let mut pools = BTreeSet::new();
    let mut extra: Vec<String> = vec![
        "--conf".to_owned(),
        format!(r#"{{"bizdate": "{SAMPLE_LOGICAL_DATE}"}}"#),
    ];
    for link in live.keys() {
        let pools_file: Value =
            serde_json::from_slice(&fs::read(dags.join(link).join("pools.json")).expect("pools")).expect("JSON");
        pools.extend(pools_file.as_object().expect("pools").keys().cloned());
        for conn_id in connections_read(&dags.join(link).join("dags")) {
            extra.push("--connection".to_owned());
            extra.push(format!(
                "{conn_id}=mysql://{}:{}@db.test:3306/x",
                test_login(&conn_id),
                test_password(&conn_id)
            ));
        }
    }
    let pools_path = target.path().join("pools.json");
    fs::write(&pools_path, serde_json::to_vec(&pools).expect("JSON")).expect("write pools");

    for_both_versions(|version| {
        for syntax in ["regexp", "glob"] {
            assert_eq!(
                airflow_dag_files(version, &dags, syntax),
                expected_files,
                "{version:?} {syntax}"
            );
        }
        let extra: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
        let report = inspect_with(version, &dags, Some(&pools_path), &extra);
        assert_eq!(report["import_errors"], serde_json::json!({}), "{version:?}");
        let loaded: BTreeSet<String> = report["dags"].as_object().expect("dags").keys().cloned().collect();
        assert_eq!(loaded, dag_ids, "{version:?}");
        // The harness walks the folder itself, without Airflow's ignore rules: it
        // reports the store's copies as files without a DAG. Nothing else may fail.
        let problems: Vec<&str> = report["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| p.as_str().expect("text"))
            .filter(|p| !p.starts_with(".flowc/"))
            .collect();
        assert!(problems.is_empty(), "{version:?}: {problems:#?}");
        let datax_paths = datax_paths_through_links(version, &dags, &report);
        assert!(datax_paths >= 2, "{version:?}: no DataX job path rendered");
    });
}

/// The live files of each link, by link.
type Live = BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>;

/// Deploys dev and prod of the example into `dags` twice (the second time changed),
/// then interrupts a third deploy of each; returns the repository and the live files.
fn deploy_dev_and_prod(dags: &Path) -> (tempfile::TempDir, Live) {
    let (repo, repository) = example_repository("");
    fs::create_dir_all(dags).expect("mkdir");
    let deploy_both = |env: &[(&str, &str)]| {
        for environment in ["dev", "prod"] {
            let output = deploy_with(
                repo.path(),
                &["--env", environment, "--rev", "main", "--target", &dir_target(dags)],
                env,
            );
            if env.is_empty() {
                assert!(output.status.success(), "{}", text(&output.stderr));
            }
        }
    };
    deploy_both(&[]);
    change_sql(repo.path(), "COALESCE(8)");
    commit_all(&repository, "more partitions");
    deploy_both(&[]);
    let live: Live = ["wingpay_dev", "wingpay_prod"]
        .into_iter()
        .map(|link| (link, files(&dags.join(link))))
        .collect();
    change_sql(repo.path(), "COALESCE(16)");
    commit_all(&repository, "even more partitions");
    deploy_with(
        repo.path(),
        &["--env", "prod", "--rev", "main", "--target", &dir_target(dags)],
        &[("FLOWC_DEPLOY_ABORT", "before-switch")],
    );
    deploy_with(
        repo.path(),
        &["--env", "dev", "--rev", "main", "--target", &dir_target(dags)],
        &[("FLOWC_DEPLOY_FAIL_AFTER", "20")],
    );
    for (link, files) in &live {
        assert_eq!(&self::files(&dags.join(link)), files, "{link} changed");
    }
    // Old, crashed and staged copies of the DAG files are in the store.
    let stored_dag_files = snapshot(&dags.join(".flowc"))
        .keys()
        .filter(|path| path.contains("/dags/") && is_python(path))
        .count();
    assert!(stored_dag_files > 4 * 7, "{stored_dag_files}");

    (repo, live)
}

/// Every DataX job path the DAGs of `report` render resolves through their link in
/// `dags`; returns how many there are.
fn datax_paths_through_links(version: AirflowVersion, dags: &Path, report: &Value) -> usize {
    let mut datax_paths = 0;
    for (dag_id, dag) in report["dags"].as_object().expect("dags") {
        let link = if dag_id.starts_with("dev__") {
            "wingpay_dev"
        } else {
            "wingpay_prod"
        };
        for task in dag["tasks"].as_object().expect("tasks").values() {
            let Some(command) = task["rendered"]["bash_command"].as_str() else {
                continue;
            };
            for path in command.split('"').filter(|part| part.contains("/../datax/")) {
                let through_link = format!("{}/dags/../datax/", dags.join(link).display());
                assert!(path.starts_with(&through_link), "{version:?} {dag_id}: {path}");
                assert!(
                    Path::new(path).is_file(),
                    "{version:?} {dag_id}: {path} does not resolve"
                );
                datax_paths += 1;
            }
        }
    }
    datax_paths
}

/// Airflow's own list of the files its DAG processor would parse in `folder`.
fn airflow_dag_files(version: AirflowVersion, folder: &Path, syntax: &str) -> Vec<String> {
    let output = Command::new(venv_python(version))
        .arg(repo_root().join("tests/airflow/dag_files.py"))
        .arg(folder)
        .args(["--ignore-syntax", syntax])
        .output()
        .expect("the venv's python runs");
    assert!(
        output.status.success(),
        "dag_files.py {version:?} {syntax}: {}",
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list")
}
