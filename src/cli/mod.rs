//! Stage 15, the command line: [`Cli`] and its subcommands, one file each holding the
//! subcommand's clap arguments and its `run`; [`run`] dispatches and maps the result to
//! the exit code. Input: the process arguments (and, through the stages it calls, the
//! repository, git and GitHub). Output: stdout, stderr and the exit code, all through
//! one [`Printer`].

mod access;
mod check;
mod codeowners;
mod comment;
mod compile;
mod deploy;
mod graph;
mod init;
mod plan;
mod printer;
mod promote;
mod pull_request;
mod schema;
mod sql;
mod templates;

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use printer::Printer;

use crate::Error;
use crate::load::{FileSource, GitTree, WorkTree};

/// flowc — a GitOps compiler for data pipelines.
#[derive(Debug, Parser)]
#[command(name = "flowc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report who reads and writes what (teams, tables, grants), for audits.
    Access(access::AccessArgs),
    /// Validate a repository: YAML schemas, SQL syntax, dependencies, cycles.
    Check(check::CheckArgs),
    /// Write `.github/CODEOWNERS` from the teams and flow owners (the review gate).
    Codeowners(codeowners::CodeownersArgs),
    /// Render Airflow DAG files, pools and a manifest for each environment.
    Compile(compile::CompileArgs),
    /// Publish one environment: atomically into an Airflow DAGs folder, or as a commit
    /// on a deploy branch for git-sync (push it with `git push`).
    Deploy(deploy::DeployArgs),
    /// Show the inferred dependencies and each task's reads and writes.
    Graph(graph::GraphArgs),
    /// Scaffold a minimal repository to start from: dev and prod, one flow, quality
    /// rules, grants, editor schemas, CODEOWNERS and the GitHub workflows.
    Init(init::InitArgs),
    /// Show what merging a revision would change: tasks, downstream impact, breaking
    /// changes and the diff of every rendered file.
    Plan(plan::PlanArgs),
    /// Print the JSON Schema of `flowc.yaml` (project) or `flow.yaml` (flow), for editors.
    Schema(schema::SchemaArgs),
    /// Analyse one SQL file or statement list on its own.
    #[command(subcommand)]
    Sql(sql::SqlCommand),
    /// List the templates DAG files are rendered with, and which the repository overrides.
    Templates(templates::TemplatesArgs),
    /// Open, or update if one is open, the pull request promoting one branch into another.
    Promote(promote::PromoteArgs),
    /// Post the plan as one sticky comment on a pull request, edited on later runs.
    Comment(comment::CommentArgs),
}

/// How a command ended when flowc itself did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No errors in the input (warnings allowed).
    Clean,
    /// The input has errors.
    InputErrors,
}

/// Parses the arguments, runs the command and maps the result to an exit code:
/// 0 clean, 1 errors in the input, 2 flowc could not run.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let printer = Printer::new();
    let result = match &cli.command {
        Command::Access(args) => access::run(args, &printer),
        Command::Check(args) => check::run(args, &printer),
        Command::Codeowners(args) => codeowners::run(args, &printer),
        Command::Compile(args) => compile::run(args, &printer),
        Command::Deploy(args) => deploy::run(args, &printer),
        Command::Templates(args) => templates::run(args, &printer),
        Command::Graph(args) => graph::run(args, &printer),
        Command::Init(args) => init::run(args, &printer),
        Command::Plan(args) => plan::run(args, &printer),
        Command::Schema(args) => Ok(schema::run(args, &printer)),
        Command::Sql(sql::SqlCommand::Lineage(args)) => sql::lineage(args, &printer),
        Command::Promote(args) => promote::run(args, &printer),
        Command::Comment(args) => comment::run(args, &printer),
    };
    exit_code(result, &printer)
}

/// The repository's files: the work tree at `repo`, or revision `rev` of the git
/// repository containing it.
pub(crate) fn open_tree(repo: &Path, rev: Option<&str>) -> Result<Box<dyn FileSource>, Error> {
    Ok(match rev {
        Some(rev) => Box::new(GitTree::open(repo, rev)?),
        None => Box::new(WorkTree::open(repo)?),
    })
}

fn exit_code(result: Result<Outcome, Error>, printer: &Printer) -> ExitCode {
    // Output that could not be written is a failure, whatever the command found.
    let result = match (result, printer.out_failure()) {
        (Ok(_), Some(failure)) => Err(Error::io("write", "standard output", failure)),
        (result, _) => result,
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::InputErrors) => ExitCode::from(1),
        Err(error) => {
            printer.err(&format!("error: {error}\n"));
            ExitCode::from(2)
        }
    }
}
