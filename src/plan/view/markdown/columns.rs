//! The column parts of the markdown view: column breaking changes (rows of the
//! breaking section, which comes first) and the column changes of each table.

use std::fmt::Write as _;

use super::escape::code;
use super::{ITEMS_PER_CHANGE, LABEL, READERS_PER_LIST};
use crate::plan::types::{ColumnBreakingChange, ColumnBreakingKind, Plan, ReadKind, RenameEvidence};

/// One row per column breaking change, in a warning block: what changed and every
/// read as `path:line` (the task in brackets).
pub(super) fn breaking_rows(changes: &[ColumnBreakingChange]) -> Vec<String> {
    changes
        .iter()
        .map(|change| {
            let how = if change.kind == ColumnBreakingKind::Reordered {
                "read by position at"
            } else {
                "still read at"
            };
            let mut reads: Vec<String> = change
                .readers
                .iter()
                .take(READERS_PER_LIST)
                .map(|r| {
                    let kind = match r.how {
                        ReadKind::Name => "",
                        ReadKind::Wildcard => ", by `*`",
                        ReadKind::Sync => ", sync",
                    };
                    format!("{} ({}{kind})", code(&r.location(), LABEL), code(&r.task, LABEL))
                })
                .collect();
            if change.readers.len() > READERS_PER_LIST {
                reads.push(format!("and {} more", change.readers.len() - READERS_PER_LIST));
            }
            format!("> - {} — {how} {}\n", what(change), reads.join(", "))
        })
        .collect()
}

/// `` `dws.t.c` removed``, `` `dws.t.c` renamed to `d`?``, `` `dws.t` reordered``.
fn what(change: &ColumnBreakingChange) -> String {
    let subject = match &change.column {
        Some(column) => code(&format!("{}.{column}", change.table), LABEL),
        None => code(&change.table, LABEL),
    };
    match (&change.renamed_to, &change.types) {
        (Some(to), _) => format!("{subject} **renamed** to {}?", code(to, LABEL)),
        (None, Some(types)) => format!(
            "{subject} **retyped** {} → {}",
            code(&types.before, LABEL),
            code(&types.after, LABEL)
        ),
        (None, None) => format!("{subject} **{}**", change.kind.as_str()),
    }
}

/// The rows of `### Columns`: one per table whose columns changed, then the changes
/// listed for external consumers.
pub(super) fn column_rows(plan: &Plan) -> Vec<String> {
    let changes = &plan.columns;
    let mut rows: Vec<String> = changes
        .tables
        .iter()
        .map(|table| {
            let mut row = format!("- {}", code(&table.table, LABEL));
            if let Some(writer) = &table.writer {
                let _ = write!(row, " (written by {})", code(writer, LABEL));
            }
            let added = table
                .added
                .iter()
                .map(|c| format!("`+` {} at {}", code(&c.name, LABEL), c.position));
            let removed = table
                .removed
                .iter()
                .map(|c| format!("`-` {} at {}", code(&c.name, LABEL), c.position));
            let renamed = table.renamed.iter().map(|r| {
                let why = match r.evidence {
                    RenameEvidence::SamePosition => "same position and sources",
                    RenameEvidence::SimilarName => "similar name",
                };
                format!(
                    "`~` {} → {}? (renamed: {why})",
                    code(&r.from, LABEL),
                    code(&r.to, LABEL)
                )
            });
            let retyped = table.retyped.iter().map(|r| {
                format!(
                    "`~` {}: {} → {}",
                    code(&r.column, LABEL),
                    code(&r.before, LABEL),
                    code(&r.after, LABEL)
                )
            });
            let items: Vec<String> = added.chain(removed).chain(renamed).chain(retyped).collect();
            for item in items.iter().take(ITEMS_PER_CHANGE) {
                let _ = write!(row, "<br>{item}");
            }
            if items.len() > ITEMS_PER_CHANGE {
                let _ = write!(row, "<br>… and {} more", items.len() - ITEMS_PER_CHANGE);
            }
            if let Some(order) = &table.reordered {
                let _ = write!(
                    row,
                    "<br>`~` order: {} → {}",
                    code(&order.before.join(", "), LABEL * 4),
                    code(&order.after.join(", "), LABEL * 4)
                );
            }
            row.push('\n');
            row
        })
        .collect();
    rows.extend(changes.external.iter().map(|change| {
        format!(
            "- for external consumers (nothing in the repository reads it): {}\n",
            what(change)
        )
    }));
    rows
}

/// The column breaking changes alone, as a warning block within `budget` bytes: the
/// head of a plan that could not be computed.
pub(crate) fn breaking_block(changes: &[ColumnBreakingChange], budget: usize) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "> [!WARNING]\n> **{}**: columns that the head revision still reads are removed, renamed, retyped or reordered.\n>\n",
        crate::words::plural(changes.len(), "breaking change")
    );
    let mut left_out = 0;
    for text in breaking_rows(changes) {
        if left_out == 0 && out.len() + text.len() + 100 <= budget {
            out.push_str(&text);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        let _ = writeln!(out, ">\n> … and {left_out} more.");
    }
    out.push('\n');
    out
}
