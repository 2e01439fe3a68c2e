//! File operations shared by the output folder and the deploy store: removing, writing
//! durably, listing without following links.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::Error;

/// Removes a file, link or folder (with its content) if it exists.
pub fn remove_if_present(path: &Path) -> Result<(), Error> {
    let result = match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => Err(error),
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    result.map_err(|e| Error::io("remove", path, e))
}

/// Writes a file and syncs its content to disk.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = File::create(path).map_err(|e| Error::io("create", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io("write", path, e))
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over `path`:
/// readers see the old file or the new one, never half of one, and a failure leaves
/// the old one. The file is readable by all, like a checkout's files.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(folder).map_err(|e| Error::io("create", folder, e))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // tempfile makes 0600; a written page or CODEOWNERS is meant to be read by others.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder
        .tempfile_in(folder)
        .map_err(|e| Error::io("create a temporary file in", folder, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io("write", temp.path().to_path_buf(), e))?;
    temp.persist(path).map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

/// Syncs a folder's entries to disk (the names of what was created, renamed or
/// removed in it).
pub fn sync_dir(path: &Path) -> Result<(), Error> {
    File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| Error::io("sync", path, e))
}

/// One entry below a folder, found without following links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative, `/`-separated.
    pub path: String,
    /// A real folder (a link to a folder is not one).
    pub is_dir: bool,
}

/// Every file, link and folder below `folder`, parents before their content, sorted;
/// links are not followed. A missing folder has none.
pub fn entries_under(folder: &Path) -> Result<Vec<Entry>, Error> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<Entry>) -> Result<(), Error> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(Error::io("list", dir, error)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io("read", &path, e))?;
            if let Ok(relative) = path.strip_prefix(root) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.push(Entry {
                    path: parts.join("/"),
                    is_dir: kind.is_dir(),
                });
            }
            if kind.is_dir() {
                walk(root, &path, found)?;
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk(folder, folder, &mut found)?;
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Every file and link below `folder` (folders left out), relative, sorted; links are
/// not followed.
pub fn files_under(folder: &Path) -> Result<Vec<String>, Error> {
    Ok(entries_under(folder)?
        .into_iter()
        .filter(|entry| !entry.is_dir)
        .map(|entry| entry.path)
        .collect())
}

/// Removes `folder` and every folder below it that is empty, deepest first.
pub fn remove_empty_folders(folder: &Path) {
    if let Ok(entries) = fs::read_dir(folder) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_empty_folders(&entry.path());
            }
        }
    }
    // Fails, as it should, when something is left in it.
    let _ = fs::remove_dir(folder);
}

/// Whether two paths name the same file (the same inode: a hard link), links not
/// followed. Unknown (false) where the platform does not say.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_list_parents_first_and_do_not_follow_links() {
        let root = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(root.path().join("a/b")).expect("mkdir");
        fs::write(root.path().join("a/b/f"), "x").expect("write");
        fs::write(root.path().join("a/g"), "y").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.path().join("a"), root.path().join("link")).expect("link");
        let entries: Vec<(String, bool)> = entries_under(root.path())
            .expect("list")
            .into_iter()
            .map(|e| (e.path, e.is_dir))
            .collect();
        let mut expected = vec![
            ("a".to_owned(), true),
            ("a/b".to_owned(), true),
            ("a/b/f".to_owned(), false),
            ("a/g".to_owned(), false),
        ];
        if cfg!(unix) {
            expected.push(("link".to_owned(), false));
        }
        assert_eq!(entries, expected);
        assert!(same_file(&root.path().join("a/g"), &root.path().join("a/g")) == cfg!(unix));
        assert!(!same_file(&root.path().join("a/g"), &root.path().join("a/b/f")));
    }
}
