//! The manifest of one environment, built from its DAG model and rendered files.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{
    ColumnEdge, EdgeEntry, FlowEntry, MANIFEST_VERSION, Manifest, OperatorEntry, PartitionEntry, QualityEntry,
    ScheduleEntry, TaskEntry,
};
use crate::Error;
use crate::dags::{Dag, DagSchedule, DagTask, EnvironmentDags, Operator};
use crate::graph::{DependencyGraph, EdgeReason};
use crate::hash::hash_bytes;
use crate::model::{AirflowVersion, Repository};
use crate::render::fingerprint::{self, TaskFiles, lineage, lineage_of};

/// The manifest of one environment.
pub(crate) fn build(
    repository: &Repository,
    graph: &DependencyGraph,
    dags: &EnvironmentDags,
    inputs: &BTreeMap<String, Vec<u8>>,
    outputs: &BTreeMap<String, Vec<u8>>,
    version: AirflowVersion,
) -> Result<Manifest, Error> {
    let edges: Vec<EdgeEntry> = graph
        .edges()
        .into_iter()
        .map(|(from, to, edge)| EdgeEntry {
            from: from.to_string(),
            to: to.to_string(),
            table: match &edge.reason {
                EdgeReason::Table(table) => Some(table.to_string()),
                EdgeReason::Manual => None,
            },
            cross_flow: edge.cross_flow,
        })
        .collect();
    let files = TaskFiles {
        inputs,
        outputs,
        applications: &dags.app_files,
    };
    let mut flows: Vec<FlowEntry> = dags
        .dags
        .iter()
        .map(|dag| flow(dag, &files))
        .collect::<Result<_, _>>()?;
    set_lineage(&mut flows, &edges)?;
    let hashes = |files: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(path, bytes)| (path.clone(), format!("sha256:{}", hash_bytes(bytes))))
            .collect()
    };
    Ok(Manifest {
        manifest_version: MANIFEST_VERSION,
        generator: format!("flowc {}", env!("CARGO_PKG_VERSION")),
        project: repository.project.name.clone(),
        environment: dags.environment.clone(),
        airflow_version: version.as_str().to_owned(),
        pools: dags.pools.iter().map(|(name, p)| (name.clone(), p.slots)).collect(),
        flows,
        edges,
        sources: {
            let mut sources: Vec<String> = repository.project.sources.iter().map(|s| s.table.to_string()).collect();
            sources.sort();
            sources.dedup();
            sources
        },
        inputs: hashes(inputs),
        outputs: hashes(outputs),
        access: access_rules(&repository.project),
    })
}

/// The project's access control as lines by subject (see [`Manifest::access`]).
fn access_rules(project: &crate::model::Project) -> BTreeMap<String, Vec<String>> {
    let classes = |list: &[crate::model::Spanned<String>]| -> String {
        if list.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = list.iter().map(|c| c.value.as_str()).collect();
            format!(" [{}]", names.join(", "))
        }
    };
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for team in project.teams.values() {
        let lines = match &team.grants {
            None => vec!["unrestricted (no grants)".to_owned()],
            Some(grants) => grants
                .iter()
                .map(|g| {
                    format!(
                        "{} {}{}",
                        g.access.as_str(),
                        g.tables.as_str(),
                        classes(&g.classifications)
                    )
                })
                .collect(),
        };
        rules.insert(format!("team {}", team.name), lines);
    }
    for class in project.classifications.values() {
        let line = if class.requires_grant {
            "requires a grant naming it"
        } else {
            "no grant required"
        };
        rules.insert(format!("classification {}", class.name), vec![line.to_owned()]);
    }
    for entry in &project.table_metadata {
        let lines = rules.entry(format!("tables {}", entry.tables.as_str())).or_default();
        if let Some(owner) = &entry.owner {
            lines.push(format!("owner {}", owner.value));
        }
        lines.extend(entry.classifications.iter().map(|c| format!("class {}", c.value)));
    }
    for lines in rules.values_mut() {
        lines.sort();
        lines.dedup();
    }
    rules
}

fn flow(dag: &Dag, files: &TaskFiles<'_>) -> Result<FlowEntry, Error> {
    Ok(FlowEntry {
        flow: dag.flow.clone(),
        dag_id: dag.dag_id.clone(),
        file: format!("dags/{}.py", dag.dag_id),
        owner: dag.owner.clone(),
        description: dag.description.clone(),
        schedule: schedule(&dag.schedule),
        timezone: dag.timezone.to_owned(),
        start_date: dag.start_date.map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        catchup: dag.catchup,
        tags: dag.tags.clone(),
        max_active_runs: dag.max_active_runs,
        max_active_tasks: dag.max_active_tasks,
        dagrun_timeout_seconds: dag.run.dagrun_timeout_seconds,
        sla_seconds: dag.run.sla_seconds,
        deadline_alerts: dag.run.deadline_alerts.clone(),
        params: dag
            .params
            .iter()
            .map(|(name, p)| (name.clone(), p.default.clone().unwrap_or(Value::Null)))
            .collect(),
        sources: dag.sources.clone(),
        tasks: dag.tasks.iter().map(|t| task(t, files)).collect::<Result<_, _>>()?,
    })
}

fn schedule(schedule: &DagSchedule) -> ScheduleEntry {
    match schedule {
        DagSchedule::Cron { cron } => ScheduleEntry::Cron {
            cron: cron.clone(),
            timetable: "CronDataIntervalTimetable".to_owned(),
        },
        DagSchedule::Once => ScheduleEntry::Once,
        DagSchedule::Triggered => ScheduleEntry::Triggered,
        DagSchedule::Assets { uris } => ScheduleEntry::Assets { assets: uris.clone() },
    }
}

