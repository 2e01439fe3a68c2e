//! `flowc plan`: what merging a revision would change in one environment.

use super::sql_cache::RepoCache;
use std::path::PathBuf;
use std::time::Instant;

use clap::ValueEnum;

use super::progress::{DisplayArgs, Progress, timings_table};
use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::Timings;
use crate::plan::{self, Failure, PlanOutcome};

/// Arguments of `flowc plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    /// The repository (a folder holding flowc.yaml, inside a git work tree).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The revision to compare against (branch, tag, commit…), e.g. the target branch
    /// of a pull request.
    #[arg(long, value_name = "REF")]
    pub(crate) base: String,
    /// The revision with the changes. Default: the files on disk, uncommitted changes
    /// included.
    #[arg(long, value_name = "REF")]
    pub(crate) head: Option<String>,
    /// The environment to plan.
    #[arg(long, value_name = "ENV", default_value = plan::DEFAULT_ENVIRONMENT)]
    pub(crate) env: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub(crate) format: PlanFormat,
    /// Exit 1 when the plan has breaking changes (for CI); the plan is printed either way.
    #[arg(long)]
    pub(crate) fail_on_breaking: bool,
    #[command(flatten)]
    pub(crate) display: DisplayArgs,
}

/// Output formats of `flowc plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// For a terminal: `+`/`-`/`~` lines, the rendered diffs, a summary line.
    Text,
    /// For a pull-request comment, under GitHub's 65,536-character limit.
    Markdown,
    /// The plan as one JSON document.
    Json,
}

/// Runs `flowc plan`. Exits 0 whether or not there are changes; 1 when either
/// revision has errors, or with `--fail-on-breaking` when there are breaking changes.
pub(crate) fn run(args: &PlanArgs, printer: &Printer) -> Result<Outcome, Error> {
    let started = Instant::now();
    let cache = RepoCache::open(&args.repo);
    let progress = Progress::start(printer, args.display, "plan");
    let outcome = plan::plan_revisions(
        &args.repo,
        &args.base,
        args.head.as_deref(),
        &args.env,
        &progress,
        cache.cache(),
    );
    progress.finish();
    cache.save();
    let mut timings = Timings::default();
    timings.push("compile both revisions, plan", started.elapsed());
    let outcome = outcome?;
    match outcome {
        PlanOutcome::Planned(plan) => {
            let view = Instant::now();
            let text = match args.format {
                PlanFormat::Text => plan::text::render(&plan),
                PlanFormat::Markdown => plan::markdown::render(&plan),
                PlanFormat::Json => plan::json::render(&plan)?,
            };
            timings.push("view", view.elapsed());
            printer.out(&text);
            if args.display.timings {
                printer.err(&timings_table(&timings, started));
                cache.report(printer);
            }
            if args.fail_on_breaking && plan.breaking_count() > 0 {
                printer.err(&format!(
                    "plan failed: {} (--fail-on-breaking)\n",
                    crate::words::plural(plan.breaking_count(), "breaking change")
                ));
                return Ok(Outcome::InputErrors);
            }
            Ok(Outcome::Clean)
        }
        PlanOutcome::Failed(failure) => {
            print_failure(&failure, printer);
            if args.format == PlanFormat::Markdown {
                printer.out(&PlanOutcome::Failed(failure).markdown());
            }
            Ok(Outcome::InputErrors)
        }
    }
}

/// Which revision does not compile, the column breaking changes behind its errors,
/// its errors, and that the plan stopped, on stderr.
pub(crate) fn print_failure(failure: &Failure, printer: &Printer) {
    if !failure.columns.breaking.is_empty() {
        let mut text = format!("Breaking changes in {}:\n", failure.revision.label());
        plan::text::column_breaking(&mut text, &failure.columns.breaking);
        text.push('\n');
        printer.err(&text);
    }
    printer.err(&format!("{} ({}):\n", failure.side.as_str(), failure.revision.label()));
    printer.diagnostics(&failure.diagnostics, &failure.report.sources);
    printer.err(&format!("plan stopped: the {}\n", failure.headline()));
}
