//! The `.flowc` folder flowc keeps inside an output or deploy folder: its lock and the
//! ignore file that hides it from Airflow. `compile` and `deploy` share both, so a
//! compile and a deploy into the same folder never run at once.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::files::{sync_dir, write_synced};
use crate::Error;

/// flowc's own folder inside an output or deploy folder.
pub const STORE_DIR: &str = ".flowc";
/// The lock file inside the store.
pub const LOCK_FILE: &str = "lock";
/// The store's ignore file; Airflow reads it as it walks into the store.
pub const IGNORE_FILE: &str = ".airflowignore";

/// The content of `.flowc/.airflowignore`. `.*` and `[!.]*` are valid in both
/// syntaxes: as regular expressions each matches every path; as globs they match the
/// names with and without a leading dot.
pub const AIRFLOW_IGNORE: &str = "\
# Written by flowc. This folder holds flowc's own files (deployed releases, a compile's
# next output); Airflow loads them through the folders and links next to this folder,
# never from here. Each line is valid in both .airflowignore syntaxes: as regexp (the
# Airflow 2 default) each matches everything, as glob (the Airflow 3 default) they
# match every name.
.*
[!.]*
";

/// How often a waiting compile tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// The lock of `store` (`<folder>/.flowc`), taken without waiting; `None` when another
/// process holds it. Held until the file is closed, also when the process dies.
pub fn try_lock(store: &Path) -> Result<Option<File>, Error> {
    let path = store.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(error)) => Err(Error::io("lock", &path, error)),
    }
}

/// The lock of `store`, waiting up to `wait` for another process to release it;
/// `on_wait` runs once, when the wait starts.
pub fn lock_waiting(store: &Path, wait: Duration, on_wait: &dyn Fn(&Path)) -> Result<File, Error> {
    if let Some(file) = try_lock(store)? {
        return Ok(file);
    }
    let path = store.join(LOCK_FILE);
    on_wait(&path);
    let start = Instant::now();
    loop {
        thread::sleep(LOCK_POLL);
        if let Some(file) = try_lock(store)? {
            return Ok(file);
        }
        if start.elapsed() >= wait {
            return Err(Error::OutputLocked {
                folder: store.parent().map(Path::to_path_buf).unwrap_or_default(),
                lock: path,
                waited: wait.as_secs(),
            });
        }
    }
}

/// Writes `.flowc/.airflowignore` unless it already says the right thing.
pub fn write_ignore_file(store: &Path) -> Result<(), Error> {
    let path = store.join(IGNORE_FILE);
    if fs::read(&path).is_ok_and(|bytes| bytes == AIRFLOW_IGNORE.as_bytes()) {
        return Ok(());
    }
    let temp: PathBuf = store.join(format!("{IGNORE_FILE}.new"));
    write_synced(&temp, AIRFLOW_IGNORE.as_bytes())?;
    fs::rename(&temp, &path).map_err(|e| Error::io("move into place", &path, e))?;
    sync_dir(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_waited_for_then_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let held = try_lock(root.path()).expect("lock").expect("free");
        assert!(try_lock(root.path()).expect("lock").is_none(), "taken twice");
        let waited = std::cell::Cell::new(false);
        let error =
            lock_waiting(root.path(), Duration::from_millis(120), &|_| waited.set(true)).expect_err("still held");
        assert!(waited.get());
        assert!(matches!(error, Error::OutputLocked { .. }), "{error}");
        drop(held);
        lock_waiting(root.path(), Duration::from_millis(120), &|_| panic!("no wait")).expect("free again");
    }
}
