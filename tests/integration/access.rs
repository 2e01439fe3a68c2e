//! `flowc access`: the audit report of who reads and writes what, and its exit codes.

use std::fs;

use serde_json::Value;

use crate::support::{example_copy, flowc, flowc_in, text};

#[test]
fn the_example_report_lists_every_teams_reads_and_writes_and_why() {
    let output = flowc(&["access", "examples/wingpay", "--format", "json"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let teams = report["teams"].as_object().expect("teams");
    let names: Vec<&str> = teams.keys().map(String::as_str).collect();
    assert_eq!(names, ["bi", "merchants", "payments", "platform", "risk", "users"]);
    // Every access is allowed, and says why.
    for (team, accesses) in teams {
        for access in accesses.as_array().expect("accesses") {
            assert_ne!(access["allowed"]["kind"], "denied", "{team}: {access}");
            assert!(!access["tasks"].as_array().expect("tasks").is_empty());
        }
    }
    // risk reads the pii user dimension through its pii grant; users owns it.
    let risk_reads_dim_user = teams["risk"]
        .as_array()
        .expect("risk")
        .iter()
        .find(|a| a["table"] == "dwd.dim_user" && a["access"] == "read")
        .expect("risk reads dwd.dim_user");
    assert_eq!(
        risk_reads_dim_user["allowed"],
        serde_json::json!({"kind": "grant", "pattern": "dwd.*"})
    );
    assert_eq!(risk_reads_dim_user["classifications"], serde_json::json!(["pii"]));
    let dim_user = &report["tables"]["dwd.dim_user"];
    assert_eq!(dim_user["owner"], "users");
    assert_eq!(dim_user["readers"], serde_json::json!(["risk", "users"]));
    assert_eq!(dim_user["writers"], serde_json::json!(["users"]));
}

#[test]
fn team_and_table_filters_narrow_the_text_report() {
    let output = flowc(
        &["access", "examples/wingpay", "--team", "risk", "--table", "dwd.*"],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report = text(&output.stdout);
    assert!(report.starts_with("team risk:\n"), "{report}");
    assert!(report.contains("read  dwd.dim_user "), "{report}");
    assert!(report.contains("grant dwd.* [pii]"), "{report}");
    assert!(!report.contains("dws."), "{report}");
    assert!(!report.contains("team users"), "{report}");
}

#[test]
fn a_read_without_a_grant_fails_check_and_is_marked_in_the_report() {
    let repo = example_copy();
    let flowc_yaml = repo.path().join("flowc.yaml");
    let text_before = fs::read_to_string(&flowc_yaml).expect("flowc.yaml");
    fs::write(&flowc_yaml, text_before.replace("      - read: \"ods.risk_*\"\n", "")).expect("write");
    let check = flowc_in(repo.path(), &["check", "."], b"");
    assert_eq!(check.status.code(), Some(1));
    let stderr = text(&check.stderr);
    assert!(
        stderr.contains("error[P501]: team `risk` may not read `ods.risk_blacklist`: no grant covers it"),
        "{stderr}"
    );
    assert!(stderr.contains("--> flows/risk/dwd_risk_txn_feature.sql:"), "{stderr}");
    let access = flowc_in(repo.path(), &["access", ".", "--team", "risk"], b"");
    assert_eq!(access.status.code(), Some(1));
    let report = text(&access.stdout);
    let line = report
        .lines()
        .find(|line| line.contains(" ods.risk_blacklist "))
        .expect("the denied read is listed");
    assert!(line.contains("NOT GRANTED"), "{report}");
}
