//! Columns added, removed, renamed, retyped and reordered: the schemas of the tables
//! both revisions know ([`crate::columns::RepositoryColumns::schemas`]), compared
//! table by table.
//!
//! A table's columns are its columns then its partition columns, as Spark lists them.
//! Renames are suggested, never certain: a removed column `a` and an added column `b`
//! of the same table pair as a rename when their types do not differ (both known and
//! different) and either
//! 1. they sit at the same position and have the same DIRECT sources in the writer's
//!    column lineage (or neither revision knows them): the writer aliased the same
//!    expression differently; or
//! 2. their names are similar: one contains the other (at least 3 characters), or
//!    their normalised Levenshtein similarity is at least 0.7.
//!
//! Rule 1 pairs first; then rule 2, most similar pair first. Each column pairs once.

use std::collections::{BTreeMap, BTreeSet};

use crate::columns::{Column, RepositoryColumns, TableSchema};
use crate::compiler::CheckReport;
use crate::diagnostic::{Diagnostic, Diagnostics, FileId, Severity, SourceMap};
use crate::model::{TableName, TaskId};
use crate::plan::types::{ColumnAt, ColumnOrder, ColumnRename, ColumnRetype, RenameEvidence, TableColumns};
use crate::sql::TableRef;
use crate::sql::columns::ColumnName;

/// Names at least this similar (normalised Levenshtein) suggest a rename.
const SIMILAR: f64 = 0.7;

/// One revision's columns and what the plan needs to locate their readers.
#[derive(Clone, Debug)]
pub struct RevisionColumns<'a> {
    /// Schemas and column lineage.
    pub columns: &'a RepositoryColumns,
    /// The files spans point into.
    pub sources: &'a SourceMap,
    /// The SQL file of each sparksql task.
    pub sql_files: &'a BTreeMap<TaskId, FileId>,
    /// Tables some task reads (table-level lineage).
    pub read_tables: BTreeSet<&'a TableName>,
    /// Warehouse tables each sync task reads (an hdfsreader: by column position).
    pub sync_reads: Vec<(&'a TaskId, &'a TableRef)>,
    /// The revision's errors: a reference to a column its table lacks is one, and
    /// locates a reader the lineage cannot hold.
    pub errors: Vec<&'a Diagnostic>,
}

impl<'a> RevisionColumns<'a> {
    /// The columns of a checked revision and its errors (the report's, or taken out of
    /// it); `None` when its columns are unknown (errors before the columns stage).
    pub fn of(report: &'a CheckReport, errors: &'a Diagnostics) -> Option<Self> {
        let columns = report.columns.as_ref()?;
        Some(Self {
            columns,
            sources: &report.sources,
            sql_files: &report.sql_files,
            read_tables: report
                .task_io
                .values()
                .flat_map(|io| io.reads.iter().map(|r| &r.name))
                .collect(),
            sync_reads: report
                .datax_jobs
                .iter()
                .flat_map(|(task, job)| job.reads.iter().map(move |read| (task, read)))
                .collect(),
            errors: errors.iter().filter(|d| d.severity == Severity::Error).collect(),
        })
    }
}

/// The column differences of every table both revisions know, sorted by table.
pub(crate) fn table_diffs(base: &RevisionColumns<'_>, head: &RevisionColumns<'_>) -> Vec<TableColumns> {
    base.columns
        .schemas
        .iter()
        .filter_map(|(name, before)| {
            let after = head.columns.schemas.get(name)?;
            diff_table(name, before, after, base.columns, head.columns)
        })
        .collect()
}

/// A table's columns, partition columns last.
fn all_columns(schema: &TableSchema) -> Vec<&Column> {
    schema.columns.iter().chain(&schema.partition_columns).collect()
}

