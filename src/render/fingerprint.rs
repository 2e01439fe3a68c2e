//! Content fingerprints, SQLMesh-style.
//!
//! A task's own fingerprints hash what it is made of (see
//! [`Fingerprint`]); its `lineage` fingerprint hashes its own
//! `data` fingerprint together with the `lineage` of every task it depends on, so a
//! change anywhere upstream — in any flow — changes the `lineage` of everything
//! downstream, and two compiles agree on a task's lineage only when the task and all
//! of its ancestors are unchanged. Pure; hashes are `sha256:<hex>`.
//!
//! The renderer fingerprints each task (`of_task`) and the manifest's edges
//! (`set_lineage`) when it writes `manifest.json`; the planner compares them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use crate::dags::{DagTask, Operator};
use crate::hash::{hash_bytes, hash_json, to_json};

/// The lineage fingerprint of a task with `data` fingerprint and the given
/// `(parent name, parent lineage)` pairs; the order of the pairs does not matter.
pub fn lineage_of<'a>(data: &str, parents: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<String, Error> {
    let parents: serde_json::Map<String, Value> = parents
        .into_iter()
        .map(|(name, lineage)| (name.to_owned(), Value::from(lineage)))
        .collect();
    hash_json(&Value::Array(vec![Value::from(data), Value::Object(parents)]))
}

/// The lineage fingerprint of every task in `data` (task → data fingerprint), given
/// each task's parents. Parents without a data fingerprint are left out. A cycle (the
/// check rejects them, so only in hand-made input) is cut where it closes.
pub fn lineage(
    data: &BTreeMap<String, String>,
    parents: &BTreeMap<String, BTreeSet<String>>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut done: BTreeMap<String, String> = BTreeMap::new();
    for task in data.keys() {
        visit(task, data, parents, &mut done, &mut BTreeSet::new())?;
    }
    Ok(done)
}

fn visit(
    task: &str,
    data: &BTreeMap<String, String>,
    parents: &BTreeMap<String, BTreeSet<String>>,
    done: &mut BTreeMap<String, String>,
    visiting: &mut BTreeSet<String>,
) -> Result<(), Error> {
    if done.contains_key(task) || !visiting.insert(task.to_owned()) {
        return Ok(());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for parent in parents.get(task).into_iter().flatten() {
        if !data.contains_key(parent) {
            continue;
        }
        visit(parent, data, parents, done, visiting)?;
        if let Some(lineage) = done.get(parent) {
            pairs.push((parent.clone(), lineage.clone()));
        }
    }
    visiting.remove(task);
    if let Some(own) = data.get(task) {
        let lineage = lineage_of(own, pairs.iter().map(|(p, l)| (p.as_str(), l.as_str())))?;
        done.insert(task.to_owned(), lineage);
    }
    Ok(())
}

/// The files a task's fingerprints read besides its DAG task.
pub(crate) struct TaskFiles<'a> {
    pub(crate) inputs: &'a BTreeMap<String, Vec<u8>>,
    pub(crate) outputs: &'a BTreeMap<String, Vec<u8>>,
    /// Output path → repository path of ml applications.
    pub(crate) applications: &'a BTreeMap<String, String>,
}

/// Operator arguments that say how a task is scheduled or sized, not what it
/// computes: they count as metadata.
const RESOURCE_ARGUMENTS: &[&str] = &[
    "yarn_queue",
    "name",
    "datax_channels",
    "datax_bytes_per_second",
    "poke_interval",
    "timeout",
];

