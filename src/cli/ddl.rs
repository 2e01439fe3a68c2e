//! `flowc ddl`: the table DDL of one environment, printed.

use std::path::PathBuf;

use super::{Outcome, Printer, open_tree};
use crate::Error;
use crate::compiler::{self, check};
use crate::render::ddl;

/// Arguments of `flowc ddl`.
#[derive(Debug, clap::Args)]
pub(crate) struct DdlArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The environment whose databases, tables and locations the DDL names.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: String,
    /// Read this git revision (branch, tag, commit…) instead of the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
}

/// Runs `flowc ddl`: the check's problems and the DDL's on stderr; the DDL on stdout
/// only when there are none.
pub(crate) fn run(args: &DdlArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = open_tree(&args.repo, args.rev.as_deref())?;
    let report = check(tree.as_ref())?;
    printer.diagnostics(&report.diagnostics, &report.sources);
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        printer.err("error: no DDL until the errors above are fixed\n");
        return Ok(Outcome::InputErrors);
    };
    let environments = compiler::environments(repository, std::slice::from_ref(&args.env))?;
    let Some(environment) = environments.first() else {
        return Err(Error::Internal(format!("environment `{}` was not found", args.env)));
    };
    let (ddl, problems) = compiler::ddl(&report, environment)?;
    printer.diagnostics(&problems, &report.sources);
    if problems.has_errors() {
        printer.err(&format!(
            "error: no DDL for environment `{}`: declare the tables above under `tables:`, or fix what they say\n",
            environment.name
        ));
        return Ok(Outcome::InputErrors);
    }
    printer.out(&ddl::render(&ddl, &repository.project.name));
    Ok(Outcome::Clean)
}
