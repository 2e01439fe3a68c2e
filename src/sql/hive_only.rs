//! Hive statements that Spark SQL rejects.
//!
//! Spark's grammar lists them (its `unsupportedHiveNativeCommands` rule) and answers
//! "Operation not allowed" at run time; without this module they fail here with
//! whatever sqlparser makes of them, or — worse — parse as another dialect's statement
//! (`SHOW LOCKS`). Each one gets a located Q301 that names the construct, at its first
//! word; see [`super::syntax_error`] for the message.

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

/// Marks a parser error as a Hive-only construct, for [`super::syntax_error`].
pub(crate) const MARKER: &str = "\u{1f}hive-only\u{1f}";

/// Statements rejected by their first words.
const LEADING: &[&[&str]] = &[
    &["create", "role"],
    &["drop", "role"],
    &["grant"],
    &["revoke"],
    &["show", "grant"],
    &["show", "role"],
    &["show", "roles"],
    &["show", "principals"],
    &["show", "current", "roles"],
    &["set", "role"],
    &["export", "table"],
    &["import", "table"],
    &["import", "from"],
    &["show", "compactions"],
    &["show", "transactions"],
    &["show", "indexes"],
    &["show", "index"],
    &["show", "formatted", "index"],
    &["show", "locks"],
    &["show", "conf"],
    &["create", "index"],
    &["drop", "index"],
    &["alter", "index"],
    &["lock", "table"],
    &["lock", "database"],
    &["unlock", "table"],
    &["unlock", "database"],
    &["create", "temporary", "macro"],
    &["drop", "temporary", "macro"],
    &["create", "materialized", "view"],
    &["drop", "materialized", "view"],
    &["alter", "materialized", "view"],
    &["reload", "function"],
    &["reload", "functions"],
    &["abort", "transactions"],
    &["kill", "query"],
    &["start", "transaction"],
    &["commit"],
    &["rollback"],
    &["dfs"],
];

/// What Spark rejects after `ALTER TABLE t [PARTITION (…)]`.
const AFTER_ALTER_TABLE: &[&[&str]] = &[
    &["not", "clustered"],
    &["clustered", "by"],
    &["not", "sorted"],
    &["skewed", "by"],
    &["not", "skewed"],
    &["not", "stored", "as", "directories"],
    &["set", "skewed", "location"],
    &["exchange", "partition"],
    &["archive", "partition"],
    &["unarchive", "partition"],
    &["touch"],
    &["compact"],
    &["concatenate"],
    &["set", "fileformat"],
    &["set", "owner"],
    &["update", "statistics"],
    &["enable"],
    &["disable"],
];

fn is(token: &Token, text: &str) -> bool {
    matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(text))
}

fn matches_at(parser: &Parser, at: usize, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(i, word)| is(&parser.peek_nth_token_ref(at + i).token, word))
}

/// The error for the Hive-only statement at the parser's position, if it is one.
pub(crate) fn check(parser: &Parser) -> Option<ParserError> {
    if let Some(words) = LEADING.iter().find(|words| matches_at(parser, 0, words)) {
        let location = parser.peek_nth_token_ref(0).span.start;
        return Some(error(&words.join(" ").to_uppercase(), location));
    }
    if !matches_at(parser, 0, &["alter", "table"]) {
        return None;
    }
    let at = after_table_and_partition(parser, 2)?;
    let words = AFTER_ALTER_TABLE.iter().find(|words| matches_at(parser, at, words))?;
    let construct = format!("ALTER TABLE … {}", words.join(" ").to_uppercase());
    Some(error(&construct, parser.peek_nth_token_ref(at).span.start))
}

