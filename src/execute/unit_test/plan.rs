//! One unit test as SQL: its own databases (every database mapped through the same
//! syntax-tree rewrite environments use), the tables it needs created from their
//! schemas, its rows inserted, the task's SQL and its checks rendered for the test's
//! business date, and the queries that read back what to compare.

use std::collections::{BTreeMap, BTreeSet};

use crate::compiler::{CheckReport, scratch_environment};
use crate::dags::RunDate;
use crate::execute::{self, RunInput, RunRequest, Work};
use crate::model::{AirflowVersion, Cell, CheckOutcome, Environment, Spanned, TableName, TestRow, UnitTest};
use crate::render::ddl::{DdlTable, create_database, create_table, identifier, string_literal, table_name};
use crate::unit_tests::{CheckedTest, SparkType, TableRows};

/// One SQL text and the Spark conf it runs with.
#[derive(Clone, Debug)]
pub struct SqlStep {
    /// The statements.
    pub sql: String,
    /// `spark.sql.*` settings of its session.
    pub conf: BTreeMap<String, String>,
}

/// A quality rule to run, and the outcome the test expects.
#[derive(Clone, Debug)]
pub struct CheckStep {
    /// The rule's name.
    pub rule: String,
    /// What the test expects.
    pub expected: CheckOutcome,
    /// Its SQL, rendered.
    pub step: SqlStep,
}

/// One table to read back and compare.
#[derive(Clone, Debug)]
pub struct TableRead {
    /// The table by its production name.
    pub table: TableName,
    /// Each expected row (its partition columns filled in) and the query that shows
    /// its values as Spark casts them: one JSON line.
    pub expected: Vec<(TestRow, String)>,
    /// The query that prints the written rows as JSON lines (NULL columns left out).
    pub actual: String,
    /// Every column of the table, partition columns last.
    pub columns: Vec<String>,
    /// Its partition columns.
    pub partitions: BTreeSet<String>,
    /// Columns compared with a tolerance (float, double).
    pub floating: BTreeSet<String>,
    /// Compare in order.
    pub ordered: bool,
}

/// Everything one test runs, in order.
#[derive(Clone, Debug)]
pub struct TestPlan {
    /// Creates its databases and tables and inserts the given rows.
    pub setup: SqlStep,
    /// The task's SQL, unless the test only runs checks.
    pub task: Option<SqlStep>,
    /// The checks named.
    pub checks: Vec<CheckStep>,
    /// What to compare.
    pub reads: Vec<TableRead>,
    /// Drops its databases: for a Spark that outlives the run, once every test ran.
    pub cleanup: String,
}

/// The SQL of `checked` (test `test`), its databases named `<prefix>_<database>`.
pub fn plan(
    report: &CheckReport,
    base: &Environment,
    version: AirflowVersion,
    checked: &CheckedTest,
    test: &UnitTest,
    prefix: &str,
) -> Result<TestPlan, String> {
    let Some(repository) = report.repository.as_ref() else {
        return Err("the repository has errors".to_owned());
    };
    let environment = Environment {
        databases: BTreeMap::new(),
        every_database: Some(Spanned {
            value: format!("{prefix}_*"),
            span: base.span,
        }),
        ..base.clone()
    };
    let (dags, ddl) = scratch_environment(report, &environment, version).map_err(|e| e.to_string())?;
    let bizdate = test.date.value.format("%Y-%m-%d").to_string();
    let mut tables: Vec<DdlTable> = Vec::new();
    for name in &checked.tables {
        let mapped = environment.table(name);
        let Some(table) = ddl.table(&mapped) else {
            return Err(format!(
                "flowc does not know the column types of `{name}`: declare them"
            ));
        };
        tables.push(DdlTable {
            location: None,
            ..table.clone()
        });
    }
    let setup = setup_sql(&tables, checked, &environment, &bizdate);
    let request = RunRequest {
        flow: test.flow.as_str().to_owned(),
        task: Some(test.task.value.clone()),
        date: test.date.value,
        with_checks: !test.checks.is_empty(),
    };
    let (dag, tasks) = execute::select(&dags, &request).map_err(|e| e.to_string())?;
    let run = execute::run_date_of(repository, dag, test.date.value).ok_or("the flow is not in the repository")?;
    let files: BTreeMap<String, Vec<u8>> = dags
        .sql_files
        .iter()
        .map(|(path, text)| (format!("dags/{path}"), text.clone().into_bytes()))
        .collect();
    let params = test
        .params
        .iter()
        .map(|(name, value)| (name.value.clone(), value.to_json()))
        .collect();
    let input = RunInput {
        repository,
        environment: &environment,
        files: &files,
        runners: &environment.runners,
        run_dir: ".",
        params: &params,
    };
    let mut task_step = None;
    let mut checks = Vec::new();
    for task in tasks {
        let step = execute::prepare(&input, dag, task, &run, &BTreeMap::new()).map_err(|e| e.to_string())?;
        let Work::SparkSql { sql, conf, .. } = step.work else {
            continue;
        };
        let step = SqlStep {
            sql,
            conf: session_conf(&conf),
        };
        match &task.quality {
            Some(quality) => {
                if let Some((_, expected)) = test.checks.iter().find(|(rule, _)| rule.value == quality.rule) {
                    checks.push(CheckStep {
                        rule: quality.rule.clone(),
                        expected: *expected,
                        step,
                    });
                }
            }
            None if test.run_task && task.partition.is_none() => task_step = Some(step),
            None => {}
        }
    }
    let reads = checked
        .expect
        .iter()
        .map(|expected| table_read(expected, &tables, &environment, &bizdate, &run))
        .collect::<Result<_, _>>()?;
    let cleanup = environment_databases(&tables)
        .iter()
        .map(|db| format!("DROP DATABASE IF EXISTS {} CASCADE", identifier(db)))
        .collect::<Vec<_>>()
        .join(";\n");
    Ok(TestPlan {
        setup,
        task: task_step,
        checks,
        reads,
        cleanup,
    })
}

