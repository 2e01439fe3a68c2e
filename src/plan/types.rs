//! The [`Plan`] value and its parts: plain, sorted data, serialised as-is by the JSON
//! view.

use std::fmt::Write as _;

use serde::Serialize;

use crate::words::plural;

mod columns;
mod ddl;
mod impact;

pub use ddl::{DdlChange, DdlChangeKind};
pub use impact::{ImpactEdge, ImpactEdgeKind, ImpactGraph, ImpactNode, ImpactNodeKind, ImpactRole};

pub use columns::{
    ColumnAt, ColumnBreakingChange, ColumnBreakingKind, ColumnChanges, ColumnOrder, ColumnReader, ColumnRename,
    ColumnRetype, ReadKind, RenameEvidence, TableColumns, TypeChange,
};

/// What changes when the head revision replaces the base revision in one environment.
///
/// Every list is sorted (by flow, task, table or path), so the same two compiles give
/// the same plan, byte for byte, in every view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The project (of the head revision).
    pub project: String,
    /// The environment compared.
    pub environment: String,
    /// The base revision.
    pub base: Revision,
    /// The head revision.
    pub head: Revision,
    /// Counts of everything below.
    pub summary: Summary,
    /// Flows added, removed or changed.
    pub flows: Vec<FlowDiff>,
    /// Airflow tasks added, removed or changed (cross-flow sensors included).
    pub tasks: Vec<TaskDiff>,
    /// Tables whose writing task changed, appeared or disappeared.
    pub writers: Vec<WriterChange>,
    /// For each task whose output may change (its inputs changed, or it was added or
    /// removed): everything downstream of it, across flows.
    pub impact: Vec<Impact>,
    /// Tasks downstream of a task whose output may change, whose own definition of what
    /// they compute did not change (scheduling changes aside).
    pub indirectly_affected: Vec<String>,
    /// The impact as a graph of tasks and tables, breaking reads marked: what the
    /// markdown view draws.
    pub impact_graph: ImpactGraph,
    /// Tables removed or renamed while something in the head revision still reads them.
    pub breaking: Vec<BreakingChange>,
    /// Columns added, removed, renamed, retyped and reordered, per table, and the
    /// readers each change breaks (empty when either revision's columns are unknown).
    pub columns: ColumnChanges,
    /// The table DDL the change needs, per table (`ddl.sql` of each revision compared).
    pub ddl: Vec<DdlChange>,
    /// Access-control rules added, removed or changed (grants, classes, owners).
    pub access: Vec<AccessChange>,
    /// Data quality rules added, removed or changed, and whether they were loosened.
    pub quality: Vec<QualityChange>,
    /// Rendered files added, removed or changed, `manifest.json` excepted.
    pub files: Vec<FileDiff>,
    /// Whether `manifest.json` differs (its changes are what the lists above say).
    pub manifest_changed: bool,
    /// Remarks about the comparison itself, e.g. an environment the base lacks.
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether the head revision changes nothing in this environment.
    pub fn is_empty(&self) -> bool {
        self.summary == Summary::default()
    }

    /// Every breaking change, table and column ones.
    pub fn breaking_count(&self) -> usize {
        self.breaking.len() + self.columns.breaking.len()
    }
}

/// A revision compared: a git revision, or the work tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Revision {
    /// As given (a branch, tag, `HEAD~1`, a commit id…); `None` for the work tree.
    pub name: Option<String>,
    /// The full id of the commit read, for a git revision.
    pub commit: Option<String>,
}

impl Revision {
    /// A git revision.
    pub fn git(name: &str, commit: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            commit: Some(commit.to_owned()),
        }
    }

    /// The files on disk.
    pub fn work_tree() -> Self {
        Self::default()
    }

    /// `main (0123456789ab)`, or `work tree`.
    pub fn label(&self) -> String {
        match (&self.name, &self.commit) {
            (Some(name), Some(commit)) => format!("{name} ({})", commit.get(..12).unwrap_or(commit)),
            (Some(name), None) => name.clone(),
            (None, _) => "work tree".to_owned(),
        }
    }
}

