//! The output folder of `flowc compile`, all or nothing: two compiles into one folder
//! never mix (F6), a second one waits for the lock, something in the way stops the
//! compile before anything changes (F5), an unchanged compile rewrites nothing and a
//! change rewrites only what changed, files flowc did not write stay; and in `kill`,
//! `kill -9` at a hundred moments of a compile and of a deploy (F12).

mod kill;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::thread;
use std::time::Duration;

use crate::support::{example_copy, flowc_command, flowc_in, names, text, tree};

/// `flowc compile . --env prod --out OUT` in `repo`.
fn compile(repo: &Path, out: &Path) -> Output {
    flowc_in(
        repo,
        &["compile", ".", "--env", "prod", "--out", &out.display().to_string()],
        b"",
    )
}

/// Prefixes every flow's description with `word`: every DAG file and the manifest
/// change, the SQL templates and DataX jobs do not.
fn describe(repo: &Path, word: &str) {
    for flow in fs::read_dir(repo.join("flows")).expect("flows") {
        let path = flow.expect("flow").path().join("flow.yaml");
        let yaml = fs::read_to_string(&path).expect("flow.yaml");
        let changed = yaml.replacen("\ndescription: ", &format!("\ndescription: {word} "), 1);
        assert_ne!(yaml, changed, "{} has no description", path.display());
        fs::write(&path, changed).expect("write");
    }
}

/// Every file's inode and modification time, by path.
#[cfg(unix)]
fn identities(root: &Path) -> BTreeMap<String, (u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    tree(root)
        .into_keys()
        .map(|path| {
            let metadata = fs::metadata(root.join(&path)).expect("metadata");
            (path, (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()))
        })
        .collect()
}

fn assert_succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Reliability finding F6: two compiles into one folder interleaved, giving B's DAGs
/// with A's manifest. Now the second waits for the first, and the folder holds exactly
/// one of them.
#[test]
fn concurrent_compiles_into_one_folder_never_mix() {
    let (a, b) = (example_copy(), example_copy());
    describe(b.path(), "B");
    let work = tempfile::tempdir().expect("temp dir");
    let (ref_a, ref_b) = (work.path().join("a"), work.path().join("b"));
    assert_succeeds(&compile(a.path(), &ref_a));
    assert_succeeds(&compile(b.path(), &ref_b));
    let (tree_a, tree_b) = (tree(&ref_a.join("prod")), tree(&ref_b.join("prod")));
    for round in 0..20 {
        let out = work.path().join(format!("out{round}"));
        let start = |repo: &Path| {
            flowc_command(repo)
                .args(["compile", ".", "--env", "prod", "--out", &out.display().to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("flowc starts")
        };
        let (first, second) = (start(a.path()), start(b.path()));
        for child in [first, second] {
            assert_succeeds(&child.wait_with_output().expect("wait"));
        }
        let result = tree(&out.join("prod"));
        assert!(
            result == tree_a || result == tree_b,
            "round {round}: the output is neither A nor B"
        );
    }
}

#[test]
fn a_compile_waits_for_the_lock() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), out.path()));
    let before = tree(&out.path().join("prod"));
    describe(repo.path(), "NEW");
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(out.path().join(".flowc/lock"))
        .expect("the lock file exists");
    lock.try_lock().expect("the test takes the lock");
    let mut child = flowc_command(repo.path())
        .args([
            "compile",
            ".",
            "--env",
            "prod",
            "--out",
            &out.path().display().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowc starts");
    let lock_path = out.path().join(".flowc/lock");
    let waiting = format!(
        "waiting for another flowc writing to {} (it holds {})",
        out.path().display(),
        lock_path.display()
    );
    // The compile itself runs in memory; only the write waits, and says so: read its
    // stderr until it does (however slow a loaded machine makes the compile).
    let stderr = child.stderr.take().expect("stderr piped");
    let (said, heard) = std::sync::mpsc::channel();
    let reader = thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = said.send(line);
        }
        all
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = heard.recv_timeout(left).expect("flowc says it is waiting for the lock");
        if line.contains(&waiting) {
            break;
        }
    }
    assert_eq!(
        tree(&out.path().join("prod")),
        before,
        "written while the lock was held"
    );
    drop(lock);
    let output = child.wait_with_output().expect("wait");
    let stderr = reader.join().expect("stderr read");
    assert!(output.status.success(), "{stderr}");
    assert_ne!(tree(&out.path().join("prod")), before);
}

