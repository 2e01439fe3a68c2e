//! `kill -9` at many moments of a `compile` and of a `deploy`: each time the folder
//! holds the complete previous or the complete new output, byte for byte, and the next
//! run cleans what the killed one left (reliability finding F12).
//!
//! The kill moments are spread over the whole run: a quarter at fractions of the
//! measured duration from the start (mostly while the repository is compiled in
//! memory), the rest at fractions of the measured write phase after the command is
//! seen to start writing (its scratch folder appears), so that many land while files
//! are written, linked, switched and removed, however loaded the machine is.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{compile, describe};
use crate::support::{copy_dir, example_copy, flowc_command, text, tree};

/// How many times each command is killed.
const KILLS: usize = 100;
/// How many of those are timed from the start rather than from the write phase.
const FROM_START_EVERY: usize = 4;

/// What the folder under test holds after a kill.
#[derive(Debug, PartialEq, Eq)]
enum State {
    Old,
    New,
    Mixed(String),
}

/// How many folders are killed into side by side (one per core of a small machine).
const LANES: usize = 2;

/// A command to kill and the folder it writes.
struct Subject<'a> {
    /// Starts the command (its output discarded).
    start: Box<dyn Fn() -> Child + Sync + 'a>,
    /// Puts the folder back to the complete old output.
    restore: Box<dyn Fn() + Sync + 'a>,
    /// Appears when the command starts writing.
    writing: PathBuf,
    /// What the folder holds.
    state: Box<dyn Fn() -> State + Sync + 'a>,
    /// Whether an interrupted run left something to clean.
    leftovers: Box<dyn Fn() -> bool + Sync + 'a>,
}

/// The i-th point of a low-discrepancy sequence in [0, 1): evenly spread moments.
fn spread(i: usize) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    (i as f64 * 0.618_033_988_749_895).fract()
}

/// Waits until `path` exists or `child` has ended; the time it took.
fn wait_for(path: &Path, child: &mut Child) -> Duration {
    let start = Instant::now();
    while !path.exists() && child.try_wait().expect("wait").is_none() {
        thread::sleep(Duration::from_micros(100));
    }
    start.elapsed()
}

/// (time to the write phase, time to the end) of an uninterrupted run, the slowest of
/// three.
fn measure(subject: &Subject<'_>) -> (Duration, Duration) {
    let mut worst = (Duration::ZERO, Duration::ZERO);
    for _ in 0..3 {
        (subject.restore)();
        let start = Instant::now();
        let mut child = (subject.start)();
        let writing = wait_for(&subject.writing, &mut child);
        assert!(child.wait().expect("wait").success(), "the command under test fails");
        worst = (worst.0.max(writing), worst.1.max(start.elapsed()));
        assert_eq!((subject.state)(), State::New, "an uninterrupted run");
    }
    worst
}

