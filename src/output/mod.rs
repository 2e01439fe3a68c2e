//! Stage 12, output: the compiled files of each environment in `<out>/<env>/`, all or
//! nothing, under a lock.
//!
//! ```text
//! <out>/
//!   prod/                  the environment's output: a real folder, replaced as a whole
//!   .flowc/
//!     .airflowignore       hides this folder from an Airflow pointed at <out>
//!     lock                 held while a compile (or a deploy) writes into <out>
//!     compile/prod/next    the next output while it is built (then the previous one)
//! ```
//!
//! A compile takes `.flowc/lock` (waiting up to [`LOCK_WAIT`] for another compile or
//! deploy), cleans what an interrupted compile left, then for each environment:
//! - when the new `manifest.json` is the live one byte for byte and every file it lists
//!   is there at its size, does nothing: the manifest lists every other file with its
//!   SHA-256, so no file is read or written (flowc trusts its own files in `<out>/<env>`
//!   not to be edited by hand to the same size; one deleted or resized comes back);
//! - otherwise builds the next folder in `.flowc/compile/<env>/next` (see [`next`]):
//!   unchanged files hard-linked from the live output (same inode, same mtime), changed
//!   ones written, and every file of the live output flowc did not write (not listed in
//!   its manifest) hard-linked across, so it stays.
//!
//! Only when every environment's next folder is complete does any switch: each
//! environment's folder is exchanged with its next one in one step ([`switch`]), and the
//! previous output is removed without deleting anyone's files ([`discard`]). A compile
//! killed at any moment leaves each `<out>/<env>` holding its complete previous or
//! complete new output; an I/O error before the switch leaves all of them as they were.
//! Files are not fsynced: the switch survives a killed process, not a power loss.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

pub mod cache;
mod discard;
pub mod files;
pub mod memo;
mod next;
pub mod scaffold;
pub mod store;
mod switch;

use crate::Error;
use store::{STORE_DIR, lock_waiting, write_ignore_file};

/// How long a compile waits for another compile or deploy into the same folder.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);
/// Compile's part of the store, `<out>/.flowc/compile/<env>/`.
const COMPILE_DIR: &str = "compile";
/// The manifest, which lists every other output file with its hash.
const MANIFEST: &str = "manifest.json";

/// What writing an environment changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files whose content is new or changed.
    pub written: usize,
    /// Files whose content was already there (not rewritten).
    pub unchanged: usize,
    /// Files of the previous output that are no longer compiled.
    pub removed: usize,
    /// Things the user should know: folders kept because they hold files flowc did
    /// not write.
    pub warnings: Vec<String>,
}

/// Writes each environment's files to `out/<env>/` as described in the module
/// documentation; `on_wait` runs when another flowc holds the lock, with the lock's
/// path. The summaries are in the order of `environments`.
pub fn write<'a>(
    out: &Path,
    environments: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, Vec<u8>>)>,
    on_wait: &dyn Fn(&Path),
) -> Result<Vec<WriteSummary>, Error> {
    let store = out.join(STORE_DIR);
    fs::create_dir_all(&store).map_err(|e| Error::io("create", &store, e))?;
    let lock = lock_waiting(&store, LOCK_WAIT, on_wait)?;
    write_ignore_file(&store)?;
    let compile_store = store.join(COMPILE_DIR);
    let mut warnings = discard::leftovers(out, &compile_store)?;
    let mut prepared = Vec::new();
    for (name, files) in environments {
        match next::prepare(&out.join(name), &compile_store.join(name), files) {
            Ok(environment) => prepared.push(environment),
            Err(error) => {
                for environment in &prepared {
                    if let Some(next) = &environment.next {
                        // Best effort: what stays is cleaned by the next compile.
                        let _ = discard::discard(next, &environment.live);
                    }
                }
                return Err(error);
            }
        }
    }
    let mut summaries = Vec::new();
    for mut environment in prepared {
        if let Some(previous) = switch::switch(&environment)? {
            // The new output is live and complete: a previous one that cannot be removed
            // is worth a warning, not a failure (the next compile tries again).
            match discard::discard(&previous, &environment.live) {
                Ok(warning) => environment.summary.warnings.extend(warning),
                Err(error) => environment.summary.warnings.push(format!(
                    "the previous output stays in `{}`: {error}",
                    previous.display()
                )),
            }
        }
        summaries.push(environment.summary);
    }
    if let Some(first) = summaries.first_mut() {
        warnings.append(&mut first.warnings);
        first.warnings = warnings;
    }
    drop(lock);
    Ok(summaries)
}