/// Reliability finding F5: a folder where a compiled file must go failed the compile
/// half-way, leaving new DAGs beside the old manifest. Now nothing changes, exit 2; and
/// an I/O error in flowc's own folder changes nothing either.
#[test]
fn something_in_the_way_stops_the_compile_before_anything_changes() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), out.path()));
    let users = out.path().join("prod/dags/users.py");
    fs::remove_file(&users).expect("rm");
    fs::create_dir(&users).expect("mkdir");
    let before = tree(out.path());
    describe(repo.path(), "CHANGED");
    let output = compile(repo.path(), out.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(&format!(
            "error: cannot write the output: `{}` is a folder flowc did not write, where it must write a file",
            users.display()
        )),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(tree(out.path()), before, "the output changed");
    assert!(users.is_dir());
    assert_eq!(
        names(&out.path().join(".flowc/compile/prod")),
        Vec::<String>::new(),
        "a half-built output was left"
    );

    // flowc's own folder is blocked: an I/O error, before anything changes.
    let compile_store = out.path().join(".flowc/compile");
    fs::remove_dir_all(&compile_store).expect("rm");
    fs::write(&compile_store, "in the way").expect("write");
    fs::remove_dir(&users).expect("rmdir");
    let before = tree(&out.path().join("prod"));
    let output = compile(repo.path(), out.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("error: cannot "),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(tree(&out.path().join("prod")), before, "the output changed");

    fs::remove_file(&compile_store).expect("rm");
    assert_succeeds(&compile(repo.path(), out.path()));
    assert!(fs::read_to_string(&users).expect("users.py").contains("CHANGED"));
}

/// A read-only folder inside the output (finding F5's second case) does not stop the
/// switch: the new output is complete, and the previous one is kept aside with a
/// warning because it cannot be removed. Root ignores permissions, so there the check
/// is skipped.
#[cfg(unix)]
#[test]
fn a_read_only_folder_in_the_output_does_not_stop_the_switch() {
    use std::os::unix::fs::PermissionsExt;
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), out.path()));
    let sql = out.path().join("prod/dags/sql");
    fs::set_permissions(&sql, fs::Permissions::from_mode(0o555)).expect("chmod");
    if fs::write(sql.join("probe"), "").is_ok() {
        // Running as root: permissions do not apply.
        fs::remove_file(sql.join("probe")).expect("rm");
        return;
    }
    describe(repo.path(), "NEW");
    let output = compile(repo.path(), out.path());
    let stderr = text(&output.stderr);
    assert_succeeds(&output);
    assert!(stderr.contains("warning: kept "), "{stderr}");
    let fresh = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), fresh.path()));
    assert_eq!(tree(&out.path().join("prod")), tree(&fresh.path().join("prod")));
    for entry in fs::read_dir(out.path().join(".flowc/compile/prod")).expect("list") {
        let kept = entry.expect("entry").path();
        let _ = fs::set_permissions(kept.join("dags/sql"), fs::Permissions::from_mode(0o755));
    }
}

#[cfg(unix)]
#[test]
fn an_unchanged_compile_rewrites_nothing_and_a_change_only_what_changed() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), out.path()));
    let prod = out.path().join("prod");
    let (files, ids) = (tree(&prod), identities(&prod));
    let folder = fs::metadata(&prod).expect("metadata");
    let stdout = assert_succeeds(&compile(repo.path(), out.path()));
    assert!(
        stdout.contains(&format!("0 files written, {} unchanged, 0 removed", files.len())),
        "{stdout}"
    );
    assert_eq!(identities(&prod), ids, "an unchanged compile rewrote files");
    {
        use std::os::unix::fs::MetadataExt;
        let again = fs::metadata(&prod).expect("metadata");
        assert_eq!(
            (again.ino(), again.mtime()),
            (folder.ino(), folder.mtime()),
            "a new folder"
        );
    }

    // One SQL file changes: its template, its flow's DAG file, the task's OpenLineage
    // event (it holds the SQL) and the manifest are written; every other file is the
    // very same file (hard-linked, not rewritten).
    let sql = repo.path().join("flows/users/dim_user.sql");
    let changed = fs::read_to_string(&sql).expect("sql") + "-- changed\n";
    fs::write(&sql, changed).expect("write");
    let stdout = assert_succeeds(&compile(repo.path(), out.path()));
    let (after, after_ids) = (tree(&prod), identities(&prod));
    let rewritten: Vec<&String> = after.keys().filter(|path| after[*path] != files[*path]).collect();
    assert_eq!(
        rewritten,
        [
            "dags/sql/users/dim_user.sql",
            "dags/users.py",
            "manifest.json",
            "openlineage/users.dim_user.json"
        ],
        "{stdout}"
    );
    assert!(stdout.contains("4 files written"), "{stdout}");
    for (path, id) in &after_ids {
        if rewritten.contains(&path) {
            assert_ne!(id.0, ids[path].0, "{path} changed in place");
        } else {
            assert_eq!(id, &ids[path], "{path} was rewritten");
        }
    }
}

#[test]
fn files_flowc_did_not_write_stay_as_they_are() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), out.path()));
    let prod = out.path().join("prod");
    fs::write(prod.join("dags/mine.py"), "# hand-written\n").expect("write");
    fs::create_dir_all(prod.join("notes/empty")).expect("mkdir");
    fs::write(prod.join("notes/todo.md"), "- review\n").expect("write");
    fs::create_dir_all(prod.join("dags/sql/users/extra")).expect("mkdir");
    fs::write(prod.join("dags/sql/users/extra/x.sql"), "SELECT 1\n").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../notes/todo.md", prod.join("dags/todo.md")).expect("link");
    let foreign: BTreeMap<String, Vec<u8>> = ["dags/mine.py", "notes/todo.md", "dags/sql/users/extra/x.sql"]
        .into_iter()
        .map(|path| (path.to_owned(), fs::read(prod.join(path)).expect("read")))
        .collect();
    describe(repo.path(), "NEW");
    let fresh = tempfile::tempdir().expect("temp dir");
    assert_succeeds(&compile(repo.path(), fresh.path()));
    assert_succeeds(&compile(repo.path(), out.path()));
    let mut expected = tree(&fresh.path().join("prod"));
    expected.extend(foreign);
    let mut got = tree(&prod);
    #[cfg(unix)]
    {
        assert_eq!(
            fs::read_link(prod.join("dags/todo.md")).expect("still a link"),
            Path::new("../notes/todo.md")
        );
        got.remove("dags/todo.md");
    }
    assert_eq!(got, expected);
    assert!(prod.join("notes/empty").is_dir(), "an empty folder went");
}
