//! Repository files read straight from a git revision.
//!
//! [`GitTree`] reads blobs from the object database with git2: no checkout, so it
//! works in a bare clone, ignores whatever is uncommitted in the work tree, and gives
//! the same files for the same commit on every machine. When the flowc project sits in
//! a sub-folder of the git repository (a monorepo), only that sub-folder's tree is seen
//! and paths stay relative to the project.
//!
//! Symbolic links stored in the tree are followed inside it, like the work tree does;
//! one that points outside the project is refused ([`ReadOutcome::Escapes`]).

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};

use super::source::{FileSource, MAX_FILE_BYTES, ReadOutcome};
use crate::Error;

/// How many symbolic links one read follows before giving up (as Linux does).
const MAX_LINKS: usize = 40;

/// git's file mode of a symbolic link.
const MODE_SYMLINK: i32 = 0o120_000;

/// The files of one commit, below the project's folder.
pub struct GitTree {
    repository: Mutex<Repository>,
    /// The tree of the project's folder in that commit.
    tree: Oid,
    commit: Oid,
    revision: String,
    location: String,
}

impl std::fmt::Debug for GitTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitTree")
            .field("revision", &self.revision)
            .field("commit", &self.commit)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// What a path names in the tree.
enum Entry {
    Blob(Oid),
    Tree(Oid),
    Link(String),
    /// A submodule (a commit of another repository): not readable here.
    Other,
}

impl GitTree {
    /// The project at `project` (a folder inside a work tree, a work tree's root, or a
    /// bare repository) as of revision `revision` (anything `git rev-parse` accepts:
    /// a branch, `origin/main`, a tag, `HEAD~2`, a commit id). `REV:FOLDER`, as in
    /// `git show`, names the project's folder inside the repository, for bare clones
    /// of a repository whose flowc project is not at the root.
    pub fn open(project: &Path, revision: &str) -> Result<Self, Error> {
        let (revision, folder) = match revision.split_once(':') {
            Some((revision, folder)) => (revision, folder.trim_matches('/')),
            None => (revision, ""),
        };
        let repository = Repository::discover(project).map_err(|e| Error::Git {
            action: "open the git repository containing".to_owned(),
            target: project.display().to_string(),
            message: e.message().to_owned(),
            source: Some(e),
        })?;
        let prefix = match (project_prefix(&repository, project)?, folder) {
            (prefix, "") => prefix,
            (prefix, folder) if prefix.is_empty() => folder.to_owned(),
            (prefix, folder) => format!("{prefix}/{folder}"),
        };
        let (commit, tree, location) = {
            let commit = repository
                .revparse_single(revision)
                .and_then(|object| object.peel_to_commit())
                .map_err(|e| Error::Git {
                    action: "find revision".to_owned(),
                    target: revision.to_owned(),
                    message: format!(
                        "{} (is it fetched? CI checkouts often need `fetch-depth: 0`)",
                        e.message()
                    ),
                    source: Some(e),
                })?;
            let root = commit.tree().map_err(|e| Error::git("read the tree of", revision, e))?;
            let tree = if prefix.is_empty() {
                root.id()
            } else {
                let entry = root.get_path(Path::new(&prefix)).map_err(|_| Error::NoRepository {
                    path: project.to_path_buf(),
                    reason: format!("folder `{prefix}` does not exist in revision `{revision}`"),
                })?;
                if entry.kind() != Some(ObjectType::Tree) {
                    return Err(Error::NoRepository {
                        path: project.to_path_buf(),
                        reason: format!("`{prefix}` is not a folder in revision `{revision}`"),
                    });
                }
                entry.id()
            };
            let commit = commit.id();
            let short = commit.to_string()[..12].to_owned();
            let location = if prefix.is_empty() {
                format!("{revision} ({short})")
            } else {
                format!("{prefix} at {revision} ({short})")
            };
            (commit, tree, location)
        };
        Ok(Self {
            repository: Mutex::new(repository),
            tree,
            commit,
            revision: revision.to_owned(),
            location,
        })
    }

    /// The full id of the commit read.
    pub fn commit_id(&self) -> String {
        self.commit.to_string()
    }

