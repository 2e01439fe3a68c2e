//! Reading many files at once: [`Prefetched`] reads a list of files on every thread
//! up front and hands each one out when it is read, so that a loop that must register
//! files one by one (in a [`super::SourceMap`], in order) does not wait on each read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rayon::prelude::*;

use super::{FileSource, ReadOutcome};
use crate::Error;

/// A [`FileSource`] holding files read ahead; every other call goes to the tree.
pub struct Prefetched<'a> {
    inner: &'a dyn FileSource,
    reads: Mutex<BTreeMap<String, ReadOutcome>>,
}

impl<'a> Prefetched<'a> {
    /// Reads `paths` from `tree` side by side. A path whose read fails is read again
    /// when asked for, so its error is reported where it always is.
    pub fn new<'p>(tree: &'a dyn FileSource, paths: impl IntoIterator<Item = &'p str>) -> Self {
        let paths: Vec<&str> = paths.into_iter().collect();
        let reads = paths
            .par_iter()
            .filter_map(|path| tree.read(path).ok().map(|outcome| ((*path).to_owned(), outcome)))
            .collect();
        Self {
            inner: tree,
            reads: Mutex::new(reads),
        }
    }
}

impl FileSource for Prefetched<'_> {
    fn read(&self, path: &str) -> Result<ReadOutcome, Error> {
        // Each file read ahead is handed out once: a second read goes to the tree.
        let ahead = self.reads.lock().ok().and_then(|mut reads| reads.remove(path));
        match ahead {
            Some(outcome) => Ok(outcome),
            None => self.inner.read(path),
        }
    }

    fn sub_folders(&self, path: &str) -> Result<Vec<String>, Error> {
        self.inner.sub_folders(path)
    }

    fn location(&self) -> String {
        self.inner.location()
    }

    fn files(&self, path: &str) -> Result<Vec<String>, Error> {
        self.inner.files(path)
    }

    fn stamp(&self, path: &str) -> Option<String> {
        self.inner.stamp(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::MemoryTree;

    #[test]
    fn files_read_ahead_are_handed_out_once_then_read_again() {
        let tree = MemoryTree::new().with("a.sql", "SELECT 1").with("b.sql", "SELECT 2");
        let ahead = Prefetched::new(&tree, ["a.sql", "missing.sql"]);
        assert_eq!(
            ahead.read("a.sql").expect("reads"),
            ReadOutcome::Bytes(b"SELECT 1".to_vec())
        );
        assert_eq!(
            ahead.read("a.sql").expect("reads"),
            ReadOutcome::Bytes(b"SELECT 1".to_vec())
        );
        assert_eq!(
            ahead.read("b.sql").expect("reads"),
            ReadOutcome::Bytes(b"SELECT 2".to_vec())
        );
        assert_eq!(ahead.read("missing.sql").expect("reads"), ReadOutcome::NotFound);
    }
}
