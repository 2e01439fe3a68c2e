//! `flowc check`: validate a repository and print every diagnostic and a summary.

use crate::words::plural;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

use clap::ValueEnum;

use super::progress::{DisplayArgs, Progress, timings_table};
use super::sql_cache::RepoCache;
use super::{Outcome, Printer, open_tree};
use crate::Error;
use crate::compiler::{CheckReport, check_observed};
use crate::diagnostic::render::{github, json as json_render};

/// Arguments of `flowc check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Check this git revision (branch, tag, commit…) read from git objects, instead
    /// of the files on disk: no checkout, uncommitted changes ignored, bare clones work.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub(crate) format: CheckFormat,
    #[command(flatten)]
    pub(crate) display: DisplayArgs,
}

/// Output formats of `flowc check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// Source lines with carets on stderr, the summary on stdout.
    Human,
    /// One JSON document on stdout: `{"diagnostics": [...], "summary": {...}}`.
    Json,
    /// GitHub Actions `::error file=…,line=…,col=…::` annotations on stdout.
    Github,
}

/// Runs `flowc check`.
pub(crate) fn run(args: &CheckArgs, printer: &Printer) -> Result<Outcome, Error> {
    let started = Instant::now();
    let tree = open_tree(&args.repo, args.rev.as_deref())?;
    let cache = RepoCache::open(&args.repo);
    let progress = Progress::start(printer, args.display, "check");
    let report = check_observed(tree.as_ref(), &progress, cache.cache());
    progress.finish();
    let report = report?;
    cache.save();
    if args.display.timings {
        printer.err(&timings_table(&report.timings, started));
        cache.report(printer);
    }
    match args.format {
        CheckFormat::Human => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            if !args.display.quiet {
                printer.out(&format!("{}\n", summary(&report)));
            }
        }
        CheckFormat::Json => {
            let diagnostics: Vec<_> = report
                .diagnostics
                .iter()
                .map(|d| json_render::to_value(d, &report.sources))
                .collect();
            let value = json!({
                "diagnostics": diagnostics,
                "summary": {
                    "flows": report.flow_count(),
                    "tasks": report.task_count(),
                    "tables": report.table_count(),
                    "errors": report.diagnostics.error_count(),
                    "warnings": report.diagnostics.warning_count(),
                },
            });
            printer.out(&format!("{value:#}\n"));
        }
        CheckFormat::Github => {
            let prefix = github_prefix(&args.repo);
            let mut text = String::new();
            for diagnostic in &report.diagnostics {
                text.push_str(&github::render(diagnostic, &report.sources, &prefix));
            }
            text.push_str(&summary(&report));
            text.push('\n');
            printer.out(&text);
        }
    }
    Ok(if report.diagnostics.has_errors() {
        Outcome::InputErrors
    } else {
        Outcome::Clean
    })
}

/// The repository folder as a `/`-separated prefix when it is a relative path below
/// the current folder (where GitHub Actions runs), else nothing.
pub(super) fn github_prefix(repo: &std::path::Path) -> String {
    use std::path::Component;
    let mut parts = Vec::new();
    for component in repo.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return String::new(),
        }
    }
    parts.iter().fold(String::new(), |mut prefix, part| {
        prefix.push_str(part);
        prefix.push('/');
        prefix
    })
}

/// `N flows, M tasks, K tables: E errors, W warnings`.
fn summary(report: &CheckReport) -> String {
    format!(
        "{}, {}, {}: {}, {}",
        plural(report.flow_count(), "flow"),
        plural(report.task_count(), "task"),
        plural(report.table_count(), "table"),
        plural(report.diagnostics.error_count(), "error"),
        plural(report.diagnostics.warning_count(), "warning"),
    )
}
