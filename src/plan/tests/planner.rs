//! What the planner finds: changed, added and removed tasks and flows, downstream
//! impact, breaking changes, writers and access changes.

use std::collections::BTreeMap;

use super::{BASE, Spec, manifest, plan_of, replace, strings};
use crate::model::Alert;
use crate::plan::diff::access::access_changes;
use crate::plan::text;
use crate::plan::types::{BreakingChange, BreakingKind, ChangeKind, Delta, Impact, Status, WriterChange};
use crate::render::manifest::{Manifest, ScheduleEntry};

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
        task.fingerprint.metadata = crate::hash::hash_json(&serde_json::json!("core")).expect("hashes");
    });
    assert_eq!(plan.tasks.len(), 1);
    let task = &plan.tasks[0];
    assert!(!task.affects_data);
    let fields: Vec<&str> = task.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["priority", "priority_weight"]);
    assert!(plan.impact.is_empty() && plan.indirectly_affected.is_empty());
}

#[test]
fn run_setting_changes_are_listed_and_mark_nothing_downstream() {
    let plan = plan_of(BASE, BASE, |m| {
        let flow = &mut m.flows[0];
        flow.dagrun_timeout_seconds = Some(7200);
        flow.sla_seconds = Some(3600);
        let task = &mut flow.tasks[0];
        task.depends_on_past = true;
        task.alerts = vec![
            Alert::Slack {
                connection: "slack_ops".to_owned(),
                channel: None,
            },
            Alert::Email {
                to: strings(&["a@x.example"]),
                connection: None,
            },
        ];
        task.fingerprint.metadata = crate::hash::hash_json(&serde_json::json!("alerted")).expect("hashes");
    });
    let flow: Vec<String> = plan.flows[0]
        .changes
        .iter()
        .map(|c| text::describe(&c.field, &c.delta))
        .collect();
    assert_eq!(
        flow,
        strings(&["dagrun_timeout_seconds: none → 7200", "sla_seconds: none → 3600"])
    );
    let task = &plan.tasks[0];
    assert!(!task.affects_data);
    let changes: Vec<(ChangeKind, String)> = task
        .changes
        .iter()
        .map(|c| (c.kind, text::describe(&c.field, &c.delta)))
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                ChangeKind::Alerts,
                "alerts: +email a@x.example +slack slack_ops".to_owned()
            ),
            (ChangeKind::DependsOnPast, "depends_on_past: false → true".to_owned()),
        ]
    );
    assert!(plan.impact.is_empty() && plan.indirectly_affected.is_empty());
}

#[test]
fn a_fingerprint_change_no_field_explains_is_still_reported() {
    let plan = plan_of(BASE, BASE, |m| {
        m.flows[0].tasks[0].fingerprint.config = crate::hash::hash_json(&serde_json::json!("other")).expect("hashes");
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
fn access_changes_are_listed_and_new_grants_marked_loosened() {
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
