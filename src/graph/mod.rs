//! Stage 6, graph: the task dependency graph across the whole repository.
//!
//! Input: the [`Repository`] and, per task, the tables it reads and writes ([`TaskIo`]).
//! Task B depends on task A when B reads a table A writes, in any flow; manual
//! `depends_on` entries add edges too, and so does a trigger waiting for a partition
//! of a table a task writes. Output: a [`DependencyGraph`] when there is no
//! error, and diagnostics for duplicate writers, cycles (with their full path),
//! unknown or self `depends_on`, writes to declared sources, and reads of tables
//! nobody writes (warnings, with "did you mean"). Pure: no I/O.
//!
//! A task that reads the table it writes (an incremental update) is not a cycle.

mod cycle;

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::model::{Flow, Repository, Spanned, TableName, Task, TaskId, TaskKind, TriggerTask, WaitFor};
use crate::sql::TableRef;

/// The tables one task reads and writes.
#[derive(Clone, Debug, Default)]
pub struct TaskIo {
    /// Tables read that may be written by other tasks.
    pub reads: Vec<TableRef>,
    /// Tables written.
    pub writes: Vec<TableRef>,
    /// Tables read from outside the warehouse (a sync task's source system).
    pub external_reads: Vec<TableName>,
    /// Tables written outside the warehouse (a sync task's mysql target).
    pub external_writes: Vec<TableName>,
}

/// Why one task depends on another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeReason {
    /// The downstream task reads a table the upstream task writes.
    Table(TableName),
    /// A `depends_on` entry.
    Manual,
}

/// An edge `upstream → downstream`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Why the edge exists.
    pub reason: EdgeReason,
    /// Where the evidence is written: the table name in the reader's SQL, or the
    /// `depends_on` entry.
    pub span: Span,
    /// Whether the two tasks are in different flows (such edges become sensors).
    pub cross_flow: bool,
}

/// The dependency graph of every task in the repository.
#[derive(Debug)]
pub struct DependencyGraph {
    graph: DiGraph<TaskId, Edge>,
    nodes: BTreeMap<TaskId, NodeIndex>,
    writers: BTreeMap<TableName, TaskId>,
}

impl DependencyGraph {
    /// Number of tasks.
    pub fn task_count(&self) -> usize {
        self.graph.node_count()
    }

    /// The task that writes a table, if any.
    pub fn writer(&self, table: &TableName) -> Option<&TaskId> {
        self.writers.get(table)
    }

    /// Every edge as `(upstream, downstream, edge)`, sorted.
    pub fn edges(&self) -> Vec<(&TaskId, &TaskId, &Edge)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = self.graph.edge_endpoints(e)?;
                Some((&self.graph[a], &self.graph[b], &self.graph[e]))
            })
            .collect();
        edges.sort_by(|x, y| {
            (x.0, x.1)
                .cmp(&(y.0, y.1))
                .then_with(|| reason_key(&x.2.reason).cmp(&reason_key(&y.2.reason)))
        });
        edges
    }

    /// The tasks a task directly depends on, sorted.
    pub fn upstream(&self, task: &TaskId) -> Vec<&TaskId> {
        self.neighbours(task, petgraph::Direction::Incoming)
    }

    /// The tasks that directly depend on a task, sorted.
    pub fn downstream(&self, task: &TaskId) -> Vec<&TaskId> {
        self.neighbours(task, petgraph::Direction::Outgoing)
    }

    /// Every task, each after every task it depends on; among tasks free to go next,
    /// by id (so the order is the same on every run). The graph has no cycle: it is
    /// built only when none was found.
    pub fn topological_order(&self) -> Vec<&TaskId> {
        let mut waiting: BTreeMap<NodeIndex, usize> = BTreeMap::new();
        let mut ready: BTreeSet<(&TaskId, NodeIndex)> = BTreeSet::new();
        for (id, &node) in &self.nodes {
            let upstream = self
                .graph
                .neighbors_directed(node, petgraph::Direction::Incoming)
                .collect::<BTreeSet<_>>()
                .len();
            if upstream == 0 {
                ready.insert((id, node));
            } else {
                waiting.insert(node, upstream);
            }
        }
        let mut order = Vec::with_capacity(self.nodes.len());
        while let Some((id, node)) = ready.pop_first() {
            order.push(id);
            let downstream: BTreeSet<NodeIndex> = self
                .graph
                .neighbors_directed(node, petgraph::Direction::Outgoing)
                .collect();
            for next in downstream {
                if let Some(count) = waiting.get_mut(&next) {
                    *count -= 1;
                    if *count == 0 {
                        waiting.remove(&next);
                        ready.insert((&self.graph[next], next));
                    }
                }
            }
        }
        order
    }

    fn neighbours(&self, task: &TaskId, direction: petgraph::Direction) -> Vec<&TaskId> {
        let Some(&node) = self.nodes.get(task) else {
            return Vec::new();
        };
        let set: BTreeSet<&TaskId> = self
            .graph
            .neighbors_directed(node, direction)
            .map(|n| &self.graph[n])
            .collect();
        set.into_iter().collect()
    }
}

