//! Stage 8, unit tests: each test of `flows/<flow>/tests/*.yaml` checked against the
//! repository, without running anything.
//!
//! Input: a borrowed [`UnitTestInput`] — the model (tests, tasks, quality rules,
//! parameters), each task's tables, each task's quality checks, every table's schema
//! and the CSV files the tests name. Output: a [`CheckedTest`] per test without
//! problems — its rows by table, CSV files read into rows — and the problems (T801–
//! T807, T809): a task the flow does not have or `flowc test` cannot run, a table the
//! task does not use, a column the table does not have, a value that does not fit its
//! column, a table whose types are unknown, a rule or parameter the task does not
//! have, a CSV file that is not rows. Pure: no I/O.
//!
//! One file per part: `types` (column types and which values fit them) and
//! `csv_rows` (a CSV file's rows with spans).

mod csv_rows;
pub mod types;

use std::collections::{BTreeMap, BTreeSet};

use crate::columns::RepositoryColumns;
use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::graph::TaskIo;
use crate::model::{Repository, TableName, Task, TaskId, TaskKind, TestRow, TestRows, TestTable, UnitTest};
use crate::quality::Check;

pub use types::SparkType;

/// What the tests are checked against.
pub struct UnitTestInput<'a> {
    /// The model, with its tests.
    pub repository: &'a Repository,
    /// Reads and writes per task.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The quality checks of each task with rules.
    pub quality: &'a BTreeMap<TaskId, Vec<Check>>,
    /// Every table's schema.
    pub columns: &'a RepositoryColumns,
    /// Every file read, the tests' CSV files among them.
    pub sources: &'a SourceMap,
    /// The CSV files the tests name that could be read, by repository path (see
    /// [`csv_path`]).
    pub csv_files: &'a BTreeMap<String, FileId>,
}

/// A test without problems, ready to run.
#[derive(Clone, Debug)]
pub struct CheckedTest {
    /// Its index in [`Repository::unit_tests`].
    pub index: usize,
    /// Its task.
    pub task: TaskId,
    /// The rows given, by table.
    pub given: Vec<TableRows>,
    /// The rows expected, by table.
    pub expect: Vec<TableRows>,
    /// Every table the run needs (created empty unless given): what the task reads
    /// and writes (only what it writes when the task does not run) and what the
    /// checks named read, sorted.
    pub tables: Vec<TableName>,
    /// Those among `tables` the run writes: the task's outputs and the quality
    /// results table (real tables; the others only need to be read).
    pub writes: Vec<TableName>,
}

/// One table's rows in a test.
#[derive(Clone, Debug)]
pub struct TableRows {
    /// The table, by its production name.
    pub table: TableName,
    /// Where the test names it.
    pub span: Span,
    /// Its rows, from the YAML or its CSV file.
    pub rows: Vec<TestRow>,
    /// Expected rows only: compare in this order.
    pub order_by: Vec<String>,
}

/// The repository path of a CSV file a test file names (`csv` is relative to the
/// test file's folder).
pub fn csv_path(test_file: &str, csv: &str) -> String {
    match test_file.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/{csv}"),
        None => csv.to_owned(),
    }
}

/// Checks every test; returns those without problems, and the problems.
pub fn check(input: &UnitTestInput<'_>) -> (Vec<CheckedTest>, Vec<Diagnostic>) {
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for (index, test) in input.repository.unit_tests.iter().enumerate() {
        let before = problems.len();
        if let Some(test) = check_test(input, index, test, &mut problems)
            && problems.len() == before
        {
            checked.push(test);
        }
    }
    (checked, problems)
}

