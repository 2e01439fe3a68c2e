//! Airflow tasks added, removed or changed, and what changed in each: the SQL or
//! application file, tables, params, dependencies, scheduling attributes, and what
//! only the content fingerprints see.

use std::collections::{BTreeMap, BTreeSet};

use super::changes::Changes;
use super::operator::operator_changes;
use super::{alerts, opt, params};
use crate::plan::types::{Change, ChangeKind, Status, TaskDiff};
use crate::render::manifest::{FlowEntry, Manifest, OperatorEntry, TaskEntry};

/// How a task is named in a plan: `flow.task`, or `flow.<task id>` for a sensor (whose
/// manifest name is the task it waits for).
fn task_key(flow: &FlowEntry, task: &TaskEntry) -> String {
    if task.is_sensor() {
        format!("{}.{}", flow.flow, task.task_id)
    } else {
        task.name.clone()
    }
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
        // Quality checks, gates and partition steps are not in the repository's edges:
        // what they run after is their Airflow upstream (the checked task, the strong
        // checks, what the sync waits for).
        if matches!(task.task_type.as_str(), "quality" | "quality_gate" | "partition") {
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

/// Tasks that differ between the two manifests, sorted by plan name.
pub(crate) fn task_diffs(base: &Manifest, head: &Manifest) -> Vec<TaskDiff> {
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

/// What changed in a task present on both sides, sorted by kind.
fn task_changes(old: &Tasks<'_>, a: &TaskEntry, new: &Tasks<'_>, b: &TaskEntry) -> Vec<Change> {
    let mut changes = Changes::default();
    changes.value(ChangeKind::Type, "type", &a.task_type, &b.task_type);
    changes.value(ChangeKind::Operator, "operator", a.operator.class(), b.operator.class());
    source_changes(&mut changes, old, a, new, b);
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
    scheduling_changes(&mut changes, a, b);
    fingerprint_changes(&mut changes, a, b);
    changes.finish()
}

/// The repository file (SQL for sparksql tasks, the application for ml tasks): renamed
/// or edited; else, for SQL, the same file rendered differently.
fn source_changes(changes: &mut Changes, old: &Tasks<'_>, a: &TaskEntry, new: &Tasks<'_>, b: &TaskEntry) {
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
}

/// Priority, pool, queue, retries, timeout, outlets, `depends_on_past` and alerts.
fn scheduling_changes(changes: &mut Changes, a: &TaskEntry, b: &TaskEntry) {
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
    changes.value(
        ChangeKind::DependsOnPast,
        "depends_on_past",
        &a.depends_on_past.to_string(),
        &b.depends_on_past.to_string(),
    );
    changes.set(ChangeKind::Alerts, "alerts", &alerts(&a.alerts), &alerts(&b.alerts));
}

/// What the fingerprints see and no field above explains.
fn fingerprint_changes(changes: &mut Changes, a: &TaskEntry, b: &TaskEntry) {
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
}