/// Counts of a plan's lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Flows added.
    pub flows_added: usize,
    /// Flows removed.
    pub flows_removed: usize,
    /// Flows changed.
    pub flows_changed: usize,
    /// Tasks added.
    pub tasks_added: usize,
    /// Tasks removed.
    pub tasks_removed: usize,
    /// Tasks changed.
    pub tasks_changed: usize,
    /// Tasks indirectly affected.
    pub tasks_indirectly_affected: usize,
    /// Tables whose writer changed.
    pub writers_changed: usize,
    /// Tables whose columns changed.
    pub tables_with_column_changes: usize,
    /// Breaking changes, table and column ones.
    pub breaking_changes: usize,
    /// Removed, renamed or retyped columns of tables nothing in the repository reads.
    pub external_column_changes: usize,
    /// Tables whose DDL changes (new, columns added, comments, not in place).
    pub ddl_changes: usize,
    /// Of those, the ones that cannot be applied to the existing table.
    pub ddl_not_in_place: usize,
    /// Access-control rules changed.
    pub access_changes: usize,
    /// Quality rules added, removed or changed.
    pub quality_changes: usize,
    /// Of those, the ones loosened (removed included).
    pub quality_loosened: usize,
    /// Rendered files added.
    pub files_added: usize,
    /// Rendered files removed.
    pub files_removed: usize,
    /// Rendered files changed.
    pub files_changed: usize,
}

impl Summary {
    /// One line: `1 flow changed; 1 task changed, 12 indirectly affected; 2 files
    /// changed; no breaking changes`, or `no changes`.
    pub fn describe(&self) -> String {
        fn counts(singular: &str, plural: &str, items: &[(usize, &str)]) -> Option<String> {
            let mut nonzero = items.iter().filter(|(n, _)| *n > 0);
            let (first, what) = nonzero.next()?;
            let noun = if *first == 1 { singular } else { plural };
            let mut text = format!("{first} {noun} {what}");
            for (n, what) in nonzero {
                let _ = write!(text, ", {n} {what}");
            }
            Some(text)
        }
        if *self == Self::default() {
            return "no changes".to_owned();
        }
        let mut parts: Vec<String> = Vec::new();
        parts.extend(counts(
            "flow",
            "flows",
            &[
                (self.flows_added, "added"),
                (self.flows_removed, "removed"),
                (self.flows_changed, "changed"),
            ],
        ));
        let tasks = counts(
            "task",
            "tasks",
            &[
                (self.tasks_added, "added"),
                (self.tasks_removed, "removed"),
                (self.tasks_changed, "changed"),
            ],
        );
        match (tasks, self.tasks_indirectly_affected) {
            (Some(tasks), 0) => parts.push(tasks),
            (Some(tasks), n) => parts.push(format!("{tasks}, {n} indirectly affected")),
            (None, 0) => {}
            (None, n) => parts.push(format!("{n} tasks indirectly affected")),
        }
        match self.writers_changed {
            0 => {}
            1 => parts.push("1 table with a new writer".to_owned()),
            n => parts.push(format!("{n} tables with a new writer")),
        }
        match self.tables_with_column_changes {
            0 => {}
            1 => parts.push("1 table with column changes".to_owned()),
            n => parts.push(format!("{n} tables with column changes")),
        }
        match (self.ddl_changes, self.ddl_not_in_place) {
            (0, _) => {}
            (n, 0) => parts.push(plural(n, "table DDL change")),
            (n, m) => parts.push(format!(
                "{}, {m} not applicable in place",
                plural(n, "table DDL change")
            )),
        }
        parts.extend(counts(
            "file",
            "files",
            &[
                (self.files_added, "added"),
                (self.files_removed, "removed"),
                (self.files_changed, "changed"),
            ],
        ));
        match (self.quality_changes, self.quality_loosened) {
            (0, _) => {}
            (n, 0) => parts.push(plural(n, "quality rule change")),
            (n, loosened) => parts.push(format!("{}, {loosened} loosened", plural(n, "quality rule change"))),
        }
        match self.access_changes {
            0 => {}
            1 => parts.push("1 access change".to_owned()),
            n => parts.push(format!("{n} access changes")),
        }
        parts.push(match self.breaking_changes {
            0 => "no breaking changes".to_owned(),
            1 => "1 breaking change".to_owned(),
            n => format!("{n} breaking changes"),
        });
        if self.external_column_changes > 0 {
            parts.push(format!(
                "{} for external consumers",
                plural(self.external_column_changes, "column change")
            ));
        }
        parts.join("; ")
    }
}

