//! `flowc compile`: check, render every environment asked for, write all or nothing.

use std::path::Path;

use super::{CompileArgs, Outcome, Printer};
use crate::Error;
use crate::check::check;
use crate::load::WorkTree;
use crate::model::{Environment, Repository};
use crate::output;
use crate::render::{self, CompileOptions, Templates};

/// Runs `flowc compile`.
pub(crate) fn run(args: &CompileArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = WorkTree::open(&args.repo)?;
    let report = check(&tree)?;
    printer.diagnostics(&report.diagnostics, &report.sources);
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        printer.out(&format!(
            "compile stopped: {} in the repository; {} left untouched\n",
            plural(report.diagnostics.error_count(), "error"),
            args.out.display()
        ));
        return Ok(Outcome::InputErrors);
    };
    let environments = environments(repository, &args.env)?;
    let templates = match Templates::load(&tree)? {
        Ok(templates) => templates,
        Err(problems) => {
            printer.diagnostics(&problems, &report.sources);
            return Ok(Outcome::InputErrors);
        }
    };
    let options = CompileOptions {
        environments,
        airflow_version: args.airflow_version.map(Into::into),
    };
    let compiled = match render::compile(&tree, &report, &templates, &options)? {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
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
        let tasks: usize = environment.plan.dags.iter().map(|d| d.tasks.len()).sum();
        printer.out(&format!(
            "{}: {} DAGs, {} Airflow tasks (Airflow {}) → {}: {} written, {} unchanged, {} removed\n",
            environment.name,
            environment.plan.dags.len(),
            tasks,
            environment.plan.airflow_version,
            display(&args.out.join(&environment.name)),
            plural(summary.written, "file"),
            summary.unchanged,
            summary.removed,
        ));
    }
    Ok(Outcome::Clean)
}

/// The environments named on the command line, or all of them.
fn environments<'a>(repository: &'a Repository, names: &[String]) -> Result<Vec<&'a Environment>, Error> {
    let all = &repository.project.environments;
    if names.is_empty() {
        return Ok(all.values().collect());
    }
    names
        .iter()
        .map(|name| {
            all.get(name).ok_or_else(|| {
                let known: Vec<&str> = all.keys().map(String::as_str).collect();
                Error::Usage(format!(
                    "no environment `{name}` in flowc.yaml; it declares: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}
