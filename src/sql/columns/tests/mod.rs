//! Column lineage per construct: SQL text in, resolved lineage out.

mod checks;
mod queries;
mod writes;

use std::collections::BTreeMap;

use super::{FileColumns, SchemaColumn, resolve};
use crate::diagnostic::FileId;
use crate::model::TableName;
use crate::sql::{SqlOptions, analyze};

/// The lineage of `sql` with these known tables (`"db.t"`, `["col", "col:type"]`).
fn lineage(sql: &str, known: &[(&str, &[&str])]) -> FileColumns {
    let options = SqlOptions {
        default_database: Some("dflt"),
        ..SqlOptions::default()
    };
    let analysis = analyze(FileId::from_index(0), sql, &options);
    assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
    let schemas: BTreeMap<TableName, Vec<SchemaColumn>> = known
        .iter()
        .map(|(table, columns)| {
            let columns = columns
                .iter()
                .map(|column| {
                    let (name, data_type) = match column.split_once(':') {
                        Some((name, data_type)) => (name, Some(data_type.to_owned())),
                        None => (*column, None),
                    };
                    SchemaColumn {
                        name: name.to_owned(),
                        data_type,
                    }
                })
                .collect();
            (TableName::new(table), columns)
        })
        .collect();
    resolve(&analysis.columns, &schemas)
}

/// `target.col <- source, source (transformation)`, one per written column.
fn columns(lineage: &FileColumns) -> Vec<String> {
    lineage
        .outputs
        .iter()
        .flat_map(|output| {
            output.columns.iter().map(move |column| {
                let sources: Vec<String> = column.sources.iter().map(ToString::to_string).collect();
                format!(
                    "{}.{} <- {} ({})",
                    output.table,
                    column.name,
                    sources.join(", "),
                    column.transformation.as_str()
                )
            })
        })
        .collect()
}

/// `target <- source (KIND)`, sorted.
fn indirect(lineage: &FileColumns) -> Vec<String> {
    let mut rows: Vec<String> = lineage
        .indirect
        .iter()
        .map(|i| format!("{} <- {} ({})", i.target, i.source, i.kind.as_str()))
        .collect();
    rows.sort();
    rows
}

/// Lineage of a file that must resolve without diagnostics.
fn clean(sql: &str, known: &[(&str, &[&str])]) -> FileColumns {
    let lineage = lineage(sql, known);
    assert!(lineage.diagnostics.is_empty(), "{:#?}", lineage.diagnostics);
    lineage
}
