//! [`Planner::plan`]: two compiles of one environment in, a [`Plan`] out. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::files::{DiffLimits, MANIFEST, diff_files};
use super::impact::{Graph, breaking_changes};
use super::types::{
    AccessChange, Change, ChangeKind, Delta, FlowDiff, Impact, Plan, Revision, Status, Summary, TaskDiff, WriterChange,
};
use crate::render::manifest::{FlowEntry, Manifest, OperatorEntry, ScheduleEntry, TaskEntry};

/// One side of a comparison: a compiled environment.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// Which revision it is.
    pub revision: &'a Revision,
    /// Its manifest, as read back from `manifest.json`.
    pub manifest: &'a Manifest,
    /// Its rendered files (`manifest.json` included or not; it is not diffed).
    pub files: &'a BTreeMap<String, Vec<u8>>,
}

/// Computes plans.
#[derive(Clone, Copy, Debug, Default)]
pub struct Planner {
    /// How much of the rendered diffs to keep.
    pub limits: DiffLimits,
}

impl Planner {
    /// A planner with the default diff limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// What changes when `head` replaces `base`.
    pub fn plan(&self, base: &PlanInput<'_>, head: &PlanInput<'_>) -> Plan {
        let (old, new) = (base.manifest, head.manifest);
        let flows = flow_diffs(old, new);
        let tasks = task_diffs(old, new);
        let (base_graph, head_graph) = (Graph::of(old), Graph::of(new));
        let writers = writer_changes(&base_graph, &head_graph);
        let impact = impact(&tasks, &base_graph, &head_graph);
        // Downstream of a change, and not changed (in what it computes) itself.
        let direct: BTreeSet<&str> = tasks
            .iter()
            .filter(|t| t.affects_data)
            .map(|t| t.task.as_str())
            .collect();
        let indirectly_affected: Vec<String> = impact
            .iter()
            .flat_map(|i| &i.downstream_tasks)
            .filter(|t| !direct.contains(t.as_str()))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let head_sources: BTreeSet<&str> = new.sources.iter().map(String::as_str).collect();
        let breaking = breaking_changes(&base_graph, &head_graph, &head_sources);
        let access = access_changes(&old.access, &new.access);
        let quality = super::quality::quality_changes(old, new);
        let files = diff_files(base.files, head.files, self.limits);
        let manifest_changed = match (base.files.get(MANIFEST), head.files.get(MANIFEST)) {
            (Some(a), Some(b)) => a != b,
            (a, b) => a.is_some() != b.is_some(),
        };
        let summary = Summary {
            flows_added: count(&flows, Status::Added, |f| f.status),
            flows_removed: count(&flows, Status::Removed, |f| f.status),
            flows_changed: count(&flows, Status::Changed, |f| f.status),
            tasks_added: count(&tasks, Status::Added, |t| t.status),
            tasks_removed: count(&tasks, Status::Removed, |t| t.status),
            tasks_changed: count(&tasks, Status::Changed, |t| t.status),
            tasks_indirectly_affected: indirectly_affected.len(),
            writers_changed: writers.len(),
            breaking_changes: breaking.len(),
            access_changes: access.len(),
            quality_changes: quality.len(),
            quality_loosened: quality.iter().filter(|q| q.is_loosened()).count(),
            files_added: count(&files, Status::Added, |f| f.status),
            files_removed: count(&files, Status::Removed, |f| f.status),
            files_changed: count(&files, Status::Changed, |f| f.status),
        };
        Plan {
            project: new.project.clone(),
            environment: new.environment.clone(),
            base: base.revision.clone(),
            head: head.revision.clone(),
            summary,
            flows,
            tasks,
            writers,
            impact,
            indirectly_affected,
            breaking,
            access,
            quality,
            files,
            manifest_changed,
            notes: Vec::new(),
        }
    }
}

/// How many of `items` have `status`.
fn count<T>(items: &[T], status: Status, status_of: impl Fn(&T) -> Status) -> usize {
    items.iter().filter(|item| status_of(item) == status).count()
}

/// How a task is named in a plan: `flow.task`, or `flow.<task id>` for a sensor (whose
/// manifest name is the task it waits for).
fn task_key(flow: &FlowEntry, task: &TaskEntry) -> String {
    if task.is_sensor() {
        format!("{}.{}", flow.flow, task.task_id)
    } else {
        task.name.clone()
    }
}

