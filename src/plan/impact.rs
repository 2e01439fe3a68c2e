//! Downstream impact: for every task whose output may change, every task and table
//! reachable downstream of it across flows, and the tasks affected only through it.

use std::collections::BTreeSet;

use super::graph::Graph;
use super::types::{Impact, Status, TaskDiff};

/// Downstream of every task whose output may change: changed tasks whose inputs
/// changed, added and removed tasks. Sensors have nothing downstream and are left out.
pub(crate) fn impact(tasks: &[TaskDiff], base: &Graph<'_>, head: &Graph<'_>) -> Vec<Impact> {
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

/// The tasks downstream of a change that did not change (in what they compute)
/// themselves, sorted.
pub(crate) fn indirectly_affected(tasks: &[TaskDiff], impact: &[Impact]) -> Vec<String> {
    let direct: BTreeSet<&str> = tasks
        .iter()
        .filter(|t| t.affects_data)
        .map(|t| t.task.as_str())
        .collect();
    impact
        .iter()
        .flat_map(|i| &i.downstream_tasks)
        .filter(|t| !direct.contains(t.as_str()))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
