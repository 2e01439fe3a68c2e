//! The text, markdown and JSON views: deterministic, and the markdown within its
//! budget however big the plan.

use super::{BASE, plan_of, replace};
use crate::plan::types::{
    BreakingChange, BreakingKind, Change, ChangeKind, ColumnAt, ColumnBreakingChange, ColumnBreakingKind,
    ColumnChanges, ColumnReader, Delta, FileDiff, Impact, ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNode,
    ImpactNodeKind, ImpactRole, Plan, QualityChange, ReadKind, Revision, RuleChange, Status, Summary, TableColumns,
    TaskDiff,
};
use crate::plan::{json, markdown, text};

#[test]
fn no_changes_is_an_empty_plan() {
    let plan = plan_of(BASE, BASE, |_| {});
    assert!(plan.is_empty());
    assert_eq!(plan.summary.describe(), "no changes");
    assert!(text::render(&plan).contains("No changes"));
    assert!(markdown::render(&plan).starts_with("<!-- flowc:plan env=prod -->\n"));
}

#[test]
fn views_are_deterministic_and_the_text_ends_with_the_summary() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x"], "select 10"));
    let one = plan_of(BASE, &head, |_| {});
    let two = plan_of(BASE, &head, |_| {});
    assert_eq!(text::render(&one), text::render(&two));
    assert_eq!(markdown::render(&one), markdown::render(&two));
    assert_eq!(
        json::render(&one).expect("a plan serialises"),
        json::render(&two).expect("a plan serialises")
    );
    let text = text::render(&one);
    assert!(
        text.ends_with("\nPlan: 1 task changed, 2 indirectly affected; 1 file changed; no breaking changes.\n"),
        "{text}"
    );
}

/// A plan far too big for a comment: many tasks, long lists, long diffs.
fn huge_plan() -> Plan {
    let names: Vec<String> = (0..3_000).map(|i| format!("flow_{:02}.task_{i:05}", i % 40)).collect();
    let diff: String = (0..400).fold(String::from("--- a/x\n+++ b/x\n@@ -1 +1 @@\n"), |mut d, i| {
        d.push_str("+line ");
        d.push_str(&"x".repeat(i % 120));
        d.push('\n');
        d
    });
    Plan {
        project: "big".to_owned(),
        environment: "prod".to_owned(),
        base: Revision::git("main", "0123456789abcdef0123456789abcdef01234567"),
        head: Revision::git("feature/huge", "fedcba9876543210fedcba9876543210fedcba98"),
        summary: Summary {
            tasks_changed: names.len(),
            quality_changes: 500,
            quality_loosened: 500,
            files_changed: 200,
            breaking_changes: 150,
            tables_with_column_changes: 300,
            ..Summary::default()
        },
        flows: Vec::new(),
        ddl: Vec::new(),
        access: Vec::new(),
        quality: names
            .iter()
            .take(500)
            .map(|name| QualityChange {
                rule: format!("{name}_rule"),
                task: name.clone(),
                table: format!("dwd.{name}"),
                check: "accuracy.expression".to_owned(),
                severity: "weak".to_owned(),
                status: Status::Changed,
                changes: vec![RuleChange {
                    field: "expression".to_owned(),
                    delta: Delta::Value {
                        before: "a".repeat(300),
                        after: "b".repeat(300),
                    },
                }],
                loosened: vec![format!(
                    "strong → weak: a failure no longer stops what runs after dwd.{name}"
                )],
            })
            .collect(),
        tasks: names
            .iter()
            .map(|name| TaskDiff {
                task: name.clone(),
                flow: name.split('.').next().unwrap_or_default().to_owned(),
                task_type: "sparksql".to_owned(),
                status: Status::Changed,
                affects_data: true,
                changes: vec![Change {
                    kind: ChangeKind::Reads,
                    field: "reads".to_owned(),
                    delta: Delta::Set {
                        added: names.iter().take(50).cloned().collect(),
                        removed: Vec::new(),
                    },
                }],
            })
            .collect(),
        writers: Vec::new(),
        impact: names
            .iter()
            .take(300)
            .map(|name| Impact {
                task: name.clone(),
                status: Status::Changed,
                writes: vec![format!("dwd.{name}")],
                downstream_tasks: names.clone(),
                downstream_tables: names.clone(),
            })
            .collect(),
        indirectly_affected: names.clone(),
        impact_graph: huge_graph(&names),
        breaking: (0..50)
            .map(|i| BreakingChange {
                kind: BreakingKind::TableNoLongerWritten,
                table: format!("dwd.t{i}"),
                writer: names[i].clone(),
                readers: names.clone(),
                renamed_to: None,
            })
            .collect(),
        files: (0..200)
            .map(|i| FileDiff {
                path: format!("dags/sql/f/t{i:03}.sql"),
                status: Status::Changed,
                lines_added: 400,
                lines_removed: 0,
                binary: false,
                diff: Some(diff.clone()),
                diff_lines: 403,
                cut_lines: 0,
            })
            .collect(),
        columns: huge_columns(&names),
        manifest_changed: true,
        notes: Vec::new(),
    }
}

