//! The views of `flowc lineage`: text, JSON, DOT and Mermaid, each a function of what
//! is shown.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::Shown;
use crate::columns::lineage::{EdgeKind, LineageEdge, LineageNode};
use crate::render::mermaid::{Arrow, Flowchart, NodeId, Shape};
use crate::words::plural;

/// Characters of a Mermaid label at most: beyond any real `db.table.column`, a
/// bound on hostile ones.
const MERMAID_LABEL: usize = 1_000;

/// The edges shown: the neighbourhood's, else every edge.
fn edges(shown: &Shown) -> &[LineageEdge] {
    shown.around.as_ref().map_or(&shown.graph.edges, |a| &a.edges)
}

/// The nodes shown, with their distance from the focus when there is one.
fn nodes(shown: &Shown) -> Vec<(&LineageNode, Option<i64>)> {
    match &shown.around {
        Some(around) => around
            .nodes
            .iter()
            .filter_map(|(id, distance)| Some((shown.graph.nodes.get(id)?, Some(*distance))))
            .collect(),
        None => shown.graph.nodes.values().map(|node| (node, None)).collect(),
    }
}

fn is_column_level(shown: &Shown) -> bool {
    shown.graph.nodes.values().any(|n| n.column.is_some())
}

/// `identity`, `indirect filter` …; nothing at table level.
fn how(kind: EdgeKind) -> Option<String> {
    let subtype = kind.subtype()?.to_lowercase();
    Some(match kind {
        EdgeKind::Indirect(_) => format!("indirect {subtype}"),
        _ => subtype,
    })
}

fn label(edge: &LineageEdge) -> String {
    match how(edge.kind) {
        Some(how) => format!("{}, {how}", edge.task),
        None => edge.task.to_string(),
    }
}

/// The text view: a tree each way around the focus, or a summary of the repository.
pub(super) fn text(shown: &Shown, project: &str) -> String {
    let Some(around) = &shown.around else {
        return summary(shown, project);
    };
    let mut out = String::new();
    let focus = &around.focus;
    let external = shown.graph.nodes.get(focus).is_some_and(|n| n.external);
    let _ = writeln!(out, "{focus}{}", if external { " (external)" } else { "" });
    for (upstream, depth, hidden) in [
        (true, shown.upstream, around.hidden_upstream),
        (false, shown.downstream, around.hidden_downstream),
    ] {
        let way = if upstream { "upstream" } else { "downstream" };
        let _ = writeln!(out, "{way} ({}):", plural(depth, "step"));
        let before = out.len();
        let mut seen = BTreeSet::from([focus.as_str()]);
        tree(shown, &around.edges, focus, upstream, 1, &mut seen, &mut out);
        if out.len() == before {
            let _ = writeln!(out, "  (nothing)");
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "  … {} more {way}, beyond {}",
                plural(hidden, "node"),
                plural(depth, "step")
            );
        }
    }
    out
}

/// The edges into (upstream) or out of `node`, one line each, then each far node's own
/// the same way, indented; a node already expanded is marked, not repeated.
fn tree<'a>(
    shown: &Shown,
    edges: &'a [LineageEdge],
    node: &str,
    upstream: bool,
    indent: usize,
    seen: &mut BTreeSet<&'a str>,
    out: &mut String,
) {
    for edge in edges {
        let (near, far) = if upstream {
            (&edge.to, &edge.from)
        } else {
            (&edge.from, &edge.to)
        };
        if near != node {
            continue;
        }
        let arrow = if upstream { "←" } else { "→" };
        let external = shown.graph.nodes.get(far).is_some_and(|n| n.external);
        let first = seen.insert(far.as_str());
        let has_more = edges
            .iter()
            .any(|e| if upstream { &e.to == far } else { &e.from == far });
        let _ = writeln!(
            out,
            "{}{arrow} {far}{}  [{}]{}",
            "  ".repeat(indent),
            if external { " (external)" } else { "" },
            label(edge),
            if !first && has_more { " (expanded above)" } else { "" }
        );
        if first {
            tree(shown, edges, far, upstream, indent + 1, seen, out);
        }
    }
}