/// A change to one access-control subject: a team's grants, a classification, or the
/// metadata of a table pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessChange {
    /// `team risk`, `classification pii`, `tables ods.usr_*`.
    pub subject: String,
    /// Added, removed or changed.
    pub status: Status,
    /// Lines only the head revision has.
    pub added: Vec<String>,
    /// Lines only the base revision has.
    pub removed: Vec<String>,
    /// Whether the change gives access more widely: a new grant, a team without grants,
    /// a class that no longer needs a grant or is dropped from tables.
    pub loosened: bool,
}

/// A data quality rule added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QualityChange {
    /// `flow.rule`.
    pub rule: String,
    /// The task whose output it checks (the head's, unless removed).
    pub task: String,
    /// The table it checks.
    pub table: String,
    /// `dimension.kind`, e.g. `completeness.not_null`.
    pub check: String,
    /// `strong` or `weak` (the head's, unless removed).
    pub severity: String,
    /// What happened.
    pub status: Status,
    /// For a changed rule, what changed.
    pub changes: Vec<RuleChange>,
    /// Why the change lets more data through (a removed rule, strong → weak, a
    /// threshold raised…); empty when it does not.
    pub loosened: Vec<String>,
}

impl QualityChange {
    /// Whether the change lets more data through.
    pub fn is_loosened(&self) -> bool {
        !self.loosened.is_empty()
    }
}

/// One changed part of a quality rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// `severity`, `threshold`, `columns`, `values`, `where`…
    pub field: String,
    /// Its values.
    #[serde(flatten)]
    pub delta: Delta,
}

/// Whether something was added, removed or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Only in the head revision.
    Added,
    /// Only in the base revision.
    Removed,
    /// In both, different.
    Changed,
}

impl Status {
    /// `+`, `-` or `~`.
    pub fn marker(self) -> char {
        match self {
            Status::Added => '+',
            Status::Removed => '-',
            Status::Changed => '~',
        }
    }

    /// `added`, `removed` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
        }
    }
}

/// A flow (one DAG) added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowDiff {
    /// The flow's name.
    pub flow: String,
    /// The DAG id (the head's, unless removed).
    pub dag_id: String,
    /// What happened.
    pub status: Status,
    /// For a changed flow, what changed in its own settings (task changes are listed
    /// with the tasks).
    pub changes: Vec<Change>,
}

/// An Airflow task added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskDiff {
    /// `flow.task`; for a cross-flow sensor, `flow.<sensor task id>`.
    pub task: String,
    /// The flow.
    pub flow: String,
    /// The task type (`sparksql`, `sync`, …, `wait` for a sensor).
    pub task_type: String,
    /// What happened.
    pub status: Status,
    /// Whether what the task computes may change (a change of a kind that
    /// [`ChangeKind::affects_data`]); true for added and removed tasks, false for
    /// cross-flow sensors, which only wait.
    pub affects_data: bool,
    /// For a changed task, what changed, in a fixed order of kinds.
    pub changes: Vec<Change>,
}

/// One changed attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What kind of attribute.
    pub kind: ChangeKind,
    /// The attribute, as named in the manifest (`priority`, `reads`, `schedule`…).
    pub field: String,
    /// Its values.
    #[serde(flatten)]
    pub delta: Delta,
}

/// The values of a changed attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Delta {
    /// A value replaced, both shown as text (`none` when unset).
    Value {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// Items of a set added and removed.
    Set {
        /// In head only, sorted.
        added: Vec<String>,
        /// In base only, sorted.
        removed: Vec<String>,
    },
    /// A file's content changed: short content hashes (`none` when missing).
    Content {
        /// The repository or output file.
        file: String,
        /// Before.
        before: String,
        /// After.
        after: String,
    },
}