/// A chain of every task through a table each, the first 30 changed, hostile
/// names among the tables.
fn huge_graph(names: &[String]) -> ImpactGraph {
    let n = names.len();
    let mut nodes: Vec<ImpactNode> = names
        .iter()
        .enumerate()
        .map(|(i, name)| ImpactNode {
            name: name.clone(),
            kind: ImpactNodeKind::Task,
            role: if i < 30 {
                ImpactRole::Changed
            } else {
                ImpactRole::Affected
            },
        })
        .collect();
    nodes.extend((0..n).map(|i| ImpactNode {
        name: format!("dwd.t{i}_\"]```%%{{init}}%%{}", "#".repeat(i % 150)),
        kind: ImpactNodeKind::Table,
        role: ImpactRole::Affected,
    }));
    let mut edges = Vec::new();
    for i in 0..n {
        edges.push(ImpactEdge {
            from: i,
            to: n + i,
            kind: ImpactEdgeKind::Writes,
        });
        if i + 1 < n {
            let kind = if i.is_multiple_of(7) {
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
    }
    ImpactGraph { nodes, edges }
}

/// 300 tables with column changes, 100 column breaking changes read in 3,000 places.
fn huge_columns(names: &[String]) -> ColumnChanges {
    let column = |i: usize| ColumnAt {
        name: format!("column_{i}_{}", "x".repeat(i % 60)),
        data_type: Some("bigint".to_owned()),
        position: i + 1,
    };
    ColumnChanges {
        tables: (0..300)
            .map(|i| TableColumns {
                table: format!("dws.t{i}"),
                writer: Some(names[i].clone()),
                added: (0..40).map(column).collect(),
                removed: (0..40).map(column).collect(),
                renamed: Vec::new(),
                retyped: Vec::new(),
                reordered: None,
            })
            .collect(),
        breaking: (0..100)
            .map(|i| ColumnBreakingChange {
                kind: ColumnBreakingKind::Removed,
                table: format!("dws.t{i}"),
                column: Some(column(i).name),
                renamed_to: None,
                types: None,
                readers: names
                    .iter()
                    .map(|task| ColumnReader {
                        path: format!("flows/{task}.sql"),
                        line: 3,
                        col: 5,
                        task: task.clone(),
                        how: ReadKind::Name,
                    })
                    .collect(),
            })
            .collect(),
        external: Vec::new(),
    }
}

#[test]
fn markdown_of_a_huge_plan_stays_under_the_github_limit_and_says_it_was_cut() {
    let plan = huge_plan();
    let markdown = markdown::render(&plan);
    assert!(markdown.len() <= markdown::DEFAULT_BUDGET, "{} bytes", markdown.len());
    assert!(markdown.chars().count() < markdown::GITHUB_LIMIT);
    assert!(markdown.starts_with("<!-- flowc:plan env=prod -->\n"));
    assert!(markdown.contains("**Plan:**"), "the summary comes first");
    assert!(
        markdown.contains("This plan was shortened")
            && markdown.contains("run `flowc plan --base main --head feature/huge --env prod --format text`"),
        "{}",
        &markdown[markdown.len() - 600..]
    );
    // Every code fence and details block that was opened is closed.
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count()
    );
    assert_eq!(markdown.matches("```").count() % 2, 0);
    // The impact diagram, shrunk to its share, hostile names and all.
    let diagram = markdown.find("```mermaid\n").expect("an impact diagram");
    let diagram = &markdown[diagram..diagram + markdown[diagram..].find("\n```\n").expect("closed")];
    assert!(diagram.lines().count() > 5 && !diagram.contains("%%"), "{diagram}");
    // Smaller budgets hold too.
    for budget in [2_000, 10_000, 30_000] {
        assert!(markdown::render_within(&plan, budget).len() <= budget, "{budget}");
    }
}

#[test]
fn markdown_shows_breaking_changes_in_a_warning_block() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x_v2"], "select 1"));
    let plan = plan_of(BASE, &head, |_| {});
    let markdown = markdown::render(&plan);
    assert!(markdown.contains("> [!WARNING]\n> **1 breaking change**"), "{markdown}");
    assert!(
        markdown.contains("> - `dwd.x` (written by `a.load` in base) is no longer written, but is still read by `b.use` — renamed to `dwd.x_v2`?"),
        "{markdown}"
    );
}

#[test]
fn a_tight_budget_shrinks_the_impact_diagram_before_it_drops_it() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x"], "select 10"));
    let mut plan = plan_of(BASE, &head, |_| {});
    let names: Vec<String> = (0..300).map(|i| format!("flow_{:02}.task_{i:05}", i % 40)).collect();
    plan.impact_graph = huge_graph(&names);
    let nodes = |budget: usize| -> usize {
        let markdown = markdown::render_within(&plan, budget);
        assert!(markdown.len() <= budget, "{budget}");
        let Some(start) = markdown.find("```mermaid\n") else {
            assert!(
                markdown.contains("_The diagram does not fit in this comment._"),
                "{markdown}"
            );
            return 0;
        };
        let end = start + markdown[start..].find("\n```\n").expect("the fence is closed");
        markdown[start..end]
            .lines()
            .filter(|l| l.contains("(\"") || l.contains("[\""))
            .count()
    };
    let sizes: Vec<usize> = [65_000, 9_000, 6_000, 4_500, 2_500].into_iter().map(nodes).collect();
    assert_eq!(sizes[0], 40, "{sizes:?}");
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert!(
        sizes[1..4].iter().any(|&n| n > 0 && n < 40),
        "shrunk before dropped: {sizes:?}"
    );
    assert_eq!(sizes[4], 0, "no room at all: {sizes:?}");
}
