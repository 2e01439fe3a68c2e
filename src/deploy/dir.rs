//! `--target dir:PATH`: an environment published into a folder Airflow reads (its DAGs
//! folder, a mounted volume), atomically.
//!
//! A set of files can only change atomically through one rename, so releases are
//! complete folders and the environment is a symbolic link to the live one (the
//! pattern of git-sync):
//!
//! ```text
//! PATH/
//!   wingpay_prod -> .flowc/wingpay_prod/releases/1a2b3c4d5e6f7a8b    (relative link)
//!   .flowc/
//!     .airflowignore        hides the store from Airflow (both ignore syntaxes)
//!     lock                  held by a running deploy (or a compile into PATH)
//!     wingpay_prod/releases/
//!       1a2b3c4d5e6f7a8b/   the live release: dags/, datax/, …, .flowc-deploy.json
//!       0f1e2d3c4b5a6978/   the previous one, kept for rollback
//!   …files of others, never touched
//! ```
//!
//! A deploy takes the lock, writes the new release into a staging folder inside the
//! store, fsyncs every file and folder, renames the staging folder into `releases/`,
//! then switches the link with `rename(2)` of a new link (made inside the store, so
//! Airflow never sees two links) over the old one. Until that rename the old release
//! is live and untouched; after it the new one is, complete. Releases other than the
//! live and the previous one are removed afterwards, file by file from their record,
//! so a file someone put into a release folder is never deleted. The release id is a
//! hash of the content: deploying the same files again is a no-op, and deploying a
//! revision whose release is still in the store (a rollback) reuses it.
//!
//! Airflow walks the DAGs folder following links (`os.walk(followlinks=True)` in
//! `list_py_file_paths`) and fails with "Detected recursive loop" when it reaches a
//! folder twice, so the store must be pruned by an `.airflowignore` before Airflow
//! descends into it: `.flowc/.airflowignore` matches every entry of `.flowc` in the
//! regexp syntax (the 2.x default) and the glob syntax (the 3.x default) alike.
//! DAG files keep one path (`PATH/wingpay_prod/dags/x.py`) across releases.

use crate::words::plural;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use super::release::{Changes, DeployRecord, Deployment, Outcome, Release};
use super::store::{Placement, STAGING_DIR, integrity, place, read_record, remove_old_releases, stage};
use crate::Error;
use crate::output::files::{remove_if_present, sync_dir};
pub use crate::output::store::{IGNORE_FILE, LOCK_FILE, STORE_DIR};
use crate::output::store::{try_lock, write_ignore_file};
/// Release folders, inside `.flowc/<project>_<env>/`.
const RELEASES_DIR: &str = "releases";
/// The new link, before it is renamed over the live one.
const NEXT_LINK: &str = "next-link";

/// Where a test-only injected crash aborts the process (`FLOWC_DEPLOY_ABORT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortPoint {
    /// Every file of the new release written, before it moves into `releases/`.
    BeforeRelease,
    /// The new release in `releases/`, before the link switches.
    BeforeSwitch,
    /// The link switched, before old releases are removed.
    AfterSwitch,
}

impl FromStr for AbortPoint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "before-release" => Ok(Self::BeforeRelease),
            "before-switch" => Ok(Self::BeforeSwitch),
            "after-switch" => Ok(Self::AfterSwitch),
            _ => Err(format!(
                "`{text}` is not an abort point; expected before-release, before-switch or after-switch"
            )),
        }
    }
}

/// Failures injected by tests, to prove a deploy that stops anywhere leaves a
/// loadable folder. Never set outside tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Fail with an I/O error after writing this many files of the new release.
    pub fail_after: Option<usize>,
    /// Abort the process (no unwinding, no cleanup) at this point.
    pub abort_at: Option<AbortPoint>,
}

impl Faults {
    fn abort_if(self, point: AbortPoint) {
        if self.abort_at == Some(point) {
            std::process::abort();
        }
    }
}

/// How to deploy.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirOptions {
    /// Report what would change; write, create and lock nothing.
    pub dry_run: bool,
    /// Test-only failure injection.
    pub faults: Faults,
}

/// A folder Airflow reads DAG files from.
#[derive(Clone, Debug)]
pub struct DirTarget {
    root: PathBuf,
}

