//! The DAG plan: everything a DAG file says, as plain data.
//!
//! Built from the checked repository for one environment; the templates only lay it
//! out, and the manifest is written from the same values, so what the manifest says
//! is what the DAG files do. Every user-supplied text in a templated operator field
//! has already gone through [`super::jinja`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap, Span};
use crate::graph::{DependencyGraph, Edge, EdgeReason, TaskIo};
use crate::model::{
    AirflowVersion, CrossFlowMode, Environment, Flow, Priority, PriorityLevel, Project, Repository, Schedule,
    ScheduleOverride, Severity, SparkSqlOperator, Task, TaskId, TaskKind, WaitFor,
};
use crate::quality::Check;
use crate::sql::TableNames;
use crate::sync::{ColumnLineage, CredentialSource, DataxJob};
use jinja::Substitutions;
use schedule::{Alignment, Cron, Misalignment, align};

pub mod jinja;
pub mod python;
mod quality;
pub(crate) mod schedule;

pub use quality::QualityTask;

/// One environment's DAG files.
#[derive(Clone, Debug, Serialize)]
pub struct EnvironmentDags {
    /// `dev`, `prod`…
    pub environment: String,
    /// The Airflow version rendered for.
    pub airflow_version: &'static str,
    /// One DAG per flow, sorted by flow name.
    pub dags: Vec<Dag>,
    /// Pools by name.
    pub pools: BTreeMap<String, Pool>,
    /// SQL templates to write next to the DAG files: path under `dags/` → text.
    pub sql_files: BTreeMap<String, String>,
    /// Application files of ml tasks to copy: path under `<out>/<env>/` (outside
    /// `dags/`, so the scheduler never imports them) → repository path.
    pub app_files: BTreeMap<String, String>,
    /// The DataX job of every sync task, resolved for this environment.
    #[serde(skip)]
    pub datax_jobs: BTreeMap<TaskId, DataxJob>,
}

/// An Airflow pool.
#[derive(Clone, Debug, Serialize)]
pub struct Pool {
    /// Slots.
    pub slots: u32,
    /// Shown in the Airflow UI.
    pub description: String,
}

/// One DAG: one flow.
#[derive(Clone, Debug, Serialize)]
pub struct Dag {
    /// The flow's name.
    pub flow: String,
    /// `<prefix><flow>`.
    pub dag_id: String,
    /// The owning team.
    pub owner: String,
    /// The flow's description.
    pub description: Option<String>,
    /// Markdown shown on the DAG page.
    pub doc_md: String,
    /// When it runs.
    pub schedule: DagSchedule,
    /// `(year, month, day)` of the first logical date.
    pub start_date: Option<(u32, u32, u32)>,
    /// Back-fill missed runs.
    pub catchup: bool,
    /// `is_paused_upon_creation`, when the environment sets it.
    pub paused_upon_creation: Option<bool>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Concurrent runs.
    pub max_active_runs: Option<u32>,
    /// Concurrent tasks.
    pub max_active_tasks: Option<u32>,
    /// DAG params, by name.
    pub params: BTreeMap<String, DagParam>,
    /// Sensors first, then the flow's tasks in file order, each followed by its
    /// quality checks and their gate.
    pub tasks: Vec<DagTask>,
    /// `upstream >> [downstream…]` lines, by variable name.
    pub chains: Vec<Chain>,
    /// Operator class names used, for the imports.
    pub operators: BTreeSet<&'static str>,
    /// Whether the file needs the helper that finds a triggered run's upstream run.
    pub needs_bizdate_run: bool,
    /// Repository files this DAG is compiled from.
    pub sources: Vec<String>,
}

/// A DAG's schedule.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DagSchedule {
    /// `CronDataIntervalTimetable(cron, timezone="UTC")`.
    Cron {
        /// Five fields.
        cron: String,
    },
    /// `@once`.
    Once,
    /// Only when triggered (REST API, UI, CLI).
    Triggered,
    /// When every listed asset (dataset on 2.10) has been updated.
    Assets {
        /// Asset URIs, sorted.
        uris: Vec<String>,
    },
}

/// A DAG param.
#[derive(Clone, Debug, Serialize)]
pub struct DagParam {
    /// The default, `None` for a required param.
    pub default: Option<Value>,
    /// JSON Schema type: `string`, `integer`, `number`, `boolean`.
    pub json_type: &'static str,
    /// JSON Schema format, e.g. `date`.
    pub format: Option<&'static str>,
    /// Shown in the trigger form.
    pub description: Option<String>,
}

/// One Airflow task.
#[derive(Clone, Debug, Serialize)]
pub struct DagTask {
    /// The task as named in YAML (`flow.task`), the upstream task a sensor waits for,
    /// or `flow.<task id>` for a quality check or gate.
    pub name: String,
    /// Airflow task id.
    pub task_id: String,
    /// Python variable in the DAG file.
    pub var: String,
    /// `sparksql`, `sync`, `ml`, `kylin`, `trigger`; `wait` for a cross-flow sensor,
    /// `quality` for a data quality check, `quality_gate` for the gate after a task's
    /// strong checks.
    pub task_type: &'static str,
    /// What it runs.
    pub operator: Operator,
    /// Pool.
    pub pool: String,
    /// Pool slots taken.
    pub pool_slots: u32,
    /// `priority_weight`.
    pub priority_weight: u32,
    /// `weight_rule`.
    pub weight_rule: String,
    /// Worker queue, when not Airflow's default.
    pub queue: Option<String>,
    /// Priority level.
    pub priority: &'static str,
    /// Retries.
    pub retries: u32,
    /// Seconds between retries.
    pub retry_delay_seconds: u64,
    /// Execution timeout in seconds.
    pub execution_timeout_seconds: Option<u64>,
    /// Task params that differ from the DAG's.
    pub params: BTreeMap<String, DagParam>,
    /// Asset URIs this task updates.
    pub outlets: Vec<String>,
    /// Markdown shown on the task page.
    pub doc_md: String,
    /// Upstream task ids in this DAG, sorted.
    pub upstream: Vec<String>,
    /// Tables read, sorted.
    pub reads: Vec<String>,
    /// Tables written, sorted.
    pub writes: Vec<String>,
    /// The repository file it runs, if any.
    pub source_file: Option<String>,
    /// What a data quality check (`task_type: quality`) checks.
    pub quality: Option<QualityTask>,
}

