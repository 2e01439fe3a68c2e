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
mod ddl;
mod deploy;
mod docs;
mod graph;
mod init;
mod lineage;
mod plan;
mod printer;
mod progress;
mod promote;
mod pull_request;
mod run;
mod schema;
mod shell;
mod sql;
mod sql_cache;
mod sql_columns;
mod templates;
mod test;
mod test_report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Print the table DDL of one environment (CREATE DATABASE/TABLE IF NOT EXISTS for
    /// every table whose schema flowc knows, and the quality results table).
    Ddl(ddl::DdlArgs),
    /// Publish one environment: atomically into an Airflow DAGs folder, or as a commit
    /// on a deploy branch for git-sync (push it with `git push`).
    Deploy(deploy::DeployArgs),
    /// Write the catalog and lineage page of the whole repository: one self-contained
    /// HTML file (tables, columns, tasks, flows, teams, lineage down to columns).
    Docs(docs::DocsArgs),
    /// Show the inferred dependencies and each task's reads and writes.
    Graph(graph::GraphArgs),
    /// Show the lineage around a table or a column, both ways, through sync tasks to the
    /// source database column; or print it as OpenLineage events.
    Lineage(lineage::LineageArgs),
    /// Scaffold a minimal repository to start from: dev and prod, one flow, quality
    /// rules, grants, editor schemas, CODEOWNERS and the GitHub workflows.
    Init(init::InitArgs),
    /// Show what merging a revision would change: tasks, downstream impact, breaking
    /// changes and the diff of every rendered file.
    Plan(plan::PlanArgs),
    /// Run one task, or a flow's tasks in dependency order, once for one business date
    /// in one environment, as its DAG would: rendered SQL through spark-sql, DataX jobs
    /// through the launcher, quality checks with --with-checks; --dry-run prints it all.
    Run(run::RunArgs),
    /// Print the JSON Schema of `flowc.yaml` (project), `flow.yaml` (flow) or a test
    /// file (test), for editors.
    Schema(schema::SchemaArgs),
    /// Analyse one SQL file or statement list on its own.
    #[command(subcommand)]
    Sql(sql::SqlCommand),
    /// Run the SQL unit tests of `flows/<flow>/tests/*.yaml` on a local Spark: rows
    /// given, the task's SQL run for the test's date, rows and check outcomes compared.
    Test(test::TestArgs),
    /// List the templates DAG files are rendered with, and which the repository overrides.
    Templates(templates::TemplatesArgs),
    /// Open, or update if one is open, the pull request promoting one branch into another.
    Promote(promote::PromoteArgs),
    /// Post the plan as one sticky comment on a pull request, edited on later runs.
    Comment(comment::CommentArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(shell::CompletionsArgs),
    /// Print the man page of flowc, or of one of its commands (roff).
    Man(shell::ManArgs),
}

impl Command {
    /// The REPO argument of the commands that take one.
    fn repo_mut(&mut self) -> Option<&mut PathBuf> {
        Some(match self {
            Command::Access(args) => &mut args.repo,
            Command::Check(args) => &mut args.repo,
            Command::Codeowners(args) => &mut args.repo,
            Command::Compile(args) => &mut args.repo,
            Command::Ddl(args) => &mut args.repo,
            Command::Deploy(args) => &mut args.repo,
            Command::Docs(args) => &mut args.repo,
            Command::Graph(args) => &mut args.repo,
            Command::Lineage(args) => &mut args.repo,
            Command::Plan(args) => &mut args.repo,
            Command::Run(args) => &mut args.repo,
            Command::Templates(args) => &mut args.repo,
            Command::Test(args) => &mut args.repo,
            Command::Promote(args) => &mut args.repo,
            Command::Comment(args) => &mut args.repo,
            // `init` creates a repository where it is told, never above.
            Command::Schema(_) | Command::Sql(_) | Command::Init(_) | Command::Completions(_) | Command::Man(_) => {
                return None;
            }
        })
    }
}

/// The nearest folder above `start` (not `start` itself) that holds `flowc.yaml`, as a
/// relative path (`..`, `../..`), so paths in messages stay short. `None` when `start`
/// holds one itself, or when none does up to the top of the git repository (a folder
/// holding `.git`) or of the file system.
fn repository_above(start: &Path) -> Option<PathBuf> {
    let holds = |dir: &Path| dir.join("flowc.yaml").is_file();
    let mut dir = start.canonicalize().ok()?;
    if holds(&dir) {
        return None;
    }
    let mut relative = PathBuf::new();
    loop {
        if dir.join(".git").exists() || !dir.pop() {
            return None;
        }
        relative.push("..");
        if holds(&dir) {
            return Some(relative);
        }
    }
}

/// How a command ended when flowc itself did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No errors in the input (warnings allowed).
    Clean,
    /// The input has errors.
    InputErrors,
    /// The command ends with this exit status (`flowc run`: a task's).
    Exit(u8),
}

