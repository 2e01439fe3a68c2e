//! Stage 12, output: writing one environment's compiled files to `<out>/<env>/`, all or nothing.
//!
//! Every file is first written to a temporary folder inside `<out>` (same file
//! system), then moved into place file by file with `rename`, which is atomic per
//! file; nothing is moved before every file of every environment was written aside,
//! so a failed compile leaves the previous output untouched. Stale files are removed
//! only when the previous `manifest.json` lists them as flowc's own outputs: files
//! flowc did not write are never deleted. `manifest.json` moves last, so its
//! presence means the set next to it is complete.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

/// What writing an environment changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files whose content is new or changed.
    pub written: usize,
    /// Files whose content was already there.
    pub unchanged: usize,
    /// Stale files of an earlier compile removed.
    pub removed: usize,
}

/// Files staged in a temporary folder, ready to move into place.
pub struct Staged {
    temp: tempfile::TempDir,
    environments: Vec<(PathBuf, Vec<String>)>,
}

/// Writes every environment's files aside under `out`. Nothing in `out/<env>` is
/// touched yet.
pub fn stage<'a>(
    out: &Path,
    environments: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, Vec<u8>>)>,
) -> Result<Staged, Error> {
    fs::create_dir_all(out).map_err(|e| Error::io("create", out, e))?;
    let temp = tempfile::Builder::new()
        .prefix(".flowc-staging-")
        .tempdir_in(out)
        .map_err(|e| Error::io("create a temporary folder in", out, e))?;
    let mut staged = Vec::new();
    for (name, files) in environments {
        let root = temp.path().join(name);
        for (path, bytes) in files {
            let target = root.join(path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
            }
            fs::write(&target, bytes).map_err(|e| Error::io("write", &target, e))?;
        }
        staged.push((out.join(name), files.keys().cloned().collect()));
    }
    Ok(Staged {
        temp,
        environments: staged,
    })
}

impl Staged {
    /// Moves the staged files into place and removes stale files of earlier compiles.
    pub fn commit(self) -> Result<Vec<WriteSummary>, Error> {
        let mut summaries = Vec::new();
        for (target, files) in &self.environments {
            let name = target.file_name().map(PathBuf::from).unwrap_or_default();
            let source = self.temp.path().join(name);
            summaries.push(move_into_place(&source, target, files)?);
        }
        Ok(summaries)
    }
}

/// The files an earlier compile wrote there, from its manifest.
fn previous_outputs(target: &Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(target.join("manifest.json")) else {
        return BTreeSet::new();
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeSet::new();
    };
    manifest
        .get("outputs")
        .and_then(serde_json::Value::as_object)
        .map(|outputs| outputs.keys().filter(|path| is_plain_relative(path)).cloned().collect())
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

fn move_into_place(source: &Path, target: &Path, files: &[String]) -> Result<WriteSummary, Error> {
    let previous = previous_outputs(target);
    let mut summary = WriteSummary::default();
    let manifest = "manifest.json";
    let ordered = files
        .iter()
        .filter(|f| *f != manifest)
        .chain(files.iter().filter(|f| *f == manifest));
    for path in ordered {
        let from = source.join(path);
        let to = target.join(path);
        let new = fs::read(&from).map_err(|e| Error::io("read", &from, e))?;
        if fs::read(&to).is_ok_and(|old| old == new) {
            summary.unchanged += 1;
            continue;
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        fs::rename(&from, &to).map_err(|e| Error::io("move into place", &to, e))?;
        summary.written += 1;
    }
    let current: BTreeSet<&String> = files.iter().collect();
    for stale in previous.iter().filter(|p| !current.contains(p)) {
        let path = target.join(stale);
        if path.is_file() {
            fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            summary.removed += 1;
            remove_empty_parents(&path, target);
        }
    }
    Ok(summary)
}

/// Removes folders left empty by a removal, up to (not including) `root`.
fn remove_empty_parents(path: &Path, root: &Path) {
    let mut folder = path.parent();
    while let Some(dir) = folder {
        if dir == root || !dir.starts_with(root) || fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
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

    fn manifest(outputs: &[&str]) -> String {
        let outputs: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|p| ((*p).to_owned(), serde_json::Value::from("x")))
            .collect();
        serde_json::json!({ "outputs": outputs }).to_string()
    }

    #[test]
    fn stale_outputs_go_and_foreign_files_stay() {
        let out = tempfile::tempdir().expect("temp dir");
        let first = files(&[
            ("dags/a.py", "a"),
            ("dags/b.py", "b"),
            ("manifest.json", &manifest(&["dags/a.py", "dags/b.py"])),
        ]);
        stage(out.path(), [("prod", &first)])
            .expect("stage")
            .commit()
            .expect("commit");
        fs::write(out.path().join("prod/dags/mine.py"), "hand-written").expect("write");
        let second = files(&[("dags/a.py", "a2"), ("manifest.json", &manifest(&["dags/a.py"]))]);
        let summary = stage(out.path(), [("prod", &second)])
            .expect("stage")
            .commit()
            .expect("commit");
        assert_eq!(
            summary,
            vec![WriteSummary {
                written: 2,
                unchanged: 0,
                removed: 1
            }]
        );
        assert!(!out.path().join("prod/dags/b.py").exists());
        assert_eq!(fs::read_to_string(out.path().join("prod/dags/a.py")).expect("a"), "a2");
        assert_eq!(
            fs::read_to_string(out.path().join("prod/dags/mine.py")).expect("mine"),
            "hand-written"
        );
        // No staging folder is left behind.
        let left: Vec<_> = fs::read_dir(out.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("prod")]);
    }

    #[test]
    fn a_manifest_cannot_make_flowc_delete_outside_its_folder() {
        assert!(is_plain_relative("dags/a.py"));
        assert!(!is_plain_relative("../a.py"));
        assert!(!is_plain_relative("/etc/passwd"));
        assert!(!is_plain_relative("dags//a.py"));
    }
}
