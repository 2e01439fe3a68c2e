//! The SQL analysis cache: each file's [`SqlAnalysis`] saved under a key made of
//! everything the analysis depends on (flowc's build, the text and the
//! [`SqlOptions`]), so that a file analysed before is loaded instead of parsed.
//!
//! A [`SqlCache`] is one run's view of the cache: the entries the last run saved,
//! read-only, and the entries this run used, which the caller saves for the next run
//! with [`SqlCache::updated`] (only the entries used: the cache never grows beyond one
//! run's files, and a `plan` saves both revisions' files). Pure: the caller reads and
//! writes the bytes.
//!
//! The bytes: a magic line, the SHA-256 of the rest, then per entry its key (32 bytes),
//! its length (u32, little end) and the analysis in postcard, sorted by key.
//! Bytes that are not of this format or whose hash does not match are no cache at
//! all; an entry that does not load is a miss. Either way the file is analysed again
//! and the cache rewritten: a cache is never trusted over the SQL.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Mutex;

use super::{SqlAnalysis, SqlOptions};
use crate::diagnostic::{FileId, in_file};
use crate::hash::digest_parts;

/// The first bytes of a cache: the format, versioned.
const MAGIC: &[u8] = b"flowc sql analysis cache 1\n";

/// What an analysis depends on, hashed.
pub type Key = [u8; 32];

/// One run's view of the cache.
#[derive(Debug, Default)]
pub struct SqlCache {
    /// Whose analyses these are: flowc's version and binary.
    build: String,
    /// The bytes as read.
    bytes: Vec<u8>,
    /// Where each entry's analysis is in `bytes`.
    entries: HashMap<Key, Range<usize>>,
    /// What this run used.
    used: Mutex<Used>,
}

/// The entries one run used: found in the cache, or analysed and saved anew.
#[derive(Debug, Default)]
struct Used {
    found: BTreeSet<Key>,
    fresh: BTreeMap<Key, Vec<u8>>,
}

impl SqlCache {
    /// A cache for `build` from the bytes the last run saved (`None`: none saved).
    /// Bytes of another format, or damaged, give an empty cache.
    pub fn new(build: impl Into<String>, bytes: Option<Vec<u8>>) -> Self {
        let build = build.into();
        let Some(bytes) = bytes else {
            return Self {
                build,
                ..Self::default()
            };
        };
        match index(&bytes) {
            Some(entries) => Self {
                build,
                bytes,
                entries,
                used: Mutex::default(),
            },
            None => Self {
                build,
                ..Self::default()
            },
        }
    }

    /// A cache that saves nothing and finds nothing: every file is analysed.
    pub fn none() -> Self {
        Self::default()
    }

    /// How many entries the last run saved.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the last run saved no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key of analysing `text` with `options`.
    fn key(&self, text: &str, options: &SqlOptions<'_>) -> Key {
        // Which options are given, and how many names each list holds, then the values.
        let count = |n: Option<usize>| n.map_or(0, |n| n as u64 + 1).to_le_bytes();
        let shape = [
            count(options.default_database.map(|_| 0)),
            count(options.params.map(BTreeMap::len)),
            count(options.known_variables.map(BTreeSet::len)),
        ]
        .concat();
        let mut parts: Vec<&[u8]> = vec![self.build.as_bytes(), text.as_bytes(), &shape];
        parts.push(options.default_database.unwrap_or_default().as_bytes());
        for (name, value) in options.params.into_iter().flatten() {
            parts.extend([name.as_bytes(), value.as_bytes()]);
        }
        parts.extend(options.known_variables.into_iter().flatten().map(String::as_bytes));
        digest_parts(parts)
    }

    /// The analysis of `file`, whose `text` is analysed with `options`: the cached one,
    /// or `analyse()`'s, which is then saved. Spans are in `file` either way. With no
    /// cache ([`SqlCache::none`]) nothing is hashed.
    pub fn analysis(
        &self,
        (file, text): (FileId, &str),
        options: &SqlOptions<'_>,
        analyse: impl FnOnce() -> SqlAnalysis,
    ) -> SqlAnalysis {
        if self.build.is_empty() {
            return analyse();
        }
        let key = self.key(text, options);
        let cached = self
            .entries
            .get(&key)
            .and_then(|range| self.bytes.get(range.clone()))
            .and_then(|bytes| in_file::within(file, || postcard::from_bytes::<SqlAnalysis>(bytes).ok()));
        if let Some(analysis) = cached {
            self.lock().found.insert(key);
            return analysis;
        }
        let analysis = analyse();
        // An analysis with a span in another file is not saved (and never made today).
        if let Ok(bytes) = in_file::within(file, || postcard::to_stdvec(&analysis)) {
            self.lock().fresh.insert(key, bytes);
        }
        analysis
    }