/// Parses the arguments, runs the command and maps the result to an exit code:
/// 0 clean, 1 errors in the input, 2 flowc could not run.
pub fn run() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let printer = Printer::new();
    // Like git: without a REPO argument, the repository is the nearest folder, from
    // here upwards, that holds flowc.yaml. A REPO that is given is used as given.
    let defaulted = matches
        .subcommand()
        .and_then(|(_, sub)| sub.ids().any(|id| id == "repo").then_some(sub))
        .is_some_and(|sub| sub.value_source("repo") == Some(ValueSource::DefaultValue));
    if defaulted
        && let Some(repo) = cli.command.repo_mut()
        && let Some(found) = repository_above(Path::new("."))
    {
        printer.err(&format!("note: using the repository at `{}`\n", found.display()));
        *repo = found;
    }
    let result = match &cli.command {
        Command::Access(args) => access::run(args, &printer),
        Command::Check(args) => check::run(args, &printer),
        Command::Codeowners(args) => codeowners::run(args, &printer),
        Command::Compile(args) => compile::run(args, &printer),
        Command::Ddl(args) => ddl::run(args, &printer),
        Command::Deploy(args) => deploy::run(args, &printer),
        Command::Templates(args) => templates::run(args, &printer),
        Command::Graph(args) => graph::run(args, &printer),
        Command::Init(args) => init::run(args, &printer),
        Command::Docs(args) => docs::run(args, &printer),
        Command::Lineage(args) => lineage::run(args, &printer),
        Command::Plan(args) => plan::run(args, &printer),
        Command::Run(args) => run::run(args, &printer),
        Command::Test(args) => test::run(args, &printer),
        Command::Schema(args) => Ok(schema::run(args, &printer)),
        Command::Sql(sql::SqlCommand::Lineage(args)) => sql::lineage(args, &printer),
        Command::Promote(args) => promote::run(args, &printer),
        Command::Comment(args) => comment::run(args, &printer),
        Command::Completions(args) => Ok(shell::completions(args, &printer)),
        Command::Man(args) => shell::man(args, &printer),
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
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(error) => {
            printer.err(&format!("error: {error}\n"));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn the_repository_is_found_upwards_within_its_git_repository() {
        let root = tempfile::tempdir().expect("temp dir");
        let project = root.path().join("project");
        let deep = project.join("flows/marts");
        fs::create_dir_all(&deep).expect("folders");
        fs::create_dir(root.path().join(".git")).expect(".git");
        assert_eq!(repository_above(&deep), None, "no flowc.yaml anywhere");
        fs::write(project.join("flowc.yaml"), "project: p\n").expect("flowc.yaml");
        assert_eq!(repository_above(&deep), Some(PathBuf::from("../..")));
        assert_eq!(repository_above(&project), None, "here already");
        // Never beyond the git repository the search starts in.
        let nested = project.join("vendor/other");
        fs::create_dir_all(nested.join(".git")).expect("nested .git");
        assert_eq!(repository_above(&nested), None);
    }
}
