//! Integration tests: one binary, one module per area, each driving the real `flowc`.

mod access;
mod airflow;
mod architecture;
mod check_fixtures;
mod codeowners;
mod compile;
mod compile_snapshots;
mod datax_jobs;
mod datax_launcher;
mod datax_schema;
mod deploy;
mod environments;
mod examples;
mod git_rev;
mod github;
mod hostile;
mod mutations;
mod plan;
mod quality;
mod sql_lineage;
mod workflows;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `flowc` with `args`, feeding `stdin` to it.
pub(crate) fn flowc(args: &[&str], stdin: &[u8]) -> Output {
    flowc_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

/// Runs `flowc` in `dir` with `args`, feeding `stdin` to it.
pub(crate) fn flowc_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowc starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("stdin is written");
    child.wait_with_output().expect("flowc runs")
}

/// A process's stdout or stderr as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The author of every test commit, at a fixed time, so commit ids are the same on
/// every run.
pub(crate) fn signature() -> git2::Signature<'static> {
    git2::Signature::new("flowc tests", "tests@flowc.invalid", &git2::Time::new(1_700_000_000, 0)).expect("signature")
}

/// Commits every change of the work tree (additions and deletions) on HEAD.
pub(crate) fn commit_all(repository: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = repository.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add all");
    index.update_all(["*"], None).expect("stage deletions");
    index.write().expect("write index");
    let tree = repository
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let parent = repository.head().ok().and_then(|head| head.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repository
        .commit(Some("HEAD"), &signature(), &signature(), message, &tree, &parents)
        .expect("commit")
}
