//! A query against the declared table it writes: column count (Q310), position
//! (Q311) and types (Q312), each located at the SELECT item.
//!
//! Spark and Hive INSERT by position: the n-th SELECT item lands in the n-th column
//! whatever its name, so two swapped columns load without an error and corrupt the
//! table. The names of the items are what shows it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::types;
use super::{Column, SchemaOrigin, TableSchema};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::sql::columns::{TableOutput, TargetColumn};

/// Every mismatch between what `output` writes and the declared schema of its table.
/// Nothing is said of an output whose columns are not all known (a `*` over a table
/// of unknown schema).
pub(crate) fn compare(output: &TableOutput, declared: &TableSchema) -> Vec<Diagnostic> {
    if !output.complete {
        return Vec::new();
    }
    let declared_span = match declared.origin {
        SchemaOrigin::Declared(span) => Some(span),
        SchemaOrigin::Inferred(_) | SchemaOrigin::Sync(_) => None,
    };
    // Static partition columns are given in `PARTITION (…)`; the others are the last
    // SELECT items.
    let expected: Vec<&Column> = declared
        .columns
        .iter()
        .chain(
            declared
                .partition_columns
                .iter()
                .filter(|c| !output.static_partitions.contains(&c.name)),
        )
        .collect();
    if output.by_name {
        return by_name(output, &expected, declared);
    }
    if output.columns.len() != expected.len() {
        return vec![count_mismatch(output, &expected, declared, declared_span)];
    }
    let position_of: BTreeMap<&str, usize> = expected.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let mut found = Vec::new();
    for (i, (written, column)) in output.columns.iter().zip(&expected).enumerate() {
        if written.name != column.name && !is_unnamed(&written.name) {
            let mut diagnostic = Diagnostic::error(
                Code::ColumnOrderMismatch,
                format!(
                    "column {} of `{}` is `{}`, but the query writes `{}` there",
                    i + 1,
                    declared.table,
                    column.name,
                    written.name
                ),
            )
            .at(written.span)
            .with_label(format!("lands in `{}`: INSERT is by position", column.name));
            diagnostic = with_declared(diagnostic, column, format!("`{}` declared here", column.name));
            let help = if let Some(&other) = position_of.get(written.name.as_str()) {
                diagnostic = with_declared(
                    diagnostic,
                    expected[other],
                    format!("`{}` is declared at position {}", written.name, other + 1),
                );
                format!(
                    "write the columns in declared order ({})",
                    expected.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            } else {
                format!(
                    "name the item as the column it fills (`… AS {}`), or declare the column `{}`",
                    column.name, written.name
                )
            };
            found.push(diagnostic.with_help(help));
        }
        found.extend(type_mismatch(written, column, declared));
    }
    found
}

/// Columns written by name (an INSERT column list, MERGE assignments): each must be a
/// declared column, of a type that fits; the others keep their values or get NULL.
fn by_name(output: &TableOutput, expected: &[&Column], declared: &TableSchema) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for written in &output.columns {
        match expected.iter().find(|c| c.name == written.name) {
            Some(column) => found.extend(type_mismatch(written, column, declared)),
            None => found.push(
                Diagnostic::error(
                    Code::ColumnOrderMismatch,
                    format!(
                        "`{}` writes `{}`, which it does not declare",
                        declared.table, written.name
                    ),
                )
                .at(written.span)
                .with_label("no declared column of this name")
                .with_help(format!(
                    "name one of the declared columns ({}), or declare `{}`",
                    expected.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
                    written.name
                )),
            ),
        }
    }
    found
}

/// Q312 when a written value of a known type does not fit its declared column.
fn type_mismatch(written: &TargetColumn, column: &Column, declared: &TableSchema) -> Option<Diagnostic> {
    let (Some(from), Some(to)) = (&written.data_type, &column.data_type) else {
        return None;
    };
    if types::fits(from, to) {
        return None;
    }
    let (from, to) = (types::normalise(from), types::normalise(to));
    let diagnostic = Diagnostic::error(
        Code::ColumnTypeMismatch,
        format!(
            "`{}.{}` is declared `{to}`, but the query writes a `{from}`",
            declared.table, column.name
        ),
    )
    .at(written.span)
    .with_label(format!("a `{from}`, which does not fit `{to}` without loss"));
    Some(
        with_declared(diagnostic, column, format!("declared `{to}` here")).with_help(format!(
            "cast the value (`CAST(… AS {to})`) if the loss is intended, or declare the column `{from}`"
        )),
    )
}

