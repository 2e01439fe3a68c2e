//! One Spark SQL expression on its own: what a quality rule's `expression`, `where`
//! and `with_where` hold.
//!
//! The text goes the way a file does — placeholders sanitised (see
//! [`super::placeholder`]), tokens and a parse with [`SparkDialect`] — but is parsed
//! as exactly one expression. A syntax error comes through the one adapter of
//! sqlparser's errors ([`super::syntax_error`]), located in the text.

use std::fmt;

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::dialect::{RECURSION_LIMIT, SparkDialect, hits_recursion_limit};
use super::location::LineIndex;
use super::placeholder;
use super::syntax_error::{self, ErrorContext};
use crate::diagnostic::{Diagnostic, FileId, Span};

/// Why a text is not exactly one Spark SQL expression. Spans are byte offsets in the
/// text (file [`FileId::default`]).
#[derive(Clone, Debug)]
pub enum ExpressionError {
    /// A placeholder (`${…}`, `{{…}}`) is not closed.
    UnclosedPlaceholder,
    /// The text does not parse: a Q301 diagnostic in flowc's words.
    Syntax(Box<Diagnostic>),
    /// One expression, then more: what follows it, and where.
    Trailing {
        /// The first token after the expression.
        found: String,
        /// Where it is.
        span: Span,
    },
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedPlaceholder => f.write_str("a placeholder is not closed"),
            Self::Syntax(diagnostic) => f.write_str(&diagnostic.message),
            Self::Trailing { found, .. } => write!(f, "unexpected `{found}` after the expression"),
        }
    }
}

/// Parses `text` as exactly one Spark SQL expression (placeholders allowed).
pub fn parse_expression(text: &str) -> Result<(), ExpressionError> {
    let file = FileId::default();
    let sanitized = placeholder::sanitize(file, text);
    if !sanitized.diagnostics.is_empty() {
        return Err(ExpressionError::UnclosedPlaceholder);
    }
    let index = LineIndex::new(file, &sanitized.text);
    let context = |tokens| ErrorContext {
        index: &index,
        original: text,
        tokens,
        statement: Span::file_start(file),
        recursion_limit: RECURSION_LIMIT,
    };
    let dialect = SparkDialect::default();
    let mut tokens = Tokenizer::new(&dialect, &sanitized.text)
        .tokenize_with_location()
        .map_err(|error| ExpressionError::Syntax(Box::new(syntax_error::tokenizer_error(&error, &context(&[])))))?;
    // An explicit end, located right after the text, so that "found EOF" points there.
    let end = tokens
        .last()
        .map_or(Location { line: 0, column: 0 }, |token| token.span.end);
    tokens.push(TokenWithSpan::new(
        Token::EOF,
        sqlparser::tokenizer::Span::new(end, end),
    ));
    // The token after the expression: the end, or text that should not be there.
    let after = |dialect: SparkDialect| {
        let mut parser = Parser::new(&dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens.clone());
        parser.parse_expr()?;
        Ok(parser.peek_token())
    };
    let next = match after(dialect) {
        Ok(next) if next.token == Token::EOF => return Ok(()),
        Ok(next) => Ok(next),
        Err(error) => Err(error),
    };
    // A too-deep `CASE` or `NOT` chain reads as an identifier followed by trailing text.
    let next = if hits_recursion_limit(|dialect| after(dialect).map(drop)) {
        Err(ParserError::RecursionLimitExceeded)
    } else {
        next
    };
    match next {
        Ok(next) => Err(ExpressionError::Trailing {
            found: next.token.to_string(),
            span: index.span(next.span).unwrap_or_else(|| Span::file_start(file)),
        }),
        Err(error) => Err(ExpressionError::Syntax(Box::new(syntax_error::parser_error(
            &error,
            &context(&tokens),
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<String> {
        parse_expression(text).err().map(|error| error.to_string())
    }

    #[test]
    fn one_expression_parses() {
        assert_eq!(problem("fee <= amount AND '${bizdate}' >= '2024-01-01'"), None);
        assert_eq!(problem("id IN (SELECT id FROM dws.elsewhere)"), None);
        assert_eq!(problem("  status = 'S'\n"), None);
    }

    #[test]
    fn more_than_one_expression_is_refused() {
        assert_eq!(
            problem("a > 0) OR (1 = 1").as_deref(),
            Some("unexpected `)` after the expression")
        );
        let Err(ExpressionError::Trailing { span, .. }) = parse_expression("a > 0) OR (1 = 1") else {
            panic!("trailing text")
        };
        assert_eq!(span.range(), 5..6);
    }

    #[test]
    fn problems_are_in_flowc_words() {
        assert_eq!(
            problem("a >").as_deref(),
            Some("expected an expression, found end of statement")
        );
        assert_eq!(problem("a = 'x").as_deref(), Some("unterminated string literal"));
        assert_eq!(problem("a = '${x'").as_deref(), Some("a placeholder is not closed"));
    }

    #[test]
    fn too_deep_chains_are_too_deep_not_trailing_text() {
        let too_deep = Some("statement nests too deeply (more than 50 levels)");
        let case = "CASE WHEN a THEN 1 ELSE ".repeat(60) + "1" + &" END".repeat(60);
        assert_eq!(problem(&case).as_deref(), too_deep);
        assert_eq!(problem(&("NOT ".repeat(60) + "a")).as_deref(), too_deep);
        assert_eq!(problem(&("- ".repeat(60) + "a")).as_deref(), too_deep);
        // Within the limit, the same chains parse.
        let case = "CASE WHEN a THEN 1 ELSE ".repeat(10) + "1" + &" END".repeat(10);
        assert_eq!(problem(&case), None);
        assert_eq!(problem(&("NOT ".repeat(10) + "a")), None);
        // A word that is a column, not a keyword, is still read as one.
        assert_eq!(problem("case = 1").as_deref(), None);
    }
}
