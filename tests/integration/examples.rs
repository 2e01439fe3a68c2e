//! Every project under `examples/` checks clean, and the bundled example's inferred
//! lineage and dependencies are pinned by a snapshot.

use std::path::PathBuf;

use crate::support::{flowc, repo_root, text};

fn examples() -> Vec<PathBuf> {
    let root = repo_root().join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.join("flowc.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_example_checks_clean_without_warnings() {
    let dirs = examples();
    assert!(!dirs.is_empty(), "no example found");
    for dir in dirs {
        let output = flowc(&["check", dir.to_str().expect("UTF-8 path")], b"");
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{}:\n{stdout}\n{stderr}", dir.display());
        assert!(
            stdout.trim_end().ends_with(": 0 errors, 0 warnings"),
            "{}: {stdout}\n{stderr}",
            dir.display()
        );
        assert!(stderr.is_empty(), "{}: {stderr}", dir.display());
    }
}

#[test]
fn wingpay_is_big_enough_to_be_the_main_example() {
    let output = flowc(&["check", "examples/wingpay", "--format", "json"], b"");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    assert!(report["summary"]["flows"].as_u64() >= Some(4), "{report}");
    assert!(report["summary"]["tasks"].as_u64() >= Some(30), "{report}");
}

#[test]
fn wingpay_lineage_and_dependencies() {
    let output = flowc(&["graph", "examples/wingpay"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    insta::assert_snapshot!("wingpay_graph", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn wingpay_graph_json_marks_cross_flow_edges() {
    let output = flowc(&["graph", "examples/wingpay", "--format", "json"], b"");
    let graph: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let edges = graph["edges"].as_array().expect("edges");
    let cross = edges.iter().filter(|e| e["cross_flow"] == true).count();
    assert!(cross >= 5, "expected cross-flow edges, got {cross}");
    assert!(
        edges.iter().any(|e| e["cross_flow"] == false),
        "expected same-flow edges"
    );
}

#[test]
fn checking_twice_gives_identical_output() {
    let first = flowc(&["graph", "examples/wingpay", "--format", "json"], b"");
    let second = flowc(&["graph", "examples/wingpay", "--format", "json"], b"");
    assert_eq!(first.stdout, second.stdout);
}