/// The session conf of a step: the task's `spark.sql.*` settings (others, such as
/// executor memory, are the cluster's), with one shuffle partition for a few rows.
fn session_conf(conf: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut session: BTreeMap<String, String> = conf
        .iter()
        .filter(|(key, _)| key.starts_with("spark.sql."))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    session.insert("spark.sql.shuffle.partitions".to_owned(), "1".to_owned());
    session
}

fn environment_databases(tables: &[DdlTable]) -> BTreeSet<String> {
    tables
        .iter()
        .filter_map(|t| t.name.database().map(str::to_owned))
        .collect()
}

/// CREATE DATABASE for the test's databases; CREATE TABLE (from its DDL) for each
/// table the run writes, with an INSERT of its given rows; a view of its given rows
/// (typed as its schema says) for each table the run only reads, which costs no
/// Spark job and no files.
fn setup_sql(tables: &[DdlTable], checked: &CheckedTest, environment: &Environment, bizdate: &str) -> SqlStep {
    let mut statements: Vec<String> = environment_databases(tables)
        .iter()
        .map(|db| create_database(db))
        .collect();
    for table in tables {
        let given = checked
            .given
            .iter()
            .find(|g| environment.table(&g.table) == table.name)
            .map(|g| g.rows.as_slice())
            .unwrap_or_default();
        let written = checked.writes.iter().any(|w| environment.table(w) == table.name);
        if written {
            statements.push(create_table(table));
            if !given.is_empty() {
                statements.push(format!(
                    "INSERT INTO TABLE {} VALUES\n{}",
                    table_name(&table.name),
                    rows_sql(table, given, bizdate).join(",\n")
                ));
            }
        } else {
            statements.push(format!(
                "CREATE VIEW {} AS\n{}",
                table_name(&table.name),
                view_query(table, given, bizdate)
            ));
        }
    }
    let conf = BTreeMap::from([
        ("hive.exec.dynamic.partition".to_owned(), "true".to_owned()),
        ("hive.exec.dynamic.partition.mode".to_owned(), "nonstrict".to_owned()),
    ]);
    SqlStep {
        sql: statements.join(";\n"),
        conf,
    }
}

/// Every column of the table, partition columns last, with whether it is one.
fn all_columns(table: &DdlTable) -> impl Iterator<Item = (&crate::render::ddl::DdlColumn, bool)> {
    table
        .columns
        .iter()
        .map(|c| (c, false))
        .chain(table.partition_columns.iter().map(|c| (c, true)))
}

/// `(v1, v2, …)` of each row: every column of the table, typed.
fn rows_sql(table: &DdlTable, rows: &[TestRow], bizdate: &str) -> Vec<String> {
    rows.iter()
        .map(|row| {
            let values: Vec<String> = all_columns(table)
                .map(|(column, partition)| {
                    let cell = value_of(row, &column.name, partition, &column.data_type, bizdate);
                    literal(&cell, &column.data_type)
                })
                .collect();
            format!("({})", values.join(", "))
        })
        .collect()
}

