//! `flowc compile`: check, render every environment asked for, write all or nothing.

use crate::words::plural;
use std::path::Path;

use super::{CompileArgs, Outcome, Printer, open_tree};
use crate::Error;
use crate::compiler::{CompileRequest, Compiled, compile};
use crate::output;

/// Runs `flowc compile`.
pub(crate) fn run(args: &CompileArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = open_tree(&args.repo, args.rev.as_deref())?;
    let request = CompileRequest {
        environments: args.env.clone(),
        airflow_version: args.airflow_version.map(Into::into),
    };
    let compiled = match compile(tree.as_ref(), &request)? {
        Compiled::Done { report, environments } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            environments
        }
        Compiled::CheckFailed { report } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.out(&format!(
                "compile stopped: {} in the repository; {} left untouched\n",
                plural(report.diagnostics.error_count(), "error"),
                args.out.display()
            ));
            return Ok(Outcome::InputErrors);
        }
        Compiled::RenderFailed { report, diagnostics } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.diagnostics(&diagnostics, &report.sources);
            printer.out(&format!(
                "compile failed: {}; {} left untouched\n",
                plural(diagnostics.error_count(), "error"),
                args.out.display()
            ));
            return Ok(Outcome::InputErrors);
        }
    };
    let staged = output::stage(&args.out, compiled.iter().map(|c| (c.name.as_str(), &c.files)))?;
    let summaries = staged.commit()?;
    for (environment, summary) in compiled.iter().zip(summaries) {
        let tasks: usize = environment.dags.dags.iter().map(|d| d.tasks.len()).sum();
        printer.out(&format!(
            "{}: {} DAGs, {} Airflow tasks (Airflow {}) → {}: {} written, {} unchanged, {} removed\n",
            environment.name,
            environment.dags.dags.len(),
            tasks,
            environment.dags.airflow_version,
            display(&args.out.join(&environment.name)),
            plural(summary.written, "file"),
            summary.unchanged,
            summary.removed,
        ));
    }
    Ok(Outcome::Clean)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
