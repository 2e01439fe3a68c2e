//! `flowc docs`: the catalog and lineage page of the whole repository, one
//! self-contained HTML file that opens anywhere, offline.

use std::path::PathBuf;

use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::check;
use crate::docs::{self, DocsInput};
use crate::load::{FileSource, GitTree, WorkTree};
use crate::model::PRODUCTION;
use crate::output::files::write_atomically;

/// Arguments of `flowc docs`.
#[derive(Debug, clap::Args)]
pub(crate) struct DocsArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The HTML file to write (replaced as a whole; its folder is created).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The environment whose table names the page shows (default: prod, else the
    /// first one).
    #[arg(long, value_name = "NAME")]
    pub(crate) env: Option<String>,
    /// Read this git revision (branch, tag, commit…) instead of the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
}

/// Runs `flowc docs`.
pub(crate) fn run(args: &DocsArgs, printer: &Printer) -> Result<Outcome, Error> {
    let (tree, revision): (Box<dyn FileSource>, Option<String>) = match &args.rev {
        Some(rev) => {
            let tree = GitTree::open(&args.repo, rev)?;
            let commit = tree.commit_id();
            (Box::new(tree), Some(commit))
        }
        None => (Box::new(WorkTree::open(&args.repo)?), None),
    };
    let report = check(tree.as_ref())?;
    printer.diagnostics(&report.diagnostics, &report.sources);
    let ready = (!report.diagnostics.has_errors())
        .then_some(())
        .and(report.repository.as_ref())
        .zip(report.graph.as_ref())
        .zip(report.columns.as_ref());
    let Some(((repository, graph), columns)) = ready else {
        printer.err("error: the page is built from a repository without errors; nothing was written\n");
        return Ok(Outcome::InputErrors);
    };
    let environments = &repository.project.environments;
    let wanted = match &args.env {
        Some(env) => env.as_str(),
        None if environments.contains_key(PRODUCTION) => PRODUCTION,
        None => environments.keys().next().map_or(PRODUCTION, String::as_str),
    };
    let Some(environment) = environments.get(wanted) else {
        let names: Vec<&str> = environments.keys().map(String::as_str).collect();
        return Err(Error::Usage(format!(
            "no environment `{wanted}`; there are: {}",
            names.join(", ")
        )));
    };
    let catalog = docs::build(&DocsInput {
        repository,
        sources: &report.sources,
        task_io: &report.task_io,
        graph,
        columns,
        quality: &report.quality,
        access: &report.access,
        sql_files: &report.sql_files,
        environment,
        revision: revision.as_deref(),
    });
    let page = docs::page(&catalog);
    write_atomically(&args.out, page.as_bytes())?;
    let columns: usize = catalog.tables.iter().map(|t| t.columns.len()).sum();
    printer.out(&format!(
        "wrote {}: {} tables, {columns} columns, {} tasks, {} flows ({} KiB)\n",
        args.out.display(),
        catalog.tables.len(),
        catalog.tasks.len(),
        catalog.flows.len(),
        page.len().div_ceil(1024),
    ));
    Ok(Outcome::Clean)
}