/// The outputs a folder's `manifest.json` lists (path → hash); none when it has no
/// manifest flowc can read.
fn manifest_outputs(folder: &Path) -> BTreeMap<String, String> {
    fs::read(folder.join(MANIFEST))
        .map(|bytes| outputs_of(&bytes))
        .unwrap_or_default()
}

/// The outputs a manifest lists, each a plain relative path.
fn outputs_of(manifest: &[u8]) -> BTreeMap<String, String> {
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(manifest) else {
        return BTreeMap::new();
    };
    manifest
        .get("outputs")
        .and_then(serde_json::Value::as_object)
        .map(|outputs| {
            outputs
                .iter()
                .filter(|(path, _)| is_plain_relative(path))
                .map(|(path, hash)| (path.clone(), hash.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A relative path that stays inside its folder: no `..`, no root, no empty parts.
pub(crate) fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A file map from (path, text) pairs.
    pub(crate) fn files(items: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        items
            .iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect()
    }

    /// A manifest listing `outputs` (path, hash).
    fn manifest(outputs: &[(&str, &str)]) -> String {
        let outputs: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|(p, h)| ((*p).to_owned(), serde_json::Value::from(*h)))
            .collect();
        serde_json::json!({ "outputs": outputs }).to_string()
    }

    fn write_all(out: &Path, environments: &[(&str, &BTreeMap<String, Vec<u8>>)]) -> Result<Vec<WriteSummary>, Error> {
        write(out, environments.iter().copied(), &|_| {})
    }

    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn inode(path: &Path) -> (u64, i64, i64) {
        use std::os::unix::fs::MetadataExt;
        let metadata = fs::metadata(path).expect("metadata");
        (metadata.ino(), metadata.mtime(), metadata.mtime_nsec())
    }

    #[test]
    fn stale_outputs_go_and_foreign_files_stay() {
        let out = tempfile::tempdir().expect("temp dir");
        let first = files(&[
            ("dags/a.py", "a"),
            ("dags/b.py", "b"),
            ("manifest.json", &manifest(&[("dags/a.py", "1"), ("dags/b.py", "1")])),
        ]);
        write_all(out.path(), &[("prod", &first)]).expect("write");
        fs::write(out.path().join("prod/dags/mine.py"), "hand-written").expect("write");
        fs::create_dir(out.path().join("prod/empty")).expect("mkdir");
        let second = files(&[("dags/a.py", "a2"), ("manifest.json", &manifest(&[("dags/a.py", "2")]))]);
        let summary = write_all(out.path(), &[("prod", &second)]).expect("write");
        assert_eq!(
            summary,
            vec![WriteSummary {
                written: 2,
                unchanged: 0,
                removed: 1,
                warnings: Vec::new(),
            }]
        );
        assert!(!out.path().join("prod/dags/b.py").exists());
        assert_eq!(fs::read_to_string(out.path().join("prod/dags/a.py")).expect("a"), "a2");
        assert_eq!(
            fs::read_to_string(out.path().join("prod/dags/mine.py")).expect("mine"),
            "hand-written"
        );
        assert!(out.path().join("prod/empty").is_dir());
        // Nothing is left behind but the store's lock and ignore file.
        assert_eq!(names(out.path()), [".flowc", "prod"]);
        assert_eq!(names(&out.path().join(".flowc")), [".airflowignore", "compile", "lock"]);
        assert_eq!(names(&out.path().join(".flowc/compile/prod")), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn unchanged_files_are_never_rewritten() {
        let out = tempfile::tempdir().expect("temp dir");
        let one = files(&[
            ("dags/a.py", "a"),
            ("dags/b.py", "b"),
            ("manifest.json", &manifest(&[("dags/a.py", "1"), ("dags/b.py", "1")])),
        ]);
        write_all(out.path(), &[("prod", &one)]).expect("write");
        let prod = out.path().join("prod");
        let before = [
            inode(&prod),
            inode(&prod.join("dags/a.py")),
            inode(&prod.join("dags/b.py")),
        ];
        let again = write_all(out.path(), &[("prod", &one)]).expect("write");
        assert_eq!(again[0].unchanged, 3);
        assert_eq!(again[0].written, 0);
        let after = [
            inode(&prod),
            inode(&prod.join("dags/a.py")),
            inode(&prod.join("dags/b.py")),
        ];
        assert_eq!(before, after, "an unchanged compile touched the output");
        let two = files(&[
            ("dags/a.py", "a"),
            ("dags/b.py", "b2"),
            ("manifest.json", &manifest(&[("dags/a.py", "1"), ("dags/b.py", "2")])),
        ]);
        let changed = write_all(out.path(), &[("prod", &two)]).expect("write");
        assert_eq!((changed[0].written, changed[0].unchanged), (2, 1));
        assert_eq!(inode(&prod.join("dags/a.py")), before[1], "a.py was rewritten");
        fs::remove_file(prod.join("dags/a.py")).expect("delete a.py");
        let restored = write_all(out.path(), &[("prod", &two)]).expect("write");
        assert_eq!(
            (restored[0].written, restored[0].unchanged),
            (2, 1),
            "the manifest and a.py"
        );
        assert_eq!(fs::read(prod.join("dags/a.py")).expect("a.py is back"), b"a");
        assert_ne!(inode(&prod.join("dags/b.py")).0, before[2].0);
        assert_eq!(fs::read_to_string(prod.join("dags/b.py")).expect("b"), "b2");
    }

    #[test]
    fn a_folder_in_the_way_changes_no_environment() {
        let out = tempfile::tempdir().expect("temp dir");
        let one = files(&[("dags/a.py", "a"), ("manifest.json", &manifest(&[("dags/a.py", "1")]))]);
        write_all(out.path(), &[("dev", &one), ("prod", &one)]).expect("write");
        fs::create_dir_all(out.path().join("prod/dags/b.py")).expect("mkdir");
        let two = files(&[
            ("dags/a.py", "a2"),
            ("dags/b.py", "b"),
            ("manifest.json", &manifest(&[("dags/a.py", "2"), ("dags/b.py", "1")])),
        ]);
        let error = write_all(out.path(), &[("dev", &two), ("prod", &two)]).expect_err("refused");
        assert!(
            error
                .to_string()
                .contains("is a folder flowc did not write, where it must write a file"),
            "{error}"
        );
        for environment in ["dev", "prod"] {
            let folder = out.path().join(environment);
            assert_eq!(fs::read_to_string(folder.join("dags/a.py")).expect("a"), "a");
            assert!(!folder.join("dags/b.py").is_file());
            assert!(
                !out.path()
                    .join(".flowc/compile")
                    .join(environment)
                    .join("next")
                    .exists()
            );
        }
    }

    #[test]
    fn an_interrupted_switch_is_undone_and_its_leftovers_removed() {
        let out = tempfile::tempdir().expect("temp dir");
        let one = files(&[("dags/a.py", "a"), ("manifest.json", &manifest(&[("dags/a.py", "1")]))]);
        write_all(out.path(), &[("prod", &one)]).expect("write");
        // Cut between the two renames of a switch without exchange: the live output is
        // aside, the next one complete but not in place.
        let store = out.path().join(".flowc/compile/prod");
        fs::create_dir_all(&store).expect("mkdir");
        fs::rename(out.path().join("prod"), store.join(discard::MOVED_DIR)).expect("move");
        let next = store.join(discard::NEXT_DIR);
        fs::create_dir_all(next.join("dags")).expect("mkdir");
        fs::write(next.join("dags/a.py"), "a2").expect("write");
        fs::write(next.join(MANIFEST), manifest(&[("dags/a.py", "2")])).expect("write");
        let other = files(&[("x", "x"), ("manifest.json", &manifest(&[("x", "1")]))]);
        write_all(out.path(), &[("dev", &other)]).expect("write");
        assert_eq!(fs::read_to_string(out.path().join("prod/dags/a.py")).expect("a"), "a");
        assert_eq!(names(&store), Vec::<String>::new());
    }

    #[test]
    fn a_link_or_file_at_the_environment_is_refused() {
        let out = tempfile::tempdir().expect("temp dir");
        fs::write(out.path().join("prod"), "mine").expect("write");
        let one = files(&[("dags/a.py", "a"), ("manifest.json", &manifest(&[("dags/a.py", "1")]))]);
        let error = write_all(out.path(), &[("prod", &one)]).expect_err("refused");
        assert!(
            error.to_string().contains("is a file, where compile keeps a folder"),
            "{error}"
        );
        assert_eq!(fs::read_to_string(out.path().join("prod")).expect("kept"), "mine");
    }

    #[test]
    fn a_manifest_cannot_make_flowc_delete_outside_its_folder() {
        assert!(is_plain_relative("dags/a.py"));
        assert!(!is_plain_relative("../a.py"));
        assert!(!is_plain_relative("/etc/passwd"));
        assert!(!is_plain_relative("dags//a.py"));
    }
}