fn check_test(
    input: &UnitTestInput<'_>,
    index: usize,
    test: &UnitTest,
    problems: &mut Vec<Diagnostic>,
) -> Option<CheckedTest> {
    let flow = input.repository.flows.iter().find(|f| f.id == test.flow)?;
    let Some(task) = flow.tasks.iter().find(|t| t.id.task() == test.task.value) else {
        let names = flow.tasks.iter().map(|t| t.id.task());
        let help = did_you_mean(&test.task.value, names.clone())
            .unwrap_or_else(|| format!("its tasks: {}", names.collect::<Vec<_>>().join(", ")));
        problems.push(
            Diagnostic::error(
                Code::UnknownTestTask,
                format!("flow `{}` has no task `{}`", flow.id, test.task.value),
            )
            .at(test.task.span)
            .with_help(help),
        );
        return None;
    };
    if !matches!(task.kind, TaskKind::SparkSql(_)) && test.run_task {
        problems.push(
            Diagnostic::error(
                Code::UnknownTestTask,
                format!(
                    "`{}` is a {} task: flowc test runs the SQL of sparksql tasks",
                    test.task_name(),
                    task.kind.type_name()
                ),
            )
            .at(test.task.span)
            .with_help("test the sparksql tasks that read what it writes; or set `run_task: false` to test its quality rules on given rows"),
        );
        return None;
    }
    check_params(input.repository, flow, task, test, problems);
    let checks = check_rules(input, task, test, problems);
    let io = input.task_io.get(&task.id);
    let writes: BTreeSet<&TableName> = io
        .map(|io| io.writes.iter().map(|t| &t.name).collect())
        .unwrap_or_default();
    let mut readable: BTreeSet<&TableName> = writes.clone();
    readable.extend(checks.iter().flat_map(|c| c.reads.iter().chain([&c.table])));
    if test.run_task {
        readable.extend(io.into_iter().flat_map(|io| io.reads.iter().map(|t| &t.name)));
    }
    let mut tables: Vec<TableName> = readable.iter().map(|t| (*t).clone()).collect();
    // Each check appends its result to the results table, then reads it back.
    let results = &input.repository.project.quality.results_table.value;
    if !checks.is_empty() && !tables.contains(results) {
        tables.push(results.clone());
        tables.sort();
    }
    let context = TableContext {
        input,
        test,
        task: &task.id,
    };
    for table in tables.iter().filter(|t| *t != results) {
        if !test.given.iter().any(|g| &g.table.value == table) {
            context.known_types(table, test.task.span, problems);
        }
    }
    let given = test
        .given
        .iter()
        .filter_map(|given| context.rows(given, &readable, "given", problems))
        .collect();
    let expect = test
        .expect
        .iter()
        .filter_map(|expected| context.rows(expected, &writes, "expect", problems))
        .collect();
    let mut written: Vec<TableName> = writes.iter().map(|t| (*t).clone()).collect();
    if !checks.is_empty() && !written.contains(results) {
        written.push(results.clone());
    }
    Some(CheckedTest {
        index,
        task: task.id.clone(),
        given,
        expect,
        tables,
        writes: written,
    })
}

/// T807: a parameter the task does not have.
fn check_params(
    repository: &Repository,
    flow: &crate::model::Flow,
    task: &Task,
    test: &UnitTest,
    problems: &mut Vec<Diagnostic>,
) {
    let known: BTreeSet<&str> = repository
        .project
        .params
        .keys()
        .chain(flow.params.keys())
        .chain(task.params.keys())
        .map(String::as_str)
        .collect();
    for (name, _) in &test.params {
        if !known.contains(name.value.as_str()) {
            let help = did_you_mean(&name.value, known.iter().copied()).unwrap_or_else(|| {
                "set only parameters of flowc.yaml's, the flow's or the task's `params:` (the business date is `date:`)"
                    .to_owned()
            });
            problems.push(
                Diagnostic::error(
                    Code::UnknownTestParam,
                    format!("task `{}` has no parameter `{}`", test.task_name(), name.value),
                )
                .at(name.span)
                .with_help(help),
            );
        }
    }
}

/// T806: the checks named, each a rule of the task.
fn check_rules<'a>(
    input: &'a UnitTestInput<'_>,
    task: &Task,
    test: &UnitTest,
    problems: &mut Vec<Diagnostic>,
) -> Vec<&'a Check> {
    let checks = input.quality.get(&task.id).map(Vec::as_slice).unwrap_or_default();
    let mut chosen = Vec::new();
    for (rule, _) in &test.checks {
        if let Some(check) = checks.iter().find(|c| c.rule.name.value == rule.value) {
            chosen.push(check);
        } else {
            let names = task.quality.iter().map(|r| r.name.value.as_str());
            let help = did_you_mean(&rule.value, names.clone()).unwrap_or_else(|| {
                let all: Vec<&str> = names.collect();
                if all.is_empty() {
                    "the task has no `quality:` rules".to_owned()
                } else {
                    format!("its rules: {}", all.join(", "))
                }
            });
            problems.push(
                Diagnostic::error(
                    Code::UnknownTestCheck,
                    format!("task `{}` has no quality rule `{}`", test.task_name(), rule.value),
                )
                .at(rule.span)
                .with_help(help),
            );
        }
    }
    chosen
}

struct TableContext<'a> {
    input: &'a UnitTestInput<'a>,
    test: &'a UnitTest,
    task: &'a TaskId,
}

