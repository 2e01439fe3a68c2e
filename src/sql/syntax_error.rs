//! The one adapter from sqlparser's string errors to located Q301 diagnostics.
//!
//! sqlparser reports `Expected: X, found: Y at Line: 3, Column: 7`; the location is
//! recovered from that suffix and turned into a byte span in the original file (the
//! token found there, when there is one), and the message rewritten in flowc's style:
//! "expected X, found `Y`". Errors without a location point at the statement start.

use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, TokenizerError};

use super::hive_only;
use super::location::LineIndex;
use crate::diagnostic::{Code, Diagnostic, Span, invisible};
use crate::words::lowercase_first;

/// Longest text of a found token quoted in a message, in characters.
const MAX_FOUND_CHARS: usize = 40;

/// What the adapter needs to place an error.
pub(crate) struct ErrorContext<'a> {
    /// Line index of the text the tokenizer read.
    pub(crate) index: &'a LineIndex<'a>,
    /// The original text, to quote what was found.
    pub(crate) original: &'a str,
    /// The tokens of the statement, to widen a position to the token there.
    pub(crate) tokens: &'a [TokenWithSpan],
    /// Where the statement starts, for errors without a location.
    pub(crate) statement: Span,
    /// The parser's recursion limit, for the message.
    pub(crate) recursion_limit: usize,
}

/// Turns a parser error into a Q301 diagnostic.
pub(crate) fn parser_error(error: &ParserError, context: &ErrorContext<'_>) -> Diagnostic {
    match error {
        ParserError::ParserError(message) => match message.strip_prefix(hive_only::MARKER) {
            Some(construct) => {
                let (construct, location) = split_location(construct);
                hive_only_construct(construct, location, context)
            }
            None if message.starts_with(hive_only::UNREAD_MARKER) => {
                let (text, location) = split_location(&message[hive_only::UNREAD_MARKER.len()..]);
                let (construct, help) = text.split_once(hive_only::UNREAD_MARKER).unwrap_or((text, ""));
                let offset = location.and_then(|location| context.index.offset(location));
                let span = offset.map_or(context.statement, |offset| token_span_at(offset, None, context));
                unread_construct(span, construct, help)
            }
            None => {
                let (message, location) = split_location(message);
                located(message, location, context)
            }
        },
        ParserError::TokenizerError(message) => {
            let (message, location) = split_location(message);
            located(message, location, context)
        }
        ParserError::RecursionLimitExceeded => Diagnostic::error(
            Code::SqlSyntax,
            format!(
                "statement nests too deeply (more than {} levels)",
                context.recursion_limit
            ),
        )
        .at(context.statement)
        .with_label("in this statement")
        .with_help("split the statement, e.g. with a common table expression"),
    }
}

/// A Hive statement or clause that Spark SQL rejects, named, at its first word.
fn hive_only_construct(construct: &str, location: Option<Location>, context: &ErrorContext<'_>) -> Diagnostic {
    let offset = location.and_then(|location| context.index.offset(location));
    let span = offset.map_or(context.statement, |offset| token_span_at(offset, None, context));
    Diagnostic::error(
        Code::SqlSyntax,
        format!("`{construct}` is Hive syntax that Spark SQL rejects"),
    )
    .at(span)
    .with_label("not Spark SQL")
    .with_help("Spark answers \"Operation not allowed\" (see docs/sql.md for the forms it runs); run this in Hive, or remove it")
}

/// A Spark construct flowc does not read (`TABLE t`, `IDENTIFIER(…)`, `SELECT TRANSFORM`…),
/// named, with what to write instead.
pub(crate) fn unread_construct(span: Span, construct: &str, help: &str) -> Diagnostic {
    Diagnostic::error(
        Code::SqlSyntax,
        format!("`{construct}` is Spark SQL that flowc does not read"),
    )
    .at(span)
    .with_label("not readable by flowc")
    .with_help(help.to_owned())
}

/// Turns a tokenizer error into a Q301 diagnostic.
pub(crate) fn tokenizer_error(error: &TokenizerError, context: &ErrorContext<'_>) -> Diagnostic {
    located(&error.message, Some(error.location), context)
}

