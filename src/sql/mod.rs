//! Stage 4, sql: SparkSQL analysis — template placeholders, parsing with a Spark
//! dialect, and the tables each file reads and writes.
//!
//! Input: one SQL file's text (with `${name}` and Jinja placeholders) and [`SqlOptions`].
//! Output: a [`SqlAnalysis`] — sorted, de-duplicated reads and writes, each with the span
//! of its first mention, and every diagnostic found, located in the *original* text.
//! Pure: no I/O.
//!
//! The stage runs in three steps, one file each:
//! 1. [`placeholder`]: template placeholders are replaced by same-length text, so
//!    every position the parser reports is a position in the original file;
//! 2. [`parse()`]: tokens, split into statements, parsed with [`SparkDialect`] (sqlparser's
//!    Spark dialect plus the Spark syntax it lacks); [`ParsedSql`] keeps the ASTs;
//! 3. `tables`: the tables each statement reads and writes. [`analyze`] hands it each
//!    statement as soon as it is parsed and drops its syntax tree before parsing the
//!    next, so memory does not grow with the number of statements in a file.
//!
//! [`analyze`] runs all three and checks placeholder names. [`parse_expression`] reads
//! one expression on its own (a quality rule's), the same way. [`query_shape`] reads a
//! DataX source query's output columns and tables; that query runs on the source
//! database (Oracle, MySQL, OceanBase), so it is parsed in sqlparser's generic dialect.
//! This module is the only one that uses sqlparser.

mod blank;
mod blocks;
pub mod cache;
pub mod columns;
mod commands;
mod create_table;
mod cte;
mod dialect;
mod expression;
mod hidden;
mod hive_only;
mod location;
mod names;
pub mod parse;
pub mod placeholder;
pub mod rewrite;
mod select;
mod syntax_error;
mod tables;
mod tokenize;
mod visitor;

use std::collections::{BTreeMap, BTreeSet};

pub use commands::{FunctionDefinition, Resource, ResourceKind, SparkCommand};
pub use dialect::SparkDialect;
pub use expression::{ExpressionError, parse_expression};
pub use parse::{ParsedSql, ParsedStatement, SparkStatement, parse};
pub use placeholder::{Placeholder, PlaceholderKind};
pub use select::{QueryShape, query_shape};

use serde::{Deserialize, Serialize};

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::model::TableName;

/// What the analyser needs besides the text.
#[derive(Clone, Copy, Debug, Default)]
pub struct SqlOptions<'a> {
    /// Database for unqualified table names until a `USE db` statement changes it.
    pub default_database: Option<&'a str>,
    /// Values of template parameters known at compile time; a placeholder that forms
    /// (part of) a table name is resolved with them.
    pub params: Option<&'a BTreeMap<String, String>>,
    /// Names a `${name}` placeholder may use; `None` accepts any name.
    pub known_variables: Option<&'a BTreeSet<String>>,
}

/// A table mentioned in the SQL, with where it was first mentioned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRef {
    /// The normalised table name.
    pub name: TableName,
    /// The table name's span in the original file.
    pub span: Span,
}

/// Where a database name is written: in a qualified table name, or a `USE db`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseMention {
    /// The database as written, unquoted, lower case.
    pub database: String,
    /// The identifier's span in the original file, quotes included.
    pub span: Span,
    /// The quote character around it, if any.
    pub quote: Option<char>,
    /// Whether a template placeholder forms (part of) it.
    pub templated: bool,
}

/// One place a table read or written is named (CTEs, temporary views and table
/// functions are not tables and never appear here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMention {
    /// The table, qualified as the analyser resolved it.
    pub table: TableName,
    /// The whole name in the original file.
    pub span: Span,
    /// Whether the name is written with a database (or catalog and database).
    pub qualified: bool,
    /// The database part, when written and located.
    pub database: Option<DatabaseMention>,
    /// Whether a template placeholder forms part of the name.
    pub templated: bool,
}

/// Every table name and `USE` database of one file, in file order: what an
/// environment's database mapping rewrites (see [`rewrite`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableNames {
    /// Table names read or written, each span once.
    pub tables: Vec<TableMention>,
    /// Databases of `USE` statements.
    pub uses: Vec<DatabaseMention>,
    /// Tables DDL and utility statements change (`DROP`, `TRUNCATE`, `ALTER`, `CREATE
    /// TABLE` without a query, `ANALYZE`, `MSCK`, `REFRESH`): not lineage, but an
    /// environment must not touch production's.
    pub altered: Vec<TableRef>,
}

