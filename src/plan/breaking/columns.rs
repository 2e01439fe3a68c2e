//! Column breaking changes: every column change of [`table_diffs`] that something in
//! the head revision still reads, with the file and line of each read.
//!
//! - A column removed or renamed is read where the head's lineage reads it, and where
//!   the head reports an error at a reference to it: a reader that still names a
//!   column its table lost is an error of the head (an unknown column), which is
//!   exactly the reader to name. Such errors are looked for in the SQL files of the
//!   tasks that read the column in base, at a reference whose last part is the
//!   column's name.
//! - A column retyped is read wherever the head's lineage reads it.
//! - A table whose columns changed order is read by position by a statement that
//!   writes, in order, every column of a `*` over it (`INSERT … SELECT * FROM t`),
//!   and by a sync task reading it (an hdfsreader reads its files by column index).
//!
//! A column removed, renamed or retyped in a table nothing in the repository reads is
//! listed for external consumers instead, a warning.

use std::collections::BTreeSet;

use crate::diagnostic::{SourceMap, Span};
use crate::model::{TableName, TaskId};
use crate::plan::diff::columns::{RevisionColumns, table_diffs};
use crate::plan::types::{
    ColumnBreakingChange, ColumnBreakingKind, ColumnChanges, ColumnReader, ReadKind, TableColumns, TypeChange,
};
use crate::sql::columns::{ColumnName, Transformation};

/// The column differences of every table both revisions know, and what they break.
pub(crate) fn column_changes(base: &RevisionColumns<'_>, head: &RevisionColumns<'_>) -> ColumnChanges {
    let tables = table_diffs(base, head);
    let mut breaking = Vec::new();
    let mut external = Vec::new();
    for table in &tables {
        let name = TableName::new(&table.table);
        for mut change in changes_of(table) {
            change.readers = match change.kind {
                ColumnBreakingKind::Removed | ColumnBreakingKind::Renamed => {
                    gone_readers(base, head, &name, change.column.as_deref().unwrap_or_default())
                }
                ColumnBreakingKind::Retyped => name_readers(
                    head,
                    &ColumnName::new(name.clone(), change.column.as_deref().unwrap_or_default()),
                ),
                ColumnBreakingKind::Reordered => positional_readers(head, &name),
            };
            if !change.readers.is_empty() {
                breaking.push(change);
            } else if change.kind != ColumnBreakingKind::Reordered && !head.read_tables.contains(&name) {
                external.push(change);
            }
        }
    }
    ColumnChanges {
        tables,
        breaking,
        external,
    }
}

/// The changes of a table that may break a reader, readers not yet filled.
fn changes_of(table: &TableColumns) -> Vec<ColumnBreakingChange> {
    let change = |kind, column: Option<&str>| ColumnBreakingChange {
        kind,
        table: table.table.clone(),
        column: column.map(ToOwned::to_owned),
        renamed_to: None,
        types: None,
        readers: Vec::new(),
    };
    let mut changes: Vec<ColumnBreakingChange> = table
        .removed
        .iter()
        .map(|c| change(ColumnBreakingKind::Removed, Some(&c.name)))
        .collect();
    changes.extend(table.renamed.iter().map(|r| ColumnBreakingChange {
        renamed_to: Some(r.to.clone()),
        ..change(ColumnBreakingKind::Renamed, Some(&r.from))
    }));
    changes.extend(table.retyped.iter().map(|r| ColumnBreakingChange {
        types: Some(TypeChange {
            before: r.before.clone(),
            after: r.after.clone(),
        }),
        ..change(ColumnBreakingKind::Retyped, Some(&r.column))
    }));
    if table.reordered.is_some() {
        changes.push(change(ColumnBreakingKind::Reordered, None));
    }
    changes.sort_by(|a, b| (&a.column, a.kind).cmp(&(&b.column, b.kind)));
    changes
}

