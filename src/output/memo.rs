//! The compile memo: what the last compile into `<out>` read and left there, so that a
//! compile of unchanged inputs can tell, without compiling, that `<out>` already holds
//! exactly what it would write.
//!
//! `<out>/.flowc/memo/<key>.json`, one per request (environments, Airflow version,
//! where the files come from) and flowc build, holds the [`Inputs`] of that compile
//! (every file it read, by content hash, and every folder it listed) and, for each
//! environment, every file it wrote with its size, modification time and inode as they
//! were once written. A memo is current when, under the output lock, every one of
//! those files is still there as it was and every input answers as before: then the
//! output is what a compile would write, byte for byte, and nothing needs doing.
//! A memo that is missing, unreadable, of another format or another flowc build, or
//! that does not match, is ignored (the compile runs and writes a new one): it can make
//! a compile skip work, never change what it writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::LOCK_WAIT;
use super::files::write_atomically;
use super::store::{STORE_DIR, lock_waiting};
use crate::Error;
use crate::hash::hash_bytes;
use crate::load::{FileSource, Inputs};

/// The memo's own format; a memo of another is ignored.
const FORMAT: u32 = 2;
/// The memo's folder in the store.
const MEMO_DIR: &str = "memo";

/// What one compile read and left in `<out>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    format: u32,
    /// The flowc build that wrote it.
    build: String,
    /// A hash of what was asked (environments, Airflow version, source).
    request: String,
    /// Every call the compile made to its files.
    pub inputs: Inputs,
    /// Each environment's output files, as written.
    pub environments: Vec<EnvironmentMemo>,
    /// What the command showed and shows again on a hit (its warnings), by name.
    pub shown: BTreeMap<String, String>,
}

/// One environment's output, as the compile left it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentMemo {
    /// The environment.
    pub name: String,
    /// What the command said of it (DAGs, tasks, Airflow version).
    pub summary: String,
    /// Every file written under `<out>/<env>/`, sorted by path.
    pub files: Vec<Stamp>,
}

/// A file as it was once written: a file written again, edited, replaced or removed
/// since has another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The path under `<out>/<env>/`.
    pub path: String,
    size: u64,
    modified_ns: u128,
    inode: u64,
}

impl Memo {
    /// A memo of a compile by `build` for `request`.
    pub fn new(build: &str, request: &str, inputs: Inputs) -> Self {
        Self {
            format: FORMAT,
            build: build.to_owned(),
            request: hash_bytes(request.as_bytes()),
            inputs,
            environments: Vec::new(),
            shown: BTreeMap::new(),
        }
    }
}

/// The file of the memo of `request` by `build` in `out`.
fn path(out: &Path, build: &str, request: &str) -> PathBuf {
    let key = hash_bytes(format!("{build}\n{}", hash_bytes(request.as_bytes())).as_bytes());
    memo_file(out, &key)
}

/// The memo file of key `key`.
fn memo_file(out: &Path, key: &str) -> PathBuf {
    out.join(STORE_DIR).join(MEMO_DIR).join(format!("{}.json", &key[..16]))
}

/// The stamps of the files `paths` of `<out>/<env>/`, as they are now.
pub fn stamps<'a>(
    out: &Path,
    environment: &str,
    paths: impl IntoIterator<Item = &'a String>,
) -> Result<Vec<Stamp>, Error> {
    let folder = out.join(environment);
    let mut stamps: Vec<Stamp> = paths
        .into_iter()
        .map(|path| {
            let file = folder.join(path);
            stamp(&file)
                .map(|(size, modified_ns, inode)| Stamp {
                    path: path.clone(),
                    size,
                    modified_ns,
                    inode,
                })
                .ok_or_else(|| Error::io("read the metadata of", &file, std::io::Error::other("no such file")))
        })
        .collect::<Result<_, _>>()?;
    stamps.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(stamps)
}

/// Size, modification time (ns since the epoch) and inode of a file; `None` when it
/// is not a regular file.
fn stamp(path: &Path) -> Option<(u64, u128, u64)> {
    let metadata = fs::symlink_metadata(path).ok().filter(fs::Metadata::is_file)?;
    let modified = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    Some((metadata.len(), modified.as_nanos(), inode))
}

