//! Stage 1, model: the typed, validated model of a pipeline repository.
//!
//! Built by [`crate::validate`] from YAML documents that passed their JSON Schema, so
//! its types only hold well-formed values. Every value a later stage may report on
//! keeps its [`Span`](crate::diagnostic::Span).

mod access;
mod environment;
mod flow;
mod ids;
mod param;
mod project;
mod quality;
mod run;
mod runners;
mod sync;
mod timezone;
mod unit_test;

pub use access::{Access, Classification, Grant, TableMetadata, TablePattern};
pub use environment::{Environment, PRODUCTION, ScheduleOverride};
pub use flow::{
    Duration, Flow, KylinTask, MlTask, Schedule, SparkSqlOperator, SparkSqlTask, Task, TaskKind, TriggerTask, WaitFor,
};
pub use ids::{FlowId, TableName, TaskId};
pub use param::ParamValue;
pub use project::{
    AirflowSettings, AirflowVersion, CrossFlowMode, DataxThrottle, Priority, PriorityLevel, Project, SourceTable,
    Spanned, Team,
};
pub use quality::{
    CountBaseline, DEFAULT_PARTITION, DEFAULT_RESULTS_TABLE, Dimension, Literal, OtherTable, PartitionChoice,
    PartitionSpec, QualityCheck, QualityRule, QualitySettings, Severity,
};
pub use run::{Alert, RunDefaults};
pub use runners::Runners;
pub use sync::{
    Connection, ConnectionKind, Credentials, ErrorLimit, RowkeyRange, SyncColumn, SyncSource, SyncSpeed, SyncTarget,
    SyncTask, TableColumn, TableDeclaration, TableFormat,
};
pub use timezone::TimeZone;
pub use unit_test::{Cell, CheckOutcome, TestRow, TestRows, TestTable, TestValue, UnitTest};

/// The whole repository: the project and its flows, sorted by name.
#[derive(Clone, Debug)]
pub struct Repository {
    /// `flowc.yaml`.
    pub project: Project,
    /// Every flow, sorted by name.
    pub flows: Vec<Flow>,
    /// Every unit test, by flow, in file order.
    pub unit_tests: Vec<UnitTest>,
}

impl Repository {
    /// Every task of every flow, in flow then task order.
    pub fn tasks(&self) -> impl Iterator<Item = (&Flow, &Task)> {
        self.flows
            .iter()
            .flat_map(|flow| flow.tasks.iter().map(move |task| (flow, task)))
    }

    /// The declaration of a warehouse table, in whichever flow it is.
    pub fn table(&self, name: &TableName) -> Option<&TableDeclaration> {
        self.flows
            .iter()
            .flat_map(|f| &f.tables)
            .find(|t| &t.name.value == name)
    }
}
