//! What a run read, and whether a run over a tree now would read the same: the
//! inputs a memoised result depends on.
//!
//! [`Recording`] wraps any [`FileSource`] and notes every call made through it (each
//! file read, with its content's SHA-256 or what stopped the read; each folder listed,
//! with a hash of its names). [`Inputs::unchanged`] makes the same calls again and
//! compares (a file whose [`FileSource::stamp`] is as it was is not read again): a file edited, added where a folder was listed, or removed, and the
//! answer is no. Every byte a compile depends on comes through its `FileSource`, so
//! equal calls mean an equal compile.

use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{FileSource, ReadOutcome};
use crate::Error;
use crate::hash::hash_bytes;

/// One call made through a [`FileSource`] and what it answered, as a hash.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// [`FileSource::read`].
    Read {
        /// The repository path.
        path: String,
        /// The content's SHA-256, or what stopped the read.
        answer: String,
        /// The file's [`FileSource::stamp`] before it was read, when it had one: the
        /// same stamp again means the same content, without reading it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stamp: Option<String>,
    },
    /// [`FileSource::files`].
    Files {
        /// The folder.
        path: String,
        /// A hash of the names listed.
        answer: String,
    },
    /// [`FileSource::sub_folders`].
    SubFolders {
        /// The folder.
        path: String,
        /// A hash of the names listed.
        answer: String,
    },
}

/// Every distinct call a run made, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    calls: Vec<Call>,
}

/// A [`FileSource`] that notes every call made through it.
pub struct Recording<'a> {
    inner: &'a dyn FileSource,
    calls: Mutex<Vec<Call>>,
}