/// `upstream >> [downstream…]`.
#[derive(Clone, Debug, Serialize)]
pub struct Chain {
    /// Variable of the upstream task.
    pub upstream: String,
    /// Variables of the downstream tasks.
    pub downstream: Vec<String>,
}

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
        /// Seconds between checks.
        poke_interval: u64,
        /// Seconds before failing.
        timeout: u64,
    },
    /// `EmptyOperator`: the gate after a task's strong quality checks.
    EmptyOperator,
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
            Operator::NamedHivePartitionSensor { .. } => "NamedHivePartitionSensor",
            Operator::ExternalTaskSensor { .. } => "ExternalTaskSensor",
            Operator::EmptyOperator => "EmptyOperator",
        }
    }
}

/// Names a task variable may not take: what the DAG file itself defines or imports.
const RESERVED_NAMES: &[&str] = &[
    "dag",
    "DAG",
    "Param",
    "Asset",
    "Dataset",
    "CronDataIntervalTimetable",
    "datetime",
    "timedelta",
    "timezone",
    "flowc_bizdate_run",
    "SparkSqlOperator",
    "SparkSubmitOperator",
    "BashOperator",
    "KylinCubeOperator",
    "HttpSensor",
    "FileSensor",
    "NamedHivePartitionSensor",
    "ExternalTaskSensor",
    "EmptyOperator",
];

/// Characters Airflow allows in DAG and task ids.
fn sanitize_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The Airflow DAG id of a flow in an environment.
pub fn dag_id(environment: &Environment, flow: &str) -> String {
    sanitize_id(&format!("{}{flow}", environment.dag_prefix))
}

/// The task id of the sensor that waits for `upstream`.
fn sensor_task_id(upstream: &TaskId) -> String {
    sanitize_id(&format!("wait__{}__{}", upstream.flow(), upstream.task()))
}

/// What a plan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything, SQL templates included.
    Render,
    /// Only the problems rendering would find (`flowc check`); SQL templates are left
    /// empty.
    Check,
}

/// What the DAG model is built from: the checked repository and what the stages
/// before found in it, borrowed.
#[derive(Clone, Copy)]
pub struct DagInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// The dependency graph.
    pub graph: &'a DependencyGraph,
    /// Every file read, for the SQL text and the flow files' paths.
    pub sources: &'a SourceMap,
    /// Reads and writes per task.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The SQL file of every sparksql task.
    pub sql_files: &'a BTreeMap<TaskId, FileId>,
    /// Where each sparksql task's SQL names its tables.
    pub sql_names: &'a BTreeMap<TaskId, TableNames>,
    /// The DataX job of every sync task that resolved without errors.
    pub datax_jobs: &'a BTreeMap<TaskId, DataxJob>,
    /// The data quality checks of each task with rules.
    pub quality: &'a BTreeMap<TaskId, Vec<Check>>,
}

/// Builds the model of every DAG of one environment.
pub fn build(
    input: &DagInput<'_>,
    environment: &Environment,
    version: AirflowVersion,
    mode: Mode,
) -> Result<EnvironmentDags, Diagnostics> {
    let (repository, graph) = (input.repository, input.graph);
    // Pools, queues and connection ids as this environment runs them.
    let project = environment.apply(&repository.project);
    let mut builder = Builder {
        input,
        repository,
        project: &project,
        environment,
        diagnostics: Diagnostics::default(),
        sql_files: BTreeMap::new(),
        app_files: BTreeMap::new(),
        datax_jobs: BTreeMap::new(),
        outlets: outlets(repository, graph, environment),
        edges_into: BTreeMap::new(),
        render_sql: mode == Mode::Render,
        gated: quality::gated(input.quality),
    };
    for (upstream, downstream, edge) in graph.edges() {
        builder
            .edges_into
            .entry(downstream.flow().as_str())
            .or_default()
            .push((upstream, downstream, edge));
    }
    let mut dags = Vec::with_capacity(repository.flows.len());
    let mut dag_ids: BTreeMap<String, &Flow> = BTreeMap::new();
    for flow in &repository.flows {
        let dag = builder.dag(flow);
        if let Some(other) = dag_ids.insert(dag.dag_id.clone(), flow) {
            builder.diagnostics.push(
                Diagnostic::error(
                    Code::IdCollision,
                    format!(
                        "flows `{}` and `{}` get the same DAG id `{}`",
                        other.id, flow.id, dag.dag_id
                    ),
                )
                .at(flow.name_span)
                .with_help("DAG ids keep only letters, digits, `_`, `-` and `.`: rename one of the flows"),
            );
        }
        dags.push(dag);
    }
    let pools = pools(&project, environment);
    if builder.diagnostics.has_errors() {
        return Err(builder.diagnostics);
    }
    Ok(EnvironmentDags {
        environment: environment.name.clone(),
        airflow_version: version.as_str(),
        dags,
        pools,
        sql_files: builder.sql_files,
        app_files: builder.app_files,
        datax_jobs: builder.datax_jobs,
    })
}

