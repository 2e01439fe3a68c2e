//! The lineage around one table or one column: what `flowc lineage` shows.
//!
//! Input: the tables each task reads and writes ([`TaskIo`], table level) or the
//! repository's column lineage ([`RepositoryColumns`], column level). Output: a
//! [`LineageGraph`] of named nodes and task-labelled edges, and from it the
//! [`Neighbourhood`] of a node up to a depth each way, with a count of what lies
//! beyond. Sync tasks are edges like any other, so a warehouse column leads back to
//! its source database column (`<connection>.<schema>.<table>.<column>`). Pure.
//!
//! Both directions follow DIRECT and INDIRECT edges: a filter column influences the
//! rows of every column it filters, so it belongs to the upstream of each.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::suggest::closest;
use crate::graph::TaskIo;
use crate::model::{TableName, TaskId};
use crate::sql::columns::{IndirectKind, Transformation};

use super::RepositoryColumns;

/// What lineage is shown at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Tables, linked by the tasks that read one and write the other.
    Table,
    /// Columns, linked by their DIRECT and INDIRECT sources.
    Column,
}

/// One node: a table or a column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineageNode {
    /// `db.table` or `db.table.column` (external: `<connection>.<schema>.<table>[.<column>]`).
    pub id: String,
    /// The table (the node itself at table level).
    pub table: TableName,
    /// The column, at column level.
    pub column: Option<String>,
    /// Whether the table lives outside the warehouse (a sync task's source or target
    /// system).
    pub external: bool,
}

/// How an edge's target depends on its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The task reads the source table and writes the target table.
    Table,
    /// The target column is computed from the source column.
    Direct(Transformation),
    /// The source column decides which rows the target gets (filter, join …).
    Indirect(IndirectKind),
}

impl EdgeKind {
    /// `TABLE`, `DIRECT` or `INDIRECT`.
    pub const fn type_name(self) -> &'static str {
        match self {
            Self::Table => "TABLE",
            Self::Direct(_) => "DIRECT",
            Self::Indirect(_) => "INDIRECT",
        }
    }

    /// OpenLineage's subtype (`IDENTITY`, `FILTER` …); none at table level.
    pub const fn subtype(self) -> Option<&'static str> {
        match self {
            Self::Table => None,
            Self::Direct(Transformation::Identity) => Some("IDENTITY"),
            Self::Direct(Transformation::Transformation) => Some("TRANSFORMATION"),
            Self::Direct(Transformation::Aggregation) => Some("AGGREGATION"),
            Self::Indirect(kind) => Some(kind.as_str()),
        }
    }
}

/// One edge `from → to`, made by `task`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineageEdge {
    /// The source node's id.
    pub from: String,
    /// The target node's id.
    pub to: String,
    /// The task that writes the target.
    pub task: TaskId,
    /// How.
    pub kind: EdgeKind,
}

/// Every node and edge of a repository's lineage at one level.
#[derive(Clone, Debug, Default)]
pub struct LineageGraph {
    /// Nodes by id.
    pub nodes: BTreeMap<String, LineageNode>,
    /// Edges, sorted, each once.
    pub edges: Vec<LineageEdge>,
}

/// The part of a [`LineageGraph`] around one node.
#[derive(Clone, Debug, Default)]
pub struct Neighbourhood {
    /// The node it is around.
    pub focus: String,
    /// Each node shown with its distance from the focus: negative upstream, positive
    /// downstream, 0 for the focus.
    pub nodes: BTreeMap<String, i64>,
    /// Edges between the nodes shown, sorted.
    pub edges: Vec<LineageEdge>,
    /// Nodes upstream of the focus beyond the depth asked for.
    pub hidden_upstream: usize,
    /// Nodes downstream of the focus beyond the depth asked for.
    pub hidden_downstream: usize,
}

/// A name `flowc lineage` was given that names no table or column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotFound {
    /// What is missing, e.g. ``no table `dws.x` in the repository's lineage``.
    pub message: String,
    /// The closest known name.
    pub suggestion: Option<String>,
}