impl TableContext<'_> {
    /// T805 when the table's column types are not all known; its typed columns
    /// (partition columns last) otherwise.
    fn known_types(
        &self,
        table: &TableName,
        at: Span,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Vec<(String, SparkType)>> {
        let schema = self.input.columns.schemas.get(table);
        let untyped: Vec<&str> = schema
            .map(|s| {
                s.columns
                    .iter()
                    .filter(|c| c.data_type.is_none())
                    .map(|c| c.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let Some(schema) = schema.filter(|s| untyped.is_empty() && !s.columns.is_empty()) else {
            let why = if schema.is_none_or(|s| s.columns.is_empty()) {
                "its columns are not known".to_owned()
            } else {
                format!("the types of {} are not known", quoted(&untyped))
            };
            problems.push(
                Diagnostic::error(
                    Code::TestTableSchemaUnknown,
                    format!("test `{}` needs table `{table}`, but {why}", self.test.name.value),
                )
                .at(at)
                .with_help(format!(
                    "declare `{table}` with typed columns (a source under flowc.yaml's `sources:`, or the writing flow's `tables:`): flowc test creates every table {} uses from its schema",
                    self.task
                )),
            );
            return None;
        };
        Some(
            schema
                .columns
                .iter()
                .chain(&schema.partition_columns)
                .map(|c| {
                    (
                        c.name.clone(),
                        SparkType::parse(c.data_type.as_deref().unwrap_or("string")),
                    )
                })
                .collect(),
        )
    }

    /// The rows of `given` or `expect` for `table`: T802 when the task does not use
    /// it that way, T803/T804 for each column and value, T809 for its CSV file.
    fn rows(
        &self,
        table: &TestTable,
        allowed: &BTreeSet<&TableName>,
        key: &str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<TableRows> {
        let name = &table.table.value;
        if !allowed.contains(name) {
            let (verb, listed) = if key == "given" {
                ("use", allowed)
            } else {
                ("write", allowed)
            };
            let list: Vec<String> = listed.iter().map(ToString::to_string).collect();
            let help = did_you_mean(name.as_str(), list.iter().map(String::as_str)).unwrap_or_else(|| {
                format!(
                    "it {verb}s: {}",
                    if list.is_empty() {
                        "nothing".to_owned()
                    } else {
                        list.join(", ")
                    }
                )
            });
            problems.push(
                Diagnostic::error(
                    Code::TestTableNotUsed,
                    format!("task `{}` does not {verb} `{name}`", self.task),
                )
                .at(table.table.span)
                .with_label(format!("under `{key}:`"))
                .with_help(help),
            );
            return None;
        }
        let columns = self.known_types(name, table.table.span, problems)?;
        let rows = match &table.rows {
            TestRows::Inline(rows) => rows.clone(),
            TestRows::Csv(path) => self.csv(path, problems)?,
        };
        let before = problems.len();
        for order in &table.order_by {
            Self::column(&columns, name, &order.value, order.span, problems);
        }
        for value in rows.iter().flat_map(|r| &r.values) {
            let Some(ty) = Self::column(&columns, name, &value.column.value, value.column.span, problems) else {
                continue;
            };
            if let Err(why) = types::fits(&value.value, ty) {
                problems.push(
                    Diagnostic::error(
                        Code::TestValueType,
                        format!("this value does not fit column `{}` of `{name}`", value.column.value),
                    )
                    .at(value.span)
                    .with_label(why)
                    .with_help(format!("`{}` is {}", value.column.value, type_name(ty))),
                );
            }
        }
        (problems.len() == before).then(|| TableRows {
            table: name.clone(),
            span: table.table.span,
            rows,
            order_by: table.order_by.iter().map(|o| o.value.clone()).collect(),
        })
    }

    /// T803 when `table` has no column `column`.
    fn column<'c>(
        columns: &'c [(String, SparkType)],
        table: &TableName,
        column: &str,
        at: Span,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<&'c SparkType> {
        if let Some((_, ty)) = columns.iter().find(|(name, _)| name == column) {
            return Some(ty);
        }
        let names = columns.iter().map(|(name, _)| name.as_str());
        let help = did_you_mean(column, names.clone())
            .unwrap_or_else(|| format!("its columns: {}", names.collect::<Vec<_>>().join(", ")));
        problems.push(
            Diagnostic::error(
                Code::UnknownTestColumn,
                format!("table `{table}` has no column `{column}`"),
            )
            .at(at)
            .with_help(help),
        );
        None
    }

    /// The rows of a CSV file, or T809 / the reason it could not be read (the
    /// compiler reported a missing file already).
    fn csv(&self, path: &crate::model::Spanned<String>, problems: &mut Vec<Diagnostic>) -> Option<Vec<TestRow>> {
        let test_file = self.input.sources.file(self.test.file).path();
        let file = *self.input.csv_files.get(&csv_path(test_file, &path.value))?;
        match csv_rows::rows(file, self.input.sources.file(file).text()) {
            Ok(rows) => Some(rows),
            Err(problem) => {
                problems.push(*problem);
                None
            }
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// A type as a user reads it in a message.
fn type_name(ty: &SparkType) -> String {
    match ty {
        SparkType::Boolean => "a boolean".to_owned(),
        SparkType::Integral(min, max) => format!("{} (an integer from {min} to {max})", ty.sql()),
        SparkType::Floating => "a floating-point number".to_owned(),
        SparkType::Decimal(precision, scale) => format!("decimal({precision},{scale})"),
        SparkType::Text(Some(limit)) => format!("text of at most {limit} characters"),
        SparkType::Text(None) => "text".to_owned(),
        SparkType::Date => "a date (YYYY-MM-DD)".to_owned(),
        SparkType::Timestamp => "a timestamp (YYYY-MM-DD HH:MM:SS)".to_owned(),
        SparkType::Array(_) => "an array (a YAML sequence)".to_owned(),
        SparkType::Map(..) => "a map (a YAML mapping)".to_owned(),
        SparkType::Struct(_) => "a struct (a YAML mapping of its fields)".to_owned(),
        SparkType::Other => "a value Spark casts".to_owned(),
    }
}
