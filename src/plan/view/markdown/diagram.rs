//! The impact diagram: the plan's [`ImpactGraph`] as a Mermaid flowchart in a
//! ```` ```mermaid ```` block, which GitHub draws.
//!
//! Changed tasks and tables are yellow, removed ones dashed, what lies downstream
//! blue, and the readers a breaking change breaks red, reached by thick red edges.
//! Tasks are round, tables cylinders. Bounded: past `limit` nodes the changed nodes,
//! the broken readers and the nearest downstream steps are drawn, and each drawn node
//! with undrawn nodes downstream gets one "… N more" node, all within `limit`. Names
//! only appear in quoted labels ([`crate::render::mermaid`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use super::LABEL;
use crate::plan::types::{ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNodeKind, ImpactRole};
use crate::render::mermaid::{Arrow, Flowchart, NodeId, Shape};
use crate::words::plural;

/// Nodes drawn at most, "… N more" ones included, in decreasing order: the largest
/// whose block fits is shown.
pub(super) const LIMITS: [usize; 5] = [40, 24, 12, 6, 3];

/// Characters of a diagram Mermaid accepts (its default `maxTextSize` is 50,000).
const MAX_TEXT: usize = 40_000;

/// Edges Mermaid draws by default (`maxEdges`).
const MAX_EDGES: usize = 500;

/// The `### Impact diagram` block drawing at most `limit` nodes of `graph` (plus
/// the "… N more" ones), with its legend; `None` when there is nothing to draw or the
/// diagram would be too big for Mermaid.
pub(super) fn block(graph: &ImpactGraph, limit: usize) -> Option<String> {
    if graph.is_empty() {
        return None;
    }
    let drawn = drawn(graph, limit);
    let mut chart = Flowchart::new(LABEL);
    let mut ids: BTreeMap<usize, NodeId> = BTreeMap::new();
    for &i in &drawn {
        let node = &graph.nodes[i];
        let shape = match node.kind {
            ImpactNodeKind::Task => Shape::Rounded,
            ImpactNodeKind::Table => Shape::Cylinder,
        };
        let id = chart.node(&node.name, shape);
        chart.class(&id, class(node.role));
        ids.insert(i, id);
    }
    // Edges in the order their ends are drawn, which Mermaid's layout follows.
    let position: BTreeMap<usize, usize> = drawn.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut edges: Vec<&ImpactEdge> = graph
        .edges
        .iter()
        .filter(|e| position.contains_key(&e.from) && position.contains_key(&e.to))
        .collect();
    edges.sort_by_key(|e| (position[&e.from], position[&e.to], e.kind));
    let mut breaking = Vec::new();
    for edge in edges {
        let (Some(from), Some(to)) = (ids.get(&edge.from), ids.get(&edge.to)) else {
            continue;
        };
        let arrow = match edge.kind {
            ImpactEdgeKind::Writes | ImpactEdgeKind::Reads => Arrow::Solid,
            ImpactEdgeKind::Breaks => Arrow::Thick,
            ImpactEdgeKind::RunsAfter => Arrow::Dotted,
        };
        let index = chart.edge(from, to, arrow, None);
        if edge.kind == ImpactEdgeKind::Breaks {
            breaking.push(index);
        }
    }
    let hidden = graph.nodes.len() - drawn.len();
    more(graph, &drawn, &ids, &mut chart);
    for (name, style) in CLASSES {
        chart.class_def(name, style);
    }
    chart.link_style(breaking, "stroke:#e03131,stroke-width:3px");
    if chart.edge_count() > MAX_EDGES {
        return None;
    }
    let text = chart.finish();
    if text.len() > MAX_TEXT {
        return None;
    }
    Some(format!(
        "{}\n\n```mermaid\n{text}```\n\n",
        legend(graph, &drawn, hidden)
    ))
}

