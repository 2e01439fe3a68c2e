//! `flowc lineage`: the lineage around a table or a column, both ways, across flows
//! and through sync tasks to the source database column; or the whole repository's
//! table lineage. Views: text, JSON, Graphviz DOT, Mermaid, and OpenLineage
//! JobEvents (one JSON object a line).

mod views;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{Outcome, Printer, open_tree};
use crate::Error;
use crate::columns::lineage::{LineageGraph, Neighbourhood};
use crate::compiler::{CompileRequest, Compiled, check, compile};
use crate::model::{PRODUCTION, TaskId};
use crate::render::openlineage::{self, SourceLocation};

/// Arguments of `flowc lineage`.
#[derive(Debug, clap::Args)]
pub(crate) struct LineageArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// A table (`db.table`) or a column (`db.table.column`); unqualified names take the
    /// project's default database. None: the whole repository, table by table.
    #[arg(value_name = "TABLE | TABLE.COLUMN")]
    pub(crate) target: Option<String>,
    /// How many steps upstream to show (0: none).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) upstream: usize,
    /// How many steps downstream to show (0: none).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) downstream: usize,
    /// Read this git revision (branch, tag, commit…) instead of the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// For a column: also follow the columns that filter, join, group or sort the rows
    /// (INDIRECT lineage), not only the ones its values are made of.
    #[arg(long)]
    pub(crate) indirect: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LineageFormat::Text)]
    pub(crate) format: LineageFormat,
    /// The environment whose names the OpenLineage events use (default: prod, else the
    /// first one).
    #[arg(long, value_name = "NAME")]
    pub(crate) env: Option<String>,
}

/// Output formats of `flowc lineage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LineageFormat {
    /// An indented tree each way, with the tasks and how each step transforms.
    Text,
    /// `{"level", "focus", "nodes": [...], "edges": [...], "hidden": {...}}`.
    Json,
    /// Graphviz DOT; INDIRECT edges dashed, external tables as cylinders.
    Dot,
    /// A Mermaid flowchart; INDIRECT edges dotted.
    Mermaid,
    /// One OpenLineage JobEvent (spec 2-0-2) per task shown, one JSON object a line.
    Openlineage,
}

/// What is shown: a graph at one level and, with a target, its neighbourhood.
pub(super) struct Shown {
    pub(super) graph: LineageGraph,
    pub(super) around: Option<Neighbourhood>,
    pub(super) upstream: usize,
    pub(super) downstream: usize,
}

/// Runs `flowc lineage`.
pub(crate) fn run(args: &LineageArgs, printer: &Printer) -> Result<Outcome, Error> {
    let (repo, target) = split_arguments(args);
    let tree = open_tree(&repo, args.rev.as_deref())?;
    let report = check(tree.as_ref())?;
    printer.diagnostics(&report.diagnostics, &report.sources);
    let Some(repository) = report.repository.as_ref().filter(|_| report.graph.is_some()) else {
        printer.err("error: lineage cannot be traced until the errors above are fixed\n");
        return Ok(Outcome::InputErrors);
    };
    let default_database = repository.project.default_database.as_deref();
    let tables = LineageGraph::tables(&report.task_io);
    let graph = match &target {
        None => tables,
        Some(target) if tables.find(target, default_database).is_ok() => tables,
        Some(target) => {
            let columns = report
                .columns
                .as_ref()
                .map(|c| LineageGraph::columns(c, &report.task_io, args.indirect));
            match columns {
                Some(columns) if columns.find(target, default_database).is_ok() => columns,
                columns => return Err(not_found(target, &tables, columns.as_ref(), default_database)),
            }
        }
    };
    let around = target.as_ref().map(|target| {
        let focus = graph
            .find(target, default_database)
            .map(|n| n.id.clone())
            .unwrap_or_default();
        graph.neighbourhood(&focus, args.upstream, args.downstream)
    });
    let shown = Shown {
        graph,
        around,
        upstream: args.upstream,
        downstream: args.downstream,
    };
    let output = match args.format {
        LineageFormat::Text => views::text(&shown, &repository.project.name),
        LineageFormat::Json => format!("{:#}\n", views::json(&shown)),
        LineageFormat::Dot => views::dot(&shown),
        LineageFormat::Mermaid => views::mermaid(&shown),
        LineageFormat::Openlineage => {
            let tasks: Option<BTreeSet<TaskId>> = shown
                .around
                .as_ref()
                .map(|around| around.edges.iter().map(|e| e.task.clone()).collect());
            // The events of one environment: the one asked for, else prod, else the first.
            let environments = &repository.project.environments;
            let wanted = match &args.env {
                Some(env) => env.clone(),
                None if environments.contains_key(PRODUCTION) => PRODUCTION.to_owned(),
                None => environments.keys().next().cloned().unwrap_or_default(),
            };
            return openlineage_events(args, &repo, tree.as_ref(), &wanted, tasks.as_ref(), printer);
        }
    };
    printer.out(&output);
    Ok(Outcome::Clean)
}

