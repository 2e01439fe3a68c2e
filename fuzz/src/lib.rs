//! What each fuzz target checks, one function per target, each called with the
//! fuzzer's bytes. A failed property is a panic, which libFuzzer reports as a crash.
//!
//! The same file is compiled into the integration tests
//! (`tests/integration/fuzz_corpus.rs`), which run every committed corpus file and
//! crash reproducer through these functions in plain `cargo test`: a finding stays
//! fixed without the fuzzer. So this file uses only flowc and the crates flowc itself
//! depends on (`minijinja`, `serde_json`).
//!
//! - [`yaml_load`]: the bytes as `flowc.yaml`, then as a flow's `flow.yaml`, through
//!   the real loader and validation.
//! - [`sql_analyse`]: the bytes as a sparksql task's SQL file, analysed as `check`
//!   does (placeholders, Spark dialect, tables and lineage), then rewritten for an
//!   environment as `compile` does, and read as a quality expression and a DataX
//!   source query.
//! - [`literals`]: the bytes as a string, rendered as a Python and a JSON string
//!   literal by flowc, read back by an independent decoder: the same string.
//! - [`check_repo`]: the bytes as a whole repository ([`archive`] format), checked and,
//!   when it checks clean, compiled in memory.
//!
//! Every target also renders each diagnostic in all three formats, after checking
//! that its spans lie inside its file on character boundaries.

pub mod archive;
pub mod python;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use flowc::Error;
use flowc::compiler::{self, BUILTIN_VARIABLES, CompileRequest, Compiled};
use flowc::dags::python::string_literal;
use flowc::diagnostic::render::{github, human, json};
use flowc::diagnostic::{Diagnostic, SourceMap, Span};
use flowc::load::{self, FileSource, MemoryTree};
use flowc::model::Environment;
use flowc::render::Templates;
use flowc::sql::{self, SqlOptions};

/// A small valid project: the `flowc.yaml` of [`yaml_load`]'s flow-file run and the
/// environment [`sql_analyse`] rewrites for.
pub const PROJECT: &str = "project: fuzz
sql: {default_database: dwd}
environments:
  dev: {dag_prefix: dev__, databases: {dwd: dev_dwd, dws: dev_dws, ods: dev_ods}}
  prod: {}
teams:
  data: {}
";

/// The bytes as `flowc.yaml`, then as `flows/fuzz/flow.yaml` beside [`PROJECT`]:
/// loaded and, when they load, validated. Never a panic, never an error value (a
/// memory tree cannot fail to read), and every diagnostic renders.
pub fn yaml_load(data: &[u8]) {
    load_and_validate(&MemoryTree::new().with(load::PROJECT_FILE, data));
    load_and_validate(
        &MemoryTree::new()
            .with(load::PROJECT_FILE, PROJECT)
            .with("flows/fuzz/flow.yaml", data),
    );
}

fn load_and_validate(tree: &dyn FileSource) {
    let loaded = match load::load(tree) {
        Ok(loaded) => loaded,
        Err(error) => panic!("loading files held in memory failed: {error}"),
    };
    render_all(loaded.diagnostics.iter(), &loaded.sources);
    if loaded.diagnostics.has_errors() {
        return;
    }
    match flowc::validate::validate(&loaded) {
        Ok(validated) => render_all(validated.diagnostics.iter(), &loaded.sources),
        Err(error) => panic!("validation failed instead of reporting diagnostics: {error}"),
    }
}

/// The bytes (when UTF-8, as load requires) as a sparksql task's SQL file: analysed
/// with the options `check` gives it, every reported span inside the text; when it has
/// no errors, its tables mapped to [`PROJECT`]'s `dev` environment. The text is also
/// read as a quality rule's expression and as a DataX source query.
pub fn sql_analyse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let file = sources.add("flows/fuzz/task.sql", text);
    let params: BTreeMap<String, String> = [("region", "cn"), ("days", "7"), ("db", "ods")]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let known: BTreeSet<String> = params
        .keys()
        .cloned()
        .chain(BUILTIN_VARIABLES.iter().map(|name| (*name).to_owned()))
        .collect();
    let options = SqlOptions {
        default_database: Some("dwd"),
        params: Some(&params),
        known_variables: Some(&known),
    };
    let analysis = sql::analyze(file, text, &options);
    render_all(analysis.diagnostics.iter(), &sources);
    let names = &analysis.names;
    let spans = (analysis.reads.iter().chain(&analysis.writes).chain(&names.altered))
        .map(|table| table.span)
        .chain(names.tables.iter().map(|mention| mention.span))
        .chain(names.tables.iter().filter_map(|m| m.database.as_ref()).map(|d| d.span))
        .chain(names.uses.iter().map(|database| database.span));
    for span in spans {
        assert_span_in(span, &sources, "a table name");
    }
    if !analysis.diagnostics.iter().any(Diagnostic::is_error)
        && let Err(problems) = sql::rewrite::map_tables(text, names, dev_environment())
    {
        render_all(problems.iter(), &sources);
    }
    let _ = sql::parse_expression(text);
    let _ = sql::query_shape(text);
}