    /// The cache to save for the next run: the entries this run used; `None` when
    /// that is what was read (nothing to save).
    pub fn updated(&self) -> Option<Vec<u8>> {
        let used = self.lock();
        if self.build.is_empty() || (used.fresh.is_empty() && used.found.len() == self.entries.len()) {
            return None;
        }
        let mut entries: BTreeMap<&Key, &[u8]> = used.fresh.iter().map(|(k, v)| (k, v.as_slice())).collect();
        for key in &used.found {
            if let Some(bytes) = self.entries.get(key).and_then(|range| self.bytes.get(range.clone())) {
                entries.insert(key, bytes);
            }
        }
        let mut body = Vec::new();
        for (key, bytes) in entries {
            body.extend_from_slice(key);
            body.extend_from_slice(&u32::try_from(bytes.len()).ok()?.to_le_bytes());
            body.extend_from_slice(bytes);
        }
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&digest_parts([body.as_slice()]));
        out.extend_from_slice(&body);
        Some(out)
    }

    /// How many analyses this run found in the cache, and how many it made.
    pub fn counts(&self) -> (usize, usize) {
        let used = self.lock();
        (used.found.len(), used.fresh.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Used> {
        // A poisoned lock only means another thread panicked; the sets stay usable.
        self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where each entry is in `bytes`, when they are a whole cache of this format.
fn index(bytes: &[u8]) -> Option<HashMap<Key, Range<usize>>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (hash, body) = rest.split_at_checked(32)?;
    if digest_parts([body]) != hash {
        return None;
    }
    let start = bytes.len() - body.len();
    let mut entries = HashMap::new();
    let mut at = 0;
    while at < body.len() {
        let key: Key = body.get(at..at + 32)?.try_into().ok()?;
        let length: [u8; 4] = body.get(at + 32..at + 36)?.try_into().ok()?;
        let length = usize::try_from(u32::from_le_bytes(length)).ok()?;
        let range = at + 36..at + 36 + length;
        body.get(range.clone())?;
        entries.insert(key, start + range.start..start + range.end);
        at = range.end;
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::analyze;

    const SQL: &str = "INSERT OVERWRITE TABLE dws.b PARTITION (dt = '${bizdate}')\n\
        SELECT a.id, sum(a.amount) AS total FROM ods.a a WHERE a.dt = '${bizdate}' GROUP BY a.id";

    fn run(cache: &SqlCache, file: FileId) -> SqlAnalysis {
        let options = SqlOptions::default();
        cache.analysis((file, SQL), &options, || analyze(file, SQL, &options))
    }

    #[test]
    fn a_cached_analysis_is_the_analysis_in_the_file_it_is_loaded_for() {
        let first = SqlCache::new("build 1", None);
        run(&first, FileId::from_index(3));
        assert_eq!(first.counts(), (0, 1));
        let saved = first.updated().expect("something to save");

        let second = SqlCache::new("build 1", Some(saved.clone()));
        assert_eq!(second.len(), 1);
        let file = FileId::from_index(7);
        let loaded = run(&second, file);
        assert_eq!(second.counts(), (1, 0));
        assert_eq!(loaded, analyze(file, SQL, &SqlOptions::default()));
        assert!(!loaded.reads.is_empty());
        // The same entries were used: nothing to save.
        assert_eq!(second.updated(), None);
    }

    #[test]
    fn another_build_or_other_options_miss() {
        let first = SqlCache::new("build 1", None);
        run(&first, FileId::from_index(0));
        let saved = first.updated().expect("saved");
        let other = SqlCache::new("build 2", Some(saved.clone()));
        run(&other, FileId::from_index(0));
        assert_eq!(other.counts(), (0, 1));
        let same = SqlCache::new("build 1", Some(saved));
        let database = SqlOptions {
            default_database: Some("dwd"),
            ..SqlOptions::default()
        };
        assert_ne!(same.key(SQL, &database), same.key(SQL, &SqlOptions::default()));
    }

    #[test]
    fn damaged_or_foreign_bytes_are_no_cache() {
        let first = SqlCache::new("build 1", None);
        run(&first, FileId::from_index(0));
        let saved = first.updated().expect("saved");
        for damaged in [
            saved[..saved.len() - 1].to_vec(),
            [saved.as_slice(), b"x"].concat(),
            {
                let mut flipped = saved.clone();
                let last = flipped.len() - 1;
                flipped[last] ^= 1;
                flipped
            },
            b"{\"not\": \"a cache\"}".to_vec(),
            Vec::new(),
        ] {
            let cache = SqlCache::new("build 1", Some(damaged));
            assert!(cache.is_empty());
            let file = FileId::from_index(1);
            assert_eq!(run(&cache, file), analyze(file, SQL, &SqlOptions::default()));
            assert_eq!(cache.counts(), (0, 1));
        }
    }

    #[test]
    fn an_entry_that_does_not_load_is_analysed_again() {
        // A well-formed cache whose entry is not an analysis (hash recomputed).
        let cache = SqlCache::new("build 1", None);
        let key = cache.key(SQL, &SqlOptions::default());
        let mut body = key.to_vec();
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(&[0xff, 0xff, 0xff]);
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&digest_parts([body.as_slice()]));
        bytes.extend_from_slice(&body);
        let cache = SqlCache::new("build 1", Some(bytes));
        assert_eq!(cache.len(), 1);
        let file = FileId::from_index(2);
        assert_eq!(run(&cache, file), analyze(file, SQL, &SqlOptions::default()));
        assert_eq!(cache.counts(), (0, 1));
    }

    #[test]
    fn no_cache_saves_nothing() {
        let cache = SqlCache::none();
        run(&cache, FileId::from_index(0));
        assert_eq!(cache.updated(), None);
    }
}
