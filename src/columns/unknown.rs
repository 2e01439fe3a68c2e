//! Q313: columns read from a table whose schema is unknown are not checked — one
//! warning per such table, at its first read, saying how to declare it.

use std::collections::{BTreeMap, BTreeSet};

use super::RepositoryColumns;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::DependencyGraph;
use crate::model::{Repository, TableName, TaskId};

/// At most this many columns are spelt out in the declaration the help suggests.
const SHOWN_COLUMNS: usize = 6;

/// One warning per table of unknown schema that some task reads a column of, at the
/// first such read in dependency order. Tables read without naming a column (a
/// `count(*)`) get none: there is nothing to check.
pub(super) fn unknown_schemas(
    repository: &Repository,
    graph: &DependencyGraph,
    order: &[&TaskId],
    columns: &RepositoryColumns,
) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&TableName, (usize, Span)> = BTreeMap::new();
    let mut read: BTreeMap<&TableName, BTreeSet<&str>> = BTreeMap::new();
    let mut count: BTreeMap<&TableName, usize> = BTreeMap::new();
    for (position, &task) in order.iter().enumerate() {
        let Some(task_columns) = columns.tasks.get(task) else {
            continue;
        };
        // Qualified references (and those of a FROM with one table) resolve to their
        // table even when its schema is unknown: unchecked all the same.
        let resolved = task_columns
            .reads
            .iter()
            .map(|read| (&read.column.table, read.column.column.as_str(), read.span));
        let unresolved = task_columns
            .unresolved
            .iter()
            .filter_map(|u| Some((u.table.as_ref()?, u.column.as_str(), u.span)));
        let mut references: Vec<(&TableName, &str, Span)> = resolved.chain(unresolved).collect();
        references.sort_by_key(|(_, _, span)| (span.file, span.start));
        for (table, column, span) in references {
            if columns.schemas.contains_key(table) {
                continue;
            }
            first.entry(table).or_insert((position, span));
            read.entry(table).or_default().insert(column);
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

#[cfg(test)]
mod tests {
    use super::unknown_schemas;
    use crate::columns::{RepositoryColumns, SchemaOrigin, TableSchema, TaskColumns};
    use crate::compiler::check;
    use crate::diagnostic::Code;
    use crate::load::MemoryTree;
    use crate::model::{FlowId, TableName, TaskId};
    use crate::sql::columns::UnresolvedRead;

    #[test]
    fn one_warning_per_table_of_unknown_schema_with_how_to_declare_it() {
        let project = "project: t\nenvironments: {dev: {databases: {\"*\": \"dev_*\"}, airflow_connections: {kylin_default: kylin_dev}}, prod: {}}\nteams: {data: {}}\nsources:\n  - table: ods.raw\n";
        let flow = "name: f\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: cube\n    type: kylin\n    cube: c\n    project: p\n    reads: [ods.raw]\n    writes: [dws.k]\n  - name: use\n    type: sparksql\n    sql: use.sql\n";
        let tree = MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/f/flow.yaml", flow)
            .with(
                "flows/f/use.sql",
                "INSERT OVERWRITE TABLE dws.x SELECT r.a, r.b, k.c FROM ods.raw r JOIN dws.k k ON k.id = r.id;\n",
            );
        let report = check(&tree).unwrap();
        assert!(!report.diagnostics.has_errors(), "{:?}", report.diagnostics);
        let (repository, graph) = (report.repository.as_ref().unwrap(), report.graph.as_ref().unwrap());
        let span = repository.flows[0].name_span;
        let read = |table: &str, column: &str| UnresolvedRead {
            table: Some(TableName::new(table)),
            column: column.to_owned(),
            span,
        };
        let task = TaskId::new(FlowId::new("f"), "use");
        let mut columns = RepositoryColumns::default();
        columns.tasks.insert(
            task.clone(),
            TaskColumns {
                unresolved: vec![
                    read("ods.raw", "b"),
                    read("ods.raw", "a"),
                    read("ods.raw", "a"),
                    read("dws.k", "c"),
                    read("dws.known", "z"),
                    UnresolvedRead {
                        table: None,
                        column: "y".to_owned(),
                        span,
                    },
                ],
                ..TaskColumns::default()
            },
        );
        columns.schemas.insert(
            TableName::new("dws.known"),
            TableSchema {
                table: TableName::new("dws.known"),
                columns: Vec::new(),
                partition_columns: Vec::new(),
                origin: SchemaOrigin::Inferred(task.clone()),
                writer: Some(task),
            },
        );
        let found = unknown_schemas(repository, graph, &graph.topological_order(), &columns);
        let summary: Vec<(Code, &str, &str)> = found
            .iter()
            .map(|d| (d.code, d.message.as_str(), d.help.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Code::UnknownTableSchema,
                    "the schema of `dws.k` is unknown: 1 column reference to it is not checked",
                    "declare its columns under `tables:` in flows/f/flow.yaml, where `f.cube` writes it: `- {name: dws.k, columns: [{name: c, type: string}]}` (with their real types)",
                ),
                (
                    Code::UnknownTableSchema,
                    "the schema of `ods.raw` is unknown: 3 column references to it are not checked",
                    "declare its columns on its entry under `sources:` in flowc.yaml: `- {table: ods.raw, columns: [{name: a, type: string}, {name: b, type: string}]}` (with their real types)",
                ),
            ]
        );
        assert!(found.iter().all(|d| !d.is_error()));
    }
}