/// The release a link points at.
struct Live {
    /// The release folder's name.
    name: String,
    /// Its record, when it has a readable one.
    record: Option<DeployRecord>,
}

impl DirTarget {
    /// The folder at `root` (created by the first deploy if missing).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Publishes `release`: see the module documentation for how.
    pub fn deploy(&self, release: &Release, options: &DirOptions) -> Result<Deployment, Error> {
        let name = release.record.folder_name();
        let link = self.root.join(&name);
        let store = self.root.join(STORE_DIR).join(&name);
        let releases = store.join(RELEASES_DIR);
        let mut deployment = Deployment {
            location: link.display().to_string(),
            release: release.id().to_owned(),
            changes: Changes::default(),
            outcome: Outcome::DryRun,
            warnings: Vec::new(),
        };
        let lock = if options.dry_run {
            None
        } else {
            // Refuse before creating anything in a folder flowc cannot deploy to; the
            // check is repeated under the lock below.
            self.live(&link, &release.record)?;
            let top = self.root.join(STORE_DIR);
            fs::create_dir_all(&top).map_err(|e| Error::io("create", &top, e))?;
            let lock = self.lock()?;
            write_ignore_file(&top)?;
            remove_leftovers(&store)?;
            Some(lock)
        };
        let live = self.live(&link, &release.record)?;
        let live_record = live.as_ref().and_then(|live| live.record.as_ref());
        deployment.changes = Changes::between(live_record, &release.record);
        let live_integrity = match (&live, live_record) {
            (Some(live), Some(record)) => Some(integrity(&releases.join(&live.name), record)?),
            _ => None,
        };
        if let (Some(record), Some(integrity)) = (live_record, &live_integrity)
            && record.same_files(&release.record)
            && integrity.damaged.is_empty()
        {
            deployment.outcome = Outcome::AlreadyDeployed {
                recorded: record.source.clone(),
            };
            return Ok(deployment);
        }
        if let Some(integrity) = live_integrity.as_ref().filter(|i| !i.damaged.is_empty()) {
            deployment.warnings.push(format!(
                "the live release was changed outside flowc ({}); the deploy writes a fresh copy",
                integrity.damaged.join(", ")
            ));
        }
        if options.dry_run {
            return Ok(deployment);
        }
        let live_name = live.as_ref().map(|live| live.name.as_str());
        let folder = match place(&releases, release, live_name)? {
            Placement::Reuse(folder) => folder,
            Placement::Fresh(folder) => {
                let staging = stage(&store, release, options.faults.fail_after)?;
                options.faults.abort_if(AbortPoint::BeforeRelease);
                fs::create_dir_all(&releases).map_err(|e| Error::io("create", &releases, e))?;
                let to = releases.join(&folder);
                fs::rename(&staging, &to).map_err(|e| Error::io("move into place", &to, e))?;
                sync_dir(&releases)?;
                sync_dir(&store)?;
                folder
            }
        };
        options.faults.abort_if(AbortPoint::BeforeSwitch);
        self.switch(&name, &folder)?;
        options.faults.abort_if(AbortPoint::AfterSwitch);
        if let Some(integrity) = live_integrity.filter(|i| !i.foreign.is_empty()) {
            deployment.warnings.push(format!(
                "{} in `{}` {} not deployed by flowc; kept in `{}`, but Airflow no longer sees {}",
                plural(integrity.foreign.len(), "file"),
                link.display(),
                if integrity.foreign.len() == 1 { "was" } else { "were" },
                releases.join(live_name.unwrap_or_default()).display(),
                if integrity.foreign.len() == 1 { "it" } else { "them" },
            ));
        }
        let keep: BTreeSet<&str> = [Some(folder.as_str()), live_name].into_iter().flatten().collect();
        deployment.warnings.extend(remove_old_releases(&releases, &keep)?);
        deployment.outcome = Outcome::Published {
            commit: None,
            previous: live_record.map(|record| record.release.clone()),
        };
        drop(lock);
        Ok(deployment)
    }

    /// Takes `.flowc/lock` (shared with `compile`); held until the file is closed
    /// (also when the process dies).
    fn lock(&self) -> Result<File, Error> {
        let store = self.root.join(STORE_DIR);
        try_lock(&store)?.ok_or_else(|| Error::DeployLocked {
            target: self.root.clone(),
            lock: store.join(LOCK_FILE),
        })
    }

