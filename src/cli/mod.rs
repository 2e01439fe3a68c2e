//! The command line: clap definitions and one file per subcommand.

mod access;
mod check;
mod codeowners;
mod comment;
mod compile;
mod deploy;
mod graph;
mod plan;
mod printer;
mod promote;
mod schema;
mod sql;
mod templates;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use printer::Printer;

use crate::Error;
use crate::deploy::github::GitHubSettings;
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
    Check(CheckArgs),
    /// Write `.github/CODEOWNERS` from the teams and flow owners (the review gate).
    Codeowners(CodeownersArgs),
    /// Render Airflow DAG files, pools and a manifest for each environment.
    Compile(CompileArgs),
    /// Publish one environment: atomically into an Airflow DAGs folder, or as a commit
    /// on a deploy branch for git-sync (push it with `git push`).
    Deploy(DeployArgs),
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
    /// Open, or update if one is open, the pull request promoting one branch into another.
    Promote(PromoteArgs),
    /// Post the plan as one sticky comment on a pull request, edited on later runs.
    Comment(CommentArgs),
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

/// Arguments of `flowc deploy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The environment to deploy.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: String,
    /// Deploy this git revision (branch, tag, commit…) read from git objects, instead
    /// of the files on disk; `REV:FOLDER` names the project's folder in a bare clone.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// `dir:PATH`: publish into folder PATH (an Airflow DAGs folder) as the link
    /// PATH/<project>_<env>, switched atomically to a complete release kept in
    /// PATH/.flowc/. `branch:NAME`: commit the files under <project>_<env>/ on branch
    /// NAME of the repository's git repository, for git-sync; push it with `git push`.
    #[arg(long, value_name = "dir:PATH|branch:NAME", value_parser = parse_deploy_target)]
    pub(crate) target: DeployTarget,
    /// Print the files that would be added, changed and removed; write, create and
    /// lock nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// Where `flowc deploy` publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeployTarget {
    /// `dir:PATH`.
    Dir(PathBuf),
    /// `branch:NAME`.
    Branch(String),
}

fn parse_deploy_target(text: &str) -> Result<DeployTarget, String> {
    match text.split_once(':') {
        Some(("dir", path)) if !path.is_empty() => Ok(DeployTarget::Dir(PathBuf::from(path))),
        Some(("branch", name)) if !name.is_empty() => Ok(DeployTarget::Branch(name.to_owned())),
        _ => Err("expected `dir:PATH` (a folder) or `branch:NAME` (a git branch)".to_owned()),
    }
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

/// Where GitHub requests go; the token always comes from `GITHUB_TOKEN`.
#[derive(Debug, clap::Args)]
pub(crate) struct GitHubArgs {
    /// The GitHub repository. Default: `GITHUB_REPOSITORY`, else the `origin` remote of
    /// the git repository holding REPO.
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub(crate) repository: Option<String>,
    /// The REST API's base URL. Default: `GITHUB_API_URL`, else https://api.github.com
    /// (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    pub(crate) api_url: Option<String>,
}

impl GitHubArgs {
    /// The GitHub settings for the flowc repository at `project`.
    pub(crate) fn settings(&self, project: &Path) -> Result<GitHubSettings, Error> {
        GitHubSettings::resolve(self.repository.as_deref(), self.api_url.as_deref(), project)
    }
}

/// Arguments of `flowc promote`.
#[derive(Debug, clap::Args)]
pub(crate) struct PromoteArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The branch to promote: the pull request's head.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) from: String,
    /// The branch to promote into: the pull request's base.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) to: String,
    /// The environment the plan is computed for.
    #[arg(long, value_name = "ENV", default_value = "prod")]
    pub(crate) env: String,
    /// The pull request's title. Default: `Promote <from> to <to>`.
    #[arg(long, value_name = "TEXT")]
    pub(crate) title: Option<String>,
    /// A markdown file to use as the pull request's body instead of the plan.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) github: GitHubArgs,
}

/// Arguments of `flowc comment`.
#[derive(Debug, clap::Args)]
pub(crate) struct CommentArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The pull request to comment on.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) pr: u64,
    /// The revision the plan compares against: the pull request's base branch, e.g.
    /// `origin/main` (required unless --body-file is given).
    #[arg(long, value_name = "REF", required_unless_present = "body_file")]
    pub(crate) base: Option<String>,
    /// The revision the plan shows (the pull request's head). Default: the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) head: Option<String>,
    /// The environment the plan is computed for; each environment has its own comment.
    #[arg(long, value_name = "ENV", default_value = "prod")]
    pub(crate) env: String,
    /// A markdown file to post instead of the plan.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) github: GitHubArgs,
}

/// The text of a `--body-file`.
pub(crate) fn read_body_file(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

/// The markdown plan of `head` (the work tree when `None`) against `base`, for a pull
/// request. `Err(text)`: a revision does not compile; its errors have been printed and
/// `text` is the markdown that says so.
pub(crate) fn plan_markdown(
    repo: &Path,
    base: &str,
    head: Option<&str>,
    env: &str,
    printer: &Printer,
) -> Result<Result<String, String>, Error> {
    let outcome = crate::plan::plan_revisions(repo, base, head, env)?;
    let markdown = outcome.markdown();
    if let crate::plan::PlanOutcome::Failed(failure) = &outcome {
        printer.err(&format!("{} ({}):\n", failure.side.as_str(), failure.revision.label()));
        printer.diagnostics(&failure.diagnostics, &failure.report.sources);
        printer.err(&format!("plan stopped: the {}\n", failure.headline()));
        return Ok(Err(markdown));
    }
    Ok(Ok(markdown))
}

/// Arguments of `flowc codeowners`.
#[derive(Debug, clap::Args)]
pub(crate) struct CodeownersArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Write nothing; exit 1 when the file is missing or out of date (for CI).
    #[arg(long)]
    pub(crate) check: bool,
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
        Command::Access(args) => access::run(args, &printer),
        Command::Check(args) => check::run(args, &printer),
        Command::Codeowners(args) => codeowners::run(args, &printer),
        Command::Compile(args) => compile::run(args, &printer),
        Command::Deploy(args) => deploy::run(args, &printer),
        Command::Templates(args) => templates::run(args, &printer),
        Command::Graph(args) => graph::run(args, &printer),
        Command::Plan(args) => plan::run(args, &printer),
        Command::Schema(args) => Ok(schema::run(args, &printer)),
        Command::Sql(SqlCommand::Lineage(args)) => sql::lineage(args, &printer),
        Command::Promote(args) => promote::run(args, &printer),
        Command::Comment(args) => comment::run(args, &printer),
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
