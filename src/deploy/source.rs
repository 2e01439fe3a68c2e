//! Where a work tree's files come from, for the deploy record: the commit `HEAD` names
//! and whether the project's folder differs from it.

use std::path::Path;

use git2::{ErrorCode, Repository, StatusOptions};

use super::release::Provenance;
use crate::Error;
use crate::load::relative_folder;

/// The provenance of the work tree at `project`: `HEAD`'s commit, if the folder is in
/// a git work tree and the branch has one, and whether `git status` of the folder is
/// not clean (changed, staged, deleted or untracked files; ignored files do not count).
pub fn work_tree_provenance(project: &Path) -> Result<Provenance, Error> {
    let outside = Provenance {
        revision: None,
        commit: None,
        work_tree: true,
        modified: false,
    };
    let repository = match Repository::discover(project) {
        Ok(repository) => repository,
        Err(error) if error.code() == ErrorCode::NotFound => return Ok(outside),
        Err(error) => {
            return Err(Error::git(
                "open the git repository containing",
                project.display(),
                error,
            ));
        }
    };
    let Some(workdir) = repository.workdir() else {
        return Ok(outside);
    };
    let commit = match repository.head() {
        Ok(head) => Some(
            head.peel_to_commit()
                .map_err(|e| Error::git("read HEAD of", workdir.display(), e))?
                .id()
                .to_string(),
        ),
        // A repository without commits yet.
        Err(error) if matches!(error.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(error) => return Err(Error::git("read HEAD of", workdir.display(), error)),
    };
    let prefix = relative_folder(workdir, project)?;
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let statuses = repository
        .statuses(Some(&mut options))
        .map_err(|e| Error::git("read the status of", workdir.display(), e))?;
    let modified = statuses
        .iter()
        .any(|entry| !entry.status().is_ignored() && !entry.status().is_empty());
    Ok(Provenance {
        commit,
        modified,
        ..outside
    })
}

/// Why `source` may not be deployed to an environment whose deploys must come from
/// `branches` (`deploy_from`), or `None` when it may: a work tree with uncommitted
/// changes, or a commit that none of the branches contains (its local branch, or
/// `origin/<branch>` as CI checkouts have it). `repo` is the project's folder.
pub fn refusal(repo: &Path, source: &Provenance, branches: &[String]) -> Result<Option<String>, Error> {
    let listed = crate::words::code_list(branches);
    if source.modified {
        return Ok(Some(format!(
            "the work tree has uncommitted changes; this environment deploys only commits on {listed} (`deploy_from` in flowc.yaml): commit and merge first, or deploy with `--rev`"
        )));
    }
    let Some(commit) = source.commit.as_deref() else {
        return Ok(Some(format!(
            "the source is not a git commit; this environment deploys only commits on {listed} (`deploy_from` in flowc.yaml)"
        )));
    };
    let repository =
        Repository::discover(repo).map_err(|e| Error::git("open the git repository containing", repo.display(), e))?;
    let commit = git2::Oid::from_str(commit).map_err(|e| Error::git("read commit", commit, e))?;
    for branch in branches {
        for name in [format!("refs/heads/{branch}"), format!("refs/remotes/origin/{branch}")] {
            let Ok(tip) = repository.refname_to_id(&name) else {
                continue;
            };
            let contains = tip == commit
                || repository
                    .graph_descendant_of(tip, commit)
                    .map_err(|e| Error::git("compare with", &name, e))?;
            if contains {
                return Ok(None);
            }
        }
    }
    let short = &commit.to_string()[..12];
    Ok(Some(format!(
        "commit {short} is on none of {listed} (`deploy_from` in flowc.yaml): merge it through a reviewed pull request first"
    )))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use git2::Signature;

    use super::*;

    fn commit_all(repository: &Repository) -> String {
        let mut index = repository.index().expect("index");
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).expect("add");
        index.write().expect("write index");
        let tree = repository
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let signature = Signature::now("t", "t@example.com").expect("signature");
        repository
            .commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
            .expect("commit")
            .to_string()
    }

    #[test]
    fn a_clean_work_tree_names_head_and_a_change_marks_it_modified() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path()).expect("init");
        let project = dir.path().join("p");
        fs::create_dir_all(&project).expect("mkdir");
        fs::write(project.join("flowc.yaml"), "project: p\n").expect("write");
        fs::write(dir.path().join("outside.txt"), "x").expect("write");
        let head = commit_all(&repository);
        let clean = work_tree_provenance(&project).expect("provenance");
        assert_eq!(clean.commit.as_deref(), Some(head.as_str()));
        assert!(clean.work_tree && !clean.modified);
        // A change outside the project's folder does not count.
        fs::write(dir.path().join("outside.txt"), "y").expect("write");
        assert!(!work_tree_provenance(&project).expect("provenance").modified);
        fs::write(project.join("new.sql"), "select 1").expect("write");
        assert!(work_tree_provenance(&project).expect("provenance").modified);
    }

    #[test]
    fn a_folder_outside_git_has_no_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = work_tree_provenance(dir.path()).expect("provenance");
        assert_eq!(source.commit, None);
        assert!(source.work_tree);
    }
}