/// Saves `memo` for the next compile into `out`, atomically.
pub fn save(out: &Path, memo: &Memo) -> Result<(), Error> {
    let bytes = serde_json::to_vec(memo).map_err(|error| Error::Internal(format!("the compile memo: {error}")))?;
    let key = hash_bytes(format!("{}\n{}", memo.build, memo.request).as_bytes());
    write_atomically(&memo_file(out, &key), &bytes)
}

/// The memo of `request` by `build` in `out`, when it is current for `tree`: checked
/// under the output lock (`on_wait` runs while another flowc holds it).
pub fn current(
    out: &Path,
    build: &str,
    request: &str,
    tree: &dyn FileSource,
    on_wait: &dyn Fn(&Path),
) -> Result<Option<Memo>, Error> {
    let Ok(bytes) = fs::read(path(out, build, request)) else {
        return Ok(None);
    };
    let Ok(memo) = serde_json::from_slice::<Memo>(&bytes) else {
        return Ok(None);
    };
    let asked = hash_bytes(request.as_bytes());
    if memo.format != FORMAT || memo.build != build || memo.request != asked || memo.inputs.is_empty() {
        return Ok(None);
    }
    let store = out.join(STORE_DIR);
    let lock = lock_waiting(&store, LOCK_WAIT, on_wait)?;
    // The outputs' stats and the inputs' hashes, side by side, each in parallel.
    let (written, unchanged) = rayon::join(
        || {
            memo.environments.iter().all(|environment| {
                let folder = out.join(&environment.name);
                environment
                    .files
                    .par_iter()
                    .all(|file| stamp(&folder.join(&file.path)) == Some((file.size, file.modified_ns, file.inode)))
            })
        },
        || memo.inputs.unchanged(tree),
    );
    let current = written && unchanged?;
    drop(lock);
    Ok(current.then_some(memo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{MemoryTree, Recording};

    fn recorded(tree: &MemoryTree) -> Inputs {
        let recording = Recording::new(tree);
        recording.read("flowc.yaml").expect("reads");
        recording.inputs()
    }

    /// A memo of one environment whose one file `out/prod/a.txt` is written.
    fn saved(out: &Path, tree: &MemoryTree) -> Memo {
        fs::create_dir_all(out.join("prod")).expect("mkdir");
        fs::write(out.join("prod/a.txt"), "a").expect("write");
        let mut memo = Memo::new("flowc 1", "prod", recorded(tree));
        memo.environments.push(EnvironmentMemo {
            name: "prod".to_owned(),
            summary: "1 DAG".to_owned(),
            files: stamps(out, "prod", &["a.txt".to_owned()]).expect("stamps"),
        });
        save(out, &memo).expect("saves");
        memo
    }

    fn current_for(out: &Path, build: &str, tree: &MemoryTree) -> Option<Memo> {
        current(out, build, "prod", tree, &|_| {}).expect("looks")
    }

    #[test]
    fn a_memo_is_current_until_an_input_or_an_output_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = MemoryTree::new().with("flowc.yaml", "project: p\n");
        let memo = saved(dir.path(), &tree);
        assert_eq!(current_for(dir.path(), "flowc 1", &tree), Some(memo));
        // Another build, another input, an output rewritten: not current.
        assert_eq!(current_for(dir.path(), "flowc 2", &tree), None);
        let edited = MemoryTree::new().with("flowc.yaml", "project: q\n");
        assert_eq!(current_for(dir.path(), "flowc 1", &edited), None);
        let file = dir.path().join("prod/a.txt");
        fs::remove_file(&file).expect("remove");
        fs::write(&file, "a").expect("write the same again");
        assert_eq!(current_for(dir.path(), "flowc 1", &tree), None);
    }

    #[test]
    fn a_corrupt_or_foreign_memo_is_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tree = MemoryTree::new().with("flowc.yaml", "project: p\n");
        let memo = saved(dir.path(), &tree);
        let file = path(dir.path(), "flowc 1", "prod");
        fs::write(&file, b"{\"format\": 1, \"build\": ").expect("corrupt it");
        assert_eq!(current_for(dir.path(), "flowc 1", &tree), None);
        let mut foreign = memo;
        foreign.format = FORMAT + 1;
        fs::write(&file, serde_json::to_vec(&foreign).expect("json")).expect("write");
        assert_eq!(current_for(dir.path(), "flowc 1", &tree), None);
    }
}
