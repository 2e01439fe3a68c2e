//! The command line: clap definitions and one file per subcommand.

mod check;
mod compile;
mod graph;
mod plan;
mod printer;
mod schema;
mod sql;
mod templates;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Validate a repository: YAML schemas, SQL syntax, dependencies, cycles.
    Check(CheckArgs),
    /// Render Airflow DAG files, pools and a manifest for each environment.
    Compile(CompileArgs),
    /// Show the inferred dependencies and each task's reads and writes.
    Graph(GraphArgs),
    /// Show what merging a revision would change: tasks, downstream impact, breaking
    /// changes and the diff of every rendered file.
    Plan(plan::PlanArgs),
    /// Print the JSON Schema of `flowc.yaml` (project) or `flow.yaml` (flow), for editors.
    Schema(SchemaArgs),
    /// Analyse one SQL file or statement list on its own.
    #[command(subcommand)]
    Sql(SqlCommand),
    /// List the templates DAG files are rendered with, and which the repository overrides.
    Templates(TemplatesArgs),
}

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

/// Arguments of `flowc templates`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplatesArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Print the text of one template (as the repository would render it).
    #[arg(long, value_name = "NAME")]
    pub(crate) show: Option<String>,
}

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

/// Arguments of `flowc graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) format: GraphFormat,
}

/// Output formats of `flowc graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Each task with its reads, writes and upstream tasks.
    Text,
    /// `{"tasks": {...}, "edges": [...]}`.
    Json,
    /// Graphviz DOT, one cluster per flow; cross-flow edges dashed.
    Dot,
}

/// Arguments of `flowc schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum)]
    pub(crate) kind: SchemaName,
}

/// The schemas `flowc schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaName {
    /// `flowc.yaml`.
    Project,
    /// `flows/<flow>/flow.yaml`.
    Flow,
}

#[derive(Debug, Subcommand)]
enum SqlCommand {
    /// Print the tables a SQL file reads and writes.
    Lineage(SqlLineageArgs),
}

/// Arguments of `flowc sql lineage`.
#[derive(Debug, clap::Args)]
pub(crate) struct SqlLineageArgs {
    /// The SQL file, or `-` (the default) for standard input.
    #[arg(default_value = "-")]
    pub(crate) file: PathBuf,
    /// Database for unqualified table names until a `USE` statement.
    #[arg(long, value_name = "DB")]
    pub(crate) default_db: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LineageFormat::Text)]
    pub(crate) format: LineageFormat,
}

/// Output formats of `flowc sql lineage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LineageFormat {
    /// One table per line under `sources:` and `targets:`.
    Text,
    /// `{"sources": [...], "targets": [...]}`.
    Json,
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
        Command::Check(args) => check::run(args, &printer),
        Command::Compile(args) => compile::run(args, &printer),
        Command::Templates(args) => templates::run(args, &printer),
        Command::Graph(args) => graph::run(args, &printer),
        Command::Plan(args) => plan::run(args, &printer),
        Command::Schema(args) => Ok(schema::run(args, &printer)),
        Command::Sql(SqlCommand::Lineage(args)) => sql::lineage(args, &printer),
    };
    exit_code(result, &printer)
}

/// The repository's files: the work tree at `repo`, or revision `rev` of the git
/// repository containing it.
pub(crate) fn open_tree(repo: &std::path::Path, rev: Option<&str>) -> Result<Box<dyn FileSource>, Error> {
    Ok(match rev {
        Some(rev) => Box::new(GitTree::open(repo, rev)?),
        None => Box::new(WorkTree::open(repo)?),
    })
}

/// `1 file`, `2 files`.
pub(crate) fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

fn exit_code(result: Result<Outcome, Error>, printer: &Printer) -> ExitCode {
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::InputErrors) => ExitCode::from(1),
        Err(error) => {
            printer.err(&format!("error: {error}\n"));
            ExitCode::from(2)
        }
    }
}
