//! `cargo bench --bench perf`: flowc against the SQL parser's ceiling, in the same run
//! (issue 20).
//!
//! For repositories of 1,000, 10,000 and 100,000 sparksql tasks with varied SQL
//! (`support/varied.rs`), measures whole processes of the release `flowc`: `check`,
//! `compile` cold into a new folder, `compile` again unchanged, `compile` after one SQL
//! file changed, `plan` of a git commit changing one SQL file, `lineage` of a deep
//! column and `docs`, each with its peak memory (GNU time), against the ceiling: this
//! bench's own binary, as a process, reading the same SQL files, replacing their
//! placeholders with flowc's `sanitize` and parsing them with sqlparser and flowc's
//! Spark dialect on all threads (rayon), nothing else. Every time is the best of a few
//! runs (one at 100,000 tasks) and is printed as a ratio to the ceiling, with the
//! issue's targets and PASS/MISS; then 100,000 / 10,000 for each measure (linear: ≤ 11).
//!
//! `FLOWC_BENCH_TASKS=1000,10000` picks the sizes, `FLOWC_BENCH_RUNS` the runs per
//! measure; a command is killed past `FLOWC_BENCH_MAX_MB` resident (default 8000) or
//! `FLOWC_BENCH_MAX_SECONDS` (default 900); `FLOWC_BENCH_KEEP=1` keeps each generated
//! repository (its path on stderr) to profile a command by hand. Under `cargo test` (no `--bench`) it runs
//! every measure once on 200 tasks and asserts that each command succeeds and that the
//! repository checks clean. `docs/performance.md` explains the figures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flowc::diagnostic::FileId;
use flowc::sql::SparkDialect;
use flowc::sql::placeholder::sanitize;
use rayon::iter::{IndexedParallelIterator, IntoParallelRefIterator, ParallelIterator};
use sqlparser::parser::Parser;

#[path = "support/process.rs"]
mod process;
#[path = "support/varied.rs"]
mod varied;

use process::{Limits, Run};

const FLOWC: &str = env!("CARGO_BIN_EXE_flowc");

/// The targets, as ratios to the ceiling (at 10,000 tasks).
const CHECK_TARGET: f64 = 1.2;
const COLD_TARGET: f64 = 1.5;
const UNCHANGED_TARGET: f64 = 0.15;
const CHANGED_TARGET: f64 = 0.3;
const PLAN_TARGET: f64 = 2.0;
/// Peak memory of compile and plan, and the size of `manifest.json`, at 10,000 tasks.
const MEMORY_TARGET_MB: f64 = 250.0;
const MANIFEST_TARGET_MB: f64 = 10.0;
/// 100,000 tasks within this many times the 10,000 figures.
const LINEAR_TARGET: f64 = 11.0;
/// The size the absolute targets are set for.
const TARGET_TASKS: usize = 10_000;

/// How the bench runs.
struct Settings {
    benchmarking: bool,
    memory: bool,
    limits: Limits,
}

/// One measure of one size.
struct Measure {
    name: &'static str,
    /// Best wall time; `None` when the watchdog killed every run.
    seconds: Option<f64>,
    /// Highest peak over the runs.
    peak_mb: Option<f64>,
    /// Ratio to the ceiling the issue asks for.
    time_target: Option<f64>,
    /// Whether the 250 MB target applies (compile and plan).
    memory_target: bool,
    /// Why it has no figure.
    note: Option<String>,
}

/// Everything measured on one size.
struct SizeReport {
    tasks: usize,
    measures: Vec<Measure>,
    manifest_mb: Option<f64>,
    files_written: usize,
    sql_bytes: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, list] = args.as_slice()
        && flag == "--ceiling"
    {
        ceiling(Path::new(list));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary
    // without it, where one pass over a small repository proves the bench still works.
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let env_number = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u64>().ok());
    let sizes: Vec<usize> = match std::env::var("FLOWC_BENCH_TASKS") {
        Ok(list) => list.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) if benchmarking => vec![1_000, 10_000, 100_000],
        Err(_) => vec![200],
    };
    let memory = process::has_gnu_time();
    let settings = Settings {
        benchmarking,
        memory,
        limits: Limits {
            memory_mb: env_number("FLOWC_BENCH_MAX_MB").unwrap_or(8000),
            time: Duration::from_secs(env_number("FLOWC_BENCH_MAX_SECONDS").unwrap_or(900)),
        },
    };
    let runs_override = env_number("FLOWC_BENCH_RUNS").map(|n| n.max(1) as usize);
    say(&format!(
        "flowc perf bench: {} threads{}",
        rayon::current_num_threads(),
        if memory {
            ""
        } else {
            "; peak memory n/a (install GNU time)"
        }
    ));
    let mut reports = Vec::new();
    for tasks in sizes {
        let runs = match runs_override {
            Some(n) => n,
            None if !benchmarking => 1,
            None if tasks >= 100_000 => 1,
            None => 3,
        };
        let report = measure_size(tasks, runs, &settings);
        say(&table(&report));
        reports.push(report);
    }
    let ten = reports.iter().find(|r| r.tasks == 10_000);
    let hundred = reports.iter().find(|r| r.tasks == 100_000);
    if let (Some(ten), Some(hundred)) = (ten, hundred) {
        say(&linearity(ten, hundred));
    }
}

