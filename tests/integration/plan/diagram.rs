//! The impact diagram of the markdown plan: drawn from the example's real plans (an
//! SQL change reaching five flows, a renamed table a report still reads), and parsed
//! by Mermaid's own parser, as GitHub draws it, together with a summarised diagram,
//! one of hostile names and `flowc lineage --format mermaid`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use flowc::plan::{
    ColumnChanges, ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNode, ImpactNodeKind, ImpactRole, Plan, Revision,
    Status, Summary, TaskDiff, markdown,
};

use super::{Repo, sql_change};
use crate::support::{flowc_in, repo_root, text};

/// The Mermaid block of a markdown plan.
fn diagram(markdown: &str) -> &str {
    let start = markdown.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = markdown[start..].find("\n```").expect("its closing fence") + start + 1;
    &markdown[start..end]
}

/// The label of each node line (`n3("a.b")`, `n4[("db.t")]`, `n5["… 2 more"]`).
fn labels(diagram: &str) -> Vec<&str> {
    diagram
        .lines()
        .filter_map(|line| {
            let open = line.find('"')?;
            let close = line.rfind('"')?;
            let id = line.trim_start().split(['(', '[']).next()?;
            (close > open && id.starts_with('n') && !line.contains("--") && !line.contains("==>"))
                .then(|| &line[open + 1..close])
        })
        .collect()
}

#[test]
fn the_impact_diagram_of_an_sql_change_draws_the_change_and_what_it_reaches() {
    let repo = sql_change();
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    let (tasks, tables) = super::downstream(&repo.manifest("dev"), "payments.dwd_pay_order");
    let all = 1 + tasks.len() + 1 + tables.len();
    let diagram = diagram(&markdown);
    assert!(
        diagram.starts_with("flowchart LR\n  n0(\"payments.dwd_pay_order\")\n  n1[(\"dwd.dwd_pay_order_di\")]\n"),
        "{diagram}"
    );
    assert!(diagram.contains("\n  class n0,n1 changed\n"), "{diagram}");
    assert!(
        !diagram.contains("broken") && !diagram.contains("==>"),
        "nothing breaks: {diagram}"
    );
    // Every label is a task or table of the plan, or says how many more there are.
    let labels = labels(diagram);
    assert!(labels.len() > 20, "{labels:?}");
    for label in &labels {
        let known = *label == "payments.dwd_pay_order"
            || *label == "dwd.dwd_pay_order_di"
            || tasks.contains(*label)
            || tables.contains(*label)
            || label.starts_with("… ");
        assert!(known, "{label} in\n{diagram}");
    }
    assert!(labels.len() <= 40, "{diagram}");
    if all > 40 {
        let drawn = labels.iter().filter(|l| !l.starts_with("… ")).count();
        assert!(
            markdown.contains(&format!(" {drawn} of {all} nodes drawn")),
            "{markdown}"
        );
        assert!(drawn < labels.len(), "'… more' nodes: {diagram}");
    }
    // Before the lists, after the writers.
    let picture = markdown.find("### Impact diagram").expect("the section");
    assert!(picture < markdown.find("### Downstream impact").expect("the impact list"));
}

/// The example with `dwd.dwd_pay_chargeback_di` renamed on `dev` by its writer, while
/// `chargebacks.ads_merchant_chargeback` still reads it (a breaking change; a column
/// one read by name would stop the head from compiling).
fn table_rename() -> Repo {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/chargebacks/dwd_chargeback.sql", |sql| {
        sql.replace(
            "INSERT INTO TABLE dwd.dwd_pay_chargeback_di",
            "INSERT INTO TABLE dwd.dwd_pay_chargeback_v2_di",
        )
    });
    repo.commit_all("rename the chargeback fact");
    repo
}

