//! The Spark dialect flowc parses with: sqlparser's [`SparkSqlDialect`] plus the Spark
//! statements it does not read.
//!
//! Handled here, through the [`Dialect::parse_statement`] hook:
//! - `CREATE TABLE` (all but `LIKE`), in [`create_table`];
//! - `INSERT OVERWRITE [LOCAL] DIRECTORY ['path'] USING fmt [OPTIONS (…)] query`.
//!
//! Everything else is delegated unchanged. Statements that need more than one AST node
//! or no AST node at all (multi-insert, `ADD JAR`, `REFRESH`…) and clause reordering
//! are the statement loop's job, in [`super::parse`].

use std::any::TypeId;

use sqlparser::ast::{Expr, SqlOption, Statement};
use sqlparser::dialect::{Dialect, SparkSqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::create_table::{self, is_word, parse_spark_options};

/// The parser's recursion limit: sqlparser's default, stated here so messages can
/// name it.
pub(crate) const RECURSION_LIMIT: usize = 50;

/// sqlparser's Spark dialect, extended with the Spark statements it cannot parse.
#[derive(Clone, Copy, Debug, Default)]
pub struct SparkDialect {
    base: SparkSqlDialect,
    /// A reserved word whose expression fails is not read again as an identifier:
    /// see [`hits_recursion_limit`].
    no_identifier_retry: bool,
}

/// Whether `parse`, which failed with the Spark dialect, fails because the statement
/// nests deeper than the recursion limit.
///
/// sqlparser reads a reserved word whose expression fails (`CASE …`, `NOT …`) again
/// as a plain identifier, and that retry swallows `RecursionLimitExceeded`: 48 nested
/// `CASE`s read as a column named `case`, then fail with a wrong "found `a`" (issue 14,
/// F24). Run again with a dialect that never makes that retry, the same parse reports
/// the limit when it hit it. Only failed parses run twice.
pub(crate) fn hits_recursion_limit(parse: impl FnOnce(SparkDialect) -> Result<(), ParserError>) -> bool {
    let strict = SparkDialect {
        no_identifier_retry: true,
        ..SparkDialect::default()
    };
    matches!(parse(strict), Err(ParserError::RecursionLimitExceeded))
}

/// Delegates argument-less `bool` capability methods to the base dialect.
macro_rules! delegate {
    ($($method:ident),* $(,)?) => {
        $(fn $method(&self) -> bool { self.base.$method() })*
    };
}

impl Dialect for SparkDialect {
    // Parser code that asks "is this the Spark dialect?" must answer yes.
    fn dialect(&self) -> TypeId {
        TypeId::of::<SparkSqlDialect>()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.base.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.base.is_identifier_part(ch)
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.base.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.base.identifier_quote_style(identifier)
    }

    fn supports_string_literal_column_alias(&self, explicit: bool) -> bool {
        self.base.supports_string_literal_column_alias(explicit)
    }

    fn supports_string_literal_table_alias(&self, explicit: bool) -> bool {
        self.base.supports_string_literal_table_alias(explicit)
    }

    // sqlparser asks this only to decide whether to retry a failed reserved-word
    // expression as an identifier.
    fn is_reserved_for_identifier(&self, keyword: Keyword) -> bool {
        self.no_identifier_retry || self.base.is_reserved_for_identifier(keyword)
    }

    delegate!(
        supports_comparison_in_between_low_bound,
        supports_filter_during_aggregation,
        supports_group_by_expr,
        supports_group_by_with_modifier,
        supports_lambda_functions,
        supports_select_wildcard_except,
        supports_struct_literal,
        supports_nested_comments,
        supports_create_table_using,
        supports_long_type_as_bigint,
        supports_values_as_table_factor,
        require_interval_qualifier,
        supports_bang_not_operator,
        supports_select_item_multi_column_alias,
        supports_cte_without_as,
        supports_map_literal_with_angle_brackets,
        supports_pipe_operator,
    );

    // `FROM t TABLESAMPLE (10 PERCENT) s`: Spark's sample comes before the alias.
    fn supports_table_sample_before_alias(&self) -> bool {
        true
    }

    // Spark reads `\'`, `\\`, `\n`… inside string literals (unless
    // `spark.sql.parser.escapedStringLiterals` is set); sqlparser's Spark dialect does not.
    fn supports_string_literal_backslash_escape(&self) -> bool {
        true
    }

    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, precedence: u8) -> Option<Result<Expr, ParserError>> {
        self.base.parse_infix(parser, expr, precedence)
    }

    // In a multi-insert (`FROM src INSERT …`), `INSERT` ends the FROM clause; it is
    // never an implicit table alias.
    fn is_table_alias(&self, keyword: &Keyword, parser: &mut Parser) -> bool {
        *keyword != Keyword::INSERT && self.base.is_table_alias(keyword, parser)
    }

    // Likewise `INSERT` ends a branch's select list: `SELECT x INSERT INTO t …` is the
    // next branch, not a column aliased `insert` followed by `SELECT … INTO t`.
    fn is_column_alias(&self, keyword: &Keyword, parser: &mut Parser) -> bool {
        *keyword != Keyword::INSERT && self.base.is_column_alias(keyword, parser)
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        if create_table::is_create_table(parser) {
            Some(create_table::parse_create_table(parser))
        } else if is_insert_directory_using(parser) {
            Some(parse_insert_directory_using(parser))
        } else {
            None
        }
    }
}

/// `INSERT OVERWRITE [LOCAL] DIRECTORY ['path'] USING`.
fn is_insert_directory_using(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    if !(is_word(peek(0), Keyword::INSERT) && is_word(peek(1), Keyword::OVERWRITE)) {
        return false;
    }
    let mut n = 2;
    if is_word(peek(n), Keyword::LOCAL) {
        n += 1;
    }
    if !is_word(peek(n), Keyword::DIRECTORY) {
        return false;
    }
    n += 1;
    if matches!(peek(n), Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)) {
        n += 1;
    }
    is_word(peek(n), Keyword::USING)
}

fn parse_insert_directory_using(parser: &mut Parser) -> Result<Statement, ParserError> {
    parser.expect_keywords(&[Keyword::INSERT, Keyword::OVERWRITE])?;
    let local = parser.parse_keyword(Keyword::LOCAL);
    parser.expect_keyword_is(Keyword::DIRECTORY)?;
    let path = if parser.parse_keyword(Keyword::USING) {
        parser.prev_token();
        String::new()
    } else {
        parser.parse_literal_string()?
    };
    parser.expect_keyword_is(Keyword::USING)?;
    parser.parse_identifier()?;
    let options = if parser.parse_keyword(Keyword::OPTIONS) {
        parse_spark_options(parser)?
    } else {
        Vec::new()
    };
    // Without a path in the statement, Spark takes it from `OPTIONS ('path' …)`.
    let path = if path.is_empty() {
        options
            .iter()
            .find_map(|option| match option {
                SqlOption::KeyValue { key, value } if key.to_string().eq_ignore_ascii_case("path") => {
                    Some(value.to_string().trim_matches('\'').to_owned())
                }
                _ => None,
            })
            .unwrap_or_default()
    } else {
        path
    };
    let source = parser.parse_query()?;
    Ok(Statement::Directory {
        overwrite: true,
        local,
        path,
        file_format: None,
        source,
    })
}