/// The pools of an environment, one per priority level.
fn pools(project: &Project, environment: &Environment) -> BTreeMap<String, Pool> {
    let mut pools = BTreeMap::new();
    for priority in Priority::ALL {
        let level = project.priority_level(priority);
        let slots = level.pool_slots;
        pools.entry(level.pool.clone()).or_insert_with(|| Pool {
            slots,
            description: format!(
                "flowc: {} priority tasks of project {} ({})",
                priority.as_str(),
                project.name,
                environment.name
            ),
        });
    }
    pools
}

/// The asset URI of what an edge carries.
fn asset_uri(environment: &Environment, upstream: &TaskId, reason: &EdgeReason) -> String {
    match reason {
        EdgeReason::Table(table) => format!("flowc://{}/table/{table}", environment.name),
        EdgeReason::Manual => format!("flowc://{}/task/{upstream}", environment.name),
    }
}

/// The assets each task updates for asset-scheduled flows downstream of it.
fn outlets(
    repository: &Repository,
    graph: &DependencyGraph,
    environment: &Environment,
) -> BTreeMap<TaskId, Vec<String>> {
    let asset_flows: BTreeSet<&str> = repository
        .flows
        .iter()
        .filter(|f| f.cross_flow == CrossFlowMode::Asset)
        .map(|f| f.id.as_str())
        .collect();
    let mut outlets: BTreeMap<TaskId, BTreeSet<String>> = BTreeMap::new();
    for (upstream, downstream, edge) in graph.edges() {
        if edge.cross_flow && asset_flows.contains(downstream.flow().as_str()) {
            outlets
                .entry(upstream.clone())
                .or_default()
                .insert(asset_uri(environment, upstream, &edge.reason));
        }
    }
    outlets.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

struct Builder<'a> {
    input: &'a DagInput<'a>,
    repository: &'a Repository,
    project: &'a Project,
    environment: &'a Environment,
    diagnostics: Diagnostics,
    sql_files: BTreeMap<String, String>,
    app_files: BTreeMap<String, String>,
    datax_jobs: BTreeMap<TaskId, DataxJob>,
    outlets: BTreeMap<TaskId, Vec<String>>,
    /// Every edge, grouped by the downstream task's flow, in `graph.edges()` order.
    edges_into: BTreeMap<&'a str, Vec<(&'a TaskId, &'a TaskId, &'a Edge)>>,
    /// Whether SQL templates are built (not when only checking).
    render_sql: bool,
    /// Tasks with strong quality rules: what waits for them waits for their gate.
    gated: BTreeSet<TaskId>,
}

/// How `${bizdate}` is computed in a flow's runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bizdate {
    /// Scheduled: the logical date, `ds`.
    Scheduled,
    /// Triggered: the `bizdate` param of the trigger's conf.
    Param,
    /// Asset-scheduled: the start of the data interval of the triggering runs.
    Assets,
}

impl Bizdate {
    fn of(flow: &Flow) -> Self {
        match (&flow.schedule.value, flow.cross_flow) {
            (Schedule::Triggered, CrossFlowMode::Asset) => Bizdate::Assets,
            (Schedule::Triggered, CrossFlowMode::Sensor) => Bizdate::Param,
            _ => Bizdate::Scheduled,
        }
    }

    /// Jinja expressions of `bizdate` and `bizdate_nodash`.
    fn expressions(self) -> (&'static str, &'static str) {
        match self {
            Bizdate::Scheduled => ("ds", "ds_nodash"),
            Bizdate::Param => ("params.bizdate", "params.bizdate | replace('-', '')"),
            Bizdate::Assets => ("data_interval_start | ds", "data_interval_start | ds_nodash"),
        }
    }
}