impl<'a> Recording<'a> {
    /// Records the calls made to `inner` from now on.
    pub fn new(inner: &'a dyn FileSource) -> Self {
        Self {
            inner,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The calls made so far.
    pub fn inputs(&self) -> Inputs {
        let mut calls = self.calls.lock().map(|calls| calls.clone()).unwrap_or_default();
        calls.sort();
        calls.dedup();
        Inputs { calls }
    }

    fn note(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

impl FileSource for Recording<'_> {
    fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
        // Before the read: a change while it reads leaves a stamp that no longer fits.
        let stamp = self.inner.stamp(path);
        let outcome = self.inner.read(path)?;
        self.note(Call::Read {
            path: path.to_owned(),
            answer: read_answer(&outcome),
            stamp: stamp.filter(|_| matches!(outcome, ReadOutcome::Bytes(_))),
        });
        Ok(outcome)
    }

    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
        let names = self.inner.sub_folders(path)?;
        self.note(Call::SubFolders {
            path: path.to_owned(),
            answer: names_answer(&names),
        });
        Ok(names)
    }

    fn location(&self) -> String {
        self.inner.location()
    }

    fn stamp(&self, path: &str) -> Option<String> {
        self.inner.stamp(path)
    }

    fn files(&self, path: &str) -> Result<Vec<String>, Error> {
        let names = self.inner.files(path)?;
        self.note(Call::Files {
            path: path.to_owned(),
            answer: names_answer(&names),
        });
        Ok(names)
    }
}

impl Inputs {
    /// How many distinct calls were made.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call was made.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Whether every call, made again on `tree`, answers as it did (read side by side).
    pub fn unchanged(&self, tree: &dyn FileSource) -> Result<bool, Error> {
        let changed = self.calls.par_iter().map(|call| -> Result<bool, Error> {
            Ok(match call {
                Call::Read { path, answer, stamp } => {
                    let same_stamp = stamp.is_some() && tree.stamp(path) == *stamp;
                    !same_stamp && read_answer(&tree.read(path)?) != *answer
                }
                Call::Files { path, answer } => names_answer(&tree.files(path)?) != *answer,
                Call::SubFolders { path, answer } => names_answer(&tree.sub_folders(path)?) != *answer,
            })
        });
        // Any change ends the look; an error is not a change, it is reported.
        let found = changed.find_any(|result| !matches!(result, Ok(false)));
        match found {
            None => Ok(true),
            Some(Ok(_)) => Ok(false),
            Some(Err(error)) => Err(error),
        }
    }
}

fn read_answer(outcome: &ReadOutcome) -> String {
    match outcome {
        ReadOutcome::Bytes(bytes) => hash_bytes(bytes),
        ReadOutcome::NotFound => "not found".to_owned(),
        ReadOutcome::Escapes => "escapes".to_owned(),
        ReadOutcome::TooLarge(size) => format!("too large: {size}"),
        ReadOutcome::NotAFile => "not a file".to_owned(),
        ReadOutcome::Special => "special".to_owned(),
    }
}

fn names_answer(names: &[String]) -> String {
    hash_bytes(names.join("\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::MemoryTree;

    fn recorded(tree: &MemoryTree) -> Inputs {
        let recording = Recording::new(tree);
        recording.read("flowc.yaml").expect("reads");
        recording.read("missing.yaml").expect("reads");
        recording.sub_folders("flows").expect("lists");
        recording.files("flows/a").expect("lists");
        recording.read("flowc.yaml").expect("reads again");
        recording.inputs()
    }

    fn tree(project: &str, flow_files: &[&str]) -> MemoryTree {
        let mut tree = MemoryTree::new().with("flowc.yaml", project);
        for file in flow_files {
            tree = tree.with(&format!("flows/a/{file}"), "x");
        }
        tree
    }

    #[test]
    fn the_same_tree_is_unchanged_and_each_call_is_kept_once() {
        let inputs = recorded(&tree("project: p\n", &["flow.yaml"]));
        assert_eq!(inputs.len(), 4);
        assert!(
            inputs
                .unchanged(&tree("project: p\n", &["flow.yaml"]))
                .expect("replays")
        );
    }

    #[test]
    fn an_edited_read_a_new_file_or_a_file_where_none_was_is_a_change() {
        let inputs = recorded(&tree("project: p\n", &["flow.yaml"]));
        assert!(
            !inputs
                .unchanged(&tree("project: q\n", &["flow.yaml"]))
                .expect("replays")
        );
        assert!(
            !inputs
                .unchanged(&tree("project: p\n", &["flow.yaml", "t.sql"]))
                .expect("replays")
        );
        let with_missing = tree("project: p\n", &["flow.yaml"]).with("missing.yaml", "now here");
        assert!(!inputs.unchanged(&with_missing).expect("replays"));
    }

    #[test]
    fn inputs_survive_json() {
        let inputs = recorded(&tree("project: p\n", &["flow.yaml"]));
        let text = serde_json::to_string(&inputs).expect("serialises");
        let back: Inputs = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, inputs);
    }

    /// A tree whose files have stamps, counting its reads.
    struct Stamped {
        tree: MemoryTree,
        stamps: std::collections::BTreeMap<String, String>,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl FileSource for Stamped {
        fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.tree.read(path)
        }
        fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
            self.tree.sub_folders(path)
        }
        fn location(&self) -> String {
            self.tree.location()
        }
        fn files(&self, path: &str) -> Result<Vec<String>, Error> {
            self.tree.files(path)
        }
        fn stamp(&self, path: &str) -> Option<String> {
            self.stamps.get(path).cloned()
        }
    }

    fn stamped(project: &str, stamp: Option<&str>) -> Stamped {
        Stamped {
            tree: tree(project, &[]),
            stamps: stamp
                .map(|s| ("flowc.yaml".to_owned(), s.to_owned()))
                .into_iter()
                .collect(),
            reads: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    #[test]
    fn a_file_whose_stamp_is_as_it_was_is_not_read_again() {
        let recording_tree = stamped("project: p\n", Some("1"));
        let recording = Recording::new(&recording_tree);
        recording.read("flowc.yaml").expect("reads");
        let inputs = recording.inputs();
        // Same stamp: not read.
        let same = stamped("project: p\n", Some("1"));
        assert!(inputs.unchanged(&same).expect("replays"));
        assert_eq!(same.reads.load(std::sync::atomic::Ordering::Relaxed), 0);
        // Another stamp, or none: read and compared.
        for stamp in [Some("2"), None] {
            let other = stamped("project: p\n", stamp);
            assert!(inputs.unchanged(&other).expect("replays"));
            assert_eq!(other.reads.load(std::sync::atomic::Ordering::Relaxed), 1);
            assert!(!inputs.unchanged(&stamped("project: q\n", stamp)).expect("replays"));
        }
    }
}
