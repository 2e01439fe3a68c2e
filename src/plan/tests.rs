//! The planner and its views on small hand-made manifests.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::render::fingerprint;
use crate::render::manifest::{EdgeEntry, Fingerprint, FlowEntry, Manifest, OperatorEntry, ScheduleEntry, TaskEntry};

/// A sparksql task: `(flow.task, reads, writes, sql text)`.
type Spec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a str);

fn entry(name: &str, reads: &[&str], writes: &[&str], sql: &str) -> TaskEntry {
    let (flow, task) = name.split_once('.').expect("flow.task");
    let file = format!("flows/{flow}/{task}.sql");
    TaskEntry {
        task_id: task.to_owned(),
        name: name.to_owned(),
        task_type: "sparksql".to_owned(),
        operator: OperatorEntry::SparkSqlOperator {
            sql_template: format!("dags/sql/{flow}/{task}.sql"),
            yarn_queue: "root.etl".to_owned(),
            conn_id: "spark_sql_default".to_owned(),
            spark_name: name.to_owned(),
        },
        priority: "normal".to_owned(),
        pool: "normal_pool".to_owned(),
        pool_slots: 1,
        priority_weight: 1,
        weight_rule: "absolute".to_owned(),
        queue: "default".to_owned(),
        retries: 0,
        retry_delay_seconds: 300,
        execution_timeout_seconds: None,
        upstream: Vec::new(),
        reads: reads.iter().map(|s| (*s).to_owned()).collect(),
        writes: writes.iter().map(|s| (*s).to_owned()).collect(),
        source_file: Some(file),
        outlets: Vec::new(),
        params: BTreeMap::new(),
        fingerprint: Fingerprint {
            data: crate::hash::hash_json(&serde_json::json!((reads, writes, sql))),
            config: crate::hash::hash_json(&serde_json::json!("config")),
            metadata: crate::hash::hash_json(&serde_json::json!("metadata")),
            lineage: String::new(),
        },
        quality: None,
    }
}

