//! The impact as a graph: what the markdown view's impact diagram draws.

use serde::Serialize;

/// The tasks whose output may change, everything downstream of them and the readers
/// a breaking change breaks, with the tables between them and the edges that join
/// them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImpactGraph {
    /// Tasks first, then tables, each sorted by name.
    pub nodes: Vec<ImpactNode>,
    /// Sorted by `from`, `to` and kind; `from` and `to` are indexes into `nodes`.
    pub edges: Vec<ImpactEdge>,
}

impl ImpactGraph {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A task or a table of the impact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImpactNode {
    /// `flow.task` or the table's name.
    pub name: String,
    /// A task or a table.
    pub kind: ImpactNodeKind,
    /// What the change does to it.
    pub role: ImpactRole,
}

/// What an impact node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactNodeKind {
    /// An Airflow task (`flow.task`).
    Task,
    /// A table.
    Table,
}

/// What the change does to an impact node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactRole {
    /// A task whose output may change (changed or added), or a table such a task
    /// writes, whose writer or columns changed.
    Changed,
    /// A task of the base revision only, or a table nothing writes in the head revision.
    Removed,
    /// Downstream of a change, not changed itself.
    Affected,
    /// A task that reads a table or column a breaking change removes or changes.
    Broken,
}

/// An edge of the impact graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ImpactEdge {
    /// The index of the node it leaves.
    pub from: usize,
    /// The index of the node it reaches.
    pub to: usize,
    /// What it stands for.
    pub kind: ImpactEdgeKind,
}

/// What an impact edge stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImpactEdgeKind {
    /// A task writes a table (wrote it, in the base revision, when the table is
    /// removed).
    Writes,
    /// A task reads a table.
    Reads,
    /// A task reads a table, or a column of it, that a breaking change removes or
    /// changes.
    Breaks,
    /// A task runs after another without reading any table of it in the graph.
    RunsAfter,
}