    /// The release the environment's link points at; refuses anything at the link's
    /// path that flowc did not make.
    fn live(&self, link: &Path, new: &DeployRecord) -> Result<Option<Live>, Error> {
        let refuse = |reason: String| Error::DeployRefused {
            target: format!("`{}`", link.display()),
            reason,
        };
        let metadata = match fs::symlink_metadata(link) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(Error::io("read", link, error)),
        };
        let what = if metadata.is_dir() { "a folder" } else { "a file" };
        if !metadata.file_type().is_symlink() {
            return Err(refuse(format!(
                "it is {what} flowc did not make; flowc publishes {} {} as a link with this name: \
                 move it away, or deploy to another folder",
                new.project, new.environment
            )));
        }
        let target = fs::read_link(link).map_err(|e| Error::io("read the link", link, e))?;
        let Some(name) = release_name(&target, &new.folder_name()) else {
            return Err(refuse(format!(
                "it is a link to `{}`, not to a release of flowc: move it away, or deploy to another folder",
                target.display()
            )));
        };
        let folder = self
            .root
            .join(STORE_DIR)
            .join(new.folder_name())
            .join(RELEASES_DIR)
            .join(&name);
        let record = read_record(&folder)?;
        if let Some(record) = &record
            && (record.project != new.project || record.environment != new.environment)
        {
            return Err(refuse(format!(
                "it holds project `{}` environment `{}`, not `{}` `{}` (their names give the same link)",
                record.project, record.environment, new.project, new.environment
            )));
        }
        Ok(Some(Live { name, record }))
    }

    /// Points the link at release folder `folder`, atomically.
    fn switch(&self, name: &str, folder: &str) -> Result<(), Error> {
        let store = self.root.join(STORE_DIR).join(name);
        // Made inside the store, which Airflow ignores: a crash before the rename must
        // not leave a second link to a release in the DAGs folder (duplicate DAG ids).
        let next = store.join(NEXT_LINK);
        remove_if_present(&next)?;
        let target = Path::new(STORE_DIR).join(name).join(RELEASES_DIR).join(folder);
        symlink(&target, &next).map_err(|e| Error::io("create the link", &next, e))?;
        let link = self.root.join(name);
        fs::rename(&next, &link).map_err(|e| Error::io("switch the link", &link, e))?;
        sync_dir(&self.root)
    }
}

/// The release folder a link target names, if it is exactly
/// `.flowc/<folder_name>/releases/<name>`.
fn release_name(target: &Path, folder_name: &str) -> Option<String> {
    let parts: Vec<Component<'_>> = target.components().collect();
    let [
        Component::Normal(store),
        Component::Normal(folder),
        Component::Normal(releases),
        Component::Normal(name),
    ] = parts.as_slice()
    else {
        return None;
    };
    (*store == STORE_DIR && *folder == folder_name && *releases == RELEASES_DIR)
        .then(|| name.to_str().map(str::to_owned))
        .flatten()
}

