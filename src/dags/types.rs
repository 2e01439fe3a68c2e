//! The DAG model's plain data: what one environment's DAG files say.
//!
//! These types are serialised into the templates' context and the manifest, so the
//! names and order of their fields are part of the output.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::Operator;
use super::run::RunSettings;
use crate::diagnostic::Diagnostic;
use crate::model::{Alert, TaskId};
use crate::sync::DataxJob;

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
    /// Warnings found while building them (errors stop the build instead).
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
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
    /// The IANA time zone of its schedule, start date and business dates.
    pub timezone: &'static str,
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
    /// Run timeout, SLA and what goes into `default_args`.
    pub run: RunSettings,
    /// DAG params, by name.
    pub params: BTreeMap<String, DagParam>,
    /// Sensors first, then the flow's tasks in file order, each preceded by its
    /// partition step and followed by its quality checks and their gate.
    pub tasks: Vec<DagTask>,
    /// `upstream >> [downstream…]` lines, by variable name.
    pub chains: Vec<Chain>,
    /// Operator class names used, for the imports.
    pub operators: BTreeSet<&'static str>,
    /// Whether the file needs the helper that finds a triggered run's upstream run.
    pub needs_bizdate_run: bool,
    /// Whether the file needs the helper that finds an upstream run by time zone.
    pub needs_zoned_run: bool,
    /// Repository files this DAG is compiled from.
    pub sources: Vec<String>,
}

/// A DAG's schedule.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DagSchedule {
    /// `CronDataIntervalTimetable(cron, timezone=<the DAG's zone>)`.
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
    /// strong checks, `partition` for the Hive partition a sync registers first.
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
    /// Runs only when its previous scheduled run succeeded.
    pub depends_on_past: bool,
    /// Who is told when it fails.
    pub alerts: Vec<Alert>,
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
    /// What a partition task (`task_type: partition`) registers.
    pub partition: Option<PartitionTask>,
}

/// The Hive partition a partition task registers before its sync task writes it, as
/// recorded in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct PartitionTask {
    /// The sync task that writes the partition's files, `flow.task`.
    pub task: String,
    /// The table, as this environment names it.
    pub table: String,
    /// `col=value[/col=value]`, with `${bizdate}` as written.
    pub partition: String,
    /// The directory registered as the partition: the one hdfswriter writes.
    pub location: String,
}

/// What a check task checks, as recorded in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct QualityTask {
    /// The rule's name.
    pub rule: String,
    /// The task whose output it checks, `flow.task`.
    pub task: String,
    /// `timeliness`, `completeness`, `accuracy`, `consistency` or `validity`.
    pub dimension: &'static str,
    /// The check, e.g. `not_null`.
    pub kind: &'static str,
    /// `strong` or `weak`.
    pub severity: &'static str,
    /// The table checked, as this environment names it.
    pub table: String,
    /// The partition checked (`dt=${bizdate}`), `None` for the whole table.
    pub partition: Option<String>,
    /// The results table the check appends to, as this environment names it. Not in
    /// the task's `writes`: it is a log every check appends to, not a table the
    /// check produces, so lineage and the plan's "writer changed" leave it out.
    pub results_table: String,
    /// How the observed value must compare with the threshold: `<=` or `>=`.
    pub comparison: &'static str,
    /// The threshold, as SQL number text.
    pub threshold: String,
    /// The rule's description.
    pub description: Option<String>,
    /// What the check is given (columns, values, bounds, expressions, the table it
    /// compares with, as this environment names it); see [`crate::quality::settings`].
    pub settings: BTreeMap<String, Vec<String>>,
}

/// `upstream >> [downstream…]`.
#[derive(Clone, Debug, Serialize)]
pub struct Chain {
    /// Variable of the upstream task.
    pub upstream: String,
    /// Variables of the downstream tasks.
    pub downstream: Vec<String>,
}

impl DagParam {
    /// An optional param whose default is `value`, typed after it.
    pub(super) fn of_value(value: &Value) -> Self {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn params_are_typed_after_their_default() {
        for (value, json_type) in [
            (json!(true), "boolean"),
            (json!(7), "integer"),
            (json!(u64::MAX), "integer"),
            (json!(-3), "integer"),
            (json!(1.5), "number"),
            (json!("x"), "string"),
            (json!(["a"]), "string"),
        ] {
            let param = DagParam::of_value(&value);
            assert_eq!(param.json_type, json_type, "{value}");
            assert_eq!(param.default, Some(value));
            assert_eq!((param.format, param.description), (None, None));
        }
    }
}