/// The `data`, `config` and `metadata` fingerprints; `lineage` is filled in later.
pub(crate) fn of_task(task: &DagTask, files: &TaskFiles<'_>) -> Result<Fingerprint, Error> {
    let mut arguments = to_json(&task.operator)?;
    let mut resources = serde_json::Map::new();
    if let Value::Object(map) = &mut arguments {
        for key in RESOURCE_ARGUMENTS {
            if let Some(value) = map.remove(*key) {
                resources.insert((*key).to_owned(), value);
            }
        }
        // The SQL is fingerprinted by content below, not by its path.
        map.remove("sql");
        if let Some(Value::Object(conf)) = map.get_mut("conf")
            && let Some(queue) = conf.remove("spark.yarn.queue")
        {
            resources.insert("spark.yarn.queue".to_owned(), queue);
        }
    }
    let hash_of = |bytes: Option<&Vec<u8>>| bytes.map(|b| hash_bytes(b));
    // The task's own rendered files, besides the SQL template.
    let mut rendered: BTreeMap<&str, Option<String>> = BTreeMap::new();
    let mut sql_template = None;
    match &task.operator {
        Operator::SparkSqlOperator { sql, .. } => {
            sql_template = hash_of(files.outputs.get(&format!("dags/{sql}")));
        }
        Operator::BashOperator { datax_job, .. } => {
            rendered.insert(
                datax_job,
                files
                    .outputs
                    .get(datax_job)
                    .map(|bytes| datax_job_data(bytes))
                    .transpose()?,
            );
        }
        _ => {}
    }
    if let Some(source) = &task.source_file {
        for (path, from) in files.applications {
            if from == source {
                rendered.insert(path, hash_of(files.outputs.get(path)));
            }
        }
    }
    let config = hash_json(&serde_json::json!({
        "operator": task.operator.class(),
        "arguments": arguments,
        "rendered": rendered,
    }))?;
    let source = task
        .source_file
        .as_ref()
        .map(|path| (path, hash_of(files.inputs.get(path))));
    let data = hash_json(&serde_json::json!({
        "type": task.task_type,
        "config": config,
        "source": source,
        "sql_template": sql_template,
        "params": task.params,
        "reads": task.reads,
        "writes": task.writes,
    }))?;
    let mut metadata = serde_json::json!({
        "pool": task.pool,
        "pool_slots": task.pool_slots,
        "priority": task.priority,
        "priority_weight": task.priority_weight,
        "weight_rule": task.weight_rule,
        "queue": task.queue,
        "retries": task.retries,
        "retry_delay_seconds": task.retry_delay_seconds,
        "execution_timeout_seconds": task.execution_timeout_seconds,
        "upstream": task.upstream,
        "outlets": task.outlets,
        "resources": resources,
    });
    // Run settings join only when set, so fingerprints of tasks without them stay as
    // they were.
    if task.depends_on_past {
        metadata["depends_on_past"] = true.into();
    }
    if !task.alerts.is_empty() {
        metadata["alerts"] = serde_json::to_value(&task.alerts).map_err(|e| Error::Internal(e.to_string()))?;
    }
    let metadata = hash_json(&metadata)?;
    Ok(Fingerprint {
        data,
        config,
        metadata,
        lineage: String::new(),
    })
}

/// The hash of a DataX job without its speed settings, which follow the task's
/// priority level (metadata) rather than what it copies.
fn datax_job_data(bytes: &[u8]) -> Result<String, Error> {
    let Ok(mut job) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(hash_bytes(bytes));
    };
    if let Value::Object(map) = &mut job {
        map.remove("core");
        if let Some(Value::Object(setting)) = map.get_mut("job").and_then(|j| j.get_mut("setting")) {
            setting.remove("speed");
        }
    }
    hash_json(&job)
}

/// SQLMesh-style fingerprints of a task, each `sha256:<hex>`.
///
/// `data` covers everything that decides what the task computes (type, operator
/// arguments, SQL, rendered job files, params, tables); `config` is the operator part
/// of it (arguments and rendered job files, the SQL excepted); `metadata` covers how it
/// is scheduled (pool, priority, queue, retries, timeout, Airflow upstream, resources);
/// `lineage` is `data` combined with the `lineage` of every upstream task, across
/// flows, so it changes when anything the task's input depends on changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// What the task computes.
    pub data: String,
    /// The operator arguments and rendered job files.
    pub config: String,
    /// How it is scheduled.
    pub metadata: String,
    /// `data` and every upstream task's `lineage`.
    pub lineage: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn parents(items: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|p| (*p).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn a_change_upstream_changes_the_lineage_of_everything_downstream_only() {
        let edges = parents(&[("b", &["a"]), ("c", &["b"]), ("e", &["d"])]);
        let before = lineage(
            &map(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]),
            &edges,
        )
        .expect("hashes");
        let after = lineage(
            &map(&[("a", "1*"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]),
            &edges,
        )
        .expect("hashes");
        for task in ["a", "b", "c"] {
            assert_ne!(before[task], after[task], "{task}");
        }
        for task in ["d", "e"] {
            assert_eq!(before[task], after[task], "{task}");
        }
    }

    #[test]
    fn lineage_ignores_parent_order_and_survives_a_cycle() {
        assert_eq!(
            lineage_of("x", [("a", "1"), ("b", "2")]).expect("hashes"),
            lineage_of("x", [("b", "2"), ("a", "1")]).expect("hashes")
        );
        let cyclic = lineage(
            &map(&[("a", "1"), ("b", "2")]),
            &parents(&[("a", &["b"]), ("b", &["a"])]),
        )
        .expect("hashes");
        assert_eq!(cyclic.len(), 2);
    }

    #[test]
    fn hashes_are_prefixed_sha256() {
        let hash = hash_json(&Value::from("x")).expect("hashes");
        assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    }
}
