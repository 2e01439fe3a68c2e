//! Text that is a secret wherever it stands: in a SQL file (comments and string
//! literals included), a YAML comment or any YAML string (descriptions included).
//!
//! Shapes: a private key block; `user:password@` in a URL; Oracle's
//! `jdbc:oracle:thin:user/password@…`; a secret-named key given a value
//! (`;password=`, `?password=`, `&pwd=`, `%70assword=`, `password: …`,
//! `password '…'`, `fs.s3a.secret.key=…`, see [`super::keys`]); well-known token
//! formats (GitHub, GitLab, AWS, Slack, Google, Stripe, npm, JSON web tokens).
//! Every match is found, several on one line included; references to a value kept
//! elsewhere (`${NAME}`, `{{ conn.password }}`, `$VAR`, `<password>`) are not secrets.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::keys::{is_secret_key, may_be_secret_key};

/// One secret found in a text: what it is and its byte range (the secret itself, not
/// the key or URL around it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Finding {
    /// What it is, e.g. `a GitHub token`, for the message.
    pub(super) what: String,
    /// Its bytes in the text.
    pub(super) range: Range<usize>,
}

/// A shape found by one regular expression; the secret is the group named `secret`,
/// or the whole match.
struct Shape {
    regex: Regex,
    what: &'static str,
}

fn compiled(source: &str) -> Regex {
    // The patterns are constants of flowc; a unit test compiles every one.
    Regex::new(source).expect("secret pattern compiles")
}

fn shapes() -> &'static [Shape] {
    static SHAPES: OnceLock<Vec<Shape>> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let shape = |source: &str, what: &'static str| Shape {
            regex: compiled(source),
            what,
        };
        vec![
            shape(
                // The key's body, between its BEGIN and END lines (or to the end).
                r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n?(?P<secret>(?s:.*?))[ \t]*(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)",
                "a private key",
            ),
            shape(
                r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@'`]*:(?P<secret>[^/\s@'`]+)@",
                "a password in a URL",
            ),
            shape(
                r#"(?i)jdbc:oracle:[a-z0-9]+:[^/@\s'"`:;]+/(?P<secret>[^@\s'"`]+)@"#,
                "a password in an Oracle JDBC URL",
            ),
            shape(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})", "a GitHub token"),
            shape(r"\bglpat-[A-Za-z0-9_\-]{20,}", "a GitLab token"),
            shape(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", "an AWS access key"),
            shape(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", "a Slack token"),
            shape(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+", "a Slack webhook"),
            shape(r"\bAIza[0-9A-Za-z_\-]{35}", "a Google API key"),
            shape(r"\b[rs]k_live_[0-9A-Za-z]{16,}", "a Stripe key"),
            shape(r"\bnpm_[A-Za-z0-9]{36}\b", "an npm token"),
            shape(
                r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
                "a JSON web token",
            ),
        ]
    })
}

/// A word that may be a key: letters, digits, `_ . -` and percent-encoded bytes.
fn key_token() -> &'static Regex {
    static TOKEN: OnceLock<Regex> = OnceLock::new();
    TOKEN.get_or_init(|| compiled(r"(?:[A-Za-z0-9_.\-]|%[0-9A-Fa-f]{2})+"))
}

/// What gives a key its value, right after the key: `= '…'`, `: "…"`, `=> '…'`,
/// ` '…'` (a SQL option), `={…}` (SQL Server's braces), `=value` or `: value`.
fn assignment() -> &'static Regex {
    static ASSIGNMENT: OnceLock<Regex> = OnceLock::new();
    ASSIGNMENT.get_or_init(|| {
        compiled(
            r#"\A['"`]?(?:[ \t]*(?:=>|=|:)[ \t]*(?:'(?P<q1>[^'\n]*)'|"(?P<q2>[^"\n]*)")|[ \t]+'(?P<q3>[^'\n]*)'|=\{(?P<braced>[^}\n]*)\}|=(?P<bare>[^\s'"`,;)&]+)|:[ \t]*(?P<loose>[^\s'"`,;)&]+))"#,
        )
    })
}

/// The shortest value taken for a secret after a key in text (shorter ones are flags
/// such as `secret = 'Y'`, or YAML's `|`).
const MIN_ASSIGNED_LEN: usize = 4;

