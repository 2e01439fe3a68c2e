//! The data and the DataX stand-in of the example's end-to-end run on real Spark
//! (tests/fixtures/spark/wingpay, tests/spark/datax): the seed folders and the
//! expected rows are what their generators write, and the stand-in runs every DataX
//! job of the compiled example through flowc's real launcher, writing files that read
//! back in the job's format (tests/spark/test_datax.py, under the Spark venv's Python,
//! which has pyarrow); the HTTP stand-ins (tests/spark/services.py) answer the real
//! Airflow operators the example's DAGs use (tests/spark/test_services.py).

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use crate::airflow_harness::{AirflowVersion, venv_python};
use crate::support::{example_copy, flowc_in, repo_root, text};

/// Creates or reuses `.venv/spark` (scripts/spark-venv.sh), once per test process.
fn spark_python() -> std::path::PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let done = Command::new("bash")
            .arg(repo_root().join("scripts/spark-venv.sh"))
            .output()
            .expect("bash runs");
        assert!(
            done.status.success(),
            "scripts/spark-venv.sh failed:\n{}{}",
            text(&done.stdout),
            text(&done.stderr)
        );
    });
    repo_root().join(".venv/spark/bin/python")
}

fn python3(script: &Path, args: &[&str]) -> (bool, String) {
    let done = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    (
        done.status.success(),
        format!("{}{}", text(&done.stdout), text(&done.stderr)),
    )
}

#[test]
#[ignore = "needs python3: run by scripts/test.sh"]
fn the_seed_folders_are_what_make_seeds_writes() {
    let script = repo_root().join("tests/fixtures/spark/wingpay/make_seeds.py");
    let (ok, output) = python3(&script, &["--check"]);
    assert!(ok, "{output}");
}

#[test]
#[ignore = "needs python3: run by scripts/test.sh"]
fn the_expected_rows_are_what_derive_computes_from_the_seeds() {
    let script = repo_root().join("tests/fixtures/spark/wingpay/expected/derive.py");
    let (ok, output) = python3(&script, &["--check"]);
    assert!(ok, "{output}");
}

/// Every DataX job of the example, compiled for a local warehouse, runs through the
/// launcher and the stand-in and leaves readable files (and the export its rows).
#[test]
#[ignore = "needs Spark's venv (.venv/spark with pyarrow): run by scripts/test.sh"]
fn datax_stand_in_runs_every_job_of_the_example() {
    let repo = example_copy();
    let warehouse = tempfile::tempdir().expect("temp dir");
    let config = repo.path().join("flowc.yaml");
    let yaml = std::fs::read_to_string(&config).expect("flowc.yaml");
    let local = yaml
        .replace("default_fs: hdfs://wingpay-ns", "default_fs: \"file://\"")
        .replace(
            "warehouse_dir: /user/hive/warehouse",
            &format!("warehouse_dir: {}", warehouse.path().display()),
        );
    assert_ne!(local, yaml, "the example's warehouse connection moved");
    std::fs::write(&config, local).expect("flowc.yaml written");
    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().to_str().expect("UTF-8 temp path");
    let compiled = flowc_in(repo.path(), &["compile", ".", "--out", out_arg], b"");
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    let done = Command::new(spark_python())
        .arg(repo_root().join("tests/spark/test_datax.py"))
        .arg(out.path().join("dev"))
        .arg(warehouse.path())
        .output()
        .expect("the Spark venv's python runs");
    let output = format!("{}{}", text(&done.stdout), text(&done.stderr));
    assert!(done.status.success(), "{output}");
    assert!(output.contains("\n0 failed"), "{output}");
}

/// The Kylin, card-gateway and alert stand-ins answer what the real KylinCubeOperator,
/// HttpSensor and DingTalk hook send, in both Airflow versions.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn the_http_stand_ins_answer_the_real_operators() {
    for version in AirflowVersion::ALL {
        let done = Command::new(venv_python(version))
            .arg(repo_root().join("tests/spark/test_services.py"))
            .output()
            .expect("the Airflow venv's python runs");
        let output = format!("{}{}", text(&done.stdout), text(&done.stderr));
        assert!(done.status.success(), "{version:?}:\n{output}");
        assert!(output.contains("\n0 failed"), "{version:?}:\n{output}");
    }
}
