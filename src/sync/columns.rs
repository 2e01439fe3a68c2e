//! Column matching: the columns a source gives against the columns a target takes —
//! their count, then each pair's types — and the column lineage they make.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{Connection, ConnectionKind, TableDeclaration, TableName};

use super::job::ColumnLineage;
use super::resolver::Resolver;
use super::types::{self, ValueKind};

/// One side's columns: name and what they hold, when known.
pub(super) struct SideColumns {
    /// Column names, in order.
    pub(super) names: Vec<String>,
    /// What each column holds and where that is written, when known; may be shorter
    /// than `names` (nothing known of the rest).
    pub(super) kinds: Vec<Option<(ValueKind, Span)>>,
    /// Where the columns are listed (or the table declared), for messages.
    pub(super) span: Span,
}

/// Each source column feeding the target column at its position.
pub(super) fn lineage(
    source: &SideColumns,
    source_table: &str,
    target: &SideColumns,
    target_table: &str,
) -> Vec<ColumnLineage> {
    source
        .names
        .iter()
        .zip(&target.names)
        .map(|(from, to)| ColumnLineage {
            from: format!("{source_table}.{}", from.to_lowercase()),
            to: format!("{target_table}.{}", to.to_lowercase()),
        })
        .collect()
}

impl<'a> Resolver<'a> {
    /// Checks the source gives as many columns as the target takes, and that each
    /// source column's values fit its Hive column.
    pub(super) fn match_columns(&mut self, source: &Connection, from: &SideColumns, to: &SideColumns) {
        let target_types: Vec<Option<(&str, Span)>> = match self.target_declaration() {
            Some(table) => table
                .columns
                .iter()
                .map(|c| Some((c.hive_type.as_str(), c.span)))
                .collect(),
            None => vec![None; to.names.len()],
        };
        if !from.names.is_empty() && !to.names.is_empty() && from.names.len() != to.names.len() {
            self.push(
                Diagnostic::error(
                    Code::SyncColumnCount,
                    format!(
                        "the source gives {} columns but the target takes {}",
                        from.names.len(),
                        to.names.len()
                    ),
                )
                .at(from.span)
                .with_label(format!("{} columns read", from.names.len()))
                .with_secondary(to.span, format!("{} columns written", to.names.len()))
                .with_help(format!(
                    "read one column per target column, in order: {}",
                    to.names.join(", ")
                )),
            );
            return;
        }
        for (i, (kind, hive)) in from.kinds.iter().zip(&target_types).enumerate() {
            let (Some((value, span)), Some((hive_type, hive_span))) = (kind, hive) else {
                continue;
            };
            if let Some(why) = types::hive_mismatch(*value, hive_type) {
                let source_name = &from.names[i];
                self.push(
                    Diagnostic::error(
                        Code::SyncColumnType,
                        format!(
                            "`{source_name}` holds {} but target column `{}` is `{hive_type}`",
                            value.describe(),
                            to.names[i]
                        ),
                    )
                    .at(*span)
                    .with_label(format!("{} {}", source.kind.as_str(), value.describe()))
                    .with_secondary(*hive_span, "declared here")
                    .with_help(if *value == ValueKind::Decimal {
                        format!(
                            "{why}: declare the Hive column `string` to keep every digit (cast it to a decimal in the next \
                             layer), or `double` if rounding is acceptable, never for money (see the type mapping in docs/format.md)"
                        )
                    } else {
                        format!(
                            "{why}: declare the Hive column `{}` (see the type mapping in docs/format.md)",
                            value.suggested_hive_type(),
                        )
                    }),
                );
            }
        }
    }

    /// The declaration of the table written, when the target is a warehouse table.
    fn target_declaration(&self) -> Option<&'a TableDeclaration> {
        let repository = self.repository;
        let connection = match &self.sync.target.connection {
            Some(name) => self.project.connections.get(&name.value)?,
            None => self
                .project
                .connections
                .values()
                .find(|c| c.kind == ConnectionKind::Hive)?,
        };
        if connection.kind != ConnectionKind::Hive {
            return None;
        }
        let name = TableName::new(&self.sync.target.table.value).qualified_with(self.flow.default_database.as_deref());
        repository.table(&name)
    }
}