/// Kills each subject (one folder each, side by side) [`KILLS`] / [`LANES`] times and
/// checks its folder each time; returns how often a folder held the old output, the
/// new one, and leftovers.
fn kill_repeatedly(subjects: &[Subject<'_>]) -> (usize, usize, usize) {
    // Measured in every lane at once, as the kills run: a command that uses both cores
    // alone takes longer beside the others.
    let measured: Vec<(Duration, Duration)> = thread::scope(|scope| {
        let lanes: Vec<_> = subjects
            .iter()
            .map(|subject| scope.spawn(move || measure(subject)))
            .collect();
        lanes.into_iter().map(|lane| lane.join().expect("a lane")).collect()
    });
    let to_writing = measured.iter().map(|m| m.0).max().unwrap_or_default();
    let total = measured.iter().map(|m| m.1).max().unwrap_or_default();
    let writing_phase = total.saturating_sub(to_writing).max(Duration::from_millis(2));
    let counts: Vec<(usize, usize, usize)> = thread::scope(|scope| {
        let lanes: Vec<_> = subjects
            .iter()
            .enumerate()
            .map(|(lane, subject)| {
                scope.spawn(move || {
                    let kills = (lane..KILLS).step_by(subjects.len());
                    kill_lane(subject, kills, to_writing + writing_phase, writing_phase)
                })
            })
            .collect();
        lanes.into_iter().map(|lane| lane.join().expect("a lane")).collect()
    });
    counts
        .into_iter()
        .fold((0, 0, 0), |sum, c| (sum.0 + c.0, sum.1 + c.1, sum.2 + c.2))
}

fn kill_lane(
    subject: &Subject<'_>,
    kills: impl Iterator<Item = usize>,
    total: Duration,
    writing_phase: Duration,
) -> (usize, usize, usize) {
    let (mut old, mut new, mut leftovers) = (0, 0, 0);
    for i in kills {
        (subject.restore)();
        let mut child = (subject.start)();
        let moment = if i % FROM_START_EVERY == 0 {
            total.mul_f64(spread(i))
        } else {
            wait_for(&subject.writing, &mut child);
            writing_phase.mul_f64(1.2 * spread(i))
        };
        thread::sleep(moment);
        // SIGKILL: no unwinding, no cleanup, the lock released by the kernel.
        let _ = child.kill();
        child.wait().expect("wait");
        match (subject.state)() {
            State::Old => old += 1,
            State::New => new += 1,
            State::Mixed(what) => panic!("kill {i} after {moment:?}: the folder holds a mix: {what}"),
        }
        if (subject.leftovers)() {
            leftovers += 1;
            // Every fourth time, the next complete run cleans up and publishes the new
            // output (the others are cleaned by restoring the old output).
            if leftovers % 4 == 1 {
                let child = (subject.start)();
                let output = child.wait_with_output().expect("wait");
                assert!(output.status.success(), "the run after kill {i} fails");
                assert_eq!((subject.state)(), State::New, "the run after kill {i}");
                assert!(!(subject.leftovers)(), "the run after kill {i} left leftovers");
            }
        }
    }
    (old, new, leftovers)
}

/// `old` or `new` when `files` is exactly one of them, else what differs from `new`.
fn which(files: &BTreeMap<String, Vec<u8>>, old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> State {
    if files == old {
        State::Old
    } else if files == new {
        State::New
    } else {
        let differ: Vec<&String> = new
            .keys()
            .chain(files.keys())
            .filter(|path| files.get(*path) != new.get(*path) && files.get(*path) != old.get(*path))
            .collect();
        State::Mixed(format!("{} files, {differ:?} match neither", files.len()))
    }
}

fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("flowc starts")
}

/// Copies a folder, keeping links as links (a deploy target holds them).
fn copy_keeping_links(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let kind = entry.file_type().expect("type");
        let target = to.join(entry.file_name());
        if kind.is_symlink() {
            let link = fs::read_link(entry.path()).expect("link");
            #[cfg(unix)]
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_keeping_links(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_compile_killed_at_any_moment_leaves_the_old_or_the_new_output() {
    let repo = example_copy();
    let work = tempfile::tempdir().expect("temp dir");
    let (old_out, new_out) = (work.path().join("old"), work.path().join("new"));
    assert!(compile(repo.path(), &old_out).status.success());
    // A foreign file, kept by every compile.
    fs::write(old_out.join("prod/dags/mine.py"), "# hand-written\n").expect("write");
    describe(repo.path(), "NEW");
    copy_dir(&old_out, &new_out);
    assert!(compile(repo.path(), &new_out).status.success());
    let (old, new) = (tree(&old_out.join("prod")), tree(&new_out.join("prod")));
    assert_ne!(old, new);
    let subjects: Vec<Subject<'_>> = (0..LANES)
        .map(|lane| {
            let out = work.path().join(format!("out{lane}"));
            let store = out.join(".flowc/compile/prod");
            let (old_out, old, new, repo) = (&old_out, &old, &new, repo.path());
            Subject {
                start: Box::new({
                    let out = out.clone();
                    move || {
                        let mut command = flowc_command(repo);
                        command.args(["compile", ".", "--env", "prod", "--out", &out.display().to_string()]);
                        spawn(command)
                    }
                }),
                restore: Box::new({
                    let out = out.clone();
                    move || {
                        if out.exists() {
                            fs::remove_dir_all(&out).expect("remove");
                        }
                        copy_dir(old_out, &out);
                    }
                }),
                writing: store.join("next"),
                state: Box::new({
                    let out = out.clone();
                    move || which(&tree(&out.join("prod")), old, new)
                }),
                leftovers: Box::new(move || fs::read_dir(&store).is_ok_and(|mut entries| entries.next().is_some())),
            }
        })
        .collect();
    let (old_count, new_count, leftovers) = kill_repeatedly(&subjects);
    assert!(
        old_count > 0 && new_count > 0 && leftovers > 0,
        "the kills missed a phase: {old_count} old, {new_count} new, {leftovers} with leftovers"
    );
}

#[test]
fn a_deploy_killed_at_any_moment_leaves_the_old_or_the_new_release() {
    let repo = example_copy();
    let work = tempfile::tempdir().expect("temp dir");
    let old_dags = work.path().join("old");
    let deploy = |target: &Path| {
        let mut command = flowc_command(repo.path());
        command
            .args(["deploy", ".", "--env", "prod", "--target"])
            .arg(format!("dir:{}", target.display()))
            .env_remove("FLOWC_DEPLOY_FAIL_AFTER")
            .env_remove("FLOWC_DEPLOY_ABORT");
        command
    };
    let output = deploy(&old_dags).output().expect("flowc runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let released = |dags: &Path| {
        let mut files = tree(&dags.join("wingpay_prod"));
        files.remove(".flowc-deploy.json");
        files
    };
    let old = released(&old_dags);
    describe(repo.path(), "NEW");
    let fresh = work.path().join("fresh");
    assert!(deploy(&fresh).status().expect("flowc runs").success());
    let new = released(&fresh);
    let subjects: Vec<Subject<'_>> = (0..LANES)
        .map(|lane| {
            let dags = work.path().join(format!("dags{lane}"));
            let store = dags.join(".flowc/wingpay_prod");
            let (old_dags, old, new, deploy, released) = (&old_dags, &old, &new, &deploy, &released);
            Subject {
                start: Box::new({
                    let dags = dags.clone();
                    move || spawn(deploy(&dags))
                }),
                restore: Box::new({
                    let dags = dags.clone();
                    move || {
                        if dags.exists() {
                            fs::remove_dir_all(&dags).expect("remove");
                        }
                        copy_keeping_links(old_dags, &dags);
                    }
                }),
                writing: store.join("staging"),
                state: Box::new(move || which(&released(&dags), old, new)),
                leftovers: Box::new(move || {
                    store.join("staging").exists()
                        || store.join("next-link").exists()
                        || fs::read_dir(store.join("releases")).is_ok_and(|entries| entries.count() > 2)
                }),
            }
        })
        .collect();
    let (old_count, new_count, _) = kill_repeatedly(&subjects);
    assert!(
        old_count > 0 && new_count > 0,
        "the kills missed a phase: {old_count} old, {new_count} new"
    );
}
