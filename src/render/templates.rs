//! The templates DAG files are rendered with: built into the binary, each
//! replaceable by a file of the same name under the repository's `templates/`.
//!
//! Rendering uses minijinja with strict undefined (a misspelt variable is an error,
//! never an empty string) and a formatter that prints every value as a literal of the
//! file's language — Python for `airflow/` templates, JSON for `datax/` ones — so a
//! template cannot put user text into a file unescaped by forgetting a filter: raw
//! output needs `|ident` (checked identifiers) or `|safe`.

use std::collections::BTreeMap;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error as TemplateError, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use super::budget::{self, Budget, RenderFailure, Spent};
use crate::dags::python;
use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::load::ReadOutcome;

/// The built-in templates: name → text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "airflow/dag.py.jinja",
        include_str!("../../templates/airflow/dag.py.jinja"),
    ),
    (
        "airflow/operators.jinja",
        include_str!("../../templates/airflow/operators.jinja"),
    ),
    (
        "datax/job.json.jinja",
        include_str!("../../templates/datax/job.json.jinja"),
    ),
    (
        "datax/readers/rdbms.json.jinja",
        include_str!("../../templates/datax/readers/rdbms.json.jinja"),
    ),
    (
        "datax/readers/oraclereader.json.jinja",
        include_str!("../../templates/datax/readers/oraclereader.json.jinja"),
    ),
    (
        "datax/readers/oceanbasev10reader.json.jinja",
        include_str!("../../templates/datax/readers/oceanbasev10reader.json.jinja"),
    ),
    (
        "datax/readers/mysqlreader.json.jinja",
        include_str!("../../templates/datax/readers/mysqlreader.json.jinja"),
    ),
    (
        "datax/readers/ftpreader.json.jinja",
        include_str!("../../templates/datax/readers/ftpreader.json.jinja"),
    ),
    (
        "datax/readers/hbase11xreader.json.jinja",
        include_str!("../../templates/datax/readers/hbase11xreader.json.jinja"),
    ),
    (
        "datax/readers/hbase20xsqlreader.json.jinja",
        include_str!("../../templates/datax/readers/hbase20xsqlreader.json.jinja"),
    ),
    (
        "datax/readers/hdfsreader.json.jinja",
        include_str!("../../templates/datax/readers/hdfsreader.json.jinja"),
    ),
    (
        "datax/writers/hdfswriter.json.jinja",
        include_str!("../../templates/datax/writers/hdfswriter.json.jinja"),
    ),
    (
        "datax/writers/mysqlwriter.json.jinja",
        include_str!("../../templates/datax/writers/mysqlwriter.json.jinja"),
    ),
];

/// Where a template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built into flowc.
    Builtin,
    /// The repository's `templates/<name>`.
    Repository,
}

/// One template in use.
#[derive(Clone, Debug)]
pub struct Template {
    /// Its name, e.g. `airflow/dag.py.jinja`.
    pub name: &'static str,
    /// Where it comes from.
    pub origin: Origin,
    /// Its text.
    pub text: String,
    /// The repository's file, once [`Templates::register`] put it in the source map,
    /// so that diagnostics can point into it.
    pub file: Option<FileId>,
}

/// The templates of a repository: the built-in ones, overridden where it has its own.
#[derive(Debug)]
pub struct Templates {
    templates: Vec<Template>,
}

impl Templates {
    /// The paths under which a repository overrides a built-in template.
    pub fn override_paths() -> impl Iterator<Item = String> {
        BUILTIN.iter().map(|(name, _)| format!("templates/{name}"))
    }

    /// The built-in templates with the repository's overrides: `read` holds what
    /// reading each of [`Templates::override_paths`] gave.
    pub fn new(read: &mut BTreeMap<String, ReadOutcome>) -> Result<Self, Vec<Diagnostic>> {
        let mut templates = Vec::new();
        let mut problems = Vec::new();
        for (name, text) in BUILTIN {
            let path = format!("templates/{name}");
            let template = match read.remove(&path).unwrap_or(ReadOutcome::NotFound) {
                ReadOutcome::Bytes(bytes) => {
                    let Ok(text) = String::from_utf8(bytes) else {
                        problems.push(Diagnostic::error(
                            Code::InvalidUtf8,
                            format!("{path} is not valid UTF-8"),
                        ));
                        continue;
                    };
                    Template {
                        name,
                        origin: Origin::Repository,
                        text,
                        file: None,
                    }
                }
                ReadOutcome::NotFound | ReadOutcome::NotAFile => Template {
                    name,
                    origin: Origin::Builtin,
                    text: (*text).to_owned(),
                    file: None,
                },
                ReadOutcome::Escapes | ReadOutcome::TooLarge(_) | ReadOutcome::Special => {
                    problems.push(Diagnostic::error(
                        Code::TemplateError,
                        format!("{path} cannot be read (it leaves the repository or is too large)"),
                    ));
                    continue;
                }
            };
            templates.push(template);
        }
        if problems.is_empty() {
            Ok(Self { templates })
        } else {
            Err(problems)
        }
    }

