//! `--rev`: check and compile a git revision read from git objects, in real
//! repositories built with git2 (a monorepo folder, a dirty work tree, a bare clone).

use std::fs;
use std::path::Path;

use git2::Repository;

use crate::support::{commit_all, copy_dir, example, flowc_in, text, tree};

/// A repository whose `pipelines/wingpay/` holds the example, committed once.
fn monorepo() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().expect("temp dir");
    let repository = Repository::init(dir.path()).expect("init");
    copy_dir(&example(), &dir.path().join("pipelines/wingpay"));
    fs::write(dir.path().join("README.md"), "pipelines\n").expect("readme");
    commit_all(&repository, "Add the wingpay pipelines");
    (dir, repository)
}

fn compile(dir: &Path, args: &[&str], out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut all = vec!["compile"];
    all.extend_from_slice(args);
    let out_arg = out.display().to_string();
    all.extend(["--env", "prod", "--out", &out_arg]);
    let output = flowc_in(dir, &all, b"");
    assert!(output.status.success(), "flowc {all:?}: {}", text(&output.stderr));
    tree(&out.join("prod"))
}

#[test]
fn a_revision_compiles_like_its_checkout_whatever_the_work_tree_holds() {
    let (dir, _repository) = monorepo();
    let project = dir.path().join("pipelines/wingpay");
    let outs = tempfile::tempdir().expect("outs");
    let clean = compile(&project, &["."], &outs.path().join("clean"));
    // Break the work tree: a SQL syntax error and an uncommitted flow with bad YAML.
    let sql = project.join("flows/payments/dws_pay_channel_1d.sql");
    fs::write(&sql, "SELEC broken").expect("break sql");
    fs::create_dir_all(project.join("flows/scratch")).expect("mkdir");
    fs::write(project.join("flows/scratch/flow.yaml"), "name: [unclosed").expect("bad yaml");
    let work_tree = flowc_in(&project, &["check", "."], b"");
    assert_eq!(work_tree.status.code(), Some(1), "the dirty work tree has errors");
    for rev in ["HEAD", "main", "master"] {
        let check = flowc_in(&project, &["check", ".", "--rev", rev], b"");
        if rev != "HEAD" && !check.status.success() && text(&check.stderr).contains("cannot find revision") {
            continue; // the default branch has the other name
        }
        assert!(check.status.success(), "check --rev {rev}: {}", text(&check.stderr));
        assert!(
            text(&check.stdout).contains("7 flows, 44 tasks"),
            "{}",
            text(&check.stdout)
        );
        let from_git = compile(&project, &[".", "--rev", rev], &outs.path().join(rev));
        assert_eq!(from_git, clean, "--rev {rev} gives the committed files' output");
    }
}

#[test]
fn a_bare_clone_compiles_with_the_project_folder_after_a_colon() {
    let (dir, _repository) = monorepo();
    let outs = tempfile::tempdir().expect("outs");
    let clean = compile(
        &dir.path().join("pipelines/wingpay"),
        &["."],
        &outs.path().join("clean"),
    );
    let bare = outs.path().join("bare.git");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&format!("file://{}", dir.path().display()), &bare)
        .expect("bare clone");
    let from_bare = compile(
        outs.path(),
        &[&bare.display().to_string(), "--rev", "HEAD:pipelines/wingpay"],
        &outs.path().join("bare-out"),
    );
    assert_eq!(from_bare, clean);
    // Without the folder the root is not a flowc repository.
    let output = flowc_in(
        outs.path(),
        &["check", &bare.display().to_string(), "--rev", "HEAD"],
        b"",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no flowc.yaml"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_unknown_revision_exits_2_naming_it() {
    let (dir, _repository) = monorepo();
    let output = flowc_in(
        &dir.path().join("pipelines/wingpay"),
        &["check", ".", "--rev", "no-such-branch"],
        b"",
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("`no-such-branch`"), "{stderr}");
    assert!(stderr.contains("fetch-depth"), "{stderr}");
}

#[test]
fn an_older_revision_is_read_from_history() {
    let (dir, repository) = monorepo();
    let project = dir.path().join("pipelines/wingpay");
    fs::remove_dir_all(project.join("flows/chargebacks")).expect("remove a flow");
    commit_all(&repository, "Drop chargebacks");
    let now = flowc_in(&project, &["check", ".", "--rev", "HEAD"], b"");
    let before = flowc_in(&project, &["check", ".", "--rev", "HEAD~1"], b"");
    assert!(text(&now.stdout).starts_with("6 flows"), "{}", text(&now.stdout));
    assert!(text(&before.stdout).starts_with("7 flows"), "{}", text(&before.stdout));
}

/// issue 14, F17: `check --rev` judges an ml `application:` as `compile --rev` does, at
/// the value: L106 for a file the revision lacks, L107 for one that leaves it.
#[test]
fn a_revision_with_an_unusable_ml_application_fails_check_at_the_value() {
    let (dir, repository) = monorepo();
    let project = dir.path().join("pipelines/wingpay");
    let flow = project.join("flows/risk/flow.yaml");
    let original = fs::read_to_string(&flow).expect("risk flow");
    let outs = tempfile::tempdir().expect("outs");
    for (application, code, message) in [
        (
            "scoring/missing.py",
            "L106",
            "`flows/risk/scoring/missing.py` does not exist",
        ),
        (
            "../../../../outside.py",
            "L107",
            "`../../../../outside.py` leads outside the repository",
        ),
    ] {
        let broken = original.replace(
            "application: scoring/fraud_score.py",
            &format!("application: {application}"),
        );
        assert_ne!(broken, original, "the example names scoring/fraud_score.py");
        fs::write(&flow, broken).expect("write flow");
        commit_all(&repository, "Break the ml application");
        for command in ["check", "compile"] {
            let out = outs.path().join(code).display().to_string();
            let mut args = vec![command, ".", "--rev", "HEAD"];
            if command == "compile" {
                args.extend(["--env", "prod", "--out", &out]);
            }
            let output = flowc_in(&project, &args, b"");
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command} {application}: {stderr}");
            assert!(stderr.contains(&format!("error[{code}]")), "{command}: {stderr}");
            assert!(stderr.contains(message), "{command}: {stderr}");
            // At the `application:` value (line 42, column 18), not at the task's name.
            assert!(stderr.contains("--> flows/risk/flow.yaml:42:18"), "{command}: {stderr}");
        }
    }
}
