//! Flows added, removed or changed, and what changed in a flow's own settings (its
//! tasks' changes are listed with the tasks).

use std::collections::{BTreeMap, BTreeSet};

use super::changes::Changes;
use super::{alerts, opt, params};
use crate::plan::types::{Change, ChangeKind, FlowDiff, Status};
use crate::render::manifest::{FlowEntry, Manifest, ScheduleEntry};

/// Flows that differ between the two manifests, sorted by name.
pub(crate) fn flow_diffs(base: &Manifest, head: &Manifest) -> Vec<FlowDiff> {
    let old: BTreeMap<&str, &FlowEntry> = base.flows.iter().map(|f| (f.flow.as_str(), f)).collect();
    let new: BTreeMap<&str, &FlowEntry> = head.flows.iter().map(|f| (f.flow.as_str(), f)).collect();
    let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut diffs = Vec::new();
    for name in names {
        let (status, dag_id, changes) = match (old.get(name), new.get(name)) {
            (Some(a), Some(b)) => {
                let changes = flow_changes(a, b);
                if changes.is_empty() {
                    continue;
                }
                (Status::Changed, &b.dag_id, changes)
            }
            (None, Some(b)) => (Status::Added, &b.dag_id, Vec::new()),
            (Some(a), None) => (Status::Removed, &a.dag_id, Vec::new()),
            (None, None) => continue,
        };
        diffs.push(FlowDiff {
            flow: name.to_owned(),
            dag_id: dag_id.clone(),
            status,
            changes,
        });
    }
    diffs
}

fn flow_changes(a: &FlowEntry, b: &FlowEntry) -> Vec<Change> {
    let mut changes = Changes::default();
    changes.value(ChangeKind::DagId, "dag_id", &a.dag_id, &b.dag_id);
    changes.value(
        ChangeKind::Schedule,
        "schedule",
        &schedule(&a.schedule),
        &schedule(&b.schedule),
    );
    changes.value(ChangeKind::Schedule, "timezone", &a.timezone, &b.timezone);
    changes.value(ChangeKind::Owner, "owner", &a.owner, &b.owner);
    changes.value(
        ChangeKind::StartDate,
        "start_date",
        &opt(a.start_date.as_ref()),
        &opt(b.start_date.as_ref()),
    );
    changes.value(
        ChangeKind::StartDate,
        "catchup",
        &a.catchup.to_string(),
        &b.catchup.to_string(),
    );
    changes.set(ChangeKind::Tags, "tags", &a.tags, &b.tags);
    changes.value(
        ChangeKind::Concurrency,
        "max_active_runs",
        &opt(a.max_active_runs.as_ref()),
        &opt(b.max_active_runs.as_ref()),
    );
    changes.value(
        ChangeKind::Concurrency,
        "max_active_tasks",
        &opt(a.max_active_tasks.as_ref()),
        &opt(b.max_active_tasks.as_ref()),
    );
    changes.value(
        ChangeKind::Timeout,
        "dagrun_timeout_seconds",
        &opt(a.dagrun_timeout_seconds.as_ref()),
        &opt(b.dagrun_timeout_seconds.as_ref()),
    );
    changes.value(
        ChangeKind::Sla,
        "sla_seconds",
        &opt(a.sla_seconds.as_ref()),
        &opt(b.sla_seconds.as_ref()),
    );
    changes.set(
        ChangeKind::Alerts,
        "deadline_alerts",
        &alerts(&a.deadline_alerts),
        &alerts(&b.deadline_alerts),
    );
    changes.set(ChangeKind::Params, "params", &params(&a.params), &params(&b.params));
    changes.value(
        ChangeKind::Description,
        "description",
        &opt(a.description.as_ref()),
        &opt(b.description.as_ref()),
    );
    changes.finish()
}

/// A schedule as one line: `cron 30 2 * * *`, `triggered`, `assets: a, b`.
pub(crate) fn schedule(schedule: &ScheduleEntry) -> String {
    match schedule {
        ScheduleEntry::Cron { cron, .. } => format!("cron {cron}"),
        ScheduleEntry::Once => "once".to_owned(),
        ScheduleEntry::Triggered => "triggered".to_owned(),
        ScheduleEntry::Assets { assets } => format!("assets: {}", assets.join(", ")),
    }
}
