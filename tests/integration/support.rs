//! What the test modules share: the repository's paths and its bundled example, running
//! the `flowc` binary under test, copying and reading folders, hex, and git commits with
//! a fixed author. Nothing here needs more than Rust and the binary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use git2::{Repository, RepositoryInitOptions};

/// The flowc repository itself (the package root): fixtures, examples, scripts, schemas.
pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled example, `examples/wingpay`.
pub(crate) fn example() -> PathBuf {
    repo_root().join("examples/wingpay")
}

/// Copies the example into a temp dir so a test may break it.
pub(crate) fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&example(), dir.path());
    dir
}

/// What `tree` gives of a compile's output folder, without the compile memo
/// (`.flowc/memo/`: what the last compile read and left, a cache that names inodes and
/// times, not output).
pub(crate) fn output_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = tree(root);
    files.retain(|path, _| !path.starts_with(".flowc/memo/"));
    files
}

/// A git repository (branch `main`) whose folder `project` (empty: the root) holds
/// the example, committed.
pub(crate) fn example_repository(project: &str) -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&example(), &dir.path().join(project));
    let mut options = RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = Repository::init_opts(dir.path(), &options).expect("git init");
    commit_all(&repository, "the example");
    (dir, repository)
}

/// The `flowc` binary under test, to run in `dir`, with colours off.
pub(crate) fn flowc_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowc"));
    command.current_dir(dir).env("NO_COLOR", "1");
    command
}

/// Runs `flowc` with `args` in the repository root, feeding `stdin` to it.
pub(crate) fn flowc(args: &[&str], stdin: &[u8]) -> Output {
    flowc_in(repo_root(), args, stdin)
}

/// Runs `flowc` in `dir` with `args`, feeding `stdin` to it.
pub(crate) fn flowc_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = flowc_command(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowc starts");
    if let Some(mut input) = child.stdin.take() {
        // A broken pipe means flowc stopped before reading (a bad flag): its exit
        // status and stderr say why, and the caller judges them.
        let _ = input.write_all(stdin);
    }
    child.wait_with_output().expect("flowc runs")
}

/// A process's stdout or stderr as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `bytes` as lowercase hex, two digits a byte.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Copies a folder recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    copy_dir_editing(from, to, &|_| None);
}

/// Copies a folder recursively; a file for which `edit` returns contents is written
/// with those instead of being copied. A `.flowc` folder (the SQL analysis cache a run
/// in the source folder left, git-ignored) is not copied: a copy starts cold.
pub(crate) fn copy_dir_editing(from: &Path, to: &Path, edit: &dyn Fn(&Path) -> Option<String>) {
    fs::create_dir_all(to).expect("create");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        if entry.file_name() == ".flowc" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir_editing(&entry.path(), &target, edit);
        } else if let Some(contents) = edit(&entry.path()) {
            fs::write(&target, contents).expect("write");
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The names in a folder, sorted.
pub(crate) fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .expect("folder lists")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file under `root`, relative `/`-separated path → bytes.
pub(crate) fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("folder lists") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("inside root")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(relative, fs::read(&path).expect("file reads"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

/// The author of every test commit, at a fixed time, so commit ids are the same on
/// every run.
pub(crate) fn signature() -> git2::Signature<'static> {
    git2::Signature::new("flowc tests", "tests@flowc.invalid", &git2::Time::new(1_700_000_000, 0)).expect("signature")
}

/// Commits every change of the work tree (additions and deletions) on HEAD.
pub(crate) fn commit_all(repository: &Repository, message: &str) -> git2::Oid {
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
