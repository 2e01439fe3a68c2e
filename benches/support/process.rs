//! Running one command as a whole process: its wall time, its peak memory (GNU time's
//! `%M`, the maximum resident set size the kernel reports when it is reaped), and a
//! watchdog that kills it past a memory or time limit so a bench cannot take a shared
//! machine down.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// GNU time: peak memory of a child without unsafe code.
const GNU_TIME: &str = "/usr/bin/time";

/// How one run of a command went.
pub(crate) struct Run {
    /// Wall time from spawn to exit.
    pub(crate) seconds: f64,
    /// Peak resident memory in MB (10^6 bytes); `None` without GNU time.
    pub(crate) peak_mb: Option<f64>,
    /// The command's stdout and stderr, and its status.
    pub(crate) output: Output,
    /// Why the watchdog killed it, if it did.
    pub(crate) killed: Option<String>,
}

/// The limits of the watchdog.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// Resident memory of the command (with its children), in MB.
    pub(crate) memory_mb: u64,
    /// Wall time.
    pub(crate) time: Duration,
}

/// Whether GNU time is there to measure peak memory.
pub(crate) fn has_gnu_time() -> bool {
    Command::new(GNU_TIME)
        .args(["-f", "%M", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `program args` in `dir` (under GNU time when `measure_memory`), watched.
pub(crate) fn run(program: &Path, args: &[&str], dir: &Path, measure_memory: bool, limits: Limits) -> Run {
    let peak_file = tempfile::NamedTempFile::new().expect("temp file for GNU time");
    let mut command = if measure_memory {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M").arg("-o").arg(peak_file.path()).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args).current_dir(dir).stdin(Stdio::null());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = command.spawn().expect("spawn the measured command");
    let stop = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let stop = Arc::clone(&stop);
        let pid = child.id();
        std::thread::spawn(move || watch(pid, &stop, limits))
    };
    let output = child.wait_with_output().expect("wait for the measured command");
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let killed = watchdog.join().expect("the watchdog thread");
    let peak_mb = measure_memory
        .then(|| std::fs::read_to_string(peak_file.path()).ok())
        .flatten()
        // GNU time writes "Command exited with non-zero status N" first on failure.
        .and_then(|text| text.lines().last().and_then(|line| line.trim().parse::<f64>().ok()))
        .map(|kib| kib * 1024.0 / 1e6);
    Run {
        seconds,
        peak_mb,
        output,
        killed,
    }
}

/// Polls the resident memory of `pid` and its descendants until `stop`; kills them all
/// past the limits and says why.
fn watch(pid: u32, stop: &AtomicBool, limits: Limits) -> Option<String> {
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let tree = descendants(pid);
        let rss_mb = tree.iter().map(|&p| resident_kib(p)).sum::<u64>() * 1024 / 1_000_000;
        let reason = if rss_mb > limits.memory_mb {
            Some(format!(
                "killed at {rss_mb} MB resident (limit {} MB)",
                limits.memory_mb
            ))
        } else if started.elapsed() > limits.time {
            Some(format!("killed after {} s (limit)", limits.time.as_secs()))
        } else {
            None
        };
        if let Some(reason) = reason {
            // The measured process first (GNU time then exits by itself), then the rest.
            let pids: Vec<String> = tree.iter().rev().map(u32::to_string).collect();
            let _ = Command::new("kill").arg("-KILL").args(&pids).status();
            return Some(reason);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// `pid` and every process under it (Linux `/proc`; just `pid` elsewhere).
fn descendants(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        let children = PathBuf::from(format!("/proc/{p}/task/{p}/children"));
        if let Ok(text) = std::fs::read_to_string(children) {
            all.extend(text.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
        i += 1;
    }
    all
}

/// VmRSS of `pid` in KiB (0 when unknown).
fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
