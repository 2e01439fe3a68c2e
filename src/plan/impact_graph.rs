//! The impact as a graph for the markdown view's diagram: every task whose output may
//! change, everything downstream of it, the readers breaking changes break, the
//! tables between them, and edges for writes, reads (breaking ones marked) and
//! dependencies that no table in the graph explains.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::Graph;
use super::types::{
    BreakingChange, ColumnBreakingChange, Impact, ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNode, ImpactNodeKind,
    ImpactRole, Status, TaskDiff,
};

/// What the impact graph is made of: parts of the plan already computed.
pub(crate) struct ImpactParts<'p> {
    pub(crate) tasks: &'p [TaskDiff],
    pub(crate) impact: &'p [Impact],
    pub(crate) breaking: &'p [BreakingChange],
    pub(crate) column_breaking: &'p [ColumnBreakingChange],
}

/// The tasks and tables of the graph, before they are numbered.
struct Members<'p> {
    /// Tasks whose output may change, and how.
    changed: BTreeMap<&'p str, Status>,
    /// Breaking reads: table → the tasks whose read of it breaks.
    breaks: BTreeMap<&'p str, BTreeSet<&'p str>>,
    tasks: BTreeSet<&'p str>,
    /// Table → the tasks of the graph that write it (wrote it, for a removed table).
    writers: BTreeMap<String, BTreeSet<&'p str>>,
}

impl<'p> Members<'p> {
    fn of(parts: &ImpactParts<'p>, base: &Graph<'p>, head: &Graph<'p>) -> Self {
        let changed: BTreeMap<&str, Status> = parts
            .tasks
            .iter()
            .filter(|t| t.affects_data && t.task_type != "wait")
            .map(|t| (t.task.as_str(), t.status))
            .collect();
        let mut breaks: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for b in parts.breaking {
            breaks
                .entry(b.table.as_str())
                .or_default()
                .extend(b.readers.iter().map(String::as_str));
        }
        for b in parts.column_breaking {
            breaks
                .entry(b.table.as_str())
                .or_default()
                .extend(b.readers.iter().map(|r| r.task.as_str()));
        }
        let mut tasks: BTreeSet<&str> = changed.keys().copied().collect();
        tasks.extend(
            parts
                .impact
                .iter()
                .flat_map(|i| &i.downstream_tasks)
                .map(String::as_str),
        );
        tasks.extend(breaks.values().flatten().copied());
        let mut members = Self {
            changed,
            breaks,
            tasks,
            writers: BTreeMap::new(),
        };
        for task in &members.tasks {
            for table in members.side(task, base, head).writes_of(task) {
                members.writers.entry(table).or_default().insert(task);
            }
        }
        // A table its writer no longer writes while something still reads it.
        for b in parts.breaking {
            if let Some(writer) = members.tasks.get(b.writer.as_str()) {
                members.writers.entry(b.table.clone()).or_default().insert(writer);
            }
        }
        for table in members.breaks.keys() {
            members.writers.entry((*table).to_owned()).or_default();
        }
        members
    }

    /// The revision a task is read from: base for a removed task, else head.
    fn side<'g>(&self, task: &str, base: &'g Graph<'p>, head: &'g Graph<'p>) -> &'g Graph<'p> {
        if self.changed.get(task) == Some(&Status::Removed) {
            base
        } else {
            head
        }
    }

    fn task_role(&self, task: &str) -> ImpactRole {
        if self.breaks.values().any(|readers| readers.contains(task)) {
            return ImpactRole::Broken;
        }
        match self.changed.get(task) {
            Some(Status::Removed) => ImpactRole::Removed,
            Some(_) => ImpactRole::Changed,
            None => ImpactRole::Affected,
        }
    }

    fn table_role(&self, table: &str, base: &Graph<'_>, head: &Graph<'_>) -> ImpactRole {
        let head_writer = head.writers().get(table);
        if head_writer.is_none() && base.writers().contains_key(table) {
            ImpactRole::Removed
        } else if head_writer.is_some_and(|w| self.changed.contains_key(w)) || self.breaks.contains_key(table) {
            ImpactRole::Changed
        } else {
            ImpactRole::Affected
        }
    }
}

/// The impact graph of a plan's parts: nodes and edges sorted.
pub(crate) fn impact_graph(parts: &ImpactParts<'_>, base: &Graph<'_>, head: &Graph<'_>) -> ImpactGraph {
    let members = Members::of(parts, base, head);
    let mut nodes: Vec<ImpactNode> = members
        .tasks
        .iter()
        .map(|task| ImpactNode {
            name: (*task).to_owned(),
            kind: ImpactNodeKind::Task,
            role: members.task_role(task),
        })
        .collect();
    nodes.extend(members.writers.keys().map(|table| ImpactNode {
        name: table.clone(),
        kind: ImpactNodeKind::Table,
        role: members.table_role(table, base, head),
    }));
    let task_index: BTreeMap<&str, usize> = members.tasks.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let table_index: BTreeMap<&str, usize> = members
        .writers
        .keys()
        .enumerate()
        .map(|(i, t)| (t.as_str(), members.tasks.len() + i))
        .collect();
    let edge = |from: usize, to: usize, kind: ImpactEdgeKind| ImpactEdge { from, to, kind };
    let mut edges: BTreeSet<ImpactEdge> = BTreeSet::new();
    // Pairs of tasks joined through a table of the graph.
    let mut through_table: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (table, writers) in &members.writers {
        let to = table_index[table.as_str()];
        edges.extend(writers.iter().map(|w| edge(task_index[w], to, ImpactEdgeKind::Writes)));
    }
    for (reader, &to) in &task_index {
        let reads = members.side(reader, base, head).reads_of(reader);
        let breaking = members
            .breaks
            .iter()
            .filter(|(_, r)| r.contains(reader))
            .map(|(t, _)| *t);
        let tables: BTreeSet<&str> = reads.iter().copied().chain(breaking).collect();
        for table in tables {
            let Some(&from) = table_index.get(table) else {
                continue;
            };
            let breaks = members.breaks.get(table).is_some_and(|r| r.contains(reader));
            let writes_it = members.writers.get(table).is_some_and(|w| w.contains(reader));
            // A task reading its own table (an earlier partition) adds no impact, only a loop.
            if writes_it && !breaks {
                continue;
            }
            let kind = if breaks {
                ImpactEdgeKind::Breaks
            } else {
                ImpactEdgeKind::Reads
            };
            edges.insert(edge(from, to, kind));
            for writer in members.writers.get(table).into_iter().flatten() {
                through_table.insert((writer, reader));
            }
        }
    }
    // Dependencies no table of the graph explains: head's, and a removed task's in base.
    for (task, &from) in &task_index {
        for child in members.side(task, base, head).children(task) {
            if let Some(&to) = task_index.get(child)
                && !through_table.contains(&(*task, child))
            {
                edges.insert(edge(from, to, ImpactEdgeKind::RunsAfter));
            }
        }
    }
    ImpactGraph {
        nodes,
        edges: edges.into_iter().collect(),
    }
}
