//! [`Planner::plan`]: two compiles of one environment in, a [`Plan`] out. Pure.
//!
//! The parts come from [`super::diff`] (what differs), [`super::impact`] (what it
//! reaches) and [`super::breaking`] (what it breaks); this file puts them together and
//! counts them.

use std::collections::{BTreeMap, BTreeSet};

use super::breaking::breaking_changes;
use super::breaking::columns::column_changes;
use super::diff::access::access_changes;
use super::diff::columns::RevisionColumns;
use super::diff::ddl::ddl_changes;
use super::diff::files::{DiffLimits, MANIFEST, diff_files};
use super::diff::flows::flow_diffs;
use super::diff::quality::quality_changes;
use super::diff::tasks::task_diffs;
use super::diff::writers::writer_changes;
use super::graph::Graph;
use super::impact::{impact, indirectly_affected};
use super::impact_graph::{ImpactParts, impact_graph};
use super::types::{ColumnChanges, Plan, Revision, Status, Summary};
use crate::render::ddl::Ddl;
use crate::render::manifest::Manifest;

/// One side of a comparison: a compiled environment.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// Which revision it is.
    pub revision: &'a Revision,
    /// Its manifest, as read back from `manifest.json`.
    pub manifest: &'a Manifest,
    /// Its rendered files (`manifest.json` included or not; it is not diffed).
    pub files: &'a BTreeMap<String, Vec<u8>>,
    /// Its columns, when known: the plan compares columns only when both sides have
    /// them.
    pub columns: Option<&'a RevisionColumns<'a>>,
    /// Its table DDL, when compiled (none: no table, e.g. a base without the
    /// environment).
    pub ddl: Option<&'a Ddl>,
}

/// Computes plans.
#[derive(Clone, Copy, Debug, Default)]
pub struct Planner {
    /// How much of the rendered diffs to keep.
    pub limits: DiffLimits,
}

impl Planner {
    /// A planner with the default diff limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// What changes when `head` replaces `base`.
    pub fn plan(&self, base: &PlanInput<'_>, head: &PlanInput<'_>) -> Plan {
        let (old, new) = (base.manifest, head.manifest);
        let flows = flow_diffs(old, new);
        let tasks = task_diffs(old, new);
        let (base_graph, head_graph) = (Graph::of(old), Graph::of(new));
        let writers = writer_changes(&base_graph, &head_graph);
        let impact = impact(&tasks, &base_graph, &head_graph);
        // Downstream of a change, and not changed (in what it computes) itself.
        let indirectly_affected = indirectly_affected(&tasks, &impact);
        let head_sources: BTreeSet<&str> = new.sources.iter().map(String::as_str).collect();
        let breaking = breaking_changes(&base_graph, &head_graph, &head_sources);
        let columns = match (base.columns, head.columns) {
            (Some(base), Some(head)) => column_changes(base, head),
            _ => ColumnChanges::default(),
        };
        let no_tables = Ddl::default();
        let ddl = ddl_changes(base.ddl.unwrap_or(&no_tables), head.ddl.unwrap_or(&no_tables));
        let access = access_changes(&old.access, &new.access);
        let quality = quality_changes(old, new);
        let impact_graph = impact_graph(
            &ImpactParts {
                tasks: &tasks,
                impact: &impact,
                breaking: &breaking,
                column_breaking: &columns.breaking,
            },
            &base_graph,
            &head_graph,
        );
        let files = diff_files(base.files, head.files, self.limits);
        let manifest_changed = match (base.files.get(MANIFEST), head.files.get(MANIFEST)) {
            (Some(a), Some(b)) => a != b,
            (a, b) => a.is_some() != b.is_some(),
        };
        let mut plan = Plan {
            project: new.project.clone(),
            environment: new.environment.clone(),
            base: base.revision.clone(),
            head: head.revision.clone(),
            summary: Summary::default(),
            flows,
            tasks,
            writers,
            impact,
            indirectly_affected,
            impact_graph,
            breaking,
            columns,
            ddl,
            access,
            quality,
            files,
            manifest_changed,
            notes: Vec::new(),
        };
        plan.summary = summary(&plan);
        plan
    }
}

/// The counts of a plan's lists.
fn summary(plan: &Plan) -> Summary {
    let (flows, tasks, files) = (plan.flows.as_slice(), plan.tasks.as_slice(), plan.files.as_slice());
    Summary {
        flows_added: count(flows, Status::Added, |f| f.status),
        flows_removed: count(flows, Status::Removed, |f| f.status),
        flows_changed: count(flows, Status::Changed, |f| f.status),
        tasks_added: count(tasks, Status::Added, |t| t.status),
        tasks_removed: count(tasks, Status::Removed, |t| t.status),
        tasks_changed: count(tasks, Status::Changed, |t| t.status),
        tasks_indirectly_affected: plan.indirectly_affected.len(),
        writers_changed: plan.writers.len(),
        tables_with_column_changes: plan.columns.tables.len(),
        breaking_changes: plan.breaking_count(),
        external_column_changes: plan.columns.external.len(),
        ddl_changes: plan.ddl.len(),
        ddl_not_in_place: plan
            .ddl
            .iter()
            .filter(|c| c.kind == super::types::DdlChangeKind::NotInPlace)
            .count(),
        access_changes: plan.access.len(),
        quality_changes: plan.quality.len(),
        quality_loosened: plan.quality.iter().filter(|q| q.is_loosened()).count(),
        files_added: count(files, Status::Added, |f| f.status),
        files_removed: count(files, Status::Removed, |f| f.status),
        files_changed: count(files, Status::Changed, |f| f.status),
    }
}

/// How many of `items` have `status`.
fn count<T>(items: &[T], status: Status, status_of: impl Fn(&T) -> Status) -> usize {
    items.iter().filter(|item| status_of(item) == status).count()
}
