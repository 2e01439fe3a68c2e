//! `cargo bench --bench check`: time `flowc check` on generated repositories.
//!
//! Generates repositories of 1,000 and 10,000 sparksql tasks (100 tasks per flow,
//! each reading two tables written by earlier tasks, many of them in other flows) in a
//! temporary folder, then times the whole check — load, schema validation, SQL
//! analysis and the dependency graph — over a few runs and prints the best and median.
//! Then times rendering the prod environment (DAG model, templates, SQL templates,
//! manifest; in memory, as `flowc compile` does before writing).
//! Set `FLOWC_BENCH_TASKS=N` to time one size instead. Under `cargo test` it only
//! checks a 200-task repository once over, as a smoke test.

use std::path::Path;
use std::time::{Duration, Instant};

use flowc::compiler::check;
use flowc::dags::{self, Mode};
use flowc::load::WorkTree;
use flowc::render::{RenderInput, Templates, render_environment};

mod support;
use support::generate;

const RUNS: usize = 5;

fn time(root: &Path) -> (Duration, Duration, usize) {
    let mut samples = Vec::new();
    let mut edges = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let tree = WorkTree::open(root).expect("open bench repository");
        let report = check(&tree).expect("check runs");
        samples.push(started.elapsed());
        assert!(
            !report.diagnostics.has_errors(),
            "generated repository has errors: {:?}",
            report.diagnostics
        );
        edges = report.graph.as_ref().map_or(0, |g| g.edges().len());
    }
    samples.sort();
    (samples[0], samples[RUNS / 2], edges)
}

fn time_compile(root: &Path) -> (Duration, Duration, usize) {
    let tree = WorkTree::open(root).expect("open bench repository");
    let report = check(&tree).expect("check runs");
    let input = report.dag_input().expect("a checked repository");
    let prod = &input.repository.project.environments["prod"];
    let version = input.repository.project.airflow.version;
    let templates = Templates::builtin();
    let env = templates.environment().expect("built-in templates parse");
    let app_files = std::collections::BTreeMap::new();
    let mut samples = Vec::new();
    let mut files = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let dags = dags::build(&input, prod, version, Mode::Render).expect("generated repository compiles");
        let render = RenderInput {
            repository: input.repository,
            graph: input.graph,
            sources: &report.sources,
            templates: &templates,
            env: &env,
            version,
            app_files: &app_files,
            task_io: &report.task_io,
            columns: report.columns.as_ref(),
        };
        // The DDL as `flowc compile` builds it (its warnings are not the bench's).
        let ddl_input = flowc::render::ddl::DdlInput {
            repository: input.repository,
            columns: report.columns.as_ref().expect("columns"),
            task_io: &report.task_io,
            datax_jobs: &dags.datax_jobs,
        };
        let (ddl, _) = flowc::render::ddl::build(&ddl_input, prod);
        let (rendered, problems) = render_environment(&dags, &render, &ddl).expect("renders");
        assert!(problems.is_empty(), "generated repository renders: {problems:?}");
        samples.push(started.elapsed());
        files = rendered.len();
    }
    samples.sort();
    (samples[0], samples[RUNS / 2], files)
}

#[expect(clippy::print_stdout, reason = "a benchmark reports its timings on stdout")]
fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary
    // without it, where a small repository is enough to prove the bench still works.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let sizes: Vec<usize> = match std::env::var("FLOWC_BENCH_TASKS").ok().and_then(|v| v.parse().ok()) {
        Some(n) => vec![n],
        None if benchmarking => vec![1_000, 10_000],
        None => vec![200],
    };
    for tasks in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        generate(dir.path(), tasks);
        let (best, median, edges) = time(dir.path());
        println!(
            "check/{tasks} tasks: best {:.0} ms, median {:.0} ms ({edges} edges, {RUNS} runs, {} threads)",
            best.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            rayon::current_num_threads(),
        );
        let (best, median, files) = time_compile(dir.path());
        println!(
            "compile/{tasks} tasks: best {:.0} ms, median {:.0} ms ({files} files, {RUNS} runs)",
            best.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
        );
    }
}
