//! What a rule's check is given — its columns, values, bounds, expressions and the
//! table it compares with — as named lists of text, for the manifest and for
//! `flowc plan` to compare revisions by (e.g. a value added to `accepted_values`).

use std::collections::BTreeMap;

use crate::model::{Literal, OtherTable, PartitionChoice, QualityCheck, QualityRule, TableName};

/// A rule's settings by name, each a list of values in the order written:
/// `columns`, `values`, `min`, `max`, `time`, `pattern`, `expression`, `where`,
/// `with`, `with_column`, `with_partition`, `with_where`. The threshold and severity
/// are not here (the manifest has them as fields). `table` maps a table name to the
/// environment's name for it.
pub fn settings(rule: &QualityRule, table: impl Fn(&TableName) -> String) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |key: &str, values: Vec<String>| {
        if !values.is_empty() {
            out.insert(key.to_owned(), values);
        }
    };
    let one = |value: &str| vec![value.to_owned()];
    match &rule.check.value {
        QualityCheck::LandBy { time } => put("time", one(time)),
        QualityCheck::MaxLag { column, .. } => put("columns", one(&column.value)),
        QualityCheck::MinRows(_) => {}
        QualityCheck::RowCountChange { compare, .. } => put("compare", one(compare.as_str())),
        QualityCheck::NotNull(columns) | QualityCheck::Unique(columns) => {
            put("columns", columns.iter().map(|c| c.value.clone()).collect());
        }
        QualityCheck::Expression(expression) => put("expression", one(&expression.value)),
        QualityCheck::Range { column, min, max } => {
            put("columns", one(&column.value));
            put("min", min.iter().map(text).collect());
            put("max", max.iter().map(text).collect());
        }
        QualityCheck::AcceptedValues { column, values } => {
            put("columns", one(&column.value));
            put("values", values.iter().map(text).collect());
        }
        QualityCheck::Regex { column, pattern } => {
            put("columns", one(&column.value));
            put("pattern", one(pattern));
        }
        QualityCheck::Reconcile { column, with }
        | QualityCheck::EqualSum { column, with }
        | QualityCheck::References { column, with } => {
            put("columns", one(&column.value));
            other(with, &table, &mut put);
        }
        QualityCheck::EqualCount { with } => other(with, &table, &mut put),
    }
    if let Some(filter) = &rule.filter {
        put("where", one(&filter.value));
    }
    out
}

/// The settings of the table a check compares with.
fn other(with: &OtherTable, table: &impl Fn(&TableName) -> String, put: &mut impl FnMut(&str, Vec<String>)) {
    put("with", vec![table(&with.table.value)]);
    if let Some(column) = &with.column {
        put("with_column", vec![column.value.clone()]);
    }
    if let Some(partition) = &with.partition {
        put(
            "with_partition",
            vec![match &partition.value {
                PartitionChoice::Spec(spec) => spec.to_string(),
                PartitionChoice::Whole => "none".to_owned(),
            }],
        );
    }
    if let Some(filter) = &with.filter {
        put("with_where", vec![filter.value.clone()]);
    }
}

/// A literal as written.
fn text(literal: &Literal) -> String {
    match literal {
        Literal::Number(text) | Literal::Text(text) => text.clone(),
    }
}