    /// The revision as given.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    fn with_repository<T>(&self, run: impl FnOnce(&Repository) -> Result<T, git2::Error>) -> Result<T, Error> {
        let repository = self
            .repository
            .lock()
            .map_err(|_| Error::Internal("a git read panicked while holding the repository".to_owned()))?;
        run(&repository).map_err(|e| Error::git("read", &self.location, e))
    }

    /// The entry at a normalised path, symbolic links in the path followed.
    /// `Ok(None)`: no such path; `Err(ReadOutcome::Escapes)` through the outcome.
    fn lookup(&self, repository: &Repository, path: &str) -> Result<Lookup, git2::Error> {
        let mut pending: Vec<String> = split(path);
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut current = Entry::Tree(self.tree);
        let mut links = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    if resolved.pop().is_none() {
                        return Ok(Lookup::Escapes);
                    }
                    current = self.walk(repository, &resolved)?;
                    continue;
                }
                _ => {}
            }
            let Entry::Tree(tree) = current else {
                return Ok(Lookup::Missing);
            };
            let tree = repository.find_tree(tree)?;
            let Some(entry) = tree.get_name(&part) else {
                return Ok(Lookup::Missing);
            };
            current = classify(repository, &entry)?;
            if let Entry::Link(target) = &current {
                links += 1;
                if links > MAX_LINKS || target.starts_with('/') {
                    return Ok(Lookup::Escapes);
                }
                // Continue from the link's folder with the target's parts first.
                for part in split(target).into_iter().rev() {
                    pending.push(part);
                }
                current = self.walk(repository, &resolved)?;
                continue;
            }
            resolved.push(part);
        }
        Ok(Lookup::Found(current))
    }

    /// The entry of a link-free path from the root.
    fn walk(&self, repository: &Repository, parts: &[String]) -> Result<Entry, git2::Error> {
        let mut current = Entry::Tree(self.tree);
        for part in parts {
            let Entry::Tree(tree) = current else {
                return Ok(Entry::Other);
            };
            let tree = repository.find_tree(tree)?;
            current = match tree.get_name(part) {
                Some(entry) => classify(repository, &entry)?,
                None => Entry::Other,
            };
        }
        Ok(current)
    }

    /// Names of the entries of a folder that `keep` accepts, sorted.
    fn entries(&self, path: &str, keep: fn(&Entry) -> bool) -> Result<Vec<String>, Error> {
        self.with_repository(|repository| {
            let Lookup::Found(Entry::Tree(tree)) = self.lookup(repository, path)? else {
                return Ok(Vec::new());
            };
            let tree = repository.find_tree(tree)?;
            let mut names = Vec::new();
            for entry in &tree {
                let Ok(name) = entry.name() else { continue };
                let kind = match classify(repository, &entry)? {
                    // A link counts as what it points to; one that leads out of the
                    // project or nowhere stays a link, which only `sub_folders` keeps.
                    Entry::Link(target) => match self.lookup(repository, &format!("{path}/{name}"))? {
                        Lookup::Found(found) => found,
                        Lookup::Escapes | Lookup::Missing => Entry::Link(target),
                    },
                    kind => kind,
                };
                if keep(&kind) {
                    names.push(name.to_owned());
                }
            }
            names.sort();
            Ok(names)
        })
    }
}

enum Lookup {
    Found(Entry),
    Missing,
    Escapes,
}

fn classify(repository: &Repository, entry: &git2::TreeEntry<'_>) -> Result<Entry, git2::Error> {
    Ok(match entry.kind() {
        Some(ObjectType::Tree) => Entry::Tree(entry.id()),
        Some(ObjectType::Blob) if entry.filemode() == MODE_SYMLINK => {
            let blob = repository.find_blob(entry.id())?;
            Entry::Link(String::from_utf8_lossy(blob.content()).into_owned())
        }
        Some(ObjectType::Blob) => Entry::Blob(entry.id()),
        _ => Entry::Other,
    })
}

fn split(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

impl FileSource for GitTree {
    fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
        if path.starts_with('/') {
            return Ok(ReadOutcome::Escapes);
        }
        // No file has a NUL in its name.
        if path.contains('\0') {
            return Ok(ReadOutcome::NotFound);
        }
        self.with_repository(|repository| {
            Ok(match self.lookup(repository, path)? {
                Lookup::Escapes => ReadOutcome::Escapes,
                Lookup::Found(Entry::Tree(_)) => ReadOutcome::NotAFile,
                Lookup::Missing | Lookup::Found(Entry::Other | Entry::Link(_)) => ReadOutcome::NotFound,
                Lookup::Found(Entry::Blob(oid)) => {
                    let odb = repository.odb()?;
                    let (size, _) = odb.read_header(oid)?;
                    if size as u64 > MAX_FILE_BYTES {
                        ReadOutcome::TooLarge(size as u64)
                    } else {
                        ReadOutcome::Bytes(repository.find_blob(oid)?.content().to_vec())
                    }
                }
            })
        })
    }

    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
        let mut folders = self.entries(path, |entry| matches!(entry, Entry::Tree(_) | Entry::Link(_)))?;
        folders.retain(|name| !name.starts_with('.'));
        Ok(folders)
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn files(&self, path: &str) -> Result<Vec<String>, Error> {
        self.entries(path, |entry| matches!(entry, Entry::Blob(_)))
    }
}

/// The project folder relative to the repository's work tree, `/`-separated; empty
/// for the root and for bare repositories.
fn project_prefix(repository: &Repository, project: &Path) -> Result<String, Error> {
    match repository.workdir() {
        Some(workdir) => relative_folder(workdir, project),
        None => Ok(String::new()),
    }
}

