//! The operator of an Airflow task and its arguments, as the templates lay them out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sync::ColumnLineage;

/// The operator of a task and its arguments. Strings in templated fields are Jinja
/// source (see [`super::jinja`]).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "class")]
pub enum Operator {
    /// `SparkSqlOperator`.
    SparkSqlOperator {
        /// Template file, relative to the DAG folder.
        sql: String,
        /// Spark configuration (not templated by the operator).
        conf: BTreeMap<String, String>,
        /// YARN queue.
        yarn_queue: String,
        /// Spark SQL connection.
        conn_id: String,
        /// Job name, stable across runs.
        name: String,
    },
    /// `SparkSubmitOperator`.
    SparkSubmitOperator {
        /// PySpark file or JAR (templated).
        application: String,
        /// Main class of a JAR.
        java_class: Option<String>,
        /// Arguments (templated).
        application_args: Vec<String>,
        /// Spark configuration (templated), `spark.yarn.queue` included.
        conf: BTreeMap<String, String>,
        /// Spark connection.
        conn_id: String,
        /// Job name (templated), stable across runs.
        name: String,
    },
    /// `BashOperator`.
    BashOperator {
        /// The command (templated).
        bash_command: String,
        /// Variables added to the command's environment (templated): credentials from
        /// Airflow connections, resolved at run time.
        env: BTreeMap<String, String>,
        /// DataX channels of the task's priority level.
        datax_channels: u32,
        /// DataX bytes per second of the task's priority level.
        datax_bytes_per_second: u64,
        /// The job file, relative to the output folder of the environment.
        datax_job: String,
        /// Source column → target column, when columns are listed.
        column_lineage: Vec<ColumnLineage>,
        /// Environment variables the job's credential placeholders read.
        credential_variables: Vec<String>,
    },
    /// `KylinCubeOperator`.
    KylinCubeOperator {
        /// Kylin connection.
        conn_id: String,
        /// Kylin project (templated).
        project: String,
        /// Cube (templated).
        cube: String,
        /// `build`, `merge`, `refresh` (templated).
        command: String,
        /// Segment start, epoch milliseconds (templated).
        start_time: String,
        /// Segment end, epoch milliseconds (templated).
        end_time: String,
    },
    /// `HttpSensor`.
    HttpSensor {
        /// HTTP connection.
        conn_id: String,
        /// Path polled (templated).
        endpoint: String,
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `FileSensor`.
    FileSensor {
        /// Filesystem connection.
        conn_id: String,
        /// The marker file (templated).
        filepath: String,
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `SFTPSensor` of the SFTP provider.
    #[serde(rename = "SFTPSensor")]
    SftpSensor {
        /// SFTP connection.
        conn_id: String,
        /// The file on the server (templated).
        path: String,
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `NamedHivePartitionSensor`.
    NamedHivePartitionSensor {
        /// Metastore connection.
        conn_id: String,
        /// `db.table/key=value[/key=value]` (templated).
        partition_names: Vec<String>,
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `ExternalTaskSensor`.
    ExternalTaskSensor {
        /// The upstream DAG.
        external_dag_id: String,
        /// The upstream task.
        external_task_id: String,
        /// `execution_delta` in seconds, when the runs line up by a fixed offset.
        execution_delta_seconds: Option<i64>,
        /// For triggered flows: the upstream run starts at this minute of the
        /// `bizdate` param's day (UTC).
        bizdate_minute_of_day: Option<i64>,
        /// When neither finds the upstream run on every day (time zones, daylight
        /// saving): where it starts on this run's business date.
        upstream_run: Option<UpstreamRun>,
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `EmptyOperator`: the gate after a task's strong quality checks.
    EmptyOperator,
}

/// Where the upstream run of a sensor's business date starts: at `hour:minute` of
/// that date in `zone`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpstreamRun {
    /// Hour of the day, wall-clock time in `zone`.
    pub hour: i64,
    /// Minute of the hour.
    pub minute: i64,
    /// The upstream flow's time zone.
    pub zone: String,
    /// The waiting flow's zone, in which its business date is the date of its data
    /// interval's start; `None` when it is the `bizdate` param of a triggered run.
    pub own_zone: Option<String>,
}

impl Operator {
    /// The operator's class name.
    pub fn class(&self) -> &'static str {
        match self {
            Operator::SparkSqlOperator { .. } => "SparkSqlOperator",
            Operator::SparkSubmitOperator { .. } => "SparkSubmitOperator",
            Operator::BashOperator { .. } => "BashOperator",
            Operator::KylinCubeOperator { .. } => "KylinCubeOperator",
            Operator::HttpSensor { .. } => "HttpSensor",
            Operator::FileSensor { .. } => "FileSensor",
            Operator::SftpSensor { .. } => "SFTPSensor",
            Operator::NamedHivePartitionSensor { .. } => "NamedHivePartitionSensor",
            Operator::ExternalTaskSensor { .. } => "ExternalTaskSensor",
            Operator::EmptyOperator => "EmptyOperator",
        }
    }
}
