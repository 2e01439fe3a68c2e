//! Branch deploys: a commit of only flowc's own files on the deploy branch, nothing
//! repeated, the work tree, index and HEAD left alone; and a bare clone deploying a
//! project in a sub-folder, to a branch and to a folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use git2::build::{RepoBuilder, TreeUpdateBuilder};
use git2::{FileMode, ObjectType, Oid, Repository, Signature, TreeWalkMode};

use super::{CHANGED_OUTPUT, change_sql, compiled, deploy, deploy_with, dir_target, files_phrase, record};
use crate::support::{commit_all, example_repository, text};

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

/// How the first deploy to `deploy/prod` ends: push it, import the pools, apply the DDL.
const FIRST_DEPLOY_TAIL: &str = "publish it with `git push <remote> deploy/prod`\n\
    pools.json changed: import it so the tasks' pools exist with these slots:\n  \
    airflow pools import <git-sync checkout>/wingpay_prod/pools.json\n\
    ddl.sql changed: apply it before the DAGs run, so every table they write exists \
    (idempotent; what it cannot change in place, `flowc plan` lists):\n  \
    spark-sql -f <git-sync checkout>/wingpay_prod/ddl.sql\n";

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
    assert!(stdout.ends_with(FIRST_DEPLOY_TAIL), "{stdout}");
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
