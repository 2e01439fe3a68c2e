//! Stage 10, docs: the catalog and lineage page of a whole repository, one
//! self-contained HTML file (`flowc docs`).
//!
//! Input: a borrowed [`DocsInput`] — the model, every task's reads and writes, the
//! dependency graph, every table's schema and column lineage, the quality checks, the
//! access report, the SQL files' text — and the environment whose table names the page
//! shows. Output: the [`Catalog`] (plain data, serialised into the page as JSON, every
//! reference an index) and the page's text. Pure.
//!
//! One file per part: `catalog` (teams, flows, tasks), `tables` (tables, their columns,
//! rules and grants, the column lineage), `layout` (each table's layer and order, so
//! the browser lays out any part of the graph without work of its own), `page` (the
//! HTML file from `assets/docs/`: the data escaped so that no text from the repository
//! can end the script element it sits in).

mod catalog;
mod layout;
mod page;
mod tables;

pub use catalog::{Catalog, FlowEntry, TaskEntry, TeamEntry};
pub use page::page;
pub use tables::{ColumnEntry, GrantEntry, IndirectTuple, LineageTuple, RuleEntry, TableEntry};

use std::collections::BTreeMap;

use crate::columns::RepositoryColumns;
use crate::diagnostic::{FileId, SourceMap};
use crate::graph::{DependencyGraph, TaskIo};
use crate::model::{Environment, Repository, TableName, TaskId};
use crate::policy::access::AccessReport;
use crate::quality::Check;

/// What the page is built from, borrowed from a check of the repository.
#[derive(Clone, Copy)]
pub struct DocsInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// Every file read (the SQL files' text, the rules as written).
    pub sources: &'a SourceMap,
    /// Reads and writes per task.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The dependency graph.
    pub graph: &'a DependencyGraph,
    /// Every table's schema and every task's column lineage.
    pub columns: &'a RepositoryColumns,
    /// Each task's quality checks.
    pub quality: &'a BTreeMap<TaskId, Vec<Check>>,
    /// Who reads and writes what, and why it is allowed.
    pub access: &'a AccessReport,
    /// The SQL file of every sparksql task.
    pub sql_files: &'a BTreeMap<TaskId, FileId>,
    /// The environment whose table names are shown.
    pub environment: &'a Environment,
    /// The git commit read, when the page is of a revision.
    pub revision: Option<&'a str>,
}

/// The page's data, built from a check of the repository.
pub fn build(input: &DocsInput<'_>) -> Catalog {
    catalog::build(input)
}

/// Index lookups shared by the parts of the build.
struct Indexes {
    teams: BTreeMap<String, usize>,
    tasks: BTreeMap<TaskId, usize>,
    tables: BTreeMap<TableName, usize>,
}