/// A manifest of sparksql tasks; edges from the tables, inputs and outputs from the
/// SQL texts, lineage fingerprints from the edges.
fn manifest(specs: &[Spec<'_>]) -> (Manifest, BTreeMap<String, Vec<u8>>) {
    let mut flows: BTreeMap<&str, Vec<TaskEntry>> = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    let mut files = BTreeMap::new();
    for (name, reads, writes, sql) in specs {
        let task = entry(name, reads, writes, sql);
        let hash = crate::hash::hash_json(&serde_json::json!(sql));
        inputs.insert(task.source_file.clone().expect("a file"), hash);
        let (flow, short) = name.split_once('.').expect("flow.task");
        files.insert(format!("dags/sql/{flow}/{short}.sql"), sql.as_bytes().to_vec());
        flows.entry(flow).or_default().push(task);
    }
    let writers: BTreeMap<&str, &str> = specs
        .iter()
        .flat_map(|(name, _, writes, _)| writes.iter().map(move |w| (*w, *name)))
        .collect();
    let mut edges = Vec::new();
    for (name, reads, _, _) in specs {
        for table in *reads {
            if let Some(writer) = writers.get(table).filter(|w| *w != name) {
                edges.push(EdgeEntry {
                    from: (*writer).to_owned(),
                    to: (*name).to_owned(),
                    table: Some((*table).to_owned()),
                    cross_flow: writer.split('.').next() != name.split('.').next(),
                });
            }
        }
    }
    edges.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    let data: BTreeMap<String, String> = flows
        .values()
        .flatten()
        .map(|t| (t.name.clone(), t.fingerprint.data.clone()))
        .collect();
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for edge in &edges {
        parents.entry(edge.to.clone()).or_default().insert(edge.from.clone());
    }
    let lineage = fingerprint::lineage(&data, &parents);
    let flows: Vec<FlowEntry> = flows
        .into_iter()
        .map(|(flow, mut tasks)| {
            for task in &mut tasks {
                task.fingerprint.lineage = lineage[&task.name].clone();
            }
            FlowEntry {
                flow: flow.to_owned(),
                dag_id: flow.to_owned(),
                file: format!("dags/{flow}.py"),
                owner: "data".to_owned(),
                description: None,
                schedule: ScheduleEntry::Cron {
                    cron: "0 2 * * *".to_owned(),
                    timetable: "CronDataIntervalTimetable".to_owned(),
                },
                start_date: Some("2024-01-01".to_owned()),
                catchup: false,
                tags: Vec::new(),
                max_active_runs: None,
                max_active_tasks: None,
                params: BTreeMap::new(),
                sources: Vec::new(),
                tasks,
            }
        })
        .collect();
    let outputs = files
        .iter()
        .map(|(path, bytes)| (path.clone(), crate::hash::hash_json(&serde_json::json!(bytes))))
        .collect();
    let manifest = Manifest {
        manifest_version: 2,
        generator: "flowc test".to_owned(),
        project: "t".to_owned(),
        environment: "prod".to_owned(),
        airflow_version: "2.10".to_owned(),
        pools: BTreeMap::new(),
        flows,
        edges,
        sources: vec!["ods.raw".to_owned()],
        inputs,
        outputs,
        access: BTreeMap::new(),
    };
    (manifest, files)
}

/// ods.raw → a.load → dwd.x → b.use → dws.y → c.report → ads.z; d.other apart.
const BASE: &[Spec<'static>] = &[
    ("a.load", &["ods.raw"], &["dwd.x"], "select 1"),
    ("b.use", &["dwd.x"], &["dws.y"], "select 2"),
    ("c.report", &["dws.y"], &["ads.z"], "select 3"),
    ("d.other", &["ods.raw"], &["dwd.o"], "select 4"),
];

fn plan_of(base: &[Spec<'_>], head: &[Spec<'_>], edit: impl FnOnce(&mut Manifest)) -> Plan {
    let (old, old_files) = manifest(base);
    let (mut new, new_files) = manifest(head);
    edit(&mut new);
    plan_between((&old, &old_files), (&new, &new_files))
}

/// The plan of `main` (the base) against the work tree (the head).
fn plan_between(
    (old, old_files): (&Manifest, &BTreeMap<String, Vec<u8>>),
    (new, new_files): (&Manifest, &BTreeMap<String, Vec<u8>>),
) -> Plan {
    let (base_revision, head_revision) = (Revision::git("main", "0123456789abcdef"), Revision::work_tree());
    Planner::new().plan(
        &PlanInput {
            revision: &base_revision,
            manifest: old,
            files: old_files,
        },
        &PlanInput {
            revision: &head_revision,
            manifest: new,
            files: new_files,
        },
    )
}

fn replace(specs: &[Spec<'static>], name: &str, with: Spec<'static>) -> Vec<Spec<'static>> {
    specs.iter().map(|s| if s.0 == name { with } else { *s }).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn an_sql_change_reaches_every_task_and_table_downstream_across_flows() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x"], "select 10"));
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(plan.tasks.len(), 1);
    let task = &plan.tasks[0];
    assert_eq!(
        (task.task.as_str(), task.status, task.affects_data),
        ("a.load", Status::Changed, true)
    );
    assert_eq!(task.changes[0].kind, ChangeKind::Sql);
    assert_eq!(
        plan.impact,
        vec![Impact {
            task: "a.load".to_owned(),
            status: Status::Changed,
            writes: strings(&["dwd.x"]),
            downstream_tasks: strings(&["b.use", "c.report"]),
            downstream_tables: strings(&["ads.z", "dws.y"]),
        }]
    );
    assert_eq!(plan.indirectly_affected, strings(&["b.use", "c.report"]));
    assert_eq!(plan.files.len(), 1, "{:?}", plan.files);
    assert!(plan.breaking.is_empty() && plan.writers.is_empty() && plan.flows.is_empty());
    assert_eq!(
        plan.summary.describe(),
        "1 task changed, 2 indirectly affected; 1 file changed; no breaking changes"
    );
}

#[test]
fn indirectly_affected_tasks_are_those_whose_lineage_alone_changed() {
    let head = replace(BASE, "b.use", ("b.use", &["dwd.x"], &["dws.y"], "select 20"));
    let (old, _) = manifest(BASE);
    let (new, _) = manifest(&head);
    let lineage = |m: &Manifest| -> BTreeMap<String, (String, String)> {
        m.tasks()
            .map(|(_, t)| {
                (
                    t.name.clone(),
                    (t.fingerprint.data.clone(), t.fingerprint.lineage.clone()),
                )
            })
            .collect()
    };
    let (before, after) = (lineage(&old), lineage(&new));
    let only_lineage: Vec<String> = before
        .iter()
        .filter(|(name, (data, lineage))| after[*name].0 == *data && after[*name].1 != *lineage)
        .map(|(name, _)| name.clone())
        .collect();
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(plan.indirectly_affected, only_lineage);
    assert_eq!(only_lineage, strings(&["c.report"]));
}

#[test]
fn a_priority_change_is_scheduling_only_and_marks_nothing_downstream() {
    let plan = plan_of(BASE, BASE, |m| {
        let task = &mut m.flows[0].tasks[0];
        task.priority = "core".to_owned();
        task.priority_weight = 100;
        task.fingerprint.metadata = crate::hash::hash_json(&serde_json::json!("core"));
    });
    assert_eq!(plan.tasks.len(), 1);
    let task = &plan.tasks[0];
    assert!(!task.affects_data);
    let fields: Vec<&str> = task.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["priority", "priority_weight"]);
    assert!(plan.impact.is_empty() && plan.indirectly_affected.is_empty());
}

