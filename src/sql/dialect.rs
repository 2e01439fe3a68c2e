//! The Spark dialect flowc parses with: sqlparser's [`SparkSqlDialect`] plus the Spark
//! statements it does not read.
//!
//! Handled here, through the [`Dialect::parse_statement`] hook:
//! - `CREATE TABLE … USING fmt` followed by Spark's table clauses in any order
//!   (`OPTIONS`, `PARTITIONED BY`, `CLUSTERED BY`, `LOCATION`, `COMMENT`,
//!   `TBLPROPERTIES`), with or without `AS query`; sqlparser wants `PARTITIONED BY`
//!   before `USING` and knows no `OPTIONS`;
//! - `INSERT OVERWRITE [LOCAL] DIRECTORY ['path'] USING fmt [OPTIONS (…)] query`.
//!
//! Everything else is delegated unchanged. Statements that need more than one AST node
//! or no AST node at all (multi-insert, `ADD JAR`, `REFRESH`…) and clause reordering
//! are the statement loop's job, in [`super::parse`].

use std::any::TypeId;

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    ClusteredBy, CommentDef, CreateTableOptions, Expr, HiveDistributionStyle, HiveFormat, HiveIOFormat, Ident,
    ObjectName, SqlOption, Statement,
};
use sqlparser::dialect::{Dialect, SparkSqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

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
        if is_create_table_using(parser) {
            Some(parse_create_table_using(parser))
        } else if is_insert_directory_using(parser) {
            Some(parse_insert_directory_using(parser))
        } else {
            None
        }
    }
}

fn is_word(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword)
}

/// `CREATE [OR REPLACE] [EXTERNAL|TEMPORARY] TABLE … USING …`: a `USING` at the top
/// level before the query, if any.
fn is_create_table_using(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    if !is_word(peek(0), Keyword::CREATE) {
        return false;
    }
    let mut n = 1;
    if is_word(peek(n), Keyword::OR) && is_word(peek(n + 1), Keyword::REPLACE) {
        n += 2;
    }
    if [Keyword::EXTERNAL, Keyword::TEMPORARY, Keyword::TEMP]
        .iter()
        .any(|&keyword| is_word(peek(n), keyword))
    {
        n += 1;
    }
    if !is_word(peek(n), Keyword::TABLE) {
        return false;
    }
    let mut depth = 0_usize;
    loop {
        n += 1;
        match peek(n) {
            Token::EOF | Token::SemiColon => return false,
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(word) if depth == 0 => match word.keyword {
                Keyword::USING => return true,
                Keyword::AS | Keyword::SELECT | Keyword::LIKE => return false,
                _ => {}
            },
            _ => {}
        }
    }
}

