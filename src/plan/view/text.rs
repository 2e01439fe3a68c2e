//! The terminal view of a plan, like `terraform plan`: `+` added, `-` removed, `~`
//! changed, `!` breaking, then the rendered diffs and a summary line at the end.

use std::fmt::Write as _;

use super::counts;
use crate::plan::types::{
    Change, ColumnAt, ColumnBreakingChange, ColumnBreakingKind, DdlChangeKind, Delta, Plan, ReadKind, RenameEvidence,
    Status,
};
use crate::words::plural;

/// Lists are wrapped at this width.
const WIDTH: usize = 100;

/// The plan as text for a terminal.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "flowc plan: environment `{}` of project `{}`, {} → {}",
        plan.environment,
        plan.project,
        plan.base.label(),
        plan.head.label()
    );
    for note in &plan.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "\nNo changes: both revisions render the same `{}`.",
            plan.environment
        );
        return out;
    }
    breaking(&mut out, plan);
    columns(&mut out, plan);
    ddl(&mut out, plan);
    access(&mut out, plan);
    quality(&mut out, plan);
    flows(&mut out, plan);
    tasks(&mut out, plan);
    writers(&mut out, plan);
    impact(&mut out, plan);
    files(&mut out, plan);
    let _ = writeln!(out, "\nPlan: {}.", plan.summary.describe());
    out
}

fn breaking(out: &mut String, plan: &Plan) {
    if plan.breaking_count() == 0 {
        return;
    }
    out.push_str("\nBreaking changes:\n");
    column_breaking(out, &plan.columns.breaking);
    for breaking in &plan.breaking {
        let _ = writeln!(
            out,
            "  ! {} is no longer written (was written by {}), but is still read by:",
            breaking.table, breaking.writer
        );
        wrap(out, "      ", &breaking.readers);
        if let Some(new) = &breaking.renamed_to {
            let _ = writeln!(out, "      renamed to {new}? point its readers at the new name");
        }
    }
}

/// Column breaking changes, each with every read: `  ! dws.t.c removed, but is still
/// read at:` and a `path:line (task)` line per read.
pub fn column_breaking(out: &mut String, changes: &[ColumnBreakingChange]) {
    for change in changes {
        let how = if change.kind == ColumnBreakingKind::Reordered {
            "read by position at"
        } else {
            "still read at"
        };
        let _ = writeln!(out, "  ! {}, but is {how}:", change.describe());
        for reader in &change.readers {
            let _ = writeln!(
                out,
                "      {} ({}{})",
                reader.location(),
                reader.task,
                read_kind(reader.how)
            );
        }
    }
}

/// ``, `, by `*``, `, sync`.
fn read_kind(how: ReadKind) -> &'static str {
    match how {
        ReadKind::Name => "",
        ReadKind::Wildcard => ", by `*`",
        ReadKind::Sync => ", sync by column index",
    }
}

