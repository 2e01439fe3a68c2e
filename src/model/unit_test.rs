//! SQL unit tests: rows given for the tables a task reads, rows expected in the tables
//! it writes, outcomes expected of its quality rules (`flows/<flow>/tests/*.yaml`).

use chrono::NaiveDate;

use super::{FlowId, ParamValue, Spanned, TableName};
use crate::diagnostic::{FileId, Span};

/// One test of one task.
#[derive(Clone, Debug)]
pub struct UnitTest {
    /// The flow whose folder holds the test file.
    pub flow: FlowId,
    /// The test file.
    pub file: FileId,
    /// Its name, unique within the flow.
    pub name: Spanned<String>,
    /// What it proves.
    pub description: Option<String>,
    /// The task it runs, a task of `flow`.
    pub task: Spanned<String>,
    /// The business date, `${bizdate}`.
    pub date: Spanned<NaiveDate>,
    /// Parameter values over the task's and the flow's.
    pub params: Vec<(Spanned<String>, ParamValue)>,
    /// Rows given, by table.
    pub given: Vec<TestTable>,
    /// Rows expected after the run, by table.
    pub expect: Vec<TestTable>,
    /// Quality rules and the outcome expected of each.
    pub checks: Vec<(Spanned<String>, CheckOutcome)>,
    /// Whether the task runs (`false`: only its checks, on the given rows).
    pub run_task: bool,
}

impl UnitTest {
    /// `flow.task`.
    pub fn task_name(&self) -> String {
        format!("{}.{}", self.flow, self.task.value)
    }
}

/// The outcome of a quality rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckOutcome {
    /// It passed.
    Pass,
    /// A weak rule did not pass.
    Warn,
    /// A strong rule did not pass.
    Fail,
}

impl CheckOutcome {
    /// `pass`, `warn` or `fail`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }

    /// The outcome named `word`.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "pass" => Some(Self::Pass),
            "warn" => Some(Self::Warn),
            "fail" => Some(Self::Fail),
            _ => None,
        }
    }
}

/// The rows of one table in a test.
#[derive(Clone, Debug)]
pub struct TestTable {
    /// The table, by its production name, where the test names it.
    pub table: Spanned<TableName>,
    /// Its rows.
    pub rows: TestRows,
    /// Expected rows only: compare in this order.
    pub order_by: Vec<Spanned<String>>,
}

/// Rows written in the test file, or in a CSV file beside it.
#[derive(Clone, Debug)]
pub enum TestRows {
    /// Rows in the YAML.
    Inline(Vec<TestRow>),
    /// A CSV file: its path as written (relative to the test file) and where.
    Csv(Spanned<String>),
}

/// One row: its values in the order written.
#[derive(Clone, Debug)]
pub struct TestRow {
    /// The row (a YAML mapping or a CSV line).
    pub span: Span,
    /// Column → value.
    pub values: Vec<TestValue>,
}

/// One column's value in a row.
#[derive(Clone, Debug)]
pub struct TestValue {
    /// The column, lower case, and where its name is written.
    pub column: Spanned<String>,
    /// The value.
    pub value: Cell,
    /// Where the value is written.
    pub span: Span,
}

/// A value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// `null`, `~`, or an empty CSV field.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// Text (a quoted or plain YAML string, a CSV field).
    Text(String),
    /// A YAML sequence: an array.
    List(Vec<(Cell, Span)>),
    /// A YAML mapping: a map or a struct.
    Map(Vec<(String, Cell, Span)>),
}