#[test]
fn a_broken_reader_is_drawn_red_behind_a_thick_red_edge() {
    let repo = table_rename();
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    let diagram = diagram(&markdown);
    let id_of = |label: &str| -> String {
        let line = diagram
            .lines()
            .find(|l| l.contains(&format!("\"{label}\"")))
            .unwrap_or_else(|| panic!("{label} drawn in\n{diagram}"));
        line.trim_start()
            .split(['(', '['])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let table = id_of("dwd.dwd_pay_chargeback_di");
    let reader = id_of("chargebacks.ads_merchant_chargeback");
    let edges: Vec<&str> = diagram
        .lines()
        .filter(|l| l.contains("-->") || l.contains("==>") || l.contains("-.->"))
        .collect();
    let breaking = edges
        .iter()
        .position(|e| *e == format!("  {table} ==> {reader}"))
        .unwrap_or_else(|| panic!("the breaking read, thick:\n{diagram}"));
    assert!(
        diagram.contains(&format!("\n  linkStyle {breaking} stroke:#e03131,stroke-width:3px\n")),
        "{diagram}"
    );
    let broken = diagram
        .lines()
        .find(|l| l.starts_with("  class ") && l.ends_with(" broken"))
        .expect("a broken class");
    assert_eq!(broken, format!("  class {reader} broken"), "{diagram}");
    let changed = diagram
        .lines()
        .find(|l| l.starts_with("  class ") && l.ends_with(" changed"))
        .expect("a changed class");
    assert!(changed.contains(&id_of("chargebacks.dwd_chargeback")), "{diagram}");
    assert!(changed.contains(&id_of("dwd.dwd_pay_chargeback_v2_di")), "{diagram}");
    let removed = diagram
        .lines()
        .find(|l| l.starts_with("  class ") && l.ends_with(" removed"))
        .expect("a removed class");
    assert_eq!(removed, format!("  class {table} removed"), "{diagram}");
}

/// A plan of nothing but `graph` (and the tasks it marks changed).
fn plan_of(graph: ImpactGraph) -> Plan {
    let changed: Vec<TaskDiff> = graph
        .nodes
        .iter()
        .filter(|n| n.kind == ImpactNodeKind::Task && n.role == ImpactRole::Changed)
        .map(|n| TaskDiff {
            task: n.name.clone(),
            flow: "f".to_owned(),
            task_type: "sparksql".to_owned(),
            status: Status::Changed,
            affects_data: true,
            changes: Vec::new(),
        })
        .collect();
    Plan {
        project: "p".to_owned(),
        environment: "prod".to_owned(),
        base: Revision::git("main", "0123456789abcdef0123456789abcdef01234567"),
        head: Revision::git("dev", "fedcba9876543210fedcba9876543210fedcba98"),
        summary: Summary {
            tasks_changed: changed.len(),
            ..Summary::default()
        },
        flows: Vec::new(),
        tasks: changed,
        writers: Vec::new(),
        impact: Vec::new(),
        indirectly_affected: Vec::new(),
        impact_graph: graph,
        breaking: Vec::new(),
        columns: ColumnChanges::default(),
        ddl: Vec::new(),
        access: Vec::new(),
        quality: Vec::new(),
        files: Vec::new(),
        manifest_changed: false,
        notes: Vec::new(),
    }
}

/// A chain of 200 tasks through a table each, hostile names among them when asked,
/// every fifth read breaking.
fn chain(hostile: bool) -> ImpactGraph {
    let n = 200;
    let name = |i: usize, what: &str| {
        if hostile && i.is_multiple_of(3) {
            format!("{what}{i}\"] --> x\n```\n%%{{init: {{\"theme\": \"dark\"}}}}%% <b>#quot;&amp; |`")
        } else {
            format!("{what}{i:03}")
        }
    };
    let mut nodes: Vec<ImpactNode> = (0..n)
        .map(|i| ImpactNode {
            name: name(i, "f.t"),
            kind: ImpactNodeKind::Task,
            role: match i {
                0 | 1 => ImpactRole::Changed,
                i if i.is_multiple_of(5) => ImpactRole::Broken,
                _ => ImpactRole::Affected,
            },
        })
        .collect();
    nodes.extend((0..n).map(|i| ImpactNode {
        name: name(i, "dwd.t"),
        kind: ImpactNodeKind::Table,
        role: if i == 0 {
            ImpactRole::Changed
        } else {
            ImpactRole::Affected
        },
    }));
    let mut edges = Vec::new();
    for i in 0..n {
        edges.push(ImpactEdge {
            from: i,
            to: n + i,
            kind: ImpactEdgeKind::Writes,
        });
        if i + 1 < n {
            let kind = if (i + 1).is_multiple_of(5) {
                ImpactEdgeKind::Breaks
            } else {
                ImpactEdgeKind::Reads
            };
            edges.push(ImpactEdge {
                from: n + i,
                to: i + 1,
                kind,
            });
        }
        if i + 2 < n && i.is_multiple_of(11) {
            edges.push(ImpactEdge {
                from: i,
                to: i + 2,
                kind: ImpactEdgeKind::RunsAfter,
            });
        }
    }
    edges.sort();
    ImpactGraph { nodes, edges }
}

/// The parse command, installed once per test run.
fn parser() -> &'static Path {
    static PARSER: OnceLock<PathBuf> = OnceLock::new();
    PARSER.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/mermaid-parser.sh"))
            .output()
            .expect("bash runs scripts/mermaid-parser.sh");
        assert!(
            output.status.success(),
            "scripts/mermaid-parser.sh failed; the Mermaid tests need Node.js 20+ with npm:\n{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        PathBuf::from(
            text(&output.stdout)
                .lines()
                .last()
                .expect("the script prints the parse command"),
        )
    })
}