/// The whole repository in a few lines: counts, where data enters and where it ends.
fn summary(shown: &Shown, project: &str) -> String {
    let graph = &shown.graph;
    let written: BTreeSet<&str> = graph.edges.iter().map(|e| e.to.as_str()).collect();
    let read: BTreeSet<&str> = graph.edges.iter().map(|e| e.from.as_str()).collect();
    let tasks: BTreeSet<String> = graph.edges.iter().map(|e| e.task.to_string()).collect();
    let external = graph.nodes.values().filter(|n| n.external).count();
    let entries: Vec<&str> = graph
        .nodes
        .keys()
        .map(String::as_str)
        .filter(|id| !written.contains(id))
        .collect();
    let ends: Vec<&str> = graph
        .nodes
        .keys()
        .map(String::as_str)
        .filter(|id| !read.contains(id))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{project}: {} ({external} outside the warehouse), {} between them by {}",
        plural(graph.nodes.len(), "table"),
        plural(graph.edges.len(), "edge"),
        plural(tasks.len(), "task")
    );
    let _ = writeln!(out, "enter ({}): {}", entries.len(), entries.join(", "));
    let _ = writeln!(out, "end ({}): {}", ends.len(), ends.join(", "));
    let _ = writeln!(
        out,
        "trace one: flowc lineage <repo> <table>[.<column>] [--upstream N] [--downstream N]"
    );
    out
}

/// The JSON view: `level`, `focus`, `upstream`/`downstream` (null without a focus),
/// `nodes` sorted by id, `edges` sorted by (from, to, task, type, subtype), `hidden`.
pub(super) fn json(shown: &Shown) -> Value {
    let nodes: Vec<Value> = nodes(shown)
        .into_iter()
        .map(|(node, distance)| {
            let mut value = json!({
                "id": node.id,
                "table": node.table.to_string(),
                "external": node.external,
            });
            if let Some(column) = &node.column {
                value["column"] = Value::from(column.as_str());
            }
            if let Some(distance) = distance {
                value["distance"] = Value::from(distance);
            }
            value
        })
        .collect();
    let edges: Vec<Value> = edges(shown)
        .iter()
        .map(|edge| {
            json!({
                "from": edge.from,
                "to": edge.to,
                "task": edge.task.to_string(),
                "type": edge.kind.type_name(),
                "subtype": edge.kind.subtype(),
            })
        })
        .collect();
    let around = shown.around.as_ref();
    json!({
        "level": if is_column_level(shown) { "column" } else { "table" },
        "focus": around.map(|a| a.focus.as_str()),
        "upstream": around.map(|_| shown.upstream),
        "downstream": around.map(|_| shown.downstream),
        "nodes": nodes,
        "edges": edges,
        "hidden": {
            "upstream": around.map_or(0, |a| a.hidden_upstream),
            "downstream": around.map_or(0, |a| a.hidden_downstream),
        },
    })
}

/// A DOT string literal: quotes and backslashes escaped, so names cannot break out.
fn dot_string(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
    )
}

