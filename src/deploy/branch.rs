//! `--target branch:NAME`: an environment committed to a deploy branch that Airflow's
//! git-sync pulls (the rendered-manifests pattern).
//!
//! The environment's files go to `<project>_<env>/` on the branch, so a git-sync
//! checkout of the branch looks like a DAGs folder after a directory deploy, and
//! several environments or projects can share one branch. The commit is built from
//! git objects alone (blobs, a tree updated from the branch's tip, a commit whose
//! parent is the tip, or none for a new branch) and the branch moves only if nobody
//! moved it meanwhile: the work tree, the index and `HEAD` are never touched, and bare
//! clones work. `<project>_<env>/.flowc-deploy.json` lists the files flowc deployed;
//! only those are replaced or removed, everything else on the branch stays. The same
//! files again make no commit. Pushing is left to `git push`, where CI keeps its
//! credentials.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{ErrorCode, FileMode, ObjectType, Oid, Repository, Signature, Tree};

use super::release::{Changes, DeployRecord, Deployment, Outcome, RECORD_FILE, Release};
use crate::Error;

/// Author and committer when git has no `user.name`/`user.email`.
const FALLBACK_NAME: &str = "flowc";
const FALLBACK_EMAIL: &str = "flowc@localhost";

/// A branch of the git repository containing a folder.
#[derive(Clone, Debug)]
pub struct BranchTarget {
    repository: PathBuf,
    branch: String,
}

impl BranchTarget {
    /// Branch `branch` of the repository containing `repository` (a work tree, a
    /// folder inside one, or a bare repository).
    pub fn new(repository: impl Into<PathBuf>, branch: &str) -> Self {
        Self {
            repository: repository.into(),
            branch: branch.to_owned(),
        }
    }

    /// Commits `release` to the branch; with `dry_run` only reports what would change.
    pub fn deploy(&self, release: &Release, dry_run: bool) -> Result<Deployment, Error> {
        let repository = Repository::discover(&self.repository)
            .map_err(|e| Error::git("open the git repository containing", self.repository.display(), e))?;
        let reference = self.reference_name()?;
        self.refuse_checked_out(&repository, &reference)?;
        let tip = match repository.find_reference(&reference) {
            Ok(found) => Some(
                found
                    .peel_to_commit()
                    .map_err(|e| Error::git("read the tip of branch", &self.branch, e))?,
            ),
            Err(error) if error.code() == ErrorCode::NotFound => None,
            Err(error) => return Err(Error::git("read branch", &self.branch, error)),
        };
        // No tree for a new branch: a dry run must not even write the empty tree.
        let base = match &tip {
            Some(commit) => Some(
                commit
                    .tree()
                    .map_err(|e| Error::git("read the tree of branch", &self.branch, e))?,
            ),
            None => None,
        };
        let base = base.as_ref();
        let folder = release.record.folder_name();
        let old = self.old_record(&repository, base, &folder)?;
        let mut deployment = Deployment {
            location: format!("{}:{folder}", self.branch),
            release: release.id().to_owned(),
            changes: Changes::between(old.as_ref(), &release.record),
            outcome: Outcome::DryRun,
            warnings: Vec::new(),
        };
        if let Some(old) = &old
            && old.same_files(&release.record)
            && intact(base, &folder, release)
        {
            deployment.outcome = Outcome::AlreadyDeployed {
                recorded: old.source.clone(),
            };
            return Ok(deployment);
        }
        self.refuse_foreign(base, &folder, old.as_ref(), release)?;
        if dry_run {
            return Ok(deployment);
        }
        let tree = self.updated_tree(&repository, base, &folder, old.as_ref(), release)?;
        if base.is_some_and(|base| base.id() == tree) {
            deployment.outcome = Outcome::AlreadyDeployed {
                recorded: old.map_or_else(|| release.record.source.clone(), |old| old.source),
            };
            return Ok(deployment);
        }
        let commit = self.commit(&repository, tree, tip.as_ref(), release, &deployment.changes)?;
        deployment.outcome = Outcome::Published {
            commit: Some(commit.to_string()),
            previous: old.map(|old| old.release),
        };
        Ok(deployment)
    }

    fn reference_name(&self) -> Result<String, Error> {
        let valid = git2::Branch::name_is_valid(&self.branch).unwrap_or(false);
        if !valid {
            return Err(Error::Usage(format!("`{}` is not a valid branch name", self.branch)));
        }
        Ok(format!("refs/heads/{}", self.branch))
    }

