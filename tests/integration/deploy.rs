//! `flowc deploy` with the real binary on real git repositories built with git2 in
//! temp dirs: a directory deploy publishes exactly what `flowc compile` writes behind
//! a link, changes only what changed, never deletes what it did not deploy, locks,
//! dry-runs, survives an injected failure or crash at every step, and is loaded by real
//! Airflow 2.10 and 3.x with every DAG exactly once; a branch deploy commits only its
//! own files, repeats nothing, and leaves the work tree, index and HEAD alone, also in
//! a bare clone.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use git2::build::{RepoBuilder, TreeUpdateBuilder};
use git2::{FileMode, ObjectType, Oid, Repository, RepositoryInitOptions, Signature, TreeWalkMode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::airflow::{AirflowVersion, SAMPLE_LOGICAL_DATE, connections_read, for_both_versions, inspect_with};
use crate::{commit_all, text};

/// The SQL file the tests change, and what it is compiled to.
const CHANGED_SQL: &str = "flows/payments/dws_pay_channel_1d.sql";
const CHANGED_OUTPUT: &str = "dags/sql/payments/dws_pay_channel_1d.sql";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/wingpay")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A git repository (branch `main`) whose folder `project` (empty: the root) holds
/// the example, committed.
fn example_repository(project: &str) -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&example(), &dir.path().join(project));
    let mut options = RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = Repository::init_opts(dir.path(), &options).expect("git init");
    commit_all(&repository, "the example");
    (dir, repository)
}

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
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowc"));
    command
        .arg("deploy")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
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

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, b| {
        let _ = write!(text, "{b:02x}");
        text
    })
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
    let output = Command::new(env!("CARGO_BIN_EXE_flowc"))
        .args(&args)
        .current_dir(project)
        .output()
        .expect("flowc runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    files(&out.path().join(env))
}

fn record(folder: &Path) -> Value {
    serde_json::from_slice(&fs::read(folder.join(".flowc-deploy.json")).expect("a deploy record")).expect("JSON")
}

fn live_release(dags: &Path, link: &str) -> String {
    let target = fs::read_link(dags.join(link)).expect("the environment is a link");
    let expected_parent = Path::new(".flowc").join(link).join("releases");
    assert_eq!(target.parent(), Some(expected_parent.as_path()), "{}", target.display());
    target
        .file_name()
        .expect("a release folder")
        .to_string_lossy()
        .into_owned()
}

