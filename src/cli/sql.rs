//! `flowc sql lineage`: analyse one SQL file on its own.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use super::{Outcome, Printer};
use crate::Error;
use crate::diagnostic::{Diagnostics, SourceMap};
use crate::load::{TextFile, register_text};
use crate::model::TableName;
use crate::sql::columns::resolve;
use crate::sql::{SqlAnalysis, SqlOptions, TableRef, analyze};

use super::sql_columns::{self as column_lineage, read_schemas};

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
    /// Also print column lineage: each written column's sources, and the columns
    /// that filter, join, group or sort the rows written.
    #[arg(long)]
    pub(crate) columns: bool,
    /// The columns of tables the file reads or writes, JSON or YAML:
    /// `{"db.table": ["col", …]}` or `{"db.table": [{"name": "col", "type": "bigint"}, …]}`.
    #[arg(long, value_name = "FILE", requires = "columns")]
    pub(crate) schema: Option<PathBuf>,
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
    let mut analysis = analyze(file, &text, &options);
    let schemas = match &args.schema {
        Some(path) => match read_schemas(path, &mut sources)? {
            Ok(schemas) => schemas,
            Err(diagnostics) => {
                printer.diagnostics(&diagnostics, &sources);
                return Ok(Outcome::InputErrors);
            }
        },
        None => BTreeMap::new(),
    };
    let mut columns = args.columns.then(|| resolve(&analysis.columns, &schemas));
    if let Some(columns) = &mut columns {
        analysis.diagnostics.append(&mut columns.diagnostics);
    }
    // Not a check of the file, but its excerpts never show a secret.
    let secrets: Vec<String> = crate::validate::secrets::scan_text(file, &text)
        .iter()
        .filter_map(|d| d.span)
        .map(|span| sources.mask_secret(span))
        .collect();
    let mut diagnostics: Diagnostics = std::mem::take(&mut analysis.diagnostics).into_iter().collect();
    diagnostics.redact(&secrets);

    printer.diagnostics(&diagnostics, &sources);
    if diagnostics.has_errors() {
        return Ok(Outcome::InputErrors);
    }
    let mut output = match args.format {
        LineageFormat::Json => json(&analysis),
        LineageFormat::Text => text_report(&analysis),
    };
    if let Some(columns) = &columns {
        let targets: Vec<&TableName> = analysis.writes.iter().map(|w| &w.name).collect();
        match args.format {
            LineageFormat::Json => {
                output.truncate(output.trim_end().len() - 1);
                output.push_str(&column_lineage::json(columns, &targets));
                output.push_str("}\n");
            }
            LineageFormat::Text => output.push_str(&column_lineage::text(columns, &targets)),
        }
    }
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

/// The optional sections, each as (title, lines) for text and (key, values) for JSON;
/// a section without entries is left out of both.
fn extra_sections(analysis: &SqlAnalysis) -> Vec<(&'static str, Vec<String>, Vec<serde_json::Value>)> {
    let alters = analysis.alters();
    let mut sections = Vec::new();
    if !alters.is_empty() {
        sections.push((
            "alters",
            alters.iter().map(|table| table.name.to_string()).collect(),
            alters
                .iter()
                .map(|table| serde_json::Value::from(table.name.as_str()))
                .collect(),
        ));
    }
    if !analysis.paths.is_empty() {
        sections.push((
            "paths",
            analysis
                .paths
                .iter()
                .map(|path| {
                    let access = if path.written { "write" } else { "read" };
                    format!("{} {} `{}`", access, path.format, path.path)
                })
                .collect(),
            analysis
                .paths
                .iter()
                .map(|path| serde_json::json!({"format": path.format, "path": path.path, "written": path.written}))
                .collect(),
        ));
    }
    if !analysis.functions.is_empty() {
        sections.push((
            "functions",
            analysis
                .functions
                .iter()
                .map(|function| {
                    let scope = if function.temporary { " (temporary)" } else { "" };
                    format!("{} = {}{scope}", function.name, function.class)
                })
                .collect(),
            analysis
                .functions
                .iter()
                .map(|f| serde_json::json!({"name": f.name, "class": f.class, "temporary": f.temporary}))
                .collect(),
        ));
    }
    if !analysis.resources.is_empty() {
        sections.push((
            "resources",
            analysis
                .resources
                .iter()
                .map(|resource| format!("{} {}", resource.kind.as_str(), resource.uri))
                .collect(),
            analysis
                .resources
                .iter()
                .map(|r| serde_json::json!({"kind": r.kind.as_str(), "uri": r.uri}))
                .collect(),
        ));
    }
    sections
}

/// `{"sources": [...], "targets": [...]}`, names sorted (they come sorted), then the
/// optional sections that have entries (`alters`, `paths`, `functions`, `resources`).
fn json(analysis: &SqlAnalysis) -> String {
    let list = |tables: &[TableRef]| {
        tables
            .iter()
            .map(|table| serde_json::Value::from(table.name.as_str()).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "{{\"sources\": [{}], \"targets\": [{}]",
        list(&analysis.reads),
        list(&analysis.writes)
    );
    for (key, _, values) in extra_sections(analysis) {
        let values: Vec<String> = values.iter().map(ToString::to_string).collect();
        out.push_str(", \"");
        out.push_str(key);
        out.push_str("\": [");
        out.push_str(&values.join(", "));
        out.push(']');
    }
    out.push_str("}\n");
    out
}

/// `sources:` and `targets:`, one table per indented line, then the optional sections
/// that have entries.
fn text_report(analysis: &SqlAnalysis) -> String {
    let names = |tables: &[TableRef]| tables.iter().map(|table| table.name.to_string()).collect();
    let mut sections = vec![
        ("sources", names(&analysis.reads)),
        ("targets", names(&analysis.writes)),
    ];
    sections.extend(
        extra_sections(analysis)
            .into_iter()
            .map(|(title, lines, _)| (title, lines)),
    );
    let mut out = String::new();
    for (title, lines) in sections {
        out.push_str(title);
        out.push_str(":\n");
        for line in lines {
            out.push_str("  ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
