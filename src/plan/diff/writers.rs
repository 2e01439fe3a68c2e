//! Tables whose writing task changed, appeared or disappeared.

use std::collections::BTreeSet;

use crate::plan::graph::Graph;
use crate::plan::types::WriterChange;

/// Tables whose writer differs between the two lineages, sorted.
pub(crate) fn writer_changes(base: &Graph<'_>, head: &Graph<'_>) -> Vec<WriterChange> {
    let tables: BTreeSet<&str> = base.writers().keys().chain(head.writers().keys()).copied().collect();
    tables
        .into_iter()
        .filter_map(|table| {
            let (before, after) = (base.writers().get(table), head.writers().get(table));
            (before != after).then(|| WriterChange {
                table: table.to_owned(),
                before: before.map(|t| (*t).to_owned()),
                after: after.map(|t| (*t).to_owned()),
            })
        })
        .collect()
}
