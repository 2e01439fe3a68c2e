//! Saving a cache flowc keeps for itself (the SQL analysis cache) in its own folder:
//! written whole to a temporary file beside it and renamed over the old one, so a
//! reader sees the old cache or the new one, never half of one. The folder gets a
//! `.gitignore` that ignores everything in it, so a repository that does not ignore
//! the cache yet never shows it as a change.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::Error;

/// The ignore file written into a cache folder.
const GITIGNORE: &str = "# Written by flowc: a cache, never committed.\n*\n";

/// Saves `bytes` as `name` in the folder `dir`, creating it.
pub fn save_cache(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let ignore = dir.join(".gitignore");
    if fs::symlink_metadata(&ignore).is_err() {
        fs::write(&ignore, GITIGNORE).map_err(|e| Error::io("write", &ignore, e))?;
    }
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("create a file in", dir, e))?;
    file.write_all(bytes).map_err(|e| Error::io("write", file.path(), e))?;
    let path = dir.join(name);
    file.persist(&path).map_err(|e| Error::io("replace", &path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_cache_replaces_the_old_one_and_is_ignored_by_git() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = dir.path().join(".flowc/cache");
        save_cache(&cache, "sql", b"old").expect("saves");
        save_cache(&cache, "sql", b"new").expect("saves");
        assert_eq!(fs::read(cache.join("sql")).expect("reads"), b"new");
        assert_eq!(fs::read_to_string(cache.join(".gitignore")).expect("reads"), GITIGNORE);
        let names: Vec<_> = fs::read_dir(&cache)
            .expect("lists")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }
}