#[expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]
fn say(text: &str) {
    println!("{text}");
}

/// A measure as soon as it is done, on stderr: a 100,000-task run takes a while.
#[expect(clippy::print_stderr, reason = "a benchmark reports its progress on stderr")]
fn progress(text: &str) {
    eprintln!("{text}");
}

/// The ceiling's process: read, sanitise and parse every file of `list`, all threads.
fn ceiling(list: &Path) {
    let list = std::fs::read_to_string(list).expect("the ceiling's file list");
    let paths: Vec<PathBuf> = list.lines().map(PathBuf::from).collect();
    let parsed: Vec<Result<usize, String>> = paths
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let sanitized = sanitize(FileId::from_index(i as u32), &text);
            Parser::parse_sql(&SparkDialect::default(), &sanitized.text)
                .map(|statements| statements.len())
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect();
    let statements: usize = parsed.iter().filter_map(|r| r.as_ref().ok()).sum();
    let errors: Vec<&String> = parsed.iter().filter_map(|r| r.as_ref().err()).collect();
    say(&format!(
        "files {} statements {statements} errors {}{}",
        paths.len(),
        errors.len(),
        errors.first().map_or(String::new(), |e| format!(" first: {e}"))
    ));
}

/// Generates a repository of `tasks` tasks and measures everything on it.
fn measure_size(tasks: usize, runs: usize, settings: &Settings) -> SizeReport {
    let mut dir = tempfile::tempdir().expect("temp dir");
    // Kept for profiling a command by hand afterwards.
    if std::env::var_os("FLOWC_BENCH_KEEP").is_some() {
        dir.disable_cleanup(true);
        progress(&format!("keeping {}", dir.path().display()));
    }
    let repo = dir.path().join("repo");
    progress(&format!("{} tasks: generating", thousands(tasks)));
    let generated = varied::generate(&repo, tasks);
    let base = git_commit(&repo, "base");
    let list = dir.path().join("sql-files.txt");
    let paths: Vec<String> = generated.sql_files.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, paths.join("\n")).expect("write the file list");
    let repo_arg = repo.display().to_string();
    let mut measures = Vec::new();

    let exe = std::env::current_exe().expect("the bench's own binary");
    let list_arg = list.display().to_string();
    measures.push(measure("ceiling: sqlparser, all threads", runs, settings, |_| {
        let run = process::run(
            &exe,
            &["--ceiling", &list_arg],
            dir.path(),
            settings.memory,
            settings.limits,
        );
        let stdout = String::from_utf8_lossy(&run.output.stdout);
        assert!(
            run.killed.is_some() || stdout.contains(" errors 0"),
            "the ceiling failed to parse the generated SQL: {stdout}{}",
            String::from_utf8_lossy(&run.output.stderr)
        );
        run
    }));
    // The SQL analysis cache (`REPO/.flowc/cache/`): gone before a cold measure, kept
    // by the runs after.
    let cache = repo.join(".flowc");
    let checked = |run: Run| {
        let stdout = String::from_utf8_lossy(&run.output.stdout);
        assert!(
            run.killed.is_some() || stdout.contains(": 0 errors, 0 warnings"),
            "the generated repository does not check clean: {stdout}{}",
            String::from_utf8_lossy(&run.output.stderr)
        );
        run
    };
    measures.push(measure("check, no cache", runs, settings, |_| {
        let _ = std::fs::remove_dir_all(&cache);
        checked(flowc(&["check", &repo_arg], dir.path(), settings))
    }));
    measures.push(measure("check, cache kept", runs, settings, |_| {
        checked(flowc(&["check", &repo_arg], dir.path(), settings))
    }));
    let out = dir.path().join("out");
    let out_arg = out.display().to_string();
    let compile = ["compile", repo_arg.as_str(), "--env", "prod", "--out", out_arg.as_str()];
    measures.push(measure("compile, cold (new folder, no cache)", runs, settings, |_| {
        // Not timed: the previous run's output and the cache go, so every run starts cold.
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_dir_all(&cache);
        flowc(&compile, dir.path(), settings)
    }));
    measures.push(measure("compile, unchanged", runs, settings, |_| {
        flowc(&compile, dir.path(), settings)
    }));
    let original = std::fs::read_to_string(&generated.change).expect("read the file to change");
    measures.push(measure("compile, one SQL file changed", runs, settings, |run| {
        std::fs::write(&generated.change, changed(&original, run)).expect("change one SQL file");
        flowc(&compile, dir.path(), settings)
    }));
    let manifest_mb = std::fs::metadata(out.join("prod/manifest.json"))
        .ok()
        .map(|m| megabytes(m.len()));
    let files_written = count_files(&out.join("prod"));

    std::fs::write(&generated.change, changed(&original, 99)).expect("change one SQL file");
    git_commit(&repo, "one SQL file changed");
    let plan = ["plan", repo_arg.as_str(), "--base", base.as_str(), "--env", "prod"];
    measures.push(measure("plan, one SQL file changed", runs, settings, |_| {
        let run = flowc(&plan, dir.path(), settings);
        let stdout = String::from_utf8_lossy(&run.output.stdout);
        assert!(
            run.killed.is_some() || stdout.contains("1 task changed"),
            "the plan does not show the one change: {}",
            stdout.lines().last().unwrap_or_default()
        );
        run
    }));
    let column = generated.deep_column.as_str();
    measures.push(measure("lineage of a deep column", runs, settings, |_| {
        let run = flowc(&["lineage", &repo_arg, column], dir.path(), settings);
        let stdout = String::from_utf8_lossy(&run.output.stdout);
        assert!(
            run.killed.is_some() || stdout.contains(column),
            "lineage does not show {column}: {stdout}"
        );
        run
    }));
    let page = dir.path().join("docs.html").display().to_string();
    measures.push(measure("docs", runs, settings, |_| {
        flowc(&["docs", &repo_arg, "--out", &page], dir.path(), settings)
    }));
    for m in &mut measures {
        set_targets(m);
    }
    SizeReport {
        tasks,
        measures,
        manifest_mb,
        files_written,
        sql_bytes: generated.sql_bytes,
    }
}

