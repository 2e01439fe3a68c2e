//! `manifest.json`: what one environment's compile produced, from what.
//!
//! Flows, tasks (with the Airflow attributes the DAG files set), edges, reads and
//! writes, the SHA-256 of every input and output file, and per task the content
//! fingerprints `flowc plan` compares (see [`super::fingerprint`]). The
//! renderer writes a [`Manifest`] and the planner reads it back with the same type,
//! so what a plan compares is exactly what was deployed. The real-Airflow tests
//! compare loaded DAGs against it.
//!
//! Objects are written with their keys sorted, so the bytes do not depend on the
//! order of the fields here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod build;

pub use super::fingerprint::Fingerprint;
use crate::Error;
use crate::hash::{json_bytes, to_json};
use crate::model::Alert;
pub(crate) use build::build;

/// Manifest format version; bumped when a field changes meaning or a required field
/// is added. 2: task fingerprints and params, flow descriptions, declared sources.
pub const MANIFEST_VERSION: u32 = 2;

/// The manifest of one environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] of the flowc that wrote it.
    pub manifest_version: u32,
    /// `flowc <version>`.
    pub generator: String,
    /// The project's name.
    pub project: String,
    /// The environment compiled.
    pub environment: String,
    /// The Airflow version rendered for: `2.10` or `3`.
    pub airflow_version: String,
    /// Pool name → slots.
    pub pools: BTreeMap<String, u32>,
    /// One per flow (one DAG each), sorted by flow name.
    pub flows: Vec<FlowEntry>,
    /// Every dependency edge between the repository's tasks, sorted.
    pub edges: Vec<EdgeEntry>,
    /// Tables declared as external sources in `flowc.yaml`, sorted.
    pub sources: Vec<String>,
    /// Repository file → `sha256:<hex>` of its content, for every file compiled from.
    pub inputs: BTreeMap<String, String>,
    /// Output file → `sha256:<hex>`, for every file written (this one excepted).
    pub outputs: BTreeMap<String, String>,
    /// Access control as rules by subject (`team risk`, `classification pii`, `tables
    /// ods.usr_*`), each a sorted list of lines, for the plan's access section.
    #[serde(default)]
    pub access: BTreeMap<String, Vec<String>>,
}

/// One flow: one DAG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowEntry {
    /// The flow's name.
    pub flow: String,
    /// The Airflow DAG id.
    pub dag_id: String,
    /// The DAG file, relative to the environment's output folder.
    pub file: String,
    /// The owning team.
    pub owner: String,
    /// The flow's description.
    pub description: Option<String>,
    /// When it runs.
    pub schedule: ScheduleEntry,
    /// The IANA time zone of its schedule, start date and business dates.
    #[serde(default = "utc")]
    pub timezone: String,
    /// First logical date, `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// Back-fill missed runs.
    pub catchup: bool,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Concurrent runs.
    pub max_active_runs: Option<u32>,
    /// Concurrent tasks.
    pub max_active_tasks: Option<u32>,
    /// `dagrun_timeout` in seconds.
    #[serde(default)]
    pub dagrun_timeout_seconds: Option<u64>,
    /// The flow's `sla` in seconds (every task's `sla` on Airflow 2.10, a deadline on
    /// the run on 3).
    #[serde(default)]
    pub sla_seconds: Option<u64>,
    /// The alerts a missed `sla` calls on Airflow 3 (empty on 2.10, where a miss is
    /// mailed to the tasks' email alerts).
    #[serde(default)]
    pub deadline_alerts: Vec<Alert>,
    /// DAG params: name → default (`null` when required).
    pub params: BTreeMap<String, Value>,
    /// Repository files the DAG is compiled from, sorted.
    pub sources: Vec<String>,
    /// Cross-flow sensors first, then the flow's tasks in file order, each preceded by
    /// its partition step and followed by its quality checks and their gate.
    pub tasks: Vec<TaskEntry>,
}

/// The time zone of a manifest written before flows had one.
fn utc() -> String {
    "UTC".to_owned()
}