fn flow_diffs(base: &Manifest, head: &Manifest) -> Vec<FlowDiff> {
    let old: BTreeMap<&str, &FlowEntry> = base.flows.iter().map(|f| (f.flow.as_str(), f)).collect();
    let new: BTreeMap<&str, &FlowEntry> = head.flows.iter().map(|f| (f.flow.as_str(), f)).collect();
    let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut diffs = Vec::new();
    for name in names {
        let (status, dag_id, changes) = match (old.get(name), new.get(name)) {
            (Some(a), Some(b)) => {
                let changes = flow_changes(a, b);
                if changes.is_empty() {
                    continue;
                }
                (Status::Changed, &b.dag_id, changes)
            }
            (None, Some(b)) => (Status::Added, &b.dag_id, Vec::new()),
            (Some(a), None) => (Status::Removed, &a.dag_id, Vec::new()),
            (None, None) => continue,
        };
        diffs.push(FlowDiff {
            flow: name.to_owned(),
            dag_id: dag_id.clone(),
            status,
            changes,
        });
    }
    diffs
}

fn flow_changes(a: &FlowEntry, b: &FlowEntry) -> Vec<Change> {
    let mut changes = Changes::default();
    changes.value(ChangeKind::DagId, "dag_id", &a.dag_id, &b.dag_id);
    changes.value(
        ChangeKind::Schedule,
        "schedule",
        &schedule(&a.schedule),
        &schedule(&b.schedule),
    );
    changes.value(ChangeKind::Owner, "owner", &a.owner, &b.owner);
    changes.value(
        ChangeKind::StartDate,
        "start_date",
        &opt(a.start_date.as_ref()),
        &opt(b.start_date.as_ref()),
    );
    changes.value(
        ChangeKind::StartDate,
        "catchup",
        &a.catchup.to_string(),
        &b.catchup.to_string(),
    );
    changes.set(ChangeKind::Tags, "tags", &a.tags, &b.tags);
    changes.value(
        ChangeKind::Concurrency,
        "max_active_runs",
        &opt(a.max_active_runs.as_ref()),
        &opt(b.max_active_runs.as_ref()),
    );
    changes.value(
        ChangeKind::Concurrency,
        "max_active_tasks",
        &opt(a.max_active_tasks.as_ref()),
        &opt(b.max_active_tasks.as_ref()),
    );
    changes.set(ChangeKind::Params, "params", &params(&a.params), &params(&b.params));
    changes.value(
        ChangeKind::Description,
        "description",
        &opt(a.description.as_ref()),
        &opt(b.description.as_ref()),
    );
    changes.finish()
}

/// A schedule as one line: `cron 30 2 * * *`, `triggered`, `assets: a, b`.
pub(crate) fn schedule(schedule: &ScheduleEntry) -> String {
    match schedule {
        ScheduleEntry::Cron { cron, .. } => format!("cron {cron}"),
        ScheduleEntry::Once => "once".to_owned(),
        ScheduleEntry::Triggered => "triggered".to_owned(),
        ScheduleEntry::Assets { assets } => format!("assets: {}", assets.join(", ")),
    }
}

fn opt<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// Params as `name=value` items.
fn params(params: &BTreeMap<String, Value>) -> Vec<String> {
    params.iter().map(|(name, value)| format!("{name}={value}")).collect()
}

/// One side's tasks by plan name, with the dependencies of each.
struct Tasks<'a> {
    manifest: &'a Manifest,
    by_key: BTreeMap<String, (&'a FlowEntry, &'a TaskEntry)>,
    /// Task name → the names of the tasks it depends on.
    upstream: BTreeMap<&'a str, Vec<String>>,
}

impl<'a> Tasks<'a> {
    fn of(manifest: &'a Manifest) -> Self {
        let by_key = manifest
            .tasks()
            .map(|(flow, task)| (task_key(flow, task), (flow, task)))
            .collect();
        let mut upstream: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for edge in &manifest.edges {
            upstream.entry(edge.to.as_str()).or_default().push(edge.from.clone());
        }
        Self {
            manifest,
            by_key,
            upstream,
        }
    }