/// A function a file defines with `CREATE [TEMPORARY] FUNCTION`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRef {
    /// The function's name as written, unquoted, lower case.
    pub name: String,
    /// The implementing class, as written between the quotes.
    pub class: String,
    /// Whether it lives in the session only.
    pub temporary: bool,
    /// The statement's function name in the original file.
    pub span: Span,
}

/// A jar, file or archive a file adds to the session (`ADD JAR`, `CREATE FUNCTION …
/// USING JAR`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Jar, file or archive.
    pub kind: ResourceKind,
    /// The path or URI as written, without quotes.
    pub uri: String,
    /// Where it is written in the original file.
    pub span: Span,
}

/// A path queried directly as a table: ``parquet.`/data/x` `` (Spark's SQL on files).
/// It is no table: it is neither read nor written lineage, nor rewritten per environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRef {
    /// The data source format, lower case (`parquet`, `delta`…).
    pub format: String,
    /// The path between the backticks.
    pub path: String,
    /// Whether the statement writes it (`INSERT INTO delta.`/p``, `MERGE`…).
    pub written: bool,
    /// The whole name in the original file.
    pub span: Span,
}

/// The result of analysing one SQL file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlAnalysis {
    /// Tables read, sorted by name, each once.
    pub reads: Vec<TableRef>,
    /// Tables written, sorted by name, each once.
    pub writes: Vec<TableRef>,
    /// Where every table name is written, for rewrites.
    pub names: TableNames,
    /// Functions the file defines, in file order.
    pub functions: Vec<FunctionRef>,
    /// Resources the file adds to the session, in file order.
    pub resources: Vec<ResourceRef>,
    /// Paths queried as tables, in file order.
    pub paths: Vec<PathRef>,
    /// Syntax errors and placeholder problems.
    pub diagnostics: Vec<Diagnostic>,
    /// The file's column lineage, to be resolved against known schemas
    /// ([`columns::resolve`]).
    pub columns: columns::ColumnPlan,
}

/// Analyses one SQL file. `file` is the id the text was registered under.
pub fn analyze(file: FileId, text: &str, options: &SqlOptions<'_>) -> SqlAnalysis {
    let mut extractor = tables::Extractor::new(options);
    let parsed = parse::parse_each(file, text, |source, statement| extractor.add(source, &statement));
    let tables = extractor.finish();
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(tables.diagnostics);
    if let Some(known) = options.known_variables {
        diagnostics.extend(unknown_variables(&parsed.placeholders, known));
    }
    diagnostics.sort_by_key(|d| (d.span.map(|s| (s.start, s.end)), d.code));
    SqlAnalysis {
        reads: tables.reads,
        writes: tables.writes,
        names: tables.names,
        functions: tables.functions,
        resources: tables.resources,
        paths: tables.paths,
        diagnostics,
        columns: tables.columns,
    }
}

impl SqlAnalysis {
    /// The tables DDL and utility statements change (see [`TableNames::altered`]),
    /// sorted, each once with its first mention.
    #[must_use]
    pub fn alters(&self) -> Vec<TableRef> {
        let mut alters: Vec<TableRef> = self.names.altered.clone();
        alters.sort_by(|a, b| a.name.cmp(&b.name).then(a.span.start.cmp(&b.span.start)));
        alters.dedup_by(|later, first| later.name == first.name);
        alters
    }
}

/// Q302 for every `${name}` whose name is not known.
fn unknown_variables<'a>(
    placeholders: &'a [Placeholder],
    known: &'a BTreeSet<String>,
) -> impl Iterator<Item = Diagnostic> + 'a {
    placeholders
        .iter()
        .filter(|p| p.kind == PlaceholderKind::Parameter && !known.contains(&p.name))
        .map(move |p| {
            let diagnostic = Diagnostic::error(
                Code::UnknownTemplateVariable,
                format!("unknown template variable `{}`", p.name),
            )
            .at(p.span)
            .with_label("not a known parameter");
            match did_you_mean(&p.name, known.iter().map(String::as_str)) {
                Some(help) => diagnostic.with_help(help),
                None if known.is_empty() => diagnostic.with_help("no parameters are defined here"),
                None => diagnostic.with_note(format!(
                    "known parameters: {}",
                    known
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        })
}