#[test]
fn a_fingerprint_change_no_field_explains_is_still_reported() {
    let plan = plan_of(BASE, BASE, |m| {
        m.flows[0].tasks[0].fingerprint.config = crate::hash::hash_json(&serde_json::json!("other"));
    });
    assert_eq!(plan.tasks.len(), 1);
    assert_eq!(plan.tasks[0].changes[0].kind, ChangeKind::Config);
    assert_eq!(plan.tasks[0].changes[0].field, "arguments");
    assert_eq!(plan.impact[0].downstream_tasks, strings(&["b.use", "c.report"]));
}

#[test]
fn a_renamed_table_still_read_downstream_is_breaking_with_a_suggestion() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.x_v2"], "select 1"));
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(
        plan.breaking,
        vec![BreakingChange {
            kind: BreakingKind::TableNoLongerWritten,
            table: "dwd.x".to_owned(),
            writer: "a.load".to_owned(),
            readers: strings(&["b.use"]),
            renamed_to: Some("dwd.x_v2".to_owned()),
        }]
    );
    assert_eq!(
        plan.writers,
        vec![
            WriterChange {
                table: "dwd.x".to_owned(),
                before: Some("a.load".to_owned()),
                after: None
            },
            WriterChange {
                table: "dwd.x_v2".to_owned(),
                before: None,
                after: Some("a.load".to_owned())
            },
        ]
    );
    let writes = plan.tasks[0].changes.iter().find(|c| c.kind == ChangeKind::Writes);
    assert_eq!(
        writes.map(|c| &c.delta),
        Some(&Delta::Set {
            added: strings(&["dwd.x_v2"]),
            removed: strings(&["dwd.x"])
        })
    );
}

#[test]
fn a_table_moved_to_the_declared_sources_is_not_breaking() {
    let head = replace(BASE, "a.load", ("a.load", &["ods.raw"], &["dwd.elsewhere"], "select 1"));
    let plan = plan_of(BASE, &head, |m| m.sources.push("dwd.x".to_owned()));
    assert!(plan.breaking.is_empty(), "{:?}", plan.breaking);
}