/// The DOT view: external tables as cylinders, the focus bold, INDIRECT edges dashed.
pub(super) fn dot(shown: &Shown) -> String {
    let mut out = String::from("digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    let focus = shown.around.as_ref().map(|a| a.focus.as_str());
    for (node, _) in nodes(shown) {
        let mut attributes = vec![format!("label={}", dot_string(&node.id))];
        if node.external {
            attributes.push("shape=cylinder".to_owned());
        }
        if focus == Some(node.id.as_str()) {
            attributes.push("style=bold".to_owned());
        }
        let _ = writeln!(out, "  {} [{}];", dot_string(&node.id), attributes.join(", "));
    }
    for edge in edges(shown) {
        let style = if matches!(edge.kind, EdgeKind::Indirect(_)) {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_string(&edge.from),
            dot_string(&edge.to),
            dot_string(&label(edge))
        );
    }
    out.push_str("}\n");
    out
}

/// The Mermaid view: nodes `n0`, `n1` … in id order with their names as labels,
/// external tables as cylinders, INDIRECT edges dotted, the focus in the `focus` class.
pub(super) fn mermaid(shown: &Shown) -> String {
    let mut chart = Flowchart::new(MERMAID_LABEL);
    let ids: BTreeMap<&str, NodeId> = nodes(shown)
        .into_iter()
        .map(|(node, _)| {
            let shape = if node.external { Shape::Cylinder } else { Shape::Box };
            (node.id.as_str(), chart.node(&node.id, shape))
        })
        .collect();
    for edge in edges(shown) {
        let (Some(from), Some(to)) = (ids.get(edge.from.as_str()), ids.get(edge.to.as_str())) else {
            continue;
        };
        let arrow = if matches!(edge.kind, EdgeKind::Indirect(_)) {
            Arrow::Dotted
        } else {
            Arrow::Solid
        };
        chart.edge(from, to, arrow, Some(&label(edge)));
    }
    if let Some(focus) = shown.around.as_ref().and_then(|a| ids.get(a.focus.as_str())) {
        chart.class_def("focus", "stroke-width:3px");
        chart.class(focus, "focus");
    }
    chart.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::columns::lineage::LineageGraph;
    use crate::model::{FlowId, TableName, TaskId};
    use crate::sql::columns::{IndirectKind, Transformation};

    fn graph() -> LineageGraph {
        let node = |id: &str, external: bool| LineageNode {
            id: id.to_owned(),
            table: TableName::new(id.rsplit_once('.').map_or(id, |(t, _)| t)),
            column: id.rsplit_once('.').map(|(_, c)| c.to_owned()),
            external,
        };
        let task = TaskId::new(FlowId::new("pay"), "clean");
        LineageGraph {
            nodes: BTreeMap::from([
                ("src.pay.orders.amount".to_owned(), node("src.pay.orders.amount", true)),
                ("ods.orders.amount".to_owned(), node("ods.orders.amount", false)),
                ("ods.orders.state".to_owned(), node("ods.orders.state", false)),
                ("dwd.\"x\".amount".to_owned(), node("dwd.\"x\".amount", false)),
            ]),
            edges: vec![
                LineageEdge {
                    from: "ods.orders.amount".to_owned(),
                    to: "dwd.\"x\".amount".to_owned(),
                    task: task.clone(),
                    kind: EdgeKind::Direct(Transformation::Aggregation),
                },
                LineageEdge {
                    from: "ods.orders.state".to_owned(),
                    to: "dwd.\"x\".amount".to_owned(),
                    task: task.clone(),
                    kind: EdgeKind::Indirect(IndirectKind::Filter),
                },
                LineageEdge {
                    from: "src.pay.orders.amount".to_owned(),
                    to: "ods.orders.amount".to_owned(),
                    task: TaskId::new(FlowId::new("ingest"), "orders"),
                    kind: EdgeKind::Direct(Transformation::Identity),
                },
            ],
        }
    }

    fn around(upstream: usize) -> Shown {
        let graph = graph();
        let around = graph.neighbourhood("dwd.\"x\".amount", upstream, 3);
        Shown {
            graph,
            around: Some(around),
            upstream,
            downstream: 3,
        }
    }

    #[test]
    fn the_text_tree_names_tasks_and_transformations_and_counts_what_is_hidden() {
        let text = text(&around(1), "p");
        assert!(text.contains("← ods.orders.amount  [pay.clean, aggregation]"), "{text}");
        assert!(
            text.contains("← ods.orders.state  [pay.clean, indirect filter]"),
            "{text}"
        );
        assert!(
            text.contains("… 1 node more upstream") || text.contains("… 1 more upstream"),
            "{text}"
        );
        assert!(!text.contains("src.pay.orders.amount"), "{text}");
        let deeper = super::text(&around(2), "p");
        assert!(
            deeper.contains("    ← src.pay.orders.amount (external)  [ingest.orders, identity]"),
            "{deeper}"
        );
    }

    #[test]
    fn mermaid_declares_every_node_before_its_edges_and_escapes_quotes() {
        let text = mermaid(&around(2));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "flowchart LR");
        let declared: Vec<&str> = lines
            .iter()
            .filter(|l| l.trim_start().starts_with('n') && (l.contains("[\"") || l.contains("[(\"")))
            .map(|l| l.trim_start().split(['[', ' ']).next().unwrap_or_default())
            .collect();
        assert_eq!(declared, ["n0", "n1", "n2", "n3"]);
        let edges: Vec<&str> = lines
            .iter()
            .filter(|l| l.contains("-->") || l.contains("-.->"))
            .copied()
            .collect();
        assert_eq!(edges.len(), 3);
        for edge in &edges {
            let parts: Vec<&str> = edge.split_whitespace().collect();
            assert!(
                declared.contains(&parts[0]) && declared.contains(&parts[parts.len() - 1]),
                "{edge}"
            );
        }
        assert!(
            edges.iter().any(|e| e.contains("-.->|\"pay.clean, indirect filter\"|")),
            "{text}"
        );
        assert!(text.contains("[\"dwd.#quot;x#quot;.amount\"]"), "{text}");
        assert!(
            text.contains("[(\"src.pay.orders.amount\")]"),
            "external: a cylinder\n{text}"
        );
        assert!(text.ends_with("class n0 focus\n"), "{text}");
    }

    #[test]
    fn json_lists_nodes_with_distances_and_typed_edges() {
        let value = json(&around(1));
        assert_eq!(value["level"], "column");
        assert_eq!(value["hidden"]["upstream"], 1);
        let first = &value["edges"][0];
        assert_eq!(first["type"], "DIRECT");
        assert_eq!(first["subtype"], "AGGREGATION");
        assert_eq!(value["nodes"][1]["distance"], -1);
    }

    #[test]
    fn dot_escapes_names_and_dashes_indirect_edges() {
        let text = dot(&around(2));
        assert!(text.contains("\"dwd.\\\"x\\\".amount\""), "{text}");
        assert!(text.contains("style=dashed"), "{text}");
        assert!(text.contains("shape=cylinder"), "{text}");
    }
}
