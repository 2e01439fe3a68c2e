//! The planner and its views on small hand-made manifests: the fixtures here, the
//! tests by subject in the files below.

mod columns;
mod impact_graph;
mod planner;
mod quality;
mod views;

use std::collections::{BTreeMap, BTreeSet};

use super::{PlanInput, Planner, Revision, RevisionColumns};
use crate::plan::types::Plan;
use crate::render::fingerprint;
use crate::render::manifest::{EdgeEntry, Fingerprint, FlowEntry, Manifest, OperatorEntry, ScheduleEntry, TaskEntry};

/// A sparksql task: `(flow.task, reads, writes, sql text)`.
type Spec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a str);

fn entry(name: &str, reads: &[&str], writes: &[&str], sql: &str) -> TaskEntry {
    let (flow, task) = name.split_once('.').expect("flow.task");
    let file = format!("flows/{flow}/{task}.sql");
    TaskEntry {
        task_id: task.to_owned(),
        name: name.to_owned(),
        task_type: "sparksql".to_owned(),
        operator: OperatorEntry::SparkSqlOperator {
            sql_template: format!("dags/sql/{flow}/{task}.sql"),
            yarn_queue: "root.etl".to_owned(),
            conn_id: "spark_sql_default".to_owned(),
            spark_name: name.to_owned(),
        },
        priority: "normal".to_owned(),
        pool: "normal_pool".to_owned(),
        pool_slots: 1,
        priority_weight: 1,
        weight_rule: "absolute".to_owned(),
        queue: "default".to_owned(),
        retries: 0,
        retry_delay_seconds: 300,
        execution_timeout_seconds: None,
        depends_on_past: false,
        alerts: Vec::new(),
        upstream: Vec::new(),
        reads: reads.iter().map(|s| (*s).to_owned()).collect(),
        writes: writes.iter().map(|s| (*s).to_owned()).collect(),
        source_file: Some(file),
        outlets: Vec::new(),
        params: BTreeMap::new(),
        fingerprint: Fingerprint {
            data: crate::hash::hash_json(&serde_json::json!((reads, writes, sql))).expect("hashes"),
            config: crate::hash::hash_json(&serde_json::json!("config")).expect("hashes"),
            metadata: crate::hash::hash_json(&serde_json::json!("metadata")).expect("hashes"),
            lineage: String::new(),
        },
        quality: None,
        partition: None,
    }
}

