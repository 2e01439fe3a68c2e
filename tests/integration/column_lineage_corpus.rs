//! The column-lineage accuracy corpus (`tests/fixtures/column_lineage/*.yaml`, issue 16
//! point 8): SparkSQL statements written for this project, one YAML file per construct,
//! each case with the exact JSON `flowc sql lineage --columns --format json` must print.
//!
//! Two tests:
//! - `column_lineage_corpus_is_well_formed` checks the corpus itself — keys, unique
//!   names, sorted and consistent expectations, sources inside the given schemas — and
//!   that every case's table-level part is what `flowc sql lineage --format json` prints;
//! - `column_lineage_corpus_accuracy` runs every case through `--columns` and prints
//!   the figures per construct file: table lineage must be exact on every case, column
//!   lineage (`columns` and `indirect`) on at least 95% of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use flowc::diagnostic::SourceMap;
use flowc::load::yaml;
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::support::{flowc_in, repo_root, text};

/// The keys of the column-level part of an expectation.
const COLUMN_KEYS: [&str; 2] = ["columns", "indirect"];
const TRANSFORMATIONS: [&str; 3] = ["identity", "transformation", "aggregation"];
const INDIRECT_KINDS: [&str; 6] = ["filter", "join", "group_by", "sort", "window", "conditional"];
const CASE_KEYS: [&str; 6] = ["name", "sql", "default_db", "schema", "expect", "note"];
const MIN_CASES: usize = 150;
const MIN_COLUMN_EXACT_PERCENT: usize = 95;

/// One case of the corpus.
struct Case {
    /// The construct file it is in (`joins`, `merge` …).
    file: String,
    name: String,
    sql: String,
    default_db: Option<String>,
    /// The `--schema` input, when the case gives one.
    schema: Option<Value>,
    /// The whole expected JSON object.
    expect: Map<String, Value>,
}

impl Case {
    /// The expectation without `columns` and `indirect`: today's table-level output.
    fn expected_tables(&self) -> Map<String, Value> {
        without_columns(&self.expect)
    }

    /// The expectation's `columns` and `indirect`.
    fn expected_columns(&self) -> Map<String, Value> {
        only_columns(&self.expect)
    }

    /// Runs `flowc sql lineage --format json` on the case, with `--columns` when asked;
    /// the JSON object printed, or what went wrong.
    fn run(&self, columns: bool, scratch: &Path) -> Result<Map<String, Value>, String> {
        let mut args = vec!["sql", "lineage"];
        if columns {
            args.push("--columns");
        }
        args.extend(["--format", "json"]);
        let schema_path;
        if columns && let Some(schema) = &self.schema {
            schema_path = scratch.join(format!("{}.{}.json", self.file, self.name));
            std::fs::write(&schema_path, schema.to_string()).expect("write the schema file");
            args.extend(["--schema", schema_path.to_str().expect("utf-8 temp path")]);
        }
        if let Some(db) = &self.default_db {
            args.extend(["--default-db", db]);
        }
        args.push("-");
        let output = flowc_in(repo_root(), &args, self.sql.as_bytes());
        let stdout = text(&output.stdout);
        if !output.status.success() {
            let stderr = text(&output.stderr);
            let first = stderr.lines().next().unwrap_or("");
            return Err(format!("{}: {first}", output.status));
        }
        match serde_json::from_str(&stdout) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(format!("not a JSON object: {stdout}")),
        }
    }
}

