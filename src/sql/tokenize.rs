//! The tokens of one SQL file, for [`super::parse`]: sqlparser's tokenizer, with
//! located errors and recovery, and without the blank tokens the parser skips; handed
//! to the parser one statement at a time ([`Statements`]).

use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Whitespace};

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
    if let Some(tokens) = tokenize_in_pieces(text) {
        return tokens;
    }
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

/// A file's tokens, handed out one statement (no `;`, trimmed of comments) at a time;
/// the tokens of a statement handed out are no longer held here.
pub(super) struct Statements {
    /// The tokens not handed out yet, last first, so that a statement is cut off the end.
    reversed: Vec<TokenWithSpan>,
}

impl Statements {
    pub(super) fn new(mut tokens: Vec<TokenWithSpan>) -> Self {
        tokens.reverse();
        Self { reversed: tokens }
    }

    pub(super) fn next_statement(&mut self) -> Option<Vec<TokenWithSpan>> {
        while !self.reversed.is_empty() {
            let at = self
                .reversed
                .iter()
                .rposition(|token| token.token == Token::SemiColon)
                .map_or(0, |semicolon| semicolon + 1);
            let mut statement = if at == 0 {
                std::mem::take(&mut self.reversed)
            } else {
                let statement = self.reversed.split_off(at);
                self.reversed.pop(); // the `;`
                self.reversed.shrink_to_fit();
                statement
            };
            statement.reverse();
            let Some(first) = statement.iter().position(is_significant) else {
                continue;
            };
            let last = statement.iter().rposition(is_significant).unwrap_or(first);
            statement.truncate(last + 1);
            statement.drain(..first);
            return Some(statement);
        }
        None
    }
}

/// The tokens of the statement at `span`, whose first token starts at `start`, as the
/// file's tokenizing found them (the statement's text tokenizes the same on its own).
pub(super) fn retokenize(sanitized: &str, span: Span, start: Location) -> Vec<TokenWithSpan> {
    let Some(text) = sanitized.get(span.range()) else {
        return Vec::new();
    };
    let place = |location: Location| match location.line {
        0 => location,
        1 => Location::new(start.line, start.column + location.column - 1),
        line => Location::new(start.line + line - 1, location.column),
    };
    let dialect = SparkDialect::default();
    let mut tokens = Vec::new();
    let mapped = Tokenizer::new(&dialect, text).tokenize_with_location_into_buf_with_mapper(&mut tokens, |token| {
        TokenWithSpan::new(
            token.token,
            sqlparser::tokenizer::Span::new(place(token.span.start), place(token.span.end)),
        )
    });
    if mapped.is_err() {
        return Vec::new();
    }
    tokens.retain(|token| !is_blank(&token.token));
    tokens
}

/// Neither a blank nor a comment, nor the end.
pub(super) fn is_significant(token: &TokenWithSpan) -> bool {
    !matches!(token.token, Token::Whitespace(_) | Token::EOF)
}

/// Bytes of text tokenized at a time by [`tokenize_in_pieces`], at least.
const PIECE: usize = 64 * 1024;

/// Tokenizes `text` a piece at a time, dropping each piece's blank tokens before the
/// next is read: sqlparser makes a token of every space and line break, and a file's are
/// never all held. A piece ends after a line break that the tokenizer read as a token of
/// its own, so no token spans two pieces, and nothing before it changes how the next
/// piece tokenizes (its first token follows a blank). `None` when the rest of the text
/// does not tokenize: the whole text then goes through [`tokenize`]'s recovering path.
fn tokenize_in_pieces(text: &str) -> Option<Vec<TokenWithSpan>> {
    let dialect = SparkDialect::default();
    let mut tokens = Vec::new();
    let mut piece = Vec::new();
    let (mut start, mut lines) = (0, 0_u64);
    while start < text.len() {
        let mut size = PIECE;
        let end = loop {
            let end = text[start..]
                .get(size..)
                .and_then(|rest| rest.find('\n'))
                .map_or(text.len(), |at| start + size + at + 1);
            piece.clear();
            let read = Tokenizer::new(&dialect, &text[start..end])
                .tokenize_with_location_into_buf_with_mapper(&mut piece, |token| shift(token, lines));
            let whole = matches!(piece.last(), Some(last) if last.token == Token::Whitespace(Whitespace::Newline));
            match read {
                Ok(()) if whole || end == text.len() => break end,
                _ if end == text.len() => return None,
                _ => size = size.saturating_mul(2),
            }
        };
        tokens.extend(piece.drain(..).filter(|token| !is_blank(&token.token)));
        lines += text[start..end].bytes().filter(|&byte| byte == b'\n').count() as u64;
        start = end;
    }
    tokens.shrink_to_fit();
    Some(tokens)
}

/// `token` of a piece that starts `lines` lines into the text, located in the text.
fn shift(token: TokenWithSpan, lines: u64) -> TokenWithSpan {
    let place = |location: Location| Location::new(location.line + lines, location.column);
    let span = sqlparser::tokenizer::Span::new(place(token.span.start), place(token.span.end));
    TokenWithSpan::new(token.token, span)
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
pub(super) fn is_blank(token: &Token) -> bool {
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

    #[test]
    fn a_statement_retokenizes_to_the_same_tokens() {
        let text = "USE db;\n  /* a */ SELECT  é.`x`,\n\t'ü' -- c\n  FROM t /*+ HINT */ WHERE a = 'b;c' ;; SELECT 1";
        let index = LineIndex::new(FileId::default(), text);
        let mut diagnostics = Vec::new();
        let mut statements = Statements::new(tokenize(text, &index, text, &mut diagnostics));
        let mut count = 0;
        while let Some(tokens) = statements.next_statement() {
            count += 1;
            let span = index.span(tokens[0].span).unwrap();
            let end = index.span(tokens[tokens.len() - 1].span).unwrap();
            let statement = Span::new(span.file, span.start, end.end);
            assert_eq!(retokenize(text, statement, tokens[0].span.start), tokens);
        }
        assert_eq!(count, 3);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    #[test]
    fn pieces_tokenize_as_the_whole_text() {
        let block =
            "SELECT a.b, 'multi\nline ; string', `q\nid` -- c;\nFROM t /* long\n\ncomment */\n  WHERE x = 1.5e3;\n";
        let text = block.repeat(3 * PIECE / block.len());
        let whole: Vec<TokenWithSpan> = Tokenizer::new(&SparkDialect::default(), &text)
            .tokenize_with_location()
            .unwrap()
            .into_iter()
            .filter(|token| !is_blank(&token.token))
            .collect();
        assert_eq!(tokenize_in_pieces(&text), Some(whole));
        // An unterminated string in the last piece: the recovering path reads the text.
        assert_eq!(tokenize_in_pieces(&format!("{text}SELECT 'x")), None);
    }
}