#[test]
fn a_removed_task_impacts_its_former_readers() {
    let head: Vec<Spec<'static>> = BASE.iter().copied().filter(|s| s.0 != "a.load").collect();
    let plan = plan_of(BASE, &head, |_| {});
    assert_eq!(plan.tasks[0].status, Status::Removed);
    assert_eq!(plan.impact[0].downstream_tasks, strings(&["b.use", "c.report"]));
    assert_eq!(plan.breaking[0].table, "dwd.x");
    assert_eq!(plan.breaking[0].renamed_to, None);
    assert_eq!(plan.summary.flows_removed, 1);
    assert_eq!(plan.files[0].status, Status::Removed);
}

#[test]
fn flows_added_and_changed_say_what_changed() {
    let mut head = BASE.to_vec();
    head.push(("e.new", &["dwd.o"], &["ads.e"], "select 5"));
    let plan = plan_of(BASE, &head, |m| {
        let flow = m.flows.iter_mut().find(|f| f.flow == "b").expect("flow b");
        flow.schedule = ScheduleEntry::Triggered;
        flow.tags = strings(&["finance"]);
    });
    let flows: Vec<(&str, Status, Vec<String>)> = plan
        .flows
        .iter()
        .map(|f| {
            (
                f.flow.as_str(),
                f.status,
                f.changes.iter().map(|c| text::describe(&c.field, &c.delta)).collect(),
            )
        })
        .collect();
    assert_eq!(
        flows,
        vec![
            (
                "b",
                Status::Changed,
                strings(&["schedule: cron 0 2 * * * → triggered", "tags: +finance"])
            ),
            ("e", Status::Added, Vec::new()),
        ]
    );
    // A new task nothing existing reads has no impact entry.
    assert!(plan.impact.is_empty());
    assert_eq!(plan.tasks[0].status, Status::Added);
}

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
    assert_eq!(json::render(&one), json::render(&two));
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
            breaking_changes: 50,
            ..Summary::default()
        },
        flows: Vec::new(),
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
        manifest_changed: true,
        notes: Vec::new(),
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
fn access_changes_are_listed_and_new_grants_marked_loosened() {
    use crate::plan::planner::access_changes;
    let rules = |items: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
        items
            .iter()
            .map(|(subject, lines)| ((*subject).to_owned(), lines.iter().map(|l| (*l).to_owned()).collect()))
            .collect()
    };
    let base = rules(&[
        ("team risk", &["read ods.risk_*", "write dws.risk_*"]),
        ("classification pii", &["requires a grant naming it"]),
        ("tables ods.usr_*", &["class pii", "owner users"]),
    ]);
    let head = rules(&[
        ("team risk", &["read ods.* [pii]", "write dws.risk_*"]),
        ("classification pii", &["requires a grant naming it"]),
        ("tables ods.usr_*", &["owner users"]),
        ("team bi", &["read ads.*"]),
    ]);
    let changes = access_changes(&base, &head);
    let summary: Vec<(&str, Status, bool)> = changes
        .iter()
        .map(|c| (c.subject.as_str(), c.status, c.loosened))
        .collect();
    assert_eq!(
        summary,
        [
            ("tables ods.usr_*", Status::Changed, true),
            ("team bi", Status::Added, true),
            ("team risk", Status::Changed, true),
        ]
    );
    assert_eq!(changes[2].added, ["read ods.* [pii]"]);
    assert_eq!(changes[2].removed, ["read ods.risk_*"]);
    // Taking a grant away tightens access.
    let tightened = access_changes(&head, &rules(&[("team risk", &["write dws.risk_*"])]));
    let risk = tightened
        .iter()
        .find(|c| c.subject == "team risk")
        .expect("risk changed");
    assert!(!risk.loosened);
}

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
    plan_between((&old, &old_files), (&new, &new_files))
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