/// The position after a table name (`a`, `a.b`, `a.b.c`) starting at `at`, and after a
/// `PARTITION (…)` spec that follows it.
fn after_table_and_partition(parser: &Parser, mut at: usize) -> Option<usize> {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    if !matches!(peek(at), Token::Word(_)) {
        return None;
    }
    at += 1;
    while *peek(at) == Token::Period && matches!(peek(at + 1), Token::Word(_)) {
        at += 2;
    }
    if is(peek(at), "partition") && *peek(at + 1) == Token::LParen {
        at += 2;
        let mut depth = 1_usize;
        while depth > 0 {
            match peek(at) {
                Token::EOF => return None,
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            at += 1;
        }
    }
    Some(at)
}

/// A parser error that [`super::syntax_error`] renders as "`construct` is Hive syntax
/// that Spark SQL rejects".
pub(crate) fn error(construct: &str, location: Location) -> ParserError {
    ParserError::ParserError(format!("{MARKER}{construct}{location}"))
}

/// Marks a parser error as a Spark construct flowc does not read, for
/// [`super::syntax_error`]: the construct, then this separator, then the help.
pub(crate) const UNREAD_MARKER: &str = "\u{1f}unread\u{1f}";

/// Spark constructs flowc cannot read, with the help that says what to write instead.
/// Looked for only in a statement that failed to parse, to name what failed.
const UNREAD: &[(&[&str], &str, &str)] = &[
    (
        &["select", "transform", "("],
        "SELECT TRANSFORM (…) USING 'script'",
        "run the script in its own task, or use built-in functions",
    ),
    (&["table"], "TABLE t", "write `SELECT * FROM t`"),
    (
        &["replace", "where"],
        "INSERT INTO … REPLACE WHERE",
        "use `DELETE FROM t WHERE …` then `INSERT INTO t`, or `MERGE INTO`",
    ),
    (
        &["row", "format"],
        "INSERT OVERWRITE DIRECTORY … ROW FORMAT",
        "write `INSERT OVERWRITE DIRECTORY 'path' USING fmt [OPTIONS (…)]`",
    ),
    (
        &["stored", "as"],
        "INSERT OVERWRITE DIRECTORY … STORED AS",
        "write `INSERT OVERWRITE DIRECTORY 'path' USING fmt [OPTIONS (…)]`",
    ),
    (
        &["timestamp", "as", "of"],
        "… TIMESTAMP AS OF <expression>",
        "write the timestamp as a string literal (`TIMESTAMP AS OF '2024-01-01'`) or a version (`VERSION AS OF 3`)",
    ),
    (
        &["options", "("],
        "CACHE TABLE … OPTIONS ('key' 'value')",
        "write each option as `'key' = 'value'`",
    ),
];

fn token_is(token: &TokenWithSpan, text: &str) -> bool {
    match &token.token {
        Token::LParen => text == "(",
        token => is(token, text),
    }
}

/// The Spark construct flowc does not read that a failed statement uses, if any: a
/// named error instead of the parser's "expected …". `TABLE t` counts only as the
/// statement's start; the directory clauses only in an `INSERT … DIRECTORY`.
pub(crate) fn unread(tokens: &[TokenWithSpan]) -> Option<ParserError> {
    let significant: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|token| !matches!(token.token, Token::Whitespace(_) | Token::EOF))
        .collect();
    let is_directory = significant.iter().take(5).any(|token| token_is(token, "directory"));
    for (at, _) in significant.iter().enumerate() {
        for (words, construct, help) in UNREAD {
            let applies = match words[0] {
                "table" => at == 0,
                "row" | "stored" => is_directory,
                "options" => significant.first().is_some_and(|first| token_is(first, "cache")),
                // A literal after `AS OF` is read (see `blank_time_travel`): the error is elsewhere.
                "timestamp" => !significant.get(at + 3).is_some_and(|value| {
                    matches!(
                        value.token,
                        Token::Number(..) | Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
                    )
                }),
                _ => true,
            };
            let matches = applies
                && significant.len() >= at + words.len()
                && words
                    .iter()
                    .enumerate()
                    .all(|(i, word)| token_is(significant[at + i], word));
            if matches {
                let location = significant[at].span.start;
                return Some(ParserError::ParserError(format!(
                    "{UNREAD_MARKER}{construct}{UNREAD_MARKER}{help}{location}"
                )));
            }
        }
    }
    None
}