    /// Only the built-in templates.
    pub fn builtin() -> Self {
        Self {
            templates: BUILTIN
                .iter()
                .map(|(name, text)| Template {
                    name,
                    origin: Origin::Builtin,
                    text: (*text).to_owned(),
                    file: None,
                })
                .collect(),
        }
    }

    /// Adds the repository's own templates to `sources`, so that a diagnostic can
    /// point at the line of one that runs too long or writes too much.
    pub fn register(&mut self, sources: &mut SourceMap) {
        for template in &mut self.templates {
            if template.origin == Origin::Repository {
                let path = format!("templates/{}", template.name);
                template.file = Some(sources.add(path, template.text.as_str()));
            }
        }
    }

    /// Every template, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }

    /// A rendering environment over these templates; a template that does not parse
    /// is an error naming it and the line. Render with [`render`], which gives each
    /// render its budget.
    pub fn environment(&self) -> Result<Environment<'_>, Box<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        // Any auto-escape mode marks macro output as safe (it is already escaped);
        // the formatter below does the escaping itself.
        env.set_auto_escape_callback(|_| AutoEscape::Custom("python"));
        set_formatter(&mut env, usize::MAX);
        env.add_filter("ident", ident);
        env.add_filter("timedelta", timedelta);
        for template in &self.templates {
            env.add_template(template.name, &template.text)
                .map_err(|error| Box::new(template_diagnostic(self, &error.into(), None)))?;
        }
        Ok(env)
    }

    /// The origin of a template, for diagnostics.
    pub(crate) fn origin(&self, name: &str) -> Origin {
        self.get(name).map_or(Origin::Builtin, |t| t.origin.clone())
    }

    fn get(&self, name: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// The template to blame for what a render of `rendering` wrote: that template
    /// when the repository overrides it, else the first override it can include
    /// (those of its folder), else itself.
    fn writer_of<'a>(&'a self, rendering: &'a str) -> &'a str {
        let folder = rendering.split('/').next().unwrap_or_default();
        let overrides = |t: &&Template| t.origin == Origin::Repository;
        self.get(rendering)
            .filter(overrides)
            .or_else(|| {
                self.templates
                    .iter()
                    .filter(overrides)
                    .find(|t| t.name.split('/').next() == Some(folder))
            })
            .map_or(rendering, |t| t.name)
    }
}

/// Renders the template `name` of `env` with `context`, stopped when it runs longer
/// or prints more than `budget` allows.
pub(crate) fn render<S: Serialize>(
    env: &Environment<'_>,
    name: &str,
    context: S,
    budget: Budget,
) -> Result<Vec<u8>, RenderFailure> {
    // Fuel is set per environment: a copy shares the compiled templates.
    let mut env = env.clone();
    env.set_fuel(Some(budget.fuel));
    set_formatter(&mut env, budget.output);
    budget::render(&env, name, context, budget.output)
}

/// Prints every value as a literal of the file's language — Python for `airflow/`
/// templates, JSON for `datax/` ones —, counting the bytes against `output`.
fn set_formatter(env: &mut Environment<'_>, output: usize) {
    env.set_formatter(move |out, state, value| {
        let text = if value.is_safe() {
            value.to_string()
        } else if state.name().starts_with("datax/") {
            json_literal(value)?
        } else {
            python_literal(value)?
        };
        budget::count_output(state, text.len(), output)?;
        out.write_str(&text)?;
        Ok(())
    });
}

/// A value as a Python literal.
fn python_literal(value: &Value) -> Result<String, TemplateError> {
    if value.is_undefined() {
        return Err(TemplateError::new(ErrorKind::UndefinedError, "undefined value printed"));
    }
    let json = serde_json::to_value(value).map_err(|error| {
        TemplateError::new(
            ErrorKind::BadSerialization,
            format!("value has no Python form: {error}"),
        )
    })?;
    Ok(python::literal(&json))
}

/// A value as a JSON literal.
fn json_literal(value: &Value) -> Result<String, TemplateError> {
    if value.is_undefined() {
        return Err(TemplateError::new(ErrorKind::UndefinedError, "undefined value printed"));
    }
    serde_json::to_string(value)
        .map_err(|error| TemplateError::new(ErrorKind::BadSerialization, format!("value has no JSON form: {error}")))
}