    fn upstream_of(&self, task: &TaskEntry) -> Vec<String> {
        if task.is_sensor() {
            return Vec::new();
        }
        // Quality checks and gates are not in the repository's edges: what they run
        // after is their Airflow upstream (the checked task, or the strong checks).
        if matches!(task.task_type.as_str(), "quality" | "quality_gate") {
            let flow = task.name.split_once('.').map_or("", |(flow, _)| flow);
            let mut upstream: Vec<String> = task.upstream.iter().map(|id| format!("{flow}.{id}")).collect();
            upstream.sort();
            return upstream;
        }
        self.upstream.get(task.name.as_str()).cloned().unwrap_or_default()
    }

    /// `sha256:…` of an input or output file, shortened; `none` when missing.
    fn input_hash(&self, path: &str) -> String {
        short(self.manifest.inputs.get(path))
    }

    fn output_hash(&self, path: &str) -> String {
        short(self.manifest.outputs.get(path))
    }
}

/// The first 12 hex digits of a `sha256:<hex>` hash.
fn short(hash: Option<&String>) -> String {
    hash.map_or_else(
        || "none".to_owned(),
        |h| h.trim_start_matches("sha256:").chars().take(12).collect(),
    )
}

fn task_diffs(base: &Manifest, head: &Manifest) -> Vec<TaskDiff> {
    let (old, new) = (Tasks::of(base), Tasks::of(head));
    let keys: BTreeSet<&String> = old.by_key.keys().chain(new.by_key.keys()).collect();
    let mut diffs = Vec::new();
    for key in keys {
        let (status, (flow, task), changes) = match (old.by_key.get(key), new.by_key.get(key)) {
            (Some(a), Some(b)) => {
                let changes = task_changes(&old, a.1, &new, b.1);
                if changes.is_empty() {
                    continue;
                }
                (Status::Changed, *b, changes)
            }
            (None, Some(b)) => (Status::Added, *b, Vec::new()),
            (Some(a), None) => (Status::Removed, *a, Vec::new()),
            (None, None) => continue,
        };
        diffs.push(TaskDiff {
            task: key.clone(),
            flow: flow.flow.clone(),
            task_type: task.task_type.clone(),
            status,
            // A sensor only waits: whatever changes in it, what runs after it computes the same.
            affects_data: !task.is_sensor()
                && (status != Status::Changed || changes.iter().any(|c| c.kind.affects_data())),
            changes,
        });
    }
    diffs
}

fn task_changes(old: &Tasks<'_>, a: &TaskEntry, new: &Tasks<'_>, b: &TaskEntry) -> Vec<Change> {
    let mut changes = Changes::default();
    changes.value(ChangeKind::Type, "type", &a.task_type, &b.task_type);
    changes.value(ChangeKind::Operator, "operator", a.operator.class(), b.operator.class());
    // The repository file: SQL for sparksql tasks, the application for ml tasks.
    let (kind, field) = if b.task_type == "sparksql" {
        (ChangeKind::Sql, "sql")
    } else {
        (ChangeKind::Config, "source_file")
    };
    let (file_a, file_b) = (opt(a.source_file.as_ref()), opt(b.source_file.as_ref()));
    let (hash_a, hash_b) = (old.input_hash(&file_a), new.input_hash(&file_b));
    if file_a != file_b || hash_a != hash_b {
        let file = if file_a == file_b {
            file_b
        } else {
            format!("{file_a} → {file_b}")
        };
        changes.content(kind, field, &file, hash_a, hash_b);
    } else if let (
        OperatorEntry::SparkSqlOperator { sql_template: t_a, .. },
        OperatorEntry::SparkSqlOperator { sql_template: t_b, .. },
    ) = (&a.operator, &b.operator)
    {
        // The same file rendered differently (params, table mappings).
        let (hash_a, hash_b) = (old.output_hash(t_a), new.output_hash(t_b));
        if hash_a != hash_b {
            changes.content(ChangeKind::Sql, "sql_template", t_b, hash_a, hash_b);
        }
    }
    operator_changes(&mut changes, a, b);
    changes.set(ChangeKind::Reads, "reads", &a.reads, &b.reads);
    changes.set(ChangeKind::Writes, "writes", &a.writes, &b.writes);
    changes.set(ChangeKind::Params, "params", &params(&a.params), &params(&b.params));
    changes.set(
        ChangeKind::Dependencies,
        "upstream",
        &old.upstream_of(a),
        &new.upstream_of(b),
    );
    changes.value(ChangeKind::Priority, "priority", &a.priority, &b.priority);
    changes.value(
        ChangeKind::Priority,
        "priority_weight",
        &a.priority_weight.to_string(),
        &b.priority_weight.to_string(),
    );
    changes.value(ChangeKind::Priority, "weight_rule", &a.weight_rule, &b.weight_rule);
    changes.value(ChangeKind::Pool, "pool", &a.pool, &b.pool);
    changes.value(
        ChangeKind::Pool,
        "pool_slots",
        &a.pool_slots.to_string(),
        &b.pool_slots.to_string(),
    );
    changes.value(ChangeKind::Queue, "queue", &a.queue, &b.queue);
    changes.value(
        ChangeKind::Retries,
        "retries",
        &a.retries.to_string(),
        &b.retries.to_string(),
    );
    changes.value(
        ChangeKind::Retries,
        "retry_delay_seconds",
        &a.retry_delay_seconds.to_string(),
        &b.retry_delay_seconds.to_string(),
    );
    changes.value(
        ChangeKind::Timeout,
        "execution_timeout_seconds",
        &opt(a.execution_timeout_seconds.as_ref()),
        &opt(b.execution_timeout_seconds.as_ref()),
    );
    changes.set(ChangeKind::Outlets, "outlets", &a.outlets, &b.outlets);
    // What the fingerprints see and no field above explains.
    let (fa, fb) = (&a.fingerprint, &b.fingerprint);
    if fa.config != fb.config
        && !b.is_sensor()
        && !changes.has(ChangeKind::Config)
        && !changes.has(ChangeKind::Operator)
    {
        changes.value(
            ChangeKind::Config,
            "arguments",
            &short(Some(&fa.config)),
            &short(Some(&fb.config)),
        );
    }
    if fa.data != fb.data && !b.is_sensor() && !changes.any(ChangeKind::affects_data) {
        changes.value(
            ChangeKind::Config,
            "data",
            &short(Some(&fa.data)),
            &short(Some(&fb.data)),
        );
    }
    if fa.metadata != fb.metadata && !changes.any(|k| !k.affects_data()) {
        changes.value(
            ChangeKind::Metadata,
            "metadata",
            &short(Some(&fa.metadata)),
            &short(Some(&fb.metadata)),
        );
    }
    changes.finish()
}

