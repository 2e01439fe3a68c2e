//! Building an environment's next output folder beside the live one, without touching
//! the live one: the manifest first, then each compiled file (hard-linked from the
//! live output when it is unchanged, written otherwise), then every file of the live
//! output that is not flowc's, hard-linked across so it stays.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::discard::{NEXT_DIR, discard};
use super::files::entries_under;
use super::{MANIFEST, WriteSummary, outputs_of};
use crate::Error;

/// What is at an environment's output path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Live {
    /// Nothing yet.
    Absent,
    /// A folder: the previous output.
    Folder,
}

/// An environment whose next output is ready to switch in.
#[derive(Debug)]
pub(super) struct Prepared {
    /// `<out>/<env>`.
    pub(super) live: PathBuf,
    /// What was there.
    pub(super) kind: Live,
    /// The next output, `None` when it would be the same as the live one.
    pub(super) next: Option<PathBuf>,
    /// What the switch changes.
    pub(super) summary: WriteSummary,
}

/// What is at `live`; a file or a link there is refused, because replacing it would
/// lose what it is.
pub(super) fn live_kind(live: &Path) -> Result<Live, Error> {
    match fs::symlink_metadata(live) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Live::Absent),
        Err(error) => Err(Error::io("read", live, error)),
        Ok(metadata) if metadata.is_dir() => Ok(Live::Folder),
        Ok(metadata) => Err(Error::OutputBlocked {
            path: live.to_path_buf(),
            reason: format!(
                "is {}, where compile keeps a folder it replaces as a whole: move it away, or compile to another --out",
                if metadata.file_type().is_symlink() {
                    "a link"
                } else {
                    "a file"
                }
            ),
        }),
    }
}

