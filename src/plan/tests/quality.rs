//! Quality rule changes: which loosen a rule, and how the views show them.

use super::{BASE, entry, manifest, plan_between, strings};
use crate::plan::types::{Plan, Status};
use crate::plan::{markdown, text};
use crate::render::manifest::TaskEntry;

/// A check task of rule `rule` on `a.load`'s table `dwd.x`.
fn check_task(
    rule: &str,
    kind: &str,
    severity: &str,
    threshold: (&str, &str),
    settings: &[(&str, &[&str])],
) -> TaskEntry {
    let mut task = entry(&format!("a.load__dq_{rule}"), &["dwd.x"], &[], rule);
    task.task_type = "quality".to_owned();
    task.quality = Some(crate::render::manifest::QualityEntry {
        rule: rule.to_owned(),
        task: "a.load".to_owned(),
        dimension: "validity".to_owned(),
        kind: kind.to_owned(),
        severity: severity.to_owned(),
        table: "dwd.x".to_owned(),
        partition: Some("dt=${bizdate}".to_owned()),
        results_table: "dq.results".to_owned(),
        comparison: threshold.0.to_owned(),
        threshold: threshold.1.to_owned(),
        settings: settings
            .iter()
            .map(|(name, values)| ((*name).to_owned(), strings(values)))
            .collect(),
    });
    task
}

/// The plan of `base` checks → `head` checks, both added to flow `a` of [`BASE`].
fn quality_plan(base: Vec<TaskEntry>, head: Vec<TaskEntry>) -> Plan {
    let (mut old, old_files) = manifest(BASE);
    let (mut new, new_files) = manifest(BASE);
    old.flows[0].tasks.extend(base);
    new.flows[0].tasks.extend(head);
    plan_between((&old, &old_files), (&new, &new_files), None, None)
}

#[test]
fn quality_rules_loosened_are_flagged_with_the_reason() {
    let status: &[&str] = &["S", "F"];
    let base = vec![
        check_task(
            "ids",
            "not_null",
            "strong",
            ("<=", "0"),
            &[("columns", &["id", "user_id"])],
        ),
        check_task(
            "status",
            "accepted_values",
            "strong",
            ("<=", "0"),
            &[("columns", &["status"]), ("values", status)],
        ),
        check_task("rows", "min_rows", "strong", (">=", "1000"), &[]),
        check_task("key", "unique", "weak", ("<=", "0"), &[("columns", &["id"])]),
        check_task(
            "gone",
            "regex",
            "strong",
            ("<=", "0"),
            &[("columns", &["ip"]), ("pattern", &["^x$"])],
        ),
    ];
    let head = vec![
        // Strong → weak, a column dropped, more failing rows allowed.
        check_task("ids", "not_null", "weak", ("<=", "10"), &[("columns", &["id"])]),
        // A value accepted, a filter added.
        check_task(
            "status",
            "accepted_values",
            "strong",
            ("<=", "0"),
            &[
                ("columns", &["status"]),
                ("values", &["S", "F", "P"]),
                ("where", &["kind <> 'test'"]),
            ],
        ),
        // A higher floor: tighter.
        check_task("rows", "min_rows", "strong", (">=", "2000"), &[]),
        // A narrower key is tighter, as is a lower threshold.
        check_task("key", "unique", "weak", ("<=", "0"), &[("columns", &["id", "dt"])]),
        check_task(
            "new_rule",
            "range",
            "strong",
            ("<=", "0"),
            &[("columns", &["amount"]), ("min", &["0"])],
        ),
    ];
    let plan = quality_plan(base, head);
    let rows: Vec<(&str, Status, &[String])> = plan
        .quality
        .iter()
        .map(|q| (q.rule.as_str(), q.status, q.loosened.as_slice()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "a.gone",
                Status::Removed,
                &strings(&["the rule no longer runs", "downstream of dwd.x no longer waits for it"])[..]
            ),
            (
                "a.ids",
                Status::Changed,
                &strings(&[
                    "strong → weak: a failure no longer stops what runs after dwd.x",
                    "threshold 0 → 10 (passes when the observed value is <= it)",
                    "no longer checks user_id for nulls",
                ])[..]
            ),
            (
                "a.key",
                Status::Changed,
                &strings(&["the key also has dt: fewer rows count as duplicates"])[..]
            ),
            ("a.new_rule", Status::Added, &[][..]),
            ("a.rows", Status::Changed, &[][..]),
            (
                "a.status",
                Status::Changed,
                &strings(&["also accepts P", "checks only the rows where kind <> 'test'"])[..]
            ),
        ]
    );
    let ids = &plan.quality[1];
    let fields: Vec<String> = ids.changes.iter().map(|c| text::describe(&c.field, &c.delta)).collect();
    assert_eq!(
        fields,
        [
            "severity: strong → weak",
            "threshold: <= 0 → <= 10",
            "columns: -user_id"
        ]
    );
    assert_eq!((plan.summary.quality_changes, plan.summary.quality_loosened), (6, 4));
    assert!(plan.summary.describe().contains("6 quality rule changes, 4 loosened"));
    let text = text::render(&plan);
    assert!(
        text.contains("\nQuality rules:\n  - a.gone (validity.regex on dwd.x, strong, after a.load) — loosened\n"),
        "{text}"
    );
    assert!(text.contains("      loosened: also accepts P\n"), "{text}");
    let markdown = markdown::render(&plan);
    assert!(markdown.contains("### Data quality\n\n> [!WARNING]\n"), "{markdown}");
    assert!(
        markdown.contains("<br>⚠️ checks only the rows where kind &lt;&gt; 'test'"),
        "{markdown}"
    );
}

#[test]
fn tightening_a_quality_rule_is_listed_but_not_flagged() {
    let base = vec![check_task(
        "ids",
        "not_null",
        "weak",
        ("<=", "5"),
        &[("columns", &["id"])],
    )];
    let head = vec![check_task(
        "ids",
        "not_null",
        "strong",
        ("<=", "0"),
        &[("columns", &["id", "user_id"])],
    )];
    let plan = quality_plan(base, head);
    let [change] = &plan.quality[..] else {
        panic!("{:#?}", plan.quality)
    };
    assert_eq!(change.status, Status::Changed);
    assert!(change.loosened.is_empty(), "{:?}", change.loosened);
    let markdown = markdown::render(&plan);
    assert!(markdown.contains("### Data quality\n\n- "), "{markdown}");
    assert!(!markdown.contains("[!WARNING]"), "{markdown}");
}
