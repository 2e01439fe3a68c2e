//! `flowc sql lineage`: analyse one SQL file on its own.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use super::{Outcome, Printer};
use crate::Error;
use crate::diagnostic::{Diagnostics, SourceMap};
use crate::load::{TextFile, register_text};
use crate::sql::{SqlOptions, TableRef, analyze};

/// The subcommands of `flowc sql`.
#[derive(Debug, Subcommand)]
pub(super) enum SqlCommand {
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

/// The path shown for standard input.
const STDIN_PATH: &str = "<stdin>";

/// Runs `flowc sql lineage`.
pub(crate) fn lineage(args: &SqlLineageArgs, printer: &Printer) -> Result<Outcome, Error> {
    let (path, bytes) = read_input(&args.file)?;
    let mut sources = SourceMap::new();
    let file = match register_text(&mut sources, &path, bytes) {
        TextFile::Read(file) => file,
        TextFile::Unusable(diagnostic) => {
            printer.diagnostics([diagnostic.as_ref()], &sources);
            return Ok(Outcome::InputErrors);
        }
    };
    let text = sources.file(file).shared_text();
    let options = SqlOptions {
        default_database: args.default_db.as_deref(),
        ..SqlOptions::default()
    };
    let analysis = analyze(file, &text, &options);
    // Not a check of the file, but its excerpts never show a secret.
    let secrets: Vec<String> = crate::validate::secrets::scan_text(file, &text)
        .iter()
        .filter_map(|d| d.span)
        .map(|span| sources.mask_secret(span))
        .collect();
    let mut diagnostics: Diagnostics = analysis.diagnostics.into_iter().collect();
    diagnostics.redact(&secrets);

    printer.diagnostics(&diagnostics, &sources);
    if diagnostics.has_errors() {
        return Ok(Outcome::InputErrors);
    }
    let output = match args.format {
        LineageFormat::Json => json(&analysis.reads, &analysis.writes),
        LineageFormat::Text => text_report(&analysis.reads, &analysis.writes),
    };
    printer.out(&output);
    Ok(Outcome::Clean)
}

/// The file's path as shown and its bytes; `-` reads standard input.
fn read_input(file: &Path) -> Result<(String, Vec<u8>), Error> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|source| Error::io("read", STDIN_PATH, source))?;
        return Ok((STDIN_PATH.to_owned(), bytes));
    }
    let bytes = std::fs::read(file).map_err(|source| Error::io("read", file, source))?;
    Ok((file.to_string_lossy().replace('\\', "/"), bytes))
}

/// `{"sources": [...], "targets": [...]}`, names sorted (they come sorted).
fn json(reads: &[TableRef], writes: &[TableRef]) -> String {
    let list = |tables: &[TableRef]| {
        tables
            .iter()
            .map(|table| serde_json::Value::from(table.name.as_str()).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{{\"sources\": [{}], \"targets\": [{}]}}\n", list(reads), list(writes))
}

/// `sources:` and `targets:`, one table per indented line.
fn text_report(reads: &[TableRef], writes: &[TableRef]) -> String {
    let mut out = String::new();
    for (title, tables) in [("sources", reads), ("targets", writes)] {
        out.push_str(title);
        out.push_str(":\n");
        for table in tables {
            out.push_str("  ");
            out.push_str(table.name.as_str());
            out.push('\n');
        }
    }
    out
}