/// What the colours and lines of the drawn diagram mean, and how much is not drawn.
fn legend(graph: &ImpactGraph, drawn: &[usize], hidden: usize) -> String {
    let roles: BTreeSet<ImpactRole> = drawn.iter().map(|&i| graph.nodes[i].role).collect();
    let is_drawn: BTreeSet<usize> = drawn.iter().copied().collect();
    let runs_after = graph
        .edges
        .iter()
        .any(|e| e.kind == ImpactEdgeKind::RunsAfter && is_drawn.contains(&e.from) && is_drawn.contains(&e.to));
    let mut parts = vec!["Tasks are round, tables are cylinders".to_owned()];
    for (role, meaning) in [
        (ImpactRole::Changed, "yellow: changed"),
        (ImpactRole::Removed, "dashed grey: removed"),
        (ImpactRole::Affected, "blue: downstream"),
        (
            ImpactRole::Broken,
            "red: a reader a breaking change breaks, over a thick red edge",
        ),
    ] {
        if roles.contains(&role) {
            parts.push(meaning.to_owned());
        }
    }
    if runs_after {
        parts.push("dotted: runs after, through no table drawn".to_owned());
    }
    let mut legend = format!("{}.", parts.join("; "));
    if hidden > 0 {
        let _ = write!(
            legend,
            " {} of {} drawn: the changes, the readers they break and the nearest steps downstream; the lists below name everything.",
            drawn.len(),
            plural(graph.nodes.len(), "node")
        );
    }
    legend
}

/// The class of each role and the one of the "… N more" nodes, with their styles:
/// dark text on light fills, readable in GitHub's light and dark themes.
const CLASSES: [(&str, &str); 5] = [
    ("changed", "fill:#fff3bf,stroke:#f08c00,stroke-width:2px,color:#000"),
    (
        "removed",
        "fill:#f1f3f5,stroke:#868e96,stroke-width:2px,stroke-dasharray:5 5,color:#000",
    ),
    ("affected", "fill:#e7f5ff,stroke:#4dabf7,color:#000"),
    ("broken", "fill:#ffe3e3,stroke:#e03131,stroke-width:3px,color:#000"),
    ("more", "fill:#f8f9fa,stroke:#adb5bd,stroke-dasharray:3 3,color:#000"),
];

fn class(role: ImpactRole) -> &'static str {
    match role {
        ImpactRole::Changed => "changed",
        ImpactRole::Removed => "removed",
        ImpactRole::Affected => "affected",
        ImpactRole::Broken => "broken",
    }
}

/// The nodes drawn, in the order they are drawn: changed and removed nodes first,
/// then broken readers, then the rest by their distance from a change; ties by kind
/// and name (the graph's order). All of them when they are at most `limit`, else as
/// many as leave room for the "… N more" nodes within `limit`.
fn drawn(graph: &ImpactGraph, limit: usize) -> Vec<usize> {
    let depth = depths(graph);
    let rank = |i: usize| match graph.nodes[i].role {
        ImpactRole::Changed | ImpactRole::Removed => 0,
        ImpactRole::Broken => 1,
        ImpactRole::Affected => 2,
    };
    let mut order: Vec<usize> = (0..graph.nodes.len()).collect();
    order.sort_by_key(|&i| (rank(i), depth[i], i));
    if order.len() <= limit {
        return order;
    }
    let children = children(graph);
    let mut kept = limit.min(order.len());
    while kept > 1 && kept + summaries(&order[..kept], &children, graph.nodes.len()) > limit {
        kept -= 1;
    }
    order.truncate(kept);
    order
}