/// Kinds of changes. More will come (quality rules, columns); match with a wildcard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// The task type.
    Type,
    /// The operator class.
    Operator,
    /// The SQL: the file, its content, or its rendered template.
    Sql,
    /// Operator arguments, rendered job files, application files.
    Config,
    /// Tables read.
    Reads,
    /// Tables written.
    Writes,
    /// Params and their defaults.
    Params,
    /// The tasks it runs after.
    Dependencies,
    /// Priority level, weight, weight rule.
    Priority,
    /// Pool and slots.
    Pool,
    /// Worker or YARN queue.
    Queue,
    /// Retries and their delay.
    Retries,
    /// Execution timeout of a task, run timeout of a flow.
    Timeout,
    /// Failure alerts of a task; the alerts a flow's missed SLA calls.
    Alerts,
    /// `depends_on_past` of a task.
    DependsOnPast,
    /// A flow's SLA.
    Sla,
    /// DataX channels and bandwidth.
    Resources,
    /// Asset outlets.
    Outlets,
    /// Other scheduling attributes (the metadata fingerprint changed).
    Metadata,
    /// A flow's schedule.
    Schedule,
    /// A flow's owning team.
    Owner,
    /// A flow's start date or catchup.
    StartDate,
    /// A flow's tags.
    Tags,
    /// A flow's concurrency limits.
    Concurrency,
    /// A flow's description.
    Description,
    /// A flow's DAG id.
    DagId,
}

impl ChangeKind {
    /// Whether a change of this kind may change what the task computes, and so the
    /// data of everything downstream.
    pub fn affects_data(self) -> bool {
        matches!(
            self,
            ChangeKind::Type
                | ChangeKind::Operator
                | ChangeKind::Sql
                | ChangeKind::Config
                | ChangeKind::Reads
                | ChangeKind::Writes
                | ChangeKind::Params
        )
    }
}

/// A table whose writing task is different in the head revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriterChange {
    /// The table.
    pub table: String,
    /// The writer in base; `None` for a new table.
    pub before: Option<String>,
    /// The writer in head; `None` when nothing writes it any more.
    pub after: Option<String>,
}

/// Everything downstream of one task whose output may change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// The task (`flow.task`).
    pub task: String,
    /// Changed (its inputs), added or removed.
    pub status: Status,
    /// Tables it writes (in base, when removed).
    pub writes: Vec<String>,
    /// Every task reachable downstream through the dependency edges, in any flow.
    pub downstream_tasks: Vec<String>,
    /// Every table those tasks write.
    pub downstream_tables: Vec<String>,
}

/// Something in the head revision that will read what is no longer there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakingChange {
    /// What kind.
    pub kind: BreakingKind,
    /// The table.
    pub table: String,
    /// Who wrote it in base.
    pub writer: String,
    /// Tasks of the head revision that still read it.
    pub readers: Vec<String>,
    /// A table that appeared in head and probably replaces it (same writer, or a
    /// similar name).
    pub renamed_to: Option<String>,
}

/// Kinds of table breaking changes (column ones are [`ColumnBreakingChange`]s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BreakingKind {
    /// A table written in base is written by nothing in head, but still read.
    TableNoLongerWritten,
}

/// A rendered file that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    /// Path under the environment's output folder.
    pub path: String,
    /// What happened.
    pub status: Status,
    /// Lines added.
    pub lines_added: usize,
    /// Lines removed.
    pub lines_removed: usize,
    /// Whether either side is not UTF-8 text (no diff then).
    pub binary: bool,
    /// The unified diff (`--- a/…`, `+++ b/…`, hunks), maybe cut; `None` for binary
    /// files and when the plan's total line budget was spent.
    pub diff: Option<String>,
    /// Lines of the full unified diff.
    pub diff_lines: usize,
    /// Lines of it left out of `diff`.
    pub cut_lines: usize,
}
