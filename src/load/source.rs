//! Where repository files come from.
//!
//! [`FileSource`] hides whether files are read from a work tree or (later) from a git
//! revision, so the rest of the loader never touches the filesystem directly. Paths
//! are repository-relative with `/` separators; a path that would leave the repository
//! is refused, never read.

use std::path::{Component, Path, PathBuf};

use crate::Error;

/// Files larger than this are not read (a pipeline file this big is a mistake).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The result of reading one repository file.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// No such file.
    NotFound,
    /// The path leaves the repository (absolute, `..` above the root, or a symlink out).
    Escapes,
    /// The file is larger than [`MAX_FILE_BYTES`]; its size is given.
    TooLarge(u64),
    /// The path names a folder, not a file.
    NotAFile,
    /// The path names something that is neither a file nor a folder: a named pipe, a
    /// socket or a device (never opened: reading one could block forever).
    Special,
}

/// A tree of repository files.
pub trait FileSource: Sync {
    /// Reads a repository-relative file.
    fn read(&self, path: &str) -> Result<ReadOutcome, Error>;

    /// Names of the sub-folders of a repository-relative folder, sorted; empty when the
    /// folder does not exist. A symbolic link counts as a folder unless it points at a
    /// file: reading through it then loads what it points to inside the repository,
    /// and reports one that leads outside ([`ReadOutcome::Escapes`]) or nowhere.
    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error>;

    /// Where the files come from, for messages: a folder path, or a revision.
    fn location(&self) -> String;

    /// Names of the files directly in a repository-relative folder, sorted; empty when
    /// the folder does not exist.
    fn files(&self, path: &str) -> Result<Vec<String>, Error>;

    /// What identifies a file's present content without reading it, when the tree can
    /// tell: any change of the content changes it. `None` (the default) when it cannot,
    /// or when the file changed so recently that a change to come could leave it
    /// the same (see [`WorkTree`]'s).
    fn stamp(&self, _path: &str) -> Option<String> {
        None
    }
}

/// How long ago a file must have changed for its stamp to be trusted: a write within
/// the same tick of the file system's clock as the last one may leave its times as
/// they were.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

/// Files in a directory on disk.
#[derive(Debug)]
pub struct WorkTree {
    root: PathBuf,
    canonical_root: PathBuf,
}

impl WorkTree {
    /// A work tree rooted at `root`, which must be an existing folder.
    pub fn open(root: &Path) -> Result<Self, Error> {
        let canonical_root = root.canonicalize().map_err(|e| Error::NoRepository {
            path: root.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !canonical_root.is_dir() {
            return Err(Error::NoRepository {
                path: root.to_path_buf(),
                reason: "not a folder".into(),
            });
        }
        Ok(Self {
            root: root.to_path_buf(),
            canonical_root,
        })
    }

    /// The folder the tree is rooted at, as given.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Joins a repository-relative path onto `root`, refusing absolute paths and `..`
/// that climbs above the root.
fn contained(root: &Path, path: &str) -> Option<PathBuf> {
    let mut depth = 0usize;
    let mut joined = root.to_path_buf();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => {
                depth += 1;
                joined.push(part);
            }
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1)?;
                joined.pop();
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(joined)
}

impl WorkTree {
    /// Sorted names of the entries of a folder whose file type passes `keep`.
    fn entries(&self, path: &str, keep: fn(&std::fs::FileType) -> bool) -> Result<Vec<String>, Error> {
        let Some(full) = contained(&self.canonical_root, path).filter(|_| !path.contains('\0')) else {
            return Ok(Vec::new());
        };
        let entries = match std::fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", full, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", &full, e))?;
            let kind = entry.file_type().map_err(|e| Error::io("list", entry.path(), e))?;
            if keep(&kind)
                && let Some(name) = entry.file_name().to_str()
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

impl FileSource for WorkTree {
    fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
        // No file has a NUL in its name; the system would refuse to look.
        if path.contains('\0') {
            return Ok(ReadOutcome::NotFound);
        }
        let Some(full) = contained(&self.canonical_root, path) else {
            return Ok(ReadOutcome::Escapes);
        };
        let canonical = match full.canonicalize() {
            Ok(canonical) => canonical,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ReadOutcome::NotFound),
            Err(e) => return Err(Error::io("read", full, e)),
        };
        if !canonical.starts_with(&self.canonical_root) {
            return Ok(ReadOutcome::Escapes);
        }
        let metadata = std::fs::metadata(&canonical).map_err(|e| Error::io("read", &full, e))?;
        if metadata.is_dir() {
            return Ok(ReadOutcome::NotAFile);
        }
        if !metadata.is_file() {
            return Ok(ReadOutcome::Special);
        }
        if metadata.len() > MAX_FILE_BYTES {
            return Ok(ReadOutcome::TooLarge(metadata.len()));
        }
        std::fs::read(&canonical)
            .map(ReadOutcome::Bytes)
            .map_err(|e| Error::io("read", full, e))
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn files(&self, path: &str) -> Result<Vec<String>, Error> {
        self.entries(path, std::fs::FileType::is_file)
    }

    /// The device, inode, size, modification and status-change times of the file the
    /// path leads to (one `stat`). Writing a file changes its status-change time, which
    /// no program can set back, and replacing it changes its inode; a file changed
    /// within [`SETTLED`] has no stamp.
    #[cfg(unix)]
    fn stamp(&self, path: &str) -> Option<String> {
        use std::os::unix::fs::MetadataExt as _;
        let full = contained(&self.canonical_root, path).filter(|_| !path.contains('\0'))?;
        let metadata = std::fs::metadata(full).ok().filter(std::fs::Metadata::is_file)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        let latest = metadata.ctime().max(metadata.mtime());
        let settled = u64::try_from(latest).ok()?.saturating_add(SETTLED.as_secs()) < now;
        settled.then(|| {
            format!(
                "{}:{}:{}:{}.{}:{}.{}",
                metadata.dev(),
                metadata.ino(),
                metadata.size(),
                metadata.mtime(),
                metadata.mtime_nsec(),
                metadata.ctime(),
                metadata.ctime_nsec()
            )
        })
    }

    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
        let mut folders = self.entries(path, |kind| kind.is_dir() || kind.is_symlink())?;
        let full = contained(&self.canonical_root, path);
        folders.retain(|name| {
            // A link to a file is not a folder; one to a folder (anywhere) or to
            // nothing is, so that reading through it is reported, never skipped.
            let target = full.as_ref().map(|full| std::fs::metadata(full.join(name)));
            !name.starts_with('.') && !matches!(target, Some(Ok(metadata)) if !metadata.is_dir())
        });
        Ok(folders)
    }
}