/// How many "… N more" nodes drawing `drawn` needs: one per drawn node with an
/// undrawn child, and one when some undrawn node is reached from none of them.
fn summaries(drawn: &[usize], children: &BTreeMap<usize, Vec<usize>>, nodes: usize) -> usize {
    let is_drawn: BTreeSet<usize> = drawn.iter().copied().collect();
    let mut reached = vec![false; nodes];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut frontier = 0;
    for &i in drawn {
        let hidden: Vec<usize> = children
            .get(&i)
            .into_iter()
            .flatten()
            .copied()
            .filter(|c| !is_drawn.contains(c))
            .collect();
        if !hidden.is_empty() {
            frontier += 1;
        }
        queue.extend(hidden);
    }
    while let Some(i) = queue.pop_front() {
        if !std::mem::replace(&mut reached[i], true) {
            queue.extend(children.get(&i).into_iter().flatten().filter(|c| !is_drawn.contains(c)));
        }
    }
    let unreached = (0..nodes).any(|i| !is_drawn.contains(&i) && !reached[i]);
    frontier + usize::from(unreached)
}

/// Each node's distance from the nearest changed or removed node (`usize::MAX` when
/// none leads to it).
fn depths(graph: &ImpactGraph) -> Vec<usize> {
    let mut depth = vec![usize::MAX; graph.nodes.len()];
    let mut queue = VecDeque::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if matches!(node.role, ImpactRole::Changed | ImpactRole::Removed) {
            depth[i] = 0;
            queue.push_back(i);
        }
    }
    let children = children(graph);
    while let Some(i) = queue.pop_front() {
        for &child in children.get(&i).into_iter().flatten() {
            if depth[child] == usize::MAX {
                depth[child] = depth[i] + 1;
                queue.push_back(child);
            }
        }
    }
    depth
}

fn children(graph: &ImpactGraph) -> BTreeMap<usize, Vec<usize>> {
    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for edge in &graph.edges {
        children.entry(edge.from).or_default().push(edge.to);
    }
    children
}

/// One "… N more" node per drawn node with undrawn nodes downstream, counting those
/// reached through undrawn nodes only, and one for undrawn nodes no drawn node leads
/// to.
fn more(graph: &ImpactGraph, drawn: &[usize], ids: &BTreeMap<usize, NodeId>, chart: &mut Flowchart) {
    let children = children(graph);
    let mut reached: BTreeSet<usize> = BTreeSet::new();
    for &start in drawn {
        let mut hidden: BTreeSet<usize> = BTreeSet::new();
        let mut queue: VecDeque<usize> = VecDeque::from([start]);
        while let Some(i) = queue.pop_front() {
            for &child in children.get(&i).into_iter().flatten() {
                if !ids.contains_key(&child) && hidden.insert(child) {
                    queue.push_back(child);
                }
            }
        }
        if hidden.is_empty() {
            continue;
        }
        let id = chart.node(&count(graph, &hidden), Shape::Box);
        chart.class(&id, "more");
        chart.edge(&ids[&start], &id, Arrow::Dotted, None);
        reached.extend(hidden);
    }
    let unreached: BTreeSet<usize> = (0..graph.nodes.len())
        .filter(|i| !ids.contains_key(i) && !reached.contains(i))
        .collect();
    if !unreached.is_empty() {
        let id = chart.node(&count(graph, &unreached), Shape::Box);
        chart.class(&id, "more");
    }
}

