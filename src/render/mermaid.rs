//! Mermaid flowcharts as text, for `flowc lineage --format mermaid` and the impact
//! diagram of the pull-request plan.
//!
//! Names never become Mermaid syntax: node ids are generated (`n0`, `n1` …) and a
//! name appears only inside a double-quoted label, written with Mermaid's entity
//! escapes ([`label_text`]). So a hostile table or task name cannot end its label,
//! add nodes, edges or styles, start a `%%{init}%%` directive, or end the markdown
//! code fence the diagram sits in. Output is in the order things are added.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Text for inside a double-quoted Mermaid label: one line of at most `max`
/// characters, with `"`, `#`, `%`, `&`, `<`, `>`, `|` and backticks as Mermaid entities
/// (`#quot;`, `#35;` …, which Mermaid turns into HTML entities when it draws).
///
/// `"` would end the label; `#…;` is Mermaid's own entity syntax; `%%{…}%%` is a
/// directive wherever it appears; `<` and `&` would be HTML; a backtick starts a
/// Mermaid markdown string and, three of them, could end a code fence; `|` ends an
/// edge's label.
pub fn label_text(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// How a node is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A rectangle: `n0["…"]`.
    Box,
    /// A rectangle with round corners: `n0("…")`.
    Rounded,
    /// A cylinder, for tables: `n0[("…")]`.
    Cylinder,
}

/// How an edge is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrow {
    /// `-->`.
    Solid,
    /// `-.->`.
    Dotted,
    /// `==>`.
    Thick,
}

/// A node's generated id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// `n0`, `n1` …
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `flowchart` being written: nodes and edges as they are added, then the class
/// definitions, the classes of nodes and the styles of edges.
#[derive(Debug)]
pub struct Flowchart {
    body: String,
    nodes: usize,
    edges: usize,
    /// Longest label, in characters before escaping.
    max_label: usize,
    class_defs: Vec<(&'static str, &'static str)>,
    classes: BTreeMap<&'static str, Vec<NodeId>>,
    link_styles: Vec<(Vec<usize>, &'static str)>,
}

impl Flowchart {
    /// A left-to-right flowchart whose labels hold at most `max_label` characters.
    pub fn new(max_label: usize) -> Self {
        Self {
            body: String::from("flowchart LR\n"),
            nodes: 0,
            edges: 0,
            max_label,
            class_defs: Vec::new(),
            classes: BTreeMap::new(),
            link_styles: Vec::new(),
        }
    }

    /// Adds a node labelled `label` and returns its id.
    pub fn node(&mut self, label: &str, shape: Shape) -> NodeId {
        let id = NodeId(format!("n{}", self.nodes));
        self.nodes += 1;
        let text = label_text(label, self.max_label);
        let _ = match shape {
            Shape::Box => writeln!(self.body, "  {}[\"{text}\"]", id.0),
            Shape::Rounded => writeln!(self.body, "  {}(\"{text}\")", id.0),
            Shape::Cylinder => writeln!(self.body, "  {}[(\"{text}\")]", id.0),
        };
        id
    }

    /// Adds an edge, labelled when `label` is given, and returns its index (for
    /// [`Flowchart::link_style`]).
    pub fn edge(&mut self, from: &NodeId, to: &NodeId, arrow: Arrow, label: Option<&str>) -> usize {
        let arrow = match arrow {
            Arrow::Solid => "-->",
            Arrow::Dotted => "-.->",
            Arrow::Thick => "==>",
        };
        let _ = match label {
            Some(label) => writeln!(
                self.body,
                "  {} {arrow}|\"{}\"| {}",
                from.0,
                label_text(label, self.max_label),
                to.0
            ),
            None => writeln!(self.body, "  {} {arrow} {}", from.0, to.0),
        };
        self.edges += 1;
        self.edges - 1
    }

    /// Edges added so far.
    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Defines the class `name` with a style such as `stroke-width:3px` (written as
    /// given: the caller's constant, never a name from the repository).
    pub fn class_def(&mut self, name: &'static str, style: &'static str) {
        self.class_defs.push((name, style));
    }

    /// Puts `node` in the class `name`.
    pub fn class(&mut self, node: &NodeId, name: &'static str) {
        self.classes.entry(name).or_default().push(node.clone());
    }

    /// Styles the edges of the given indexes.
    pub fn link_style(&mut self, edges: Vec<usize>, style: &'static str) {
        if !edges.is_empty() {
            self.link_styles.push((edges, style));
        }
    }

    /// The flowchart's text. Classes without nodes are left out.
    pub fn finish(mut self) -> String {
        for (name, style) in &self.class_defs {
            if self.classes.contains_key(name) {
                let _ = writeln!(self.body, "  classDef {name} {style}");
            }
        }
        for (name, nodes) in &self.classes {
            let ids: Vec<&str> = nodes.iter().map(NodeId::as_str).collect();
            let _ = writeln!(self.body, "  class {} {name}", ids.join(","));
        }
        for (edges, style) in &self.link_styles {
            let indexes: Vec<String> = edges.iter().map(usize::to_string).collect();
            let _ = writeln!(self.body, "  linkStyle {} {style}", indexes.join(","));
        }
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_end_their_quotes_start_a_directive_or_end_a_fence() {
        let text = label_text("a\"]\n  n9[\"x\" %%{init: {}}%% ```<b>&#quot;", 200);
        assert_eq!(
            text,
            "a#quot;]   n9[#quot;x#quot; #37;#37;{init: {}}#37;#37; #96;#96;#96;#lt;b#gt;#amp;#35;quot;"
        );
        assert!(!text.contains(['"', '`', '\n', '<', '%']), "{text}");
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(label_text("abcdef", 3), "abc…");
        assert_eq!(label_text("abc", 3), "abc");
    }

    #[test]
    fn ids_are_generated_and_styles_come_last() {
        let mut chart = Flowchart::new(50);
        let a = chart.node("dwd.a", Shape::Cylinder);
        let b = chart.node("flow.task", Shape::Rounded);
        let c = chart.node("… 3 more", Shape::Box);
        chart.edge(&a, &b, Arrow::Solid, None);
        let thick = chart.edge(&b, &c, Arrow::Thick, Some("x|y"));
        chart.class_def("changed", "stroke-width:3px");
        chart.class_def("unused", "fill:#fff");
        chart.class(&a, "changed");
        chart.class(&b, "changed");
        chart.link_style(vec![thick], "stroke:#d00");
        chart.link_style(Vec::new(), "stroke:#000");
        assert_eq!(chart.edge_count(), 2);
        assert_eq!(
            chart.finish(),
            "flowchart LR\n  n0[(\"dwd.a\")]\n  n1(\"flow.task\")\n  n2[\"… 3 more\"]\n  n0 --> n1\n  \
             n1 ==>|\"x#124;y\"| n2\n  classDef changed stroke-width:3px\n  class n0,n1 changed\n  linkStyle 1 stroke:#d00\n"
        );
    }
}
