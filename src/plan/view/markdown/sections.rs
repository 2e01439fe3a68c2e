//! The sections of the markdown view after the summary, one builder each: breaking
//! changes (column ones from `columns.rs`), access, data quality, flows, tasks, writers,
//! the impact diagram (drawn by `diagram.rs`), downstream impact and rendered files. A section is its title and rows; [`super::render_within`] decides how many
//! rows fit.

use std::fmt::Write as _;

use super::diagram;
use super::escape::{code, code_text, escape_cell, html, one_line};
use super::{CELL, ITEMS_PER_CHANGE, LABEL, MORE, NAMES_PER_LIST, READERS_PER_LIST};
use crate::plan::types::{Change, Delta, FileDiff, Plan, QualityChange, Status};
use crate::words::plural;

/// A part of the plan after the summary: a title, maybe a table header, and rows
/// that are shown while they fit.
pub(super) struct Section<'a> {
    /// `### Tasks` and any text under it.
    pub(super) title: String,
    /// The header of the table the rows belong to, or empty.
    pub(super) header: &'static str,
    pub(super) rows: Vec<Row<'a>>,
}

/// One row of a section.
pub(super) enum Row<'a> {
    /// Shown whole or not at all.
    Text(String),
    /// A file's diff: shown whole, cut to what fits, or as its name only.
    File(&'a FileDiff),
    /// The impact diagram, drawn smaller and smaller: the first that fits is shown.
    Diagram(Vec<String>),
}

impl Section<'_> {
    /// Bytes needed to show everything.
    pub(super) fn need(&self) -> usize {
        let rows: usize = self
            .rows
            .iter()
            .map(|row| match row {
                Row::Text(text) => text.len(),
                Row::File(file) => file.diff.as_ref().map_or(0, String::len) + 300,
                Row::Diagram(blocks) => blocks.first().map_or(0, String::len),
            })
            .sum();
        // With the room rows keep for the "… and N more" line.
        self.title.len() + self.header.len() + rows + 1 + MORE
    }
}

/// Breaking changes: `column_rows` (the column ones) first, then the table ones.
pub(super) fn breaking(plan: &Plan, column_rows: Vec<String>) -> Section<'_> {
    let mut rows: Vec<Row<'_>> = column_rows.into_iter().map(Row::Text).collect();
    rows.extend(plan.breaking.iter().map(|b| {
        let mut row = format!(
            "> - {} (written by {} in base) is no longer written, but is still read by {}",
            code(&b.table, LABEL),
            code(&b.writer, LABEL),
            names(&b.readers, READERS_PER_LIST)
        );
        if let Some(new) = &b.renamed_to {
            let _ = write!(row, " — renamed to {}? point its readers at it", code(new, LABEL));
        }
        row.push('\n');
        Row::Text(row)
    }));
    let what = match (plan.columns.breaking.is_empty(), plan.breaking.is_empty()) {
        (false, true) => "columns the head revision still reads are removed, renamed, retyped or reordered",
        (true, false) => "tables the head revision still reads are removed or renamed",
        _ => "tables or columns the head revision still reads are removed or changed",
    };
    Section {
        title: format!(
            "> [!WARNING]\n> **{}**: {what}.\n>\n",
            plural(plan.breaking_count(), "breaking change")
        ),
        header: "",
        rows,
    }
}

pub(super) fn access(plan: &Plan) -> Section<'_> {
    let rows = plan
        .access
        .iter()
        .map(|change| {
            let mut row = format!(
                "- `{}` {}{}",
                change.status.marker(),
                code(&change.subject, LABEL),
                if change.loosened { " — **loosened**" } else { "" }
            );
            for line in &change.removed {
                let _ = write!(row, "<br>`-` {}", code(line, LABEL));
            }
            for line in &change.added {
                let _ = write!(row, "<br>`+` {}", code(line, LABEL));
            }
            row.push('\n');
            Row::Text(row)
        })
        .collect();
    let title = if plan.access.iter().any(|c| c.loosened) {
        "### Access\n\n> [!IMPORTANT]\n> This change gives some team access to more tables: the owners of those tables should review it.\n\n"
    } else {
        "### Access\n\n"
    };
    Section {
        title: title.to_owned(),
        header: "",
        rows,
    }
}

