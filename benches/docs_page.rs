//! `cargo bench --bench docs_page`: how big and how fast the `flowc docs` page is.
//!
//! Generates a repository of 10,000 sparksql tasks (the one `benches/check.rs`
//! uses), times `flowc docs` on it (the binary, as a user runs it) and prints the
//! size of the page; then, in one headless Chromium (`tests/browser/bench.mjs`, set up
//! by `scripts/browser.sh`), the time from navigation to the page's ready mark and to
//! the load event, and the median latency of a search and of selecting a table or a
//! column. The goal: interactive in under 2 s, search and focus under 100 ms.
//! Set `FLOWC_BENCH_TASKS=N` to measure another size. Under `cargo test` it builds
//! the page of a 200-task repository once and opens it in Chromium only when
//! Chromium and playwright-core are already installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod support;
use support::generate;

const RUNS: usize = 3;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `flowc docs` on `repo` `runs` times; the best and median time.
fn docs(repo: &Path, out: &Path, runs: usize) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_flowc"))
            .arg("docs")
            .arg(repo)
            .arg("--out")
            .arg(out)
            .output()
            .expect("flowc runs");
        samples.push(started.elapsed());
        assert!(
            output.status.success(),
            "flowc docs failed on the generated repository:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    samples.sort();
    (samples[0], samples[runs / 2])
}

/// The node_modules folder with playwright-core: installed by `scripts/browser.sh`
/// when benchmarking, only found (or `None`) under `cargo test`.
fn browser_modules(install: bool) -> Option<PathBuf> {
    let modules = root().join("target/browser/playwright/node_modules");
    if !install {
        let ready = Path::new("/usr/bin/chromium").exists()
            && modules.join("playwright-core/package.json").exists()
            && Command::new("node")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
        return ready.then_some(modules);
    }
    let output = Command::new("bash")
        .arg(root().join("scripts/browser.sh"))
        .output()
        .expect("bash runs scripts/browser.sh");
    assert!(
        output.status.success(),
        "scripts/browser.sh failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    stdout.lines().last().map(PathBuf::from)
}

/// The browser figures, as `tests/browser/bench.mjs` prints them (one JSON object).
fn measure(page: &Path, modules: &Path, loads: usize) -> serde_json::Value {
    let output = Command::new("node")
        .arg(root().join("tests/browser/bench.mjs"))
        .arg(page)
        .args(["--loads", &loads.to_string()])
        .env("FLOWC_NODE_MODULES", modules)
        .output()
        .expect("node runs tests/browser/bench.mjs");
    assert!(
        output.status.success(),
        "the page failed in Chromium:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).expect("bench.mjs prints one JSON object")
}

#[expect(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]
fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary
    // without it, where a small repository is enough to prove the bench still works.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let tasks = std::env::var("FLOWC_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benchmarking { 10_000 } else { 200 });
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path().join("repo");
    generate(&repo, tasks);
    let page = dir.path().join("docs.html");
    let runs = if benchmarking { RUNS } else { 1 };
    let (best, median) = docs(&repo, &page, runs);
    let size = std::fs::metadata(&page).expect("the page exists").len();
    println!(
        "docs/{tasks} tasks: flowc docs best {:.0} ms, median {:.0} ms ({runs} runs); page {}.{} MB",
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        size / 1_000_000,
        size % 1_000_000 / 100_000,
    );
    let Some(modules) = browser_modules(benchmarking) else {
        println!(
            "docs/{tasks} tasks: Chromium or playwright-core missing (scripts/browser.sh installs them): browser figures skipped"
        );
        return;
    };
    let m = measure(&page, &modules, if benchmarking { 5 } else { 1 });
    let f = |key: &str| m[key].as_f64().unwrap_or(f64::NAN);
    println!(
        "docs/{tasks} tasks in Chromium: ready {:.0} ms, load event {:.0} ms (seen from outside {:.0} ms; JSON.parse {:.0} ms, indexes {:.0} ms; median of {} loads)",
        f("ready_ms"),
        f("load_ms"),
        f("wall_ms"),
        f("parse_ms"),
        f("index_ms"),
        m["loads"]
    );
    println!(
        "docs/{tasks} tasks in Chromium: search {:.1} ms median ({:.1} max of {}), focus {:.1} ms median ({:.1} max of {})",
        f("search_ms"),
        f("search_max_ms"),
        m["queries"],
        f("focus_ms"),
        f("focus_max_ms"),
        m["selections"]
    );
}
