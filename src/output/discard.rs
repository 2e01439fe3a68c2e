//! Removing an environment folder compile no longer needs — the previous output after
//! a switch, or what an interrupted compile left — without deleting anyone's files.
//!
//! Such a folder is the new output half-built, or the previous output swapped out.
//! A file in it is removed only when flowc can tell it is its own or kept elsewhere:
//! its folder's `manifest.json` lists it (the manifest is written first, so even a
//! half-built folder lists what it holds), or the live output has the very same file
//! (a hard link to the same inode) at the same path, which is how unchanged outputs
//! and other people's files are carried into a new output. Anything else (a file
//! someone wrote into the old folder while it was being replaced) stays, and its
//! folder is moved aside to `kept-<n>` with a warning.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::files::{entries_under, remove_empty_folders, remove_if_present, same_file};
use super::{MANIFEST, manifest_outputs};
use crate::Error;
use crate::words::plural;

/// The next output while it is built; after the switch, the previous output.
pub(super) const NEXT_DIR: &str = "next";
/// The live output moved aside where folders cannot be exchanged in one step, until the
/// next output is renamed in.
pub(super) const MOVED_DIR: &str = "moved-away";
/// Prefix of folders kept because they hold files flowc cannot tell are its own.
const KEPT_PREFIX: &str = "kept-";

/// Removes `folder`, an environment output flowc no longer needs (see the module
/// documentation); `live` is the environment's live output. Returns a warning when
/// something had to be kept.
pub(super) fn discard(folder: &Path, live: &Path) -> Result<Option<String>, Error> {
    match fs::symlink_metadata(folder) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(Error::io("read", folder, error)),
        Ok(metadata) if !metadata.is_dir() => return remove_if_present(folder).map(|()| None),
        Ok(_) => {}
    }
    let own: BTreeSet<String> = manifest_outputs(folder).into_keys().collect();
    let mut failure = None;
    for entry in entries_under(folder)? {
        let file = folder.join(&entry.path);
        if entry.is_dir
            || !(entry.path == MANIFEST || own.contains(&entry.path) || same_file(&file, &live.join(&entry.path)))
        {
            continue;
        }
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                failure = Some(Error::io("remove", &file, error));
                break;
            }
        }
    }
    remove_empty_folders(folder);
    if !folder.exists() {
        return Ok(None);
    }
    // Something stays: the folder goes aside, so that its name is free for the next
    // compile and the live output is never blocked by it.
    let left: Vec<String> = entries_under(folder)?
        .into_iter()
        .filter(|entry| !entry.is_dir)
        .map(|entry| entry.path)
        .collect();
    let kept = free_kept_name(folder)?;
    fs::rename(folder, &kept).map_err(|e| Error::io("move aside", folder, e))?;
    Ok(Some(match failure {
        Some(error) => format!(
            "kept `{}`, a previous output flowc could not remove ({error}); remove it yourself",
            kept.display()
        ),
        None if left.is_empty() => format!(
            "kept `{}`, a previous output whose folders flowc could not remove; remove it yourself",
            kept.display()
        ),
        None => format!(
            "kept `{}`: it holds {} flowc did not write ({}), written into the output while it was replaced",
            kept.display(),
            plural(left.len(), "file"),
            left.join(", ")
        ),
    }))
}

/// `kept-1`, `kept-2`, … next to `folder`: the first that is free.
fn free_kept_name(folder: &Path) -> Result<PathBuf, Error> {
    let parent = folder.parent().unwrap_or(folder);
    for n in 1.. {
        let candidate = parent.join(format!("{KEPT_PREFIX}{n}"));
        match fs::symlink_metadata(&candidate) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(candidate),
            Err(error) => return Err(Error::io("read", &candidate, error)),
            Ok(_) => {}
        }
    }
    Err(Error::Internal("no free name to keep a folder under".to_owned()))
}

/// Cleans what interrupted compiles left in `compile_store` (`<out>/.flowc/compile`),
/// for every environment found there: a live output moved aside goes back when the
/// environment has none (the switch was cut between its two renames), then the next
/// and moved-aside folders are discarded. Runs under the lock.
pub(super) fn leftovers(out: &Path, compile_store: &Path) -> Result<Vec<String>, Error> {
    let entries = match fs::read_dir(compile_store) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(Error::io("list", compile_store, error)),
    };
    let mut environments = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", compile_store, e))?;
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            environments.push(entry.file_name());
        }
    }
    environments.sort();
    let mut warnings = Vec::new();
    for name in environments {
        let store = compile_store.join(&name);
        let live = out.join(&name);
        let moved = store.join(MOVED_DIR);
        if moved.is_dir() && fs::symlink_metadata(&live).is_err() {
            fs::rename(&moved, &live).map_err(|e| Error::io("move back", &live, e))?;
        }
        for leftover in [NEXT_DIR, MOVED_DIR] {
            warnings.extend(discard(&store.join(leftover), &live)?);
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    #[test]
    fn only_listed_or_carried_files_go() {
        let root = tempfile::tempdir().expect("temp dir");
        let (old, live) = (root.path().join("old"), root.path().join("live"));
        write(&old.join(MANIFEST), r#"{"outputs": {"dags/a.py": "x"}}"#);
        write(&old.join("dags/a.py"), "a");
        write(&old.join("mine.py"), "mine");
        write(&old.join("late.py"), "written during the switch");
        write(&live.join("x"), "");
        fs::hard_link(old.join("mine.py"), live.join("mine.py")).expect("link");
        let warning = discard(&old, &live).expect("discard").expect("a warning");
        assert!(!old.exists());
        assert!(warning.contains("late.py"), "{warning}");
        assert_eq!(
            fs::read_to_string(root.path().join("kept-1/late.py")).expect("kept"),
            "written during the switch"
        );
        assert_eq!(fs::read_to_string(live.join("mine.py")).expect("live"), "mine");
    }
}