fn diff_table(
    name: &TableName,
    before: &TableSchema,
    after: &TableSchema,
    base: &RepositoryColumns,
    head: &RepositoryColumns,
) -> Option<TableColumns> {
    let (old, new) = (all_columns(before), all_columns(after));
    let position = |list: &[&Column], column: &str| list.iter().position(|c| c.name == column);
    let old_names: BTreeSet<&str> = old.iter().map(|c| c.name.as_str()).collect();
    let new_names: BTreeSet<&str> = new.iter().map(|c| c.name.as_str()).collect();
    let mut removed: Vec<(usize, &Column)> = old
        .iter()
        .enumerate()
        .filter(|(_, c)| !new_names.contains(c.name.as_str()))
        .map(|(i, c)| (i, *c))
        .collect();
    let mut added: Vec<(usize, &Column)> = new
        .iter()
        .enumerate()
        .filter(|(_, c)| !old_names.contains(c.name.as_str()))
        .map(|(i, c)| (i, *c))
        .collect();
    let renamed = pair_renames(name, &mut removed, &mut added, base, head);
    let retyped: Vec<ColumnRetype> = old
        .iter()
        .filter_map(|column| {
            let other = new.get(position(&new, &column.name)?)?;
            let (Some(before), Some(after)) = (&column.data_type, &other.data_type) else {
                return None;
            };
            (normal_type(before) != normal_type(after)).then(|| ColumnRetype {
                column: column.name.clone(),
                before: before.clone(),
                after: after.clone(),
            })
        })
        .collect();
    // The columns of both, renamed ones by their head name, in each revision's order.
    let head_name = |column: &str| -> Option<String> {
        if new_names.contains(column) {
            return Some(column.to_owned());
        }
        renamed.iter().find(|r| r.from == column).map(|r| r.to.clone())
    };
    let order_before: Vec<String> = old.iter().filter_map(|c| head_name(&c.name)).collect();
    let kept: BTreeSet<&str> = order_before.iter().map(String::as_str).collect();
    let order_after: Vec<String> = new
        .iter()
        .filter(|c| kept.contains(c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    let reordered = (order_before != order_after).then_some(ColumnOrder {
        before: order_before,
        after: order_after,
    });
    let at = |(i, column): &(usize, &Column)| ColumnAt {
        name: column.name.clone(),
        data_type: column.data_type.clone(),
        position: i + 1,
    };
    let shown = TableColumns {
        table: name.to_string(),
        writer: after
            .writer
            .as_ref()
            .or(before.writer.as_ref())
            .map(ToString::to_string),
        added: added.iter().map(at).collect(),
        removed: removed.iter().map(at).collect(),
        renamed,
        retyped,
        reordered,
    };
    let empty = shown.added.is_empty()
        && shown.removed.is_empty()
        && shown.renamed.is_empty()
        && shown.retyped.is_empty()
        && shown.reordered.is_none();
    (!empty).then_some(shown)
}

/// Pairs removed and added columns into renames (see the module's rules), taking
/// them out of both lists.
fn pair_renames(
    table: &TableName,
    removed: &mut Vec<(usize, &Column)>,
    added: &mut Vec<(usize, &Column)>,
    base: &RepositoryColumns,
    head: &RepositoryColumns,
) -> Vec<ColumnRename> {
    let mut candidates: Vec<(u8, f64, usize, usize, RenameEvidence)> = Vec::new();
    for (r, (old_position, old)) in removed.iter().enumerate() {
        for (a, (new_position, new)) in added.iter().enumerate() {
            if !compatible(old, new) {
                continue;
            }
            let score = similarity(&old.name, &new.name);
            if old_position == new_position
                && direct_sources(base, table, &old.name) == direct_sources(head, table, &new.name)
            {
                candidates.push((0, score, r, a, RenameEvidence::SamePosition));
            } else if score >= SIMILAR {
                candidates.push((1, score, r, a, RenameEvidence::SimilarName));
            }
        }
    }
    // Rule 1 first, then the most similar; ties by position, so the order is fixed.
    candidates.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(y.1.total_cmp(&x.1))
            .then((x.2, x.3).cmp(&(y.2, y.3)))
    });
    let (mut used_removed, mut used_added) = (BTreeSet::new(), BTreeSet::new());
    let mut pairs = Vec::new();
    for (_, _, r, a, evidence) in candidates {
        if used_removed.contains(&r) || used_added.contains(&a) {
            continue;
        }
        used_removed.insert(r);
        used_added.insert(a);
        pairs.push((r, a, evidence));
    }
    let mut renames: Vec<ColumnRename> = pairs
        .iter()
        .map(|&(r, a, evidence)| ColumnRename {
            from: removed[r].1.name.clone(),
            to: added[a].1.name.clone(),
            data_type: added[a].1.data_type.clone().or_else(|| removed[r].1.data_type.clone()),
            evidence,
        })
        .collect();
    renames.sort_by(|x, y| x.from.cmp(&y.from));
    let mut index = 0;
    removed.retain(|_| {
        index += 1;
        !used_removed.contains(&(index - 1))
    });
    index = 0;
    added.retain(|_| {
        index += 1;
        !used_added.contains(&(index - 1))
    });
    renames
}

/// Whether two columns' types do not differ: equal, or either unknown.
fn compatible(a: &Column, b: &Column) -> bool {
    match (&a.data_type, &b.data_type) {
        (Some(x), Some(y)) => normal_type(x) == normal_type(y),
        _ => true,
    }
}

/// A type without case or spaces: `DECIMAL(18, 2)` is `decimal(18,2)`.
fn normal_type(data_type: &str) -> String {
    data_type
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// How alike two names are, from 0 to 1: 1 when one contains the other (at least 3
/// characters), else their normalised Levenshtein similarity.
fn similarity(a: &str, b: &str) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 3 && long.contains(short) {
        return 1.0;
    }
    strsim::normalized_levenshtein(a, b)
}

/// The DIRECT sources of `table.column` in the lineage of the task that writes it,
/// sorted; `None` when no task's lineage gives them.
fn direct_sources(columns: &RepositoryColumns, table: &TableName, column: &str) -> Option<Vec<ColumnName>> {
    columns
        .tasks
        .values()
        .flat_map(|task| &task.outputs)
        .find_map(|output| {
            if &output.table != table {
                return None;
            }
            output.columns.iter().find(|c| c.name == column).map(|c| {
                let mut sources = c.sources.clone();
                sources.sort();
                sources
            })
        })
}
