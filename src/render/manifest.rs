//! `manifest.json`: what one environment's compile produced, from what.
//!
//! Flows, tasks (with the Airflow attributes the DAG files set), edges, reads and
//! writes, and the SHA-256 of every input and output file. The real-Airflow tests
//! compare loaded DAGs against it; `flowc plan` (later) diffs two of them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::graph::{DependencyGraph, EdgeReason};
use crate::model::{AirflowVersion, Repository};
use crate::render::plan::{EnvironmentPlan, Operator, SchedulePlan, TaskPlan};
use crate::render::{hash_bytes, to_json_bytes};

/// Manifest format version; bumped when a field changes meaning.
pub const MANIFEST_VERSION: u32 = 1;

/// The manifest of one environment, as pretty JSON bytes.
pub(crate) fn manifest(
    repository: &Repository,
    graph: &DependencyGraph,
    plan: &EnvironmentPlan,
    inputs: &BTreeMap<String, Vec<u8>>,
    outputs: &BTreeMap<String, Vec<u8>>,
    version: AirflowVersion,
) -> Vec<u8> {
    let flows: Vec<Value> = plan
        .dags
        .iter()
        .map(|dag| {
            json!({
                "flow": dag.flow,
                "dag_id": dag.dag_id,
                "file": format!("dags/{}.py", dag.dag_id),
                "owner": dag.owner,
                "schedule": schedule(&dag.schedule),
                "start_date": dag.start_date.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
                "catchup": dag.catchup,
                "tags": dag.tags,
                "max_active_runs": dag.max_active_runs,
                "max_active_tasks": dag.max_active_tasks,
                "params": dag.params.iter().map(|(name, p)| (name.clone(), p.default.clone().unwrap_or(Value::Null))).collect::<serde_json::Map<_, _>>(),
                "sources": dag.sources,
                "tasks": dag.tasks.iter().map(task).collect::<Vec<_>>(),
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edges()
        .into_iter()
        .map(|(from, to, edge)| {
            json!({
                "from": from.to_string(),
                "to": to.to_string(),
                "table": match &edge.reason {
                    EdgeReason::Table(table) => Value::String(table.to_string()),
                    EdgeReason::Manual => Value::Null,
                },
                "cross_flow": edge.cross_flow,
            })
        })
        .collect();
    let hashes = |files: &BTreeMap<String, Vec<u8>>| -> serde_json::Map<String, Value> {
        files
            .iter()
            .map(|(path, bytes)| (path.clone(), Value::String(format!("sha256:{}", hash_bytes(bytes)))))
            .collect()
    };
    let manifest = json!({
        "manifest_version": MANIFEST_VERSION,
        "generator": format!("flowc {}", env!("CARGO_PKG_VERSION")),
        "project": repository.project.name,
        "environment": plan.environment,
        "airflow_version": version.as_str(),
        "pools": plan.pools.iter().map(|(name, p)| (name.clone(), json!(p.slots))).collect::<serde_json::Map<_, _>>(),
        "flows": flows,
        "edges": edges,
        "inputs": hashes(inputs),
        "outputs": hashes(outputs),
    });
    to_json_bytes(&manifest)
}

fn schedule(schedule: &SchedulePlan) -> Value {
    match schedule {
        SchedulePlan::Cron { cron } => json!({"kind": "cron", "cron": cron, "timetable": "CronDataIntervalTimetable"}),
        SchedulePlan::Once => json!({"kind": "once"}),
        SchedulePlan::Triggered => json!({"kind": "triggered"}),
        SchedulePlan::Assets { uris } => json!({"kind": "assets", "assets": uris}),
    }
}

fn task(task: &TaskPlan) -> Value {
    let mut value = json!({
        "task_id": task.task_id,
        "name": task.name,
        "type": task.task_type,
        "operator": task.operator.class(),
        "priority": task.priority,
        "pool": task.pool,
        "pool_slots": task.pool_slots,
        "priority_weight": task.priority_weight,
        "weight_rule": task.weight_rule,
        "queue": task.queue.as_deref().unwrap_or("default"),
        "retries": task.retries,
        "retry_delay_seconds": task.retry_delay_seconds,
        "execution_timeout_seconds": task.execution_timeout_seconds,
        "upstream": task.upstream,
        "reads": task.reads,
        "writes": task.writes,
        "source_file": task.source_file,
        "outlets": task.outlets,
    });
    let extra = match &task.operator {
        Operator::SparkSqlOperator {
            sql,
            yarn_queue,
            conn_id,
            name,
            ..
        } => {
            json!({"sql_template": format!("dags/{sql}"), "yarn_queue": yarn_queue, "conn_id": conn_id, "spark_name": name})
        }
        Operator::SparkSubmitOperator { conf, conn_id, .. } => {
            json!({"yarn_queue": conf.get("spark.yarn.queue"), "conn_id": conn_id})
        }
        Operator::BashOperator {
            datax_channels,
            datax_bytes_per_second,
            datax_job,
            column_lineage,
            credential_variables,
            ..
        } => {
            json!({
                "datax_job": datax_job,
                "datax_channels": datax_channels,
                "datax_bytes_per_second": datax_bytes_per_second,
                "column_lineage": column_lineage,
                "credential_variables": credential_variables,
            })
        }
        Operator::ExternalTaskSensor {
            external_dag_id,
            external_task_id,
            execution_delta_seconds,
            bizdate_minute_of_day,
            ..
        } => {
            json!({
                "external_dag_id": external_dag_id,
                "external_task_id": external_task_id,
                "execution_delta_seconds": execution_delta_seconds,
                "bizdate_minute_of_day": bizdate_minute_of_day,
                "mode": "reschedule",
            })
        }
        Operator::HttpSensor { .. } | Operator::FileSensor { .. } | Operator::NamedHivePartitionSensor { .. } => {
            json!({"mode": "reschedule"})
        }
        Operator::KylinCubeOperator { .. } => json!({}),
    };
    if let (Value::Object(map), Value::Object(more)) = (&mut value, extra) {
        map.extend(more);
    }
    value
}