/// Builds the next output of environment `live` (`<out>/<env>`) in `store`
/// (`<out>/.flowc/compile/<env>`), or finds there is nothing to change. On failure the
/// half-built folder is removed and the live output is as it was.
pub(super) fn prepare(live: &Path, store: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<Prepared, Error> {
    let kind = live_kind(live)?;
    let new_manifest = files.get(MANIFEST);
    let live_manifest = match kind {
        Live::Absent => None,
        Live::Folder => read_optional(&live.join(MANIFEST))?,
    };
    if new_manifest.is_some() && new_manifest == live_manifest.as_ref() && all_in_place(live, files) {
        // The manifest lists every other file with its hash, and each is still there at
        // its size: nothing changed, and no file needs to be read.
        return Ok(Prepared {
            live: live.to_path_buf(),
            kind,
            next: None,
            summary: WriteSummary {
                unchanged: files.len(),
                ..WriteSummary::default()
            },
        });
    }
    let old_outputs = live_manifest.as_deref().map(outputs_of).unwrap_or_default();
    let removed = old_outputs.keys().filter(|path| !files.contains_key(*path)).count();
    fs::create_dir_all(store).map_err(|e| Error::io("create", store, e))?;
    let next = store.join(NEXT_DIR);
    let mut summary = WriteSummary {
        removed,
        ..WriteSummary::default()
    };
    let built = build(live, kind, &next, files, &old_outputs, &mut summary);
    if let Err(error) = built {
        // Best effort: what stays is cleaned by the next compile.
        let _ = discard(&next, live);
        return Err(error);
    }
    Ok(Prepared {
        live: live.to_path_buf(),
        kind,
        next: Some(next),
        summary,
    })
}

/// Whether every compiled file is in the live output, a file of its size: one deleted
/// or cut short by hand makes the environment rebuilt (one `stat` per file, no reads).
fn all_in_place(live: &Path, files: &BTreeMap<String, Vec<u8>>) -> bool {
    files.iter().all(|(path, bytes)| {
        fs::symlink_metadata(live.join(path))
            .is_ok_and(|m| m.is_file() && m.len() == u64::try_from(bytes.len()).unwrap_or(u64::MAX))
    })
}

fn build(
    live: &Path,
    kind: Live,
    next: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    old_outputs: &BTreeMap<String, String>,
    summary: &mut WriteSummary,
) -> Result<(), Error> {
    fs::create_dir(next).map_err(|e| Error::io("create", next, e))?;
    // The manifest first: it names every file this folder will hold, which is what lets
    // a later compile remove a half-built folder (see `discard`).
    if let Some(bytes) = files.get(MANIFEST) {
        write(&next.join(MANIFEST), bytes)?;
        summary.written += 1;
    }
    let new_outputs = files.get(MANIFEST).map(|bytes| outputs_of(bytes)).unwrap_or_default();
    let others: Vec<(&String, &Vec<u8>)> = files.iter().filter(|(path, _)| *path != MANIFEST).collect();
    // The folders first, each once; then the files side by side.
    let folders: BTreeSet<PathBuf> = others
        .iter()
        .filter_map(|(path, _)| next.join(path).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        fs::create_dir_all(folder).map_err(|e| Error::io("create", folder, e))?;
    }
    let linked: Vec<bool> = others
        .par_iter()
        .map(|(path, bytes)| -> Result<bool, Error> {
            let target = next.join(path);
            let unchanged = new_outputs
                .get(*path)
                .is_some_and(|hash| old_outputs.get(*path) == Some(hash));
            let source = live.join(path);
            if unchanged
                && fs::symlink_metadata(&source)
                    .is_ok_and(|m| m.is_file() && m.len() == u64::try_from(bytes.len()).unwrap_or(u64::MAX))
                && fs::hard_link(&source, &target).is_ok()
            {
                return Ok(true);
            }
            write(&target, bytes)?;
            Ok(false)
        })
        .collect::<Result<_, _>>()?;
    let unchanged = linked.iter().filter(|linked| **linked).count();
    summary.unchanged += unchanged;
    summary.written += linked.len() - unchanged;
    if kind == Live::Folder {
        carry_foreign(live, next, files, old_outputs)?;
    }
    Ok(())
}

/// Hard-links every file, link and empty folder of `live` that flowc did not write
/// into `next`. A compiled file replaces one at its own path, as it always has; one that
/// would need its path to be both a file and a folder stops the compile.
fn carry_foreign(
    live: &Path,
    next: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    old_outputs: &BTreeMap<String, String>,
) -> Result<(), Error> {
    let entries = entries_under(live)?;
    let mut nonempty: BTreeSet<&str> = BTreeSet::new();
    for entry in &entries {
        if let Some((parent, _)) = entry.path.rsplit_once('/') {
            nonempty.insert(parent);
        }
    }
    for entry in &entries {
        let path = entry.path.as_str();
        // A folder is never flowc's file, even at a path its manifest lists.
        if !entry.is_dir && (path == MANIFEST || old_outputs.contains_key(path) || files.contains_key(path)) {
            continue;
        }
        let (from, to) = (live.join(path), next.join(path));
        if entry.is_dir {
            if files.contains_key(path) {
                return Err(in_the_way(
                    &from,
                    "is a folder flowc did not write, where it must write a file",
                ));
            }
            if !nonempty.contains(path) {
                create_dir_all_in(&to, next, &from)?;
            }
            continue;
        }
        if let Some(parent) = to.parent() {
            create_dir_all_in(parent, next, &from)?;
        }
        if fs::symlink_metadata(&to).is_ok() {
            return Err(in_the_way(
                &from,
                "is a file flowc did not write, where it must now write a folder",
            ));
        }
        carry(&from, &to)?;
    }
    Ok(())
}

/// Creates `dir` (inside `next`), failing with a clear message when a compiled file
/// holds one of its names.
fn create_dir_all_in(dir: &Path, next: &Path, foreign: &Path) -> Result<(), Error> {
    match fs::create_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory
            ) =>
        {
            let output = dir
                .ancestors()
                .take_while(|a| a.starts_with(next) && *a != next)
                .find(|a| a.is_file())
                .and_then(|a| a.strip_prefix(next).ok())
                .map(|a| a.display().to_string())
                .unwrap_or_default();
            Err(in_the_way(
                foreign,
                &format!("is not flowc's and needs `{output}` to be a folder, where flowc must now write a file"),
            ))
        }
        Err(error) => Err(Error::io("create", dir, error)),
    }
}

fn in_the_way(path: &Path, what: &str) -> Error {
    Error::OutputBlocked {
        path: path.to_path_buf(),
        reason: format!("{what}; move it away and compile again (the previous output is unchanged)"),
    }
}

/// Carries one file (or link) of someone else into the next output: a hard link, or
/// where one cannot be made, a copy (the original then stays in the previous output,
/// kept aside with a warning, since it is not the very same file).
fn carry(from: &Path, to: &Path) -> Result<(), Error> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    let metadata = fs::symlink_metadata(from).map_err(|e| Error::io("read", from, e))?;
    #[cfg(unix)]
    if metadata.file_type().is_symlink() {
        let target = fs::read_link(from).map_err(|e| Error::io("read the link", from, e))?;
        return std::os::unix::fs::symlink(target, to).map_err(|e| Error::io("create the link", to, e));
    }
    if metadata.is_file() {
        return fs::copy(from, to).map(|_| ()).map_err(|e| Error::io("copy", from, e));
    }
    Err(Error::OutputBlocked {
        path: from.to_path_buf(),
        reason: "is not flowc's and can be neither linked nor copied into the new output; move it away".to_owned(),
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    fs::write(path, bytes).map_err(|e| Error::io("write", path, e))
}

/// A file's bytes; `None` when it is missing.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(error) if error.kind() == io::ErrorKind::IsADirectory => Ok(None),
        Err(error) => Err(Error::io("read", path, error)),
    }
}
