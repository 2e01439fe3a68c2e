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

use crate::dags::python;
use crate::diagnostic::{Code, Diagnostic, Span};
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
                    }
                }
                ReadOutcome::NotFound | ReadOutcome::NotAFile => Template {
                    name,
                    origin: Origin::Builtin,
                    text: (*text).to_owned(),
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
                })
                .collect(),
        }
    }

    /// Every template, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }

    /// A rendering environment over these templates; a template that does not parse
    /// is an error naming it and the line.
    pub fn environment(&self) -> Result<Environment<'_>, Box<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        // Any auto-escape mode marks macro output as safe (it is already escaped);
        // the formatter below does the escaping itself.
        env.set_auto_escape_callback(|_| AutoEscape::Custom("python"));
        env.set_formatter(|out, state, value| {
            if value.is_safe() {
                write!(out, "{value}")?;
            } else if state.name().starts_with("datax/") {
                out.write_str(&json_literal(value)?)?;
            } else {
                out.write_str(&python_literal(value)?)?;
            }
            Ok(())
        });
        env.add_filter("ident", ident);
        for template in &self.templates {
            env.add_template(template.name, &template.text)
                .map_err(|error| Box::new(template_diagnostic(self, &error, None)))?;
        }
        Ok(env)
    }

    /// The origin of a template, for diagnostics.
    pub(crate) fn origin(&self, name: &str) -> Origin {
        self.templates
            .iter()
            .find(|t| t.name == name)
            .map_or(Origin::Builtin, |t| t.origin.clone())
    }
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

/// A template failure as a diagnostic pointing at the template.
pub(crate) fn template_diagnostic(templates: &Templates, error: &TemplateError, span: Option<Span>) -> Diagnostic {
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