fn without_columns(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(key, _)| !COLUMN_KEYS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn only_columns(map: &Map<String, Value>) -> Map<String, Value> {
    COLUMN_KEYS
        .iter()
        .map(|key| ((*key).to_owned(), map.get(*key).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn corpus_dir() -> PathBuf {
    repo_root().join("tests/fixtures/column_lineage")
}

/// Every construct file's name (without `.yaml`) and its cases, files sorted.
fn load_corpus() -> Vec<(String, Vec<Case>)> {
    let mut paths: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("the corpus folder exists")
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths.iter().map(|path| load_file(path)).collect()
}

fn load_file(path: &Path) -> (String, Vec<Case>) {
    let file = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 name")
        .to_owned();
    let mut sources = SourceMap::new();
    let id = sources.add(format!("{file}.yaml"), std::fs::read_to_string(path).expect("readable"));
    let (root, problems) = yaml::parse(sources.file(id), id);
    assert!(problems.is_empty(), "{file}.yaml: {problems:?}");
    let root = root.expect("a YAML document").to_json();
    let cases = root
        .get("cases")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{file}.yaml: a mapping with a `cases` list"));
    let cases = cases
        .iter()
        .enumerate()
        .map(|(i, case)| parse_case(&file, i, case))
        .collect();
    (file, cases)
}

fn parse_case(file: &str, index: usize, case: &Value) -> Case {
    let at = format!("{file}.yaml case {index}");
    let map = case.as_object().unwrap_or_else(|| panic!("{at}: a mapping"));
    for key in map.keys() {
        assert!(CASE_KEYS.contains(&key.as_str()), "{at}: unknown key `{key}`");
    }
    let string = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = string("name").unwrap_or_else(|| panic!("{at}: a `name`"));
    let sql = string("sql").unwrap_or_else(|| panic!("{at} ({name}): an `sql`"));
    let expect = map
        .get("expect")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{at} ({name}): an `expect` mapping"))
        .clone();
    if let Some(schema) = map.get("schema") {
        let tables = schema
            .as_object()
            .unwrap_or_else(|| panic!("{name}: `schema` is a mapping"));
        for (table, columns) in tables {
            let columns = columns
                .as_array()
                .unwrap_or_else(|| panic!("{name}: {table} lists columns"));
            assert!(columns.iter().all(Value::is_string), "{name}: {table}: column names");
        }
    }
    Case {
        file: file.to_owned(),
        name,
        sql,
        default_db: string("default_db"),
        schema: map.get("schema").cloned(),
        expect,
    }
}

/// The problems of one case's expectation on its own (without running anything).
fn expectation_problems(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = &case.expect;
    for key in ["sources", "targets", "columns", "indirect"] {
        if !expect.get(key).is_some_and(Value::is_array) {
            problems.push(format!("`expect.{key}` is not a list"));
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    let strings = |key: &str| -> Vec<String> {
        expect[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let targets = strings("targets");
    let tables: BTreeSet<String> = strings("sources").into_iter().chain(targets.iter().cloned()).collect();
    let schema = known_columns(case);
    // A column is lower case, of a table the case reads or writes, and in that table's
    // schema when the case gives one.
    let check_column = |column: &str, problems: &mut Vec<String>| {
        if column != column.to_lowercase() {
            problems.push(format!("`{column}` is not lower case"));
        }
        let Some((table, name)) = column.rsplit_once('.') else {
            problems.push(format!("`{column}` names no table"));
            return;
        };
        if !tables.contains(table) {
            problems.push(format!("`{column}`: `{table}` is neither a source nor a target"));
        }
        if let Some(known) = schema.get(table)
            && !known.contains(name)
        {
            problems.push(format!("`{column}` is not in the schema given for `{table}`"));
        }
    };
    let mut last_target = 0;
    for entry in expect["columns"].as_array().into_iter().flatten() {
        let keys: BTreeSet<_> = entry
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if keys != ["sources", "target", "transformation"].map(str::to_owned).into() {
            problems.push(format!(
                "column entry {entry} needs exactly target, sources, transformation"
            ));
            continue;
        }
        let target = entry["target"].as_str().unwrap_or_default();
        check_column(target, &mut problems);
        let table = target.rsplit_once('.').map_or("", |(table, _)| table);
        match targets.iter().position(|t| t == table) {
            Some(position) if position >= last_target => last_target = position,
            Some(_) => problems.push(format!("`{target}` is listed after a later target's columns")),
            None => problems.push(format!("`{target}` is not a column of a target")),
        }
        let sources: Vec<_> = entry["sources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !sources.windows(2).all(|pair| pair[0] < pair[1]) {
            problems.push(format!("the sources of `{target}` are not sorted and unique"));
        }
        for source in sources {
            check_column(source, &mut problems);
        }
        if !TRANSFORMATIONS.contains(&entry["transformation"].as_str().unwrap_or_default()) {
            problems.push(format!("`{target}`: unknown transformation"));
        }
    }
    let mut previous: Option<(String, String, String)> = None;
    for entry in expect["indirect"].as_array().into_iter().flatten() {
        let field = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let key = (field("target"), field("source"), field("kind"));
        if !targets.contains(&key.0) {
            problems.push(format!("indirect entry {entry}: its target is not a target"));
        }
        if !INDIRECT_KINDS.contains(&key.2.as_str()) {
            problems.push(format!("indirect entry {entry}: unknown kind"));
        }
        check_column(&key.1, &mut problems);
        if previous.as_ref().is_some_and(|p| *p >= key) {
            problems.push(format!("indirect entry {entry} is not sorted and unique"));
        }
        previous = Some(key);
    }
    problems
}

/// The columns the case's schema gives, per table.
fn known_columns(case: &Case) -> BTreeMap<String, BTreeSet<String>> {
    let Some(Value::Object(tables)) = &case.schema else {
        return BTreeMap::new();
    };
    tables
        .iter()
        .map(|(table, columns)| {
            let names = columns.as_array().into_iter().flatten().filter_map(Value::as_str);
            (table.to_lowercase(), names.map(str::to_lowercase).collect())
        })
        .collect()
}

#[test]
fn column_lineage_corpus_is_well_formed() {
    let corpus = load_corpus();
    let mut names = BTreeSet::new();
    let mut problems = Vec::new();
    for (file, cases) in &corpus {
        if cases.is_empty() {
            problems.push(format!("{file}.yaml has no case"));
        }
        for case in cases {
            if !names.insert(case.name.clone()) {
                problems.push(format!("{}: the name is used twice", case.name));
            }
            problems.extend(
                expectation_problems(case)
                    .into_iter()
                    .map(|p| format!("{}: {p}", case.name)),
            );
        }
    }
    let total: usize = corpus.iter().map(|(_, cases)| cases.len()).sum();
    assert!(
        total >= MIN_CASES,
        "the corpus has {total} cases, fewer than {MIN_CASES}"
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let cases: Vec<&Case> = corpus.iter().flat_map(|(_, cases)| cases).collect();
    let table_problems: Vec<String> = cases
        .par_iter()
        .filter_map(|case| match case.run(false, scratch.path()) {
            Ok(actual) if actual == case.expected_tables() => None,
            Ok(actual) => Some(format!(
                "{}: table lineage today is {}, expected {}",
                case.name,
                Value::Object(actual),
                Value::Object(case.expected_tables())
            )),
            Err(error) => Some(format!("{}: {error}", case.name)),
        })
        .collect();
    problems.extend(table_problems);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The figures of one construct file (or of the whole corpus).
#[derive(Default)]
struct Figures {
    cases: usize,
    table_exact: usize,
    column_exact: usize,
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    // Tenths of a percent, rounded down: a figure never looks better than it is.
    let tenths = part * 1000 / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A short diff of two lists of JSON entries: what is missing (`-`) and what is extra (`+`).
fn list_diff(label: &str, expected: &Value, actual: &Value, out: &mut String) {
    let entries = |value: &Value| -> Vec<String> {
        value.as_array().map_or_else(
            || vec![value.to_string()],
            |list| list.iter().map(Value::to_string).collect(),
        )
    };
    let (expected, actual) = (entries(expected), entries(actual));
    if expected == actual {
        return;
    }
    for entry in expected.iter().filter(|e| !actual.contains(e)) {
        let _ = writeln!(out, "    {label} - {entry}");
    }
    for entry in actual.iter().filter(|e| !expected.contains(e)) {
        let _ = writeln!(out, "    {label} + {entry}");
    }
    if expected.iter().all(|e| actual.contains(e)) && actual.iter().all(|e| expected.contains(e)) {
        let _ = writeln!(out, "    {label}: same entries, another order: {}", actual.join(", "));
    }
}

/// One case's outcome: (table exact, column exact, the diff when not both).
fn judge(case: &Case, scratch: &Path) -> (bool, bool, String) {
    let actual = match case.run(true, scratch) {
        Ok(actual) => actual,
        Err(error) => return (false, false, format!("    {error}\n")),
    };
    let table_exact = without_columns(&actual) == case.expected_tables();
    let column_exact = only_columns(&actual) == case.expected_columns();
    let mut diff = String::new();
    let tables = Value::Object(case.expected_tables());
    for key in ["sources", "targets"] {
        list_diff(key, &tables[key], actual.get(key).unwrap_or(&Value::Null), &mut diff);
    }
    for key in COLUMN_KEYS {
        list_diff(
            key,
            &case.expect[key],
            actual.get(key).unwrap_or(&Value::Null),
            &mut diff,
        );
    }
    (table_exact, column_exact, diff)
}

#[test]
fn column_lineage_corpus_accuracy() {
    let corpus = load_corpus();
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut report = String::from("construct            cases  table-exact        column-exact\n");
    let mut failures = String::new();
    let mut overall = Figures::default();
    for (file, cases) in &corpus {
        let outcomes: Vec<_> = cases
            .par_iter()
            .map(|case| (case, judge(case, scratch.path())))
            .collect();
        let mut figures = Figures {
            cases: cases.len(),
            ..Figures::default()
        };
        for (case, (table_exact, column_exact, diff)) in outcomes {
            figures.table_exact += usize::from(table_exact);
            figures.column_exact += usize::from(column_exact);
            if !(table_exact && column_exact) {
                let _ = write!(failures, "{file}/{}:\n{diff}", case.name);
            }
        }
        let _ = writeln!(report, "{}", row(file, &figures));
        overall.cases += figures.cases;
        overall.table_exact += figures.table_exact;
        overall.column_exact += figures.column_exact;
    }
    let _ = writeln!(report, "{}", row("overall", &overall));
    print_report(&report, &failures);
    assert_eq!(
        overall.table_exact, overall.cases,
        "table lineage must be exact on every case\n{report}\n{failures}"
    );
    assert!(
        overall.column_exact * 100 >= overall.cases * MIN_COLUMN_EXACT_PERCENT,
        "column lineage must be exact on at least {MIN_COLUMN_EXACT_PERCENT}% of the cases\n{report}\n{failures}"
    );
}

fn row(label: &str, figures: &Figures) -> String {
    format!(
        "{label:<20} {:>5}  {:>4} {:>7}  {:>4} {:>7}",
        figures.cases,
        figures.table_exact,
        percent(figures.table_exact, figures.cases),
        figures.column_exact,
        percent(figures.column_exact, figures.cases),
    )
}

#[expect(
    clippy::print_stderr,
    reason = "the corpus figures are this test's report (`-- --nocapture` shows them on success)"
)]
fn print_report(report: &str, failures: &str) {
    eprintln!("column lineage corpus\n{report}");
    if !failures.is_empty() {
        eprintln!("failing cases:\n{failures}");
    }
}

#[test]
fn list_diff_names_missing_extra_and_reordered_entries() {
    let mut out = String::new();
    list_diff(
        "columns",
        &serde_json::json!(["a", "b"]),
        &serde_json::json!(["b", "c"]),
        &mut out,
    );
    assert_eq!(out, "    columns - \"a\"\n    columns + \"c\"\n");
    out.clear();
    list_diff(
        "indirect",
        &serde_json::json!(["a", "b"]),
        &serde_json::json!(["b", "a"]),
        &mut out,
    );
    assert_eq!(out, "    indirect: same entries, another order: \"b\", \"a\"\n");
    out.clear();
    list_diff(
        "sources",
        &serde_json::json!(["a"]),
        &serde_json::json!(["a"]),
        &mut out,
    );
    assert!(out.is_empty());
}