/// `|ident`: the text as a raw Python identifier, refused unless it is one.
fn ident(value: &Value) -> Result<Value, TemplateError> {
    let text = value.as_str().unwrap_or_default();
    if python::is_identifier(text) {
        Ok(Value::from_safe_string(text.to_owned()))
    } else {
        Err(TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("{} is not a Python identifier", python::string_literal(text)),
        ))
    }
}

/// `|timedelta`: whole seconds as a readable Python `timedelta(...)` expression
/// (`timedelta(hours=1, minutes=30)`), refused for anything but a non-negative integer.
fn timedelta(value: &Value) -> Result<Value, TemplateError> {
    let seconds = u64::try_from(value.clone()).map_err(|_| {
        TemplateError::new(
            ErrorKind::InvalidOperation,
            format!("{value} is not a number of seconds"),
        )
    })?;
    let parts: Vec<String> = [("days", 86_400), ("hours", 3_600), ("minutes", 60), ("seconds", 1)]
        .iter()
        .scan(seconds, |left, &(unit, size)| {
            let count = *left / size;
            *left %= size;
            Some((unit, count))
        })
        .filter(|&(_, count)| count > 0)
        .map(|(unit, count)| format!("{unit}={count}"))
        .collect();
    let args = if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(", ")
    };
    Ok(Value::from_safe_string(format!("timedelta({args})")))
}

/// A template failure as a diagnostic: R611 or R612 at the line of the repository's
/// template that used up its budget, R604 otherwise (at `span`, the flow or task).
pub(crate) fn template_diagnostic(templates: &Templates, failure: &RenderFailure, span: Option<Span>) -> Diagnostic {
    if let Some(spent) = failure.spent() {
        return over_budget(templates, failure, spent, span);
    }
    let error = failure.innermost();
    let name = error.name().unwrap_or("airflow/dag.py.jinja");
    let origin = match templates.origin(name) {
        Origin::Builtin => "flowc's built-in",
        Origin::Repository => "the repository's",
    };
    let at = error.line().map_or(String::new(), |line| format!(" line {line}"));
    let mut message = format!("{origin} template `{name}`{at} does not render: {}", error.kind());
    if let Some(detail) = error.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    let diagnostic = Diagnostic::error(Code::TemplateError, message).with_help(match templates.origin(name) {
        Origin::Repository => format!("fix or remove `templates/{name}`; `flowc templates` lists the templates in use"),
        Origin::Builtin => "this is a bug in flowc: please report it with the input that caused it".to_owned(),
    });
    match span {
        Some(span) => diagnostic.at(span),
        None => diagnostic,
    }
}

/// R611 (too many steps) or R612 (too much output), at the line of the template
/// where the render stopped when the repository overrides it; at `span` otherwise.
fn over_budget(templates: &Templates, failure: &RenderFailure, spent: Spent, span: Option<Span>) -> Diagnostic {
    let error = failure.innermost();
    // A write refused by the writer names no template: blame the one rendered.
    let rendering = failure.rendering.as_deref().unwrap_or("airflow/dag.py.jinja");
    let name = error.name().unwrap_or_else(|| templates.writer_of(rendering));
    let (code, problem, label) = match spent {
        Spent::Fuel => (Code::TemplateRunsTooLong, "runs too long", "still running here"),
        Spent::Output => (Code::TemplateOutputTooLarge, "prints too much", "still printing here"),
    };
    let located = templates
        .get(name)
        .and_then(|t| Some((t.file?, t.text.as_str())))
        .map(|(file, text)| {
            // The whole line, not the instruction: the renders of several DAGs stop at
            // different instructions of the same loop, and make one diagnostic.
            let range = error.line().and_then(|line| line_range(text, line)).unwrap_or(0..0);
            Span::new(file, range.start as u32, range.end as u32)
        });
    if let Some(at) = located {
        return Diagnostic::error(code, format!("the repository's template `{name}` {problem}"))
            .at(at)
            .with_label(label)
            .with_help(format!(
                "one render may {}; look for a loop that runs too often, or remove `templates/{name}`",
                Budget::rule(spent)
            ));
    }
    let diagnostic = Diagnostic::error(code, format!("flowc's built-in template `{name}` {problem}"))
        .with_help("this is a bug in flowc: please report it with the input that caused it");
    match span {
        Some(span) => diagnostic.at(span),
        None => diagnostic,
    }
}

/// The byte range of a 1-based line of `text`, without its line break.
fn line_range(text: &str, line: usize) -> Option<std::ops::Range<usize>> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Some(start..end)
}