/// Arguments the manifest records for the operator, by name.
fn operator_fields(operator: &OperatorEntry) -> BTreeMap<String, Value> {
    match serde_json::to_value(operator) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(k, _)| k != "operator").collect(),
        _ => BTreeMap::new(),
    }
}

fn operator_changes(changes: &mut Changes, a: &TaskEntry, b: &TaskEntry) {
    if a.operator.class() != b.operator.class() {
        return;
    }
    let (fields_a, fields_b) = (operator_fields(&a.operator), operator_fields(&b.operator));
    // What a sensor waits for, and for which run, is a dependency.
    let sensor = b.is_sensor();
    for (field, value_b) in &fields_b {
        let value_a = fields_a.get(field).unwrap_or(&Value::Null);
        if value_a == value_b {
            continue;
        }
        let kind = match field.as_str() {
            "yarn_queue" => ChangeKind::Queue,
            "datax_channels" | "datax_bytes_per_second" => ChangeKind::Resources,
            // Follows the DAG id and task name; the template is reported as the SQL.
            "spark_name" | "sql_template" => continue,
            "column_lineage" => {
                let lines = |v: &Value| -> Vec<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .map(|edge| format!("{} → {}", text(&edge["from"]), text(&edge["to"])))
                        .collect()
                };
                changes.set(ChangeKind::Config, field, &lines(value_a), &lines(value_b));
                continue;
            }
            _ if sensor => ChangeKind::Dependencies,
            _ => ChangeKind::Config,
        };
        changes.value(kind, field, &text(value_a), &text(value_b));
    }
}