impl Builder<'_> {
    fn substitutions(&self, flow: &Flow, task: &Task) -> Substitutions {
        let (bizdate, nodash) = Bizdate::of(flow).expressions();
        let mut expressions = BTreeMap::from([
            ("bizdate".to_owned(), bizdate.to_owned()),
            ("bizdate_nodash".to_owned(), nodash.to_owned()),
        ]);
        for name in task.params.keys() {
            expressions.insert(name.clone(), format!("params.{name}"));
        }
        let literals = BTreeMap::from([
            ("env".to_owned(), self.environment.name.clone()),
            ("flow".to_owned(), flow.id.to_string()),
            ("project".to_owned(), self.project.name.clone()),
            ("task".to_owned(), task.id.task().to_owned()),
        ]);
        Substitutions { expressions, literals }
    }

    fn dag(&mut self, flow: &Flow) -> Dag {
        let dag_id = dag_id(self.environment, flow.id.as_str());
        let bizdate = Bizdate::of(flow);
        let mut params: BTreeMap<String, DagParam> = flow
            .params
            .iter()
            .map(|(name, value)| (name.clone(), dag_param(&value.to_json())))
            .collect();
        if bizdate == Bizdate::Param {
            params.insert(
                "bizdate".to_owned(),
                DagParam {
                    default: None,
                    json_type: "string",
                    format: Some("date"),
                    description: Some("Business date this run processes, YYYY-MM-DD (required).".to_owned()),
                },
            );
        }
        let mut tasks: Vec<DagTask> = Vec::new();
        let mut vars: BTreeSet<String> = RESERVED_NAMES.iter().map(|s| (*s).to_owned()).collect();
        let mut task_ids: BTreeMap<String, Span> = BTreeMap::new();
        let mut sources = BTreeSet::from([
            "flowc.yaml".to_owned(),
            self.input.sources.file(flow.file).path().to_owned(),
        ]);
        // The flow's own tasks first, so their variables keep their names.
        let mut own: Vec<DagTask> = Vec::new();
        for task in &flow.tasks {
            let plan = self.task(flow, task, &params, &mut vars);
            if let Some(file) = &plan.source_file {
                sources.insert(file.clone());
            }
            task_ids.insert(plan.task_id.clone(), task.name_span);
            own.push(plan);
        }
        // Cross-flow dependencies: a sensor per upstream task, or assets.
        let mut sensors: BTreeMap<TaskId, (String, Priority, Vec<String>)> = BTreeMap::new();
        let mut assets: BTreeSet<String> = BTreeSet::new();
        let mut chains: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let var_of: BTreeMap<&str, String> = flow
            .tasks
            .iter()
            .zip(&own)
            .map(|(task, plan)| (task.id.task(), plan.var.clone()))
            .collect();
        // Quality checks right after their tasks; what waits for a task with strong
        // rules waits for its gate.
        let mut exit_var_of = var_of.clone();
        let mut quality_of: Vec<Vec<DagTask>> = Vec::with_capacity(own.len());
        for (task, plan) in flow.tasks.iter().zip(own.iter_mut()) {
            let quality = self.quality_tasks(flow, task, plan, &mut vars);
            let mut added = Vec::new();
            for (severity, check) in quality.checks {
                chains.entry(plan.var.clone()).or_default().insert(check.var.clone());
                if let (Severity::Strong, Some(gate)) = (severity, &quality.gate) {
                    chains.entry(check.var.clone()).or_default().insert(gate.var.clone());
                }
                added.push(check);
            }
            if let Some(mut gate) = quality.gate {
                gate.outlets = std::mem::take(&mut plan.outlets);
                exit_var_of.insert(task.id.task(), gate.var.clone());
                added.push(gate);
            }
            for check in &added {
                let span = check
                    .quality
                    .as_ref()
                    .and_then(|q| task.quality.iter().find(|r| r.name.value == q.rule))
                    .map_or(task.name_span, |rule| rule.name.span);
                if let Some(other) = task_ids.get(&check.task_id) {
                    let (what, label) = if check.quality.is_some() {
                        ("a quality check", "the rule")
                    } else {
                        ("the gate after the strong quality checks", "the task")
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::IdCollision,
                            format!("task `{}` is the id flowc gives {what} of `{}`", check.task_id, task.id),
                        )
                        .at(*other)
                        .with_secondary(span, label)
                        .with_help(
                            "rename this task; `<task>__dq` and `<task>__dq_<rule>` ids are the checks of `<task>`",
                        ),
                    );
                } else {
                    task_ids.insert(check.task_id.clone(), span);
                }
            }
            quality_of.push(added);
        }
        let mut needs_bizdate_run = false;
        let edges = self.edges_into.get(flow.id.as_str()).cloned().unwrap_or_default();
        for (upstream, downstream, edge) in edges {
            let Some(down_var) = var_of.get(downstream.task()) else {
                continue;
            };
            let down_task = flow.tasks.iter().find(|t| &t.id == downstream);
            if !edge.cross_flow {
                if let Some(up_var) = exit_var_of.get(upstream.task()) {
                    chains.entry(up_var.clone()).or_default().insert(down_var.clone());
                }
                continue;
            }
            if flow.cross_flow == CrossFlowMode::Asset {
                assets.insert(asset_uri(self.environment, upstream, &edge.reason));
                continue;
            }
            let priority = down_task.map_or(flow.priority, |t| t.priority);
            let entry = sensors.entry(upstream.clone()).or_insert_with(|| {
                let task_id = sensor_task_id(upstream);
                (task_id, priority, Vec::new())
            });
            entry.1 = entry.1.min(priority);
            entry.2.push(down_var.clone());
            let _ = edge.span;
        }
        for (upstream, (task_id, priority, downstream)) in &sensors {
            let Some(up_flow) = self.repository.flows.iter().find(|f| &f.id == upstream.flow()) else {
                continue;
            };
            let alignment = match align(&up_flow.schedule.value, &flow.schedule.value) {
                Ok(alignment) => alignment,
                Err(problem) => {
                    self.misaligned(flow, up_flow, upstream, &problem);
                    continue;
                }
            };
            let (delta, minute_of_day) = match alignment {
                Alignment::Delta { seconds } => (Some(seconds), None),
                Alignment::TriggeredBizdate { minute_of_day } => {
                    needs_bizdate_run = true;
                    (None, Some(minute_of_day))
                }
            };
            if let Some(span) = task_ids.get(task_id) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::IdCollision,
                        format!("task name `{task_id}` is the id flowc gives the sensor that waits for `{upstream}`"),
                    )
                    .at(*span)
                    .with_help("rename this task; `wait__<flow>__<task>` ids are reserved for cross-flow sensors"),
                );
                continue;
            }
            let var = unique_var(task_id, &mut vars);
            let level = self.project.priority_level(*priority);
            let sensor = DagTask {
                name: upstream.to_string(),
                task_id: task_id.clone(),
                var: var.clone(),
                task_type: "wait",
                operator: Operator::ExternalTaskSensor {
                    external_dag_id: dag_id_of(self.environment, upstream),
                    external_task_id: if self.gated.contains(upstream) {
                        quality::gate_task_id(&sanitize_id(upstream.task()))
                    } else {
                        sanitize_id(upstream.task())
                    },
                    execution_delta_seconds: delta,
                    bizdate_minute_of_day: minute_of_day,
                    poke_interval: self.project.airflow.poke_interval.0,
                    timeout: self.project.airflow.sensor_timeout.0,
                },
                pool: level.pool.clone(),
                pool_slots: 1,
                priority_weight: level.weight,
                weight_rule: level.weight_rule.clone(),
                queue: level.queue.clone(),
                priority: priority.as_str(),
                retries: 0,
                retry_delay_seconds: 300,
                execution_timeout_seconds: None,
                params: BTreeMap::new(),
                outlets: Vec::new(),
                doc_md: format!(
                    "Waits for `{upstream}` (DAG `{}`) of the same business date: this flow reads what it writes.",
                    dag_id_of(self.environment, upstream)
                ),
                upstream: Vec::new(),
                reads: Vec::new(),
                writes: Vec::new(),
                source_file: None,
                quality: None,
            };
            let mut downstream = downstream.clone();
            downstream.sort();
            downstream.dedup();
            chains.entry(var).or_default().extend(downstream);
            tasks.push(sensor);
        }
        for (plan, checks) in own.into_iter().zip(quality_of) {
            tasks.push(plan);
            tasks.extend(checks);
        }
        // Upstream task ids, from the chains.
        let id_of: BTreeMap<String, String> = tasks.iter().map(|t| (t.var.clone(), t.task_id.clone())).collect();
        let mut upstream_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (up, downs) in &chains {
            for down in downs {
                if let Some(id) = id_of.get(up) {
                    upstream_of.entry(down.clone()).or_default().insert(id.clone());
                }
            }
        }
        for task in &mut tasks {
            task.upstream = upstream_of.remove(&task.var).unwrap_or_default().into_iter().collect();
        }
        let order: BTreeMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.var.as_str(), i)).collect();
        let mut chains: Vec<Chain> = chains
            .iter()
            .map(|(up, downs)| {
                let mut downstream: Vec<String> = downs.iter().cloned().collect();
                downstream.sort_by_key(|d| order.get(d.as_str()).copied().unwrap_or(usize::MAX));
                Chain {
                    upstream: up.clone(),
                    downstream,
                }
            })
            .collect();
        chains.sort_by_key(|c| order.get(c.upstream.as_str()).copied().unwrap_or(usize::MAX));
        let schedule = match (&flow.schedule.value, bizdate) {
            (_, Bizdate::Assets) => {
                if assets.is_empty() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::ScheduleMisaligned,
                            format!(
                                "flow `{}` is scheduled by assets but reads nothing from another flow",
                                flow.id
                            ),
                        )
                        .at(flow.schedule.span)
                        .with_help(
                            "give it a cron schedule, or use `cross_flow: sensor` so `schedule: none` means triggered",
                        ),
                    );
                }
                DagSchedule::Assets {
                    uris: assets.into_iter().collect(),
                }
            }
            (Schedule::Triggered, _) => DagSchedule::Triggered,
            (schedule, _) => match Cron::of(schedule) {
                Some(cron) => DagSchedule::Cron {
                    cron: cron.expression(),
                },
                None => DagSchedule::Once,
            },
        };
        // An environment that runs nothing on its own keeps only asset schedules: those
        // follow runs someone started upstream.
        let schedule = match (self.environment.schedule, schedule) {
            (ScheduleOverride::Manual, DagSchedule::Cron { .. } | DagSchedule::Once) => DagSchedule::Triggered,
            (_, schedule) => schedule,
        };
        if flow.cross_flow == CrossFlowMode::Asset && !matches!(flow.schedule.value, Schedule::Triggered) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::ScheduleMisaligned,
                    format!(
                        "flow `{}` uses `cross_flow: asset` but also has a time schedule",
                        flow.id
                    ),
                )
                .at(flow.schedule.span)
                .with_help("an asset-scheduled flow runs when its upstream tables are updated: set `schedule: none`"),
            );
        }
        let operators = tasks.iter().map(|t| t.operator.class()).collect();
        let doc_md = dag_doc(flow, &sources);
        Dag {
            flow: flow.id.to_string(),
            dag_id,
            owner: flow.owner.value.clone(),
            description: flow.description.clone(),
            doc_md,
            schedule,
            start_date: flow
                .start_date
                .as_deref()
                .and_then(parse_date)
                .or_else(|| self.asset_start_date(flow)),
            catchup: flow.catchup,
            paused_upon_creation: (self.environment.schedule == ScheduleOverride::Paused).then_some(true),
            tags: {
                let mut tags = flow.tags.clone();
                tags.sort();
                tags.dedup();
                tags
            },
            max_active_runs: flow.max_active_runs,
            max_active_tasks: flow.max_active_tasks,
            params,
            tasks,
            chains,
            operators,
            needs_bizdate_run,
            sources: sources.into_iter().collect(),
        }
    }

    /// An asset-scheduled flow without `start_date` starts with its earliest upstream
    /// flow (Airflow 2.10 refuses a dataset-scheduled DAG without one).
    fn asset_start_date(&self, flow: &Flow) -> Option<(u32, u32, u32)> {
        if flow.cross_flow != CrossFlowMode::Asset {
            return None;
        }
        self.edges_into
            .get(flow.id.as_str())?
            .iter()
            .filter(|(_, _, edge)| edge.cross_flow)
            .filter_map(|(upstream, _, _)| {
                let up = self.repository.flows.iter().find(|f| &f.id == upstream.flow())?;
                up.start_date.as_deref().and_then(parse_date)
            })
            .min()
    }

    fn misaligned(&mut self, flow: &Flow, up_flow: &Flow, upstream: &TaskId, problem: &Misalignment) {
        let (message, help) = match problem {
            Misalignment::UpstreamUnscheduled => (
                format!(
                    "`{}` waits for `{upstream}`, but flow `{}` has no fixed runs to wait for",
                    flow.id, up_flow.id
                ),
                "schedule both flows, or make this flow asset-scheduled (`cross_flow: asset`, `schedule: none`) so it runs when the upstream tables are updated".to_owned(),
            ),
            Misalignment::MissingDays { upstream: up, downstream: down } => (
                format!(
                    "flow `{}` (`{down}`) waits for `{upstream}`, but flow `{}` (`{up}`) does not run on every day it does",
                    flow.id, up_flow.id
                ),
                "run the upstream flow daily, give both flows the same days, or use `cross_flow: asset`".to_owned(),
            ),
            Misalignment::SeveralRunsPerDay { upstream: up, downstream: down } => (
                format!(
                    "flow `{}` (`{down}`) waits for `{upstream}`, but flow `{}` (`{up}`) runs at other times of day, so no single run has the same business date",
                    flow.id, up_flow.id
                ),
                "give both flows the same schedule, run the upstream flow once a day, or use `cross_flow: asset`".to_owned(),
            ),
        };
        self.diagnostics.push(
            Diagnostic::error(Code::ScheduleMisaligned, message)
                .at(flow.schedule.span)
                .with_label("this schedule")
                .with_help(help),
        );
    }

    fn task(
        &mut self,
        flow: &Flow,
        task: &Task,
        dag_params: &BTreeMap<String, DagParam>,
        vars: &mut BTreeSet<String>,
    ) -> DagTask {
        let level = self.project.priority_level(task.priority);
        let subs = self.substitutions(flow, task);
        let airflow = &self.project.airflow;
        let task_id = sanitize_id(task.id.task());
        let job_name = format!("{}.{}", dag_id(self.environment, flow.id.as_str()), task_id);
        let io = self.input.task_io.get(&task.id);
        let env = self.environment;
        let mut reads: Vec<String> = io.map_or_else(Vec::new, |io| {
            io.reads
                .iter()
                .map(|t| env.table(&t.name).to_string())
                .chain(io.external_reads.iter().map(ToString::to_string))
                .collect()
        });
        let mut writes: Vec<String> = io.map_or_else(Vec::new, |io| {
            io.writes
                .iter()
                .map(|t| env.table(&t.name).to_string())
                .chain(io.external_writes.iter().map(ToString::to_string))
                .collect()
        });
        reads.sort();
        reads.dedup();
        writes.sort();
        writes.dedup();
        let mut source_file = None;
        let poke = |own: Option<crate::model::Duration>| own.unwrap_or(airflow.poke_interval).0;
        let operator = match &task.kind {
            TaskKind::SparkSql(spark) => {
                source_file = Some(spark.sql.value.clone());
                let text = self
                    .input
                    .sql_files
                    .get(&task.id)
                    .and_then(|&file| {
                        let text = self.input.sources.file(file).text();
                        let none = crate::sql::TableNames::default();
                        let names = self.input.sql_names.get(&task.id).unwrap_or(&none);
                        match crate::sql::rewrite::map_tables(text, names, self.environment) {
                            Ok(mapped) => self.render_sql.then(|| jinja::sql(file, &mapped, &subs)),
                            Err(problems) => {
                                self.diagnostics.extend(problems);
                                None
                            }
                        }
                    })
                    .unwrap_or_default();
                let sql = SparkSql {
                    flow,
                    task_id: &task_id,
                    text,
                    conf: &spark.conf,
                    level: &level,
                    subs: &subs,
                    job_name,
                };
                let Some(operator) = self.spark_sql_operator(spark.operator, sql) else {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::MissingSqlRunner,
                            format!("task `{}` uses `operator: spark_submit` but no SQL runner is set", task.id),
                        )
                        .at(spark.sql.span)
                        .with_help("set `airflow.sql_runner` in flowc.yaml to the PySpark file or JAR that runs `--sql <text>`, or drop `operator: spark_submit`"),
                    );
                    return placeholder_task(task, task_id, vars);
                };
                operator
            }
            TaskKind::Sync(sync_task) => {
                if !self.input.datax_jobs.contains_key(&task.id) {
                    return placeholder_task(task, task_id, vars);
                }
                // Resolved again for this environment: its databases, connections.
                let (resolved, problems) = crate::sync::resolve_in(
                    self.repository,
                    self.project,
                    Some(self.environment),
                    flow,
                    task,
                    sync_task,
                );
                self.diagnostics
                    .extend(problems.into_iter().filter(Diagnostic::is_error));
                let Some(resolved) = resolved else {
                    return placeholder_task(task, task_id, vars);
                };
                let sync = self.datax_jobs.entry(task.id.clone()).or_insert(resolved);
                let datax_job = format!("datax/{}/{}.json", flow.id, task_id);
                let (bizdate, nodash) = Bizdate::of(flow).expressions();
                let root = &airflow.datax_job_root;
                let command = format!(
                    "python3 \"{root}/flowc_datax.py\" \"{root}/{}/{}.json\" -- {} -p \"-Dbizdate={{{{ {bizdate} }}}} -Dbizdate_nodash={{{{ {nodash} }}}}\"",
                    flow.id,
                    task_id,
                    jinja::value(&airflow.datax_command, &Substitutions::default()),
                );
                let env = sync
                    .credentials
                    .iter()
                    .filter_map(|credential| match &credential.source {
                        CredentialSource::AirflowConnection { conn_id, field } => Some((
                            credential.variable.clone(),
                            format!("{{{{ conn.get('{}').{field} }}}}", jinja::escape(conn_id)),
                        )),
                        CredentialSource::Worker => None,
                    })
                    .collect();
                Operator::BashOperator {
                    bash_command: command,
                    env,
                    datax_channels: sync.setting.channel,
                    datax_bytes_per_second: sync.setting.byte.unwrap_or_default(),
                    datax_job,
                    column_lineage: sync.columns.clone(),
                    credential_variables: sync.credentials.iter().map(|c| c.variable.clone()).collect(),
                }
            }
            TaskKind::Ml(ml) => {
                let application = if ml.application.contains("://") || ml.application.starts_with('/') {
                    jinja::escape(&ml.application)
                } else {
                    let path = join(&flow.folder, &ml.application);
                    source_file = Some(path.clone());
                    self.app_files.insert(format!("apps/{path}"), path.clone());
                    format!("{{{{ dag.folder }}}}/../apps/{}", jinja::escape(&path))
                };
                Operator::SparkSubmitOperator {
                    application,
                    java_class: ml.main_class.clone(),
                    application_args: ml.args.iter().map(|a| jinja::value(a, &subs)).collect(),
                    conf: submit_conf(&ml.conf, &subs, &level),
                    conn_id: airflow.spark_conn_id.clone(),
                    name: jinja::escape(&job_name),
                }
            }
            TaskKind::Kylin(kylin) => {
                let (bizdate, _) = Bizdate::of(flow).expressions();
                let days =
                    format!("((macros.datetime.strptime({bizdate}, '%Y-%m-%d') - macros.datetime(1970, 1, 1)).days");
                Operator::KylinCubeOperator {
                    conn_id: airflow.kylin_conn_id.clone(),
                    project: jinja::value(&kylin.project, &subs),
                    cube: jinja::value(&kylin.cube, &subs),
                    command: jinja::escape(&kylin.build_type),
                    start_time: format!("{{{{ {days}) * 86400000 }}}}"),
                    end_time: format!("{{{{ {days} + 1) * 86400000 }}}}"),
                }
            }
            TaskKind::Trigger(trigger) => {
                let poke_interval = poke(trigger.poke_interval);
                let timeout = trigger.timeout.unwrap_or(airflow.sensor_timeout).0;
                match &trigger.wait_for {
                    WaitFor::Http { connection, endpoint } => Operator::HttpSensor {
                        conn_id: self.environment.airflow_connection(connection).to_owned(),
                        endpoint: jinja::value(endpoint, &subs),
                        poke_interval,
                        timeout,
                    },
                    WaitFor::File { path } => Operator::FileSensor {
                        conn_id: airflow.fs_conn_id.clone(),
                        filepath: jinja::value(path, &subs),
                        poke_interval,
                        timeout,
                    },
                    WaitFor::Partition { table, partition } => {
                        let table = self.environment.table(table);
                        reads.push(table.to_string());
                        let spec: Vec<String> = partition
                            .split([',', '/'])
                            .map(|part| part.trim().replace(['\'', '"'], ""))
                            .filter(|part| !part.is_empty())
                            .collect();
                        Operator::NamedHivePartitionSensor {
                            conn_id: airflow.metastore_conn_id.clone(),
                            partition_names: vec![jinja::value(&format!("{table}/{}", spec.join("/")), &subs)],
                            poke_interval,
                            timeout,
                        }
                    }
                }
            }
        };
        let own_params: BTreeMap<String, DagParam> = task
            .params
            .iter()
            .filter(|(name, value)| {
                dag_params
                    .get(*name)
                    .is_none_or(|p| p.default.as_ref() != Some(&value.to_json()))
            })
            .map(|(name, value)| (name.clone(), dag_param(&value.to_json())))
            .collect();
        let var = unique_var(&task_id, vars);
        DagTask {
            name: task.id.to_string(),
            doc_md: task_doc(task, &reads, &writes, source_file.as_deref()),
            task_id,
            var,
            task_type: task.kind.type_name(),
            operator,
            pool: level.pool.clone(),
            pool_slots: 1,
            priority_weight: level.weight,
            weight_rule: level.weight_rule.clone(),
            queue: level.queue.clone(),
            priority: task.priority.as_str(),
            retries: task.retries.unwrap_or(0),
            retry_delay_seconds: task.retry_delay.map_or(300, |d| d.0),
            execution_timeout_seconds: task.timeout.map(|d| d.0),
            params: own_params,
            outlets: self.outlets.get(&task.id).cloned().unwrap_or_default(),
            upstream: Vec::new(),
            reads,
            writes,
            source_file,
            quality: None,
        }
    }
}

