//! The pull-request view of a plan: GitHub-flavoured markdown that stays under
//! GitHub's 65,536-character limit for comments and pull-request bodies.
//!
//! The first line is a hidden marker, `<!-- flowc:plan env=<env> -->`, by which
//! `flowc comment` finds its own comment again. Then the summary, breaking changes in
//! a warning block, flows, tasks, writers, downstream impact, and last the rendered
//! diffs in collapsible `<details>` blocks. The bound holds by construction: every
//! piece goes through one [`Writer`] that refuses what would not fit, keeping room for
//! the closing note, and a piece is either written whole (fences and `<details>`
//! closed) or not at all. What did not fit is counted and the note says how to see it.

use std::fmt::Write as _;

use super::budget::{Cut, Writer, fair_share};
use super::types::{Change, Delta, FileDiff, Plan, QualityChange, Status};

/// GitHub's limit for a comment or pull-request body, in characters.
pub const GITHUB_LIMIT: usize = 65_536;

/// What [`render`] stays within, in bytes (so in characters too), leaving a margin.
pub const DEFAULT_BUDGET: usize = 65_000;

/// Room kept for the closing note.
pub(crate) const TAIL: usize = 1_500;

/// Room kept inside a section for its "… and N more" line.
const MORE: usize = 200;

/// Lines of one file's diff shown at most.
const LINES_PER_FILE: usize = 300;

/// Names listed per downstream list at most.
const NAMES_PER_LIST: usize = 100;

/// Readers listed per breaking change at most.
const READERS_PER_LIST: usize = 20;

/// Items of one changed set shown at most.
const ITEMS_PER_CHANGE: usize = 10;

/// Characters of one table cell, roughly (a cell holds at least one change).
const CELL: usize = 1_000;

/// Characters of a revision label at most.
const LABEL: usize = 100;

/// The hidden first line that marks flowc's plan for `environment`.
pub fn marker(environment: &str) -> String {
    format!("<!-- flowc:plan env={} -->", marker_safe(environment))
}

/// The plan as markdown within [`DEFAULT_BUDGET`] bytes.
pub fn render(plan: &Plan) -> String {
    render_within(plan, DEFAULT_BUDGET)
}

/// The plan as markdown within `budget` bytes (at least a few kilobytes are needed for
/// anything beyond the summary).
pub fn render_within(plan: &Plan, budget: usize) -> String {
    let mut w = Writer::new(budget);
    let mut cut = Cut::default();
    w.force(&format!("{}\n", marker(&plan.environment)));
    w.force(&format!(
        "## flowc plan: `{}`\n\n{} → {} · project {}\n\n",
        code_text(&plan.environment, LABEL),
        code(&plan.base.label(), LABEL),
        code(&plan.head.label(), LABEL),
        code(&plan.project, LABEL),
    ));
    for note in &plan.notes {
        w.force(&format!("> [!NOTE]\n> {}\n\n", one_line(note, CELL)));
    }
    if plan.is_empty() {
        w.force(&format!(
            "**No changes**: both revisions render the same {}.\n",
            code(&plan.environment, LABEL)
        ));
        return w.finish();
    }
    summary(&mut w, plan);
    let sections: Vec<Section<'_>> = [
        breaking(plan),
        access(plan),
        quality(plan),
        flows(plan),
        tasks(plan),
        writers(plan),
        impact(plan),
        files(plan),
    ]
    .into_iter()
    .filter(|s| !s.rows.is_empty())
    .collect();
    // Each section gets a fair share of what is left: all it needs if that is less
    // than an equal split, so one long list cannot crowd out the others.
    let needs: Vec<usize> = sections.iter().map(Section::need).collect();
    for (i, section) in sections.iter().enumerate() {
        let share = fair_share(&needs[i..], w.room(0));
        w.limit = w.out.len() + share;
        write_section(&mut w, &mut cut, section);
        w.limit = usize::MAX;
    }
    tail(&mut w, plan, &cut);
    w.finish()
}

/// A part of the plan after the summary: a title, maybe a table header, and rows
/// that are shown while they fit.
struct Section<'a> {
    /// `### Tasks` and any text under it.
    title: String,
    /// The header of the table the rows belong to, or empty.
    header: &'static str,
    rows: Vec<Row<'a>>,
}