/// Every secret in `text`, sorted by position, none overlapping another.
pub(super) fn find_all(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    for shape in shapes() {
        for captures in shape.regex.captures_iter(text) {
            let Some(matched) = captures.name("secret").or_else(|| captures.get(0)) else {
                continue;
            };
            if captures.name("secret").is_some() && is_reference(matched.as_str()) {
                continue;
            }
            found.push(Finding {
                what: shape.what.to_owned(),
                range: matched.start()..matched.start() + without_trailing_decoration(matched.as_str()).len(),
            });
        }
    }
    found.extend(assigned_secrets(text));
    found.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
    for finding in found {
        if kept.last().is_none_or(|last| last.range.end <= finding.range.start) {
            kept.push(finding);
        }
    }
    kept
}

/// A secret without trailing blanks, and a multi-line one without its last line when
/// that holds no letter or digit (the `-- ` before a private key's END line in a SQL
/// comment).
fn without_trailing_decoration(secret: &str) -> &str {
    let secret = secret.trim_end();
    match secret.rfind('\n') {
        Some(last) if !secret[last..].chars().any(char::is_alphanumeric) => secret[..last].trim_end(),
        _ => secret,
    }
}

/// Values given to secret-named keys in text.
fn assigned_secrets(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    for key in key_token().find_iter(text) {
        if !may_be_secret_key(key.as_str()) || !is_secret_key(key.as_str()) {
            continue;
        }
        let Some(captures) = assignment().captures(&text[key.end()..]) else {
            continue;
        };
        let quoted = ["q1", "q2", "q3", "braced", "bare"]
            .iter()
            .find_map(|name| captures.name(name));
        let value = match (quoted, captures.name("loose")) {
            (Some(value), _) => value,
            // `key: value` without quotes is also how prose reads ("token: see the
            // runbook"): only a value that looks like a secret is one.
            (None, Some(value)) if looks_like_a_secret(value.as_str()) => value,
            _ => continue,
        };
        if value.as_str().len() < MIN_ASSIGNED_LEN || is_reference(value.as_str()) {
            continue;
        }
        found.push(Finding {
            what: format!("a literal `{}`", key.as_str()),
            range: key.end() + value.start()..key.end() + value.end(),
        });
    }
    found
}

/// A digit, a symbol, or both upper and lower case letters.
fn looks_like_a_secret(value: &str) -> bool {
    value.chars().any(|c| !c.is_alphabetic())
        || (value.chars().any(char::is_uppercase) && value.chars().any(char::is_lowercase))
}