impl LineageGraph {
    /// Table-level lineage: an edge from every table a task reads to every table it
    /// writes, inside the warehouse or outside (sync tasks).
    pub fn tables(io: &BTreeMap<TaskId, TaskIo>) -> Self {
        let mut graph = Self::default();
        for (task, io) in io {
            let reads = io
                .reads
                .iter()
                .map(|r| (&r.name, false))
                .chain(io.external_reads.iter().map(|t| (t, true)));
            let reads: Vec<(&TableName, bool)> = reads.collect();
            let writes = io
                .writes
                .iter()
                .map(|w| (&w.name, false))
                .chain(io.external_writes.iter().map(|t| (t, true)));
            for (write, external) in writes {
                graph.table_node(write, external);
                for &(read, read_external) in &reads {
                    graph.table_node(read, read_external);
                    if read != write {
                        graph.edges.push(LineageEdge {
                            from: read.to_string(),
                            to: write.to_string(),
                            task: task.clone(),
                            kind: EdgeKind::Table,
                        });
                    }
                }
            }
            for &(read, external) in &reads {
                graph.table_node(read, external);
            }
        }
        graph.finish()
    }

    /// Column-level lineage: every DIRECT edge and, when `indirect`, an INDIRECT edge
    /// from each indirect source to every column the task writes into the table it
    /// influences (followed like the others, they soon reach most of the warehouse, so
    /// they are asked for). Known schemas add their columns as nodes, so a column
    /// nothing reads is found.
    pub fn columns(columns: &RepositoryColumns, io: &BTreeMap<TaskId, TaskIo>, indirect: bool) -> Self {
        let external: BTreeSet<&TableName> = io
            .values()
            .flat_map(|io| io.external_reads.iter().chain(&io.external_writes))
            .collect();
        let mut graph = Self::default();
        let node = |graph: &mut Self, table: &TableName, column: &str| -> String {
            let id = format!("{table}.{column}");
            graph.nodes.entry(id.clone()).or_insert_with(|| LineageNode {
                id: id.clone(),
                table: table.clone(),
                column: Some(column.to_owned()),
                external: external.contains(table),
            });
            id
        };
        for schema in columns.schemas.values() {
            for column in schema.columns.iter().chain(&schema.partition_columns) {
                node(&mut graph, &schema.table, &column.name);
            }
        }
        for edge in columns.edges() {
            let from = node(&mut graph, &edge.source.table, &edge.source.column);
            let to = node(&mut graph, &edge.target.table, &edge.target.column);
            graph.edges.push(LineageEdge {
                from,
                to,
                task: edge.task,
                kind: EdgeKind::Direct(edge.transformation),
            });
        }
        let with_indirect = columns.tasks.iter().filter(|_| indirect);
        for (task, lineage) in with_indirect {
            for indirect in &lineage.indirect {
                let from = node(&mut graph, &indirect.source.table, &indirect.source.column);
                let targets = lineage.outputs.iter().filter(|o| o.table == indirect.target);
                for target in targets.flat_map(|o| &o.columns) {
                    let to = node(&mut graph, &indirect.target, &target.name);
                    graph.edges.push(LineageEdge {
                        from: from.clone(),
                        to,
                        task: task.clone(),
                        kind: EdgeKind::Indirect(indirect.kind),
                    });
                }
            }
        }
        graph.finish()
    }

    fn table_node(&mut self, table: &TableName, external: bool) {
        self.nodes.entry(table.to_string()).or_insert_with(|| LineageNode {
            id: table.to_string(),
            table: table.clone(),
            column: None,
            external,
        });
    }

    fn finish(mut self) -> Self {
        self.edges.sort();
        self.edges.dedup();
        self
    }

    /// The node `name` names: its id as given, or with `default_database` in front of
    /// it; else what is missing, with the closest known name.
    pub fn find(&self, name: &str, default_database: Option<&str>) -> Result<&LineageNode, NotFound> {
        let name = name.trim().to_lowercase();
        let qualified = default_database.map(|db| format!("{}.{name}", db.to_lowercase()));
        if let Some(node) = self
            .nodes
            .get(&name)
            .or_else(|| qualified.and_then(|q| self.nodes.get(&q)))
        {
            return Ok(node);
        }
        let ids = self.nodes.keys().map(String::as_str);
        Err(NotFound {
            message: format!("`{name}` is not a {} of the repository's lineage", self.noun()),
            suggestion: closest(&name, ids).map(str::to_owned),
        })
    }

