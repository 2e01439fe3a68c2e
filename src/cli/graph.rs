//! `flowc graph`: show the inferred dependencies (text, JSON or Graphviz DOT).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::{Map, Value, json};

use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::{CheckReport, check};
use crate::graph::{DependencyGraph, EdgeReason};
use crate::load::WorkTree;
use crate::model::Repository;

/// Arguments of `flowc graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub(crate) format: GraphFormat,
}

/// Output formats of `flowc graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// Each task with its reads, writes and upstream tasks.
    Text,
    /// `{"tasks": {...}, "edges": [...]}`.
    Json,
    /// Graphviz DOT, one cluster per flow; cross-flow edges dashed.
    Dot,
}

/// Runs `flowc graph`.
pub(crate) fn run(args: &GraphArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = WorkTree::open(&args.repo)?;
    let report = check(&tree)?;
    printer.diagnostics(&report.diagnostics, &report.sources);
    let (Some(repository), Some(graph)) = (&report.repository, &report.graph) else {
        printer.err("error: the dependency graph cannot be built until the errors above are fixed\n");
        return Ok(Outcome::InputErrors);
    };
    let output = match args.format {
        GraphFormat::Text => text_view(repository, graph, &report),
        GraphFormat::Json => format!("{:#}\n", json_view(repository, graph, &report)),
        GraphFormat::Dot => dot_view(repository, graph),
    };
    printer.out(&output);
    Ok(Outcome::Clean)
}

fn edge_label(reason: &EdgeReason) -> String {
    match reason {
        EdgeReason::Table(table) => table.to_string(),
        EdgeReason::Manual => "depends_on".to_owned(),
    }
}

fn text_view(repository: &Repository, graph: &DependencyGraph, report: &CheckReport) -> String {
    let mut out = String::new();
    for (_, task) in repository.tasks() {
        let _ = writeln!(out, "{} ({})", task.id, task.kind.type_name());
        if let Some(io) = report.task_io.get(&task.id) {
            let names = |refs: &[crate::sql::TableRef]| refs.iter().map(|r| r.name.to_string()).collect::<Vec<_>>();
            let mut reads = names(&io.reads);
            reads.extend(io.external_reads.iter().map(ToString::to_string));
            if !reads.is_empty() {
                let _ = writeln!(out, "  reads:  {}", reads.join(", "));
            }
            let mut writes = names(&io.writes);
            writes.extend(io.external_writes.iter().map(ToString::to_string));
            if !writes.is_empty() {
                let _ = writeln!(out, "  writes: {}", writes.join(", "));
            }
        }
        for (upstream, downstream, edge) in graph.edges() {
            if downstream == &task.id {
                let scope = if edge.cross_flow { ", other flow" } else { "" };
                let _ = writeln!(out, "  after:  {upstream} ({}{scope})", edge_label(&edge.reason));
            }
        }
    }
    out
}

fn json_view(repository: &Repository, graph: &DependencyGraph, report: &CheckReport) -> Value {
    let mut tasks = Map::new();
    for (_, task) in repository.tasks() {
        let io = report.task_io.get(&task.id);
        let names = |refs: Option<&Vec<crate::sql::TableRef>>| -> Vec<String> {
            refs.map(|r| r.iter().map(|t| t.name.to_string()).collect())
                .unwrap_or_default()
        };
        let external: Vec<String> = io
            .map(|io| io.external_reads.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let external_writes: Vec<String> = io
            .map(|io| io.external_writes.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let upstream: Vec<String> = graph.upstream(&task.id).iter().map(ToString::to_string).collect();
        tasks.insert(
            task.id.to_string(),
            json!({
                "type": task.kind.type_name(),
                "reads": names(io.map(|io| &io.reads)),
                "external_reads": external,
                "writes": names(io.map(|io| &io.writes)),
                "external_writes": external_writes,
                "upstream": upstream,
            }),
        );
    }
    let edges: Vec<Value> = graph
        .edges()
        .into_iter()
        .map(|(upstream, downstream, edge)| {
            json!({
                "from": upstream.to_string(),
                "to": downstream.to_string(),
                "table": match &edge.reason { EdgeReason::Table(t) => Value::from(t.to_string()), EdgeReason::Manual => Value::Null },
                "cross_flow": edge.cross_flow,
            })
        })
        .collect();
    json!({ "tasks": tasks, "edges": edges })
}

/// A DOT string literal: quotes and backslashes escaped, so names cannot break out.
fn dot_string(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
    )
}

fn dot_view(repository: &Repository, graph: &DependencyGraph) -> String {
    let mut out = String::from("digraph flowc {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for flow in &repository.flows {
        let _ = writeln!(out, "  subgraph {} {{", dot_string(&format!("cluster_{}", flow.id)));
        let _ = writeln!(out, "    label={};", dot_string(flow.id.as_str()));
        for task in &flow.tasks {
            let _ = writeln!(
                out,
                "    {} [label={}];",
                dot_string(&task.id.to_string()),
                dot_string(task.id.task())
            );
        }
        out.push_str("  }\n");
    }
    for (upstream, downstream, edge) in graph.edges() {
        let style = if edge.cross_flow { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_string(&upstream.to_string()),
            dot_string(&downstream.to_string()),
            dot_string(&edge_label(&edge.reason))
        );
    }
    out.push_str("}\n");
    out
}
