//! The "Table DDL" section of the markdown view: one row per table whose DDL the
//! change needs, with the statements to run or why none can be run.

use std::fmt::Write as _;

use super::escape::{code, fence_for, one_line};
use super::sections::{Row, Section};
use super::{CELL, LABEL};
use crate::plan::types::{DdlChange, DdlChangeKind, Plan};

/// The section; empty rows when no table's DDL changes.
pub(super) fn section(plan: &Plan) -> Section<'_> {
    Section {
        title: format!(
            "### Table DDL\n\nWhat `ddl.sql` of `{}` changes, as statements to run on the existing tables.\n\n",
            one_line(&plan.environment, LABEL).replace('`', "'")
        ),
        header: "",
        rows: plan.ddl.iter().map(|change| Row::Text(row(change))).collect(),
    }
}

fn row(change: &DdlChange) -> String {
    let table = code(&change.table, LABEL);
    let mut out = match change.kind {
        DdlChangeKind::Create => format!("- {table}: new table\n"),
        DdlChangeKind::AddColumns => format!("- {table}: columns added after the last one\n"),
        DdlChangeKind::Comments => format!("- {table}: comments changed\n"),
        DdlChangeKind::NotInPlace => format!("- :warning: {table}: **cannot be applied in place**\n"),
        DdlChangeKind::NoLongerCreated => format!("- {table}: no longer created\n"),
    };
    for reason in &change.reasons {
        let _ = writeln!(out, "  - {}", one_line(reason, CELL));
    }
    if let Some(action) = &change.action {
        let _ = writeln!(out, "\n  **Do:** {}", one_line(action, CELL));
    }
    if !change.statements.is_empty() {
        let text = change.statements.join("\n\n");
        let fence = fence_for(&text);
        let _ = write!(out, "\n{fence}sql\n{text}\n{fence}\n");
    }
    out.push('\n');
    out
}