/// [`PROJECT`]'s `dev` environment, built once through the real loader.
fn dev_environment() -> &'static Environment {
    static DEV: OnceLock<Environment> = OnceLock::new();
    DEV.get_or_init(|| {
        let tree = MemoryTree::new().with(load::PROJECT_FILE, PROJECT);
        let loaded = load::load(&tree).expect("PROJECT loads");
        let validated = flowc::validate::validate(&loaded).expect("PROJECT validates");
        let repository = validated.repository.expect("PROJECT is valid");
        repository.project.environments["dev"].clone()
    })
}

/// The bytes (invalid UTF-8 replaced) as a string value: flowc's Python string
/// literal is one line of printable ASCII that Python reads back as the same string;
/// rendered through flowc's template formatter, the string comes back from an
/// `airflow/` template as that literal and from a `datax/` one as a JSON string that
/// reads back as the same string.
pub fn literals(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let literal = string_literal(&text);
    check_python_literal(&literal, &text);

    let environment = template_environment();
    let value = minijinja::Value::from(text.as_ref());
    let rendered = |name: &str| match environment.get_template(name) {
        Ok(template) => match template.render(minijinja::context! { value => value.clone() }) {
            Ok(output) => output,
            Err(error) => panic!("{name} does not render {text:?}: {error:#}"),
        },
        Err(error) => panic!("{name} is missing: {error}"),
    };
    let python = rendered(PYTHON_TEMPLATE);
    assert_eq!(
        python, literal,
        "the airflow/ formatter prints another literal than string_literal"
    );
    let json = rendered(JSON_TEMPLATE);
    match serde_json::from_str::<String>(&json) {
        Ok(back) => assert_eq!(back, text, "the JSON literal {json} reads back as another string"),
        Err(error) => panic!("the JSON literal {json} of {text:?} does not parse: {error}"),
    }
}

fn check_python_literal(literal: &str, text: &str) {
    assert!(
        literal.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "the Python literal {literal:?} is not one line of printable ASCII"
    );
    match python::decode_string_literal(literal) {
        Ok(back) => assert_eq!(back, text, "the Python literal {literal} reads back as another string"),
        Err(error) => panic!("the Python literal {literal} of {text:?} does not read back: {error}"),
    }
}

const PYTHON_TEMPLATE: &str = "airflow/fuzz.py.jinja";
const JSON_TEMPLATE: &str = "datax/fuzz.json.jinja";

/// flowc's rendering environment (its formatter chooses the literal by the template's
/// folder) with one template per language that prints `value`.
fn template_environment() -> &'static minijinja::Environment<'static> {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    static ENVIRONMENT: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let templates = TEMPLATES.get_or_init(Templates::builtin);
        let mut environment = templates.environment().expect("the built-in templates parse");
        for name in [PYTHON_TEMPLATE, JSON_TEMPLATE] {
            environment
                .add_template(name, "{{ value }}")
                .expect("the template parses");
        }
        environment
    })
}

/// The bytes as a repository ([`archive::repository`]): checked; an error value is
/// only ever "no flowc.yaml", never an internal error. A repository that checks
/// without errors is compiled in memory for every environment, and fails only on a
/// template of its own.
pub fn check_repo(data: &[u8]) {
    let (tree, has_templates) = archive::repository(data);
    let report = match compiler::check(&tree) {
        Ok(report) => report,
        Err(Error::NoRepository { .. }) => return,
        Err(error) => panic!("check failed instead of reporting diagnostics: {error}"),
    };
    render_all(report.diagnostics.iter(), &report.sources);
    if report.diagnostics.has_errors() {
        return;
    }
    match compiler::compile(&tree, &CompileRequest::default()) {
        Ok(Compiled::Done { .. }) => {}
        Ok(Compiled::CheckFailed { report }) => {
            render_all(report.diagnostics.iter(), &report.sources);
            let first = report.diagnostics.iter().find(|d| d.is_error());
            panic!("check found no error, compile did: {first:?}");
        }
        Ok(Compiled::RenderFailed { report, diagnostics }) => {
            render_all(diagnostics.iter(), &report.sources);
            assert!(
                has_templates,
                "the built-in templates failed to render a repository that checks: {:?}",
                diagnostics.iter().next()
            );
        }
        Err(error) => panic!("compile failed on a repository that checks: {error}"),
    }
}

/// Renders each diagnostic in every format, after checking its spans.
fn render_all<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>, sources: &SourceMap) {
    for diagnostic in diagnostics {
        let spans = diagnostic
            .span
            .into_iter()
            .chain(diagnostic.labels.iter().map(|l| l.span));
        for span in spans {
            assert_span_in(span, sources, diagnostic.code.as_str());
        }
        let _ = human::render(diagnostic, sources, human::Color::Never);
        let _ = json::to_value(diagnostic, sources);
        let _ = github::render(diagnostic, sources, "");
    }
}

/// A span lies in a file of `sources`, starts before it ends and both ends fall on
/// character boundaries.
fn assert_span_in(span: Span, sources: &SourceMap, what: &str) {
    // `file` panics on an id from another source map.
    let file = sources.file(span.file);
    let text = file.text();
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(
        start <= end && text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: span {start}..{end} is not a character range of {} ({} bytes)",
        file.path(),
        text.len()
    );
}
