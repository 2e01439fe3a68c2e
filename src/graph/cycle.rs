//! Cycles in the dependency graph, reported with their full path.
//!
//! Each strongly connected component with more than one task holds at least one cycle.
//! For each, the shortest cycle through the component's smallest task id is reported,
//! with neighbours visited in id order, so the message is the same on every run.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{Edge, EdgeReason};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::TaskId;

/// One diagnostic per cyclic component.
pub(super) fn find(graph: &DiGraph<TaskId, Edge>) -> Vec<Diagnostic> {
    let mut components: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .collect();
    for component in &mut components {
        component.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
    }
    components.sort_by(|a, b| graph[a[0]].cmp(&graph[b[0]]));
    components
        .iter()
        .filter_map(|component| describe(graph, component))
        .collect()
}

/// The shortest path of edges from `start` back to `start` inside `component`.
fn shortest_cycle(graph: &DiGraph<TaskId, Edge>, component: &[NodeIndex], start: NodeIndex) -> Option<Vec<EdgeIndex>> {
    let inside = |n: NodeIndex| component.binary_search_by(|c| graph[*c].cmp(&graph[n])).is_ok();
    let mut came_by: BTreeMap<NodeIndex, EdgeIndex> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut out: Vec<_> = graph.edges(node).filter(|e| inside(e.target())).collect();
        out.sort_by(|a, b| graph[a.target()].cmp(&graph[b.target()]));
        for edge in out {
            let next = edge.target();
            if next == start {
                let mut path = vec![edge.id()];
                let mut at = node;
                while at != start {
                    let via = came_by[&at];
                    path.push(via);
                    at = graph.edge_endpoints(via)?.0;
                }
                path.reverse();
                return Some(path);
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = came_by.entry(next) {
                slot.insert(edge.id());
                queue.push_back(next);
            }
        }
    }
    None
}

fn describe(graph: &DiGraph<TaskId, Edge>, component: &[NodeIndex]) -> Option<Diagnostic> {
    let start = component[0];
    let path = shortest_cycle(graph, component, start)?;
    let mut text = graph[start].to_string();
    for &edge in &path {
        let (_, to) = graph.edge_endpoints(edge)?;
        match &graph[edge].reason {
            EdgeReason::Table(table) => {
                let _ = write!(text, " → {table} → {}", graph[to]);
            }
            EdgeReason::Manual => {
                let _ = write!(text, " → (depends_on) → {}", graph[to]);
            }
        }
    }
    let label = |edge: EdgeIndex| -> Option<String> {
        let (from, to) = graph.edge_endpoints(edge)?;
        Some(match &graph[edge].reason {
            EdgeReason::Table(table) => format!("`{}` reads `{table}` written by `{}`", graph[to], graph[from]),
            EdgeReason::Manual => format!("`{}` depends on `{}`", graph[to], graph[from]),
        })
    };
    let mut diagnostic = Diagnostic::error(Code::CyclicDependency, format!("dependency cycle: {text}"))
        .at(graph[path[0]].span)
        .with_label(label(path[0])?);
    for &edge in &path[1..] {
        diagnostic = diagnostic.with_secondary(graph[edge].span, label(edge)?);
    }
    if component.len() > path.len() {
        let others: Vec<String> = component.iter().map(|n| format!("`{}`", graph[*n])).collect();
        diagnostic = diagnostic.with_note(format!("all tasks caught in cycles here: {}", others.join(", ")));
    }
    let manual = path.iter().any(|&edge| graph[edge].reason == EdgeReason::Manual);
    let help = if manual {
        "break the cycle: remove one of these `depends_on` entries, or stop one of these tasks reading the other's output"
    } else {
        "break the cycle: one of these tasks must stop reading the other's output"
    };
    Some(diagnostic.with_help(help))
}
