//! What long runs show while they go and after: a progress line on stderr naming the
//! stage running (shown once a run has taken [`SHOW_AFTER`], on a terminal, never with
//! `--quiet`), and `--timings`' table of each stage's wall time and the peak memory.

use std::fmt::Write as _;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Printer;
use crate::compiler::{Observer, Timings};

/// How long a run goes before its progress line appears: a quick run shows none.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The display options of commands that can run long.
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub(crate) struct DisplayArgs {
    /// Print how long each stage took, and the peak memory, on stderr.
    #[arg(long)]
    pub(crate) timings: bool,
    /// No progress line and no summary: only problems (and what the command is for).
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

/// The progress line of one run: an [`Observer`] that names each stage as it starts.
pub(crate) struct Progress {
    bar: ProgressBar,
    /// Set when the run ends; wakes the thread that would show the line.
    done: Arc<(Mutex<bool>, Condvar)>,
}

impl Progress {
    /// A progress line for a run starting now: drawn on stderr from [`SHOW_AFTER`] on
    /// when stderr is a terminal and `display` is not quiet, else never.
    pub(crate) fn start(printer: &Printer, display: DisplayArgs, what: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_prefix(what.to_owned());
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        if printer.err_is_terminal() && !display.quiet {
            let (bar, done) = (bar.clone(), Arc::clone(&done));
            thread::spawn(move || {
                let (ended, wake) = &*done;
                let Ok(guard) = ended.lock() else { return };
                let Ok((guard, _)) = wake.wait_timeout_while(guard, SHOW_AFTER, |ended| !*ended) else {
                    return;
                };
                if !*guard {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Self { bar, done }
    }

    /// Ends the line: it is cleared, so what the command prints next starts clean.
    pub(crate) fn finish(&self) {
        let (ended, wake) = &*self.done;
        if let Ok(mut ended) = ended.lock() {
            *ended = true;
            // Clearing under the lock: the showing thread cannot draw after it.
            self.bar.finish_and_clear();
        }
        wake.notify_all();
    }

    /// Whether the line was ever drawn (for tests).
    #[cfg(test)]
    fn was_shown(&self) -> bool {
        !self.bar.is_hidden()
    }
}

impl Observer for Progress {
    fn stage(&self, name: &'static str) {
        self.bar.set_message(name);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `--timings`' table: each stage's wall time in the order they ran, the total, and
/// the peak memory of the process where the system says it.
pub(crate) fn timings_table(timings: &Timings, started: Instant) -> String {
    let width = timings
        .stages
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut text = String::from("timings (wall clock):\n");
    for (name, took) in &timings.stages {
        let _ = writeln!(text, "  {name:<width$}  {}", seconds(*took));
    }
    let _ = write!(text, "  {:<width$}  {}", "total", seconds(started.elapsed()));
    if let Some(peak) = peak_memory_bytes() {
        let _ = write!(text, "  (peak memory {} MB)", peak / (1024 * 1024));
    }
    text.push('\n');
    text
}

fn seconds(took: Duration) -> String {
    format!("{:>8.3} s", took.as_secs_f64())
}

/// The process's peak resident memory (`VmHWM` of `/proc/self/status`), on Linux.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_run_never_shows_progress() {
        let printer = Printer::new();
        let quiet = DisplayArgs {
            quiet: true,
            ..DisplayArgs::default()
        };
        let progress = Progress::start(&printer, quiet, "compile");
        progress.stage("sql");
        std::thread::sleep(SHOW_AFTER + Duration::from_millis(200));
        progress.finish();
        assert!(!progress.was_shown());
    }

    #[test]
    fn the_table_lists_each_stage_then_the_total() {
        let mut timings = Timings::default();
        timings.push("load", Duration::from_millis(1500));
        timings.push("columns", Duration::from_millis(20));
        let table = timings_table(&timings, Instant::now());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "timings (wall clock):");
        assert_eq!(lines[1], "  load        1.500 s");
        assert_eq!(lines[2], "  columns     0.020 s");
        assert!(lines[3].starts_with("  total "), "{table}");
        if cfg!(target_os = "linux") {
            assert!(lines[3].contains("(peak memory "), "{table}");
        }
    }
}
