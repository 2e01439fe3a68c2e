//! `flowc compile` on one small repository per task type (`tests/fixtures/compile/`)
//! and on `examples/wingpay`, for Airflow 2.10 and 3: every rendered DAG file, SQL
//! template and `pools.json` is pinned by a snapshot
//! (`snapshots/compile/compile__<case>__<version>__<file>.snap`). The same compiled
//! folders are loaded in real Airflow by `compiled_in_airflow`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::airflow_harness::{AirflowVersion, compile_fresh};
use crate::support::{repo_root, tree};

/// The repositories compiled: the fixtures, then the bundled example.
pub(crate) const CASES: [&str; 8] = [
    "sparksql", "sync", "ml", "kylin", "trigger", "assets", "quality", "wingpay",
];

fn case_repo(case: &str) -> PathBuf {
    if case == "wingpay" {
        repo_root().join("examples/wingpay")
    } else {
        repo_root().join("tests/fixtures/compile").join(case)
    }
}

pub(crate) fn case_index(case: &str) -> usize {
    CASES.iter().position(|c| *c == case).expect("a known compile case")
}

/// Part of a snapshot name.
fn version_label(version: AirflowVersion) -> &'static str {
    match version {
        AirflowVersion::V2_10 => "v2_10",
        AirflowVersion::V3 => "v3",
    }
}

/// One slot per case and Airflow version.
pub(crate) type Cache<T> = [[OnceLock<T>; 2]; CASES.len()];

/// Compiles `case` for `prod` once per test process; returns `<out>/prod`.
pub(crate) fn compiled(case: &str, version: AirflowVersion) -> &'static Path {
    static CACHE: Cache<PathBuf> = [const { [const { OnceLock::new() }, const { OnceLock::new() }] }; CASES.len()];
    CACHE[case_index(case)][version.index()].get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("compile_snapshots")
            .join(format!("{case}-{}", version_label(version)));
        compile_fresh(&case_repo(case), "prod", &out, version)
    })
}

/// `dags/sql/payments/x.sql` → `sql__payments__x.sql`.
fn snapshot_file_part(path: &str) -> String {
    path.trim_start_matches("dags/").replace('/', "__")
}

fn snapshot_dir() -> PathBuf {
    repo_root().join("tests/integration/snapshots/compile")
}

/// Snapshots every DAG file, SQL template and `pools.json` of `case` for both
/// versions, and every DataX job once; fails listing every snapshot that differs, and any snapshot of the case
/// no file corresponds to any more.
fn check_snapshots(case: &str) {
    let mut failures = Vec::new();
    let mut expected_names = BTreeSet::new();
    for version in AirflowVersion::ALL {
        let out = compiled(case, version);
        let mut paths: Vec<String> = tree(&out.join("dags"))
            .into_keys()
            .map(|p| format!("dags/{p}"))
            .collect();
        paths.push("pools.json".to_owned());
        assert!(
            paths
                .iter()
                .any(|p| Path::new(p).extension().is_some_and(|e| e == "py")),
            "{case} {version:?}: no DAG file in {paths:?}"
        );
        let mut named: Vec<(String, String)> = paths
            .into_iter()
            .map(|path| {
                let name = format!(
                    "compile__{case}__{}__{}",
                    version_label(version),
                    snapshot_file_part(&path)
                );
                (name, path)
            })
            .collect();
        // DataX jobs do not depend on the Airflow version: snapshotted once. The
        // launcher next to them is a fixed file with its own tests.
        if version == AirflowVersion::ALL[0] && out.join("datax").is_dir() {
            named.extend(
                tree(&out.join("datax"))
                    .into_keys()
                    .filter(|p| Path::new(p).extension().is_some_and(|e| e == "json"))
                    .map(|p| {
                        (
                            format!("compile__{case}__datax__{}", p.replace('/', "__")),
                            format!("datax/{p}"),
                        )
                    }),
            );
        }
        for (name, path) in named {
            expected_names.insert(format!("{name}.snap"));
            let content = std::fs::read_to_string(out.join(&path)).expect("a UTF-8 output file");
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path("snapshots/compile");
            settings.set_prepend_module_to_snapshot(false);
            settings.set_omit_expression(true);
            settings.set_description(format!(
                "flowc compile {} --env prod --airflow-version {}: {path}",
                case_repo(case)
                    .strip_prefix(repo_root())
                    .expect("inside the repository")
                    .display(),
                version.cli_arg()
            ));
            settings.add_filter(r"flowc \d+\.\d+\.\d+\S*", "flowc [VERSION]");
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                settings.bind(|| insta::assert_snapshot!(name.clone(), content));
            }));
            if result.is_err() {
                failures.push(name);
            }
        }
    }
    let prefix = format!("compile__{case}__");
    let stale: Vec<String> = std::fs::read_dir(snapshot_dir())
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| name.starts_with(&prefix) && Path::new(name).extension().is_some_and(|e| e == "snap"))
                .filter(|name| !expected_names.contains(name))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        failures.is_empty() && stale.is_empty(),
        "{case}: snapshots that differ (see the .snap.new files): {failures:#?}\n\
         snapshots of files no longer written: {stale:#?}"
    );
}

#[test]
fn compile_snapshots_sparksql() {
    check_snapshots("sparksql");
}

#[test]
fn compile_snapshots_sync() {
    check_snapshots("sync");
}

#[test]
fn compile_snapshots_ml() {
    check_snapshots("ml");
}

#[test]
fn compile_snapshots_kylin() {
    check_snapshots("kylin");
}

#[test]
fn compile_snapshots_trigger() {
    check_snapshots("trigger");
}

#[test]
fn compile_snapshots_assets() {
    check_snapshots("assets");
}

#[test]
fn compile_snapshots_quality() {
    check_snapshots("quality");
}

#[test]
fn compile_snapshots_wingpay() {
    check_snapshots("wingpay");
}
