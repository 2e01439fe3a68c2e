//! The columns of a declared table (a flow's `tables:`, the project's `sources:`).

use crate::model::TableColumn;
use crate::validate::raw::flow::{RawPartitionColumn, RawTableColumn};
use crate::validate::spans::Spans;

/// The columns listed at `pointer` (`…/columns`).
pub(super) fn table_columns(raw: Vec<RawTableColumn>, spans: &Spans<'_>, pointer: &str) -> Vec<TableColumn> {
    raw.into_iter()
        .enumerate()
        .map(|(i, column)| table_column(column, spans, &format!("{pointer}/{i}")))
        .collect()
}

/// The partition columns listed at `pointer` (`…/partitioned_by`): a bare name is a
/// `string` column.
pub(super) fn partition_columns(raw: Vec<RawPartitionColumn>, spans: &Spans<'_>, pointer: &str) -> Vec<TableColumn> {
    raw.into_iter()
        .enumerate()
        .map(|(i, column)| {
            let at = format!("{pointer}/{i}");
            match column {
                RawPartitionColumn::Name(name) => TableColumn {
                    name: name.to_lowercase(),
                    hive_type: "string".to_owned(),
                    span: spans.at(&at),
                    description: None,
                    classifications: Vec::new(),
                },
                RawPartitionColumn::Column(column) => table_column(column, spans, &at),
            }
        })
        .collect()
}

fn table_column(column: RawTableColumn, spans: &Spans<'_>, at: &str) -> TableColumn {
    let typed = column.hive_type.is_some();
    TableColumn {
        name: column.name.to_lowercase(),
        hive_type: column.hive_type.map_or_else(
            || "string".to_owned(),
            |t| t.to_lowercase().split_whitespace().collect::<String>(),
        ),
        span: spans.at(&if typed {
            format!("{at}/type")
        } else {
            format!("{at}/name")
        }),
        description: column.description,
        classifications: column
            .classifications
            .into_iter()
            .enumerate()
            .map(|(j, class)| spans.spanned(class, &format!("{at}/classifications/{j}")))
            .collect(),
    }
}
