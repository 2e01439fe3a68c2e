//! `flowc codeowners` on copies of the bundled example: writing, `--check`, and
//! `flowc check`'s warning when the file is missing or out of date.

use std::fs;

use crate::support::{example, example_copy, flowc, flowc_in, text};

const CODEOWNERS: &str = ".github/CODEOWNERS";

fn committed() -> String {
    let path = example().join(CODEOWNERS);
    fs::read_to_string(path).expect("examples/wingpay/.github/CODEOWNERS is committed")
}

#[test]
fn the_example_codeowners_is_up_to_date() {
    let output = flowc(&["codeowners", "examples/wingpay", "--check"], b"");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout), ".github/CODEOWNERS is up to date\n");
    let owners = committed();
    assert!(
        owners.contains("\n/flows/payments/ @wingpay/payments-data\n"),
        "{owners}"
    );
    assert!(owners.contains("\n/flowc.yaml @wingpay/data-platform\n"), "{owners}");
}

#[test]
fn codeowners_writes_a_missing_file_that_check_then_accepts() {
    let repo = example_copy();
    fs::remove_file(repo.path().join(CODEOWNERS)).expect("remove CODEOWNERS");

    let check = flowc_in(repo.path(), &["check"], b"");
    assert_eq!(check.status.code(), Some(0), "a warning, not an error");
    let stderr = text(&check.stderr);
    assert!(
        stderr.contains("warning[D701]: `.github/CODEOWNERS` is missing"),
        "{stderr}"
    );
    assert!(stderr.contains("--> flowc.yaml:"), "located at `teams:`: {stderr}");
    assert!(stderr.contains("help: run `flowc codeowners`"), "{stderr}");

    let dry = flowc_in(repo.path(), &["codeowners", "--check"], b"");
    assert_eq!(dry.status.code(), Some(1), "{}", text(&dry.stdout));
    assert!(
        text(&dry.stdout).ends_with(".github/CODEOWNERS is missing: run `flowc codeowners` and commit it\n"),
        "{}",
        text(&dry.stdout)
    );
    assert!(!repo.path().join(CODEOWNERS).exists(), "--check writes nothing");

    let write = flowc_in(repo.path(), &["codeowners"], b"");
    assert_eq!(write.status.code(), Some(0), "{}", text(&write.stderr));
    assert_eq!(text(&write.stdout), "wrote .github/CODEOWNERS (11 rules)\n");
    assert_eq!(text(&write.stderr), "", "the example has no warning");
    assert_eq!(
        fs::read_to_string(repo.path().join(CODEOWNERS)).expect("written"),
        committed()
    );
    // Written aside and renamed: no temporary file is left next to it.
    let mut left: Vec<String> = fs::read_dir(repo.path().join(".github"))
        .expect("list .github")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["CODEOWNERS", "workflows"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(repo.path().join(CODEOWNERS))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "readable like any checked-out file");
    }

    let again = flowc_in(repo.path(), &["codeowners"], b"");
    assert_eq!(text(&again.stdout), ".github/CODEOWNERS is up to date\n");
    let check = flowc_in(repo.path(), &["check"], b"");
    assert!(
        text(&check.stdout).ends_with(": 0 errors, 0 warnings\n"),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
}