/// A manifest of sparksql tasks; edges from the tables, inputs and outputs from the
/// SQL texts, lineage fingerprints from the edges.
fn manifest(specs: &[Spec<'_>]) -> (Manifest, BTreeMap<String, Vec<u8>>) {
    let mut flows: BTreeMap<&str, Vec<TaskEntry>> = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    let mut files = BTreeMap::new();
    for (name, reads, writes, sql) in specs {
        let task = entry(name, reads, writes, sql);
        let hash = crate::hash::hash_json(&serde_json::json!(sql)).expect("hashes");
        inputs.insert(task.source_file.clone().expect("a file"), hash);
        let (flow, short) = name.split_once('.').expect("flow.task");
        files.insert(format!("dags/sql/{flow}/{short}.sql"), sql.as_bytes().to_vec());
        flows.entry(flow).or_default().push(task);
    }
    let writers: BTreeMap<&str, &str> = specs
        .iter()
        .flat_map(|(name, _, writes, _)| writes.iter().map(move |w| (*w, *name)))
        .collect();
    let mut edges = Vec::new();
    for (name, reads, _, _) in specs {
        for table in *reads {
            if let Some(writer) = writers.get(table).filter(|w| *w != name) {
                edges.push(EdgeEntry {
                    from: (*writer).to_owned(),
                    to: (*name).to_owned(),
                    table: Some((*table).to_owned()),
                    cross_flow: writer.split('.').next() != name.split('.').next(),
                });
            }
        }
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    let data: BTreeMap<String, String> = flows
        .values()
        .flatten()
        .map(|t| (t.name.clone(), t.fingerprint.data.clone()))
        .collect();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for edge in &edges {
        parents.entry(edge.to.clone()).or_default().insert(edge.from.clone());
    }
    let lineage = fingerprint::lineage(&data, &parents).expect("hashes");
    let flows: Vec<FlowEntry> = flows
        .into_iter()
        .map(|(flow, mut tasks)| {
            for task in &mut tasks {
                task.fingerprint.lineage = lineage[&task.name].clone();
            }
            FlowEntry {
                flow: flow.to_owned(),
                dag_id: flow.to_owned(),
                file: format!("dags/{flow}.py"),
                owner: "data".to_owned(),
                description: None,
                schedule: ScheduleEntry::Cron {
                    cron: "0 2 * * *".to_owned(),
                    timetable: "CronDataIntervalTimetable".to_owned(),
                },
                timezone: "UTC".to_owned(),
                start_date: Some("2024-01-01".to_owned()),
                catchup: false,
                tags: Vec::new(),
                max_active_runs: None,
                max_active_tasks: None,
                dagrun_timeout_seconds: None,
                sla_seconds: None,
                deadline_alerts: Vec::new(),
                params: BTreeMap::new(),
                sources: Vec::new(),
                tasks,
            }
        })
        .collect();
    let outputs = files
        .iter()
        .map(|(path, bytes)| {
            (
                path.clone(),
                crate::hash::hash_json(&serde_json::json!(bytes)).expect("hashes"),
            )
        })
        .collect();
    let manifest = Manifest {
        manifest_version: 2,
        generator: "flowc test".to_owned(),
        project: "t".to_owned(),
        environment: "prod".to_owned(),
        airflow_version: "2.10".to_owned(),
        pools: BTreeMap::new(),
        flows,
        edges,
        sources: vec!["ods.raw".to_owned()],
        inputs,
        outputs,
        access: BTreeMap::new(),
    };
    (manifest, files)
}

/// ods.raw → a.load → dwd.x → b.use → dws.y → c.report → ads.z; d.other apart.
const BASE: &[Spec<'static>] = &[
    ("a.load", &["ods.raw"], &["dwd.x"], "select 1"),
    ("b.use", &["dwd.x"], &["dws.y"], "select 2"),
    ("c.report", &["dws.y"], &["ads.z"], "select 3"),
    ("d.other", &["ods.raw"], &["dwd.o"], "select 4"),
];

fn plan_of(base: &[Spec<'_>], head: &[Spec<'_>], edit: impl FnOnce(&mut Manifest)) -> Plan {
    let (old, old_files) = manifest(base);
    let (mut new, new_files) = manifest(head);
    edit(&mut new);
    plan_between((&old, &old_files), (&new, &new_files), None, None)
}

/// The plan of `main` (the base) against the work tree (the head).
fn plan_between(
    (old, old_files): (&Manifest, &BTreeMap<String, Vec<u8>>),
    (new, new_files): (&Manifest, &BTreeMap<String, Vec<u8>>),
    old_columns: Option<&RevisionColumns<'_>>,
    new_columns: Option<&RevisionColumns<'_>>,
) -> Plan {
    let (base_revision, head_revision) = (Revision::git("main", "0123456789abcdef"), Revision::work_tree());
    Planner::new().plan(
        &PlanInput {
            revision: &base_revision,
            manifest: old,
            files: old_files,
            columns: old_columns,
            ddl: None,
        },
        &PlanInput {
            revision: &head_revision,
            manifest: new,
            files: new_files,
            columns: new_columns,
            ddl: None,
        },
    )
}

fn replace(specs: &[Spec<'static>], name: &str, with: Spec<'static>) -> Vec<Spec<'static>> {
    specs.iter().map(|s| if s.0 == name { with } else { *s }).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