fn reason_key(reason: &EdgeReason) -> Option<&TableName> {
    match reason {
        EdgeReason::Table(table) => Some(table),
        EdgeReason::Manual => None,
    }
}

/// Builds the graph and reports every problem in it.
pub fn build(repository: &Repository, io: &BTreeMap<TaskId, TaskIo>) -> (Option<DependencyGraph>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let mut graph = DiGraph::new();
    let mut nodes = BTreeMap::new();
    for (_, task) in repository.tasks() {
        nodes
            .entry(task.id.clone())
            .or_insert_with(|| graph.add_node(task.id.clone()));
    }
    let empty = TaskIo::default();
    let io_of = |task: &TaskId| io.get(task).unwrap_or(&empty);

    // Writers of every table, in task order.
    let mut writers: BTreeMap<&TableName, Vec<(&TaskId, Span)>> = BTreeMap::new();
    for (_, task) in repository.tasks() {
        for write in &io_of(&task.id).writes {
            writers.entry(&write.name).or_default().push((&task.id, write.span));
        }
    }
    let sources: BTreeMap<&TableName, Span> = repository.project.sources.iter().map(|s| (&s.table, s.span)).collect();
    writer_problems(&writers, &sources, &mut diagnostics);
    let writer_of: BTreeMap<&TableName, &TaskId> = writers.iter().map(|(t, list)| (*t, list[0].0)).collect();
    let known_tables: BTreeSet<&str> = writer_of
        .keys()
        .map(|t| t.as_str())
        .chain(sources.keys().map(|t| t.as_str()))
        .collect();

    for (flow, task) in repository.tasks() {
        let reader = nodes[&task.id];
        for read in &io_of(&task.id).reads {
            match writer_of.get(&read.name) {
                Some(&writer) if writer != &task.id => {
                    let edge = Edge {
                        reason: EdgeReason::Table(read.name.clone()),
                        span: read.span,
                        cross_flow: writer.flow() != &flow.id,
                    };
                    graph.add_edge(nodes[writer], reader, edge);
                }
                Some(_) => {}
                None if sources.contains_key(&read.name) => {}
                None => diagnostics.push(undeclared_source(read, &known_tables)),
            }
        }
        // A trigger waiting for a partition of a table a task writes waits for that
        // task too: a sync registers its partition before it writes the files.
        if let TaskKind::Trigger(TriggerTask {
            wait_for: WaitFor::Partition { table, .. },
            ..
        }) = &task.kind
            && let Some(&writer) = writer_of.get(table)
            && writer != &task.id
        {
            let edge = Edge {
                reason: EdgeReason::Table(table.clone()),
                span: task.name_span,
                cross_flow: writer.flow() != &flow.id,
            };
            graph.add_edge(nodes[writer], reader, edge);
        }
        for dependency in &task.depends_on {
            match manual_edge(flow, task, dependency, &nodes) {
                Ok((upstream, edge)) => {
                    graph.add_edge(upstream, reader, edge);
                }
                Err(diagnostic) => diagnostics.push(*diagnostic),
            }
        }
    }

    diagnostics.extend(cycle::find(&graph));
    if diagnostics.has_errors() {
        return (None, diagnostics);
    }
    let writers = writer_of.into_iter().map(|(t, w)| (t.clone(), w.clone())).collect();
    (Some(DependencyGraph { graph, nodes, writers }), diagnostics)
}

