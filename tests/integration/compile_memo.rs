//! The compile memo (`<out>/.flowc/memo/`): a compile of unchanged inputs into an
//! unchanged output does no work and touches no file, and its output is byte for byte
//! a cold compile's; any edit, a damaged output, or a corrupt memo makes it compile
//! for real again. Whether a run was a memo hit shows in `--timings` (one stage: memo).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use crate::support::{commit_all, example_copy, example_repository, flowc_in, text, tree};

/// Compiles `repo` (prod) into `out` with `--timings`; returns the stage names.
fn compile(repo: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let out = out.display().to_string();
    let mut args = vec!["compile", ".", "--env", "prod", "--out", &out, "--timings"];
    args.extend_from_slice(extra);
    let output = flowc_in(repo, &args, b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    stderr
        .split("timings (wall clock):\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().split("  ").next().map(str::to_owned))
        .filter(|name| name != "total")
        .collect()
}

fn hit(stages: &[String]) -> bool {
    stages == ["memo"]
}

/// Every file under `dir` with its inode and modification time.
fn identities(dir: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    tree(dir)
        .into_keys()
        .map(|path| {
            let metadata = fs::metadata(dir.join(&path)).expect("metadata");
            (path, (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()))
        })
        .collect()
}

/// What a cold compile of `repo` writes into a new folder.
fn cold(repo: &Path) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(!hit(&compile(repo, dir.path(), &[])));
    tree(&dir.path().join("prod"))
}

#[test]
fn an_unchanged_compile_rewrites_nothing_and_is_byte_for_byte_a_cold_one() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    let first = compile(repo.path(), out.path(), &[]);
    assert!(first.contains(&"sql".to_owned()), "{first:?}");
    let before = identities(&out.path().join("prod"));
    assert!(hit(&compile(repo.path(), out.path(), &[])));
    assert_eq!(identities(&out.path().join("prod")), before, "no file rewritten");
    assert!(
        tree(&out.path().join("prod")) == cold(repo.path()),
        "a cold compile's output"
    );
    // Asking for something else is another memo.
    assert!(!hit(&compile(repo.path(), out.path(), &["--airflow-version", "3"])));
    assert!(hit(&compile(repo.path(), out.path(), &["--airflow-version", "3"])));
}

#[test]
fn an_edit_a_new_file_a_damaged_output_or_a_corrupt_memo_compiles_again() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    compile(repo.path(), out.path(), &[]);
    let sql = repo.path().join("flows/users/dim_user.sql");
    let mut edited = fs::read_to_string(&sql).expect("read");
    edited.push_str("\n-- a comment is a change of the rendered SQL\n");
    fs::write(&sql, edited).expect("edit");
    assert!(!hit(&compile(repo.path(), out.path(), &[])));
    assert!(
        tree(&out.path().join("prod")) == cold(repo.path()),
        "a cold compile's output"
    );
    assert!(hit(&compile(repo.path(), out.path(), &[])));

    // A new file in a folder the compile listed is read: this one is wrong, and says so.
    let tests = repo.path().join("flows/users/tests");
    fs::create_dir_all(&tests).expect("mkdir");
    fs::write(tests.join("empty.yaml"), "tests: []\n").expect("write");
    let out_arg = out.path().display().to_string();
    let failed = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", &out_arg], b"");
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    assert!(text(&failed.stderr).contains("empty.yaml"));
    // Gone again: the inputs are the remembered ones.
    fs::remove_dir_all(&tests).expect("remove");
    assert!(hit(&compile(repo.path(), out.path(), &[])));

    // An output file removed, or edited to the same size: compiled and put back.
    let dag = out.path().join("prod/dags/wingpay__users.py");
    let dag = if dag.exists() {
        dag
    } else {
        let dags = out.path().join("prod/dags");
        fs::read_dir(&dags)
            .expect("dags")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "py"))
            .expect("a DAG file")
    };
    let original = fs::read(&dag).expect("read");
    fs::remove_file(&dag).expect("remove");
    assert!(!hit(&compile(repo.path(), out.path(), &[])));
    assert!(fs::read(&dag).expect("put back") == original, "the DAG file is back");
    // Edited to the same size: the memo sees it (the output stage itself trusts sizes,
    // see src/output/mod.rs).
    let mut same_size = original.clone();
    same_size[0] = if same_size[0] == b'#' { b'!' } else { b'#' };
    fs::write(&dag, &same_size).expect("edit");
    assert!(!hit(&compile(repo.path(), out.path(), &[])));
    fs::remove_file(&dag).expect("remove");
    assert!(!hit(&compile(repo.path(), out.path(), &[])));

    // A corrupt memo is ignored, then rebuilt.
    for memo in fs::read_dir(out.path().join(".flowc/memo")).expect("memos") {
        fs::write(memo.expect("memo").path(), b"{\"format\":1,\"inputs\":").expect("corrupt");
    }
    assert!(!hit(&compile(repo.path(), out.path(), &[])));
    assert!(
        tree(&out.path().join("prod")) == cold(repo.path()),
        "a cold compile's output"
    );
    assert!(hit(&compile(repo.path(), out.path(), &[])));
}

#[test]
fn a_revision_compile_is_remembered_until_the_revision_moves() {
    let (dir, repository) = example_repository("");
    let out = tempfile::tempdir().expect("temp dir");
    assert!(!hit(&compile(dir.path(), out.path(), &["--rev", "main"])));
    assert!(hit(&compile(dir.path(), out.path(), &["--rev", "main"])));
    // The work tree is not the revision.
    fs::write(dir.path().join("flows/users/dim_user.sql"), "SELECT 1").expect("edit");
    assert!(hit(&compile(dir.path(), out.path(), &["--rev", "main"])));
    let sql = dir.path().join("flows/users/dim_user.sql");
    let mut edited = fs::read_to_string(crate::support::example().join("flows/users/dim_user.sql")).expect("read");
    edited.push_str("\n-- committed\n");
    fs::write(&sql, edited).expect("edit");
    commit_all(&repository, "a change");
    assert!(!hit(&compile(dir.path(), out.path(), &["--rev", "main"])));
}

#[test]
fn a_settled_input_is_not_read_again_yet_a_same_size_edit_in_place_compiles_again() {
    let repo = example_copy();
    // Inputs changed over two seconds ago are checked by their stamp (a stat) alone.
    std::thread::sleep(std::time::Duration::from_millis(2_200));
    let out = tempfile::tempdir().expect("temp dir");
    compile(repo.path(), out.path(), &[]);
    assert!(hit(&compile(repo.path(), out.path(), &[])));
    // The same file, the same size, another byte: written in place (same inode).
    let sql = repo.path().join("flows/users/dim_user.sql");
    let text = fs::read_to_string(&sql).expect("read");
    let edited = text.replacen("SELECT", "select", 1);
    assert_eq!(edited.len(), text.len());
    assert_ne!(edited, text);
    let before_edit = tree(&out.path().join("prod"));
    let mut file = fs::OpenOptions::new().write(true).open(&sql).expect("open");
    std::io::Write::write_all(&mut file, edited.as_bytes()).expect("write in place");
    drop(file);
    assert!(!hit(&compile(repo.path(), out.path(), &[])));
    let after_edit = tree(&out.path().join("prod"));
    assert!(after_edit != before_edit, "the edit shows");
    assert!(after_edit == cold(repo.path()), "a cold compile's output");
}