/// The query of a view holding `rows` with the table's columns and types.
fn view_query(table: &DdlTable, rows: &[TestRow], bizdate: &str) -> String {
    let names: Vec<String> = all_columns(table).map(|(c, _)| identifier(&c.name)).collect();
    if rows.is_empty() {
        let typed: Vec<String> = all_columns(table)
            .map(|(c, _)| format!("{} AS {}", literal(&Cell::Null, &c.data_type), identifier(&c.name)))
            .collect();
        return format!("SELECT * FROM (SELECT {}) empty WHERE false", typed.join(", "));
    }
    format!(
        "SELECT * FROM VALUES\n{}\nAS given({})",
        rows_sql(table, rows, bizdate).join(",\n"),
        names.join(", ")
    )
}

/// A row's value of `column`: as given, the business date for a partition column of
/// text or date type not given, else NULL.
fn value_of(row: &TestRow, column: &str, partition: bool, data_type: &str, bizdate: &str) -> Cell {
    if let Some(value) = row.values.iter().find(|v| v.column.value == column) {
        return value.value.clone();
    }
    match SparkType::parse(data_type) {
        SparkType::Text(_) | SparkType::Date if partition => Cell::Text(bizdate.to_owned()),
        _ => Cell::Null,
    }
}

/// `row` with the partition columns it does not give set to the business date.
fn with_partitions(row: &TestRow, table: &DdlTable, bizdate: &str) -> TestRow {
    let mut row = row.clone();
    for column in &table.partition_columns {
        if !row.values.iter().any(|v| v.column.value == column.name) {
            let cell = value_of(&row, &column.name, true, &column.data_type, bizdate);
            row.values.push(crate::model::TestValue {
                column: Spanned {
                    value: column.name.clone(),
                    span: row.span,
                },
                value: cell,
                span: row.span,
            });
        }
    }
    row
}

fn table_read(
    expected: &TableRows,
    tables: &[DdlTable],
    environment: &Environment,
    bizdate: &str,
    _run: &RunDate,
) -> Result<TableRead, String> {
    let mapped = environment.table(&expected.table);
    let Some(table) = tables.iter().find(|t| t.name == mapped) else {
        return Err(format!("`{}` is not among the test's tables", expected.table));
    };
    let types: BTreeMap<&str, &str> = table
        .columns
        .iter()
        .chain(&table.partition_columns)
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    let rows: Vec<TestRow> = expected
        .rows
        .iter()
        .map(|r| with_partitions(r, table, bizdate))
        .collect();
    let expected_queries = rows
        .iter()
        .map(|row| {
            let fields: Vec<String> = row
                .values
                .iter()
                .map(|v| {
                    let ty = types.get(v.column.value.as_str()).copied().unwrap_or("string");
                    format!(
                        "{}, CAST({} AS STRING)",
                        string_literal(&v.column.value),
                        literal(&v.value, ty)
                    )
                })
                .collect();
            format!("SELECT to_json(named_struct({}))", fields.join(", "))
        })
        .collect::<Vec<_>>();
    let all: Vec<String> = table
        .columns
        .iter()
        .chain(&table.partition_columns)
        .map(|c| format!("{}, CAST({} AS STRING)", string_literal(&c.name), identifier(&c.name)))
        .collect();
    let filter = partition_filter(table, &rows, bizdate);
    let order = if expected.order_by.is_empty() {
        String::new()
    } else {
        let columns: Vec<String> = expected.order_by.iter().map(|c| identifier(c)).collect();
        format!(" ORDER BY {}", columns.join(", "))
    };
    let actual = format!(
        "SELECT to_json(named_struct({})) FROM {}{filter}{order}",
        all.join(", "),
        table_name(&table.name)
    );
    let floating = types
        .iter()
        .filter(|(_, ty)| SparkType::parse(ty).is_floating())
        .map(|(name, _)| (*name).to_owned())
        .collect();
    Ok(TableRead {
        table: expected.table.clone(),
        expected: rows.into_iter().zip(expected_queries).collect(),
        actual,
        columns: all_columns(table).map(|(c, _)| c.name.clone()).collect(),
        partitions: table.partition_columns.iter().map(|c| c.name.clone()).collect(),
        floating,
        ordered: !expected.order_by.is_empty(),
    })
}