/// A DAG's schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduleEntry {
    /// A cron expression.
    Cron {
        /// Five fields.
        cron: String,
        /// The Airflow timetable class.
        timetable: String,
    },
    /// Once.
    Once,
    /// Only when triggered.
    Triggered,
    /// When the listed assets are updated.
    Assets {
        /// Asset URIs, sorted.
        assets: Vec<String>,
    },
}

/// One Airflow task: a task of the flow, or a sensor waiting for another flow's task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskEntry {
    /// The Airflow task id.
    pub task_id: String,
    /// `flow.task` as named in YAML; for a sensor (`type: wait`), the task it waits for;
    /// for a quality check, gate or partition step, `flow.<task id>`.
    pub name: String,
    /// `sparksql`, `sync`, `ml`, `kylin`, `trigger`; `wait` for a cross-flow sensor,
    /// `quality` for a data quality check, `quality_gate` for the gate after a task's
    /// strong checks, `partition` for the step that registers the Hive partition a
    /// sync writes, right before it.
    #[serde(rename = "type")]
    pub task_type: String,
    /// The operator class and its main arguments.
    #[serde(flatten)]
    pub operator: OperatorEntry,
    /// Priority level.
    pub priority: String,
    /// Pool.
    pub pool: String,
    /// Pool slots taken.
    pub pool_slots: u32,
    /// `priority_weight`.
    pub priority_weight: u32,
    /// `weight_rule`.
    pub weight_rule: String,
    /// Worker queue.
    pub queue: String,
    /// Retries.
    pub retries: u32,
    /// Seconds between retries.
    pub retry_delay_seconds: u64,
    /// Execution timeout in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Runs only when its previous scheduled run succeeded.
    #[serde(default)]
    pub depends_on_past: bool,
    /// Who is told when it fails (its `on_failure_callback`).
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// Upstream Airflow task ids in the same DAG, sorted.
    pub upstream: Vec<String>,
    /// Tables read, sorted.
    pub reads: Vec<String>,
    /// Tables written, sorted.
    pub writes: Vec<String>,
    /// The repository file it runs, if any.
    pub source_file: Option<String>,
    /// Asset URIs it updates.
    pub outlets: Vec<String>,
    /// Task params that differ from the DAG's: name → default.
    pub params: BTreeMap<String, Value>,
    /// Content fingerprints.
    pub fingerprint: Fingerprint,
    /// What a data quality check (`type: quality`) checks; absent for other tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityEntry>,
    /// What a partition step (`type: partition`) registers; absent for other tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionEntry>,
}

/// The Hive partition a partition step registers before its sync task writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionEntry {
    /// The sync task that writes the partition's files, `flow.task`.
    pub task: String,
    /// The table, as this environment names it.
    pub table: String,
    /// `col=value[/col=value]`, with `${bizdate}` as written.
    pub partition: String,
    /// The directory registered as the partition: the one the sync writes.
    pub location: String,
}

/// The rule a data quality check task runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityEntry {
    /// The rule's name, unique in the flow.
    pub rule: String,
    /// The task whose output it checks, `flow.task`.
    pub task: String,
    /// `timeliness`, `completeness`, `accuracy`, `consistency` or `validity`.
    pub dimension: String,
    /// The check, e.g. `not_null`.
    pub kind: String,
    /// `strong` (a failure stops everything downstream) or `weak` (recorded only).
    pub severity: String,
    /// The table checked.
    pub table: String,
    /// The partition checked, e.g. `dt=${bizdate}`; `null` for the whole table.
    pub partition: Option<String>,
    /// The table the check appends its result row to.
    pub results_table: String,
    /// `<=` or `>=`: how the observed value must compare with `threshold`.
    pub comparison: String,
    /// The threshold.
    pub threshold: String,
    /// What the check is given, by name (`columns`, `values`, `min`, `max`, `time`,
    /// `pattern`, `expression`, `where`, `with`, `with_column`, `with_partition`,
    /// `with_where`), each a list in the order written; see
    /// [`crate::quality::settings`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, Vec<String>>,
}

impl TaskEntry {
    /// Whether this is a sensor flowc added for a cross-flow dependency.
    pub fn is_sensor(&self) -> bool {
        self.task_type == "wait"
    }
}