    fn noun(&self) -> &'static str {
        if self.nodes.values().any(|n| n.column.is_some()) {
            "column"
        } else {
            "table"
        }
    }

    /// The nodes up to `upstream` edges above `focus` and `downstream` edges below it,
    /// the edges between them, and how many nodes lie beyond each way.
    pub fn neighbourhood(&self, focus: &str, upstream: usize, downstream: usize) -> Neighbourhood {
        let mut shown: BTreeMap<String, i64> = BTreeMap::from([(focus.to_owned(), 0)]);
        let mut edges = BTreeSet::new();
        let (above, hidden_upstream) = self.walk(focus, upstream, Direction::Upstream, &mut edges);
        let (below, hidden_downstream) = self.walk(focus, downstream, Direction::Downstream, &mut edges);
        for (id, distance) in above {
            shown.entry(id).or_insert(-distance);
        }
        for (id, distance) in below {
            shown.entry(id).or_insert(distance);
        }
        Neighbourhood {
            focus: focus.to_owned(),
            nodes: shown,
            edges: edges.into_iter().cloned().collect(),
            hidden_upstream,
            hidden_downstream,
        }
    }

    /// Breadth first from `start` one way: the nodes within `depth` edges with their
    /// distance, the edges followed to reach them (added to `edges`), and the number
    /// of nodes reachable beyond the depth.
    fn walk<'a>(
        &'a self,
        start: &str,
        depth: usize,
        direction: Direction,
        edges: &mut BTreeSet<&'a LineageEdge>,
    ) -> (BTreeMap<String, i64>, usize) {
        let mut adjacent: BTreeMap<&str, Vec<(&str, &LineageEdge)>> = BTreeMap::new();
        for edge in &self.edges {
            let (near, far) = match direction {
                Direction::Upstream => (edge.to.as_str(), edge.from.as_str()),
                Direction::Downstream => (edge.from.as_str(), edge.to.as_str()),
            };
            adjacent.entry(near).or_default().push((far, edge));
        }
        let mut distance: BTreeMap<&str, usize> = BTreeMap::from([(start, 0)]);
        let mut frontier = vec![start];
        let mut level = 0;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for node in frontier {
                for &(far, edge) in adjacent.get(node).map_or(&[][..], Vec::as_slice) {
                    if level < depth {
                        edges.insert(edge);
                    }
                    if !distance.contains_key(far) {
                        distance.insert(far, level + 1);
                        next.push(far);
                    }
                }
            }
            frontier = next;
            level += 1;
        }
        distance.remove(start);
        let hidden = distance.values().filter(|&&d| d > depth).count();
        let within = distance
            .into_iter()
            .filter(|&(_, d)| d <= depth)
            .map(|(id, d)| (id.to_owned(), i64::try_from(d).unwrap_or(i64::MAX)))
            .collect();
        (within, hidden)
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Upstream,
    Downstream,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::TaskColumns;
    use crate::diagnostic::{FileId, Span};
    use crate::model::FlowId;
    use crate::sql::TableRef;
    use crate::sql::columns::{ColumnName, IndirectSource, TableOutput, TargetColumn};

    fn span() -> Span {
        Span::file_start(FileId::from_index(0))
    }

    fn task(name: &str) -> TaskId {
        let (flow, task) = name.split_once('.').expect("flow.task");
        TaskId::new(FlowId::new(flow), task)
    }

    fn column(name: &str) -> ColumnName {
        let (table, column) = name.rsplit_once('.').expect("table.column");
        ColumnName::new(TableName::new(table), column)
    }

    fn output(table: &str, columns: &[(&str, &[&str], Transformation)]) -> TableOutput {
        TableOutput {
            table: TableName::new(table),
            columns: columns
                .iter()
                .map(|(name, sources, transformation)| TargetColumn {
                    name: (*name).to_owned(),
                    data_type: None,
                    sources: sources.iter().map(|s| column(s)).collect(),
                    transformation: *transformation,
                    span: span(),
                })
                .collect(),
            static_partitions: Vec::new(),
            dynamic_partitions: Vec::new(),
            complete: true,
            by_name: false,
            span: span(),
        }
    }

    /// oracle → ods (sync) → dwd → dws → ads, one column each, and a filter.
    pub(crate) fn chain() -> RepositoryColumns {
        let id = Transformation::Identity;
        let mut tasks = BTreeMap::new();
        tasks.insert(
            task("ingest.orders"),
            TaskColumns {
                outputs: vec![output(
                    "ods.orders",
                    &[
                        ("amount", &["core_oracle.pay.orders.amount"], id),
                        ("state", &["core_oracle.pay.orders.state"], id),
                    ],
                )],
                ..TaskColumns::default()
            },
        );
        tasks.insert(
            task("pay.clean"),
            TaskColumns {
                outputs: vec![output(
                    "dwd.orders",
                    &[("amount", &["ods.orders.amount"], Transformation::Transformation)],
                )],
                indirect: vec![IndirectSource {
                    target: TableName::new("dwd.orders"),
                    source: column("ods.orders.state"),
                    kind: IndirectKind::Filter,
                }],
                ..TaskColumns::default()
            },
        );
        tasks.insert(
            task("pay.daily"),
            TaskColumns {
                outputs: vec![output(
                    "dws.daily",
                    &[("total", &["dwd.orders.amount"], Transformation::Aggregation)],
                )],
                ..TaskColumns::default()
            },
        );
        tasks.insert(
            task("bi.report"),
            TaskColumns {
                outputs: vec![output("ads.report", &[("total", &["dws.daily.total"], id)])],
                ..TaskColumns::default()
            },
        );
        RepositoryColumns {
            schemas: BTreeMap::new(),
            tasks,
        }
    }

    fn io() -> BTreeMap<TaskId, TaskIo> {
        let refs = |names: &[&str]| {
            names
                .iter()
                .map(|n| TableRef {
                    name: TableName::new(n),
                    span: span(),
                })
                .collect()
        };
        BTreeMap::from([
            (
                task("ingest.orders"),
                TaskIo {
                    writes: refs(&["ods.orders"]),
                    external_reads: vec![TableName::new("core_oracle.pay.orders")],
                    ..TaskIo::default()
                },
            ),
            (
                task("pay.clean"),
                TaskIo {
                    reads: refs(&["ods.orders"]),
                    writes: refs(&["dwd.orders"]),
                    ..TaskIo::default()
                },
            ),
            (
                task("pay.daily"),
                TaskIo {
                    reads: refs(&["dwd.orders"]),
                    writes: refs(&["dws.daily"]),
                    ..TaskIo::default()
                },
            ),
        ])
    }

    #[test]
    fn a_column_is_traced_through_the_sync_task_to_its_source_database_column() {
        let graph = LineageGraph::columns(&chain(), &io(), true);
        let around = graph.neighbourhood("ads.report.total", 10, 3);
        assert_eq!(around.nodes.get("core_oracle.pay.orders.amount"), Some(&-4));
        assert_eq!(
            around.nodes.get("core_oracle.pay.orders.state"),
            Some(&-4),
            "through the filter"
        );
        assert!(graph.nodes["core_oracle.pay.orders.amount"].external);
        assert!(!graph.nodes["ods.orders.amount"].external);
        assert_eq!((around.hidden_upstream, around.hidden_downstream), (0, 0));
        let filter = around
            .edges
            .iter()
            .find(|e| e.from == "ods.orders.state")
            .expect("the indirect edge");
        assert_eq!(filter.kind, EdgeKind::Indirect(IndirectKind::Filter));
        assert_eq!(filter.to, "dwd.orders.amount");
        assert_eq!(filter.task, task("pay.clean"));
    }

    #[test]
    fn what_lies_beyond_the_depth_is_counted_not_shown() {
        let graph = LineageGraph::columns(&chain(), &io(), true);
        let around = graph.neighbourhood("dws.daily.total", 1, 0);
        let shown: Vec<&str> = around.nodes.keys().map(String::as_str).collect();
        assert_eq!(shown, ["dwd.orders.amount", "dws.daily.total"]);
        // ods.orders.amount, ods.orders.state and the two oracle columns.
        assert_eq!(around.hidden_upstream, 4);
        assert_eq!(around.hidden_downstream, 1, "ads.report.total");
        assert_eq!(around.edges.len(), 1);
        let none = graph.neighbourhood("dws.daily.total", 0, 0);
        assert_eq!(none.nodes.len(), 1);
        assert!(none.edges.is_empty());
    }

    #[test]
    fn table_level_edges_are_labelled_by_task_and_reach_external_tables() {
        let graph = LineageGraph::tables(&io());
        let around = graph.neighbourhood("dws.daily", 3, 3);
        assert_eq!(around.nodes.get("core_oracle.pay.orders"), Some(&-3));
        assert!(graph.nodes["core_oracle.pay.orders"].external);
        let tasks: Vec<String> = around.edges.iter().map(|e| e.task.to_string()).collect();
        assert_eq!(tasks, ["ingest.orders", "pay.daily", "pay.clean"]);
        assert!(around.edges.iter().all(|e| e.kind == EdgeKind::Table));
    }

    #[test]
    fn unknown_names_get_the_closest_known_one() {
        let graph = LineageGraph::columns(&chain(), &io(), true);
        assert_eq!(
            graph.find("report.total", Some("ads")).map(|n| n.id.as_str()),
            Ok("ads.report.total")
        );
        let missing = graph.find("dws.daily.totl", None).expect_err("a typo");
        assert_eq!(missing.suggestion.as_deref(), Some("dws.daily.total"));
        assert!(missing.message.contains("column"), "{}", missing.message);
    }
}