/// ` WHERE` the partitions the expected rows name (the business date's when none).
fn partition_filter(table: &DdlTable, rows: &[TestRow], bizdate: &str) -> String {
    if table.partition_columns.is_empty() {
        return String::new();
    }
    let mut partitions: BTreeSet<String> = BTreeSet::new();
    let empty = TestRow {
        span: crate::diagnostic::Span::file_start(crate::diagnostic::FileId::from_index(0)),
        values: Vec::new(),
    };
    let rows: Vec<&TestRow> = if rows.is_empty() {
        vec![&empty]
    } else {
        rows.iter().collect()
    };
    for row in rows {
        let parts: Vec<String> = table
            .partition_columns
            .iter()
            .map(|column| {
                let cell = value_of(row, &column.name, true, &column.data_type, bizdate);
                match cell {
                    Cell::Null => format!("{} IS NULL", identifier(&column.name)),
                    cell => format!(
                        "CAST({} AS STRING) = CAST({} AS STRING)",
                        identifier(&column.name),
                        literal(&cell, &column.data_type)
                    ),
                }
            })
            .collect();
        partitions.insert(format!("({})", parts.join(" AND ")));
    }
    format!(" WHERE {}", partitions.into_iter().collect::<Vec<_>>().join(" OR "))
}

/// `cell` as a Spark SQL expression of type `data_type`.
pub(super) fn literal(cell: &Cell, data_type: &str) -> String {
    format!(
        "CAST({} AS {data_type})",
        expression(cell, &SparkType::parse(data_type))
    )
}

fn expression(cell: &Cell, ty: &SparkType) -> String {
    match (cell, ty) {
        (Cell::Bool(flag), _) => flag.to_string(),
        (Cell::Number(text) | Cell::Text(text), _) => string_literal(text),
        (Cell::List(items), SparkType::Array(element)) => {
            let items: Vec<String> = items.iter().map(|(item, _)| typed(item, element)).collect();
            format!("array({})", items.join(", "))
        }
        (Cell::Map(entries), SparkType::Struct(fields)) => {
            let values: Vec<String> = fields
                .iter()
                .map(|(name, field)| {
                    let value = entries
                        .iter()
                        .find(|(key, _, _)| key.eq_ignore_ascii_case(name))
                        .map_or(Cell::Null, |(_, value, _)| value.clone());
                    format!("{}, {}", string_literal(name), typed(&value, field))
                })
                .collect();
            format!("named_struct({})", values.join(", "))
        }
        (Cell::Map(entries), SparkType::Map(key, value)) => {
            let pairs: Vec<String> = entries
                .iter()
                .map(|(name, item, _)| format!("{}, {}", typed(&Cell::Text(name.clone()), key), typed(item, value)))
                .collect();
            format!("map({})", pairs.join(", "))
        }
        // A list or mapping for another type was reported by the check.
        (Cell::Null | Cell::List(_) | Cell::Map(_), _) => "NULL".to_owned(),
    }
}

/// An element of a complex value, cast to its own type.
fn typed(cell: &Cell, ty: &SparkType) -> String {
    format!("CAST({} AS {})", expression(cell, ty), ty.sql())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Span};

    fn at() -> Span {
        Span::file_start(FileId::from_index(0))
    }

    #[test]
    fn values_become_typed_spark_literals_that_no_text_can_escape() {
        assert_eq!(literal(&Cell::Null, "bigint"), "CAST(NULL AS bigint)");
        assert_eq!(
            literal(&Cell::Number("10.50".into()), "decimal(18,2)"),
            "CAST('10.50' AS decimal(18,2))"
        );
        assert_eq!(
            literal(&Cell::Text("it's ${x}".into()), "string"),
            format!("CAST({} AS string)", string_literal("it's ${x}"))
        );
        assert!(!literal(&Cell::Text("'; DROP TABLE t; --".into()), "string").contains("';"));
        let list = Cell::List(vec![(Cell::Number("1".into()), at()), (Cell::Null, at())]);
        assert_eq!(
            literal(&list, "array<int>"),
            "CAST(array(CAST('1' AS int), CAST(NULL AS int)) AS array<int>)"
        );
        let map = Cell::Map(vec![("a".into(), Cell::Number("1".into()), at())]);
        assert_eq!(
            literal(&map, "map<string,bigint>"),
            "CAST(map(CAST('a' AS string), CAST('1' AS bigint)) AS map<string,bigint>)"
        );
        assert_eq!(
            literal(&map, "struct<a:int,b:string>"),
            "CAST(named_struct('a', CAST('1' AS int), 'b', CAST(NULL AS string)) AS struct<a:int,b:string>)"
        );
    }
}
