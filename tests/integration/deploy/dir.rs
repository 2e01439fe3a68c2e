//! Directory deploys: the compiled files published behind a link, only what changed
//! changed, stale files gone, foreign files kept, releases kept for rollback, dry runs,
//! the lock, and injected failures and crashes at every step.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{
    CHANGED_OUTPUT, change_sql, compiled, deploy, deploy_with, dir_target, files, files_phrase, record, snapshot,
};
use crate::support::{commit_all, example_repository, hex, text};

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
            "prod → {}: 0 files changed, {} added, 0 removed (release {release}, from main {})\n\
             pools.json changed: import it so the tasks' pools exist with these slots:\n  \
             airflow pools import {}/pools.json\n\
             ddl.sql changed: apply it before the DAGs run, so every table they write exists \
             (idempotent; what it cannot change in place, `flowc plan` lists):\n  \
             spark-sql -f {}/ddl.sql\n",
            link.display(),
            expected.len(),
            &head[..12],
            link.display(),
            link.display(),
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
    // The SQL, the DAG file naming its hash, the task's OpenLineage event (it holds
    // the SQL), the manifest, and the record.
    let allowed = BTreeSet::from([
        CHANGED_OUTPUT,
        "dags/payments.py",
        "openlineage/payments.dws_pay_channel_1d.json",
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
    assert!(
        stdout.ends_with(&format!(
            "; nothing written\npools.json would change: after the deploy, import it so the tasks' pools exist \
             with these slots:\n  airflow pools import {}/pools.json\n\
             ddl.sql would change: after the deploy, apply it before the DAGs run, so every table they write \
             exists (idempotent; what it cannot change in place, `flowc plan` lists):\n  spark-sql -f {}/ddl.sql\n",
            dags.join("wingpay_prod").display(),
            dags.join("wingpay_prod").display()
        )),
        "{stdout}"
    );
    assert!(!dags.exists(), "a dry run created the target (or its lock)");

    deploy(repo.path(), &["--env", "prod", "--target", &dir_target(&dags)]);
    let before = snapshot(&dags);
    change_sql(repo.path(), "COALESCE(8)");
    let stdout = deploy(
        repo.path(),
        &["--env", "prod", "--target", &dir_target(&dags), "--dry-run"],
    );
    assert!(stdout.contains(&format!("  ~ {CHANGED_OUTPUT}\n")), "{stdout}");
    assert!(
        stdout.ends_with(" (modified)); nothing written\n"),
        "pools unchanged: no reminder\n{stdout}"
    );
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
