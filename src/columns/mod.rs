//! Stage 6, columns: the schema of every table and the column lineage of every task,
//! across the whole repository.
//!
//! Input: the [`Repository`] (tables declared under a flow's `tables:` and the
//! project's `sources:`), each task's [`TaskIo`], each SQL task's
//! [`crate::sql::columns::ColumnPlan`], each sync task's DataX job, and the tasks in
//! dependency order. Output: [`RepositoryColumns`] — a schema per table (declared, or
//! inferred from the SQL or the DataX job that writes it), each task's column lineage
//! and column reads — and diagnostics: unknown and ambiguous columns, a query that
//! does not match the declared table it writes. Pure: no I/O.
//!
//! Tasks are resolved in dependency order, so a task's SQL is read against the
//! schemas its upstream tasks produce: a column renamed upstream fails at the
//! downstream reference.
//!
//! One file per part: `build` ([`build`] and the known schemas: declared, synced,
//! inferred), `compare` (a query against the declared table it writes: Q310–Q312),
//! `types` (which types fit which without loss) and `unknown` (Q313, reads of tables
//! of unknown schema).

mod build;
mod compare;
mod types;
mod unknown;

pub use build::{ColumnsInput, build};

pub mod lineage;

use std::collections::BTreeMap;

use crate::diagnostic::Span;
use crate::model::{TableName, TaskId};
use crate::sql::columns::{ColumnName, ColumnRead, IndirectSource, TableOutput, Transformation, UnresolvedRead};

/// Where a table's schema comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaOrigin {
    /// Declared under a flow's `tables:` or the project's `sources:`, at this span.
    Declared(Span),
    /// Inferred from the SQL of the task that writes it.
    Inferred(TaskId),
    /// The columns of the sync task (DataX job) that writes it.
    Sync(TaskId),
}

/// One column of a table's schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Lower case.
    pub name: String,
    /// The Spark/Hive type, lower case, when known.
    pub data_type: Option<String>,
    /// Its comment.
    pub description: Option<String>,
    /// Classes of sensitive data it holds (names under `classifications:`).
    pub classifications: Vec<String>,
    /// Where it is declared, or the SELECT item that produces it.
    pub span: Option<Span>,
}

impl Column {
    /// A partition column known only by its name (and maybe its type).
    pub fn partition(name: &str, data_type: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            data_type: data_type.map(str::to_owned),
            description: None,
            classifications: Vec::new(),
            span: None,
        }
    }
}

/// The schema of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    /// The table.
    pub table: TableName,
    /// Its columns in table order, partition columns excluded.
    pub columns: Vec<Column>,
    /// Partition columns, outermost first.
    pub partition_columns: Vec<Column>,
    /// Where the schema comes from.
    pub origin: SchemaOrigin,
    /// The task that writes it, when one does.
    pub writer: Option<TaskId>,
}

/// The column lineage of one task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskColumns {
    /// Each table it writes, with each column's DIRECT sources. A sync task's sources
    /// are its source system's columns (`<connection>.<schema>.<table>.<column>`).
    pub outputs: Vec<TableOutput>,
    /// INDIRECT sources.
    pub indirect: Vec<IndirectSource>,
    /// Every column it reads, where (in its SQL file).
    pub reads: Vec<ColumnRead>,
    /// Column references to tables of unknown schema.
    pub unresolved: Vec<UnresolvedRead>,
}

/// One step of column lineage: `target` is made from `source` by `task`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnEdge {
    /// The source column.
    pub source: ColumnName,
    /// The target column.
    pub target: ColumnName,
    /// How.
    pub transformation: Transformation,
    /// The task that writes the target.
    pub task: TaskId,
}

/// Every table's schema and every task's column lineage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryColumns {
    /// Every table whose schema is known, by name.
    pub schemas: BTreeMap<TableName, TableSchema>,
    /// Every task's column lineage.
    pub tasks: BTreeMap<TaskId, TaskColumns>,
}

impl RepositoryColumns {
    /// Every DIRECT edge of every task, sorted.
    pub fn edges(&self) -> Vec<ColumnEdge> {
        let mut edges: Vec<ColumnEdge> = self
            .tasks
            .iter()
            .flat_map(|(task, columns)| {
                columns.outputs.iter().flat_map(move |output| {
                    output.columns.iter().flat_map(move |column| {
                        column.sources.iter().map(move |source| ColumnEdge {
                            source: source.clone(),
                            target: ColumnName::new(output.table.clone(), &column.name),
                            transformation: column.transformation,
                            task: task.clone(),
                        })
                    })
                })
            })
            .collect();
        edges.sort();
        edges.dedup();
        edges
    }

    /// Every place a task reads `column`, by task.
    pub fn readers(&self, column: &ColumnName) -> Vec<(&TaskId, Span)> {
        self.tasks
            .iter()
            .flat_map(|(task, columns)| {
                columns
                    .reads
                    .iter()
                    .filter(|read| &read.column == column)
                    .map(move |read| (task, read.span))
            })
            .collect()
    }
}
