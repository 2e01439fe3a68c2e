//! Column lineage of one SQL file: which columns each written table gets, from which
//! columns they come, and which columns the file reads.
//!
//! Two steps, so that a repository can resolve its files in dependency order without
//! keeping any syntax tree:
//! 1. while a file is parsed, each statement's syntax tree is reduced to a
//!    [`ColumnPlan`]: relations, aliases, select items reduced to the column
//!    references they use, wildcards — independent of any schema;
//! 2. [`resolve`] reads a plan against the schemas known for the tables it reads
//!    ([`Schemas`]) and gives each target column its sources ([`FileColumns`]),
//!    expanding `*` and `t.*`, and reports unknown and ambiguous columns.
//!
//! Semantics are OpenLineage's: a target column's DIRECT sources are the columns
//! anywhere in its SELECT expression; the columns of WHERE, JOIN ON, GROUP BY,
//! HAVING, ORDER BY… are INDIRECT sources of every target column of the statement.

mod expr;
pub(super) mod extract;
mod lookup;
mod merge;
mod plan;
mod resolve;
mod scope;
mod state;
#[cfg(test)]
mod tests;
mod types;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Span};
use crate::model::TableName;

/// A column of a table: `db.table.column`. External tables (a sync task's source
/// system) are named `<connection>.<schema>.<table>`, as in
/// [`crate::graph::TaskIo::external_reads`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnName {
    /// The table, qualified as the table-level lineage qualifies it.
    pub table: TableName,
    /// The column, lower case, unquoted.
    pub column: String,
}

impl ColumnName {
    /// A column of `table`; the name is lower-cased.
    pub fn new(table: TableName, column: &str) -> Self {
        Self {
            table,
            column: column.to_lowercase(),
        }
    }
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.column)
    }
}

/// How a target column is made from its direct sources (OpenLineage's DIRECT
/// subtypes), ordered weakest first: along a chain the strongest one wins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Transformation {
    /// The value is copied unchanged (a column, maybe renamed or cast-free).
    #[default]
    Identity,
    /// The value is computed from its sources row by row.
    Transformation,
    /// The value aggregates several rows (`sum`, `count`, window aggregates …).
    Aggregation,
}

impl Transformation {
    /// `identity`, `transformation` or `aggregation`, as `flowc sql lineage` prints it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Transformation => "transformation",
            Self::Aggregation => "aggregation",
        }
    }
}

/// Why a column is an INDIRECT source (OpenLineage's INDIRECT subtypes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndirectKind {
    /// A JOIN condition.
    Join,
    /// GROUP BY.
    GroupBy,
    /// WHERE, HAVING, QUALIFY.
    Filter,
    /// ORDER BY, SORT BY, CLUSTER BY, DISTRIBUTE BY.
    Sort,
    /// A window's PARTITION BY or ORDER BY.
    Window,
    /// A condition that decides rows (MERGE's `WHEN` conditions).
    Conditional,
}

impl IndirectKind {
    /// OpenLineage's subtype name: `JOIN`, `GROUP_BY`, `FILTER`, `SORT`, `WINDOW`,
    /// `CONDITIONAL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Join => "JOIN",
            Self::GroupBy => "GROUP_BY",
            Self::Filter => "FILTER",
            Self::Sort => "SORT",
            Self::Window => "WINDOW",
            Self::Conditional => "CONDITIONAL",
        }
    }
}

/// One column of a known schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaColumn {
    /// Lower case.
    pub name: String,
    /// The Spark/Hive type, lower case (`bigint`, `decimal(18,2)`), when known.
    pub data_type: Option<String>,
}

/// The columns known for the tables a file reads, in table order (partition columns
/// last, as Spark lists them). `None`: the table's schema is unknown, and its column
/// references are recorded as unresolved, never guessed.
pub trait Schemas {
    /// The columns of `table`, when known.
    fn columns(&self, table: &TableName) -> Option<&[SchemaColumn]>;
}

impl Schemas for std::collections::BTreeMap<TableName, Vec<SchemaColumn>> {
    fn columns(&self, table: &TableName) -> Option<&[SchemaColumn]> {
        self.get(table).map(Vec::as_slice)
    }
}