fn releases(dags: &Path, link: &str) -> BTreeSet<String> {
    fs::read_dir(dags.join(".flowc").join(link).join("releases"))
        .expect("releases")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Files of people other than flowc, in the DAGs folder.
fn add_foreign_files(dags: &Path) {
    fs::create_dir_all(dags.join("team_b")).expect("mkdir");
    fs::write(dags.join("team_b/their_dag.py"), "# not flowc's\n").expect("write");
    fs::write(dags.join("mine.py"), "# hand-written\n").expect("write");
    fs::write(dags.join(".airflowignore"), "team_c/\n").expect("write");
}

fn assert_foreign_files_kept(dags: &Path) {
    for (path, content) in [
        ("team_b/their_dag.py", "# not flowc's\n"),
        ("mine.py", "# hand-written\n"),
        (".airflowignore", "team_c/\n"),
    ] {
        assert_eq!(
            fs::read_to_string(dags.join(path)).ok().as_deref(),
            Some(content),
            "{path} was touched"
        );
    }
}

#[test]
fn a_dir_deploy_publishes_the_compiled_files_behind_a_link_and_repeats_nothing() {
    let (repo, repository) = example_repository("");
    let head = repository.head().expect("HEAD").target().expect("a commit").to_string();
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    add_foreign_files(&dags);
    let stdout = deploy(
        repo.path(),
        &["--env", "prod", "--rev", "main", "--target", &dir_target(&dags)],
    );
    let link = dags.join("wingpay_prod");
    let release = live_release(&dags, "wingpay_prod");
    let record = record(&link);
    let expected = compiled(repo.path(), "prod", Some("main"));
    assert_eq!(
        stdout,
        format!(
            "prod → {}: 0 files changed, {} added, 0 removed (release {release}, from main {})\n",
            link.display(),
            expected.len(),
            &head[..12]
        )
    );
    // Exactly what `flowc compile` writes, plus the record.
    let mut deployed = files(&link);
    assert!(deployed.remove(".flowc-deploy.json").is_some());
    assert_eq!(deployed, expected);
    assert_eq!(record["project"], "wingpay");
    assert_eq!(record["environment"], "prod");
    assert_eq!(record["release"], release.as_str());
    assert_eq!(
        record["source"],
        serde_json::json!({"revision": "main", "commit": head, "work_tree": false, "modified": false})
    );
    let hashes = record["files"].as_object().expect("files");
    assert_eq!(hashes.len(), expected.len());
    for (path, bytes) in &expected {
        assert_eq!(hashes[path], hex(&Sha256::digest(bytes)), "{path}");
    }
    assert_foreign_files_kept(&dags);

    let before = snapshot(&dags);
    let again = deploy(
        repo.path(),
        &["--env", "prod", "--rev", "main", "--target", &dir_target(&dags)],
    );
    assert_eq!(
        again,
        format!(
            "prod → {}: already deployed (release {release}, from main {})\n",
            link.display(),
            &head[..12]
        )
    );
    assert_eq!(snapshot(&dags), before, "an identical deploy changed the folder");

    // From the work tree: the record names HEAD and says whether it was modified.
    change_sql(repo.path(), "COALESCE(2)");
    deploy(repo.path(), &["--env", "prod", "--target", &dir_target(&dags)]);
    assert_eq!(
        self::record(&link)["source"],
        serde_json::json!({"revision": null, "commit": head, "work_tree": true, "modified": true})
    );
}

#[test]
fn a_new_commit_changes_only_its_files_and_stale_files_go() {
    let (repo, repository) = example_repository("");
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    add_foreign_files(&dags);
    let args = ["--env", "prod", "--rev", "main", "--target", &dir_target(&dags)];
    deploy(repo.path(), &args);
    let link = dags.join("wingpay_prod");
    let first_release = live_release(&dags, "wingpay_prod");
    let first = files(&link);

    change_sql(repo.path(), "COALESCE(8)");
    commit_all(&repository, "more partitions");
    let stdout = deploy(repo.path(), &args);
    let second_release = live_release(&dags, "wingpay_prod");
    let second = files(&link);
    let changed: BTreeSet<&str> = first
        .iter()
        .filter(|(path, bytes)| second.get(*path) != Some(*bytes))
        .map(|(path, _)| path.as_str())
        .collect();
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    assert!(changed.contains(CHANGED_OUTPUT), "{changed:?}");
    // The SQL, the DAG file naming its hash, the manifest, and the record.
    let allowed = BTreeSet::from([
        CHANGED_OUTPUT,
        "dags/payments.py",
        "manifest.json",
        ".flowc-deploy.json",
    ]);
    assert!(changed.is_subset(&allowed), "{changed:?}");
    assert!(
        stdout.contains(&format!(
            ": {} changed, 0 added, 0 removed (release {second_release}, from main ",
            files_phrase(changed.len() - 1)
        )),
        "{stdout}"
    );
    assert_eq!(
        releases(&dags, "wingpay_prod"),
        BTreeSet::from([first_release.clone(), second_release.clone()])
    );

    // A flow removed: its DAG and SQL files are stale and go; the previous release
    // (kept for rollback) still has them; the oldest release is removed.
    fs::remove_dir_all(repo.path().join("flows/chargebacks")).expect("remove the flow");
    commit_all(&repository, "no more chargebacks");
    let stdout = deploy(repo.path(), &args);
    let third_release = live_release(&dags, "wingpay_prod");
    let third = files(&link);
    let removed: Vec<&String> = second.keys().filter(|path| !third.contains_key(*path)).collect();
    assert!(removed.iter().any(|path| *path == "dags/chargebacks.py"), "{removed:?}");
    assert!(
        removed
            .iter()
            .all(|path| path.contains("chargeback") || path.starts_with("datax/")),
        "{removed:?}"
    );
    assert!(stdout.contains(&format!(", {} removed (", removed.len())), "{stdout}");
    assert!(!link.join("dags/chargebacks.py").exists());
    assert_eq!(
        releases(&dags, "wingpay_prod"),
        BTreeSet::from([second_release.clone(), third_release])
    );
    let previous = dags.join(".flowc/wingpay_prod/releases").join(&second_release);
    assert!(
        previous.join("dags/chargebacks.py").is_file(),
        "the previous release is kept whole"
    );
    assert_foreign_files_kept(&dags);

    // Rolling back to the commit of the previous release reuses it.
    let stdout = deploy(
        repo.path(),
        &["--env", "prod", "--rev", "main~1", "--target", &dir_target(&dags)],
    );
    assert!(
        stdout.contains(&format!("(release {second_release}, from main~1 ")),
        "{stdout}"
    );
    assert_eq!(live_release(&dags, "wingpay_prod"), second_release);
    assert_eq!(files(&link), second);
}

#[test]
fn a_dry_run_lists_the_changes_and_touches_nothing() {
    let (repo, _repository) = example_repository("");
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    let stdout = deploy(
        repo.path(),
        &["--env", "prod", "--target", &dir_target(&dags), "--dry-run"],
    );
    assert!(stdout.contains("  + dags/payments.py\n"), "{stdout}");
    assert!(stdout.contains("(dry run): would change 0 files, add "), "{stdout}");
    assert!(stdout.ends_with("; nothing written\n"), "{stdout}");
    assert!(!dags.exists(), "a dry run created the target (or its lock)");

    deploy(repo.path(), &["--env", "prod", "--target", &dir_target(&dags)]);
    let before = snapshot(&dags);
    change_sql(repo.path(), "COALESCE(8)");
    let stdout = deploy(
        repo.path(),
        &["--env", "prod", "--target", &dir_target(&dags), "--dry-run"],
    );
    assert!(stdout.contains(&format!("  ~ {CHANGED_OUTPUT}\n")), "{stdout}");
    assert!(stdout.contains(" (modified)); nothing written\n"), "{stdout}");
    assert_eq!(snapshot(&dags), before);

    // Errors in the repository: nothing deployed, exit 1.
    fs::write(repo.path().join("flowc.yaml"), "project: [broken\n").expect("break flowc.yaml");
    let output = deploy_with(repo.path(), &["--env", "prod", "--target", &dir_target(&dags)], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with("deploy stopped: "),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(snapshot(&dags), before);
}

#[test]
fn a_running_deploy_holds_the_lock() {
    let (repo, _repository) = example_repository("");
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    let args = ["--env", "prod", "--target", &dir_target(&dags)];
    deploy(repo.path(), &args);
    change_sql(repo.path(), "COALESCE(8)");
    let before = snapshot(&dags);
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(dags.join(".flowc/lock"))
        .expect("the lock file exists");
    lock.try_lock().expect("the test takes the lock");
    let output = deploy_with(repo.path(), &args, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("error: another deploy to `{}` is running", dags.display())),
        "{stderr}"
    );
    assert_eq!(snapshot(&dags), before);
    drop(lock);
    let stdout = deploy(repo.path(), &args);
    assert!(stdout.contains(" changed, 0 added, 0 removed (release "), "{stdout}");
}

#[test]
fn an_interrupted_deploy_leaves_the_previous_release_live_and_the_next_one_cleans_up() {
    let (repo, repository) = example_repository("");
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    let args = ["--env", "prod", "--rev", "main", "--target", &dir_target(&dags)];
    deploy(repo.path(), &args);
    let link = dags.join("wingpay_prod");
    let store = dags.join(".flowc/wingpay_prod");
    let live = live_release(&dags, "wingpay_prod");
    let live_files = files(&link);
    change_sql(repo.path(), "COALESCE(8)");
    commit_all(&repository, "more partitions");
    let expected = compiled(repo.path(), "prod", Some("main"));

    for (variable, value, leftover) in [
        ("FLOWC_DEPLOY_FAIL_AFTER", "5", "staging"),
        ("FLOWC_DEPLOY_ABORT", "before-release", "staging"),
        ("FLOWC_DEPLOY_ABORT", "before-switch", "releases"),
    ] {
        let output = deploy_with(repo.path(), &args, &[(variable, value)]);
        let context = format!("{variable}={value}: {}", text(&output.stderr));
        if variable == "FLOWC_DEPLOY_ABORT" {
            assert_eq!(output.status.code(), None, "{context}: not killed by a signal");
        } else {
            assert_eq!(output.status.code(), Some(2), "{context}");
            assert!(
                text(&output.stderr).contains("injected failure after 5 files"),
                "{context}"
            );
        }
        assert_eq!(live_release(&dags, "wingpay_prod"), live, "{context}");
        assert_eq!(files(&link), live_files, "{context}: the live release changed");
        assert!(store.join(leftover).exists(), "{context}: nothing left to clean up");
        let top: Vec<String> = fs::read_dir(&dags)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(
            top,
            [".flowc", "wingpay_prod"],
            "{context}: a second link in the DAGs folder"
        );
    }
    assert_eq!(
        releases(&dags, "wingpay_prod").len(),
        2,
        "the crashed release is complete but not live"
    );

    let stdout = deploy(repo.path(), &args);
    assert!(stdout.contains("changed, 0 added, 0 removed"), "{stdout}");
    assert!(!store.join("staging").exists());
    assert!(!store.join("next-link").exists());
    let mut deployed = files(&link);
    deployed.remove(".flowc-deploy.json");
    assert_eq!(deployed, expected);

    // Killed right after the switch: the new release is live and complete; old
    // releases are removed by the next deploy that changes something.
    change_sql(repo.path(), "COALESCE(16)");
    commit_all(&repository, "even more partitions");
    let output = deploy_with(repo.path(), &args, &[("FLOWC_DEPLOY_ABORT", "after-switch")]);
    assert_eq!(output.status.code(), None);
    let mut deployed = files(&link);
    deployed.remove(".flowc-deploy.json");
    assert_eq!(deployed, compiled(repo.path(), "prod", Some("main")));
    let stdout = deploy(repo.path(), &args);
    assert!(stdout.contains(": already deployed ("), "{stdout}");
}

/// Dev and prod of the example deployed into one folder twice (the second time
/// changed), then a third deploy of each interrupted (prod crashed before the switch,
/// dev failing half-way): Airflow's own walk finds each live DAG file once, through its
/// link, in both `.airflowignore` syntaxes; both Airflow versions load every DAG exactly
/// once without import errors; `{{ dag.folder }}/../datax` resolves through the link.
#[test]
fn airflow_loads_each_deployed_dag_exactly_once() {
    let (repo, repository) = example_repository("");
    let target = tempfile::tempdir().expect("temp dir");
    let dags = target.path().join("dags");
    fs::create_dir_all(&dags).expect("mkdir");
    let deploy_both = |env: &[(&str, &str)]| {
        for environment in ["dev", "prod"] {
            let output = deploy_with(
                repo.path(),
                &["--env", environment, "--rev", "main", "--target", &dir_target(&dags)],
                env,
            );
            if env.is_empty() {
                assert!(output.status.success(), "{}", text(&output.stderr));
            }
        }
    };
    deploy_both(&[]);
    change_sql(repo.path(), "COALESCE(8)");
    commit_all(&repository, "more partitions");
    deploy_both(&[]);
    let live: BTreeMap<&str, BTreeMap<String, Vec<u8>>> = ["wingpay_dev", "wingpay_prod"]
        .into_iter()
        .map(|link| (link, files(&dags.join(link))))
        .collect();
    change_sql(repo.path(), "COALESCE(16)");
    commit_all(&repository, "even more partitions");
    deploy_with(
        repo.path(),
        &["--env", "prod", "--rev", "main", "--target", &dir_target(&dags)],
        &[("FLOWC_DEPLOY_ABORT", "before-switch")],
    );
    deploy_with(
        repo.path(),
        &["--env", "dev", "--rev", "main", "--target", &dir_target(&dags)],
        &[("FLOWC_DEPLOY_FAIL_AFTER", "20")],
    );
    for (link, files) in &live {
        assert_eq!(&self::files(&dags.join(link)), files, "{link} changed");
    }
    // Old, crashed and staged copies of the DAG files are in the store.
    let stored_dag_files = snapshot(&dags.join(".flowc"))
        .keys()
        .filter(|path| path.contains("/dags/") && is_python(path))
        .count();
    assert!(stored_dag_files > 4 * 7, "{stored_dag_files}");

    // What Airflow's safe-mode heuristic keeps: Python files naming both words.
    let mut expected_files = Vec::new();
    let mut dag_ids = BTreeSet::new();
    for (link, files) in &live {
        for (path, bytes) in files {
            let lower = String::from_utf8_lossy(bytes).to_lowercase();
            if is_python(path) && lower.contains("airflow") && lower.contains("dag") {
                expected_files.push(format!("{link}/{path}"));
            }
            if let Some(dag_id) = path.strip_prefix("dags/").and_then(|p| p.strip_suffix(".py")) {
                dag_ids.insert(dag_id.to_owned());
            }
        }
    }
    expected_files.sort();
    assert_eq!(dag_ids.len(), 14, "{dag_ids:?}");

    let mut pools = BTreeSet::new();
    let mut extra: Vec<String> = vec![
        "--conf".to_owned(),
        format!(r#"{{"bizdate": "{SAMPLE_LOGICAL_DATE}"}}"#),
    ];
    for link in live.keys() {
        let pools_file: Value =
            serde_json::from_slice(&fs::read(dags.join(link).join("pools.json")).expect("pools")).expect("JSON");
        pools.extend(pools_file.as_object().expect("pools").keys().cloned());
        for conn_id in connections_read(&dags.join(link).join("dags")) {
            extra.push("--connection".to_owned());
            extra.push(format!(
                "{conn_id}=mysql://{}:{}@db.test:3306/x",
                crate::airflow::test_login(&conn_id),
                crate::airflow::test_password(&conn_id)
            ));
        }
    }
    let pools_path = target.path().join("pools.json");
    fs::write(&pools_path, serde_json::to_vec(&pools).expect("JSON")).expect("write pools");

    for_both_versions(|version| {
        for syntax in ["regexp", "glob"] {
            assert_eq!(
                airflow_dag_files(version, &dags, syntax),
                expected_files,
                "{version:?} {syntax}"
            );
        }
        let extra: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
        let report = inspect_with(version, &dags, Some(&pools_path), &extra);
        assert_eq!(report["import_errors"], serde_json::json!({}), "{version:?}");
        let loaded: BTreeSet<String> = report["dags"].as_object().expect("dags").keys().cloned().collect();
        assert_eq!(loaded, dag_ids, "{version:?}");
        // The harness walks the folder itself, without Airflow's ignore rules: it
        // reports the store's copies as files without a DAG. Nothing else may fail.
        let problems: Vec<&str> = report["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| p.as_str().expect("text"))
            .filter(|p| !p.starts_with(".flowc/"))
            .collect();
        assert!(problems.is_empty(), "{version:?}: {problems:#?}");
        let mut datax_paths = 0;
        for (dag_id, dag) in report["dags"].as_object().expect("dags") {
            let link = if dag_id.starts_with("dev__") {
                "wingpay_dev"
            } else {
                "wingpay_prod"
            };
            for task in dag["tasks"].as_object().expect("tasks").values() {
                let Some(command) = task["rendered"]["bash_command"].as_str() else {
                    continue;
                };
                for path in command.split('"').filter(|part| part.contains("/../datax/")) {
                    let through_link = format!("{}/dags/../datax/", dags.join(link).display());
                    assert!(path.starts_with(&through_link), "{version:?} {dag_id}: {path}");
                    assert!(
                        Path::new(path).is_file(),
                        "{version:?} {dag_id}: {path} does not resolve"
                    );
                    datax_paths += 1;
                }
            }
        }
        assert!(datax_paths >= 2, "{version:?}: no DataX job path rendered");
    });
}

/// Airflow's own list of the files its DAG processor would parse in `folder`.
fn airflow_dag_files(version: AirflowVersion, folder: &Path, syntax: &str) -> Vec<String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = match version {
        AirflowVersion::V2_10 => "airflow-2.10",
        AirflowVersion::V3 => "airflow-3",
    };
    let output = Command::new(repo.join(".venv").join(venv).join("bin/python"))
        .arg(repo.join("tests/airflow/dag_files.py"))
        .arg(folder)
        .args(["--ignore-syntax", syntax])
        .output()
        .expect("the venv's python runs");
    assert!(
        output.status.success(),
        "dag_files.py {version:?} {syntax}: {}",
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list")
}

/// Path → blob id of every file below `folder` of a tree.
fn tree_files(repository: &Repository, tree: Oid, folder: &str) -> BTreeMap<String, Oid> {
    let tree = repository.find_tree(tree).expect("tree");
    let mut found = BTreeMap::new();
    tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            let path = format!("{root}{}", entry.name().expect("utf-8"));
            if folder.is_empty() || path.starts_with(&format!("{folder}/")) {
                found.insert(path, entry.id());
            }
        }
        git2::TreeWalkResult::Ok
    })
    .expect("walk");
    found
}