/// Files held in memory, keyed by repository-relative path: for tests, and for
/// callers that already have the files (e.g. read from a git object database).
#[derive(Debug, Default)]
pub struct MemoryTree {
    files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a file.
    #[must_use]
    pub fn with(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.to_owned(), contents.into());
        self
    }
}

/// `path` normalised lexically, or `None` when it leaves the root.
fn normalise(path: &str) -> Option<String> {
    contained(Path::new(""), path).map(|p| p.to_string_lossy().replace('\\', "/"))
}

impl FileSource for MemoryTree {
    fn location(&self) -> String {
        "<memory>".to_owned()
    }

    fn files(&self, path: &str) -> Result<Vec<String>, Error> {
        let Some(path) = normalise(path) else {
            return Ok(Vec::new());
        };
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        Ok(self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
            .collect())
    }

    fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
        let Some(path) = normalise(path) else {
            return Ok(ReadOutcome::Escapes);
        };
        match self.files.get(&path) {
            Some(bytes) if bytes.len() as u64 > MAX_FILE_BYTES => Ok(ReadOutcome::TooLarge(bytes.len() as u64)),
            Some(bytes) => Ok(ReadOutcome::Bytes(bytes.clone())),
            None if self.files.keys().any(|k| k.starts_with(&format!("{path}/"))) => Ok(ReadOutcome::NotAFile),
            None => Ok(ReadOutcome::NotFound),
        }
    }

    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
        let Some(path) = normalise(path) else {
            return Ok(Vec::new());
        };
        let prefix = format!("{path}/");
        let folders: std::collections::BTreeSet<String> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split_once('/').map(|(folder, _)| folder.to_owned()))
            .filter(|folder| !folder.starts_with('.'))
            .collect();
        Ok(folders.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_components_may_not_climb_above_the_root() {
        let root = Path::new("/repo");
        assert_eq!(
            contained(root, "flows/a/../b/x.sql"),
            Some(PathBuf::from("/repo/flows/b/x.sql"))
        );
        assert_eq!(contained(root, "flows/../../etc/passwd"), None);
        assert_eq!(contained(root, "/etc/passwd"), None);
        assert_eq!(contained(root, "./a.sql"), Some(PathBuf::from("/repo/a.sql")));
    }

    #[test]
    fn memory_trees_list_folders_and_refuse_escapes() {
        let tree = MemoryTree::new()
            .with("flows/a/flow.yaml", "x")
            .with("flows/b/c/d.sql", "y");
        assert_eq!(tree.sub_folders("flows").unwrap(), vec!["a", "b"]);
        assert!(matches!(
            tree.read("flows/a/../a/flow.yaml").unwrap(),
            ReadOutcome::Bytes(_)
        ));
        assert!(matches!(tree.read("../x").unwrap(), ReadOutcome::Escapes));
        assert!(matches!(tree.read("flows/b").unwrap(), ReadOutcome::NotAFile));
    }

    #[test]
    fn symlinks_out_of_the_tree_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.sql"), "select 1").unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("ok.sql"), "select 1").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("secret.sql"), repo.path().join("link.sql")).unwrap();
        let tree = WorkTree::open(repo.path()).unwrap();
        assert!(matches!(tree.read("ok.sql").unwrap(), ReadOutcome::Bytes(_)));
        assert!(matches!(tree.read("missing.sql").unwrap(), ReadOutcome::NotFound));
        #[cfg(unix)]
        assert!(matches!(tree.read("link.sql").unwrap(), ReadOutcome::Escapes));
    }
}
