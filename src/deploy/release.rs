//! What a deploy publishes: one environment's compiled files and the record that
//! names them.
//!
//! A [`Release`] is a plain value built from a compile: the files, and a
//! [`DeployRecord`] listing each of them with its SHA-256, the project, environment,
//! the source revision and commit, and the release id (a hash of the files, so the
//! same content always has the same id and redeploying it is a no-op). Both targets
//! store the record next to the files as [`RECORD_FILE`]; it is what lets a later
//! deploy remove exactly the files flowc deployed and nothing else.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::hash::{hash_bytes, hash_files};
use crate::output::is_plain_relative;

/// The record's file name, at the root of the environment's folder in both targets.
pub const RECORD_FILE: &str = ".flowc-deploy.json";

/// The version of the record's format; a record of another version is not trusted.
const RECORD_FORMAT: u32 = 1;

/// Hex digits of the content hash that make a release id.
const RELEASE_ID_LEN: usize = 16;

/// Where the deployed files were compiled from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The revision as given with `--rev`; `None` for a work tree.
    pub revision: Option<String>,
    /// The full commit id: the revision's, or the work tree's `HEAD`; `None` for a work
    /// tree outside git or on a branch without commits.
    pub commit: Option<String>,
    /// The files were read from a work tree, not from git objects.
    pub work_tree: bool,
    /// The work tree differs from `HEAD` (`git status` of the project's folder is not
    /// clean: changed, staged or untracked files). Always false for a revision.
    pub modified: bool,
}

impl Provenance {
    /// A revision read from git objects.
    pub fn revision(revision: &str, commit: &str) -> Self {
        Self {
            revision: Some(revision.to_owned()),
            commit: Some(commit.to_owned()),
            work_tree: false,
            modified: false,
        }
    }

    /// The first 12 hex digits of the commit.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(short)
    }
}

/// `main 0123456789ab`, `work tree at 0123456789ab (modified)`, `work tree outside git`.
impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.revision, self.short_commit()) {
            (Some(revision), Some(commit)) => write!(f, "{revision} {commit}")?,
            (Some(revision), None) => write!(f, "{revision}")?,
            (None, Some(commit)) => write!(f, "work tree at {commit}")?,
            (None, None) => write!(f, "work tree outside git")?,
        }
        if self.modified {
            write!(f, " (modified)")?;
        }
        Ok(())
    }
}

/// What a target stores next to the deployed files as [`RECORD_FILE`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    /// The format version of the record: 1.
    pub flowc_deploy: u32,
    /// The project's name from `flowc.yaml`.
    pub project: String,
    /// The environment deployed.
    pub environment: String,
    /// Content hash of the files (16 hex digits).
    pub release: String,
    /// The flowc version that compiled them.
    pub flowc_version: String,
    /// Where they were compiled from.
    pub source: Provenance,
    /// Every deployed file (relative path) → SHA-256 of its bytes, hex.
    pub files: BTreeMap<String, String>,
}

impl DeployRecord {
    /// The record as written: pretty JSON, keys in a fixed order, a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        crate::hash::json_bytes(&crate::hash::to_json(self)?)
    }

    /// A record read back; `None` when it is not one flowc wrote (wrong format or
    /// version, or a file path that would leave the folder).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let record: Self = serde_json::from_slice(bytes).ok()?;
        (record.flowc_deploy == RECORD_FORMAT && record.files.keys().all(|path| is_plain_relative(path)))
            .then_some(record)
    }

    /// `<project>_<env>`: the name of the environment's folder in a target.
    pub fn folder_name(&self) -> String {
        folder_name(&self.project, &self.environment)
    }

    /// Whether another record lists exactly the same files with the same content.
    pub fn same_files(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

/// `<project>_<env>`: the folder (directory target: the link) an environment is
/// deployed to. Project and environment names are `[a-z][a-z0-9_]*`, so the name is
/// a valid file name everywhere.
pub fn folder_name(project: &str, environment: &str) -> String {
    format!("{project}_{environment}")
}

/// One environment's compiled files, ready to deploy.
#[derive(Debug)]
pub struct Release {
    /// The record describing them.
    pub record: DeployRecord,
    /// Relative path → content, as compiled.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Release {
    /// The release of `files` (one environment's compiled files) of `project`.
    pub fn new(
        project: &str,
        environment: &str,
        source: Provenance,
        files: BTreeMap<String, Vec<u8>>,
    ) -> Result<Self, Error> {
        if let Some(bad) = files
            .keys()
            .find(|path| !is_plain_relative(path) || *path == RECORD_FILE)
        {
            return Err(Error::Internal(format!(
                "compiled file `{bad}` cannot be deployed: not a plain relative path, or the deploy record's name"
            )));
        }
        let hash = hash_files(files.iter().map(|(path, bytes)| (path.as_str(), bytes)));
        let record = DeployRecord {
            flowc_deploy: RECORD_FORMAT,
            project: project.to_owned(),
            environment: environment.to_owned(),
            release: hash[..RELEASE_ID_LEN].to_owned(),
            flowc_version: env!("CARGO_PKG_VERSION").to_owned(),
            source,
            files: files
                .iter()
                .map(|(path, bytes)| (path.clone(), hash_bytes(bytes)))
                .collect(),
        };
        Ok(Self { record, files })
    }

    /// The release id.
    pub fn id(&self) -> &str {
        &self.record.release
    }
}

/// The files a deploy adds, changes and removes, each list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// In the new release only.
    pub added: Vec<String>,
    /// In both, with different content.
    pub changed: Vec<String>,
    /// In the deployed release only: removed by the deploy.
    pub removed: Vec<String>,
}

