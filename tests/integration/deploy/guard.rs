//! `deploy_from`: an environment that deploys only commits on given branches refuses a
//! modified work tree and a commit those branches do not contain, writing nothing; a
//! dry run says what a real deploy would refuse.

use std::fs;
use std::path::Path;

use super::{change_sql, deploy, deploy_with};
use crate::support::{commit_all, example_repository, text};

/// The example in a git repository on `main`, with prod deploying only from `main`.
fn guarded() -> (tempfile::TempDir, git2::Repository) {
    let (dir, repository) = example_repository("wingpay");
    let config = dir.path().join("wingpay/flowc.yaml");
    let yaml = fs::read_to_string(&config).expect("flowc.yaml");
    let guarded = yaml.replacen("  prod:\n", "  prod:\n    deploy_from: [main]\n", 1);
    assert_ne!(yaml, guarded, "the example has a prod environment");
    fs::write(&config, guarded).expect("write flowc.yaml");
    commit_all(&repository, "prod deploys from main only");
    (dir, repository)
}

fn refused(project: &Path, target: &Path, args: &[&str]) -> String {
    let target_arg = format!("dir:{}", target.display());
    let mut all = vec!["--env", "prod", "--target", target_arg.as_str()];
    all.extend_from_slice(args);
    let output = deploy_with(project, &all, &[]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(!target.join("wingpay_prod").exists(), "nothing deployed");
    text(&output.stderr)
}

#[test]
fn a_guarded_environment_deploys_its_branch_and_refuses_the_rest() {
    let (dir, repository) = guarded();
    let project = dir.path().join("wingpay");
    let airflow = tempfile::tempdir().expect("temp dir");
    let target = format!("dir:{}", airflow.path().display());

    // A modified work tree: refused, and a dry run warns.
    change_sql(&project, "BROADCAST(m)");
    let stderr = refused(&project, airflow.path(), &[]);
    assert!(
        stderr.contains("uncommitted changes") && stderr.contains("`main`"),
        "{stderr}"
    );
    let output = deploy_with(&project, &["--env", "prod", "--target", &target, "--dry-run"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("warning: a real deploy would be refused"),
        "{}",
        text(&output.stderr)
    );

    // The same change committed on a feature branch: refused, also with --rev.
    let head = repository.head().unwrap().peel_to_commit().unwrap();
    repository.branch("feature", &head, false).unwrap();
    repository.set_head("refs/heads/feature").unwrap();
    commit_all(&repository, "a change not reviewed yet");
    let stderr = refused(&project, airflow.path(), &[]);
    assert!(stderr.contains("is on none of `main`"), "{stderr}");
    let stderr = refused(&project, airflow.path(), &["--rev", "feature"]);
    assert!(stderr.contains("is on none of `main`"), "{stderr}");

    // main itself deploys, from the work tree of another branch too with --rev.
    deploy(&project, &["--env", "prod", "--target", &target, "--rev", "main"]);
    assert!(airflow.path().join("wingpay_prod").exists());
    // dev has no guard.
    deploy(&project, &["--env", "dev", "--target", &target]);
}
