//! The impact graph the markdown view draws: who is changed, affected, removed or
//! broken, and the writes, reads and breaking reads between them.

use super::{BASE, plan_of, replace};
use crate::plan::types::{ImpactEdgeKind, ImpactGraph, ImpactNodeKind, ImpactRole};

/// `(name, role)` of every node, and `(from, kind, to)` by name of every edge.
type Drawn = (Vec<(String, ImpactRole)>, Vec<(String, ImpactEdgeKind, String)>);

fn drawn(graph: &ImpactGraph) -> Drawn {
    let nodes = graph.nodes.iter().map(|n| (n.name.clone(), n.role)).collect();
    let edges = graph
        .edges
        .iter()
        .map(|e| (graph.nodes[e.from].name.clone(), e.kind, graph.nodes[e.to].name.clone()))
        .collect();
    (nodes, edges)
}

fn node(name: &str, role: ImpactRole) -> (String, ImpactRole) {
    (name.to_owned(), role)
}

fn edge(from: &str, kind: ImpactEdgeKind, to: &str) -> (String, ImpactEdgeKind, String) {
    (from.to_owned(), kind, to.to_owned())
}

#[test]
fn an_sql_change_draws_the_task_its_table_and_everything_downstream() {
    use ImpactEdgeKind::{Reads, Writes};
    use ImpactRole::{Affected, Changed};
    // c.report also reads its own table (yesterday's partition): no loop is drawn.
    let base = replace(
        BASE,
        "c.report",
        ("c.report", &["dws.y", "ads.z"], &["ads.z"], "select 3"),
    );
    let head = replace(&base, "a.load", ("a.load", &["ods.raw"], &["dwd.x"], "select 10"));
    let plan = plan_of(&base, &head, |_| {});
    let kinds: Vec<ImpactNodeKind> = plan.impact_graph.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [[ImpactNodeKind::Task; 3], [ImpactNodeKind::Table; 3]].concat());
    assert_eq!(
        drawn(&plan.impact_graph),
        (
            vec![
                node("a.load", Changed),
                node("b.use", Affected),
                node("c.report", Affected),
                node("ads.z", Affected),
                node("dwd.x", Changed),
                node("dws.y", Affected),
            ],
            vec![
                edge("a.load", Writes, "dwd.x"),
                edge("b.use", Writes, "dws.y"),
                edge("c.report", Writes, "ads.z"),
                edge("dwd.x", Reads, "b.use"),
                edge("dws.y", Reads, "c.report"),
            ]
        )
    );
}

#[test]
fn a_renamed_table_still_read_is_drawn_removed_with_a_breaking_read() {
    use ImpactEdgeKind::{Breaks, Reads, Writes};
    use ImpactRole::{Affected, Broken, Changed, Removed};
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x_v2"], "select 1"));
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(
        drawn(&plan.impact_graph),
        (
            vec![
                node("a.load", Changed),
                node("b.use", Broken),
                node("c.report", Affected),
                node("ads.z", Affected),
                node("dwd.x", Removed),
                node("dwd.x_v2", Changed),
                node("dws.y", Affected),
            ],
            vec![
                edge("a.load", Writes, "dwd.x"),
                edge("a.load", Writes, "dwd.x_v2"),
                edge("b.use", Writes, "dws.y"),
                edge("c.report", Writes, "ads.z"),
                edge("dwd.x", Breaks, "b.use"),
                edge("dws.y", Reads, "c.report"),
            ]
        )
    );
}

#[test]
fn a_removed_task_is_drawn_from_the_base_revision() {
    use ImpactEdgeKind::{Breaks, Writes};
    use ImpactRole::{Affected, Broken, Removed};
    let head: Vec<_> = BASE.iter().filter(|s| s.0 != "b.use").copied().collect();
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(
        drawn(&plan.impact_graph),
        (
            vec![
                node("b.use", Removed),
                node("c.report", Broken),
                node("ads.z", Affected),
                node("dws.y", Removed),
            ],
            vec![
                edge("b.use", Writes, "dws.y"),
                edge("c.report", Writes, "ads.z"),
                edge("dws.y", Breaks, "c.report"),
            ]
        )
    );
}