impl Changes {
    /// From what is deployed (`None`: nothing yet) to `new`.
    pub fn between(old: Option<&DeployRecord>, new: &DeployRecord) -> Self {
        let empty = BTreeMap::new();
        let old = old.map_or(&empty, |record| &record.files);
        let mut changes = Self::default();
        for (path, hash) in &new.files {
            match old.get(path) {
                None => changes.added.push(path.clone()),
                Some(previous) if previous != hash => changes.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        changes.removed = old
            .keys()
            .filter(|path| !new.files.contains_key(*path))
            .cloned()
            .collect();
        changes
    }

    /// No file added, changed or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// What a deploy did, for the command's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// Where the environment lives in the target: the link (`PATH/wingpay_prod`) or the
    /// branch's folder (`deploy/prod:wingpay_prod`).
    pub location: String,
    /// The release deployed (or that would be).
    pub release: String,
    /// The files added, changed and removed, compared with what was deployed.
    pub changes: Changes,
    /// What happened.
    pub outcome: Outcome,
    /// Things the user should know: files flowc kept because it did not deploy them.
    pub warnings: Vec<String>,
}

/// How a deploy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The release is live: the link switched, or the commit was made.
    Published {
        /// The commit made on the branch; `None` for a directory.
        commit: Option<String>,
        /// The release that was live before (kept for rollback in a directory).
        previous: Option<String>,
    },
    /// The same files are already deployed and intact; nothing was written.
    AlreadyDeployed {
        /// Where the deployed files were compiled from, as recorded when they were.
        recorded: Provenance,
    },
    /// `--dry-run`: nothing was written.
    DryRun,
}

/// The first 12 hex digits of a commit id.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::tests::files;

    /// A release of wingpay's prod with `items` (path, text), from `main`.
    pub(crate) fn release(items: &[(&str, &str)]) -> Release {
        Release::new(
            "wingpay",
            "prod",
            Provenance::revision("main", "0123456789abcdef"),
            files(items),
        )
        .expect("a release")
    }

    #[test]
    fn the_release_id_depends_on_the_content_only() {
        let a = release(&[("dags/a.py", "a"), ("manifest.json", "{}")]);
        let mut b = Release::new(
            "wingpay",
            "prod",
            Provenance::revision("other", "fedcba"),
            files(&[("manifest.json", "{}"), ("dags/a.py", "a")]),
        )
        .expect("a release");
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        b = release(&[("dags/a.py", "a2"), ("manifest.json", "{}")]);
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn changes_list_added_changed_and_removed_files() {
        let old = release(&[("dags/a.py", "a"), ("dags/b.py", "b"), ("dags/c.py", "c")]);
        let new = release(&[("dags/a.py", "a"), ("dags/b.py", "b2"), ("dags/d.py", "d")]);
        let changes = Changes::between(Some(&old.record), &new.record);
        assert_eq!(changes.added, ["dags/d.py"]);
        assert_eq!(changes.changed, ["dags/b.py"]);
        assert_eq!(changes.removed, ["dags/c.py"]);
        let first = Changes::between(None, &new.record);
        assert_eq!(first.added.len(), 3);
        assert!(Changes::between(Some(&new.record), &new.record).is_empty());
    }

    #[test]
    fn a_record_round_trips_and_a_hostile_one_is_refused() {
        let release = release(&[("dags/a.py", "a")]);
        let bytes = release.record.to_bytes().expect("a record serialises");
        assert_eq!(DeployRecord::parse(&bytes), Some(release.record.clone()));
        let mut hostile = release.record.clone();
        hostile.files.insert("../../etc/passwd".to_owned(), "x".to_owned());
        assert_eq!(
            DeployRecord::parse(&hostile.to_bytes().expect("a record serialises")),
            None
        );
        assert_eq!(DeployRecord::parse(b"{}"), None);
    }

    #[test]
    fn provenance_reads_as_a_revision_or_a_work_tree() {
        let mut source = Provenance::revision("main", "0123456789abcdef0123");
        assert_eq!(source.to_string(), "main 0123456789ab");
        source.revision = None;
        source.work_tree = true;
        source.modified = true;
        assert_eq!(source.to_string(), "work tree at 0123456789ab (modified)");
        source.commit = None;
        source.modified = false;
        assert_eq!(source.to_string(), "work tree outside git");
    }

    #[test]
    fn the_record_file_cannot_be_a_compiled_file() {
        let result = Release::new(
            "p",
            "prod",
            Provenance::revision("main", "0"),
            files(&[(RECORD_FILE, "x")]),
        );
        assert!(result.is_err());
    }
}
