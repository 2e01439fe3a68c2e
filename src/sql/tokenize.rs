//! The tokens of one SQL file, for [`super::parse`]: sqlparser's tokenizer, with
//! located errors and recovery, and without the blank tokens the parser skips.

use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use super::dialect::{RECURSION_LIMIT, SparkDialect};
use super::location::LineIndex;
use super::syntax_error::{self, ErrorContext};
use crate::diagnostic::{Diagnostic, Span};

/// After this many tokenizer errors in one file, the rest of the file is not read.
const MAX_TOKENIZER_ERRORS: usize = 10;

/// Tokenizes the whole text. After an error the text up to the next `;` is blanked and
/// tokenizing starts again, so positions stay those of the original.
pub(super) fn tokenize(
    text: &str,
    index: &LineIndex<'_>,
    original: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<TokenWithSpan> {
    let dialect = SparkDialect::default();
    let mut current = std::borrow::Cow::Borrowed(text);
    for _ in 0..MAX_TOKENIZER_ERRORS {
        match Tokenizer::new(&dialect, &current).tokenize_with_location() {
            Ok(mut tokens) => {
                // sqlparser makes a token of every space and line break, some 90 bytes
                // each, and the parser skips them (none matters to the Spark dialect:
                // only BigQuery's hyphenated names and newline-joined strings look).
                // Comments stay: the parser reads optimizer hints from them.
                tokens.retain(|token| !is_blank(&token.token));
                tokens.shrink_to_fit();
                return tokens;
            }
            Err(error) => {
                let context = ErrorContext {
                    index,
                    original,
                    tokens: &[],
                    statement: Span::file_start(index.file()),
                    recursion_limit: RECURSION_LIMIT,
                };
                diagnostics.push(syntax_error::tokenizer_error(&error, &context));
                let at = index
                    .offset(error.location)
                    .map_or(text.len(), |offset| offset as usize);
                let resume = current[at.min(current.len())..]
                    .find(';')
                    .map_or(current.len(), |n| at + n + 1);
                current = std::borrow::Cow::Owned(blank_prefix(&current, resume));
            }
        }
    }
    Vec::new()
}

/// `text` with every byte before `end` (a char boundary) turned into a space, except
/// newlines.
fn blank_prefix(text: &str, end: usize) -> String {
    let end = end.min(text.len());
    let prefix: String = text[..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    // Multi-byte characters became one space: pad so that the length stays the same.
    let mut out = String::with_capacity(text.len());
    out.push_str(&prefix);
    out.push_str(&" ".repeat(end - prefix.len()));
    out.push_str(&text[end..]);
    out
}

/// A space, tab or line break: a token the parser skips and nothing else reads.
fn is_blank(token: &Token) -> bool {
    matches!(
        token,
        Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;

    #[test]
    fn blanks_are_dropped_and_comments_kept() {
        let text = "SELECT  a,\n\tb -- why\nFROM t /*+ BROADCAST(t) */;\n";
        let index = LineIndex::new(FileId::default(), text);
        let mut diagnostics = Vec::new();
        let tokens = tokenize(text, &index, text, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(!tokens.iter().any(|token| is_blank(&token.token)), "{tokens:?}");
        let comments = tokens
            .iter()
            .filter(|token| matches!(token.token, Token::Whitespace(_)))
            .count();
        assert_eq!(comments, 2);
        // Tokens keep their places: `b` is on line 2, column 2.
        let b = tokens.iter().find(|token| token.token.to_string() == "b").unwrap();
        assert_eq!((b.span.start.line, b.span.start.column), (2, 2));
    }
}
