//! Literal secrets: a password, token or private key written into the repository is an
//! error (S213) that says how to reference it instead. Credentials reach tasks only at
//! run time, from Airflow connections or worker environment variables.
//!
//! Two kinds of evidence: a YAML key that names a secret in any case style
//! (`password`, `dbPassword`, `fs.s3a.secret.key`…, see [`keys`]) holding a literal,
//! and text that is a secret wherever it stands (see [`patterns`]), searched for in
//! the whole text of every YAML file (comments included) and SQL file, and in every
//! YAML string as read (escapes decoded). Every secret is reported, several on one
//! line included. Each diagnostic's primary span covers the secret's own bytes (or
//! the whole YAML value when it cannot be located more closely), so the compiler can
//! mask exactly those bytes wherever source text is shown; messages never repeat the
//! secret.

mod keys;
mod patterns;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, Span};
use crate::load::{Document, YamlNode, YamlValue};

const HELP: &str = "reference it instead: `password_env: VARIABLE` (set on the workers) or `airflow_conn_id: <id>` (an Airflow connection holding it) on the connection in flowc.yaml, then rotate the exposed secret";

const TEXT_HELP: &str = "remove it from the file: credentials reach tasks at run time from an Airflow connection or a worker environment variable (a sync's connection in flowc.yaml takes `airflow_conn_id` or `password_env`), then rotate the exposed secret";

/// An alert's `connection` takes the id of an Airflow connection, which holds the
/// webhook URL or robot token.
const ALERT_HELP: &str = "put the webhook URL or token in an Airflow connection and write its id instead: `connection: <conn_id>` (for Slack, its webhook connection; for DingTalk, a connection whose password is the robot's access_token), then rotate the exposed secret";

const LABEL: &str = "a secret in plain text";

fn diagnostic(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(Code::LiteralSecret, format!("{what} is written in the repository"))
        .at(span)
        .with_label(LABEL)
        .with_help(HELP)
}

/// Every literal secret of a YAML document whose source text is `text`, with the key
/// spans it flagged (so schema errors about the same keys can be dropped).
pub(crate) fn scan_yaml(document: &Document, text: &str) -> (Vec<Diagnostic>, Vec<Span>) {
    let file = document.file;
    let mut walked = Walked::default();
    walk(&document.root, &mut walked);
    let mut found = walked.found;
    let mut covered: Vec<Span> = found.iter().filter_map(|d| d.span).collect();
    // The source text, comments included: secrets located to their bytes.
    for finding in patterns::find_all(text) {
        let span = Span::new(file, finding.range.start as u32, finding.range.end as u32);
        if !covered.iter().any(|c| overlaps(*c, span)) {
            found.push(diagnostic(&finding.what, span));
        }
    }
    covered = found.iter().filter_map(|d| d.span).collect();
    // Strings as read: a secret written with escapes is found here, at its value.
    for (span, value) in walked.strings {
        if !covered.iter().any(|c| overlaps(*c, span))
            && let Some(finding) = patterns::find_all(value).into_iter().next()
        {
            found.push(diagnostic(&finding.what, span));
        }
    }
    // In an alert, the fix is a connection id, not a sync connection's keys.
    for finding in &mut found {
        if finding
            .span
            .is_some_and(|at| walked.alerts.iter().any(|alerts| inside(at, *alerts)))
        {
            finding.help = Some(ALERT_HELP.to_owned());
        }
    }
    (found, walked.keys)
}

fn inside(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && outer.start <= inner.start && inner.end <= outer.end
}

fn overlaps(a: Span, b: Span) -> bool {
    a.file == b.file && a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1)
}

/// What walking a YAML tree found: secrets under secret-named keys, the keys, and
/// every other string value.
#[derive(Default)]
struct Walked<'a> {
    found: Vec<Diagnostic>,
    keys: Vec<Span>,
    strings: Vec<(Span, &'a str)>,
    /// Every `alerts:` value (a list of alerts).
    alerts: Vec<Span>,
}

