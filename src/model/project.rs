//! The project file, `flowc.yaml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diagnostic::{FileId, Span};
use crate::model::{
    Classification, Connection, Duration, Environment, Grant, ParamValue, QualitySettings, RunDefaults, Runners,
    TableColumn, TableMetadata, TableName, TimeZone,
};

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

impl AirflowVersion {
    /// The version as written in `flowc.yaml`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AirflowVersion::V2_10 => "2.10",
            AirflowVersion::V3 => "3",
        }
    }
}

/// How a task waits for a task of another flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossFlowMode {
    /// An `ExternalTaskSensor` (reschedule mode) on the upstream task's run of the same
    /// business date.
    Sensor,
    /// The flow is scheduled by the datasets (2.10) or assets (3.x) its upstream tasks
    /// update, instead of by the clock.
    Asset,
}

/// The `airflow:` section of `flowc.yaml`, defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AirflowSettings {
    /// Target Airflow version.
    pub version: AirflowVersion,
    /// Connection id of `SparkSqlOperator`.
    pub spark_sql_conn_id: String,
    /// Connection id of `SparkSubmitOperator`.
    pub spark_conn_id: String,
    /// Connection id of `KylinCubeOperator`.
    pub kylin_conn_id: String,
    /// Hive metastore connection id of partition sensors.
    pub metastore_conn_id: String,
    /// Filesystem connection id of file sensors.
    pub fs_conn_id: String,
    /// The command a sync task runs, before its job options and file.
    pub datax_command: String,
    /// Where DataX job files are, as seen by the workers; Jinja, rendered at run time.
    pub datax_job_root: String,
    /// PySpark file or JAR that runs a SQL text, for sparksql tasks with
    /// `operator: spark_submit`.
    pub sql_runner: Option<String>,
    /// How often sensors check.
    pub poke_interval: Duration,
    /// How long sensors wait before failing.
    pub sensor_timeout: Duration,
    /// How cross-flow dependencies are rendered, unless a flow says otherwise.
    pub cross_flow: CrossFlowMode,
}

impl Default for AirflowSettings {
    fn default() -> Self {
        Self {
            version: AirflowVersion::V2_10,
            spark_sql_conn_id: "spark_sql_default".to_owned(),
            spark_conn_id: "spark_default".to_owned(),
            kylin_conn_id: "kylin_default".to_owned(),
            metastore_conn_id: "metastore_default".to_owned(),
            fs_conn_id: "fs_default".to_owned(),
            datax_command: "python ${DATAX_HOME}/bin/datax.py".to_owned(),
            datax_job_root: "{{ dag.folder }}/../datax".to_owned(),
            sql_runner: None,
            poke_interval: Duration(300),
            sensor_timeout: Duration(6 * 3600),
            cross_flow: CrossFlowMode::Sensor,
        }
    }
}

/// DataX speed limits of a priority level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataxThrottle {
    /// Concurrent channels.
    pub channels: u32,
    /// Bytes per second of the whole job (split evenly over the channels).
    pub bytes_per_second: u64,
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
    /// `weight_rule` of its tasks: `absolute` (the default, so a core task always
    /// outranks a normal one), `downstream` or `upstream`.
    pub weight_rule: String,
    /// YARN queue of its Spark jobs.
    pub yarn_queue: String,
    /// Celery/worker queue of its tasks; Airflow's `default` when unset.
    pub queue: Option<String>,
    /// DataX throttling of its sync tasks.
    pub datax: DataxThrottle,
}

impl PriorityLevel {
    /// flowc's default settings for a level of project `project`. The default pool is
    /// named after the project (`<project>_core_pool`), so two projects (or a team's
    /// own pools) in one Airflow never share, or overwrite the slots of, a pool.
    pub fn default_for(project: &str, priority: Priority) -> Self {
        const MIB: u64 = 1024 * 1024;
        let (slots, weight, channels, bytes) = match priority {
            Priority::Core => (32, 100, 8, 64 * MIB),
            Priority::Important => (16, 10, 4, 32 * MIB),
            Priority::Normal => (8, 1, 2, 8 * MIB),
        };
        Self {
            pool: format!("{project}_{}_pool", priority.as_str()),
            pool_slots: slots,
            weight,
            weight_rule: "absolute".to_owned(),
            yarn_queue: format!("root.{}", priority.as_str()),
            queue: None,
            datax: DataxThrottle {
                channels,
                bytes_per_second: bytes,
            },
        }
    }
}

/// An external table no task writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTable {
    /// Its normalised name.
    pub table: TableName,
    /// Where it is declared.
    pub span: Span,
    /// Its columns in table order, partition columns excluded, when declared.
    pub columns: Vec<TableColumn>,
    /// Its partition columns, outermost first, when declared.
    pub partition_columns: Vec<TableColumn>,
}

/// A team that owns flows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// The team's name.
    pub name: String,
    /// Where its name is written under `teams:`.
    pub span: Span,
    /// GitHub team whose review approves the team's changes, e.g. `@wingpay/payments`.
    pub github: Option<String>,
    /// Whether it owns the platform (`flowc.yaml`, templates, workflows).
    pub platform: bool,
    /// What its tasks may read and write; `None`: not restricted.
    pub grants: Option<Vec<Grant>>,
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
    /// The time zone of schedules and business dates, unless a flow sets its own.
    pub timezone: TimeZone,
    /// The `airflow:` section.
    pub airflow: AirflowSettings,
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
    /// Where the `teams:` key is written (the file's start when there is none).
    pub teams_span: Span,
    /// Classes of sensitive tables, by name.
    pub classifications: BTreeMap<String, Classification>,
    /// Table metadata (owner, classes), in file order: for a table, the owner of the
    /// last matching entry counts, and the classes of every matching entry.
    pub table_metadata: Vec<TableMetadata>,
    /// Project-wide template parameters.
    pub params: BTreeMap<String, ParamValue>,
    /// The `quality:` section.
    pub quality: QualitySettings,
    /// `defaults:`: run settings every flow and task inherits.
    pub defaults: RunDefaults,
    /// `runners:`: the commands `flowc run` uses, unless an environment sets its own.
    pub runners: Runners,
}

impl Project {
    /// The settings of a priority level: the project's own, or flowc's defaults.
    pub fn priority_level(&self, priority: Priority) -> PriorityLevel {
        self.priorities
            .get(&priority)
            .cloned()
            .unwrap_or_else(|| PriorityLevel::default_for(&self.name, priority))
    }
}