#[test]
#[ignore = "needs Node.js 20+ with npm (and the network to install target/mermaid-parser/): run by scripts/test.sh"]
fn every_diagram_flowc_writes_parses_with_mermaid_and_sets_no_configuration() {
    let mut diagrams: Vec<(&str, String)> = vec![
        (
            "sql-change",
            diagram(&sql_change().plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"])).to_owned(),
        ),
        (
            "table-rename",
            diagram(&table_rename().plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"])).to_owned(),
        ),
    ];
    for (name, hostile) in [("summarised", false), ("hostile", true)] {
        let markdown = markdown::render(&plan_of(chain(hostile)));
        assert!(markdown.contains(" of 400 nodes drawn"), "{markdown}");
        diagrams.push((name, diagram(&markdown).to_owned()));
        // Each smaller size too, as a tight budget draws it.
        for budget in [6_000, 4_000, 3_000] {
            let smaller = markdown::render_within(&plan_of(chain(hostile)), budget);
            if smaller.contains("```mermaid") {
                diagrams.push((name, diagram(&smaller).to_owned()));
            }
        }
    }
    let lineage = flowc_in(
        repo_root(),
        &[
            "lineage",
            "examples/wingpay",
            "dws.dws_pay_merchant_1d.net_gmv_cny",
            "--format",
            "mermaid",
        ],
        b"",
    );
    assert!(lineage.status.success(), "{}", text(&lineage.stderr));
    diagrams.push(("lineage", text(&lineage.stdout)));

    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for (i, (name, diagram)) in diagrams.iter().enumerate() {
        let path = dir.path().join(format!("{i:02}-{name}.mmd"));
        fs::write(&path, diagram).expect("write a diagram");
        files.push(path);
    }
    // A broken one must be reported, which proves the parser runs.
    let broken = dir.path().join("broken.mmd");
    fs::write(&broken, "flowchart LR\n  n0[\"a\"b\"]\n").expect("write");
    files.push(broken);
    let output = Command::new(parser()).args(&files).output().expect("the parser runs");
    let report = text(&output.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), files.len(), "{report}{}", text(&output.stderr));
    for (line, (name, diagram)) in lines.iter().zip(&diagrams) {
        assert!(
            line.starts_with("ok ") && line.ends_with(" flowchart-v2 {}"),
            "{name} must parse as a flowchart and set no configuration: {line}\n{diagram}"
        );
    }
    assert!(lines.last().is_some_and(|l| l.starts_with("error ")), "{report}");
    assert_eq!(output.status.code(), Some(1));
}