/// A JSON value as plain text: strings unquoted, `none` for null.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Collects changes; sorts them by kind (stable, so fields keep their order).
#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn value(&mut self, kind: ChangeKind, field: &str, before: &str, after: &str) {
        if before != after {
            self.0.push(Change {
                kind,
                field: field.to_owned(),
                delta: Delta::Value {
                    before: before.to_owned(),
                    after: after.to_owned(),
                },
            });
        }
    }

    fn set(&mut self, kind: ChangeKind, field: &str, before: &[String], after: &[String]) {
        let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (before.iter().collect(), after.iter().collect());
        let added: Vec<String> = b.difference(&a).map(|s| (*s).clone()).collect();
        let removed: Vec<String> = a.difference(&b).map(|s| (*s).clone()).collect();
        if !added.is_empty() || !removed.is_empty() {
            self.0.push(Change {
                kind,
                field: field.to_owned(),
                delta: Delta::Set { added, removed },
            });
        }
    }

    fn content(&mut self, kind: ChangeKind, field: &str, file: &str, before: String, after: String) {
        self.0.push(Change {
            kind,
            field: field.to_owned(),
            delta: Delta::Content {
                file: file.to_owned(),
                before,
                after,
            },
        });
    }

    fn has(&self, kind: ChangeKind) -> bool {
        self.0.iter().any(|c| c.kind == kind)
    }

    fn any(&self, test: impl Fn(ChangeKind) -> bool) -> bool {
        self.0.iter().any(|c| test(c.kind))
    }

    fn finish(mut self) -> Vec<Change> {
        self.0.sort_by_key(|c| c.kind);
        self.0
    }
}

fn writer_changes(base: &Graph<'_>, head: &Graph<'_>) -> Vec<WriterChange> {
    let tables: BTreeSet<&str> = base.writers().keys().chain(head.writers().keys()).copied().collect();
    tables
        .into_iter()
        .filter_map(|table| {
            let (before, after) = (base.writers().get(table), head.writers().get(table));
            (before != after).then(|| WriterChange {
                table: table.to_owned(),
                before: before.map(|t| (*t).to_owned()),
                after: after.map(|t| (*t).to_owned()),
            })
        })
        .collect()
}

/// Downstream of every task whose output may change: changed tasks whose inputs
/// changed, added and removed tasks. Sensors have nothing downstream and are left out.
fn impact(tasks: &[TaskDiff], base: &Graph<'_>, head: &Graph<'_>) -> Vec<Impact> {
    let mut impacts = Vec::new();
    for diff in tasks.iter().filter(|t| t.affects_data && t.task_type != "wait") {
        let (writes, downstream) = match diff.status {
            Status::Removed => (base.writes_of(&diff.task), base.reachable_in(&diff.task, head)),
            Status::Added => (head.writes_of(&diff.task), head.reachable([diff.task.as_str()])),
            // Its readers in head, and those in base it may have lost.
            Status::Changed => {
                let mut downstream = head.reachable([diff.task.as_str()]);
                downstream.extend(base.reachable_in(&diff.task, head));
                (head.writes_of(&diff.task), downstream)
            }
        };
        // A new task nothing reads from has no impact beyond itself.
        if diff.status == Status::Added && downstream.is_empty() {
            continue;
        }
        impacts.push(Impact {
            task: diff.task.clone(),
            status: diff.status,
            writes,
            downstream_tables: head.tables_written_by(downstream.iter().copied()).into_iter().collect(),
            downstream_tasks: downstream.into_iter().map(str::to_owned).collect(),
        });
    }
    impacts
}

/// Access-control subjects whose lines differ between the two manifests.
pub(crate) fn access_changes(
    old: &BTreeMap<String, Vec<String>>,
    new: &BTreeMap<String, Vec<String>>,
) -> Vec<AccessChange> {
    let subjects: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    subjects
        .into_iter()
        .filter_map(|subject| {
            let before: BTreeSet<&String> = old.get(subject).into_iter().flatten().collect();
            let after: BTreeSet<&String> = new.get(subject).into_iter().flatten().collect();
            let status = match (old.contains_key(subject), new.contains_key(subject)) {
                (false, _) => Status::Added,
                (_, false) => Status::Removed,
                _ if before == after => return None,
                _ => Status::Changed,
            };
            let added: Vec<String> = after.difference(&before).map(|l| (*l).clone()).collect();
            let removed: Vec<String> = before.difference(&after).map(|l| (*l).clone()).collect();
            let loosened = if subject.starts_with("team ") {
                // A new grant, or a team that lost its grants (no longer restricted).
                status != Status::Removed && !added.is_empty()
            } else if subject.starts_with("classification ") {
                status == Status::Removed || added.iter().any(|l| l == "no grant required")
            } else {
                removed
                    .iter()
                    .any(|l| l.starts_with("class ") || l.starts_with("owner "))
            };
            Some(AccessChange {
                subject: subject.clone(),
                status,
                added,
                removed,
                loosened,
            })
        })
        .collect()
}
