//! Python literals: the only way a user-supplied value reaches a rendered DAG file.
//!
//! Every string becomes a single-quoted Python literal in which quotes, backslashes,
//! line breaks, every other control character and every non-ASCII character are
//! escaped, so the literal is one line of printable ASCII that Python reads back as
//! exactly the original text. Nothing a user writes (quotes, triple quotes, `\`,
//! newlines, `{{`, `__import__('os')…`) can end the literal early or become code.
//! Identifiers are never taken from user text as is: [`identifier`] checks them.

use std::fmt::Write as _;

use serde_json::Value;

/// `text` as a Python string literal, e.g. `'it\'s'`.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('\'');
    out
}

/// A JSON-like value as a Python literal: `None`, `True`, numbers, strings, lists and
/// dicts (keys in the value's order, which for flowc's maps is sorted).
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && !f.is_finite() => "None".to_owned(),
            _ => n.to_string(),
        },
        Value::String(s) => string_literal(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", string_literal(k), literal(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Whether `text` can be used as a Python identifier as is: ASCII letters, digits and
/// underscores, not starting with a digit, not a keyword.
pub fn is_identifier(text: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ];
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&text)
}

/// `text` when it is a safe identifier, else `None`.
pub fn identifier(text: &str) -> Option<&str> {
    is_identifier(text).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal("a\\b"), r"'a\\b'");
        assert_eq!(string_literal("l1\nl2\r\t"), r"'l1\nl2\r\t'");
        assert_eq!(string_literal("'''"), r"'\'\'\''");
        assert_eq!(string_literal("\"\"\""), "'\"\"\"'");
    }

    #[test]
    fn non_ascii_and_control_characters_become_escapes() {
        assert_eq!(string_literal("支付"), r"'\u652f\u4ed8'");
        assert_eq!(string_literal("é\u{0}\u{7f}"), r"'\xe9\x00\x7f'");
        assert_eq!(string_literal("😀"), r"'\U0001f600'");
        assert!(string_literal("\u{2028}x").is_ascii());
    }

    #[test]
    fn hostile_text_stays_inside_one_literal() {
        let hostile = "x'); __import__('os').system('rm -rf /'); ('\n{{ ds }}{% raw %}";
        let literal = string_literal(hostile);
        assert!(!literal.contains('\n'));
        // Every quote inside is escaped: the only unescaped quotes are the two ends.
        let unescaped = literal
            .char_indices()
            .filter(|(i, c)| *c == '\'' && !literal[..*i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 2, "{literal}");
    }

    /// Python itself reads every literal back as exactly the original text.
    #[test]
    #[ignore = "needs python3 on PATH: run by scripts/test.sh"]
    fn python_reads_the_literals_back_unchanged() {
        let samples = [
            "plain",
            "it's \"quoted\" '''triple''' \"\"\"",
            "back\\slash\\",
            "line\nbreak\r\n\ttab",
            "{{ ds }} {% if x %} ${bizdate}",
            "x'); __import__('os').system('echo pwned'); ('",
            "支付流水 é 😀 \u{2028}",
            "\u{0}\u{1b}[31m",
        ];
        let literals: Vec<String> = samples.iter().map(|s| string_literal(s)).collect();
        let program = format!(
            "import json, sys\nvalues = [{}]\nsys.stdout.write(json.dumps(values))",
            literals.join(", ")
        );
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(&program)
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let read_back: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(read_back, samples);
    }

    #[test]
    fn values_become_python_literals() {
        let value = json!({"a": [1, 2.5, true, false, null], "b": "x"});
        assert_eq!(literal(&value), "{'a': [1, 2.5, True, False, None], 'b': 'x'}");
    }

    #[test]
    fn identifiers_are_checked_not_trusted() {
        assert!(is_identifier("load_orders"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier("class"));
        assert!(!is_identifier("x;import os"));
        assert!(!is_identifier(""));
        assert_eq!(identifier("ok"), Some("ok"));
    }
}
