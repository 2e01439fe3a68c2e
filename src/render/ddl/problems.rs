//! The problems of the DDL: a table whose column types cannot be known (R614), a
//! declaration that disagrees with the DataX job writing the table's files (R615).

use std::fmt::Write as _;

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::TableName;

/// A column of a table whose types are not all known.
#[derive(Clone, Debug)]
pub(super) struct Partly {
    /// Its name.
    pub(super) name: String,
    /// Its type, when known.
    pub(super) data_type: Option<String>,
    /// Where the query produces it.
    pub(super) span: Option<Span>,
}

/// A warehouse table whose column types flowc cannot know.
#[derive(Clone, Debug)]
pub(super) struct Untyped<'a> {
    /// The table, as the repository names it.
    pub(super) table: &'a TableName,
    /// Where its writer names it.
    pub(super) span: Option<Span>,
    /// The flow file its declaration belongs in (`flows/risk/flow.yaml`).
    pub(super) flow_file: String,
    /// Why, as a sentence: what the writer is.
    pub(super) why: String,
    /// The columns flowc knows of, types or not.
    pub(super) columns: Vec<Partly>,
    /// The partition columns flowc knows of.
    pub(super) partitions: Vec<Partly>,
}

impl Untyped<'_> {
    /// The names of the columns without a type (partition columns included).
    pub(super) fn unknown(&self) -> Vec<&str> {
        self.columns
            .iter()
            .chain(&self.partitions)
            .filter(|c| c.data_type.is_none())
            .map(|c| c.name.as_str())
            .collect()
    }

    /// R614, an error (`flowc compile` makes it a warning).
    pub(super) fn diagnostic(&self) -> Diagnostic {
        let unknown = self.unknown();
        let mut diagnostic = Diagnostic::error(
            Code::ColumnTypesUnknown,
            format!("the column types of `{}` are unknown", self.table),
        );
        if let Some(span) = self.span {
            diagnostic = diagnostic.at(span).with_label("written here");
        }
        diagnostic = diagnostic.with_note(self.why.clone());
        if !self.columns.is_empty() && !unknown.is_empty() {
            diagnostic = diagnostic.with_note(format!(
                "columns without a known type: {}",
                unknown.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        for column in self.columns.iter().filter(|c| c.data_type.is_none()) {
            if let Some(span) = column.span {
                diagnostic = diagnostic.with_secondary(span, format!("the type of `{}` is unknown", column.name));
            }
        }
        diagnostic.with_help(format!(
            "flowc writes DDL only for tables whose column types it knows; declare this one under `tables:` in {} (replace each `TODO`):\n{}",
            self.flow_file,
            self.declaration()
        ))
    }

    /// A declaration to paste under `tables:`, with what is known.
    fn declaration(&self) -> String {
        let mut out = format!("  - name: {}\n", self.table);
        if !self.partitions.is_empty() {
            let partitions: Vec<String> = self.partitions.iter().map(entry).collect();
            let _ = writeln!(out, "    partitioned_by:\n{}", partitions.join("\n"));
        }
        out.push_str("    columns:\n");
        if self.columns.is_empty() {
            out.push_str("      - {name: TODO, type: TODO}");
        } else {
            out.push_str(&self.columns.iter().map(entry).collect::<Vec<_>>().join("\n"));
        }
        out
    }
}

/// `      - {name: a, type: bigint}`; a name or type that is not plain YAML in a flow
/// mapping (`decimal(18,2)` has a comma) quoted.
fn entry(column: &Partly) -> String {
    let plain = |text: &str, also: &str| {
        text.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || also.contains(c))
    };
    let quoted = |text: &str, also: &str| {
        if plain(text, also) {
            text.to_owned()
        } else {
            serde_json::Value::String(text.to_owned()).to_string()
        }
    };
    format!(
        "      - {{name: {}, type: {}}}",
        quoted(&column.name, ""),
        column
            .data_type
            .as_deref()
            .map_or_else(|| "TODO".to_owned(), |t| quoted(t, "()"))
    )
}

/// What a declaration says differently from the DataX job writing the table.
#[derive(Clone, Debug)]
pub(super) struct Disagreement<'a> {
    /// The table, as the repository names it.
    pub(super) table: &'a TableName,
    /// Where the disagreeing declaration names it.
    pub(super) declared_at: Span,
    /// Where the sync task names its target.
    pub(super) written_at: Span,
    /// Where the declaration the job follows (the first) names the table.
    pub(super) followed_at: Span,
    /// The sync task.
    pub(super) task: String,
    /// What differs: `format`, `field delimiter` or `location`.
    pub(super) what: &'static str,
    /// The declaration's value.
    pub(super) declared: String,
    /// The DataX job's value.
    pub(super) written: String,
}

impl Disagreement<'_> {
    /// R615.
    pub(super) fn diagnostic(&self) -> Diagnostic {
        Diagnostic::error(
            Code::StorageMismatch,
            format!(
                "table `{}` is declared with {} {}, but the DataX job of task `{}` writes {}",
                self.table, self.what, self.declared, self.task, self.written
            ),
        )
        .at(self.declared_at)
        .with_label(format!("{} {}", self.what, self.declared))
        .with_secondary(self.written_at, format!("DataX writes {} here", self.written))
        .with_secondary(self.followed_at, "the declaration DataX and the DDL follow (the first)")
        .with_help(
            "a table has one storage: DataX writes it and the DDL creates it as its first declaration says, so a reader trusting this one would be wrong; declare the table once, or make every declaration agree",
        )
    }
}