    /// Moving a branch that a work tree has checked out would make that work tree look
    /// changed; deploy branches are for git-sync, not for people.
    fn refuse_checked_out(&self, repository: &Repository, reference: &str) -> Result<(), Error> {
        let mut checked_out = Vec::new();
        if !repository.is_bare() {
            checked_out.push(head_name(repository));
        }
        if let Ok(names) = repository.worktrees() {
            for name in names.iter().filter_map(|name| name.ok().flatten()) {
                if let Ok(worktree) = repository.find_worktree(name)
                    && let Ok(linked) = Repository::open_from_worktree(&worktree)
                {
                    checked_out.push(head_name(&linked));
                }
            }
        }
        if checked_out.iter().any(|head| head.as_deref() == Some(reference)) {
            return Err(Error::DeployRefused {
                target: format!("branch `{}`", self.branch),
                reason: "it is checked out in a work tree; deploy to a branch no work tree uses \
                         (flowc never touches a work tree, its index or HEAD)"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// The record an earlier deploy left on the branch; refuses a record flowc cannot
    /// read, since it cannot tell which files are its own.
    fn old_record(
        &self,
        repository: &Repository,
        base: Option<&Tree<'_>>,
        folder: &str,
    ) -> Result<Option<DeployRecord>, Error> {
        let path = format!("{folder}/{RECORD_FILE}");
        let Some(entry) = entry(base, &path) else {
            return Ok(None);
        };
        let blob = entry
            .to_object(repository)
            .and_then(|object| object.peel_to_blob())
            .map_err(|e| Error::git("read", format!("{}:{path}", self.branch), e))?;
        match DeployRecord::parse(blob.content()) {
            Some(record) => Ok(Some(record)),
            None => Err(Error::DeployRefused {
                target: format!("branch `{}`", self.branch),
                reason: format!("`{path}` is not a deploy record this flowc can read; remove it or deploy elsewhere"),
            }),
        }
    }

    /// Refuses to overwrite a file (or a folder) on the branch that flowc did not
    /// deploy.
    fn refuse_foreign(
        &self,
        base: Option<&Tree<'_>>,
        folder: &str,
        old: Option<&DeployRecord>,
        release: &Release,
    ) -> Result<(), Error> {
        let ours = |path: &str| old.is_some_and(|record| record.files.contains_key(path));
        let mut foreign = Vec::new();
        for path in release.files.keys() {
            let full = format!("{folder}/{path}");
            if entry(base, &full).is_some_and(|entry| entry.kind() == Some(ObjectType::Tree) || !ours(path)) {
                foreign.push(full.clone());
            }
            // A file where the new path needs a folder.
            let mut prefix = String::new();
            for part in full.split('/').take(full.split('/').count() - 1) {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                if entry(base, &prefix).is_some_and(|entry| entry.kind() != Some(ObjectType::Tree)) {
                    foreign.push(prefix.clone());
                }
            }
        }
        foreign.sort();
        foreign.dedup();
        if foreign.is_empty() {
            return Ok(());
        }
        Err(Error::DeployRefused {
            target: format!("branch `{}`", self.branch),
            reason: format!(
                "flowc would overwrite what it did not deploy there: {}; move those paths away",
                foreign.join(", ")
            ),
        })
    }

    /// The branch's tree with the old release's files removed and the new ones added.
    fn updated_tree(
        &self,
        repository: &Repository,
        base: Option<&Tree<'_>>,
        folder: &str,
        old: Option<&DeployRecord>,
        release: &Release,
    ) -> Result<Oid, Error> {
        let fail = |e: git2::Error| Error::git("write the tree of branch", &self.branch, e);
        let mut update = TreeUpdateBuilder::new();
        for path in old.into_iter().flat_map(|record| record.files.keys()) {
            let full = format!("{folder}/{path}");
            let present = entry(base, &full).is_some_and(|entry| entry.kind() == Some(ObjectType::Blob));
            if present && !release.files.contains_key(path) {
                update.remove(full);
            }
        }
        for (path, bytes) in &release.files {
            let blob = repository.blob(bytes).map_err(fail)?;
            update.upsert(format!("{folder}/{path}"), blob, FileMode::Blob);
        }
        let record = repository.blob(&release.record.to_bytes()?).map_err(fail)?;
        update.upsert(format!("{folder}/{RECORD_FILE}"), record, FileMode::Blob);
        let empty;
        let base = if let Some(base) = base {
            base
        } else {
            empty = empty_tree(repository).map_err(fail)?;
            &empty
        };
        update.create_updated(repository, base).map_err(fail)
    }

    /// Commits `tree` on top of `tip` and moves the branch, unless it moved meanwhile.
    fn commit(
        &self,
        repository: &Repository,
        tree: Oid,
        tip: Option<&git2::Commit<'_>>,
        release: &Release,
        changes: &Changes,
    ) -> Result<Oid, Error> {
        let fail = |action: &str, e: git2::Error| Error::git(action, &self.branch, e);
        let tree = repository
            .find_tree(tree)
            .map_err(|e| fail("read the new tree of", e))?;
        let signature = match repository.signature() {
            Ok(signature) => signature,
            Err(_) => Signature::now(FALLBACK_NAME, FALLBACK_EMAIL).map_err(|e| fail("sign a commit on", e))?,
        };
        let message = commit_message(&release.record, changes);
        let parents: Vec<&git2::Commit<'_>> = tip.into_iter().collect();
        let commit = repository
            .commit(None, &signature, &signature, &message, &tree, &parents)
            .map_err(|e| fail("commit to", e))?;
        let reference = format!("refs/heads/{}", self.branch);
        let log = format!("flowc deploy: {}", first_line(&message));
        let moved = match tip {
            Some(tip) => repository.reference_matching(&reference, commit, true, tip.id(), &log),
            None => repository.reference(&reference, commit, false, &log),
        };
        moved.map_err(|e| {
            Error::git(
                "move branch",
                &self.branch,
                git2::Error::from_str(&format!(
                    "{} (did another deploy move it? run the deploy again)",
                    e.message()
                )),
            )
        })?;
        Ok(commit)
    }
}

/// `Deploy prod from main (0123456789ab)`, a summary, and trailers naming the release
/// and the source commit.
fn commit_message(record: &DeployRecord, changes: &Changes) -> String {
    let source = &record.source;
    let revision = source.revision.as_deref().unwrap_or("work tree");
    let mut detail: Vec<&str> = source.short_commit().into_iter().collect();
    if source.modified {
        detail.push("modified");
    }
    let subject = if detail.is_empty() {
        format!("Deploy {} from {revision}", record.environment)
    } else {
        format!("Deploy {} from {revision} ({})", record.environment, detail.join(", "))
    };
    let mut message = format!(
        "{subject}\n\nflowc {} deployed release {} of {}: {} changed, {} added, {} removed.\n\nFlowc-Release: {}\n",
        record.flowc_version,
        record.release,
        record.project,
        changes.changed.len(),
        changes.added.len(),
        changes.removed.len(),
        record.release,
    );
    if let Some(commit) = &source.commit {
        let _ = writeln!(message, "Flowc-Source-Commit: {commit}");
    }
    message
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Whether every file of `release` is on the branch with the same content.
fn intact(base: Option<&Tree<'_>>, folder: &str, release: &Release) -> bool {
    release.files.iter().all(|(path, bytes)| {
        let Some(entry) = entry(base, &format!("{folder}/{path}")) else {
            return false;
        };
        Oid::hash_object(ObjectType::Blob, bytes).is_ok_and(|id| id == entry.id())
    })
}

/// The entry at `path` of the branch's tree, if the branch exists and has one.
fn entry(base: Option<&Tree<'_>>, path: &str) -> Option<git2::TreeEntry<'static>> {
    base.and_then(|tree| tree.get_path(Path::new(path)).ok())
}

fn empty_tree(repository: &Repository) -> Result<Tree<'_>, git2::Error> {
    let id = repository.treebuilder(None)?.write()?;
    repository.find_tree(id)
}

/// The full name of the branch `HEAD` points at, if any.
fn head_name(repository: &Repository) -> Option<String> {
    repository
        .find_reference("HEAD")
        .ok()
        .and_then(|head| head.symbolic_target().ok().flatten().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::release::tests::release;

    fn file(repository: &Repository, branch: &str, path: &str) -> Option<String> {
        let tree = repository
            .find_reference(&format!("refs/heads/{branch}"))
            .expect("branch")
            .peel_to_tree()
            .expect("tree");
        let entry = tree.get_path(Path::new(path)).ok()?;
        let blob = repository.find_blob(entry.id()).expect("blob");
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    }

    #[test]
    fn commits_remove_only_recorded_files_and_repeat_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init_bare(dir.path()).expect("init");
        let target = BranchTarget::new(dir.path(), "deploy/prod");
        let first = target
            .deploy(&release(&[("dags/a.py", "a"), ("dags/b.py", "b")]), false)
            .expect("deploy");
        let Outcome::Published {
            commit: Some(first_commit),
            ..
        } = &first.outcome
        else {
            panic!("{first:?}")
        };
        assert_eq!(first.location, "deploy/prod:wingpay_prod");
        let commit = repository
            .find_commit(Oid::from_str(first_commit).expect("oid"))
            .expect("commit");
        assert_eq!(commit.parent_count(), 0);
        assert!(
            commit
                .message()
                .expect("utf-8")
                .starts_with("Deploy prod from main (0123456789ab)\n")
        );
        assert!(
            commit
                .message()
                .expect("utf-8")
                .contains("\nFlowc-Source-Commit: 0123456789abcdef\n")
        );
        assert_eq!(
            file(&repository, "deploy/prod", "wingpay_prod/dags/a.py").as_deref(),
            Some("a")
        );

        let again = target
            .deploy(&release(&[("dags/a.py", "a"), ("dags/b.py", "b")]), false)
            .expect("deploy");
        assert!(matches!(again.outcome, Outcome::AlreadyDeployed { .. }), "{again:?}");

        let second = target
            .deploy(&release(&[("dags/a.py", "a2"), ("dags/c.py", "c")]), false)
            .expect("deploy");
        assert_eq!(second.changes.changed, ["dags/a.py"]);
        assert_eq!(second.changes.removed, ["dags/b.py"]);
        assert_eq!(file(&repository, "deploy/prod", "wingpay_prod/dags/b.py"), None);
        assert_eq!(
            file(&repository, "deploy/prod", "wingpay_prod/dags/a.py").as_deref(),
            Some("a2")
        );
    }

    #[test]
    fn a_file_flowc_did_not_deploy_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init_bare(dir.path()).expect("init");
        let blob = repository.blob(b"mine").expect("blob");
        let mut update = TreeUpdateBuilder::new();
        update.upsert("wingpay_prod/dags/a.py", blob, FileMode::Blob);
        let base = empty_tree(&repository).expect("empty tree");
        let tree = repository
            .find_tree(update.create_updated(&repository, &base).expect("tree"))
            .expect("tree");
        let signature = Signature::now("t", "t@example.com").expect("signature");
        repository
            .commit(Some("refs/heads/deploy"), &signature, &signature, "mine", &tree, &[])
            .expect("commit");
        let error = BranchTarget::new(dir.path(), "deploy")
            .deploy(&release(&[("dags/a.py", "a")]), false)
            .expect_err("refused");
        assert!(error.to_string().contains("wingpay_prod/dags/a.py"), "{error}");
        assert_eq!(
            file(&repository, "deploy", "wingpay_prod/dags/a.py").as_deref(),
            Some("mine")
        );
    }

    #[test]
    fn a_checked_out_branch_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path()).expect("init");
        let signature = Signature::now("t", "t@example.com").expect("signature");
        let tree = empty_tree(&repository).expect("tree");
        repository
            .commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
            .expect("commit");
        let head = head_name(&repository).expect("HEAD names a branch");
        let branch = head.trim_start_matches("refs/heads/");
        let error = BranchTarget::new(dir.path(), branch)
            .deploy(&release(&[("dags/a.py", "a")]), false)
            .expect_err("refused");
        assert!(error.to_string().contains("checked out"), "{error}");
    }

    #[test]
    fn a_dry_run_writes_no_object() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init_bare(dir.path()).expect("init");
        let report = BranchTarget::new(dir.path(), "deploy")
            .deploy(&release(&[("dags/a.py", "a")]), true)
            .expect("dry run");
        assert_eq!(report.outcome, Outcome::DryRun);
        assert!(repository.find_reference("refs/heads/deploy").is_err());
        let blob = Oid::hash_object(ObjectType::Blob, b"a").expect("hash");
        assert!(repository.find_blob(blob).is_err(), "no blob written");
    }
}
