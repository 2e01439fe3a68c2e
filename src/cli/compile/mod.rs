//! `flowc compile`: check, render every environment asked for, write all or nothing.

mod memo;

use crate::words::plural;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::ValueEnum;

use super::progress::{DisplayArgs, Progress, timings_table};
use super::sql_cache::RepoCache;
use super::{Outcome, Printer, open_tree};
use crate::Error;
use crate::compiler::{CheckReport, CompileRequest, Compiled, Timings, Unobserved, compile_observed};
use crate::load::Recording;
use crate::output;
use crate::render::CompiledEnvironment;

/// Arguments of `flowc compile`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompileArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Compile this git revision (branch, tag, commit…) read from git objects, instead
    /// of the files on disk: no checkout, uncommitted changes ignored, bare clones work.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// Environment to compile; repeat for several. Default: every environment.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Vec<String>,
    /// Output folder; each environment goes to OUT/<env>/.
    #[arg(long, value_name = "DIR", default_value = "build")]
    pub(crate) out: PathBuf,
    /// Render for this Airflow version instead of `airflow.version` in flowc.yaml.
    #[arg(long, value_enum, value_name = "VERSION")]
    pub(crate) airflow_version: Option<AirflowVersionArg>,
    #[command(flatten)]
    pub(crate) display: DisplayArgs,
}

/// Airflow versions on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AirflowVersionArg {
    /// Airflow 2.10.
    #[value(name = "2.10")]
    V2_10,
    /// Airflow 3.x.
    #[value(name = "3")]
    V3,
}

impl From<AirflowVersionArg> for crate::model::AirflowVersion {
    fn from(value: AirflowVersionArg) -> Self {
        match value {
            AirflowVersionArg::V2_10 => Self::V2_10,
            AirflowVersionArg::V3 => Self::V3,
        }
    }
}

/// Runs `flowc compile`.
pub(crate) fn run(args: &CompileArgs, printer: &Printer) -> Result<Outcome, Error> {
    let started = Instant::now();
    let tree = open_tree(&args.repo, args.rev.as_deref())?;
    let on_wait = |lock: &Path| {
        printer.err(&format!(
            "waiting for another flowc writing to {} (it holds {}), for up to {} s…\n",
            display(&args.out),
            display(lock),
            output::LOCK_WAIT.as_secs()
        ));
    };
    let mut timings = Timings::default();
    if timings.time(&Unobserved, "memo", || {
        memo::replay(args, printer, tree.as_ref(), &on_wait)
    })? {
        if args.display.timings {
            printer.err(&timings_table(&timings, started));
        }
        return Ok(Outcome::Clean);
    }
    let request = CompileRequest {
        environments: args.env.clone(),
        airflow_version: args.airflow_version.map(Into::into),
    };
    let recording = Recording::new(tree.as_ref());
    let cache = RepoCache::open(&args.repo);
    let progress = Progress::start(printer, args.display, "compile");
    let compiled = compile_observed(&recording, &request, &progress, cache.cache());
    progress.finish();
    cache.save();
    let Some((report, compiled)) = finished(
        compiled?,
        printer,
        ["compile stopped", "compile failed"],
        &args.out.display().to_string(),
    ) else {
        return Ok(Outcome::InputErrors);
    };
    timings.stages.extend(report.timings.stages.iter().copied());
    let summaries = timings.time(&Unobserved, "output", || {
        output::write(
            &args.out,
            compiled.iter().map(|c| (c.name.as_str(), &c.files)),
            &on_wait,
        )
    })?;
    memo::remember(args, printer, tree.as_ref(), recording.inputs(), &report, &compiled);
    if args.display.timings {
        printer.err(&timings_table(&timings, started));
        cache.report(printer);
    }
    for (environment, summary) in compiled.iter().zip(summaries) {
        for warning in &summary.warnings {
            printer.err(&format!("warning: {warning}\n"));
        }
        if !args.display.quiet {
            let files = format!(
                "{} written, {} unchanged, {} removed",
                plural(summary.written, "file"),
                summary.unchanged,
                summary.removed
            );
            printer.out(&summary_line(
                &environment.name,
                &environment_summary(environment),
                &args.out,
                &files,
            ));
        }
    }
    Ok(Outcome::Clean)
}

/// The report and environments of a compile that succeeded (its warnings printed);
/// `None` when it found errors, which are printed with the line `<stopped[0]>: N errors
/// in the repository; <target> left untouched` (or `<stopped[1]>: N errors; …` when
/// rendering failed).
pub(super) fn finished(
    compiled: Compiled,
    printer: &Printer,
    stopped: [&str; 2],
    target: &str,
) -> Option<(CheckReport, Vec<CompiledEnvironment>)> {
    match compiled {
        Compiled::Done { report, environments } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            Some((report, environments))
        }
        Compiled::CheckFailed { report } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.out(&format!(
                "{}: {} in the repository; {target} left untouched\n",
                stopped[0],
                plural(report.diagnostics.error_count(), "error"),
            ));
            None
        }
        Compiled::RenderFailed { report, diagnostics } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.diagnostics(&diagnostics, &report.sources);
            printer.out(&format!(
                "{}: {}; {target} left untouched\n",
                stopped[1],
                plural(diagnostics.error_count(), "error"),
            ));
            None
        }
    }
}

/// What an environment's line says of it: `7 DAGs, 104 Airflow tasks (Airflow 3)`.
pub(super) fn environment_summary(environment: &CompiledEnvironment) -> String {
    let tasks: usize = environment.dags.dags.iter().map(|d| d.tasks.len()).sum();
    format!(
        "{}, {} (Airflow {})",
        plural(environment.dags.dags.len(), "DAG"),
        plural(tasks, "Airflow task"),
        environment.dags.airflow_version
    )
}

/// An environment's line: `prod: 7 DAGs, … → build/prod: 3 files written, …`.
pub(super) fn summary_line(name: &str, summary: &str, out: &Path, files: &str) -> String {
    format!("{name}: {summary} → {}: {files}\n", display(&out.join(name)))
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
