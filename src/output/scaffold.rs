//! New files written into a folder all or nothing, never over an existing one: what
//! `flowc init` scaffolds.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::Error;

/// Writes each `(relative path, contents)` below `dir`, creating `dir` and the folders
/// the paths need. Refuses, writing nothing, when any of the paths already exists (a
/// file, folder or link); on any I/O error removes what it had created, so the folder
/// is left as it was.
pub fn write_new_files(dir: &Path, files: &[(String, String)]) -> Result<(), Error> {
    let existing: Vec<&str> = files
        .iter()
        .map(|(path, _)| path.as_str())
        .filter(|path| fs::symlink_metadata(dir.join(path)).is_ok())
        .collect();
    if !existing.is_empty() {
        return Err(Error::WouldOverwrite {
            dir: dir.to_path_buf(),
            existing: existing.into_iter().map(str::to_owned).collect(),
        });
    }
    let mut created = Created::default();
    let result = files
        .iter()
        .try_for_each(|(path, contents)| created.write(&dir.join(path), contents.as_bytes()));
    if result.is_err() {
        created.remove();
    }
    result
}

/// What one run created, in order, to be removed again after a failure.
#[derive(Default)]
struct Created {
    folders: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Created {
    /// Creates the missing folders above `path`, then `path` itself (never replacing
    /// one that appeared in the meantime).
    fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        if let Some(parent) = path.parent() {
            self.create_folders(parent)?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        self.files.push(path.to_path_buf());
        file.write_all(bytes).map_err(|e| Error::io("write", path, e))
    }

    fn create_folders(&mut self, folder: &Path) -> Result<(), Error> {
        let missing: Vec<&Path> = folder
            .ancestors()
            .take_while(|f| !f.as_os_str().is_empty() && fs::symlink_metadata(f).is_err())
            .collect();
        for folder in missing.into_iter().rev() {
            match fs::create_dir(folder) {
                Ok(()) => self.folders.push(folder.to_path_buf()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create", folder, e)),
            }
        }
        Ok(())
    }

    /// Best effort: the error that made the run fail is the one to report.
    fn remove(self) {
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for folder in self.folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<(String, String)> {
        paths.iter().map(|p| ((*p).to_owned(), format!("{p}\n"))).collect()
    }

    #[test]
    fn writes_every_file_and_the_folders_they_need() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("new/repo");
        write_new_files(&dir, &files(&["a.yaml", "flows/x/flow.yaml"])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("flows/x/flow.yaml")).unwrap(),
            "flows/x/flow.yaml\n"
        );
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "a.yaml\n");
    }

    #[test]
    fn refuses_and_writes_nothing_when_one_file_exists() {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join("flows")).unwrap();
        fs::write(temp.path().join("flows/keep.sql"), "mine").unwrap();
        let error = write_new_files(temp.path(), &files(&["a.yaml", "flows/keep.sql"])).unwrap_err();
        assert!(error.to_string().contains("`flows/keep.sql`"), "{error}");
        assert!(!temp.path().join("a.yaml").exists());
        assert_eq!(fs::read_to_string(temp.path().join("flows/keep.sql")).unwrap(), "mine");
    }

    #[test]
    fn an_error_midway_removes_what_was_created() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("repo");
        // The second path needs a folder where the first one wrote a file.
        let error = write_new_files(&dir, &files(&["x/a.yaml", "x/a.yaml/b.yaml"])).unwrap_err();
        assert!(
            error.to_string().contains("b.yaml") || error.to_string().contains("a.yaml"),
            "{error}"
        );
        assert!(!dir.exists(), "the folder it created is gone again");
    }
}
