//! `flowc test`'s reports: human, JSON, JUnit XML and GitHub annotations.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;

use crate::diagnostic::render::github::{escape_data as data, escape_property as property};
use crate::diagnostic::{SourceMap, Span};
use crate::execute::unit_test::{TableDiff, TestOutcome, Values, Verdict};
use crate::model::{CheckOutcome, UnitTest};
use crate::unit_tests::CheckedTest;

/// One test and how it ended.
pub(super) struct Finished<'a> {
    pub(super) test: &'a UnitTest,
    pub(super) checked: &'a CheckedTest,
    pub(super) outcome: TestOutcome,
}

/// How long the run took.
pub(super) struct Timing {
    /// Starting (or reaching) the Spark.
    pub(super) startup: Duration,
    /// Whether flowc started it.
    pub(super) started_here: bool,
    /// Running the tests, after start-up.
    pub(super) total: Duration,
}

/// `path:line:col` of a span.
fn at(span: Span, sources: &SourceMap) -> String {
    let position = sources.line_col(span);
    format!(
        "{}:{}:{}",
        sources.file(span.file).path(),
        position.line,
        position.column
    )
}

/// The test's name as reports show it: `flow.task test`.
fn title(finished: &Finished<'_>) -> String {
    format!("{} {}", finished.test.task_name(), finished.test.name.value)
}