/// Tables written by more than one task (G401), and declared sources written (G405).
fn writer_problems(
    writers: &BTreeMap<&TableName, Vec<(&TaskId, Span)>>,
    sources: &BTreeMap<&TableName, Span>,
    diagnostics: &mut Diagnostics,
) {
    for (table, list) in writers {
        if list.len() > 1 {
            let names: Vec<String> = list.iter().map(|(t, _)| format!("`{t}`")).collect();
            let (_, first_span) = list[0];
            for (_, span) in &list[1..] {
                diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateWriter,
                        format!(
                            "table `{table}` is written by {} tasks: {}",
                            list.len(),
                            names.join(", ")
                        ),
                    )
                    .at(*span)
                    .with_label("written here")
                    .with_secondary(first_span, "also written here")
                    .with_help(
                        "each table has exactly one writing task; merge the writes or write to different tables",
                    ),
                );
            }
        }
        if let Some(&declared) = sources.get(table) {
            for (task, span) in list {
                diagnostics.push(
                    Diagnostic::error(
                        Code::SourceTableWritten,
                        format!("task `{task}` writes `{table}`, which is declared as an external source"),
                    )
                    .at(*span)
                    .with_label("written here")
                    .with_secondary(declared, "declared as a source here")
                    .with_help("remove the table from `sources:` in flowc.yaml, or stop writing it"),
                );
            }
        }
    }
}

/// G403: a table read that no task writes and no `sources:` entry declares.
fn undeclared_source(read: &TableRef, known_tables: &BTreeSet<&str>) -> Diagnostic {
    Diagnostic::warning(
        Code::UndeclaredSource,
        format!(
            "table `{}` is read but no task writes it and it is not a declared source",
            read.name
        ),
    )
    .at(read.span)
    .with_label("read here")
    .with_help(
        did_you_mean(read.name.as_str(), known_tables.iter().copied())
            .unwrap_or_else(|| format!("declare it under `sources:` in flowc.yaml: `- table: {}`", read.name)),
    )
}

