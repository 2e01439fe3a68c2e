//! Q313: columns read from a table whose schema is unknown are not checked — one
//! warning per such table, at its first read, saying how to declare it.

use std::collections::{BTreeMap, BTreeSet};

use super::RepositoryColumns;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::DependencyGraph;
use crate::model::{Repository, TableName};

/// At most this many columns are spelt out in the declaration the help suggests.
const SHOWN_COLUMNS: usize = 6;

/// One warning per table of unknown schema that some task reads a column of, at the
/// first such read in dependency order. Tables read without naming a column (a
/// `count(*)`) get none: there is nothing to check.
pub(super) fn unknown_schemas(
    repository: &Repository,
    graph: &DependencyGraph,
    columns: &RepositoryColumns,
) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&TableName, (usize, Span)> = BTreeMap::new();
    let mut read: BTreeMap<&TableName, BTreeSet<&str>> = BTreeMap::new();
    let mut count: BTreeMap<&TableName, usize> = BTreeMap::new();
    for (order, task) in graph.topological_order().into_iter().enumerate() {
        let Some(task_columns) = columns.tasks.get(task) else {
            continue;
        };
        for unresolved in &task_columns.unresolved {
            let Some(table) = &unresolved.table else {
                continue;
            };
            if columns.schemas.contains_key(table) {
                continue;
            }
            first.entry(table).or_insert((order, unresolved.span));
            read.entry(table).or_default().insert(unresolved.column.as_str());
            *count.entry(table).or_default() += 1;
        }
    }
    let mut found: Vec<(usize, Diagnostic)> = first
        .into_iter()
        .map(|(table, (order, span))| {
            let names: Vec<&str> = read.get(table).map(|n| n.iter().copied().collect()).unwrap_or_default();
            let references = count.get(table).copied().unwrap_or(1);
            (order, warning(repository, graph, table, span, &names, references))
        })
        .collect();
    found.sort_by_key(|(order, d)| (*order, d.span.map(|s| s.start)));
    found.into_iter().map(|(_, d)| d).collect()
}

fn warning(
    repository: &Repository,
    graph: &DependencyGraph,
    table: &TableName,
    span: Span,
    names: &[&str],
    references: usize,
) -> Diagnostic {
    let mut shown: Vec<String> = names
        .iter()
        .take(SHOWN_COLUMNS)
        .map(|name| format!("{{name: {name}, type: string}}"))
        .collect();
    if names.len() > SHOWN_COLUMNS {
        shown.push("…".to_owned());
    }
    let shown = shown.join(", ");
    let help = match graph.writer(table) {
        Some(writer) => {
            let file = repository
                .flows
                .iter()
                .find(|flow| &flow.id == writer.flow())
                .map_or_else(
                    || "its flow.yaml".to_owned(),
                    |flow| format!("{}/flow.yaml", flow.folder),
                );
            format!(
                "declare its columns under `tables:` in {file}, where `{writer}` writes it: `- {{name: {table}, columns: [{shown}]}}` (with their real types)"
            )
        }
        None => format!(
            "declare its columns on its entry under `sources:` in flowc.yaml: `- {{table: {table}, columns: [{shown}]}}` (with their real types)"
        ),
    };
    Diagnostic::warning(
        Code::UnknownTableSchema,
        format!(
            "the schema of `{table}` is unknown: {references} column {} to it {} not checked",
            if references == 1 { "reference" } else { "references" },
            if references == 1 { "is" } else { "are" },
        ),
    )
    .at(span)
    .with_label(format!("`{table}` has no declared or inferred columns"))
    .with_help(help)
}