pub(super) fn quality(plan: &Plan) -> Section<'_> {
    let rows = plan
        .quality
        .iter()
        .map(|change| {
            let mut row = format!(
                "- `{}` {} ({} on {}, {}, after {}){}",
                change.status.marker(),
                code(&change.rule, LABEL),
                code(&change.check, LABEL),
                code(&change.table, LABEL),
                code(&change.severity, LABEL),
                code(&change.task, LABEL),
                if change.is_loosened() { " — **loosened**" } else { "" }
            );
            for part in &change.changes {
                let _ = write!(row, "<br>{}", describe(&part.field, &part.delta));
            }
            for reason in &change.loosened {
                let _ = write!(row, "<br>⚠️ {}", escape_cell(&html(&one_line(reason, CELL))));
            }
            row.push('\n');
            Row::Text(row)
        })
        .collect();
    let title = if plan.quality.iter().any(QualityChange::is_loosened) {
        "### Data quality\n\n> [!WARNING]\n> This change loosens data quality rules: more data gets through without failing or stopping what runs after it. The owning team should confirm it.\n\n"
    } else {
        "### Data quality\n\n"
    };
    Section {
        title: title.to_owned(),
        header: "",
        rows,
    }
}

pub(super) fn flows(plan: &Plan) -> Section<'_> {
    let rows = plan
        .flows
        .iter()
        .map(|f| {
            Row::Text(format!(
                "| `{}` | {} | {} | {} |\n",
                f.status.marker(),
                code(&f.flow, LABEL),
                code(&f.dag_id, LABEL),
                cell(&f.changes, f.status)
            ))
        })
        .collect();
    Section {
        title: "### Flows\n\n".to_owned(),
        header: "| | flow | DAG | changes |\n|:-:|---|---|---|\n",
        rows,
    }
}

pub(super) fn tasks(plan: &Plan) -> Section<'_> {
    let rows = plan
        .tasks
        .iter()
        .map(|t| {
            let changes = if t.status == Status::Changed && !t.affects_data {
                format!("{} _(scheduling only)_", cell(&t.changes, t.status))
            } else {
                cell(&t.changes, t.status)
            };
            Row::Text(format!(
                "| `{}` | {} | {} | {changes} |\n",
                t.status.marker(),
                code(&t.task, LABEL),
                code_text(&t.task_type, LABEL),
            ))
        })
        .collect();
    Section {
        title: "### Tasks\n\n".to_owned(),
        header: "| | task | type | changes |\n|:-:|---|---|---|\n",
        rows,
    }
}

pub(super) fn writers(plan: &Plan) -> Section<'_> {
    let rows = plan
        .writers
        .iter()
        .map(|c| {
            let name = |t: &Option<String>| t.as_deref().map_or_else(|| "—".to_owned(), |t| code(t, LABEL));
            Row::Text(format!(
                "| {} | {} | {} |\n",
                code(&c.table, LABEL),
                name(&c.before),
                name(&c.after)
            ))
        })
        .collect();
    Section {
        title: "### Tables whose writer changed\n\n".to_owned(),
        header: "| table | writer in base | writer in head |\n|---|---|---|\n",
        rows,
    }
}