fn task(task: &DagTask, files: &TaskFiles<'_>) -> Result<TaskEntry, Error> {
    let operator = match &task.operator {
        Operator::SparkSqlOperator {
            sql,
            yarn_queue,
            conn_id,
            name,
            ..
        } => OperatorEntry::SparkSqlOperator {
            sql_template: format!("dags/{sql}"),
            yarn_queue: yarn_queue.clone(),
            conn_id: conn_id.clone(),
            spark_name: name.clone(),
        },
        Operator::SparkSubmitOperator { conf, conn_id, .. } => OperatorEntry::SparkSubmitOperator {
            yarn_queue: conf.get("spark.yarn.queue").cloned(),
            conn_id: conn_id.clone(),
        },
        Operator::BashOperator {
            datax_channels,
            datax_bytes_per_second,
            datax_job,
            column_lineage,
            credential_variables,
            ..
        } => OperatorEntry::BashOperator {
            datax_job: datax_job.clone(),
            datax_channels: *datax_channels,
            datax_bytes_per_second: *datax_bytes_per_second,
            column_lineage: column_lineage
                .iter()
                .map(|c| ColumnEdge {
                    from: c.from.clone(),
                    to: c.to.clone(),
                })
                .collect(),
            credential_variables: credential_variables.clone(),
        },
        Operator::ExternalTaskSensor {
            external_dag_id,
            external_task_id,
            execution_delta_seconds,
            bizdate_minute_of_day,
            upstream_run,
            ..
        } => OperatorEntry::ExternalTaskSensor {
            external_dag_id: external_dag_id.clone(),
            external_task_id: external_task_id.clone(),
            execution_delta_seconds: *execution_delta_seconds,
            bizdate_minute_of_day: *bizdate_minute_of_day,
            upstream_run: upstream_run
                .as_ref()
                .map(|run| format!("{:02}:{:02} {}", run.hour, run.minute, run.zone)),
            mode: "reschedule".to_owned(),
        },
        Operator::HttpSensor { .. } => OperatorEntry::HttpSensor {
            mode: "reschedule".to_owned(),
        },
        Operator::FileSensor { .. } => OperatorEntry::FileSensor {
            mode: "reschedule".to_owned(),
        },
        Operator::SftpSensor { .. } => OperatorEntry::SftpSensor {
            mode: "reschedule".to_owned(),
        },
        Operator::NamedHivePartitionSensor { .. } => OperatorEntry::NamedHivePartitionSensor {
            mode: "reschedule".to_owned(),
        },
        Operator::KylinCubeOperator { .. } => OperatorEntry::KylinCubeOperator,
        Operator::EmptyOperator => OperatorEntry::EmptyOperator,
    };
    Ok(TaskEntry {
        task_id: task.task_id.clone(),
        name: task.name.clone(),
        task_type: task.task_type.to_owned(),
        operator,
        priority: task.priority.to_owned(),
        pool: task.pool.clone(),
        pool_slots: task.pool_slots,
        priority_weight: task.priority_weight,
        weight_rule: task.weight_rule.clone(),
        queue: task.queue.clone().unwrap_or_else(|| "default".to_owned()),
        retries: task.retries,
        retry_delay_seconds: task.retry_delay_seconds,
        execution_timeout_seconds: task.execution_timeout_seconds,
        depends_on_past: task.depends_on_past,
        alerts: task.alerts.clone(),
        upstream: task.upstream.clone(),
        reads: task.reads.clone(),
        writes: task.writes.clone(),
        source_file: task.source_file.clone(),
        outlets: task.outlets.clone(),
        params: task
            .params
            .iter()
            .map(|(name, p)| (name.clone(), p.default.clone().unwrap_or(Value::Null)))
            .collect(),
        fingerprint: fingerprint::of_task(task, files)?,
        quality: task.quality.as_ref().map(|q| QualityEntry {
            rule: q.rule.clone(),
            task: q.task.clone(),
            dimension: q.dimension.to_owned(),
            kind: q.kind.to_owned(),
            severity: q.severity.to_owned(),
            table: q.table.clone(),
            partition: q.partition.clone(),
            results_table: q.results_table.clone(),
            comparison: q.comparison.to_owned(),
            threshold: q.threshold.clone(),
            settings: q.settings.clone(),
        }),
        partition: task.partition.as_ref().map(|p| PartitionEntry {
            task: p.task.clone(),
            table: p.table.clone(),
            partition: p.partition.clone(),
            location: p.location.clone(),
        }),
    })
}

/// Fills in every task's `lineage` fingerprint from the edges.
pub(crate) fn set_lineage(flows: &mut [FlowEntry], edges: &[EdgeEntry]) -> Result<(), Error> {
    let data: BTreeMap<String, String> = flows
        .iter()
        .flat_map(|f| &f.tasks)
        .filter(|t| !t.is_sensor())
        .map(|t| (t.name.clone(), t.fingerprint.data.clone()))
        .collect();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for edge in edges {
        parents.entry(edge.to.clone()).or_default().insert(edge.from.clone());
    }
    let lineage = lineage(&data, &parents)?;
    for task in flows.iter_mut().flat_map(|f| &mut f.tasks) {
        task.fingerprint.lineage = match lineage.get(&task.name) {
            Some(own) if !task.is_sensor() => own.clone(),
            _ => lineage_of(&task.fingerprint.data, std::iter::empty())?,
        };
    }
    Ok(())
}