/// `project` relative to the work tree `workdir`, `/`-separated; empty for the root.
pub(crate) fn relative_folder(workdir: &Path, project: &Path) -> Result<String, Error> {
    let canonical = |path: &Path| path.canonicalize().map_err(|e| Error::io("open", path, e));
    let workdir = canonical(workdir)?;
    let project = canonical(project)?;
    let relative = project.strip_prefix(&workdir).map_err(|_| Error::NoRepository {
        path: project.clone(),
        reason: format!("it is not inside the git work tree `{}`", workdir.display()),
    })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use git2::{Repository, Signature};

    use super::*;

    /// Commits `files` (path → content) on top of HEAD.
    fn commit(repository: &Repository, files: &[(&str, &str)], message: &str) -> Oid {
        let workdir = repository.workdir().expect("a work tree").to_path_buf();
        let mut index = repository.index().expect("index");
        for (path, content) in files {
            let full = workdir.join(path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(&full, content).expect("write");
            index.add_path(Path::new(path)).expect("add");
        }
        index.write().expect("write index");
        let tree = repository
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let signature = Signature::now("t", "t@example.com").expect("signature");
        let parents: Vec<git2::Commit<'_>> = repository
            .head()
            .ok()
            .and_then(|head| head.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repository
            .commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .expect("commit")
    }

    #[test]
    fn reads_the_committed_version_not_the_work_tree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path()).expect("init");
        commit(&repository, &[("p/flowc.yaml", "project: a\n")], "first");
        commit(&repository, &[("p/flowc.yaml", "project: b\n")], "second");
        std::fs::write(dir.path().join("p/flowc.yaml"), "dirty").expect("dirty");
        let tree = GitTree::open(&dir.path().join("p"), "HEAD~1").expect("open");
        let ReadOutcome::Bytes(bytes) = tree.read("flowc.yaml").expect("read") else {
            panic!("not read")
        };
        assert_eq!(bytes, b"project: a\n");
        assert!(tree.location().starts_with("p at HEAD~1 ("), "{}", tree.location());
    }

    #[test]
    fn lists_folders_and_files_and_refuses_links_out_of_the_project() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path()).expect("init");
        commit(
            &repository,
            &[
                ("p/flows/a/flow.yaml", "x"),
                ("p/flows/a/q.sql", "select 1"),
                ("p/flows/.hidden/flow.yaml", "x"),
                ("secret.sql", "select 2"),
            ],
            "first",
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../../../secret.sql", dir.path().join("p/flows/a/out.sql")).expect("link");
            std::os::unix::fs::symlink("q.sql", dir.path().join("p/flows/a/in.sql")).expect("link");
            let mut index = repository.index().expect("index");
            index.add_path(Path::new("p/flows/a/out.sql")).expect("add");
            index.add_path(Path::new("p/flows/a/in.sql")).expect("add");
            index.write().expect("write");
            commit(&repository, &[], "links");
        }
        let tree = GitTree::open(&dir.path().join("p"), "HEAD").expect("open");
        assert_eq!(tree.sub_folders("flows").expect("folders"), ["a"]);
        assert!(matches!(tree.read("flows/a").expect("read"), ReadOutcome::NotAFile));
        assert!(matches!(tree.read("flows/b.sql").expect("read"), ReadOutcome::NotFound));
        assert!(matches!(
            tree.read("../secret.sql").expect("read"),
            ReadOutcome::Escapes
        ));
        #[cfg(unix)]
        {
            assert!(matches!(
                tree.read("flows/a/out.sql").expect("read"),
                ReadOutcome::Escapes
            ));
            let ReadOutcome::Bytes(bytes) = tree.read("flows/a/in.sql").expect("read") else {
                panic!("link not followed")
            };
            assert_eq!(bytes, b"select 1");
        }
    }

    #[test]
    fn a_bare_clone_is_read_with_the_project_folder_after_a_colon() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path().join("work")).expect("init");
        commit(&repository, &[("p/flowc.yaml", "project: a\n")], "first");
        let bare = dir.path().join("bare.git");
        git2::build::RepoBuilder::new()
            .bare(true)
            .clone(&format!("file://{}", dir.path().join("work").display()), &bare)
            .expect("clone");
        let tree = GitTree::open(&bare, "HEAD:p").expect("open");
        assert!(matches!(tree.read("flowc.yaml").expect("read"), ReadOutcome::Bytes(_)));
        assert_eq!(tree.revision(), "HEAD");
    }

    #[test]
    fn an_unknown_revision_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repository = Repository::init(dir.path()).expect("init");
        commit(&repository, &[("flowc.yaml", "x")], "first");
        let error = GitTree::open(dir.path(), "no-such-branch").expect_err("must fail");
        assert!(error.to_string().contains("no-such-branch"), "{error}");
    }
}
