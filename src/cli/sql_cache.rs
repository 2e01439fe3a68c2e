//! The SQL analysis cache of the repository at hand (see [`crate::sql::cache`]):
//! `<repo>/.flowc/cache/sql-analysis`, or `sql-analysis` in `$FLOWC_CACHE_DIR` when
//! that is set. `check`, `compile` and `plan` read it before they analyse and save
//! what they used after; a cache that cannot be saved (a read-only checkout) is
//! skipped without a word, since it only ever saves time.

use std::path::{Path, PathBuf};

use super::Printer;
use crate::load::read_cache;
use crate::output::cache::save_cache;
use crate::sql::cache::SqlCache;
use crate::words::plural;

/// The environment variable that moves the cache folder.
pub(crate) const CACHE_DIR_VARIABLE: &str = "FLOWC_CACHE_DIR";
/// The cache folder inside a repository.
pub(crate) const REPO_CACHE_DIR: &str = ".flowc/cache";
/// The cache file in that folder.
const CACHE_FILE: &str = "sql-analysis";

/// A repository's cache, read, and where to save it.
pub(crate) struct RepoCache {
    dir: PathBuf,
    cache: SqlCache,
}

impl RepoCache {
    /// Reads the cache of the repository at `repo`.
    pub(crate) fn open(repo: &Path) -> Self {
        let dir = std::env::var_os(CACHE_DIR_VARIABLE)
            .filter(|dir| !dir.is_empty())
            .map_or_else(|| repo.join(REPO_CACHE_DIR), PathBuf::from);
        let bytes = read_cache(&dir.join(CACHE_FILE));
        Self {
            cache: SqlCache::new(build(), bytes),
            dir,
        }
    }

    /// The cache, to analyse with.
    pub(crate) fn cache(&self) -> &SqlCache {
        &self.cache
    }

    /// Saves what this run used, when it differs from what was read.
    pub(crate) fn save(&self) {
        if let Some(bytes) = self.cache.updated() {
            // Only ever a shortcut: a cache that cannot be saved is no error.
            let _ = save_cache(&self.dir, CACHE_FILE, &bytes);
        }
    }

    /// A line for `--timings`: how many analyses were loaded and how many made.
    pub(crate) fn report(&self, printer: &Printer) {
        let (found, made) = self.cache.counts();
        printer.err(&format!(
            "sql cache: {} loaded, {made} analysed ({})\n",
            plural(found, "SQL file"),
            self.dir.join(CACHE_FILE).display()
        ));
    }
}

/// flowc's build as a cache or memo names it: its version, and its binary's size and
/// time, so that a rebuilt flowc never trusts what an older build saved.
pub(crate) fn build() -> String {
    let binary = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .map(|metadata| {
            let modified = metadata
                .modified()
                .ok()
                .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |time| time.as_nanos());
            format!("{} bytes, {modified}", metadata.len())
        })
        .unwrap_or_default();
    format!("flowc {} ({binary})", env!("CARGO_PKG_VERSION"))
}