/// Q310: as many items as declared columns, or the query writes the wrong table.
fn count_mismatch(
    output: &TableOutput,
    expected: &[&Column],
    declared: &TableSchema,
    declared_span: Option<Span>,
) -> Diagnostic {
    let written: Vec<&str> = output.columns.iter().map(|c| c.name.as_str()).collect();
    let missing: Vec<&str> = expected
        .iter()
        .map(|c| c.name.as_str())
        .filter(|name| !written.contains(name))
        .collect();
    let extra: Vec<&str> = written
        .iter()
        .copied()
        .filter(|name| !is_unnamed(name) && !expected.iter().any(|c| c.name == *name))
        .collect();
    let mut help = format!(
        "select exactly the declared columns, in order: {}",
        expected.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    if output.columns.len() < expected.len() && !missing.is_empty() {
        help = format!("{help} (missing: {})", missing.join(", "));
    } else if output.columns.len() > expected.len() && !extra.is_empty() {
        help = format!("{help} (not declared: {})", extra.join(", "));
    }
    let partitions = declared
        .partition_columns
        .iter()
        .filter(|c| !output.static_partitions.contains(&c.name))
        .count();
    if partitions > 0 {
        let _ = write!(
            help,
            "; the last {partitions} {} the dynamic partition {}",
            if partitions == 1 { "is" } else { "are" },
            if partitions == 1 { "column" } else { "columns" }
        );
    }
    let mut diagnostic = Diagnostic::error(
        Code::ColumnCountMismatch,
        format!(
            "the query writes {} {} into `{}`, which declares {}",
            output.columns.len(),
            if output.columns.len() == 1 { "column" } else { "columns" },
            declared.table,
            expected.len()
        ),
    )
    .at(output.span)
    .with_label(format!("{} written here", output.columns.len()));
    if let Some(span) = declared_span {
        diagnostic = diagnostic.with_secondary(span, format!("{} declared here", expected.len()));
    }
    diagnostic.with_help(help)
}

fn with_declared(diagnostic: Diagnostic, column: &Column, label: String) -> Diagnostic {
    match column.span {
        Some(span) => diagnostic.with_secondary(span, label),
        None => diagnostic,
    }
}

/// The name given to an item Spark would name itself (`_c<N>`): no name to compare.
fn is_unnamed(name: &str) -> bool {
    name.strip_prefix("_c")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::compare;
    use crate::columns::{Column, SchemaOrigin, TableSchema};
    use crate::diagnostic::{Code, SourceMap, Span};
    use crate::model::TableName;
    use crate::sql::columns::{TableOutput, TargetColumn, Transformation};

    fn span(at: u32) -> Span {
        let mut sources = SourceMap::new();
        Span::new(sources.add("t.sql", "x"), at, at + 1)
    }

    /// `ads.gmv (merchant_id bigint, gmv decimal(18,2)) PARTITIONED BY (dt)`.
    fn declared() -> TableSchema {
        let column = |name: &str, data_type: &str, at: u32| Column {
            name: name.to_owned(),
            data_type: Some(data_type.to_owned()),
            description: None,
            classifications: Vec::new(),
            span: Some(span(at)),
        };
        TableSchema {
            table: TableName::new("ads.gmv"),
            columns: vec![
                column("merchant_id", "bigint", 100),
                column("gmv", "decimal(18,2)", 110),
            ],
            partition_columns: vec![column("dt", "string", 120)],
            origin: SchemaOrigin::Declared(span(90)),
            writer: None,
        }
    }

    /// What `INSERT … SELECT` writes: `(name, type)` per item, item `i` at offset `i`.
    fn written(items: &[(&str, Option<&str>)], static_partitions: &[&str]) -> TableOutput {
        TableOutput {
            table: TableName::new("ads.gmv"),
            columns: items
                .iter()
                .zip(0..)
                .map(|((name, data_type), at)| TargetColumn {
                    name: (*name).to_owned(),
                    data_type: data_type.map(str::to_owned),
                    sources: Vec::new(),
                    transformation: Transformation::Identity,
                    span: span(at),
                })
                .collect(),
            static_partitions: static_partitions.iter().map(|p| (*p).to_owned()).collect(),
            dynamic_partitions: Vec::new(),
            complete: true,
            by_name: false,
            span: span(50),
        }
    }

    fn codes(found: &[crate::diagnostic::Diagnostic]) -> Vec<(Code, u32)> {
        found.iter().map(|d| (d.code, d.span.map_or(0, |s| s.start))).collect()
    }

    #[test]
    fn matching_columns_and_widening_types_pass() {
        let output = written(&[("merchant_id", Some("int")), ("gmv", Some("decimal(10,2)"))], &["dt"]);
        assert!(compare(&output, &declared()).is_empty());
        // A dynamic partition: its column is the last item.
        let output = written(&[("merchant_id", None), ("gmv", None), ("dt", Some("string"))], &[]);
        assert!(compare(&output, &declared()).is_empty());
    }

    #[test]
    fn columns_written_by_name_are_matched_by_name_not_position() {
        // `INSERT INTO ads.gmv (gmv, merchant_id) …`: Spark matches the list by name.
        let mut output = written(&[("gmv", Some("decimal(10,2)")), ("merchant_id", Some("int"))], &["dt"]);
        output.by_name = true;
        assert!(compare(&output, &declared()).is_empty());
        // A subset (MERGE's assignments) is no count mismatch; an unknown name is.
        let mut output = written(&[("gmv", None), ("gmv_usd", None)], &["dt"]);
        output.by_name = true;
        assert_eq!(codes(&compare(&output, &declared())), [(Code::ColumnOrderMismatch, 1)]);
        // Types still count.
        let mut output = written(&[("gmv", Some("string"))], &["dt"]);
        output.by_name = true;
        assert_eq!(codes(&compare(&output, &declared())), [(Code::ColumnTypeMismatch, 0)]);
    }

    #[test]
    fn a_missing_column_is_a_count_mismatch_at_the_target() {
        let found = compare(&written(&[("merchant_id", None)], &["dt"]), &declared());
        assert_eq!(codes(&found), [(Code::ColumnCountMismatch, 50)]);
        assert_eq!(
            found[0].message,
            "the query writes 1 column into `ads.gmv`, which declares 2"
        );
        let help = found[0].help.as_deref().unwrap();
        assert!(
            help.contains("merchant_id, gmv") && help.contains("missing: gmv"),
            "{help}"
        );
        // Without the static partition, `dt` is expected as the last item.
        let found = compare(&written(&[("merchant_id", None), ("gmv", None)], &[]), &declared());
        assert_eq!(codes(&found), [(Code::ColumnCountMismatch, 50)]);
        assert!(found[0].help.as_deref().unwrap().contains("dynamic partition"));
    }

    #[test]
    fn swapped_columns_are_order_mismatches_at_each_item() {
        let found = compare(&written(&[("gmv", None), ("merchant_id", None)], &["dt"]), &declared());
        assert_eq!(
            codes(&found),
            [(Code::ColumnOrderMismatch, 0), (Code::ColumnOrderMismatch, 1)]
        );
        assert_eq!(
            found[0].message,
            "column 1 of `ads.gmv` is `merchant_id`, but the query writes `gmv` there"
        );
        let secondary: Vec<&str> = found[0].labels.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(
            secondary,
            ["`merchant_id` declared here", "`gmv` is declared at position 2"]
        );
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap()
                .contains("declared order (merchant_id, gmv)")
        );
    }

    #[test]
    fn an_other_name_is_an_order_mismatch_and_an_unnamed_item_is_not() {
        let found = compare(
            &written(&[("merchant_id", None), ("total", None)], &["dt"]),
            &declared(),
        );
        assert_eq!(codes(&found), [(Code::ColumnOrderMismatch, 1)]);
        assert!(found[0].help.as_deref().unwrap().contains("`… AS gmv`"));
        assert!(compare(&written(&[("merchant_id", None), ("_c1", None)], &["dt"]), &declared()).is_empty());
    }

    #[test]
    fn a_narrowing_type_is_a_type_mismatch() {
        let output = written(&[("merchant_id", Some("string")), ("gmv", Some("double"))], &["dt"]);
        let found = compare(&output, &declared());
        assert_eq!(
            codes(&found),
            [(Code::ColumnTypeMismatch, 0), (Code::ColumnTypeMismatch, 1)]
        );
        assert_eq!(
            found[1].message,
            "`ads.gmv.gmv` is declared `decimal(18,2)`, but the query writes a `double`"
        );
    }

    #[test]
    fn an_incomplete_output_is_not_judged() {
        let mut output = written(&[("gmv", None)], &["dt"]);
        output.complete = false;
        assert!(compare(&output, &declared()).is_empty());
    }
}
