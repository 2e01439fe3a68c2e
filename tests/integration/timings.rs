//! `--timings` and `--quiet` on `check`, `compile` and `plan`: the stage table on
//! stderr, and a quiet run that prints nothing but problems. (The progress line itself
//! needs a terminal: these runs, with stderr piped, must never show it.)

use crate::support::{example_copy, example_repository, flowc_in, text};

/// The stage names of a `--timings` table, in order, with `total` last; each line has
/// its seconds.
fn stages(stderr: &str) -> Vec<String> {
    let table = stderr
        .split("timings (wall clock):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no timings table in {stderr:?}"));
    table
        .lines()
        .take_while(|line| line.starts_with("  "))
        .map(|line| {
            // `  NAME  SECONDS s`, NAME padded: two spaces end it (a name has one).
            let mut columns = line.trim().split("  ").filter(|c| !c.is_empty());
            let name = columns.next().unwrap_or_default().to_owned();
            let seconds = columns.next().unwrap_or_default().trim();
            assert!(
                seconds.ends_with(" s") && seconds.trim_end_matches(" s").parse::<f64>().is_ok(),
                "{line:?}"
            );
            name
        })
        .collect()
}

#[test]
fn compile_timings_list_every_stage_then_the_total_and_peak_memory() {
    let repo = example_copy();
    let out = repo.path().join("build");
    let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--timings"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let names = stages(&stderr);
    assert_eq!(
        names,
        [
            "memo",
            "load",
            "validate",
            "read",
            "sql",
            "graph",
            "columns",
            "quality",
            "unit tests",
            "access",
            "environments",
            "render",
            "output",
            "total"
        ],
        "{stderr}"
    );
    if cfg!(target_os = "linux") {
        assert!(stderr.contains("(peak memory "), "{stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "no progress line when stderr is not a terminal: {stderr:?}"
    );
    assert!(text(&output.stdout).starts_with("prod: "));
    assert!(out.join("prod/manifest.json").is_file());
}

#[test]
fn quiet_runs_print_only_problems() {
    let repo = example_copy();
    let compile = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--quiet"], b"");
    assert!(compile.status.success(), "{}", text(&compile.stderr));
    assert_eq!(text(&compile.stdout), "");
    assert_eq!(text(&compile.stderr), "");
    assert!(
        repo.path().join("build/prod/manifest.json").is_file(),
        "quiet, not idle"
    );
    let check = flowc_in(repo.path(), &["check", ".", "-q"], b"");
    assert!(check.status.success());
    assert_eq!(
        (text(&check.stdout), text(&check.stderr)),
        (String::new(), String::new())
    );
    // A problem still shows, and still fails the run.
    std::fs::write(repo.path().join("flowc.yaml"), "project: [\n").expect("break the project file");
    let broken = flowc_in(repo.path(), &["check", ".", "--quiet"], b"");
    assert_eq!(broken.status.code(), Some(1));
    assert!(text(&broken.stderr).contains("flowc.yaml"), "{}", text(&broken.stderr));
}

#[test]
fn check_and_plan_print_their_timings() {
    let check = flowc_in(
        &crate::support::example(),
        &["check", ".", "--timings", "--format", "json"],
        b"",
    );
    assert!(check.status.success());
    let names = stages(&text(&check.stderr));
    assert_eq!(names.first().map(String::as_str), Some("load"));
    assert_eq!(names.last().map(String::as_str), Some("total"));
    assert!(!names.iter().any(|n| n == "render"), "check renders nothing: {names:?}");
    // The JSON on stdout is untouched by the table on stderr.
    let json: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json on stdout");
    assert_eq!(json["summary"]["errors"], 0);

    let (dir, _repository) = example_repository("");
    let plan = flowc_in(dir.path(), &["plan", ".", "--base", "main", "--timings"], b"");
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    assert_eq!(
        stages(&text(&plan.stderr)),
        ["compile both revisions, plan", "view", "total"]
    );
}