/// The edge a `depends_on` entry adds, or why it cannot (G406 itself, G404 unknown).
fn manual_edge(
    flow: &Flow,
    task: &Task,
    dependency: &Spanned<String>,
    nodes: &BTreeMap<TaskId, NodeIndex>,
) -> Result<(NodeIndex, Edge), Box<Diagnostic>> {
    let target = if dependency.value.contains('.') {
        let (flow_name, task_name) = dependency.value.split_once('.').unwrap_or_default();
        TaskId::new(crate::model::FlowId::new(flow_name), task_name)
    } else {
        TaskId::new(flow.id.clone(), dependency.value.as_str())
    };
    if target == task.id {
        return Err(Box::new(
            Diagnostic::error(Code::SelfDependency, format!("task `{}` depends on itself", task.id))
                .at(dependency.span)
                .with_label("names the task itself")
                .with_help("remove this entry"),
        ));
    }
    let Some(&upstream) = nodes.get(&target) else {
        let candidates: Vec<String> = nodes
            .keys()
            .map(|id| {
                if id.flow() == &flow.id {
                    id.task().to_owned()
                } else {
                    id.to_string()
                }
            })
            .collect();
        return Err(Box::new(
            Diagnostic::error(
                Code::UnknownTask,
                format!("`depends_on` names unknown task `{}`", dependency.value),
            )
            .at(dependency.span)
            .with_label("no such task")
            .with_help(
                did_you_mean(&dependency.value, candidates.iter().map(String::as_str))
                    .unwrap_or_else(|| "write `task` for a task of this flow, or `flow.task`".to_owned()),
            ),
        ));
    };
    let edge = Edge {
        reason: EdgeReason::Manual,
        span: dependency.span,
        cross_flow: target.flow() != &flow.id,
    };
    Ok((upstream, edge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::check;
    use crate::diagnostic::LineCol;
    use crate::load::MemoryTree;

    const PROJECT: &str = "project: t\nenvironments: {dev: {databases: {dwd: dev_dwd, dws: dev_dws, ads: dev_ads}, airflow_connections: {kylin_default: kylin_dev}}, prod: {}}\nteams: {data: {}}\nsources:\n  - table: ext.raw\n";

    /// `(name, reads, writes, depends_on)` of one task.
    type TaskSpec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

    /// A flow of kylin tasks; kylin tasks declare their tables, so these tests do not
    /// depend on the SQL stage.
    fn flow(name: &str, tasks: &[TaskSpec<'_>]) -> String {
        use std::fmt::Write as _;
        let mut yaml =
            format!("name: {name}\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n");
        for (task, reads, writes, depends_on) in tasks {
            let _ = write!(
                yaml,
                "  - name: {task}\n    type: kylin\n    cube: c\n    project: p\n    reads: [{}]\n    writes: [{}]\n    depends_on: [{}]\n",
                reads.join(", "),
                writes.join(", "),
                depends_on.join(", ")
            );
        }
        yaml
    }

    fn run(flows: &[(&str, String)]) -> crate::compiler::CheckReport {
        let mut tree = MemoryTree::new().with("flowc.yaml", PROJECT);
        for (name, yaml) in flows {
            tree = tree.with(&format!("flows/{name}/flow.yaml"), yaml.as_str());
        }
        check(&tree).unwrap()
    }

    fn codes(report: &crate::compiler::CheckReport) -> Vec<Code> {
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn readers_depend_on_writers_across_flows() {
        let report = run(&[
            ("a", flow("a", &[("load", &["ext.raw"], &["dwd.x"], &[])])),
            (
                "b",
                flow(
                    "b",
                    &[
                        ("use", &["dwd.x"], &["dws.y"], &[]),
                        ("more", &["dws.y"], &["ads.z"], &[]),
                    ],
                ),
            ),
        ]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let graph = report.graph.unwrap();
        let edges: Vec<(String, String, bool)> = graph
            .edges()
            .iter()
            .map(|(a, b, e)| (a.to_string(), b.to_string(), e.cross_flow))
            .collect();
        assert_eq!(
            edges,
            vec![
                ("a.load".into(), "b.use".into(), true),
                ("b.use".into(), "b.more".into(), false)
            ]
        );
    }

    #[test]
    fn topological_order_puts_writers_before_readers() {
        // `a.z` reads what `b.y` writes, which reads what `c.x` writes: ids alone
        // would give the opposite order.
        let report = run(&[
            ("a", flow("a", &[("z", &["dws.y"], &["ads.z"], &[])])),
            ("b", flow("b", &[("y", &["dwd.x"], &["dws.y"], &[])])),
            (
                "c",
                flow(
                    "c",
                    &[("x", &["ext.raw"], &["dwd.x"], &[]), ("w", &[], &["dwd.w"], &[])],
                ),
            ),
        ]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let graph = report.graph.unwrap();
        let order: Vec<String> = graph.topological_order().iter().map(ToString::to_string).collect();
        assert_eq!(order, ["c.w", "c.x", "b.y", "a.z"]);
    }

    #[test]
    fn partition_triggers_wait_for_the_writer_of_their_table() {
        let waits = |table: &str| {
            format!(
                "name: b\nowner: data\nschedule: \"0 3 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: wait\n    type: trigger\n    wait_for: {{kind: partition, table: {table}, partition: \"dt=${{bizdate}}\"}}\n"
            )
        };
        let report = run(&[
            ("a", flow("a", &[("load", &["ext.raw"], &["dwd.x"], &[])])),
            ("b", waits("dwd.x")),
        ]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let edges: Vec<(String, String, bool)> = report
            .graph
            .unwrap()
            .edges()
            .iter()
            .map(|(a, b, e)| (a.to_string(), b.to_string(), e.cross_flow))
            .collect();
        assert_eq!(edges, vec![("a.load".into(), "b.wait".into(), true)]);
        // A table no task writes adds nothing, and is no read to warn about.
        let report = run(&[("b", waits("ext.raw"))]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        assert!(report.graph.unwrap().edges().is_empty());
    }

    #[test]
    fn reading_your_own_output_is_not_a_cycle() {
        let report = run(&[("a", flow("a", &[("inc", &["dwd.x", "ext.raw"], &["dwd.x"], &[])]))]);
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        assert!(report.graph.unwrap().edges().is_empty());
    }

    #[test]
    fn cycle_reports_full_path_from_the_smallest_task() {
        let report = run(&[
            ("a", flow("a", &[("one", &["dwd.z"], &["dwd.x"], &[])])),
            (
                "b",
                flow(
                    "b",
                    &[
                        ("two", &["dwd.x"], &["dwd.y"], &[]),
                        ("three", &["dwd.y"], &["dwd.z"], &[]),
                    ],
                ),
            ),
        ]);
        assert_eq!(codes(&report), vec![Code::CyclicDependency]);
        let diagnostic = report.diagnostics.iter().next().unwrap();
        assert_eq!(
            diagnostic.message,
            "dependency cycle: a.one → dwd.x → b.two → dwd.y → b.three → dwd.z → a.one"
        );
        assert_eq!(diagnostic.labels.len(), 2);
        assert!(report.graph.is_none());
    }

    #[test]
    fn manual_dependencies_take_part_in_cycles() {
        let report = run(&[(
            "a",
            flow(
                "a",
                &[("one", &[], &["dwd.x"], &["two"]), ("two", &["dwd.x"], &["dwd.y"], &[])],
            ),
        )]);
        assert_eq!(codes(&report), vec![Code::CyclicDependency]);
        assert!(
            report
                .diagnostics
                .iter()
                .next()
                .unwrap()
                .message
                .contains("(depends_on)")
        );
    }

    #[test]
    fn duplicate_writers_name_every_writer() {
        let report = run(&[
            ("a", flow("a", &[("one", &[], &["dwd.x"], &[])])),
            ("b", flow("b", &[("two", &[], &["DWD.X"], &[])])),
        ]);
        assert_eq!(codes(&report), vec![Code::DuplicateWriter]);
        let diagnostic = report.diagnostics.iter().next().unwrap();
        assert!(
            diagnostic.message.contains("`a.one`, `b.two`"),
            "{}",
            diagnostic.message
        );
        assert_eq!(
            report.sources.line_col(diagnostic.span.unwrap()),
            LineCol { line: 11, column: 14 }
        );
    }

    #[test]
    fn unknown_dependencies_get_a_suggestion() {
        let report = run(&[
            ("a", flow("a", &[("load", &[], &["dwd.x"], &[])])),
            (
                "b",
                flow("b", &[("use", &[], &["dwd.y"], &["a.lod", "nothing_like_it"])]),
            ),
        ]);
        assert_eq!(codes(&report), vec![Code::UnknownTask, Code::UnknownTask]);
        let helps: Vec<_> = report.diagnostics.iter().map(|d| d.help.clone().unwrap()).collect();
        assert_eq!(helps[0], "did you mean `a.load`?");
        assert!(helps[1].contains("flow.task"));
    }

    #[test]
    fn self_dependency_and_source_writes_are_errors() {
        let report = run(&[("a", flow("a", &[("one", &[], &["ext.raw"], &["one"])]))]);
        assert_eq!(codes(&report), vec![Code::SourceTableWritten, Code::SelfDependency]);
    }

    #[test]
    fn unknown_tables_warn_with_did_you_mean() {
        let report = run(&[
            ("a", flow("a", &[("one", &["ext.raw"], &["dwd.orders"], &[])])),
            ("b", flow("b", &[("two", &["dwd.order"], &["dws.y"], &[])])),
        ]);
        assert_eq!(codes(&report), vec![Code::UndeclaredSource]);
        let diagnostic = report.diagnostics.iter().next().unwrap();
        assert!(!diagnostic.is_error());
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `dwd.orders`?"));
        assert!(report.graph.is_some(), "warnings do not stop the graph");
    }
}