/// Where the head still reads a column its table no longer has: resolved reads, and
/// errors at a reference to it in the SQL of a task that read it in base.
fn gone_readers(
    base: &RevisionColumns<'_>,
    head: &RevisionColumns<'_>,
    table: &TableName,
    column: &str,
) -> Vec<ColumnReader> {
    let name = ColumnName::new(table.clone(), column);
    let mut readers = name_readers(head, &name);
    let base_readers: BTreeSet<&TaskId> = base.columns.readers(&name).into_iter().map(|(task, _)| task).collect();
    for task in base_readers {
        let Some(file) = head.sql_files.get(task) else {
            continue;
        };
        for span in head.errors.iter().filter_map(|e| e.span) {
            if span.file == *file && last_part(head.sources, span).as_deref() == Some(&name.column) {
                readers.push(reader(head.sources, span, task, ReadKind::Name));
            }
        }
    }
    readers.sort();
    readers.dedup();
    readers
}

/// The last part of the reference at `span`, unquoted, lower case: `d.Net_GMV` → `net_gmv`.
fn last_part(sources: &SourceMap, span: Span) -> Option<String> {
    let text = sources
        .file(span.file)
        .text()
        .get(span.start as usize..span.end as usize)?;
    let last = text.rsplit('.').next()?.trim().trim_matches(|c| c == '`' || c == '"');
    Some(last.to_lowercase())
}

/// Every place the revision's lineage reads `column`.
fn name_readers(revision: &RevisionColumns<'_>, column: &ColumnName) -> Vec<ColumnReader> {
    let mut readers: Vec<ColumnReader> = revision
        .columns
        .readers(column)
        .into_iter()
        .map(|(task, span)| reader(revision.sources, span, task, ReadKind::Name))
        .collect();
    readers.sort();
    readers.dedup();
    readers
}

/// Tasks reading `table` by column position: a `*` over it whose columns a statement
/// writes in order, each copied as is, all of them; a sync task reading it.
fn positional_readers(head: &RevisionColumns<'_>, table: &TableName) -> Vec<ColumnReader> {
    let Some(schema) = head.columns.schemas.get(table) else {
        return Vec::new();
    };
    // With or without the partition columns, which Spark's `*` lists last.
    let data: BTreeSet<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let all: BTreeSet<&str> = data
        .iter()
        .copied()
        .chain(schema.partition_columns.iter().map(|c| c.name.as_str()))
        .collect();
    let mut readers = Vec::new();
    for (task, columns) in &head.columns.tasks {
        for output in &columns.outputs {
            // A `*` gives each column it expands to the span of the `*`.
            let spans: BTreeSet<Span> = output.columns.iter().map(|c| c.span).collect();
            for span in spans {
                let group: Vec<_> = output.columns.iter().filter(|c| c.span == span).collect();
                let wildcard = head
                    .sources
                    .file(span.file)
                    .text()
                    .get(span.start as usize..span.end as usize)
                    .is_some_and(|t| t.trim_end().ends_with('*'));
                let copies: Option<BTreeSet<&str>> = group
                    .iter()
                    .map(|c| match c.sources.as_slice() {
                        [source] if c.transformation == Transformation::Identity && &source.table == table => {
                            Some(source.column.as_str())
                        }
                        _ => None,
                    })
                    .collect();
                if wildcard && copies.is_some_and(|copies| copies == all || copies == data) {
                    readers.push(reader(head.sources, span, task, ReadKind::Wildcard));
                }
            }
        }
    }
    for (task, read) in &head.sync_reads {
        if &read.name == table {
            readers.push(reader(head.sources, read.span, task, ReadKind::Sync));
        }
    }
    readers.sort();
    readers.dedup();
    readers
}

fn reader(sources: &SourceMap, span: Span, task: &TaskId, how: ReadKind) -> ColumnReader {
    let at = sources.line_col(span);
    ColumnReader {
        path: sources.file(span.file).path().to_owned(),
        line: at.line as usize,
        col: at.column as usize,
        task: task.to_string(),
        how,
    }
}
