//! `flowc init`: the scaffold checks and compiles clean for both environments as
//! written, its CODEOWNERS is current, its DAGs load in real Airflow, and nothing that
//! exists is ever overwritten.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::json;

use crate::airflow_harness::{AirflowVersion, for_both_versions, inspect};
use crate::support::{flowc, flowc_in, names, text, tree};

/// A repository scaffolded once per test run (shared by the workflow tests too).
pub(crate) fn scaffolded() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, repo) = DIR.get_or_init(|| {
        let temp = tempfile::tempdir().expect("temp dir");
        let repo = temp.path().join("shopdw");
        let output = flowc(&["init", &repo.display().to_string()], b"");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        (temp, repo)
    });
    repo
}

/// The scaffold's workflow files.
pub(crate) fn scaffolded_workflows() -> Vec<PathBuf> {
    let folder = scaffolded().join(".github/workflows");
    names(&folder).iter().map(|name| folder.join(name)).collect()
}

#[test]
fn init_writes_a_repository_that_checks_and_compiles_clean() {
    let dir = scaffolded();
    let files: Vec<String> = tree(dir).into_keys().collect();
    assert_eq!(
        files,
        [
            ".github/CODEOWNERS",
            ".github/workflows/deploy-dev.yml",
            ".github/workflows/deploy-prod.yml",
            ".github/workflows/docs.yml",
            ".github/workflows/pull-request.yml",
            ".gitignore",
            "README.md",
            "flowc.yaml",
            "flows/orders/dwd_orders.sql",
            "flows/orders/dws_orders_1d.sql",
            "flows/orders/flow.yaml",
            "flows/orders/tests/dwd_orders.yaml",
            "schemas/flow.schema.json",
            "schemas/flowc.schema.json",
            "schemas/test.schema.json",
        ]
    );
    let check = flowc_in(dir, &["check"], b"");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert_eq!(text(&check.stdout), "1 flow, 3 tasks, 4 tables: 0 errors, 0 warnings\n");
    assert_eq!(text(&check.stderr), "", "not even a warning");

    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().display().to_string();
    let compile = flowc_in(
        dir,
        &["compile", "--env", "dev", "--env", "prod", "--out", &out_arg],
        b"",
    );
    assert_eq!(compile.status.code(), Some(0), "{}", text(&compile.stderr));
    for env in ["dev", "prod"] {
        let dags = out.path().join(env).join("dags");
        assert!(
            dags.join(format!("{}orders.py", if env == "dev" { "dev__" } else { "" }))
                .is_file(),
            "{env}"
        );
        assert!(
            out.path().join(env).join("datax/orders/sync_orders.json").is_file(),
            "{env}"
        );
    }
    let owners = flowc_in(dir, &["codeowners", "--check"], b"");
    assert_eq!(owners.status.code(), Some(0), "{}", text(&owners.stdout));
}

#[test]
fn init_names_the_project_after_the_folder_or_the_flag() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("Shop-DW 2");
    let output = flowc(&["init", &dir.display().to_string()], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        fs::read_to_string(dir.join("flowc.yaml"))
            .unwrap()
            .contains("\nproject: shop_dw_2\n")
    );

    let dir = temp.path().join("x");
    let output = flowc(&["init", &dir.display().to_string(), "--project", "payments"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        fs::read_to_string(dir.join("flowc.yaml"))
            .unwrap()
            .contains("\nproject: payments\n")
    );
}

#[test]
fn init_into_the_current_folder_keeps_what_is_there() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::create_dir(temp.path().join(".git")).unwrap();
    fs::write(temp.path().join("notes.txt"), "mine").unwrap();
    let output = flowc_in(temp.path(), &["init", "--project", "shop"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with("created project `shop` in . (15 files)\n"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(fs::read_to_string(temp.path().join("notes.txt")).unwrap(), "mine");
    let check = flowc_in(temp.path(), &["check"], b"");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(temp.path().join("flows/orders")).unwrap();
    fs::write(temp.path().join("flows/orders/flow.yaml"), "mine").unwrap();
    let before = tree(temp.path());
    let output = flowc_in(temp.path(), &["init"], b"");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`flows/orders/flow.yaml`") && stderr.contains("nothing"),
        "{stderr}"
    );
    assert!(!stderr.contains("`flowc.yaml`"), "only what exists is named: {stderr}");
    assert_eq!(tree(temp.path()), before, "nothing written");
}

#[test]
fn init_with_a_project_name_the_schema_rejects_writes_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("repo");
    let output = flowc(&["init", &dir.display().to_string(), "--project", "Shop"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[S204]: `Shop` for `project`"), "{stderr}");
    assert!(!dir.exists());
}

/// Compiles the scaffold for both environments for Airflow `version` and loads the
/// DAGs in it.
fn check_scaffold_in_airflow(version: AirflowVersion) {
    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().display().to_string();
    let compile = flowc_in(
        scaffolded(),
        &[
            "compile",
            "--env",
            "dev",
            "--env",
            "prod",
            "--out",
            &out_arg,
            "--airflow-version",
            version.cli_arg(),
        ],
        b"",
    );
    assert_eq!(compile.status.code(), Some(0), "{}", text(&compile.stderr));
    for (env, dag_id) in [("dev", "dev__orders"), ("prod", "orders")] {
        let folder = out.path().join(env);
        let loaded = inspect(version, &folder.join("dags"), Some(&folder.join("pools.json")));
        assert_eq!(loaded["import_errors"], json!({}), "{version:?} {env}");
        let dags: Vec<&String> = loaded["dags"].as_object().expect("dags").keys().collect();
        assert_eq!(dags, [dag_id], "{version:?} {env}");
        let tasks = loaded["dags"][dag_id]["tasks"].as_object().expect("tasks");
        for task in ["sync_orders", "dwd_orders", "dws_orders_1d"] {
            assert!(
                tasks.contains_key(task),
                "{version:?} {env}: {task} in {:?}",
                tasks.keys()
            );
        }
    }
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn the_scaffold_loads_in_airflow_2_10_and_3() {
    for_both_versions(check_scaffold_in_airflow);
}