/// One row of a section.
enum Row<'a> {
    /// Shown whole or not at all.
    Text(String),
    /// A file's diff: shown whole, cut to what fits, or as its name only.
    File(&'a FileDiff),
}

impl Section<'_> {
    /// Bytes needed to show everything.
    fn need(&self) -> usize {
        let rows: usize = self
            .rows
            .iter()
            .map(|row| match row {
                Row::Text(text) => text.len(),
                Row::File(file) => file.diff.as_ref().map_or(0, String::len) + 300,
            })
            .sum();
        // With the room rows keep for the "… and N more" line.
        self.title.len() + self.header.len() + rows + 1 + MORE
    }
}

/// Writes the rows of a section that fit in its share; the title and header go with
/// the first row shown, and a line says how many rows were left out.
fn write_section(w: &mut Writer, cut: &mut Cut, section: &Section<'_>) {
    let intro = format!("{}{}", section.title, section.header);
    let mut started = false;
    let mut left_out = 0;
    for row in &section.rows {
        let prefix = if started { "" } else { intro.as_str() };
        let text = match row {
            Row::Text(text) => Some(text.clone()).filter(|t| prefix.len() + t.len() <= w.room(MORE)),
            Row::File(file) => file_block(w.room(MORE).saturating_sub(prefix.len()), cut, file),
        };
        match text {
            Some(text) if w.push(&format!("{prefix}{text}"), MORE) => started = true,
            _ => {
                left_out += 1;
                if let Row::File(file) = row {
                    cut.files += 1;
                    cut.lines += file.diff_lines;
                }
            }
        }
    }
    if matches!(section.rows.first(), Some(Row::Text(_))) {
        cut.items += left_out;
    }
    let ending = match (started, left_out) {
        (true, 0) => "\n".to_owned(),
        (true, n) => format!("\n_… and {n} more not shown here._\n\n"),
        (false, n) => format!("{}_{n} not shown here._\n\n", section.title),
    };
    // Short and kept room for: fits in the body even when the share is spent.
    w.limit = usize::MAX;
    w.push(&ending, 0);
}

fn summary(w: &mut Writer, plan: &Plan) {
    let s = &plan.summary;
    w.force(&format!("**Plan:** {}.\n\n", s.describe()));
    w.force("| | added | removed | changed |\n|:--|--:|--:|--:|\n");
    w.force(&format!(
        "| flows | {} | {} | {} |\n| tasks | {} | {} | {} |\n| rendered files | {} | {} | {} |\n\n",
        s.flows_added,
        s.flows_removed,
        s.flows_changed,
        s.tasks_added,
        s.tasks_removed,
        s.tasks_changed,
        s.files_added,
        s.files_removed,
        s.files_changed
    ));
    w.force(&format!(
        "Indirectly affected tasks: **{}** · tables with a new writer: **{}** · breaking changes: **{}**\n\n",
        s.tasks_indirectly_affected, s.writers_changed, s.breaking_changes
    ));
}

fn breaking(plan: &Plan) -> Section<'_> {
    let rows = plan
        .breaking
        .iter()
        .map(|b| {
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
        })
        .collect();
    Section {
        title: format!(
            "> [!WARNING]\n> **{}**: tables the head revision still reads are removed or renamed.\n>\n",
            count(plan.breaking.len(), "breaking change", "breaking changes")
        ),
        header: "",
        rows,
    }
}

fn access(plan: &Plan) -> Section<'_> {
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

fn quality(plan: &Plan) -> Section<'_> {
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

fn flows(plan: &Plan) -> Section<'_> {
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

fn tasks(plan: &Plan) -> Section<'_> {
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

fn writers(plan: &Plan) -> Section<'_> {
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

fn impact(plan: &Plan) -> Section<'_> {
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
                count(i.downstream_tasks.len(), "task", "tasks"),
                count(i.downstream_tables.len(), "table", "tables"),
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
            count(indirect, "task", "tasks"),
        ),
        header: "",
        rows,
    }
}

fn files(plan: &Plan) -> Section<'_> {
    let manifest = if plan.manifest_changed {
        " `manifest.json` changed too; its changes are the lists above."
    } else {
        ""
    };
    Section {
        title: format!(
            "### Rendered files\n\n{}.{manifest}\n\n",
            count(plan.files.len(), "file differs", "files differ")
        ),
        header: "",
        rows: plan.files.iter().map(Row::File).collect(),
    }
}