/// One column of a table the file writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetColumn {
    /// Its name, lower case: the SELECT item's alias or column name, or the name of
    /// the target's column list (`INSERT INTO t (a, b)`), or the declared name at
    /// that position when the item has no name.
    pub name: String,
    /// Its type, when derivable.
    pub data_type: Option<String>,
    /// Its DIRECT sources, sorted, each once; empty when only literals feed it.
    pub sources: Vec<ColumnName>,
    /// How it is made from them (the strongest of every branch of a UNION, MERGE …).
    pub transformation: Transformation,
    /// The SELECT item (or assignment) that produces it, for located mismatches; for
    /// a column a `*` expands to, the `*`.
    pub span: Span,
}

/// A table the file writes and its columns, in the order the statement writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableOutput {
    /// The table written (a permanent view or a table; never a temporary view).
    pub table: TableName,
    /// Its columns in written order: for `INSERT … PARTITION (p)` the dynamic
    /// partition columns are the last ones; static partition columns are listed in
    /// `static_partitions` instead.
    pub columns: Vec<TargetColumn>,
    /// Partition columns given a constant value (`PARTITION (dt = '${bizdate}')`).
    pub static_partitions: Vec<String>,
    /// Partition columns given their value by the query (`PARTITION (p)`): the last
    /// of `columns`, in this order.
    pub dynamic_partitions: Vec<String>,
    /// Whether every column is known: `false` when a `*` over a table of unknown
    /// schema feeds it (its columns are then only the ones named).
    pub complete: bool,
    /// Whether the columns are written by name, not by position: an `INSERT INTO t
    /// (b, a)` column list (or MERGE's assignments) names each target column.
    pub by_name: bool,
    /// The statement's target name, where it is written.
    pub span: Span,
}

/// A column that influences a written table without being copied into a column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndirectSource {
    /// The table written.
    pub target: TableName,
    /// The column read.
    pub source: ColumnName,
    /// Where it influences it.
    pub kind: IndirectKind,
}

/// One place a column of a table is read, resolved to its table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnRead {
    /// The column.
    pub column: ColumnName,
    /// The reference in the original file.
    pub span: Span,
}

/// A column reference that could not be resolved because the schema of the table it
/// (may) come from is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnresolvedRead {
    /// The table of unknown schema (when the reference names one, or when it is the
    /// only such table in scope).
    pub table: Option<TableName>,
    /// The column as written, lower case.
    pub column: String,
    /// The reference in the original file.
    pub span: Span,
}

/// The column lineage of one file, resolved against [`Schemas`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileColumns {
    /// Every table the file writes, in statement order (a table written twice, e.g.
    /// by two INSERTs, is listed once, its sources merged by position).
    pub outputs: Vec<TableOutput>,
    /// INDIRECT sources, sorted, each once.
    pub indirect: Vec<IndirectSource>,
    /// Every resolved column reference, in file order.
    pub reads: Vec<ColumnRead>,
    /// References to tables of unknown schema, in file order.
    pub unresolved: Vec<UnresolvedRead>,
    /// Unknown columns (with did-you-mean), ambiguous references, wildcards of
    /// unknown tables used where the column count matters.
    pub diagnostics: Vec<Diagnostic>,
}

/// The schema-independent reduction of a file's statements that [`resolve`] reads.
/// Built while the file is parsed; holds no syntax tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnPlan {
    /// The statements that matter to column lineage, in file order.
    statements: Vec<plan::Statement>,
}

impl ColumnPlan {
    /// Adds the next statement's plan.
    fn push(&mut self, statement: plan::Statement) {
        self.statements.push(statement);
    }

    /// Adds a temporary view whose columns cannot be known (`CREATE TEMP VIEW v USING …`).
    pub(super) fn push_opaque(&mut self, name: TableName) {
        self.statements.push(plan::Statement::Opaque(name));
    }
}

/// Resolves a file's [`ColumnPlan`] against the schemas known for what it reads.
/// Tables the file itself creates (temporary views, cached tables, CTAS targets) are
/// known to the statements after them.
pub fn resolve(plan: &ColumnPlan, schemas: &dyn Schemas) -> FileColumns {
    resolve::resolve(plan, schemas)
}
