//! Resolution: each rule against its task — the table it checks, the partitions it
//! reads, its columns, expressions and the tables its SQL reads — into a [`Check`].
//!
//! Every problem found here is a diagnostic (`P510`, `P512`–`P517`); a rule whose
//! table cannot be told gives no check.

use std::collections::{BTreeMap, BTreeSet};

use super::Check;
use super::sql::{self, CheckSpec};
use crate::columns::RepositoryColumns;
use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::graph::TaskIo;
use crate::model::{
    CountBaseline, Flow, PartitionChoice, PartitionSpec, QualityCheck, QualityRule, Repository, Spanned, TableName,
    Task, TaskId, TaskKind,
};
use crate::sql::{SqlOptions, parse_expression};
use crate::words::code_list;

/// The partition each hive sync target is written with: what a check of that table
/// reads unless the rule says otherwise.
fn sync_partitions(repository: &Repository, task_io: &BTreeMap<TaskId, TaskIo>) -> BTreeMap<TableName, PartitionSpec> {
    let mut partitions = BTreeMap::new();
    for (_, task) in repository.tasks() {
        let TaskKind::Sync(sync) = &task.kind else {
            continue;
        };
        let (Some(partition), Some(io)) = (&sync.target.partition, task_io.get(&task.id)) else {
            continue;
        };
        if let Some(spec) = PartitionSpec::parse(&partition.value) {
            for write in &io.writes {
                partitions.insert(write.name.clone(), spec.clone());
            }
        }
    }
    partitions
}