fn located(message: &str, location: Option<Location>, context: &ErrorContext<'_>) -> Diagnostic {
    let expectation = message
        .strip_prefix("Expected: ")
        .or_else(|| message.strip_prefix("Expected "))
        .and_then(|rest| rest.rsplit_once(", found: "));
    let offset = location.and_then(|location| context.index.offset(location));
    let found_token = expectation.map(|(_, found)| found).filter(|&found| found != "EOF");
    let span = offset.map_or(context.statement, |offset| token_span_at(offset, found_token, context));
    let (message, label) = match expectation {
        Some((expected, found)) => {
            let at_end = found == "EOF";
            let found = if at_end {
                "end of statement".to_owned()
            } else {
                let quoted = quote_found(found, span, context);
                invisible(&quoted).unwrap_or_else(|| format!("`{quoted}`"))
            };
            let label = if at_end {
                "statement ends here".to_owned()
            } else {
                format!("unexpected {found}")
            };
            (format!("expected {expected}, found {found}"), label)
        }
        None => (plain_message(message), "here".to_owned()),
    };
    let diagnostic = Diagnostic::error(Code::SqlSyntax, message).at(span).with_label(label);
    match misspelled_keyword(span, context) {
        Some((word_span, keyword)) if word_span != span => diagnostic
            .with_secondary(word_span, format!("`{keyword}` misspelled?"))
            .with_help(format!("did you mean `{keyword}`?")),
        Some((_, keyword)) => diagnostic.with_help(format!("did you mean `{keyword}`?")),
        None => diagnostic,
    }
}

/// Clause keywords a typo most often hides behind.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "HAVING",
    "JOIN",
    "INNER",
    "OUTER",
    "LEFT",
    "RIGHT",
    "INSERT",
    "INTO",
    "OVERWRITE",
    "TABLE",
    "PARTITION",
    "PARTITIONED",
    "UNION",
    "LIMIT",
    "WITH",
    "DISTINCT",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "DISTRIBUTE",
    "CLUSTER",
    "SORT",
    "LATERAL",
    "VIEW",
    "CREATE",
    "USING",
];

/// The word at or just before the error that looks like a misspelled keyword (`FORM`
/// for `FROM`), with the keyword.
fn misspelled_keyword(span: Span, context: &ErrorContext<'_>) -> Option<(Span, &'static str)> {
    let tokens: Vec<&TokenWithSpan> = context
        .tokens
        .iter()
        .filter(|token| !matches!(token.token, Token::Whitespace(_)))
        .collect();
    // A name (a table after FROM, a part of `db.table`) is not a keyword typo.
    let is_name = |i: usize| {
        let before = i.checked_sub(1).and_then(|j| tokens.get(j)).map(|t| &t.token);
        let after = tokens.get(i + 1).map(|t| &t.token);
        matches!(before, Some(Token::Period))
            || matches!(after, Some(Token::Period))
            || matches!(before, Some(Token::Word(w)) if ["FROM", "JOIN", "TABLE", "INTO", "UPDATE", "AS"]
                .contains(&w.value.to_ascii_uppercase().as_str()))
    };
    let words: Vec<(Span, String)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, token)| match &token.token {
            Token::Word(word) if word.quote_style.is_none() && !is_name(i) => {
                Some((context.index.span(token.span)?, word.value.to_ascii_uppercase()))
            }
            _ => None,
        })
        .filter(|(word_span, _)| word_span.start <= span.start)
        .collect();
    words.iter().rev().take(2).find_map(|(word_span, word)| {
        if word.len() < 4 || KEYWORDS.contains(&word.as_str()) {
            return None;
        }
        let keyword = crate::diagnostic::suggest::closest(word, KEYWORDS.iter().copied())?;
        let keyword = KEYWORDS.iter().copied().find(|k| *k == keyword)?;
        Some((*word_span, keyword))
    })
}

/// Splits `… at Line: L, Column: C` into the message and its location.
fn split_location(message: &str) -> (&str, Option<Location>) {
    let Some((text, position)) = message.rsplit_once(" at Line: ") else {
        return (message, None);
    };
    let location = position.split_once(", Column: ").and_then(|(line, column)| {
        Some(Location {
            line: line.trim().parse().ok()?,
            column: column.trim().parse().ok()?,
        })
    });
    match location {
        Some(location) => (text, Some(location)),
        None => (message, None),
    }
}

