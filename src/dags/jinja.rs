//! Text for Airflow's Jinja: what a templated operator field holds.
//!
//! Two kinds of input:
//! - **YAML values** (arguments, endpoints, paths, partition specs, commands) are
//!   data. `${name}` of a known parameter or built-in is the only substitution; every
//!   other character must come out of Airflow's rendering exactly as written, so each
//!   `{` that would open a Jinja construct (`{{`, `{%`, `{#`) is emitted as the
//!   expression `{{ '{' }}`. Nothing a user writes in YAML is evaluated by Airflow.
//! - **SQL files** are Jinja templates by design (`{{ ds }}`, `{% if %}`): they are kept
//!   as written, with each `${name}` replaced by its Jinja expression.

use std::collections::BTreeMap;

use crate::diagnostic::FileId;
use crate::sql::placeholder::{PlaceholderKind, sanitize};

/// What each `${name}` becomes in one task's rendered fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct Substitutions {
    /// Name → Jinja expression (without braces), e.g. `bizdate` → `ds`,
    /// `lookback_days` → `params.lookback_days`.
    pub(crate) expressions: BTreeMap<String, String>,
    /// Name → literal text, e.g. `env` → `prod`.
    pub(crate) literals: BTreeMap<String, String>,
}

impl Substitutions {
    fn replacement(&self, name: &str) -> Option<String> {
        if let Some(expression) = self.expressions.get(name) {
            return Some(format!("{{{{ {expression} }}}}"));
        }
        self.literals.get(name).map(|text| escape(text))
    }
}

/// `text` escaped so that Jinja renders it back unchanged.
///
/// Besides `{{`, `{%` and `{#`, line breaks are written as Jinja string expressions:
/// Jinja turns `\r\n` and `\r` in template text into `\n` and drops a final `\n`
/// (Airflow's template environment does not keep trailing newlines), while a line
/// break inside a string literal comes out as written.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if matches!(chars.peek(), Some('{' | '%' | '#')) => out.push_str("{{ '{' }}"),
            '\r' => out.push_str("{{ '\\r' }}"),
            '\n' => out.push_str("{{ '\\n' }}"),
            _ => out.push(c),
        }
    }
    out
}

/// Appends a replacement to `out`; a `{` just before one that opens with `{` (a Jinja
/// expression) would make `{{{`, so it is written as an expression too.
fn push_replacement(out: &mut String, replacement: &str) {
    if replacement.starts_with('{') && out.ends_with('{') {
        out.pop();
        out.push_str("{{ '{' }}");
    }
    out.push_str(replacement);
}

/// A YAML value as Jinja: literal text, known `${name}` placeholders substituted,
/// unknown ones (such as a shell's `${DATAX_HOME}`) kept as text.
pub(crate) fn value(text: &str, substitutions: &Substitutions) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + length];
        out.push_str(&escape(&rest[..start]));
        match substitutions.replacement(name.trim()) {
            Some(replacement) => push_replacement(&mut out, &replacement),
            None => out.push_str(&escape(&rest[start..start + 3 + length])),
        }
        rest = &rest[start + 3 + length..];
    }
    out.push_str(&escape(rest));
    out
}

/// A SQL file as an Airflow template: Jinja kept, `${name}` replaced.
pub(crate) fn sql(file: FileId, text: &str, substitutions: &Substitutions) -> String {
    let sanitized = sanitize(file, text);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for placeholder in &sanitized.placeholders {
        if placeholder.kind != PlaceholderKind::Parameter {
            continue;
        }
        let range = placeholder.span.range();
        let Some(before) = text.get(at..range.start) else {
            continue;
        };
        out.push_str(before);
        match substitutions.replacement(&placeholder.name) {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(text.get(range.clone()).unwrap_or_default()),
        }
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn substitutions() -> Substitutions {
        Substitutions {
            expressions: BTreeMap::from([
                ("bizdate".to_owned(), "ds".to_owned()),
                ("days".to_owned(), "params.days".to_owned()),
            ]),
            literals: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
        }
    }

    #[test]
    fn yaml_values_substitute_known_names_only() {
        let s = substitutions();
        assert_eq!(value("--dt ${bizdate}", &s), "--dt {{ ds }}");
        assert_eq!(value("${env}-${days}", &s), "prod-{{ params.days }}");
        assert_eq!(value("${DATAX_HOME}/bin", &s), "${DATAX_HOME}/bin");
        assert_eq!(value("open ${never", &s), "open ${never");
    }

    #[test]
    fn jinja_openers_in_yaml_values_stay_text() {
        let s = substitutions();
        assert_eq!(value("{{ 7*7 }}", &s), "{{ '{' }}{ 7*7 }}");
        assert_eq!(value("{% if %}{# c #}", &s), "{{ '{' }}% if %}{{ '{' }}# c #}");
        assert_eq!(value("{{{", &s), "{{ '{' }}{{ '{' }}{");
        assert_eq!(value("a{b}", &s), "a{b}");
        // A `{` right before a substituted expression must not make `{{{`.
        assert_eq!(value("{${bizdate}}", &s), "{{ '{' }}{{ ds }}}");
        assert_eq!(value("{${env}}", &s), "{prod}");
    }

    #[test]
    fn line_breaks_in_yaml_values_survive_jinja() {
        let s = substitutions();
        assert_eq!(value("a\r\nb\n", &s), "a{{ '\\r' }}{{ '\\n' }}b{{ '\\n' }}");
    }

    #[test]
    fn sql_keeps_jinja_and_replaces_parameters() {
        let s = substitutions();
        let text = "SELECT '${bizdate}', {{ ds_nodash }} FROM t_${env} WHERE d > ${days} {% if x %}1{% endif %}";
        assert_eq!(
            sql(FileId::default(), text, &s),
            "SELECT '{{ ds }}', {{ ds_nodash }} FROM t_prod WHERE d > {{ params.days }} {% if x %}1{% endif %}"
        );
    }
}