fn walk<'a>(node: &'a YamlNode, walked: &mut Walked<'a>) {
    match &node.value {
        YamlValue::Map(entries) => {
            for entry in entries {
                if entry.key == "alerts" {
                    walked.alerts.push(entry.value.span);
                }
                let literal = match &entry.value.value {
                    YamlValue::String(text) => !text.trim().is_empty() && !is_placeholder(text),
                    YamlValue::Int(_) | YamlValue::Float(_) => true,
                    _ => false,
                };
                if literal && keys::is_secret_key(&entry.key) {
                    walked.keys.push(entry.key_span);
                    walked
                        .found
                        .push(diagnostic(&format!("a literal `{}`", entry.key), entry.value.span));
                    continue;
                }
                walk(&entry.value, walked);
            }
        }
        YamlValue::Seq(items) => {
            for item in items {
                walk(item, walked);
            }
        }
        YamlValue::String(text) => walked.strings.push((node.span, text)),
        _ => {}
    }
}

/// `${NAME}`, `{{ … }}` and `${env:NAME}` stand for a value filled in elsewhere.
fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    (text.starts_with("${") && text.ends_with('}')) || (text.starts_with("{{") && text.ends_with("}}"))
}

/// Where each secret found is written: the primary span of every S213, which covers
/// the secret's bytes.
pub(crate) fn secret_spans(diagnostics: &Diagnostics) -> impl Iterator<Item = Span> + '_ {
    diagnostics
        .iter()
        .filter(|d| d.code == Code::LiteralSecret)
        .filter_map(|d| d.span)
}

/// Every literal secret in a text file (SQL, templates), comments included.
pub(crate) fn scan_text(file: FileId, text: &str) -> Vec<Diagnostic> {
    patterns::find_all(text)
        .into_iter()
        .map(|finding| {
            let span = Span::new(file, finding.range.start as u32, finding.range.end as u32);
            diagnostic(&finding.what, span).with_help(TEXT_HELP)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;
    use crate::load::yaml;

    fn yaml_secrets(text: &str) -> Vec<String> {
        let mut sources = SourceMap::new();
        let file = sources.add("flow.yaml", text);
        let (root, problems) = yaml::parse(sources.file(file), file);
        assert!(problems.is_empty(), "{problems:?}");
        let root = root.unwrap();
        let (found, _) = scan_yaml(&Document { file, root }, text);
        let mut secrets: Vec<String> = found
            .iter()
            .filter_map(|d| d.span)
            .map(|s| text[s.range()].to_owned())
            .collect();
        secrets.sort();
        secrets
    }

    #[test]
    fn yaml_secrets_are_located_to_their_bytes() {
        let text = "\
params:
  dbPassword: Hunter2Camel
  privateKey: Hunter2Key
  pass: Hunter2Pass
  password_env: DB_PASSWORD
  token: ${TOKEN}
hadoop_config:
  fs.s3a.secret.key: S3cretValue123
description: \"loads from jdbc:oracle:thin:scott/Tiger123@//db:1521/SVC\"
# old: jdbc:mysql://h/db?user=etl&password=InAComment1
";
        assert_eq!(
            yaml_secrets(text),
            [
                "Hunter2Camel",
                "Hunter2Key",
                "Hunter2Pass",
                "InAComment1",
                "S3cretValue123",
                "Tiger123"
            ]
        );
    }

    #[test]
    fn yaml_secret_written_with_escapes_is_found_at_its_value() {
        let text = "description: \"jdbc:mysql://h/db?pass\\u0077ord=Esc4ped\"\n";
        assert_eq!(yaml_secrets(text), ["\"jdbc:mysql://h/db?pass\\u0077ord=Esc4ped\""]);
    }

    #[test]
    fn every_secret_on_a_sql_line_is_reported() {
        let mut sources = SourceMap::new();
        let text = "-- a ghp_0123456789abcdefghijABCDEFGHIJ012345 b AKIAIOSFODNN7EXAMPLE\nselect 1";
        let file = sources.add("a.sql", text);
        assert_eq!(scan_text(file, text).len(), 2);
    }
}