/// `… 3 more tasks, 1 more table`.
fn count(graph: &ImpactGraph, nodes: &BTreeSet<usize>) -> String {
    let tasks = nodes
        .iter()
        .filter(|&&i| graph.nodes[i].kind == ImpactNodeKind::Task)
        .count();
    let tables = nodes.len() - tasks;
    let parts: Vec<String> = [(tasks, "task"), (tables, "table")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| plural(n, &format!("more {what}")))
        .collect();
    format!("… {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::types::{ImpactEdge, ImpactNode};

    fn node(name: &str, kind: ImpactNodeKind, role: ImpactRole) -> ImpactNode {
        ImpactNode {
            name: name.to_owned(),
            kind,
            role,
        }
    }

    fn edge(from: usize, to: usize, kind: ImpactEdgeKind) -> ImpactEdge {
        ImpactEdge { from, to, kind }
    }

    /// `a.load` (changed) writes `dwd.x`, which `b.use` reads and whose removed column
    /// `c.report` still reads; `c.report` runs after `a.load` too.
    fn small() -> ImpactGraph {
        use ImpactNodeKind::{Table, Task};
        ImpactGraph {
            nodes: vec![
                node("a.load", Task, ImpactRole::Changed),
                node("b.use", Task, ImpactRole::Affected),
                node("c.report", Task, ImpactRole::Broken),
                node("dwd.x", Table, ImpactRole::Changed),
                node("dws.y", Table, ImpactRole::Affected),
            ],
            edges: vec![
                edge(0, 2, ImpactEdgeKind::RunsAfter),
                edge(0, 3, ImpactEdgeKind::Writes),
                edge(1, 4, ImpactEdgeKind::Writes),
                edge(3, 1, ImpactEdgeKind::Reads),
                edge(3, 2, ImpactEdgeKind::Breaks),
            ],
        }
    }

    /// The mermaid text of a block, between its fences.
    fn mermaid(block: &str) -> &str {
        let start = block.find("```mermaid\n").expect("a mermaid fence") + "```mermaid\n".len();
        let end = block[start..].find("```").expect("a closing fence") + start;
        &block[start..end]
    }

    #[test]
    fn a_small_impact_is_drawn_whole_with_breaking_edges_in_red() {
        let block = block(&small(), 40).expect("a diagram");
        assert_eq!(
            mermaid(&block),
            "flowchart LR\n  n0(\"a.load\")\n  n1[(\"dwd.x\")]\n  n2(\"c.report\")\n  n3(\"b.use\")\n  \
             n4[(\"dws.y\")]\n  n0 --> n1\n  n0 -.-> n2\n  n1 ==> n2\n  n1 --> n3\n  n3 --> n4\n  \
             classDef changed fill:#fff3bf,stroke:#f08c00,stroke-width:2px,color:#000\n  \
             classDef affected fill:#e7f5ff,stroke:#4dabf7,color:#000\n  \
             classDef broken fill:#ffe3e3,stroke:#e03131,stroke-width:3px,color:#000\n  \
             class n3,n4 affected\n  class n2 broken\n  class n0,n1 changed\n  \
             linkStyle 2 stroke:#e03131,stroke-width:3px\n"
        );
        assert!(
            block.starts_with(
                "Tasks are round, tables are cylinders; yellow: changed; blue: downstream; red: a reader a \
                 breaking change breaks, over a thick red edge; dotted: runs after, through no table drawn.\n\n"
            ),
            "the legend names what is drawn, nothing summarised: {block}"
        );
    }

    /// A chain of `n` tasks, each writing a table the next reads: the first task
    /// changed, the last one broken.
    fn chain(n: usize) -> ImpactGraph {
        let mut nodes: Vec<ImpactNode> = (0..n)
            .map(|i| {
                let role = match i {
                    0 => ImpactRole::Changed,
                    i if i == n - 1 => ImpactRole::Broken,
                    _ => ImpactRole::Affected,
                };
                node(&format!("f.t{i:03}"), ImpactNodeKind::Task, role)
            })
            .collect();
        nodes.extend((0..n).map(|i| node(&format!("dwd.t{i:03}"), ImpactNodeKind::Table, ImpactRole::Affected)));
        let mut edges = Vec::new();
        for i in 0..n {
            edges.push(edge(i, n + i, ImpactEdgeKind::Writes));
            if i + 1 < n {
                let kind = if i + 2 == n {
                    ImpactEdgeKind::Breaks
                } else {
                    ImpactEdgeKind::Reads
                };
                edges.push(edge(n + i, i + 1, kind));
            }
        }
        ImpactGraph { nodes, edges }
    }

    #[test]
    fn a_big_impact_keeps_the_change_the_broken_reader_and_the_nearest_steps() {
        let graph = chain(100);
        let block = block(&graph, 40).expect("a diagram");
        let text = mermaid(&block);
        let nodes: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("(\"") || l.contains("[\""))
            .collect();
        assert_eq!(nodes.len(), 40, "38 drawn and two '… more' nodes:\n{text}");
        assert!(text.contains("  n0(\"f.t000\")\n"), "the change first:\n{text}");
        assert!(text.contains("  n1(\"f.t099\")\n"), "then the broken reader:\n{text}");
        // 36 nearest steps: t001…t018 and the tables dwd.t000…dwd.t017.
        assert!(
            text.contains("(\"f.t018\")") && !text.contains("(\"f.t019\")"),
            "{text}"
        );
        assert!(
            text.contains("[(\"dwd.t017\")]") && !text.contains("dwd.t018"),
            "{text}"
        );
        // Past f.t018: dwd.t018 … f.t098, dwd.t098 (f.t099 is drawn); its own table after it.
        let mores: Vec<&str> = text.lines().filter(|l| l.contains("… ")).collect();
        assert_eq!(mores.len(), 2, "{text}");
        assert!(
            mores.iter().any(|l| l.contains("\"… 80 more tasks, 81 more tables\"")),
            "{mores:?}"
        );
        assert!(
            mores.iter().any(|l| l.contains("\"… 1 more table\"")),
            "f.t099's own table: {mores:?}"
        );
        assert!(block.contains("38 of 200 nodes drawn"), "{block}");
        // The breaking edge into the broken reader is not drawn (its table is not),
        // so no link style points past the edges there are.
        let edges = text
            .lines()
            .filter(|l| l.contains("-->") || l.contains("==>") || l.contains("-.->"))
            .count();
        for line in text.lines().filter(|l| l.trim_start().starts_with("linkStyle")) {
            for index in line.split_whitespace().nth(1).unwrap_or_default().split(',') {
                assert!(index.parse::<usize>().is_ok_and(|i| i < edges), "{line}\n{text}");
            }
        }
    }

    #[test]
    fn smaller_limits_draw_fewer_nodes_and_the_order_is_stable() {
        let graph = chain(100);
        let sizes: Vec<usize> = LIMITS
            .iter()
            .map(|&limit| block(&graph, limit).expect("a diagram").len())
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] > w[1]), "{sizes:?}");
        assert_eq!(block(&graph, 12), block(&graph, 12));
        assert!(block(&ImpactGraph::default(), 40).is_none());
    }

    #[test]
    fn hostile_names_stay_inside_their_labels_and_the_fence() {
        let mut graph = small();
        graph.nodes[0].name = "a\"]\n  n9[\"x\"] --> n0\n```\n%%{init: {\"theme\": \"dark\"}}%%".to_owned();
        graph.nodes[3].name = format!("dwd.`{}`", "<script>#quot;".repeat(50));
        let block = block(&graph, 40).expect("a diagram");
        let text = mermaid(&block);
        assert_eq!(block.matches("```").count(), 2, "only the fences:\n{block}");
        assert_eq!(text.lines().count(), small_lines(), "no line added:\n{text}");
        for line in text.lines().filter(|l| l.contains("(\"")) {
            assert_eq!(line.matches('"').count(), 2, "{line}");
        }
        assert!(!text.contains(['<', '`', '%']), "{text}");
        assert!(
            text.contains("n0(\"a#quot;]   n9[#quot;x#quot;] --#gt; n0 #96;#96;#96; #37;#37;{init:"),
            "{text}"
        );
        assert!(text.contains("#lt;script#gt;#35;quot;"), "{text}");
        assert!(text.contains("…\")]"), "a long name is cut: {text}");
    }

    fn small_lines() -> usize {
        mermaid(&block(&small(), 40).expect("a diagram")).lines().count()
    }
}
