//! `flowc test`'s runs: each unit test planned as SQL ([`plan`]), run on a Spark
//! through a [`SqlSession`], and its written rows and check outcomes compared with
//! what it expects ([`compare`]).

pub mod compare;
pub mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

pub use compare::{TableDiff, Values};
pub use plan::{TestPlan, plan};

use crate::execute::process::quality_result;
use crate::model::CheckOutcome;

/// Where SQL runs: a connection to a Spark.
pub trait SqlSession {
    /// Runs `text` (statements separated by `;`) in a new Spark session with `conf`;
    /// the rows it printed (one line each), or Spark's message.
    fn sql(&mut self, text: &str, conf: &BTreeMap<String, String>) -> Result<Vec<String>, String>;
}

/// How one test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every expected row and check outcome matched.
    Passed,
    /// The task failed, or rows or outcomes differ.
    Failed,
    /// flowc could not set the test up or read its result.
    Error,
}

impl Verdict {
    /// `pass`, `fail` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "pass",
            Self::Failed => "fail",
            Self::Error => "error",
        }
    }
}

/// A check's outcome in a test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The rule.
    pub rule: String,
    /// What the test expects.
    pub expected: CheckOutcome,
    /// What it gave; `None` when it could not run (see `line`).
    pub got: Option<CheckOutcome>,
    /// Its `flowc-dq` line, or Spark's message.
    pub line: String,
}

/// What running one test found.
#[derive(Clone, Debug)]
pub struct TestOutcome {
    /// How it ended.
    pub verdict: Verdict,
    /// Why the task or the set-up failed, in Spark's words.
    pub message: Option<String>,
    /// Each expected table compared (empty ones when the task failed).
    pub tables: Vec<TableDiff>,
    /// Each check named.
    pub checks: Vec<CheckResult>,
    /// How long it took.
    pub duration: Duration,
}

/// Runs `plan` on `session`; its databases stay (see [`TestPlan::cleanup`]).
pub fn run(session: &mut dyn SqlSession, plan: &TestPlan) -> TestOutcome {
    let began = Instant::now();
    let mut outcome = run_steps(session, plan);
    outcome.duration = began.elapsed();
    outcome
}

fn run_steps(session: &mut dyn SqlSession, plan: &TestPlan) -> TestOutcome {
    let mut outcome = TestOutcome {
        verdict: Verdict::Passed,
        message: None,
        tables: Vec::new(),
        checks: Vec::new(),
        duration: Duration::ZERO,
    };
    if let Err(message) = session.sql(&plan.setup.sql, &plan.setup.conf) {
        outcome.verdict = Verdict::Error;
        outcome.message = Some(format!("creating the test's tables failed: {message}"));
        return outcome;
    }
    if let Some(task) = &plan.task
        && let Err(message) = session.sql(&task.sql, &task.conf)
    {
        outcome.verdict = Verdict::Failed;
        outcome.message = Some(format!("the task failed: {message}"));
        return outcome;
    }
    for check in &plan.checks {
        let (got, line) = match session.sql(&check.step.sql, &check.step.conf) {
            Ok(lines) => match lines.iter().find_map(|l| l.find("flowc-dq ").map(|at| &l[at..])) {
                Some(line) => (outcome_of(line), line.to_owned()),
                None => (None, "the check printed no flowc-dq line".to_owned()),
            },
            Err(message) => match message.find("flowc-dq ") {
                Some(at) => (outcome_of(&message[at..]), message[at..].to_owned()),
                None => (None, message),
            },
        };
        if got != Some(check.expected) {
            outcome.verdict = Verdict::Failed;
        }
        outcome.checks.push(CheckResult {
            rule: check.rule.clone(),
            expected: check.expected,
            got,
            line: first_line(&line),
        });
    }
    for read in &plan.reads {
        let mut queries: Vec<&str> = read.expected.iter().map(|(_, q)| q.as_str()).collect();
        queries.push(&read.actual);
        let lines = match session.sql(&queries.join(";\n"), &BTreeMap::new()) {
            Ok(lines) => lines,
            Err(message) => {
                outcome.verdict = Verdict::Error;
                outcome.message = Some(format!("reading `{}` failed: {message}", read.table));
                return outcome;
            }
        };
        let (expected_lines, written_lines) = lines.split_at(read.expected.len().min(lines.len()));
        let expected: Vec<Values> = read
            .expected
            .iter()
            .zip(expected_lines)
            .map(|((row, _), line)| {
                let parsed = parse(line);
                row.values
                    .iter()
                    .map(|v| (v.column.value.clone(), parsed.get(&v.column.value).cloned().flatten()))
                    .collect()
            })
            .collect();
        let written: Vec<Values> = written_lines.iter().map(|line| parse(line)).collect();
        let diff = compare::compare(&read.table, &expected, &written, &read.floating, read.ordered);
        if !diff.is_empty() {
            outcome.verdict = Verdict::Failed;
        }
        outcome.tables.push(diff);
    }
    outcome
}

fn outcome_of(line: &str) -> Option<CheckOutcome> {
    quality_result(line).and_then(|(word, _)| CheckOutcome::parse(word))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// A JSON line of `to_json(named_struct(…))`: column → text; a column left out is NULL.
fn parse(line: &str) -> Values {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(line) else {
        return Values::new();
    };
    object
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(text) => Some(text),
                other => Some(other.to_string()),
            };
            (key, text)
        })
        .collect()
}

/// The columns compared in a test's tables, for messages.
pub fn columns_of(rows: &[Values]) -> BTreeSet<&str> {
    rows.iter().flat_map(|r| r.keys().map(String::as_str)).collect()
}