/// A SQL text to run through Spark, and what its operator is built from.
struct SparkSql<'a> {
    flow: &'a Flow,
    /// The Airflow task id; the SQL template is `sql/<flow>/<task id>.sql`.
    task_id: &'a str,
    /// The SQL as an Airflow template (tables mapped, `${name}` substituted).
    text: String,
    conf: &'a BTreeMap<String, String>,
    level: &'a PriorityLevel,
    subs: &'a Substitutions,
    /// Spark job name, stable across runs.
    job_name: String,
}

impl Builder<'_> {
    /// The operator that runs a SQL text the way `kind` runs a sparksql task's file:
    /// `SparkSqlOperator` on a template file next to the DAG, or `SparkSubmitOperator`
    /// with the project's SQL runner (`None` when there is none).
    fn spark_sql_operator(&mut self, kind: SparkSqlOperator, sql: SparkSql<'_>) -> Option<Operator> {
        let airflow = &self.project.airflow;
        Some(match kind {
            SparkSqlOperator::SparkSql => {
                let path = format!("sql/{}/{}.sql", sql.flow.id, sql.task_id);
                self.sql_files.insert(path.clone(), sql.text);
                Operator::SparkSqlOperator {
                    sql: path,
                    conf: sql.conf.clone(),
                    yarn_queue: sql.level.yarn_queue.clone(),
                    conn_id: airflow.spark_sql_conn_id.clone(),
                    name: sql.job_name,
                }
            }
            SparkSqlOperator::SparkSubmit => Operator::SparkSubmitOperator {
                application: jinja::escape(airflow.sql_runner.as_ref()?),
                java_class: None,
                application_args: vec!["--sql".to_owned(), sql.text],
                conf: submit_conf(sql.conf, sql.subs, sql.level),
                conn_id: airflow.spark_conn_id.clone(),
                name: jinja::escape(&sql.job_name),
            },
        })
    }
}

