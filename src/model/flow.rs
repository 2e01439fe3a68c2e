//! A flow file, `flows/<flow>/flow.yaml`, and its tasks.

use std::collections::BTreeMap;
use std::fmt;

use crate::diagnostic::{FileId, Span};
use crate::model::{
    Alert, CrossFlowMode, FlowId, ParamValue, Priority, QualityRule, Spanned, SyncTask, TableDeclaration, TableName,
    TaskId, TimeZone,
};

/// When a flow runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// A five-field cron expression.
    Cron(String),
    /// A preset such as `@daily`.
    Preset(String),
    /// Only when triggered from outside.
    Triggered,
}

/// A duration in seconds, written as `90s`, `15m`, `2h`, `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub u64);

impl Duration {
    /// Parses the schema's duration form; `None` when it does not match.
    pub fn parse(text: &str) -> Option<Self> {
        let mut total: u64 = 0;
        let mut number: u64 = 0;
        let mut digits = 0;
        for c in text.chars() {
            if let Some(d) = c.to_digit(10) {
                number = number.checked_mul(10)?.checked_add(u64::from(d))?;
                digits += 1;
                continue;
            }
            let unit = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return None,
            };
            if digits == 0 {
                return None;
            }
            total = total.checked_add(number.checked_mul(unit)?)?;
            number = 0;
            digits = 0;
        }
        (digits == 0 && !text.is_empty()).then_some(Self(total))
    }
}

/// In the schema's form, largest units first: `2h`, `1h30m`, `90s` → `1m30s`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut left = self.0;
        for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
            if left >= size {
                write!(f, "{}{unit}", left / size)?;
                left %= size;
            }
        }
        Ok(())
    }
}

/// One flow.
#[derive(Clone, Debug)]
pub struct Flow {
    /// The flow's name.
    pub id: FlowId,
    /// The file it was read from.
    pub file: FileId,
    /// The flow folder, repository-relative (`flows/payments`).
    pub folder: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Owning team.
    pub owner: Spanned<String>,
    /// Free text.
    pub description: Option<String>,
    /// When it runs.
    pub schedule: Spanned<Schedule>,
    /// First logical date, `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// The time zone its schedule, start date and business dates are in (the
    /// project's unless set).
    pub timezone: TimeZone,
    /// Default priority of its tasks.
    pub priority: Priority,
    /// Tags.
    pub tags: Vec<String>,
    /// Database for unqualified table names in its SQL.
    pub default_database: Option<String>,
    /// Concurrent runs allowed.
    pub max_active_runs: Option<u32>,
    /// Concurrent tasks allowed.
    pub max_active_tasks: Option<u32>,
    /// How long one run may take (the flow's, else the project's default).
    pub dagrun_timeout: Option<Duration>,
    /// How long after its scheduled time a run should be finished (the flow's, else
    /// the project's default); the span is where it is written.
    pub sla: Option<Spanned<Duration>>,
    /// The flow's failure alerts (`defaults.alerts`, else the project's): what a
    /// missed `sla` notifies on Airflow 3.
    pub alerts: Vec<Alert>,
    /// Whether Airflow back-fills missed runs (off unless set).
    pub catchup: bool,
    /// How its tasks wait for other flows' tasks (the project's setting unless set).
    pub cross_flow: CrossFlowMode,
    /// Template parameters for its SQL.
    pub params: BTreeMap<String, ParamValue>,
    /// Its tasks, in file order.
    pub tasks: Vec<Task>,
    /// Warehouse tables it declares.
    pub tables: Vec<TableDeclaration>,
}

/// One task, with the flow's defaults already applied.
#[derive(Clone, Debug)]
pub struct Task {
    /// `flow.task`.
    pub id: TaskId,
    /// Where the name is written.
    pub name_span: Span,
    /// Free text.
    pub description: Option<String>,
    /// Manual dependencies as written: `task` or `flow.task`.
    pub depends_on: Vec<Spanned<String>>,
    /// Priority level (the task's own, else the flow's).
    pub priority: Priority,
    /// Retries.
    pub retries: Option<u32>,
    /// Delay between retries.
    pub retry_delay: Option<Duration>,
    /// Execution timeout.
    pub timeout: Option<Duration>,
    /// Runs only when its previous scheduled run succeeded.
    pub depends_on_past: bool,
    /// Who is told when it fails (after its last try).
    pub alerts: Vec<Alert>,
    /// Template parameters of the task (project and flow ones merged in).
    pub params: BTreeMap<String, ParamValue>,
    /// Data quality rules on the tables it writes, in file order.
    pub quality: Vec<QualityRule>,
    /// What the task does.
    pub kind: TaskKind,
}