fn branch_tip<'r>(repository: &'r Repository, branch: &str) -> git2::Commit<'r> {
    repository
        .find_reference(&format!("refs/heads/{branch}"))
        .expect("the branch exists")
        .peel_to_commit()
        .expect("a commit")
}

fn blob_ids(files: &BTreeMap<String, Vec<u8>>, folder: &str) -> BTreeMap<String, Oid> {
    files
        .iter()
        .map(|(path, bytes)| {
            (
                format!("{folder}/{path}"),
                Oid::hash_object(ObjectType::Blob, bytes).expect("hash"),
            )
        })
        .collect()
}

#[test]
fn a_branch_deploy_commits_only_its_files_and_leaves_the_work_tree_alone() {
    let (repo, repository) = example_repository("");
    let head = repository.head().expect("HEAD").target().expect("commit");
    let index = repo.path().join(".git/index");
    let index_bytes = fs::read(&index).expect("index");
    let args = ["--env", "prod", "--rev", "main", "--target", "branch:deploy/prod"];
    let stdout = deploy(repo.path(), &args);
    assert!(
        stdout.contains("prod → branch deploy/prod:wingpay_prod: 0 files changed, "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("publish it with `git push <remote> deploy/prod`\n"),
        "{stdout}"
    );
    let first = branch_tip(&repository, "deploy/prod");
    assert_eq!(first.parent_count(), 0);
    let message = first.message().expect("utf-8");
    assert!(
        message.starts_with(&format!("Deploy prod from main ({})\n", &head.to_string()[..12])),
        "{message}"
    );
    assert!(
        message.contains(&format!("\nFlowc-Source-Commit: {head}\n")),
        "{message}"
    );
    let mut expected = blob_ids(&compiled(repo.path(), "prod", Some("main")), "wingpay_prod");
    let on_branch = tree_files(&repository, first.tree_id(), "");
    assert!(on_branch.contains_key("wingpay_prod/.flowc-deploy.json"));
    expected.insert(
        "wingpay_prod/.flowc-deploy.json".to_owned(),
        on_branch["wingpay_prod/.flowc-deploy.json"],
    );
    assert_eq!(on_branch, expected);

    let stdout = deploy(repo.path(), &args);
    assert!(stdout.contains(": already deployed (release "), "{stdout}");
    assert_eq!(
        branch_tip(&repository, "deploy/prod").id(),
        first.id(),
        "a commit without changes"
    );

    // Someone else's files on the deploy branch.
    let signature = Signature::now("Other", "other@example.com").expect("signature");
    let mut update = TreeUpdateBuilder::new();
    for (path, content) in [("README.md", "deploy branch\n"), ("wingpay_prod/NOTES.md", "notes\n")] {
        update.upsert(path, repository.blob(content.as_bytes()).expect("blob"), FileMode::Blob);
    }
    let foreign_tree = repository
        .find_tree(
            update
                .create_updated(&repository, &first.tree().expect("tree"))
                .expect("tree"),
        )
        .expect("tree");
    let foreign = repository
        .commit(
            Some("refs/heads/deploy/prod"),
            &signature,
            &signature,
            "notes",
            &foreign_tree,
            &[&first],
        )
        .expect("commit");

    change_sql(repo.path(), "COALESCE(8)");
    let source = commit_all(&repository, "more partitions");
    let index_bytes_after_commit = fs::read(&index).expect("index");
    let stdout = deploy(repo.path(), &args);
    let second = branch_tip(&repository, "deploy/prod");
    assert_eq!(second.parent_ids().collect::<Vec<_>>(), [foreign], "one commit on top");
    let before = tree_files(&repository, foreign_tree.id(), "");
    let after = tree_files(&repository, second.tree_id(), "");
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    let changed: BTreeSet<&str> = before
        .iter()
        .filter(|(path, id)| after[*path] != **id)
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(
        changed.contains(format!("wingpay_prod/{CHANGED_OUTPUT}").as_str()),
        "{changed:?}"
    );
    assert!(changed.contains("wingpay_prod/.flowc-deploy.json"));
    assert!(
        stdout.contains(&format!(
            ": {} changed, 0 added, 0 removed (commit ",
            files_phrase(changed.len() - 1)
        )),
        "{stdout}"
    );
    assert!(!changed.contains("README.md") && !changed.contains("wingpay_prod/NOTES.md"));
    let compiled_now = blob_ids(&compiled(repo.path(), "prod", Some("main")), "wingpay_prod");
    for (path, id) in &compiled_now {
        assert_eq!(after.get(path), Some(id), "{path}");
    }
    assert!(
        second
            .message()
            .expect("utf-8")
            .contains(&format!("Flowc-Source-Commit: {source}\n"))
    );

    // HEAD, the index and the work tree are the test's own, untouched by flowc.
    assert_eq!(repository.head().expect("HEAD").name().ok(), Some("refs/heads/main"));
    assert_eq!(repository.head().expect("HEAD").target(), Some(source));
    assert_eq!(fs::read(&index).expect("index"), index_bytes_after_commit);
    assert_ne!(
        index_bytes, index_bytes_after_commit,
        "the test's own commit changed the index"
    );
    let statuses = repository.statuses(None).expect("status");
    assert!(statuses.is_empty(), "the work tree changed");

    // A checked-out branch is refused.
    let output = deploy_with(
        repo.path(),
        &["--env", "prod", "--rev", "main", "--target", "branch:main"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("it is checked out in a work tree"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_bare_clone_deploys_a_project_in_a_sub_folder() {
    let (source, _repository) = example_repository("pipelines");
    let clones = tempfile::tempdir().expect("temp dir");
    let bare_path = clones.path().join("wingpay.git");
    let bare = RepoBuilder::new()
        .bare(true)
        .clone(&source.path().display().to_string(), &bare_path)
        .expect("a local bare clone");
    let main = bare
        .find_reference("refs/heads/main")
        .expect("main")
        .target()
        .expect("commit");
    let stdout = deploy(
        clones.path(),
        &[
            "wingpay.git",
            "--env",
            "prod",
            "--rev",
            "main:pipelines",
            "--target",
            "branch:deploy/prod",
        ],
    );
    assert!(
        stdout.contains(&format!("from main {})", &main.to_string()[..12])),
        "{stdout}"
    );
    let tip = branch_tip(&bare, "deploy/prod");
    let on_branch = tree_files(&bare, tip.tree_id(), "wingpay_prod");
    let expected = blob_ids(
        &compiled(&source.path().join("pipelines"), "prod", Some("main")),
        "wingpay_prod",
    );
    for (path, id) in &expected {
        assert_eq!(on_branch.get(path), Some(id), "{path}");
    }
    assert_eq!(on_branch.len(), expected.len() + 1, "the files and the record");

    // The same bare clone deploys into a folder too.
    let dags = clones.path().join("dags");
    deploy(
        clones.path(),
        &[
            "wingpay.git",
            "--env",
            "prod",
            "--rev",
            "main:pipelines",
            "--target",
            &dir_target(&dags),
        ],
    );
    assert_eq!(record(&dags.join("wingpay_prod"))["source"]["commit"], main.to_string());
}
