//! Literal secrets: a password, token or private key written into the repository is an
//! error that says how to reference it instead. Credentials reach tasks only at run
//! time, from Airflow connections or worker environment variables.
//!
//! Two kinds of evidence: a YAML key that names a secret (`password`, `db_token`…)
//! holding a literal, and text that is a secret wherever it stands (a private key
//! block, `user:password@` in a URL, `password=` in a JDBC URL, well-known token
//! formats). Messages never repeat the secret.

use std::sync::OnceLock;

use regex::Regex;

use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::load::{YamlNode, YamlValue};

/// Key names (or `_`-separated key suffixes) that hold secrets.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "secret_key",
    "private_key",
    "client_secret",
    "credentials",
];

/// Key suffixes that reference a secret rather than hold it.
const REFERENCE_SUFFIXES: &[&str] = &["_env", "_conn_id", "_file", "_path", "_id", "_name"];

const HELP: &str = "reference it instead: `password_env: VARIABLE` (set on the workers) or `airflow_conn_id: <id>` (an Airflow connection holding it) on the connection in flowc.yaml, then rotate the exposed secret";

/// Whether a mapping key names a secret.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if REFERENCE_SUFFIXES.iter().any(|suffix| key.ends_with(suffix)) {
        return false;
    }
    SECRET_KEYS
        .iter()
        .any(|name| key == *name || key.ends_with(&format!("_{name}")) || key.ends_with(&format!("-{name}")))
}

struct TextPattern {
    regex: Regex,
    what: &'static str,
}

fn text_patterns() -> &'static [TextPattern] {
    static PATTERNS: OnceLock<Vec<TextPattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let pattern = |source: &str, what: &'static str| {
            // The patterns are constants of flowc; a test compiles every one.
            let regex = Regex::new(source).expect("secret pattern compiles");
            TextPattern { regex, what }
        };
        vec![
            pattern(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----", "a private key"),
            pattern(
                r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@'`]+:(?P<secret>[^/\s@'`$]+)@",
                "a password in a URL",
            ),
            pattern(
                r"(?i)[?&;](?:password|pwd|passwd)=(?P<secret>[^&;\s'`$]+)",
                "a password in a connection string",
            ),
            pattern(
                r#"(?i)['"`]?\b(?:password|passwd|pwd)\b['"`]?\s*=?\s*'(?P<secret>[^'$]+)'"#,
                "a password option",
            ),
            pattern(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", "a GitHub token"),
            pattern(r"\bAKIA[0-9A-Z]{16}\b", "an AWS access key"),
            pattern(r"\bxox[abprs]-[A-Za-z0-9-]{10,}", "a Slack token"),
        ]
    })
}

/// The first secret in `text`: what it is and its byte range.
fn find_in_text(text: &str) -> Option<(&'static str, usize, usize)> {
    text_patterns().iter().find_map(|pattern| {
        pattern.regex.captures(text).map(|captures| {
            let matched = captures.name("secret").or_else(|| captures.get(0));
            let (start, end) = matched.map_or((0, 0), |m| (m.start(), m.end()));
            (pattern.what, start, end)
        })
    })
}

const TEXT_HELP: &str = "remove it from the file: credentials reach tasks at run time from an Airflow connection or a worker environment variable (a sync's connection in flowc.yaml takes `airflow_conn_id` or `password_env`), then rotate the exposed secret";

fn diagnostic(what: &str, span: Span, label: &str) -> Diagnostic {
    Diagnostic::error(Code::LiteralSecret, format!("{what} is written in the repository"))
        .at(span)
        .with_label(label.to_owned())
        .with_help(HELP)
}

/// Every literal secret of a YAML document, with the key spans it flagged (so schema
/// errors about the same keys can be dropped).
pub(crate) fn scan_yaml(root: &YamlNode) -> (Vec<Diagnostic>, Vec<Span>) {
    let mut found = Vec::new();
    let mut keys = Vec::new();
    walk(root, &mut found, &mut keys);
    (found, keys)
}

fn walk(node: &YamlNode, found: &mut Vec<Diagnostic>, keys: &mut Vec<Span>) {
    match &node.value {
        YamlValue::Map(entries) => {
            for entry in entries {
                let literal = match &entry.value.value {
                    YamlValue::String(text) => !text.trim().is_empty() && !is_placeholder(text),
                    YamlValue::Int(_) | YamlValue::Float(_) => true,
                    _ => false,
                };
                if literal && is_secret_key(&entry.key) {
                    keys.push(entry.key_span);
                    found.push(diagnostic(
                        &format!("a literal `{}`", entry.key),
                        entry.value.span,
                        "a secret in plain text",
                    ));
                    continue;
                }
                walk(&entry.value, found, keys);
            }
        }
        YamlValue::Seq(items) => {
            for item in items {
                walk(item, found, keys);
            }
        }
        YamlValue::String(text) => {
            if let Some((what, _, _)) = find_in_text(text) {
                found.push(diagnostic(what, node.span, "a secret in plain text"));
            }
        }
        _ => {}
    }
}

/// `${NAME}`, `{{ … }}` and `${env:NAME}` stand for a value filled in elsewhere.
fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    (text.starts_with("${") && text.ends_with('}')) || (text.starts_with("{{") && text.ends_with("}}"))
}

/// Every literal secret in a text file (SQL, templates), one per line at most.
pub(crate) fn scan_text(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        if let Some((what, start, end)) = find_in_text(line) {
            let span = Span::new(file, (offset + start) as u32, (offset + end.max(start + 1)) as u32);
            found.push(diagnostic(what, span, "a secret in plain text").with_help(TEXT_HELP));
        }
        offset += line.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_but_not_references() {
        assert!(is_secret_key("password"));
        assert!(is_secret_key("db_password"));
        assert!(is_secret_key("GITHUB_TOKEN"));
        assert!(is_secret_key("private_key"));
        assert!(!is_secret_key("password_env"));
        assert!(!is_secret_key("airflow_conn_id"));
        assert!(!is_secret_key("private_key_file"));
        assert!(!is_secret_key("tokenizer"));
        assert!(!is_secret_key("username"));
    }

    #[test]
    fn secrets_in_text() {
        assert_eq!(
            find_in_text("jdbc:mysql://h:3306/db?user=dw&password=s3cret").map(|f| f.0),
            Some("a password in a connection string")
        );
        assert_eq!(
            find_in_text("sftp://bank:hunter2@sftp.example.com/out").map(|f| f.0),
            Some("a password in a URL")
        );
        assert_eq!(
            find_in_text("-----BEGIN OPENSSH PRIVATE KEY-----").map(|f| f.0),
            Some("a private key")
        );
        assert_eq!(
            find_in_text("OPTIONS (url 'jdbc:x', password 'hunter2')").map(|f| f.0),
            Some("a password option")
        );
        assert_eq!(find_in_text("jdbc:mysql://h:3306/db?useSSL=true"), None);
        assert_eq!(find_in_text("jdbc:oracle:thin:@//h:1521/SVC"), None);
        assert_eq!(find_in_text("hdfs://nn1:8020/user/hive"), None);
        assert_eq!(find_in_text("password_env: CORE_ORACLE_PASSWORD"), None);
        assert_eq!(find_in_text("\"password\": \"${env:X}\""), None);
    }
}