/// REPO and TARGET as meant: `flowc lineage ads.t.c` names a target, not a folder,
/// when no such folder exists.
fn split_arguments(args: &LineageArgs) -> (PathBuf, Option<String>) {
    if args.target.is_none() && !args.repo.is_dir() {
        let repo = super::repository_above(Path::new(".")).unwrap_or_else(|| PathBuf::from("."));
        return (repo, Some(args.repo.display().to_string()));
    }
    (args.repo.clone(), args.target.clone())
}

/// A usage error for a name that is neither a table nor a known column, with the
/// closest name: a column's when the table part names a table, else a table's.
fn not_found(target: &str, tables: &LineageGraph, columns: Option<&LineageGraph>, database: Option<&str>) -> Error {
    let table_part = target.rsplit_once('.').map(|(table, _)| table);
    let column_of_known_table = table_part.is_some_and(|t| tables.find(t, database).is_ok());
    if column_of_known_table && columns.is_none() {
        return Error::Usage(format!(
            "no column lineage is known in this repository, so `{target}` cannot be traced; its table can: `{}`",
            table_part.unwrap_or_default()
        ));
    }
    let missing = match (columns, column_of_known_table) {
        (Some(columns), true) => columns.find(target, database),
        _ => tables.find(target, database),
    };
    let Err(missing) = missing.map(|_| ()) else {
        return Error::Internal(format!("`{target}` was found after all"));
    };
    let message = match missing.suggestion {
        Some(suggestion) => format!("{}; did you mean `{suggestion}`?", missing.message),
        None => missing.message,
    };
    Error::Usage(message)
}

/// `--format openlineage`: the events of one environment, with the git location of the
/// repository when it is in one.
fn openlineage_events(
    args: &LineageArgs,
    repo: &Path,
    tree: &dyn crate::load::FileSource,
    wanted: &str,
    tasks: Option<&BTreeSet<TaskId>>,
    printer: &Printer,
) -> Result<Outcome, Error> {
    let request = CompileRequest {
        environments: vec![wanted.to_owned()],
        airflow_version: None,
    };
    let (report, compiled) = match compile(tree, &request)? {
        Compiled::Done { report, environments } => (report, environments),
        Compiled::CheckFailed { report } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            return Ok(Outcome::InputErrors);
        }
        Compiled::RenderFailed { report, diagnostics } => {
            printer.diagnostics(&diagnostics, &report.sources);
            return Ok(Outcome::InputErrors);
        }
    };
    let chosen = compiled.first();
    let (Some(chosen), Some(repository)) = (chosen, report.repository.as_ref()) else {
        return Err(Error::Usage("the repository declares no environment".to_owned()));
    };
    let Some(environment) = repository.project.environments.get(&chosen.name) else {
        return Err(Error::Internal(format!(
            "environment `{}` is not in the model",
            chosen.name
        )));
    };
    let source = source_location(repo, args.rev.as_deref());
    let input = openlineage::LineageInput {
        repository,
        environment,
        task_io: &report.task_io,
        columns: report.columns.as_ref(),
        source: source.as_ref(),
        only: tasks,
    };
    let mut out = String::new();
    for event in openlineage::events(&chosen.dags, &input).values() {
        out.push_str(&event.to_string());
        out.push('\n');
    }
    printer.out(&out);
    Ok(Outcome::Clean)
}

/// The git location of the repository at `rev` (else HEAD): the `origin` remote's URL,
/// the commit, the branch, the folder inside the git repository. `None` outside git or
/// without a remote (a local path would name this machine).
fn source_location(repo: &Path, rev: Option<&str>) -> Option<SourceLocation> {
    let git = git2::Repository::discover(repo).ok()?;
    let url = git.find_remote("origin").ok()?.url().ok()?.to_owned();
    let revision = rev.unwrap_or("HEAD");
    let commit = git.revparse_single(revision).ok()?.peel_to_commit().ok()?;
    let branch = match rev {
        Some(rev) => git
            .find_branch(rev, git2::BranchType::Local)
            .ok()
            .map(|_| rev.to_owned()),
        None => git
            .head()
            .ok()
            .filter(git2::Reference::is_branch)
            .and_then(|h| h.shorthand().ok().map(str::to_owned)),
    };
    let workdir = git.workdir()?.canonicalize().ok()?;
    let folder = repo.canonicalize().ok()?;
    let prefix = folder.strip_prefix(&workdir).ok()?;
    let prefix: Vec<String> = prefix
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let prefix = prefix.iter().fold(String::new(), |mut p, part| {
        p.push_str(part);
        p.push('/');
        p
    });
    Some(SourceLocation {
        url,
        version: commit.id().to_string(),
        branch,
        prefix,
    })
}