/// Resolves rules against one repository and its tasks' reads and writes.
pub(super) struct Resolver<'a> {
    repository: &'a Repository,
    task_io: &'a BTreeMap<TaskId, TaskIo>,
    partitions: BTreeMap<TableName, PartitionSpec>,
    columns: Option<&'a RepositoryColumns>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
        repository: &'a Repository,
        task_io: &'a BTreeMap<TaskId, TaskIo>,
        columns: Option<&'a RepositoryColumns>,
    ) -> Self {
        Resolver {
            repository,
            task_io,
            partitions: sync_partitions(repository, task_io),
            columns,
        }
    }

    /// The check of one rule of `task`, with every problem it has pushed to `found`;
    /// `None` when the table it checks cannot be told.
    pub(super) fn resolve(
        &self,
        flow: &Flow,
        task: &Task,
        rule: &QualityRule,
        found: &mut Vec<Diagnostic>,
    ) -> Option<Check> {
        let io = self.task_io.get(&task.id)?;
        let errors_before = found.len();
        let table = own_table(task, rule, io, found)?;
        let check = &rule.check.value;
        let partition = self.partition(&table, rule.partition.as_ref(), rule, found);
        check_count_baseline(task, rule, &table, &partition, found);
        self.check_columns(&table, check.columns(), rule, found);
        let other = check.other_table().map(|other| {
            let partition = self.partition(&other.table.value, other.partition.as_ref(), rule, found);
            if let Some(column) = &other.column {
                self.check_columns(&other.table.value, vec![column], rule, found);
            }
            (other.table.value.clone(), partition)
        });
        check_expressions(rule, found);
        let spec = |choice: PartitionChoice| match choice {
            PartitionChoice::Spec(spec) => Some(spec),
            PartitionChoice::Whole => None,
        };
        let partition = spec(partition);
        let other = other.map(|(table, partition)| (table, spec(partition)));
        let text = sql::check_sql(&CheckSpec {
            flow: flow.id.as_str(),
            task: task.id.task(),
            rule,
            table: &table,
            partition: partition.as_ref(),
            other: other.as_ref().map(|(t, p)| (t, p.as_ref())),
            results_table: &self.repository.project.quality.results_table.value,
        });
        let results = &self.repository.project.quality.results_table.value;
        let analysis = crate::sql::analyze(FileId::default(), &text, &SqlOptions::default());
        let reads: BTreeSet<TableName> = analysis
            .reads
            .into_iter()
            .map(|read| read.name)
            .filter(|read| read != &table && read != results)
            .collect();
        let names = analysis.names;
        if found.len() == errors_before {
            self.check_reads(task, rule, io, &reads, found);
        }
        Some(Check {
            task: task.id.clone(),
            rule: rule.clone(),
            table,
            partition,
            other,
            sql: text,
            reads: reads.into_iter().collect(),
            names,
        })
    }

    /// Which rows of `table` the rule reads: as written, the partition a sync writes,
    /// none for a table declared unpartitioned, or the project's default.
    fn partition(
        &self,
        table: &TableName,
        written: Option<&Spanned<PartitionChoice>>,
        rule: &QualityRule,
        found: &mut Vec<Diagnostic>,
    ) -> PartitionChoice {
        let declared = self.repository.table(table);
        let default = &self.repository.project.quality.partition;
        let (choice, span, origin) = match (written, self.partitions.get(table), declared) {
            (Some(written), _, _) => (written.value.clone(), written.span, "this partition"),
            (None, Some(spec), _) => return PartitionChoice::Spec(spec.clone()),
            (None, None, Some(d)) if d.partitioned_by.is_empty() => return PartitionChoice::Whole,
            (None, None, _) => (
                PartitionChoice::Spec(default.value.clone()),
                rule.name.span,
                "the default partition (`quality.partition` of flowc.yaml)",
            ),
        };
        if let (Some(declaration), PartitionChoice::Spec(spec)) = (declared, &choice) {
            let columns: Vec<&str> = spec.columns().collect();
            let expected: Vec<&str> = declaration.partitioned_by.iter().map(String::as_str).collect();
            if columns != expected {
                let what = if expected.is_empty() {
                    "is not partitioned".to_owned()
                } else {
                    format!("is partitioned by `{}`", expected.join("`, `"))
                };
                found.push(
                    Diagnostic::error(
                        Code::QualityPartitionMismatch,
                        format!(
                            "quality rule `{}` reads partition `{spec}` of `{table}`, which {what}",
                            rule.name.value
                        ),
                    )
                    .at(span)
                    .with_label(format!("{origin} does not fit the table"))
                    .with_secondary(declaration.name.span, "declared here")
                    .with_help(if expected.is_empty() {
                        "set `partition: none` on the rule to check the whole table".to_owned()
                    } else {
                        format!(
                            "set `partition:` on the rule to the table's partition, e.g. `{}`",
                            expected
                                .iter()
                                .map(|c| format!("{c}=${{bizdate}}"))
                                .collect::<Vec<_>>()
                                .join("/")
                        )
                    }),
                );
            }
        }
        choice
    }

    /// P510 for columns a declared table does not have.
    fn check_columns(
        &self,
        table: &TableName,
        columns: Vec<&Spanned<String>>,
        rule: &QualityRule,
        found: &mut Vec<Diagnostic>,
    ) {
        // A declared table's columns; else the columns its writer gives, when all known.
        let (known, secondary): (Vec<&str>, (Span, &str)) = if let Some(declaration) = self.repository.table(table) {
            let known = declaration
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .chain(declaration.partitioned_by.iter().map(String::as_str))
                .collect();
            (known, (declaration.name.span, "table declared here"))
        } else if let Some(schema) = self.columns.and_then(|c| c.schemas.get(table))
            && let Some(span) = schema.columns.first().and_then(|c| c.span)
        {
            let known = schema
                .columns
                .iter()
                .chain(&schema.partition_columns)
                .map(|c| c.name.as_str())
                .collect();
            (known, (span, "columns inferred from the query that writes it"))
        } else {
            return;
        };
        for column in columns {
            if known.contains(&column.value.as_str()) {
                continue;
            }
            let diagnostic = Diagnostic::error(
                Code::UnknownQualityColumn,
                format!(
                    "quality rule `{}` names column `{}`, which table `{table}` does not have",
                    rule.name.value, column.value
                ),
            )
            .at(column.span)
            .with_label("no such column")
            .with_secondary(secondary.0, secondary.1);
            found.push(match did_you_mean(&column.value, known.iter().copied()) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic.with_note(format!("its columns: {}", code_list(&known))),
            });
        }
    }

    /// P514 for tables the check reads that may not be ready when it runs.
    fn check_reads(
        &self,
        task: &Task,
        rule: &QualityRule,
        io: &TaskIo,
        tables_read: &BTreeSet<TableName>,
        found: &mut Vec<Diagnostic>,
    ) {
        let project = &self.repository.project;
        let ready: BTreeSet<&TableName> = io
            .reads
            .iter()
            .chain(&io.writes)
            .map(|t| &t.name)
            .chain(project.sources.iter().map(|s| &s.table))
            .collect();
        for read in tables_read {
            if ready.contains(read) {
                continue;
            }
            let span = rule
                .check
                .value
                .other_table()
                .filter(|o| o.table.value == *read)
                .map_or(rule.check.span, |o| o.table.span);
            found.push(
                Diagnostic::error(
                    Code::QualityTableNotReady,
                    format!(
                        "quality rule `{}` reads `{}`, which task `{}` neither reads nor writes",
                        rule.name.value, read, task.id
                    ),
                )
                .at(span)
                .with_label("may not be written yet when the check runs")
                .with_help(
                    "a check runs right after its task, so it may only compare with tables the task reads or writes, \
                     or with declared sources; put the rule on a task that reads this table",
                ),
            );
        }
    }
}

