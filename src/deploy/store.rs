//! The release store of a directory target: release folders under
//! `PATH/.flowc/<project>_<env>/`, written complete and synced before they go live,
//! compared with their records, and removed file by file from them.

use crate::words::plural;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::release::{DeployRecord, RECORD_FILE, Release};
use crate::Error;
use crate::hash::hash_bytes;
use crate::output::files::{files_under, remove_empty_folders, remove_if_present, sync_dir, write_synced};

/// Where a release is written before it is complete.
pub(super) const STAGING_DIR: &str = "staging";
/// How many folders one release id may take (`<id>`, `<id>-2`, …) before flowc gives
/// up: only damaged copies take more than one.
const MAX_COPIES: usize = 20;

/// How a release folder compares with its record.
#[derive(Debug, Default)]
pub(super) struct Integrity {
    /// Recorded files missing or with other content.
    pub(super) damaged: Vec<String>,
    /// Files the record does not list (put there by someone else).
    pub(super) foreign: Vec<String>,
}

/// Where the new release goes.
pub(super) enum Placement {
    /// A release folder with exactly these files is already in the store.
    Reuse(String),
    /// A free folder name.
    Fresh(String),
}

/// `<id>`, or `<id>-2`, … when a damaged copy holds the name.
pub(super) fn place(releases: &Path, release: &Release, live: Option<&str>) -> Result<Placement, Error> {
    for copy in 1..=MAX_COPIES {
        let name = if copy == 1 {
            release.id().to_owned()
        } else {
            format!("{}-{copy}", release.id())
        };
        if live == Some(name.as_str()) {
            // The live folder was checked already: it is damaged.
            continue;
        }
        let folder = releases.join(&name);
        match fs::symlink_metadata(&folder) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Placement::Fresh(name)),
            Err(error) => return Err(Error::io("read", &folder, error)),
            Ok(metadata) if metadata.is_dir() => {
                if let Some(record) = read_record(&folder)?
                    && record.same_files(&release.record)
                {
                    let integrity = integrity(&folder, &record)?;
                    if integrity.damaged.is_empty() && integrity.foreign.is_empty() {
                        return Ok(Placement::Reuse(name));
                    }
                }
            }
            Ok(_) => {}
        }
    }
    Err(Error::DeployRefused {
        target: format!("`{}`", releases.display()),
        reason: format!(
            "{MAX_COPIES} damaged copies of release {} are in the way; remove them",
            release.id()
        ),
    })
}

/// Writes every file of `release` and its record into the store's staging folder,
/// each file and folder synced to disk.
pub(super) fn stage(store: &Path, release: &Release, fail_after: Option<usize>) -> Result<PathBuf, Error> {
    let staging = store.join(STAGING_DIR);
    remove_if_present(&staging)?;
    fs::create_dir_all(&staging).map_err(|e| Error::io("create", &staging, e))?;
    let mut folders = BTreeSet::from([staging.clone()]);
    for (written, (path, bytes)) in release.files.iter().enumerate() {
        let target = staging.join(path);
        if fail_after == Some(written) {
            return Err(Error::io(
                "write",
                &target,
                io::Error::other(format!(
                    "injected failure after {written} files (FLOWC_DEPLOY_FAIL_AFTER)"
                )),
            ));
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
            folders.extend(
                parent
                    .ancestors()
                    .take_while(|dir| dir.starts_with(&staging))
                    .map(Path::to_path_buf),
            );
        }
        write_synced(&target, bytes)?;
    }
    write_synced(&staging.join(RECORD_FILE), &release.record.to_bytes()?)?;
    // Deepest first: a folder's entry is synced after its own content.
    for folder in folders.iter().rev() {
        sync_dir(folder)?;
    }
    Ok(staging)
}

/// The record in a release folder; `None` when it has none flowc can trust.
pub(super) fn read_record(folder: &Path) -> Result<Option<DeployRecord>, Error> {
    let path = folder.join(RECORD_FILE);
    match fs::read(&path) {
        Ok(bytes) => Ok(DeployRecord::parse(&bytes)),
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(error) => Err(Error::io("read", &path, error)),
    }
}

/// Compares a release folder with its record.
pub(super) fn integrity(folder: &Path, record: &DeployRecord) -> Result<Integrity, Error> {
    let mut result = Integrity::default();
    for (path, hash) in &record.files {
        let file = folder.join(path);
        match fs::read(&file) {
            Ok(bytes) if hash_bytes(&bytes) == *hash => {}
            Ok(_) => result.damaged.push(path.clone()),
            Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                result.damaged.push(path.clone());
            }
            Err(error) => return Err(Error::io("read", &file, error)),
        }
    }
    result.foreign = files_under(folder)?
        .into_iter()
        .filter(|path| path != RECORD_FILE && !record.files.contains_key(path))
        .collect();
    Ok(result)
}

/// Removes every release folder but those in `keep`, file by file from its record;
/// returns a warning for each folder kept because it holds files flowc did not deploy.
pub(super) fn remove_old_releases(releases: &Path, keep: &BTreeSet<&str>) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    let entries = match fs::read_dir(releases) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(warnings),
        Err(error) => return Err(Error::io("list", releases, error)),
    };
    let mut folders: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", releases, e))?;
        let name = entry.file_name();
        if !keep.contains(name.to_string_lossy().as_ref()) {
            folders.push(entry.path());
        }
    }
    folders.sort();
    for folder in folders {
        let Some(record) = read_record(&folder)? else {
            warnings.push(format!(
                "kept `{}`: it has no deploy record, so flowc cannot tell its files are its own",
                folder.display()
            ));
            continue;
        };
        for path in record.files.keys().map(String::as_str).chain([RECORD_FILE]) {
            let file = folder.join(path);
            if !has_no_linked_folder(&folder, path) {
                // A link planted inside the release would make the removal reach
                // outside it; the file stays, and the folder with it.
                continue;
            }
            match fs::remove_file(&file) {
                Ok(()) => {}
                Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
                Err(error) => return Err(Error::io("remove", &file, error)),
            }
        }
        remove_empty_folders(&folder);
        if folder.exists() {
            let left = files_under(&folder)?;
            warnings.push(format!(
                "kept `{}`: it holds {} flowc did not deploy ({})",
                folder.display(),
                plural(left.len(), "file"),
                left.join(", ")
            ));
        }
    }
    sync_dir(releases)?;
    Ok(warnings)
}

/// Whether every folder on `path` below `root` is a real folder, not a link.
fn has_no_linked_folder(root: &Path, path: &str) -> bool {
    let mut current = root.to_path_buf();
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.into_iter().all(|part| {
        current.push(part);
        fs::symlink_metadata(&current).map_or(true, |metadata| !metadata.file_type().is_symlink())
    })
}