/// One line per test, then each failure in detail, then the summary.
pub(super) fn human(finished: &[Finished<'_>], sources: &SourceMap, timing: &Timing) -> String {
    let mut out = String::new();
    for f in finished {
        let word = match f.outcome.verdict {
            Verdict::Passed => "PASS ",
            Verdict::Failed => "FAIL ",
            Verdict::Error => "ERROR",
        };
        let _ = writeln!(out, "{word} {} ({:.2} s)", title(f), f.outcome.duration.as_secs_f64());
    }
    for f in finished.iter().filter(|f| f.outcome.verdict != Verdict::Passed) {
        let _ = writeln!(out, "\n--- {} {}", f.outcome.verdict.as_str().to_uppercase(), title(f));
        let _ = writeln!(out, "  --> {}", at(f.test.name.span, sources));
        out.push_str(&details(f, sources));
    }
    let passed = finished.iter().filter(|f| f.outcome.verdict == Verdict::Passed).count();
    let failed = finished.iter().filter(|f| f.outcome.verdict == Verdict::Failed).count();
    let errors = finished.len() - passed - failed;
    let count = u32::try_from(finished.len().max(1)).unwrap_or(u32::MAX);
    let per_test = timing.total.as_secs_f64() / f64::from(count);
    let spark = if timing.started_here {
        format!("local Spark started in {:.1} s", timing.startup.as_secs_f64())
    } else {
        "on a running local Spark".to_owned()
    };
    let _ = writeln!(
        out,
        "\n{} test(s): {passed} passed, {failed} failed, {errors} error(s) in {:.1} s ({per_test:.2} s per test; {spark})",
        finished.len(),
        timing.total.as_secs_f64()
    );
    out
}

/// What went wrong in one test: Spark's message, each table's differences, each
/// check whose outcome differs.
fn details(f: &Finished<'_>, sources: &SourceMap) -> String {
    let mut out = String::new();
    if let Some(message) = &f.outcome.message {
        for line in message.lines().take(20) {
            let _ = writeln!(out, "  {line}");
        }
    }
    for diff in f.outcome.tables.iter().filter(|d| !d.is_empty()) {
        out.push_str(&table_details(f, diff, sources));
    }
    for check in &f.outcome.checks {
        if check.got != Some(check.expected) {
            let got = check.got.map_or("no outcome", |g| g.as_str());
            let _ = writeln!(
                out,
                "  check `{}`: expected {}, got {got}\n      {}",
                check.rule,
                check.expected.as_str(),
                check.line
            );
        }
    }
    out
}

fn table_details(f: &Finished<'_>, diff: &TableDiff, sources: &SourceMap) -> String {
    let rows = f
        .checked
        .expect
        .iter()
        .find(|e| e.table == diff.table)
        .map(|e| e.rows.as_slice())
        .unwrap_or_default();
    let row_at = |index: usize| rows.get(index).map(|r| at(r.span, sources)).unwrap_or_default();
    let mut out = format!(
        "  {}: {} row(s) expected, {} written\n",
        diff.table, diff.expected_rows, diff.written_rows
    );
    for changed in &diff.changed {
        let _ = writeln!(
            out,
            "    row {} ({}) differs:",
            changed.expected + 1,
            row_at(changed.expected)
        );
        for (column, want, got) in &changed.differences {
            let _ = writeln!(
                out,
                "        {column}: expected {}, got {}",
                shown(want.as_ref()),
                shown(got.as_ref())
            );
        }
    }
    for (index, values) in &diff.missing {
        let _ = writeln!(
            out,
            "    missing row {} ({}): {}",
            index + 1,
            row_at(*index),
            row_text(values)
        );
    }
    for values in &diff.unexpected {
        let _ = writeln!(out, "    not expected: {}", row_text(values));
    }
    out
}

/// A value as the report shows it: plain when it reads unambiguously, else quoted.
fn shown(value: Option<&String>) -> String {
    match value {
        None => "NULL".to_owned(),
        Some(text)
            if !text.is_empty()
                && text != "NULL"
                && text.chars().all(|c| c.is_alphanumeric() || "-_.:+ ".contains(c))
                && !text.starts_with(' ')
                && !text.ends_with(' ') =>
        {
            text.clone()
        }
        Some(text) => format!("{text:?}"),
    }
}

fn row_text(values: &Values) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|(k, v)| format!("{k}: {}", shown(v.as_ref())))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// One JSON document: each test with its outcome, and the summary.
pub(super) fn json(finished: &[Finished<'_>], sources: &SourceMap, timing: &Timing) -> String {
    let tests: Vec<serde_json::Value> = finished
        .iter()
        .map(|f| {
            let tables: Vec<serde_json::Value> = f
                .outcome
                .tables
                .iter()
                .map(|d| {
                    json!({
                        "table": d.table.as_str(),
                        "expected_rows": d.expected_rows,
                        "written_rows": d.written_rows,
                        "changed": d.changed.iter().map(|c| json!({
                            "row": c.expected + 1,
                            "differences": c.differences.iter().map(|(col, want, got)| json!({"column": col, "expected": want, "got": got})).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                        "missing": d.missing.iter().map(|(i, v)| json!({"row": i + 1, "values": v})).collect::<Vec<_>>(),
                        "unexpected": d.unexpected,
                    })
                })
                .collect();
            let checks: Vec<serde_json::Value> = f
                .outcome
                .checks
                .iter()
                .map(|c| json!({"rule": c.rule, "expected": c.expected.as_str(), "got": c.got.map(CheckOutcome::as_str), "line": c.line}))
                .collect();
            let position = sources.line_col(f.test.name.span);
            json!({
                "flow": f.test.flow.as_str(),
                "task": f.test.task.value,
                "name": f.test.name.value,
                "file": sources.file(f.test.file).path(),
                "line": position.line,
                "column": position.column,
                "outcome": f.outcome.verdict.as_str(),
                "message": f.outcome.message,
                "seconds": f.outcome.duration.as_secs_f64(),
                "tables": tables,
                "checks": checks,
            })
        })
        .collect();
    let count = |v: Verdict| finished.iter().filter(|f| f.outcome.verdict == v).count();
    let value = json!({
        "tests": tests,
        "summary": {
            "tests": finished.len(),
            "passed": count(Verdict::Passed),
            "failed": count(Verdict::Failed),
            "errors": count(Verdict::Error),
            "seconds": timing.total.as_secs_f64(),
            "spark_startup_seconds": timing.started_here.then_some(timing.startup.as_secs_f64()),
        }
    });
    format!("{value:#}\n")
}

/// JUnit XML: one test suite per flow, one test case per test.
pub(super) fn junit(finished: &[Finished<'_>], sources: &SourceMap, timing: &Timing) -> String {
    let count = |v: Verdict| finished.iter().filter(|f| f.outcome.verdict == v).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"flowc test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        finished.len(),
        count(Verdict::Failed),
        count(Verdict::Error),
        timing.total.as_secs_f64()
    );
    let mut flows: Vec<&str> = finished.iter().map(|f| f.test.flow.as_str()).collect();
    flows.dedup();
    for flow in flows {
        let cases: Vec<&Finished<'_>> = finished.iter().filter(|f| f.test.flow.as_str() == flow).collect();
        let failures = cases.iter().filter(|f| f.outcome.verdict == Verdict::Failed).count();
        let errors = cases.iter().filter(|f| f.outcome.verdict == Verdict::Error).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
            xml(flow),
            cases.len()
        );
        for f in cases {
            let position = sources.line_col(f.test.name.span);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                xml(&f.test.task_name()),
                xml(&f.test.name.value),
                xml(sources.file(f.test.file).path()),
                position.line,
                f.outcome.duration.as_secs_f64()
            );
            let element = match f.outcome.verdict {
                Verdict::Passed => {
                    out.push_str("/>\n");
                    continue;
                }
                Verdict::Failed => "failure",
                Verdict::Error => "error",
            };
            let text = details(f, sources);
            let message = text.lines().next().unwrap_or_default().trim();
            let _ = writeln!(
                out,
                ">\n      <{element} message=\"{}\">{}</{element}>\n    </testcase>",
                xml(message),
                xml(&text)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text for XML: escaped, with the characters XML 1.0 cannot hold left out.
fn xml(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || !c.is_control())
        .collect();
    quick_xml::escape::escape(allowed.as_str()).into_owned()
}

/// `::error file=…,line=…,col=…,title=…::message` for each test that did not pass.
pub(super) fn github(finished: &[Finished<'_>], sources: &SourceMap, path_prefix: &str) -> String {
    let mut out = String::new();
    for f in finished.iter().filter(|f| f.outcome.verdict != Verdict::Passed) {
        let position = sources.line_col(f.test.name.span);
        let message = details(f, sources);
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            property(&format!("{path_prefix}{}", sources.file(f.test.file).path())),
            position.line,
            position.column,
            property(&format!("flowc test: {}", title(f))),
            data(message.trim_end())
        );
    }
    out
}