pub(super) fn impact(plan: &Plan) -> Section<'_> {
    let rows = plan
        .impact
        .iter()
        .map(|i| {
            let writes = if i.writes.is_empty() {
                String::new()
            } else {
                format!(", writes {}", names(&i.writes, NAMES_PER_LIST))
            };
            let mut row = format!("- **{}** ({}{writes})", code(&i.task, LABEL), i.status.as_str());
            if i.downstream_tasks.is_empty() {
                row.push_str(": nothing downstream\n");
                return Row::Text(row);
            }
            let _ = write!(
                row,
                " reaches {} and {}:\n  - tasks: {}\n",
                plural(i.downstream_tasks.len(), "task"),
                plural(i.downstream_tables.len(), "table"),
                names(&i.downstream_tasks, NAMES_PER_LIST)
            );
            if !i.downstream_tables.is_empty() {
                let _ = writeln!(row, "  - tables: {}", names(&i.downstream_tables, NAMES_PER_LIST));
            }
            Row::Text(row)
        })
        .collect();
    let indirect = plan.indirectly_affected.len();
    Section {
        title: format!(
            "### Downstream impact\n\nEverything downstream of a task whose output may change, across flows: {} indirectly affected.\n\n",
            plural(indirect, "task"),
        ),
        header: "",
        rows,
    }
}

/// The impact diagram ([`super::diagram`]) at each size it can be drawn, largest
/// first, so a small budget can still show a smaller one.
pub(super) fn diagram(plan: &Plan) -> Section<'_> {
    let mut blocks: Vec<String> = Vec::new();
    for limit in diagram::LIMITS {
        if let Some(block) = diagram::block(&plan.impact_graph, limit)
            && blocks.last() != Some(&block)
        {
            blocks.push(block);
        }
    }
    Section {
        title: "### Impact diagram\n\n".to_owned(),
        header: "",
        rows: if blocks.is_empty() {
            Vec::new()
        } else {
            vec![Row::Diagram(blocks)]
        },
    }
}

pub(super) fn files(plan: &Plan) -> Section<'_> {
    let manifest = if plan.manifest_changed {
        " `manifest.json` changed too; its changes are the lists above."
    } else {
        ""
    };
    let n = plan.files.len();
    let differ = if n == 1 { "differs" } else { "differ" };
    Section {
        title: format!("### Rendered files\n\n{} {differ}.{manifest}\n\n", plural(n, "file")),
        header: "",
        rows: plan.files.iter().map(Row::File).collect(),
    }
}

/// The changes of a flow or task, for one table cell.
fn cell(changes: &[Change], status: Status) -> String {
    if changes.is_empty() {
        return status.as_str().to_owned();
    }
    let mut out = String::new();
    let mut shown = 0;
    for part in changes.iter().map(|c| describe(&c.field, &c.delta)) {
        if shown > 0 && out.len() + part.len() > CELL {
            break;
        }
        if shown > 0 {
            out.push_str("<br>");
        }
        out.push_str(&part);
        shown += 1;
    }
    if shown < changes.len() {
        let _ = write!(out, "<br>… and {} more", changes.len() - shown);
    }
    out
}

/// One change, names and values in inline code: ``priority: `important` → `core` ``.
fn describe(field: &str, delta: &Delta) -> String {
    let field = escape_cell(field);
    match delta {
        Delta::Value { before, after } => {
            format!("{field}: {} → {}", code(before, LABEL), code(after, LABEL))
        }
        Delta::Set { added, removed } => {
            let mut items: Vec<String> = added
                .iter()
                .map(|a| format!("+{}", code(a, LABEL)))
                .chain(removed.iter().map(|r| format!("−{}", code(r, LABEL))))
                .collect();
            let total = items.len();
            if total > ITEMS_PER_CHANGE {
                items.truncate(ITEMS_PER_CHANGE);
                items.push(format!("and {} more", total - ITEMS_PER_CHANGE));
            }
            format!("{field}: {}", items.join(" "))
        }
        Delta::Content { file, .. } => format!("{field}: {} changed", code(file, LABEL)),
    }
}

/// `` `a`, `b` and 3 more``.
fn names(items: &[String], max: usize) -> String {
    let mut text: Vec<String> = items.iter().take(max).map(|i| code(i, LABEL)).collect();
    if items.len() > max {
        text.push(format!("and {} more", items.len() - max));
    }
    text.join(", ")
}
