//! Stage 13, plan: what merging a revision would change in one environment.
//!
//! Input: two compiles of the same environment — the base and the head revision —
//! each as its `manifest.json` (read back with [`crate::render::manifest::Manifest`])
//! and its rendered files. Output: an immutable [`Plan`], computed by
//! [`Planner::plan`] without any I/O: flows and tasks added, removed and changed (and
//! what changed), tables whose writer changed, the downstream impact of every task
//! whose output may change (every task and table reachable downstream, across flows),
//! breaking changes (tables removed or renamed while still read; columns removed,
//! renamed, retyped or reordered while still read, each read located), the impact as
//! a graph of tasks and tables for the markdown view's diagram, the column
//! changes of every table both revisions know, access-control and
//! data quality rule changes (loosened ones flagged), and the unified diff
//! of every rendered file. Every list is sorted, so the same inputs give the same
//! plan.
//!
//! What counts as changed comes from the manifest's content fingerprints ([`crate::render::fingerprint`]): a task
//! whose `data` fingerprint changed (SQL, operator arguments, tables, params) marks
//! everything downstream as indirectly affected; a change of `metadata` only (pool,
//! priority, queue, retries) does not.
//!
//! Views, one per format: [`text`] (terminal), [`markdown`] (a pull-request
//! comment, under GitHub's size limit by construction) and [`json`]. [`plan_revisions`]
//! compiles two revisions of a repository and plans them, for `flowc plan`,
//! `flowc comment` and `flowc promote`: the only part of this stage that reads git and
//! runs the compiler; everything else is pure.

mod breaking;
mod diff;
mod graph;
mod impact;
mod impact_graph;
mod planner;
mod revisions;
#[cfg(test)]
mod tests;
mod types;
mod view;

pub use diff::columns::RevisionColumns;
pub use diff::files::DiffLimits;
pub use planner::{PlanInput, Planner};
pub use revisions::{DEFAULT_ENVIRONMENT, Failure, PlanOutcome, Side, Source, plan_revisions, plan_sources};
pub use types::{
    AccessChange, BreakingChange, BreakingKind, Change, ChangeKind, ColumnAt, ColumnBreakingChange, ColumnBreakingKind,
    ColumnChanges, ColumnOrder, ColumnReader, ColumnRename, ColumnRetype, DdlChange, DdlChangeKind, Delta, FileDiff,
    FlowDiff, Impact, ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNode, ImpactNodeKind, ImpactRole, Plan,
    QualityChange, ReadKind, RenameEvidence, Revision, RuleChange, Status, Summary, TableColumns, TaskDiff, TypeChange,
    WriterChange,
};
pub use view::{json, markdown, text};