/// What a task does; one variant per `type`.
#[derive(Clone, Debug)]
pub enum TaskKind {
    /// `type: sparksql`.
    SparkSql(SparkSqlTask),
    /// `type: sync` (boxed: much larger than the other kinds).
    Sync(Box<SyncTask>),
    /// `type: ml`.
    Ml(MlTask),
    /// `type: kylin`.
    Kylin(KylinTask),
    /// `type: trigger`.
    Trigger(TriggerTask),
}

impl TaskKind {
    /// The `type` as written in YAML.
    pub const fn type_name(&self) -> &'static str {
        match self {
            TaskKind::SparkSql(_) => "sparksql",
            TaskKind::Sync(_) => "sync",
            TaskKind::Ml(_) => "ml",
            TaskKind::Kylin(_) => "kylin",
            TaskKind::Trigger(_) => "trigger",
        }
    }
}

/// A SQL file run by Spark.
#[derive(Clone, Debug)]
pub struct SparkSqlTask {
    /// The SQL file, repository-relative; the span is the `sql:` value.
    pub sql: Spanned<String>,
    /// Spark configuration (flow defaults merged in).
    pub conf: BTreeMap<String, String>,
    /// Database for unqualified names (the task's, else the flow's, else the project's).
    pub default_database: Option<String>,
    /// The Airflow operator that runs it.
    pub operator: SparkSqlOperator,
}

/// The operator a sparksql task is rendered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparkSqlOperator {
    /// `SparkSqlOperator` (`spark-sql -f`), the default.
    SparkSql,
    /// `SparkSubmitOperator` running the project's `sql_runner` on the SQL text.
    SparkSubmit,
}

/// A machine-learning job submitted to Spark.
#[derive(Clone, Debug)]
pub struct MlTask {
    /// PySpark file or JAR, as written; its span is where a problem with the file is
    /// reported.
    pub application: Spanned<String>,
    /// The application's path in the repository, joined to the flow's folder, when it
    /// is a repository file (copied next to the DAGs); `None` for an absolute path or a
    /// URL (`hdfs://…`), which the cluster resolves.
    pub application_file: Option<String>,
    /// Main class of a JAR.
    pub main_class: Option<String>,
    /// Arguments.
    pub args: Vec<String>,
    /// Spark configuration.
    pub conf: BTreeMap<String, String>,
    /// Declared inputs.
    pub reads: Vec<Spanned<TableName>>,
    /// Declared outputs.
    pub writes: Vec<Spanned<TableName>>,
}

/// A Kylin cube build.
#[derive(Clone, Debug)]
pub struct KylinTask {
    /// Cube name.
    pub cube: String,
    /// Kylin project.
    pub project: String,
    /// `build`, `merge` or `refresh`.
    pub build_type: String,
    /// Declared inputs.
    pub reads: Vec<Spanned<TableName>>,
    /// Declared outputs.
    pub writes: Vec<Spanned<TableName>>,
}

/// A task that waits for an external signal.
#[derive(Clone, Debug)]
pub struct TriggerTask {
    /// The signal waited for.
    pub wait_for: WaitFor,
    /// How often to check (the project's sensor default unless set).
    pub poke_interval: Option<Duration>,
    /// How long to wait before failing (the project's sensor default unless set).
    pub timeout: Option<Duration>,
    /// Tables the external system is known to have written when the signal comes.
    pub writes: Vec<Spanned<TableName>>,
}

/// The external signal a trigger task waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// An HTTP endpoint answers successfully.
    Http {
        /// Airflow HTTP connection id.
        connection: String,
        /// Path polled.
        endpoint: String,
    },
    /// A marker file exists.
    File {
        /// The file.
        path: String,
    },
    /// A file exists on an SFTP server.
    Sftp {
        /// Airflow SFTP connection id.
        connection: String,
        /// The file's path on the server.
        path: String,
    },
    /// A table partition exists.
    Partition {
        /// The table.
        table: TableName,
        /// The partition spec.
        partition: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_add_their_parts() {
        assert_eq!(Duration::parse("90s"), Some(Duration(90)));
        assert_eq!(Duration::parse("1h30m"), Some(Duration(5400)));
        assert_eq!(Duration::parse("2d"), Some(Duration(172_800)));
        assert_eq!(Duration::parse("15"), None);
        assert_eq!(Duration::parse("m"), None);
        assert_eq!(Duration::parse(""), None);
    }

    #[test]
    fn durations_print_in_the_schema_form() {
        for (seconds, text) in [
            (0, "0s"),
            (90, "1m30s"),
            (5400, "1h30m"),
            (28_800, "8h"),
            (90_061, "1d1h1m1s"),
        ] {
            assert_eq!(Duration(seconds).to_string(), text);
            assert_eq!(Duration::parse(text), Some(Duration(seconds)));
        }
    }
}