/// Removes what an interrupted deploy left in the environment's store: its staging
/// folder and a link that was never switched in. Runs under the lock.
fn remove_leftovers(store: &Path) -> Result<(), Error> {
    for leftover in [STAGING_DIR, NEXT_LINK] {
        remove_if_present(&store.join(leftover))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "directory deploys switch releases with a symbolic link, which needs a Unix system",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::deploy::release::RECORD_FILE;
    use crate::deploy::release::tests::release;

    fn deploy(root: &Path, release: &Release) -> Deployment {
        DirTarget::new(root)
            .deploy(release, &DirOptions::default())
            .expect("deploy")
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).expect("read")
    }

    #[test]
    fn the_link_points_at_a_complete_release_with_its_record() {
        let root = tempfile::tempdir().expect("tempdir");
        let first = release(&[("dags/a.py", "a"), ("datax/j.json", "{}")]);
        let deployment = deploy(root.path(), &first);
        assert_eq!(
            deployment.outcome,
            Outcome::Published {
                commit: None,
                previous: None
            }
        );
        assert_eq!(deployment.changes.added, ["dags/a.py", "datax/j.json"]);
        let link = root.path().join("wingpay_prod");
        assert_eq!(
            fs::read_link(&link).expect("a link"),
            Path::new(".flowc/wingpay_prod/releases").join(first.id())
        );
        assert_eq!(read(&link.join("dags/a.py")), "a");
        let record = DeployRecord::parse(&fs::read(link.join(RECORD_FILE)).expect("record")).expect("parses");
        assert_eq!(record, first.record);
        assert_eq!(
            read(&root.path().join(".flowc/.airflowignore")),
            crate::output::store::AIRFLOW_IGNORE
        );
    }

    #[test]
    fn the_same_content_again_is_already_deployed() {
        let root = tempfile::tempdir().expect("tempdir");
        let first = release(&[("dags/a.py", "a")]);
        deploy(root.path(), &first);
        let again = deploy(root.path(), &first);
        assert!(matches!(again.outcome, Outcome::AlreadyDeployed { .. }), "{again:?}");
        assert!(again.changes.is_empty());
    }

    #[test]
    fn old_releases_go_but_the_previous_one_and_foreign_files_stay() {
        let root = tempfile::tempdir().expect("tempdir");
        let releases = root.path().join(".flowc/wingpay_prod/releases");
        let one = release(&[("dags/a.py", "1")]);
        let two = release(&[("dags/a.py", "2")]);
        let three = release(&[("dags/a.py", "3"), ("dags/b.py", "b")]);
        deploy(root.path(), &one);
        fs::write(root.path().join("mine.py"), "mine").expect("write");
        deploy(root.path(), &two);
        // Someone drops a file into the live release: it is theirs.
        fs::write(root.path().join("wingpay_prod/dags/theirs.py"), "x").expect("write");
        let third = deploy(root.path(), &three);
        assert_eq!(third.changes.changed, ["dags/a.py"]);
        assert_eq!(third.changes.added, ["dags/b.py"]);
        assert!(
            third.warnings.iter().any(|w| w.contains("Airflow no longer sees it")),
            "{:?}",
            third.warnings
        );
        assert!(!releases.join(one.id()).exists(), "the oldest release is removed");
        assert!(releases.join(two.id()).join("dags/theirs.py").exists());
        assert!(releases.join(three.id()).exists());
        assert_eq!(read(&root.path().join("mine.py")), "mine");
        // The next deploy removes release two's own files, keeps the foreign one.
        let four = release(&[("dags/a.py", "4")]);
        let fourth = deploy(root.path(), &four);
        assert!(
            fourth.warnings.iter().any(|w| w.contains("dags/theirs.py")),
            "{fourth:?}"
        );
        assert!(!releases.join(two.id()).join("dags/a.py").exists());
        assert!(!releases.join(two.id()).join(RECORD_FILE).exists());
        assert_eq!(read(&releases.join(two.id()).join("dags/theirs.py")), "x");
    }

    #[test]
    fn removing_an_old_release_never_follows_a_link_out_of_it() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        fs::write(outside.path().join("a.py"), "precious").expect("write");
        let releases = root.path().join(".flowc/wingpay_prod/releases");
        let one = release(&[("dags/a.py", "1")]);
        deploy(root.path(), &one);
        deploy(root.path(), &release(&[("dags/a.py", "2")]));
        let planted = releases.join(one.id());
        fs::remove_file(planted.join("dags/a.py")).expect("rm");
        fs::remove_dir(planted.join("dags")).expect("rmdir");
        symlink(outside.path(), &planted.join("dags")).expect("link");
        let third = deploy(root.path(), &release(&[("dags/a.py", "3")]));
        assert_eq!(read(&outside.path().join("a.py")), "precious");
        assert!(third.warnings.iter().any(|w| w.contains("dags")), "{third:?}");
    }

    #[test]
    fn a_rollback_reuses_the_kept_release() {
        let root = tempfile::tempdir().expect("tempdir");
        let one = release(&[("dags/a.py", "1")]);
        let two = release(&[("dags/a.py", "2")]);
        deploy(root.path(), &one);
        deploy(root.path(), &two);
        let back = deploy(root.path(), &one);
        assert_eq!(
            back.outcome,
            Outcome::Published {
                commit: None,
                previous: Some(two.id().to_owned())
            }
        );
        assert_eq!(read(&root.path().join("wingpay_prod/dags/a.py")), "1");
    }

    #[test]
    fn a_damaged_live_release_is_replaced_by_a_fresh_copy() {
        let root = tempfile::tempdir().expect("tempdir");
        let one = release(&[("dags/a.py", "1")]);
        deploy(root.path(), &one);
        fs::write(root.path().join("wingpay_prod/dags/a.py"), "edited").expect("write");
        let again = deploy(root.path(), &one);
        assert!(matches!(again.outcome, Outcome::Published { .. }), "{again:?}");
        assert_eq!(read(&root.path().join("wingpay_prod/dags/a.py")), "1");
        assert_eq!(
            fs::read_link(root.path().join("wingpay_prod")).expect("link"),
            Path::new(".flowc/wingpay_prod/releases").join(format!("{}-2", one.id()))
        );
    }

    #[test]
    fn something_flowc_did_not_make_at_the_link_is_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::create_dir(root.path().join("wingpay_prod")).expect("mkdir");
        let error = DirTarget::new(root.path())
            .deploy(&release(&[("dags/a.py", "a")]), &DirOptions::default())
            .expect_err("refused");
        assert!(
            error.to_string().contains("it is a folder flowc did not make"),
            "{error}"
        );
        assert!(
            !root.path().join(STORE_DIR).exists(),
            "a refused deploy created the store"
        );
        fs::remove_dir(root.path().join("wingpay_prod")).expect("rmdir");
        symlink(Path::new("elsewhere"), &root.path().join("wingpay_prod")).expect("link");
        let error = DirTarget::new(root.path())
            .deploy(&release(&[("dags/a.py", "a")]), &DirOptions::default())
            .expect_err("refused");
        assert!(error.to_string().contains("a link to `elsewhere`"), "{error}");
    }

    #[test]
    fn a_held_lock_stops_a_deploy() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(root.path().join(STORE_DIR)).expect("mkdir");
        let held = File::create(root.path().join(".flowc/lock")).expect("lock file");
        held.try_lock().expect("locked");
        let error = DirTarget::new(root.path())
            .deploy(&release(&[("dags/a.py", "a")]), &DirOptions::default())
            .expect_err("locked out");
        assert!(matches!(error, Error::DeployLocked { .. }), "{error}");
    }

    #[test]
    fn a_dry_run_creates_nothing() {
        let root = tempfile::tempdir().expect("tempdir");
        let target = root.path().join("dags");
        let options = DirOptions {
            dry_run: true,
            ..DirOptions::default()
        };
        let report = DirTarget::new(&target)
            .deploy(&release(&[("dags/a.py", "a")]), &options)
            .expect("dry run");
        assert_eq!(report.outcome, Outcome::DryRun);
        assert_eq!(report.changes.added, ["dags/a.py"]);
        assert!(!target.exists());
    }

    #[test]
    fn an_injected_failure_leaves_the_live_release_and_the_next_deploy_cleans_up() {
        let root = tempfile::tempdir().expect("tempdir");
        let one = release(&[("dags/a.py", "1"), ("dags/b.py", "b")]);
        deploy(root.path(), &one);
        let two = release(&[("dags/a.py", "2"), ("dags/b.py", "b2")]);
        let options = DirOptions {
            dry_run: false,
            faults: Faults {
                fail_after: Some(1),
                abort_at: None,
            },
        };
        let error = DirTarget::new(root.path()).deploy(&two, &options).expect_err("fails");
        assert!(error.to_string().contains("injected failure after 1 files"), "{error}");
        assert_eq!(read(&root.path().join("wingpay_prod/dags/a.py")), "1");
        let staging = root.path().join(".flowc/wingpay_prod/staging");
        assert!(staging.exists());
        deploy(root.path(), &two);
        assert!(!staging.exists());
        assert_eq!(read(&root.path().join("wingpay_prod/dags/a.py")), "2");
    }

    #[test]
    fn only_exact_release_paths_are_flowcs_links() {
        let name = "wingpay_prod";
        assert_eq!(
            release_name(Path::new(".flowc/wingpay_prod/releases/abc"), name).as_deref(),
            Some("abc")
        );
        for other in [
            "/abs/.flowc/wingpay_prod/releases/abc",
            ".flowc/wingpay_dev/releases/abc",
            ".flowc/wingpay_prod/releases/../../x",
            ".flowc/wingpay_prod/releases",
            "elsewhere",
        ] {
            assert_eq!(release_name(Path::new(other), name), None, "{other}");
        }
    }
}