/// One file's diff within `room` bytes: whole, cut to what fits, or just its name;
/// `None` when not even the name fits. Lines cut are counted.
fn file_block(room: usize, cut: &mut Cut, file: &FileDiff) -> Option<String> {
    let title = format!(
        "<code>{} {}</code>{}",
        file.status.marker(),
        html(&file.path),
        super::text::counts(file)
    );
    let name_only = |why: &str| Some(format!("- {title}: {why}\n\n")).filter(|t| t.len() <= room);
    let Some(diff) = &file.diff else {
        let line = name_only(if file.binary { "binary" } else { "diff not shown" })?;
        if file.diff_lines > 0 {
            cut.files += 1;
            cut.lines += file.diff_lines;
        }
        return Some(line);
    };
    let lines: Vec<&str> = diff.lines().collect();
    let fence = fence_for(diff);
    let open = format!("<details><summary>{title}</summary>\n\n{fence}diff\n");
    let close = format!("{fence}\n\n</details>\n\n");
    // Room for the note on lines not shown, too.
    let room_for_lines = room.saturating_sub(open.len() + close.len() + 100);
    let mut used = 0;
    let mut shown = 0;
    for line in lines.iter().take(LINES_PER_FILE) {
        if used + line.len() + 1 > room_for_lines {
            break;
        }
        used += line.len() + 1;
        shown += 1;
    }
    let not_shown = lines.len() - shown + file.cut_lines;
    // A diff cut to a handful of lines says nothing: name the file instead.
    if shown == 0 || (not_shown > 0 && shown < 5) {
        let line = name_only("diff not shown")?;
        cut.files += 1;
        cut.lines += file.diff_lines;
        return Some(line);
    }
    let mut block = open;
    for line in &lines[..shown] {
        block.push_str(line);
        block.push('\n');
    }
    block.push_str(&close);
    if not_shown > 0 {
        cut.files += 1;
        cut.lines += not_shown;
        let _ = write!(
            block,
            "<sub>… {} of this diff not shown.</sub>\n\n",
            count(not_shown, "line", "lines")
        );
    }
    Some(block)
}

fn tail(w: &mut Writer, plan: &Plan, cut: &Cut) {
    if cut.items == 0 && cut.files == 0 {
        return;
    }
    let mut note = String::from("---\n> [!NOTE]\n> This plan was shortened to fit in a GitHub comment:");
    if cut.items > 0 {
        let _ = write!(note, " {} not listed;", count(cut.items, "row", "rows"));
    }
    if cut.files > 0 {
        let _ = write!(
            note,
            " {} cut from {};",
            count(cut.lines, "diff line", "diff lines"),
            count(cut.files, "file", "files")
        );
    }
    let command = command(plan);
    let _ = writeln!(note, " run `{command}` to see all of it.");
    w.force(&note);
}

/// The command that shows the whole plan locally.
fn command(plan: &Plan) -> String {
    let revision = |name: &Option<String>| name.as_deref().map(|n| shell_word(n, LABEL));
    let mut command = String::from("flowc plan");
    if let Some(base) = revision(&plan.base.name) {
        let _ = write!(command, " --base {base}");
    }
    if let Some(head) = revision(&plan.head.name) {
        let _ = write!(command, " --head {head}");
    }
    let _ = write!(command, " --env {} --format text", shell_word(&plan.environment, LABEL));
    command
}

/// A word safe in the inline code of the note: quoted unless plain.
fn shell_word(text: &str, max: usize) -> String {
    let text: String = text
        .chars()
        .take(max)
        .filter(|c| *c != '`' && !c.is_control())
        .collect();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '~' | '^' | ':' | '@'))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
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

/// `1 task`, `2 tasks`.
fn count(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// Inline code of a name, safe in a table cell.
fn code(text: &str, max: usize) -> String {
    format!("`{}`", code_text(text, max))
}

/// The text of inline code: no backticks, pipes escaped, one line, at most `max`
/// characters.
fn code_text(text: &str, max: usize) -> String {
    escape_cell(&one_line(&text.replace('`', "'"), max))
}

/// One line of at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        let mut cut: String = flat.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

/// `|` escaped, for a table cell.
fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Text safe inside HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// The environment name in the marker: no `-->` or line breaks.
fn marker_safe(environment: &str) -> String {
    environment
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .take(LABEL)
        .collect()
}
