//! `flowc deploy` with the real binary on real git repositories built with git2 in
//! temp dirs: a directory deploy publishes exactly what `flowc compile` writes behind
//! a link, changes only what changed, never deletes what it did not deploy, locks,
//! dry-runs, survives an injected failure or crash at every step, and is loaded by real
//! Airflow 2.10 and 3.x with every DAG exactly once; a branch deploy commits only its
//! own files, repeats nothing, and leaves the work tree, index and HEAD alone, also in
//! a bare clone.
//!
//! This file holds what the tests share; they are in `dir`, `airflow` and `branch`.

mod airflow;
mod branch;
mod dir;
mod guard;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{flowc_command, text};

/// The SQL file the tests change, and what it is compiled to.
const CHANGED_SQL: &str = "flows/payments/dws_pay_channel_1d.sql";
const CHANGED_OUTPUT: &str = "dags/sql/payments/dws_pay_channel_1d.sql";

/// Edits the SQL file the tests change (a hint only: the SQL means the same).
fn change_sql(project: &Path, hint: &str) {
    let path = project.join(CHANGED_SQL);
    let sql = fs::read_to_string(&path).expect("read SQL");
    let start = sql.find("/*+ ").expect("a hint in the SQL") + "/*+ ".len();
    let end = start + sql[start..].find(" */").expect("the hint's end");
    let changed = format!("{}{hint}{}", &sql[..start], &sql[end..]);
    assert_ne!(sql, changed, "{CHANGED_SQL} already has hint {hint}");
    fs::write(&path, changed).expect("write SQL");
}

/// Runs `flowc deploy ARGS` in `dir` with the extra environment variables `env`.
fn deploy_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = flowc_command(dir);
    command
        .arg("deploy")
        .args(args)
        .env_remove("FLOWC_DEPLOY_FAIL_AFTER")
        .env_remove("FLOWC_DEPLOY_ABORT");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("flowc runs")
}

/// `flowc deploy ARGS` in `dir`, which must succeed; returns stdout.
fn deploy(dir: &Path, args: &[&str]) -> String {
    let output = deploy_with(dir, args, &[]);
    assert!(
        output.status.success(),
        "flowc deploy {args:?} failed ({}):\n{}{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn is_python(path: &str) -> bool {
    Path::new(path).extension() == Some(OsStr::new("py"))
}

/// `1 file`, `3 files`, as the output says.
fn files_phrase(count: usize) -> String {
    if count == 1 {
        "1 file".to_owned()
    } else {
        format!("{count} files")
    }
}

fn dir_target(path: &Path) -> String {
    format!("dir:{}", path.display())
}

/// What a folder holds, links not followed: files with their bytes, links with their
/// targets, folders.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Link(PathBuf),
    Folder,
}

fn snapshot(root: &Path) -> BTreeMap<String, Node> {
    fn walk(root: &Path, dir: &Path, nodes: &mut BTreeMap<String, Node>) {
        for entry in fs::read_dir(dir).expect("list") {
            let path = entry.expect("entry").path();
            let relative = path.strip_prefix(root).expect("inside").to_string_lossy().into_owned();
            let kind = fs::symlink_metadata(&path).expect("metadata").file_type();
            if kind.is_symlink() {
                nodes.insert(relative, Node::Link(fs::read_link(&path).expect("link")));
            } else if kind.is_dir() {
                nodes.insert(relative, Node::Folder);
                walk(root, &path, nodes);
            } else {
                nodes.insert(relative, Node::File(fs::read(&path).expect("read")));
            }
        }
    }
    let mut nodes = BTreeMap::new();
    walk(root, root, &mut nodes);
    nodes
}

/// Every file below `root` (a link to a folder is followed at the top only).
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(&root.join("."))
        .into_iter()
        .filter_map(|(path, node)| match node {
            Node::File(bytes) => Some((path, bytes)),
            _ => None,
        })
        .collect()
}

/// `flowc compile --env ENV` of `project` (at `rev`, if given) into a temp dir.
fn compiled(project: &Path, env: &str, rev: Option<&str>) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().expect("temp dir");
    let out_arg = out.path().display().to_string();
    let mut args = vec!["compile", ".", "--env", env, "--out", &out_arg];
    if let Some(rev) = rev {
        args.extend(["--rev", rev]);
    }
    // The reference compile keeps its SQL analysis cache out of the work tree the
    // deploy tests watch (libgit2's status lists the cache's self-ignoring folder).
    let output = flowc_command(project)
        .args(&args)
        .env("FLOWC_CACHE_DIR", out.path().join("cache"))
        .output()
        .expect("flowc runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    files(&out.path().join(env))
}

fn record(folder: &Path) -> Value {
    serde_json::from_slice(&fs::read(folder.join(".flowc-deploy.json")).expect("a deploy record")).expect("JSON")
}