/// The operator class (`operator`) and the arguments the manifest records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operator")]
pub enum OperatorEntry {
    /// `SparkSqlOperator`.
    SparkSqlOperator {
        /// The SQL template, relative to the output folder.
        sql_template: String,
        /// YARN queue.
        yarn_queue: String,
        /// Spark SQL connection.
        conn_id: String,
        /// Spark job name.
        spark_name: String,
    },
    /// `SparkSubmitOperator`.
    SparkSubmitOperator {
        /// `spark.yarn.queue`.
        yarn_queue: Option<String>,
        /// Spark connection.
        conn_id: String,
    },
    /// `BashOperator` running a DataX job.
    BashOperator {
        /// The job file, relative to the output folder.
        datax_job: String,
        /// DataX channels.
        datax_channels: u32,
        /// DataX bytes per second.
        datax_bytes_per_second: u64,
        /// Source column → target column.
        column_lineage: Vec<ColumnEdge>,
        /// Environment variables the job's credential placeholders read.
        credential_variables: Vec<String>,
    },
    /// `KylinCubeOperator`.
    KylinCubeOperator,
    /// `HttpSensor`.
    HttpSensor {
        /// Always `reschedule`.
        mode: String,
    },
    /// `FileSensor`.
    FileSensor {
        /// Always `reschedule`.
        mode: String,
    },
    /// `SFTPSensor`.
    #[serde(rename = "SFTPSensor")]
    SftpSensor {
        /// Always `reschedule`.
        mode: String,
    },
    /// `NamedHivePartitionSensor`.
    NamedHivePartitionSensor {
        /// Always `reschedule`.
        mode: String,
    },
    /// `ExternalTaskSensor`.
    ExternalTaskSensor {
        /// The upstream DAG.
        external_dag_id: String,
        /// The upstream task.
        external_task_id: String,
        /// `execution_delta` in seconds.
        execution_delta_seconds: Option<i64>,
        /// For triggered flows: the minute of the `bizdate` day the upstream run starts.
        bizdate_minute_of_day: Option<i64>,
        /// When the upstream run is found by time zone: `HH:MM <zone>` of the business
        /// date, e.g. `01:00 Asia/Shanghai`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upstream_run: Option<String>,
        /// Always `reschedule`.
        mode: String,
    },
    /// `EmptyOperator`: the gate after a task's strong quality checks.
    EmptyOperator,
}

impl OperatorEntry {
    /// The operator's class name.
    pub fn class(&self) -> &'static str {
        match self {
            OperatorEntry::SparkSqlOperator { .. } => "SparkSqlOperator",
            OperatorEntry::SparkSubmitOperator { .. } => "SparkSubmitOperator",
            OperatorEntry::BashOperator { .. } => "BashOperator",
            OperatorEntry::KylinCubeOperator => "KylinCubeOperator",
            OperatorEntry::HttpSensor { .. } => "HttpSensor",
            OperatorEntry::FileSensor { .. } => "FileSensor",
            OperatorEntry::SftpSensor { .. } => "SFTPSensor",
            OperatorEntry::NamedHivePartitionSensor { .. } => "NamedHivePartitionSensor",
            OperatorEntry::ExternalTaskSensor { .. } => "ExternalTaskSensor",
            OperatorEntry::EmptyOperator => "EmptyOperator",
        }
    }
}

/// One source column feeding one target column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnEdge {
    /// `<source table>.<column>`.
    pub from: String,
    /// `<target table>.<column>`.
    pub to: String,
}

/// A dependency `from → to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeEntry {
    /// The upstream task, `flow.task`.
    pub from: String,
    /// The downstream task, `flow.task`.
    pub to: String,
    /// The table that links them; `null` for a `depends_on` entry.
    pub table: Option<String>,
    /// Whether the tasks are in different flows.
    pub cross_flow: bool,
}

impl Manifest {
    /// Reads a manifest written by [`Manifest::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Pretty JSON with sorted keys and a final newline.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        // Through a `Value`, whose objects are sorted maps.
        json_bytes(&to_json(self)?)
    }

    /// Every task with the flow it belongs to, in manifest order.
    pub fn tasks(&self) -> impl Iterator<Item = (&FlowEntry, &TaskEntry)> {
        self.flows
            .iter()
            .flat_map(|flow| flow.tasks.iter().map(move |task| (flow, task)))
    }
}