/// A value that names where the secret is kept rather than being it: a template
/// placeholder, an environment variable, a bind parameter, a `<placeholder>`, a YAML
/// alias, or a value already masked.
fn is_reference(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || value.starts_with(['$', '{', '<', '*', '@', '?', ':', '%'])
        || value.chars().all(|c| c == '*' || c == 'x' || c == 'X')
        || ["null", "none", "true", "false"].contains(&value.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secrets found in `text`, as text.
    fn secrets(text: &str) -> Vec<&str> {
        find_all(text).into_iter().map(|f| &text[f.range]).collect()
    }

    #[test]
    fn alert_webhook_urls_with_their_tokens() {
        assert_eq!(
            secrets("connection: https://oapi.dingtalk.com/robot/send?access_token=5f1e0c9a7b3d4e2f"),
            ["5f1e0c9a7b3d4e2f"]
        );
        assert_eq!(
            secrets("connection: \"https://hooks.slack.com/services/T0ABC/B0DEF/q8WzR3vK7yLm\""),
            ["https://hooks.slack.com/services/T0ABC/B0DEF/q8WzR3vK7yLm"]
        );
        assert!(secrets("connection: dingtalk_dw_oncall").is_empty());
    }

    #[test]
    fn every_pattern_compiles() {
        assert!(!shapes().is_empty());
        assert!(key_token().is_match("password"));
        assert!(assignment().is_match("=x"));
    }

    #[test]
    fn passwords_in_jdbc_urls_of_every_form() {
        assert_eq!(secrets("jdbc:oracle:thin:scott/Tiger123@//db:1521/SVC"), ["Tiger123"]);
        assert_eq!(secrets("jdbc:oracle:thin:scott/Tiger456@db:1521:ORCL"), ["Tiger456"]);
        assert_eq!(secrets("jdbc:mysql://h:3306/db?password=s3cret&user=dw"), ["s3cret"]);
        assert_eq!(secrets("jdbc:mysql://h:3306/db?user=dw&password=s3cret"), ["s3cret"]);
        assert_eq!(
            secrets("jdbc:sqlserver://h:1433;user=dw;password=Sq1Pass;db=x"),
            ["Sq1Pass"]
        );
        assert_eq!(secrets("jdbc:mysql://h/db?user=dw&%70assword=Enc0ded"), ["Enc0ded"]);
        assert_eq!(
            secrets("jdbc:sqlserver://h;user=dw;password={Br;aced1};db=x"),
            ["Br;aced1"]
        );
        assert_eq!(secrets("jdbc:postgresql://h/db?user=dw&pwd=PgPass1"), ["PgPass1"]);
        assert_eq!(secrets("jdbc:mysql://dw:MyPass1@h:3306/db"), ["MyPass1"]);
        assert_eq!(secrets("sftp://bank:hunter2@sftp.example.com/out"), ["hunter2"]);
        assert_eq!(secrets("redis://:R3dis@cache:6379"), ["R3dis"]);
    }

    #[test]
    fn secret_keys_given_values_in_free_text() {
        assert_eq!(
            secrets("-- connect: jdbc:mysql://report-mysql/report user=etl password=Hunter2Comment"),
            ["Hunter2Comment"]
        );
        assert_eq!(secrets("OPTIONS (url 'jdbc:x', password 'hunter2')"), ["hunter2"]);
        assert_eq!(secrets("SET spark.hadoop.fs.s3a.secret.key=abcdefgh;"), ["abcdefgh"]);
        assert_eq!(secrets(r#"{"password": "Hunter2"}"#), ["Hunter2"]);
        assert_eq!(secrets("token: Abc123def"), ["Abc123def"]);
        assert_eq!(secrets("where api_key = 'k3y-value'"), ["k3y-value"]);
        assert_eq!(secrets("dbPassword => 'camelCase1'"), ["camelCase1"]);
    }

    #[test]
    fn well_known_tokens_and_private_keys() {
        let line = "-- a ghp_0123456789abcdefghijABCDEFGHIJ012345 b AKIAIOSFODNN7EXAMPLE";
        assert_eq!(
            secrets(line),
            ["ghp_0123456789abcdefghijABCDEFGHIJ012345", "AKIAIOSFODNN7EXAMPLE"]
        );
        assert_eq!(
            secrets("xoxb-123456789012-abcdefghij"),
            ["xoxb-123456789012-abcdefghij"]
        );
        let block = "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\ny";
        assert_eq!(secrets(block), ["MIIEabc"]);
        let commented =
            "-- -----BEGIN OPENSSH PRIVATE KEY-----\n-- b3Bl\n-- bnNz\n-- -----END OPENSSH PRIVATE KEY-----";
        assert_eq!(secrets(commented), ["-- b3Bl\n-- bnNz"]);
        assert_eq!(
            secrets("-- -----BEGIN OPENSSH PRIVATE KEY-----\n-- b3Blbn"),
            ["-- b3Blbn"]
        );
    }

    #[test]
    fn references_and_ordinary_text_are_not_secrets() {
        for text in [
            "jdbc:mysql://h:3306/db?useSSL=true",
            "jdbc:oracle:thin:@//h:1521/SVC",
            "jdbc:oracle:thin:@h:1521:ORCL",
            "hdfs://nn1:8020/user/hive",
            "https://host:8443/path",
            "password_env: CORE_ORACLE_PASSWORD",
            "\"password\": \"${env:X}\"",
            "password=${DB_PASSWORD}",
            "password={{ conn.report.password }}",
            "password: {{ conn.report.password }}",
            "jdbc:oracle:thin:${USER}/${PASSWORD}@//h:1521/SVC",
            "jdbc:mysql://${USER}:${PASSWORD}@h/db",
            "password = ''",
            "where is_secret = 'Y'",
            "-- the token: see the runbook",
            "select password, token from users where a.password = b.password",
            "# Airflow connection id (its login and password) or the name",
            "private_key: |",
            "token: true",
            "password: ********",
        ] {
            assert_eq!(secrets(text), Vec::<&str>::new(), "{text}");
        }
    }
}
