//! The column part of a [`super::Plan`]: how the columns of each table differ between
//! the revisions, and which of those differences break a reader.

use serde::Serialize;

/// How the columns of the tables differ, and what that breaks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ColumnChanges {
    /// Tables in both revisions whose columns differ, by table.
    pub tables: Vec<TableColumns>,
    /// Column changes that something in the repository still reads, by table and
    /// column: each names the file and line of every read.
    pub breaking: Vec<ColumnBreakingChange>,
    /// Columns removed, renamed or retyped in tables that nothing in the repository
    /// reads: consumers outside it (reports, exports) may. A warning, not breaking.
    pub external: Vec<ColumnBreakingChange>,
}

impl ColumnChanges {
    /// Whether no column differs.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// The column differences of one table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableColumns {
    /// The table, as the repository names it.
    pub table: String,
    /// The task that writes it in the head revision (the base's when none does).
    pub writer: Option<String>,
    /// Columns only the head revision has (renames excepted).
    pub added: Vec<ColumnAt>,
    /// Columns only the base revision has (renames excepted).
    pub removed: Vec<ColumnAt>,
    /// A removed and an added column that are probably the same column renamed.
    pub renamed: Vec<ColumnRename>,
    /// Columns whose known type differs.
    pub retyped: Vec<ColumnRetype>,
    /// The columns of both revisions in their base and head order, when the order
    /// differs (renamed columns by their head name).
    pub reordered: Option<ColumnOrder>,
}

/// A column and where it sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnAt {
    /// The column, lower case.
    pub name: String,
    /// Its type, when known.
    pub data_type: Option<String>,
    /// Its position in the table, from 1 (partition columns last).
    pub position: usize,
}

/// Why a removed and an added column are taken for a rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameEvidence {
    /// Same position, same direct sources (the writer's lineage), no type difference.
    SamePosition,
    /// Similar names, no type difference.
    SimilarName,
}

/// A column renamed (a suggestion: the two revisions cannot say it for sure).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnRename {
    /// The base name.
    pub from: String,
    /// The head name.
    pub to: String,
    /// Its type, when known.
    pub data_type: Option<String>,
    /// Why it is taken for a rename.
    pub evidence: RenameEvidence,
}

/// A column whose type changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnRetype {
    /// The column.
    pub column: String,
    /// The base type.
    pub before: String,
    /// The head type.
    pub after: String,
}

/// A type before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeChange {
    /// The base type.
    pub before: String,
    /// The head type.
    pub after: String,
}

/// The order of the columns both revisions have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnOrder {
    /// In base order.
    pub before: Vec<String>,
    /// In head order.
    pub after: Vec<String>,
}

/// What happened to a column that is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnBreakingKind {
    /// The column is gone.
    Removed,
    /// The column is gone, probably renamed.
    Renamed,
    /// The column's type changed.
    Retyped,
    /// The table's columns changed order, and something reads it by position.
    Reordered,
}

impl ColumnBreakingKind {
    /// `removed`, `renamed`, `retyped` or `reordered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Removed => "removed",
            Self::Renamed => "renamed",
            Self::Retyped => "retyped",
            Self::Reordered => "reordered",
        }
    }
}

/// A column change and everything in the repository that reads what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnBreakingChange {
    /// What happened.
    pub kind: ColumnBreakingKind,
    /// The table.
    pub table: String,
    /// The column (its base name); `None` for a reordering.
    pub column: Option<String>,
    /// For a rename, the head name.
    pub renamed_to: Option<String>,
    /// For a retyping, the types.
    pub types: Option<TypeChange>,
    /// Every read, sorted by file and line; empty in [`ColumnChanges::external`].
    pub readers: Vec<ColumnReader>,
}

/// How a reader reads a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    /// By name, in SQL.
    Name,
    /// By position: a `*` whose columns a statement writes in order.
    Wildcard,
    /// By position: a sync task's hdfsreader reads the table's files by column index.
    Sync,
}

/// One place the repository reads a changed column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ColumnReader {
    /// The file, as the repository names it.
    pub path: String,
    /// The line, from 1.
    pub line: usize,
    /// The column of the line, from 1.
    pub col: usize,
    /// The reading task (`flow.task`).
    pub task: String,
    /// How it reads.
    pub how: ReadKind,
}

impl ColumnReader {
    /// `flows/reporting/top.sql:12`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

impl ColumnBreakingChange {
    /// `dws.t.c removed`, `dws.t.c renamed to d`, `dws.t.c retyped bigint → string`,
    /// `dws.t reordered`.
    pub fn describe(&self) -> String {
        let subject = match &self.column {
            Some(column) => format!("{}.{column}", self.table),
            None => self.table.clone(),
        };
        match (&self.renamed_to, &self.types) {
            (Some(to), _) => format!("{subject} renamed to {to}?"),
            (None, Some(types)) => format!("{subject} retyped {} → {}", types.before, types.after),
            (None, None) => format!("{subject} {}", self.kind.as_str()),
        }
    }
}