/// The templated `conf` of a `SparkSubmitOperator`: the task's Spark conf with
/// `${name}` substituted, plus the priority level's YARN queue.
fn submit_conf(
    conf: &BTreeMap<String, String>,
    subs: &Substitutions,
    level: &PriorityLevel,
) -> BTreeMap<String, String> {
    let mut conf: BTreeMap<String, String> = conf
        .iter()
        .map(|(key, value)| (key.clone(), jinja::value(value, subs)))
        .collect();
    conf.insert("spark.yarn.queue".to_owned(), level.yarn_queue.clone());
    conf
}

/// A stand-in plan for a task whose operator could not be built; its error is
/// already reported, so the plan is never rendered.
fn placeholder_task(task: &Task, task_id: String, vars: &mut BTreeSet<String>) -> DagTask {
    DagTask {
        name: task.id.to_string(),
        var: unique_var(&task_id, vars),
        task_id,
        task_type: task.kind.type_name(),
        operator: Operator::BashOperator {
            bash_command: String::new(),
            env: BTreeMap::new(),
            datax_channels: 0,
            datax_bytes_per_second: 0,
            datax_job: String::new(),
            column_lineage: Vec::new(),
            credential_variables: Vec::new(),
        },
        pool: String::new(),
        pool_slots: 1,
        priority_weight: 1,
        weight_rule: String::new(),
        queue: None,
        priority: task.priority.as_str(),
        retries: 0,
        retry_delay_seconds: 0,
        execution_timeout_seconds: None,
        params: BTreeMap::new(),
        outlets: Vec::new(),
        doc_md: String::new(),
        upstream: Vec::new(),
        reads: Vec::new(),
        writes: Vec::new(),
        source_file: None,
        quality: None,
    }
}