#[test]
fn a_changed_owner_makes_codeowners_out_of_date() {
    let repo = example_copy();
    let flow = repo.path().join("flows/risk/flow.yaml");
    let yaml = fs::read_to_string(&flow).expect("risk flow");
    fs::write(&flow, yaml.replacen("owner: risk", "owner: payments", 1)).expect("change the owner");
    // The flow's tables move with it: payments gets risk's grants.
    let project = repo.path().join("flowc.yaml");
    let flowc_yaml = fs::read_to_string(&project).expect("flowc.yaml");
    let moved = flowc_yaml.replacen(
        "    github: \"@wingpay/payments-data\"\n    grants:\n",
        "    github: \"@wingpay/payments-data\"\n    grants:\n      - read: \"ods.risk_*\"\n      - read: \"dwd.*\"\n        \
         classifications: [pii]\n      - write: \"dwd.dwd_risk_*\"\n      - write: \"dws.dws_risk_*\"\n      \
         - write: \"ads.ads_risk_*\"\n",
        1,
    );
    assert_ne!(moved, flowc_yaml, "the payments grants are found");
    fs::write(&project, moved).expect("move the grants");

    let check = flowc_in(repo.path(), &["check", "--format", "json"], b"");
    assert_eq!(check.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).expect("JSON");
    let warnings: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "D701")
        .collect();
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["severity"], "warning");
    assert_eq!(warnings[0]["file"], CODEOWNERS);
    let line = warnings[0]["line"].as_u64().expect("a line");
    let old_line = committed()
        .lines()
        .position(|l| l == "/flows/risk/ @wingpay/risk-data")
        .expect("the risk rule");
    assert_eq!(line, old_line as u64 + 1, "points at the rule that changes: {report}");

    let dry = flowc_in(repo.path(), &["codeowners", "--check"], b"");
    assert_eq!(dry.status.code(), Some(1));
    let stdout = text(&dry.stdout);
    assert!(
        stdout.contains("\n-/flows/risk/ @wingpay/risk-data\n+/flows/risk/ @wingpay/payments-data\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with(".github/CODEOWNERS is out of date: run `flowc codeowners` and commit it\n"));
    assert_eq!(
        fs::read_to_string(repo.path().join(CODEOWNERS)).expect("unchanged"),
        committed()
    );

    let write = flowc_in(repo.path(), &["codeowners"], b"");
    assert_eq!(write.status.code(), Some(0));
    let owners = fs::read_to_string(repo.path().join(CODEOWNERS)).expect("rewritten");
    assert!(owners.contains("\n/flows/risk/ @wingpay/payments-data\n"), "{owners}");
}

#[test]
fn codeowners_writes_nothing_for_a_repository_with_errors() {
    let repo = example_copy();
    fs::remove_file(repo.path().join(CODEOWNERS)).expect("remove CODEOWNERS");
    let flow = repo.path().join("flows/risk/flow.yaml");
    let yaml = fs::read_to_string(&flow).expect("risk flow");
    fs::write(&flow, yaml.replacen("owner: risk", "owner: rsik", 1)).expect("break the owner");

    let output = flowc_in(repo.path(), &["codeowners"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("error[S208]"), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "codeowners stopped: 1 error in the repository; .github/CODEOWNERS left untouched\n"
    );
    assert!(!repo.path().join(CODEOWNERS).exists());
}

#[test]
fn a_team_without_a_handle_is_warned_about_and_left_to_the_platform() {
    let repo = example_copy();
    let project = repo.path().join("flowc.yaml");
    let yaml = fs::read_to_string(&project).expect("flowc.yaml");
    let yaml = yaml.replacen("    github: \"@wingpay/risk-data\"\n", "", 1);
    fs::write(&project, yaml).expect("drop the risk team's handle");

    let output = flowc_in(repo.path(), &["codeowners"], b"");
    assert_eq!(output.status.code(), Some(0), "warnings only");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning[D702]: flow `risk` has no code owner: team `risk` has no `github` handle"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--> flows/risk/flow.yaml:"),
        "at the flow's owner: {stderr}"
    );
    assert!(
        !stderr.contains("D701"),
        "the out-of-date warning is what the command settles: {stderr}"
    );
    let owners = fs::read_to_string(repo.path().join(CODEOWNERS)).expect("written");
    assert!(!owners.contains("/flows/risk/"), "{owners}");
    assert!(owners.contains("\n* @wingpay/data-platform\n"), "{owners}");
}

#[test]
fn a_stale_codeowners_changes_nothing_compile_writes() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    let compile = |name: &str| {
        let target = out.path().join(name);
        let output = flowc_in(
            repo.path(),
            &[
                "compile",
                "--env",
                "prod",
                "--out",
                target.to_str().expect("UTF-8 path"),
            ],
            b"",
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        fs::read(target.join("prod/manifest.json")).expect("manifest.json")
    };
    let fresh = compile("fresh");
    let path = repo.path().join(CODEOWNERS);
    fs::write(&path, format!("{}/flows/gone/ @wingpay/nobody\n", committed())).expect("make it stale");
    let stale = compile("stale");
    assert!(
        fresh == stale,
        "CODEOWNERS is no input of the compiled files: the manifests must be identical"
    );
}