/// P517 for a row count compared with the records a sync read on a task that is no
/// sync task; P516 for one compared with the previous partition of a table not
/// checked by business date.
fn check_count_baseline(
    task: &Task,
    rule: &QualityRule,
    table: &TableName,
    partition: &PartitionChoice,
    found: &mut Vec<Diagnostic>,
) {
    let QualityCheck::RowCountChange { compare, .. } = &rule.check.value else {
        return;
    };
    match compare {
        CountBaseline::SyncSource if !matches!(task.kind, TaskKind::Sync(_)) => found.push(
            Diagnostic::error(
                Code::SyncSourceCountUnavailable,
                format!(
                    "quality rule `{}` compares `{table}` with the records its sync read, but task `{}` is not a sync task",
                    rule.name.value, task.id
                ),
            )
            .at(rule.check.span)
            .with_label("no DataX job counts a source here")
            .with_help(
                "put the rule on the sync task that loads the table, or compare with the previous partition (`compare: previous_partition`) or another table (`consistency.equal_count`)",
            ),
        ),
        CountBaseline::SyncSource => {}
        CountBaseline::PreviousPartition => {
            let fits = match partition {
                PartitionChoice::Spec(spec) => sql::previous_partition("t", spec).is_some(),
                PartitionChoice::Whole => false,
            };
            if !fits {
                found.push(
                    Diagnostic::error(
                        Code::QualityPartitionMismatch,
                        format!(
                            "quality rule `{}` compares with the previous partition, but `{table}` is not checked by business date",
                            rule.name.value
                        ),
                    )
                    .at(rule.check.span)
                    .with_label("needs a partition on `${bizdate}`")
                    .with_help("check a partition such as `dt=${bizdate}` (`partition:` of the rule), or use `min_rows` instead"),
                );
            }
        }
    }
}

/// The table a rule checks: the one it names, or the task's only table. P512/P513
/// when that does not work out.
fn own_table(task: &Task, rule: &QualityRule, io: &TaskIo, found: &mut Vec<Diagnostic>) -> Option<TableName> {
    let writes: Vec<&TableName> = io.writes.iter().map(|t| &t.name).collect();
    let names = || writes.iter().map(|t| t.as_str()).collect::<Vec<_>>();
    match (&rule.table, writes.as_slice()) {
        (Some(table), _) if writes.contains(&&table.value) => Some(table.value.clone()),
        (Some(table), _) => {
            let diagnostic = Diagnostic::error(
                Code::QualityTableNotWritten,
                format!(
                    "quality rule `{}` checks `{}`, which task `{}` does not write",
                    rule.name.value, table.value, task.id
                ),
            )
            .at(table.span)
            .with_label("not written by this task");
            found.push(match did_you_mean(table.value.as_str(), names()) {
                Some(help) => diagnostic.with_help(help),
                None if writes.is_empty() => diagnostic.with_help(no_table_help(task)),
                None => diagnostic.with_help(format!(
                    "put the rule on the task that writes it; this task writes {}",
                    code_list(names())
                )),
            });
            None
        }
        (None, [only]) => Some((*only).clone()),
        (None, []) => {
            found.push(
                Diagnostic::error(
                    Code::QualityTableNotWritten,
                    format!(
                        "quality rule `{}` is on task `{}`, which writes no warehouse table",
                        rule.name.value, task.id
                    ),
                )
                .at(rule.name.span)
                .with_label("nothing to check")
                .with_help(no_table_help(task)),
            );
            None
        }
        (None, _) => {
            found.push(
                Diagnostic::error(
                    Code::AmbiguousQualityTable,
                    format!(
                        "quality rule `{}` names no table, and task `{}` writes {} tables",
                        rule.name.value,
                        task.id,
                        writes.len()
                    ),
                )
                .at(rule.name.span)
                .with_label("which table?")
                .with_help(format!("add `table:` with one of {}", code_list(names()))),
            );
            None
        }
    }
}

fn no_table_help(task: &Task) -> &'static str {
    match task.kind {
        TaskKind::Sync(_) => "only tables in the warehouse can be checked; put the rule on a task that writes one",
        _ => "put the rule on the task that writes the table",
    }
}

/// P515 for SQL expressions that are not exactly one expression.
fn check_expressions(rule: &QualityRule, found: &mut Vec<Diagnostic>) {
    let check = &rule.check.value;
    let mut expressions: Vec<(&Spanned<String>, &str)> = Vec::new();
    if let QualityCheck::Expression(expression) = check {
        expressions.push((expression, "expression"));
    }
    if let Some(filter) = &rule.filter {
        expressions.push((filter, "where"));
    }
    if let Some(filter) = check.other_table().and_then(|o| o.filter.as_ref()) {
        expressions.push((filter, "with_where"));
    }
    for (expression, key) in expressions {
        if let Err(problem) = parse_expression(&expression.value) {
            found.push(
                Diagnostic::error(
                    Code::InvalidQualityExpression,
                    format!("`{key}` of quality rule `{}` is not a SQL expression", rule.name.value),
                )
                .at(expression.span)
                .with_label(problem.to_string())
                .with_help("write one boolean Spark SQL expression over the table's columns, e.g. `amount >= 0`"),
            );
        }
    }
}
