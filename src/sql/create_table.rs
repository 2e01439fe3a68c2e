//! Spark's `CREATE TABLE`, in both its data source and its Hive format forms.
//!
//! Spark reads `CREATE [OR REPLACE] [TEMPORARY] [EXTERNAL] TABLE [IF NOT EXISTS] t
//! [(columns)] [USING fmt]` (or `[CREATE OR] REPLACE TABLE t …`) followed by its table
//! clauses in any order — `OPTIONS`, `PARTITIONED BY`, `CLUSTERED BY … INTO n BUCKETS`,
//! `ROW FORMAT …`, `STORED AS …`, `LOCATION`, `COMMENT`, `TBLPROPERTIES` — and then an
//! optional query, with or without `AS`. sqlparser's Spark dialect wants a fixed order,
//! knows no `OPTIONS`, reads `CLUSTERED BY` for Hive only and needs the `AS`. The Hive
//! clauses Spark rejects (`SKEWED BY`, `STORED BY`) get a named error. `CREATE TABLE …
//! LIKE` stays sqlparser's.

use sqlparser::ast::helpers::stmt_create_table::CreateTableBuilder;
use sqlparser::ast::{
    ClusteredBy, CommentDef, CreateTableOptions, HiveDistributionStyle, HiveFormat, HiveIOFormat, Ident, ObjectName,
    SqlOption, Statement,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::hive_only;

/// `CREATE … TABLE` or `REPLACE TABLE`, not followed by `LIKE` after the name.
pub(crate) fn is_create_table(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    let mut n = 0;
    if is_word(peek(n), Keyword::CREATE) {
        n += 1;
        if is_word(peek(n), Keyword::OR) && is_word(peek(n + 1), Keyword::REPLACE) {
            n += 2;
        }
        while [Keyword::EXTERNAL, Keyword::TEMPORARY, Keyword::TEMP]
            .iter()
            .any(|&keyword| is_word(peek(n), keyword))
        {
            n += 1;
        }
    } else if is_word(peek(n), Keyword::REPLACE) {
        n += 1;
    } else {
        return false;
    }
    if !is_word(peek(n), Keyword::TABLE) {
        return false;
    }
    n += 1;
    if is_word(peek(n), Keyword::IF) {
        n += 3;
    }
    // The name: `a`, `a.b`, `a.b.c`.
    n += 1;
    while *peek(n) == Token::Period {
        n += 2;
    }
    !is_word(peek(n), Keyword::LIKE)
}

/// Parses the statement [`is_create_table`] recognised.
pub(crate) fn parse_create_table(parser: &mut Parser) -> Result<Statement, ParserError> {
    let create = parser.parse_keyword(Keyword::CREATE);
    let or_replace = !create || parser.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
    let (mut external, mut temporary) = (false, false);
    loop {
        if parser.parse_keyword(Keyword::EXTERNAL) {
            external = true;
        } else if parser
            .parse_one_of_keywords(&[Keyword::TEMPORARY, Keyword::TEMP])
            .is_some()
        {
            temporary = true;
        } else {
            break;
        }
    }
    if !create {
        parser.expect_keyword_is(Keyword::REPLACE)?;
    }
    parser.expect_keyword_is(Keyword::TABLE)?;
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    let (columns, constraints) = parser.parse_columns()?;
    let mut clauses = Clauses::default();
    clauses.parse(parser)?;
    let query = if parser.parse_keyword(Keyword::AS) || starts_query(parser) {
        Some(parser.parse_query()?)
    } else {
        None
    };

    // The AST has one slot for table options: OPTIONS wins over TBLPROPERTIES.
    let table_options = if !clauses.options.is_empty() {
        CreateTableOptions::Options(clauses.options)
    } else if !clauses.properties.is_empty() {
        CreateTableOptions::TableProperties(clauses.properties)
    } else {
        CreateTableOptions::None
    };
    let table = CreateTableBuilder::new(name)
        .or_replace(or_replace)
        .external(external)
        .temporary(temporary)
        .if_not_exists(if_not_exists)
        .columns(columns)
        .constraints(constraints)
        .hive_distribution(clauses.partitioning)
        .clustered_by(clauses.clustered_by)
        .hive_formats(Some(clauses.formats))
        .comment_after_column_def(clauses.comment)
        .table_options(table_options)
        .query(query)
        .build();
    Ok(Statement::CreateTable(table))
}

/// A query right after the table clauses: Spark's `AS` is optional.
fn starts_query(parser: &Parser) -> bool {
    let token = &parser.peek_token_ref().token;
    [Keyword::SELECT, Keyword::WITH, Keyword::VALUES, Keyword::TABLE]
        .iter()
        .any(|&keyword| is_word(token, keyword))
}

/// The table clauses, in the order met.
struct Clauses {
    options: Vec<SqlOption>,
    properties: Vec<SqlOption>,
    partitioning: HiveDistributionStyle,
    clustered_by: Option<ClusteredBy>,
    formats: HiveFormat,
    comment: Option<CommentDef>,
}

impl Default for Clauses {
    fn default() -> Self {
        Self {
            options: Vec::new(),
            properties: Vec::new(),
            partitioning: HiveDistributionStyle::NONE,
            clustered_by: None,
            formats: HiveFormat::default(),
            comment: None,
        }
    }
}

impl Clauses {
    fn parse(&mut self, parser: &mut Parser) -> Result<(), ParserError> {
        loop {
            // Cloned: the clause parsers below need the parser mutably (a few per table).
            let token = &parser.peek_token_ref().token.clone();
            if is_word(token, Keyword::OPTIONS) {
                parser.advance_token();
                self.options = parse_spark_options(parser)?;
            } else if is_word(token, Keyword::TBLPROPERTIES) {
                parser.advance_token();
                self.properties = parse_spark_options(parser)?;
            } else if is_word(token, Keyword::PARTITIONED) {
                self.partitioning = parser.parse_hive_distribution()?;
                if matches!(self.partitioning, HiveDistributionStyle::NONE) {
                    // sqlparser reads `PARTITIONED` only when `BY` follows; otherwise it
                    // read nothing, and this loop would see `PARTITIONED` forever.
                    parser.expect_keywords(&[Keyword::PARTITIONED, Keyword::BY])?;
                }
            } else if parser.parse_keywords(&[Keyword::CLUSTERED, Keyword::BY]) {
                self.clustered_by = Some(parse_clustered_by(parser)?);
            } else if matches!(token, Token::Word(word) if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("skewed"))
            {
                return Err(hive_only::error(
                    "CREATE TABLE … SKEWED BY",
                    parser.peek_token_ref().span.start,
                ));
            } else if is_word(token, Keyword::STORED) && is_word(&parser.peek_nth_token_ref(1).token, Keyword::BY) {
                return Err(hive_only::error(
                    "CREATE TABLE … STORED BY",
                    parser.peek_token_ref().span.start,
                ));
            } else if is_word(token, Keyword::ROW) || is_word(token, Keyword::STORED) || is_word(token, Keyword::WITH) {
                let Some(formats) = parser.parse_hive_formats()? else {
                    // A `WITH` that starts no `SERDEPROPERTIES`: the query's CTEs.
                    return Ok(());
                };
                self.merge(formats);
            } else if parser.parse_keyword(Keyword::USING) {
                let format = parser.parse_identifier()?;
                self.formats.storage = Some(HiveIOFormat::Using { format });
            } else if parser.parse_keyword(Keyword::LOCATION) {
                self.formats.location = Some(parser.parse_literal_string()?);
            } else if parser.parse_keyword(Keyword::COMMENT) {
                self.comment = Some(CommentDef::WithoutEq(parser.parse_literal_string()?));
            } else {
                return Ok(());
            }
        }
    }

    fn merge(&mut self, formats: HiveFormat) {
        let HiveFormat {
            row_format,
            serde_properties,
            storage,
            location,
        } = formats;
        self.formats.row_format = row_format.or(self.formats.row_format.take());
        self.formats.serde_properties = serde_properties.or(self.formats.serde_properties.take());
        self.formats.storage = storage.or(self.formats.storage.take());
        self.formats.location = location.or(self.formats.location.take());
    }
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

pub(crate) fn is_word(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword)
}

/// Spark's `(key [=] value, …)` option list, after `OPTIONS` or `TBLPROPERTIES`: a key
/// is a string or a dotted name, the `=` is optional.
pub(crate) fn parse_spark_options(parser: &mut Parser) -> Result<Vec<SqlOption>, ParserError> {
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