fn dag_id_of(environment: &Environment, task: &TaskId) -> String {
    dag_id(environment, task.flow().as_str())
}

/// A Python variable for `name`, unique in the file.
fn unique_var(name: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    let base = if python::is_identifier(&base) && !taken.contains(&base) {
        base
    } else {
        format!("task_{base}")
    };
    let mut var = base.clone();
    let mut n = 2;
    while taken.contains(&var) || !python::is_identifier(&var) {
        var = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(var.clone());
    var
}

fn dag_param(value: &Value) -> DagParam {
    let json_type = match value {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        _ => "string",
    };
    DagParam {
        default: Some(value.clone()),
        json_type,
        format: None,
        description: None,
    }
}

fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.splitn(3, '-').map(str::parse::<u32>);
    Some((parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?))
}

fn join(folder: &str, path: &str) -> String {
    let path = path.trim_start_matches("./");
    if folder.is_empty() {
        path.to_owned()
    } else {
        format!("{folder}/{path}")
    }
}

fn code_list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    }
}

fn task_doc(task: &Task, reads: &[String], writes: &[String], source: Option<&str>) -> String {
    let mut doc = format!("**{}** ({})", task.id, task.kind.type_name());
    if let Some(description) = &task.description {
        doc.push_str("\n\n");
        doc.push_str(description);
    }
    if let Some(source) = source {
        let _ = write!(doc, "\n\n- Source: `{source}`");
    } else {
        doc.push('\n');
    }
    let _ = write!(
        doc,
        "
- Reads: {}
- Writes: {}",
        code_list(reads),
        code_list(writes)
    );
    doc
}

fn dag_doc(flow: &Flow, sources: &BTreeSet<String>) -> String {
    let mut doc = format!("**{}**, owned by `{}`.", flow.id, flow.owner.value);
    if let Some(description) = &flow.description {
        doc.push_str("\n\n");
        doc.push_str(description);
    }
    doc.push_str("\n\nGenerated by flowc from:\n");
    for source in sources {
        let _ = write!(doc, "\n- `{source}`");
    }
    doc
}