fn columns(out: &mut String, plan: &Plan) {
    let changes = &plan.columns;
    if changes.is_empty() {
        return;
    }
    out.push_str("\nColumns:\n");
    for table in &changes.tables {
        let writer = table
            .writer
            .as_ref()
            .map(|w| format!(" (written by {w})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  ~ {}{writer}", table.table);
        for column in &table.added {
            let _ = writeln!(out, "      + {}{}", column.name, at(column));
        }
        for column in &table.removed {
            let _ = writeln!(out, "      - {}{}", column.name, at(column));
        }
        for rename in &table.renamed {
            let why = match rename.evidence {
                RenameEvidence::SamePosition => "same position and sources",
                RenameEvidence::SimilarName => "similar name",
            };
            let _ = writeln!(out, "      ~ {} → {}? (renamed: {why})", rename.from, rename.to);
        }
        for retype in &table.retyped {
            let _ = writeln!(out, "      ~ {}: {} → {}", retype.column, retype.before, retype.after);
        }
        if let Some(order) = &table.reordered {
            let _ = writeln!(out, "      ~ order: {}", order.before.join(", "));
            let _ = writeln!(out, "           → {}", order.after.join(", "));
        }
    }
    if !changes.external.is_empty() {
        out.push_str("  for external consumers (nothing in the repository reads these tables):\n");
        for change in &changes.external {
            let _ = writeln!(out, "      ? {}", change.describe());
        }
    }
}

/// The table DDL the change needs: statements to run, or why there are none.
fn ddl(out: &mut String, plan: &Plan) {
    if plan.ddl.is_empty() {
        return;
    }
    out.push_str("\nTable DDL:\n");
    for change in &plan.ddl {
        let (mark, what) = match change.kind {
            DdlChangeKind::Create => ('+', "new table"),
            DdlChangeKind::AddColumns => ('~', "columns added after the last one"),
            DdlChangeKind::Comments => ('~', "comments changed"),
            DdlChangeKind::NotInPlace => ('!', "cannot be applied in place"),
            DdlChangeKind::NoLongerCreated => ('-', "no longer created"),
        };
        let _ = writeln!(out, "  {mark} {}: {what}", change.table);
        for reason in &change.reasons {
            let _ = writeln!(out, "      - {reason}");
        }
        if let Some(action) = &change.action {
            let _ = writeln!(out, "      do: {action}");
        }
        for statement in &change.statements {
            for line in statement.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
}

/// ` bigint, position 3`.
fn at(column: &ColumnAt) -> String {
    match &column.data_type {
        Some(data_type) => format!(" {data_type}, position {}", column.position),
        None => format!(", position {}", column.position),
    }
}

fn access(out: &mut String, plan: &Plan) {
    if plan.access.is_empty() {
        return;
    }
    out.push_str("\nAccess changes:\n");
    for change in &plan.access {
        let loosened = if change.loosened {
            " (loosened: review who gains access)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {} {}{loosened}", change.status.marker(), change.subject);
        for line in &change.removed {
            let _ = writeln!(out, "      - {line}");
        }
        for line in &change.added {
            let _ = writeln!(out, "      + {line}");
        }
    }
}

fn quality(out: &mut String, plan: &Plan) {
    if plan.quality.is_empty() {
        return;
    }
    out.push_str("\nQuality rules:\n");
    for change in &plan.quality {
        let loosened = if change.is_loosened() { " — loosened" } else { "" };
        let _ = writeln!(
            out,
            "  {} {} ({} on {}, {}, after {}){loosened}",
            change.status.marker(),
            change.rule,
            change.check,
            change.table,
            change.severity,
            change.task
        );
        for part in &change.changes {
            let _ = writeln!(out, "      {}", describe(&part.field, &part.delta));
        }
        for reason in &change.loosened {
            let _ = writeln!(out, "      loosened: {reason}");
        }
    }
}

fn flows(out: &mut String, plan: &Plan) {
    if plan.flows.is_empty() {
        return;
    }
    out.push_str("\nFlows:\n");
    for flow in &plan.flows {
        let _ = writeln!(out, "  {} {} (DAG {})", flow.status.marker(), flow.flow, flow.dag_id);
        changes(out, &flow.changes);
    }
}

fn tasks(out: &mut String, plan: &Plan) {
    if plan.tasks.is_empty() {
        return;
    }
    out.push_str("\nTasks:\n");
    for task in &plan.tasks {
        let note = if task.status == Status::Changed && !task.affects_data {
            ", scheduling only"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} {} ({}{note})",
            task.status.marker(),
            task.task,
            task.task_type
        );
        changes(out, &task.changes);
    }
}

fn writers(out: &mut String, plan: &Plan) {
    if plan.writers.is_empty() {
        return;
    }
    out.push_str("\nTables whose writer changed:\n");
    for writer in &plan.writers {
        let (marker, text) = match (&writer.before, &writer.after) {
            (None, Some(after)) => ('+', format!("written by {after}")),
            (Some(before), None) => ('-', format!("no longer written (was {before})")),
            (Some(before), Some(after)) => ('~', format!("{before} → {after}")),
            (None, None) => continue,
        };
        let _ = writeln!(out, "  {marker} {}: {text}", writer.table);
    }
}

fn impact(out: &mut String, plan: &Plan) {
    if plan.impact.is_empty() {
        return;
    }
    out.push_str("\nDownstream impact:\n");
    for impact in &plan.impact {
        let writes = if impact.writes.is_empty() {
            String::new()
        } else {
            format!(", writes {}", impact.writes.join(", "))
        };
        let _ = writeln!(
            out,
            "  {} {} ({}{writes})",
            impact.status.marker(),
            impact.task,
            impact.status.as_str()
        );
        if impact.downstream_tasks.is_empty() {
            out.push_str("      nothing downstream\n");
            continue;
        }
        let _ = writeln!(
            out,
            "      {} downstream:",
            plural(impact.downstream_tasks.len(), "task")
        );
        wrap(out, "        ", &impact.downstream_tasks);
        if !impact.downstream_tables.is_empty() {
            let _ = writeln!(
                out,
                "      {} downstream:",
                plural(impact.downstream_tables.len(), "table")
            );
            wrap(out, "        ", &impact.downstream_tables);
        }
    }
    if !plan.indirectly_affected.is_empty() {
        let _ = writeln!(
            out,
            "  {} indirectly affected in all:",
            plural(plan.indirectly_affected.len(), "task")
        );
        wrap(out, "      ", &plan.indirectly_affected);
    }
}

fn files(out: &mut String, plan: &Plan) {
    if plan.files.is_empty() {
        return;
    }
    out.push_str("\nRendered files:\n");
    for file in &plan.files {
        let _ = writeln!(out, "  {} {}{}", file.status.marker(), file.path, counts(file));
    }
    if plan.manifest_changed {
        out.push_str("  ~ manifest.json (its changes are listed above)\n");
    }
    for file in &plan.files {
        if let Some(diff) = &file.diff {
            out.push('\n');
            out.push_str(diff);
        }
        if file.cut_lines > 0 {
            let _ = writeln!(
                out,
                "… {} of the diff of {} not shown",
                plural(file.cut_lines, "line"),
                file.path
            );
        }
    }
}

fn changes(out: &mut String, changes: &[Change]) {
    for change in changes {
        let _ = writeln!(out, "      {}", describe(&change.field, &change.delta));
    }
}

/// One change as text: `priority: important → core`, `reads: +a -b`.
pub(crate) fn describe(field: &str, delta: &Delta) -> String {
    match delta {
        Delta::Value { before, after } => format!("{field}: {before} → {after}"),
        Delta::Set { added, removed } => {
            let items: Vec<String> = added
                .iter()
                .map(|a| format!("+{a}"))
                .chain(removed.iter().map(|r| format!("-{r}")))
                .collect();
            format!("{field}: {}", items.join(" "))
        }
        Delta::Content { file, before, after } => {
            format!("{field}: {file} changed ({before} → {after})")
        }
    }
}

/// Writes `items`, comma-separated, on lines of at most [`WIDTH`] columns.
fn wrap(out: &mut String, indent: &str, items: &[String]) {
    let mut line = String::from(indent);
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if line.len() > indent.len() && line.len() + 1 + piece.len() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
}