fn parse_create_table_using(parser: &mut Parser) -> Result<Statement, ParserError> {
    parser.expect_keyword_is(Keyword::CREATE)?;
    let or_replace = parser.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
    let external = parser.parse_keyword(Keyword::EXTERNAL);
    let temporary = parser
        .parse_one_of_keywords(&[Keyword::TEMPORARY, Keyword::TEMP])
        .is_some();
    parser.expect_keyword_is(Keyword::TABLE)?;
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    let (columns, constraints) = parser.parse_columns()?;
    parser.expect_keyword_is(Keyword::USING)?;
    let format = parser.parse_identifier()?;

    let mut options: Vec<SqlOption> = Vec::new();
    let mut properties: Vec<SqlOption> = Vec::new();
    let mut partitioning = HiveDistributionStyle::NONE;
    let mut clustered_by = None;
    let mut location = None;
    let mut comment = None;
    // Spark accepts these clauses in any order.
    loop {
        let token = &parser.peek_token_ref().token;
        if is_word(token, Keyword::OPTIONS) {
            parser.advance_token();
            options = parse_spark_options(parser)?;
        } else if is_word(token, Keyword::TBLPROPERTIES) {
            parser.advance_token();
            properties = parse_spark_options(parser)?;
        } else if is_word(token, Keyword::PARTITIONED) {
            partitioning = parser.parse_hive_distribution()?;
            if matches!(partitioning, HiveDistributionStyle::NONE) {
                // sqlparser reads `PARTITIONED` only when `BY` follows; otherwise it
                // read nothing, and this loop would see `PARTITIONED` forever.
                parser.expect_keywords(&[Keyword::PARTITIONED, Keyword::BY])?;
            }
        } else if parser.parse_keywords(&[Keyword::CLUSTERED, Keyword::BY]) {
            clustered_by = Some(parse_clustered_by(parser)?);
        } else if parser.parse_keyword(Keyword::LOCATION) {
            location = Some(parser.parse_literal_string()?);
        } else if parser.parse_keyword(Keyword::COMMENT) {
            comment = Some(CommentDef::WithoutEq(parser.parse_literal_string()?));
        } else {
            break;
        }
    }
    let query = if parser.parse_keyword(Keyword::AS) {
        Some(parser.parse_query()?)
    } else {
        None
    };

    // The AST has one slot for table options: OPTIONS wins over TBLPROPERTIES.
    let table_options = if !options.is_empty() {
        CreateTableOptions::Options(options)
    } else if !properties.is_empty() {
        CreateTableOptions::TableProperties(properties)
    } else {
        CreateTableOptions::None
    };
    let hive_formats = HiveFormat {
        row_format: None,
        serde_properties: None,
        storage: Some(HiveIOFormat::Using { format }),
        location,
    };
    let table = CreateTableBuilder::new(name)
        .or_replace(or_replace)
        .external(external)
        .temporary(temporary)
        .if_not_exists(if_not_exists)
        .columns(columns)
        .constraints(constraints)
        .hive_distribution(partitioning)
        .clustered_by(clustered_by)
        .hive_formats(Some(hive_formats))
        .comment_after_column_def(comment)
        .table_options(table_options)
        .query(query)
        .build();
    Ok(Statement::CreateTable(table))
}

/// The rest of `CLUSTERED BY (cols) [SORTED BY (exprs)] INTO n BUCKETS`, which
/// sqlparser only reads for Hive.
fn parse_clustered_by(parser: &mut Parser) -> Result<ClusteredBy, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let columns = parser.parse_comma_separated(Parser::parse_identifier)?;
    parser.expect_token(&Token::RParen)?;
    let sorted_by = if parser.parse_keywords(&[Keyword::SORTED, Keyword::BY]) {
        parser.expect_token(&Token::LParen)?;
        let sorted = parser.parse_comma_separated(Parser::parse_order_by_expr)?;
        parser.expect_token(&Token::RParen)?;
        Some(sorted)
    } else {
        None
    };
    parser.expect_keyword_is(Keyword::INTO)?;
    let num_buckets = parser.parse_number_value()?.value;
    parser.expect_keyword_is(Keyword::BUCKETS)?;
    Ok(ClusteredBy {
        columns,
        sorted_by,
        num_buckets,
    })
}

/// Spark's `(key [=] value, …)` option list, after `OPTIONS` or `TBLPROPERTIES`: a key
/// is a string or a dotted name, the `=` is optional.
fn parse_spark_options(parser: &mut Parser) -> Result<Vec<SqlOption>, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let mut options = Vec::new();
    if parser.consume_token(&Token::RParen) {
        return Ok(options);
    }
    loop {
        let key = match parser.peek_token_ref().token.clone() {
            Token::SingleQuotedString(key) | Token::DoubleQuotedString(key) => {
                let token = parser.next_token();
                ObjectName::from(vec![Ident::with_span(token.span, key)])
            }
            _ => parser.parse_object_name(false)?,
        };
        // The `=` between key and value is optional in Spark.
        let _ = parser.consume_token(&Token::Eq);
        let value = parser.parse_expr()?;
        options.push(SqlOption::KeyValue { key, value });
        if !parser.consume_token(&Token::Comma) {
            break;
        }
    }
    parser.expect_token(&Token::RParen)?;
    Ok(options)
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
