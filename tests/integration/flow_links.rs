//! A flow folder that is a symbolic link (reliability finding F7): loaded when it stays
//! inside the repository, a located error (L107) when it leads out of it — from the
//! work tree and from a git revision alike. It was silently skipped, dropping its DAG.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::{commit_all, example_repository, flowc_command, text, tree};

/// Moves the example's `chargebacks` flow to `target` (relative to the project) and
/// links `flows/chargebacks` to it with the relative `link`.
fn link_flow(project: &Path, target: &str, link: &str) {
    let destination = project.join(target);
    fs::create_dir_all(destination.parent().expect("a parent")).expect("create the target's parent");
    fs::rename(project.join("flows/chargebacks"), &destination).expect("move the flow");
    std::os::unix::fs::symlink(link, project.join("flows/chargebacks")).expect("symlink");
}

fn run(project: &Path, args: &[&str]) -> Output {
    flowc_command(project).args(args).output().expect("flowc runs")
}

#[test]
fn a_flow_folder_linked_inside_the_repository_is_loaded() {
    let (pristine, _) = example_repository("");
    let expected = run(pristine.path(), &["compile", ".", "--env", "prod", "--out", "out"]);
    assert!(expected.status.success(), "{}", text(&expected.stderr));
    let (dir, repository) = example_repository("");
    link_flow(dir.path(), "shared/chargebacks", "../shared/chargebacks");
    commit_all(&repository, "chargebacks lives in shared/");
    let check = run(dir.path(), &["check", "."]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).starts_with("7 flows"), "{}", text(&check.stdout));
    for (out, rev) in [("out", None), ("out-rev", Some("HEAD"))] {
        let mut args = vec!["compile", ".", "--env", "prod", "--out", out];
        args.extend(rev.iter().flat_map(|rev| ["--rev", rev]));
        let compiled = run(dir.path(), &args);
        assert!(compiled.status.success(), "{args:?}: {}", text(&compiled.stderr));
        let files = tree(&dir.path().join(out).join("prod"));
        assert!(
            files.contains_key("dags/chargebacks.py"),
            "{args:?} dropped the linked flow"
        );
        assert!(
            files == tree(&pristine.path().join("out/prod")),
            "{args:?}: the output differs from the example's"
        );
    }
}

#[test]
fn a_flow_folder_linked_out_of_the_repository_is_a_located_error() {
    // The project is `p/` of the git repository, so the link leaves the project in the
    // git tree too.
    let (dir, repository) = example_repository("p");
    let project = dir.path().join("p");
    link_flow(&project, "../elsewhere/chargebacks", "../../elsewhere/chargebacks");
    commit_all(&repository, "chargebacks lives outside the project");
    for rev in [None, Some("HEAD")] {
        for command in ["check", "compile"] {
            let mut args = vec![command, "."];
            args.extend(rev.iter().flat_map(|rev| ["--rev", rev]));
            let output = run(&project, &args);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(
                stderr.contains("error[L107]: path `flows/chargebacks/flow.yaml` leads outside the repository"),
                "{args:?}: {stderr}"
            );
            assert!(
                stderr.contains("--> flows/chargebacks/flow.yaml:1:1"),
                "{args:?}: {stderr}"
            );
        }
        assert!(!project.join("build").exists(), "a failed compile wrote output");
    }
}