/// The span of the token the error is about: the one starting at `offset`, unless it is
/// not the token found and that token comes just before (sqlparser sometimes reports
/// the position after the token it names); else the point itself.
fn token_span_at(offset: u32, found: Option<&str>, context: &ErrorContext<'_>) -> Span {
    let tokens = || {
        context
            .tokens
            .iter()
            .filter(|token| !matches!(token.token, Token::Whitespace(_) | Token::EOF))
            .filter_map(|token| Some((token, context.index.span(token.span)?)))
    };
    let at = tokens().find(|(_, span)| span.start == offset && span.end > span.start);
    let is_found = |token: &TokenWithSpan| found.is_some_and(|found| token.token.to_string() == found);
    match at {
        Some((token, span)) if is_found(token) || found.is_none() => span,
        _ => {
            let before = tokens().take_while(|(_, span)| span.start < offset).last();
            match (before, at) {
                (Some((token, span)), _) if is_found(token) => span,
                (_, Some((_, span))) => span,
                _ => Span::new(context.index.file(), offset, offset),
            }
        }
    }
}

/// What was found, as written in the original file (placeholders included).
fn quote_found(found: &str, span: Span, context: &ErrorContext<'_>) -> String {
    let written = context
        .original
        .get(span.range())
        .and_then(|text| text.lines().next())
        .filter(|text| !text.is_empty())
        .unwrap_or(found);
    let mut quoted: String = written.chars().take(MAX_FOUND_CHARS).collect();
    if written.chars().count() > MAX_FOUND_CHARS {
        quoted.push('…');
    }
    quoted
}

/// Text made only of characters a terminal does not show (a byte order mark, a
/// zero-width space, a control character), named by code point instead of quoted.
fn invisible(text: &str) -> Option<String> {
    if text.is_empty() || !text.chars().all(invisible::is_invisible) {
        return None;
    }
    let names: Vec<String> = text
        .chars()
        .map(|c| match c {
            '\u{FEFF}' => "U+FEFF (a byte order mark: save the file as UTF-8 without one)".to_owned(),
            c => invisible::describe(c),
        })
        .collect();
    Some(names.join(", "))
}

/// A message that names no expectation, in flowc's style; sqlparser's empty message
/// becomes "syntax error".
fn plain_message(message: &str) -> String {
    match message.trim() {
        "" => "syntax error".to_owned(),
        text => lowercase_first(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_suffix_is_split_off() {
        let (message, location) = split_location("Expected: ), found: x at Line: 3, Column: 7");
        assert_eq!(message, "Expected: ), found: x");
        assert_eq!(location, Some(Location { line: 3, column: 7 }));
        assert_eq!(split_location("no location"), ("no location", None));
    }

    #[test]
    fn both_spellings_of_expected_are_rewritten() {
        let index = LineIndex::new(crate::diagnostic::FileId::from_index(0), "SELECT a, FROM t");
        let context = ErrorContext {
            index: &index,
            original: "SELECT a, FROM t",
            tokens: &[],
            statement: Span::new(index.file(), 0, 0),
            recursion_limit: 50,
        };
        for raw in [
            "Expected: an expression, found: FROM",
            "Expected an expression, found: FROM",
        ] {
            let diagnostic = located(raw, Some(Location { line: 1, column: 11 }), &context);
            assert_eq!(diagnostic.message, "expected an expression, found `FROM`");
            assert_eq!(diagnostic.span, Some(Span::new(index.file(), 10, 10)));
        }
    }

    #[test]
    fn messages_start_lowercase() {
        assert_eq!(
            plain_message("Unterminated string literal"),
            "unterminated string literal"
        );
        assert_eq!(plain_message(" "), "syntax error");
    }
    fn help_for(sql: &str) -> Option<String> {
        let analysis = crate::sql::analyze(
            crate::diagnostic::FileId::from_index(0),
            sql,
            &crate::sql::SqlOptions::default(),
        );
        analysis.diagnostics.first().and_then(|d| d.help.clone())
    }

    #[test]
    fn misspelled_clause_keywords_get_did_you_mean() {
        assert_eq!(help_for("SELECT a\nFORM t").as_deref(), Some("did you mean `FROM`?"));
        assert_eq!(help_for("SELEC a FROM t").as_deref(), Some("did you mean `SELECT`?"));
    }

    #[test]
    fn column_names_are_not_mistaken_for_keywords() {
        assert_eq!(help_for("SELECT a FROM t WHERE (a > 1"), None);
        assert_eq!(help_for("SELECT SUM(amount) FROM ods.orders GROUP;"), None);
        assert_eq!(help_for("SELECT amount FROM orders GROUP;"), None);
        // `PARTITIONED BY` is Spark's, not a misspelt `PARTITION`.
        assert_eq!(help_for("CREATE TABLE t (a INT) USING delta PARTITIONED a"), None);
    }
}