/// Runs `flowc args` and requires it to succeed quietly (unless the watchdog killed it).
fn flowc(args: &[&str], dir: &Path, settings: &Settings) -> Run {
    let run = process::run(Path::new(FLOWC), args, dir, settings.memory, settings.limits);
    if run.killed.is_none() {
        let stderr = String::from_utf8_lossy(&run.output.stderr);
        assert!(
            run.output.status.success() && !stderr.contains("warning"),
            "flowc {} failed or warned ({}):\n{stderr}",
            args.join(" "),
            run.output.status
        );
    }
    run
}

/// Runs `one` `runs` times (stopping after a killed run): the best time, the highest peak.
fn measure(name: &'static str, runs: usize, settings: &Settings, mut one: impl FnMut(usize) -> Run) -> Measure {
    let mut best: Option<f64> = None;
    let mut peak: Option<f64> = None;
    let mut note = None;
    for run in 0..runs {
        let r = one(run);
        if let Some(reason) = r.killed {
            assert!(settings.benchmarking, "{name}: {reason}");
            note = Some(reason);
            break;
        }
        best = Some(best.map_or(r.seconds, |b| b.min(r.seconds)));
        peak = match (peak, r.peak_mb) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    progress(&format!(
        "  {name}: {}, peak {}",
        best.map_or_else(|| note.clone().unwrap_or_default(), |s| format!("{s:.3} s")),
        peak.map_or("n/a".to_owned(), |p| format!("{p:.0} MB"))
    ));
    Measure {
        name,
        seconds: best,
        peak_mb: peak,
        time_target: None,
        memory_target: false,
        note,
    }
}

fn set_targets(m: &mut Measure) {
    let (time, memory) = match m.name {
        "check, no cache" | "check, cache kept" => (Some(CHECK_TARGET), false),
        "compile, cold (new folder, no cache)" => (Some(COLD_TARGET), true),
        "compile, unchanged" => (Some(UNCHANGED_TARGET), true),
        "compile, one SQL file changed" => (Some(CHANGED_TARGET), true),
        "plan, one SQL file changed" => (Some(PLAN_TARGET), true),
        _ => (None, false),
    };
    m.time_target = time;
    m.memory_target = memory;
}

/// `original` with a real change to an expression: its first ` AS score` item divided
/// (a division is a `double`, as `score` is, so the table's type stays known).
fn changed(original: &str, run: usize) -> String {
    assert!(
        original.contains(" AS score"),
        "every generated file has an ` AS score` item"
    );
    original.replacen(" AS score", &format!(" / {} AS score", run + 2), 1)
}

/// Commits everything in `repo` (a git repository from the first call); its commit id.
fn git_commit(repo: &Path, message: &str) -> String {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(["-c", "user.name=flowc bench", "-c", "user.email=bench@example.invalid"])
            .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
            // No background gc or maintenance running into the measures.
            .args(["-c", "gc.auto=0", "-c", "maintenance.auto=false"])
            .args(args)
            .current_dir(repo)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    if !repo.join(".git").exists() {
        git(&["init", "-q"]);
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", message]);
    git(&["rev-parse", "HEAD"])
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[expect(clippy::cast_precision_loss, reason = "sizes far below 2^52 bytes")]
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

/// `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One size's figures as a Markdown table.
fn table(report: &SizeReport) -> String {
    let ceiling = report.measures[0].seconds;
    let at_target = report.tasks == TARGET_TASKS;
    let mut text = format!(
        "\n### {} tasks ({} flows, {:.1} MB of SQL in {} files)\n\n| measure | seconds | × ceiling | peak MB | time target | | memory target | |\n|---|---:|---:|---:|---|---|---|---|\n",
        thousands(report.tasks),
        thousands(report.tasks.div_ceil(varied::TASKS_PER_FLOW)),
        megabytes(report.sql_bytes),
        thousands(report.tasks),
    );
    for m in &report.measures {
        let ratio = m.seconds.zip(ceiling).map(|(s, c)| s / c);
        let seconds = m
            .seconds
            .map_or_else(|| m.note.clone().unwrap_or_default(), |s| format!("{s:.3}"));
        let ratio_cell = ratio.map_or(String::new(), |r| format!("{r:.2}"));
        let peak = m.peak_mb.map_or("n/a".to_owned(), |p| format!("{p:.0}"));
        let (time_target, time_verdict) = match (m.time_target, ratio) {
            (Some(t), Some(r)) => (format!("≤ {t}×"), verdict(r <= t)),
            (Some(t), None) => (format!("≤ {t}×"), "MISS"),
            _ => (String::new(), ""),
        };
        let (memory_target, memory_verdict) = match (m.memory_target && at_target, m.peak_mb) {
            (true, Some(p)) => (format!("≤ {MEMORY_TARGET_MB} MB"), verdict(p <= MEMORY_TARGET_MB)),
            (true, None) => (format!("≤ {MEMORY_TARGET_MB} MB"), "n/a"),
            _ => (String::new(), ""),
        };
        let _ = writeln!(
            text,
            "| {} | {seconds} | {ratio_cell} | {peak} | {time_target} | {time_verdict} | {memory_target} | {memory_verdict} |",
            m.name
        );
    }
    let manifest = report.manifest_mb.map_or("n/a".to_owned(), |mb| {
        let judged = if at_target {
            format!(
                " (target ≤ {MANIFEST_TARGET_MB} MB: {})",
                verdict(mb <= MANIFEST_TARGET_MB)
            )
        } else {
            String::new()
        };
        format!("{mb:.1} MB{judged}")
    });
    let _ = writeln!(
        text,
        "\nmanifest.json: {manifest}; compile writes {} files for prod; SQL: {} bytes.",
        thousands(report.files_written),
        thousands(report.sql_bytes as usize)
    );
    text
}

/// 100,000 / 10,000 tasks for every measure: linear is ≤ 11.
fn linearity(ten: &SizeReport, hundred: &SizeReport) -> String {
    let mut text = format!(
        "\n### Linearity: 100,000 / 10,000 tasks (target ≤ {LINEAR_TARGET})\n\n| measure | time ratio | | peak memory ratio | |\n|---|---:|---|---:|---|\n"
    );
    let cell = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => {
            let r = b / a;
            (format!("{r:.1}"), verdict(r <= LINEAR_TARGET))
        }
        _ => ("n/a".to_owned(), ""),
    };
    for (a, b) in ten.measures.iter().zip(&hundred.measures) {
        let (time, time_verdict) = cell(a.seconds, b.seconds);
        let (memory, memory_verdict) = cell(a.peak_mb, b.peak_mb);
        let _ = writeln!(
            text,
            "| {} | {time} | {time_verdict} | {memory} | {memory_verdict} |",
            a.name
        );
    }
    let (manifest, manifest_verdict) = cell(ten.manifest_mb, hundred.manifest_mb);
    let _ = writeln!(text, "| manifest.json size | {manifest} | {manifest_verdict} | | |");
    text
}
