//! The command line: clap definitions and one file per subcommand.

mod printer;
mod sql;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use printer::Printer;

use crate::Error;

/// flowc — a GitOps compiler for data pipelines.
#[derive(Debug, Parser)]
#[command(name = "flowc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse one SQL file or statement list on its own.
    #[command(subcommand)]
    Sql(SqlCommand),
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
        Command::Sql(SqlCommand::Lineage(args)) => sql::lineage(args, &printer),
    };
    exit_code(result, &printer)
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
