//! The project file, `flowc.yaml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diagnostic::{FileId, Span};
use crate::model::TableName;

/// A value with the span it was written at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Span,
}

/// The Airflow version DAG files are rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum AirflowVersion {
    /// Airflow 2.10.
    #[serde(rename = "2.10")]
    V2_10,
    /// Airflow 3.x.
    #[serde(rename = "3")]
    V3,
}

/// A priority level: decides pool, weight and queue of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Business-critical work that must win under contention.
    Core,
    /// Work that matters but may wait for core work.
    Important,
    /// Everything else (the default).
    Normal,
}

impl Priority {
    /// The three levels, most important first.
    pub const ALL: [Priority; 3] = [Priority::Core, Priority::Important, Priority::Normal];

    /// The level's name as written in YAML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Core => "core",
            Priority::Important => "important",
            Priority::Normal => "normal",
        }
    }
}

/// Settings of one priority level, with flowc's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityLevel {
    /// Airflow pool name.
    pub pool: String,
    /// Slots of that pool.
    pub pool_slots: u32,
    /// `priority_weight` of its tasks.
    pub weight: u32,
    /// YARN queue of its Spark jobs.
    pub yarn_queue: String,
}

impl PriorityLevel {
    /// flowc's default settings for a level.
    pub fn default_for(priority: Priority) -> Self {
        let (slots, weight) = match priority {
            Priority::Core => (32, 100),
            Priority::Important => (16, 10),
            Priority::Normal => (8, 1),
        };
        Self {
            pool: format!("{}_pool", priority.as_str()),
            pool_slots: slots,
            weight,
            yarn_queue: format!("root.{}", priority.as_str()),
        }
    }
}

/// A deployment environment such as `dev` or `prod`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// The environment's name.
    pub name: String,
    /// Prefix of every DAG id.
    pub dag_prefix: String,
    /// Database mapping applied to every table a task reads or writes.
    pub databases: BTreeMap<String, String>,
}

/// A named connection to a source system; credentials only by reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The connection's name.
    pub name: String,
    /// `oracle`, `mysql`, `hbase`…
    pub kind: String,
    /// Where the name is declared.
    pub span: Span,
}

/// An external table no task writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTable {
    /// Its normalised name.
    pub table: TableName,
    /// Where it is declared.
    pub span: Span,
}

/// A team that owns flows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// The team's name.
    pub name: String,
    /// GitHub team, e.g. `@wingpay/payments`.
    pub github: Option<String>,
    /// Whether it owns the platform (`flowc.yaml`).
    pub platform: bool,
}

/// The project: `flowc.yaml`.
#[derive(Clone, Debug)]
pub struct Project {
    /// The file it was read from.
    pub file: FileId,
    /// Project name.
    pub name: String,
    /// Database for unqualified table names.
    pub default_database: Option<String>,
    /// Target Airflow version.
    pub airflow_version: AirflowVersion,
    /// Environments by name.
    pub environments: BTreeMap<String, Environment>,
    /// Settings of each priority level.
    pub priorities: BTreeMap<Priority, PriorityLevel>,
    /// Connections by name.
    pub connections: BTreeMap<String, Connection>,
    /// Declared external source tables, sorted by name.
    pub sources: Vec<SourceTable>,
    /// Teams by name.
    pub teams: BTreeMap<String, Team>,
    /// Project-wide template parameters.
    pub params: BTreeMap<String, String>,
}
