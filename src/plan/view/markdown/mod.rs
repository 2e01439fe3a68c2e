//! The pull-request view of a plan: GitHub-flavoured markdown that stays under
//! GitHub's 65,536-character limit for comments and pull-request bodies.
//!
//! The first line is a hidden marker, `<!-- flowc:plan env=<env> -->`, by which
//! `flowc comment` finds its own comment again. Then the summary, breaking changes in
//! a warning block (column ones first, each read as `path:line`), column changes per
//! table, the table DDL the change needs, flows, tasks, writers, the impact diagram (a
//! Mermaid flowchart, `diagram.rs`), downstream impact, and last the rendered
//! diffs in collapsible `<details>` blocks. The bound holds by construction: every
//! piece goes through one `Writer` (`budget.rs`) that refuses what would not fit,
//! keeping room for the closing note, and a piece is either written whole (fences and
//! `<details>` closed) or not at all. What did not fit is counted and the note says
//! how to see it.

mod budget;
mod columns;
mod ddl;
mod diagram;
mod escape;
mod sections;

use std::fmt::Write as _;

use budget::{Cut, Writer, fair_share};
use escape::{code, code_text, fence_for, html, marker_safe, one_line, shell_word};
use sections::{Row, Section};

use super::counts;
use crate::plan::types::{FileDiff, Plan};
use crate::words::plural;

/// GitHub's limit for a comment or pull-request body, in characters.
pub const GITHUB_LIMIT: usize = 65_536;

/// What [`render`] stays within, in bytes (so in characters too), leaving a margin.
pub const DEFAULT_BUDGET: usize = 65_000;

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

pub(crate) use columns::breaking_block;

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
        sections::breaking(plan, columns::breaking_rows(&plan.columns.breaking)),
        Section {
            title: "### Columns\n\n".to_owned(),
            header: "",
            rows: columns::column_rows(plan).into_iter().map(Row::Text).collect(),
        },
        ddl::section(plan),
        sections::access(plan),
        sections::quality(plan),
        sections::flows(plan),
        sections::tasks(plan),
        sections::writers(plan),
        sections::diagram(plan),
        sections::impact(plan),
        sections::files(plan),
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
            Row::Diagram(blocks) => blocks
                .iter()
                .find(|block| prefix.len() + block.len() <= w.room(MORE))
                .cloned(),
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
    if matches!(section.rows.first(), Some(Row::Text(_) | Row::Diagram(_))) {
        cut.items += left_out;
    }
    let diagram = matches!(section.rows.first(), Some(Row::Diagram(_)));
    let ending = match (started, left_out) {
        (true, 0) => "\n".to_owned(),
        (true, n) => format!("\n_… and {n} more not shown here._\n\n"),
        (false, _) if diagram => format!("{}_The diagram does not fit in this comment._\n\n", section.title),
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
        "Indirectly affected tasks: **{}** · tables with a new writer: **{}** · tables with column changes: **{}** · breaking changes: **{}**\n\n",
        s.tasks_indirectly_affected, s.writers_changed, s.tables_with_column_changes, s.breaking_changes
    ));
}

/// One file's diff within `room` bytes: whole, cut to what fits, or just its name;
/// `None` when not even the name fits. Lines cut are counted.
fn file_block(room: usize, cut: &mut Cut, file: &FileDiff) -> Option<String> {
    let title = format!(
        "<code>{} {}</code>{}",
        file.status.marker(),
        html(&file.path),
        counts(file)
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
            plural(not_shown, "line")
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
        let _ = write!(note, " {} not listed;", plural(cut.items, "row"));
    }
    if cut.files > 0 {
        let _ = write!(
            note,
            " {} cut from {};",
            plural(cut.lines, "diff line"),
            plural(cut.files, "file")
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
