//! Spark statements that sqlparser has no syntax tree for, or reads as another dialect's:
//! `ADD|LIST JAR|FILE|ARCHIVE`, `REFRESH`, `CLEAR CACHE`, `SET …` and `RESET …` in all
//! their forms, `CREATE|DROP [TEMPORARY] FUNCTION` and `DESCRIBE FUNCTION`.
//!
//! None of them reads or writes table data. What matters downstream is kept: the table
//! a `REFRESH` names, and the functions and resources (jars, files, archives) a file
//! brings into the session, located so that their text is read from the original file
//! (placeholders and all).

use serde::{Deserialize, Serialize};
use sqlparser::ast::ObjectName;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token};

/// A Spark command that reads and writes no table data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SparkCommand {
    /// `ADD JAR|FILE|ARCHIVE path …`: the resources added.
    AddResource(Vec<Resource>),
    /// `LIST JAR|FILE|ARCHIVE …`.
    ListResources,
    /// `REFRESH [TABLE] t`, `REFRESH FUNCTION f`, `REFRESH 'path'`; the table, if any.
    Refresh(Option<ObjectName>),
    /// `CLEAR CACHE`.
    ClearCache,
    /// `CREATE [OR REPLACE] [TEMPORARY] FUNCTION [IF NOT EXISTS] f AS 'class' [USING …]`.
    CreateFunction(Box<FunctionDefinition>),
    /// `DROP [TEMPORARY] FUNCTION [IF EXISTS] f`.
    DropFunction,
    /// `DESC|DESCRIBE FUNCTION [EXTENDED] f`.
    DescribeFunction,
    /// `SET`, `SET -v`, `SET key`, `SET key = value`, `SET TIME ZONE …`, `SET VAR …`.
    Set,
    /// `RESET` or `RESET key`.
    Reset,
    /// `ALTER TABLE|VIEW t …` (but `ALTER VIEW t AS query`), `REPAIR TABLE t`, `COMMENT
    /// ON TABLE t IS …`: the tables changed (both names of a `RENAME TO`).
    AlterTables(Vec<ObjectName>),
    /// `LOAD DATA [LOCAL] INPATH 'path' [OVERWRITE] INTO TABLE t [PARTITION (…)]`: the
    /// table written.
    LoadData(ObjectName),
    /// `CREATE [OR REPLACE] [GLOBAL] TEMPORARY VIEW v [(cols)] USING fmt [OPTIONS (…)]`:
    /// a temporary view over files, no table.
    DefineView(ObjectName),
    /// `CREATE|ALTER DATABASE|SCHEMA|NAMESPACE …`, `COMMENT ON DATABASE …`, `DESCRIBE …`,
    /// `SHOW …`, `ANALYZE TABLES …`, `EXPLAIN …`: no table data.
    Metadata,
}

/// What a resource is, as `ADD` and `CREATE FUNCTION … USING` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceKind {
    /// A jar, put on the class path.
    Jar,
    /// A file, shipped to the executors.
    File,
    /// An archive, shipped and unpacked.
    Archive,
}

impl ResourceKind {
    /// The kind as Spark spells it, lower case.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jar => "jar",
            Self::File => "file",
            Self::Archive => "archive",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "jar" | "jars" => Some(Self::Jar),
            "file" | "files" => Some(Self::File),
            "archive" | "archives" => Some(Self::Archive),
            _ => None,
        }
    }
}

/// A resource a statement adds to the session; its text is at `span`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Jar, file or archive.
    pub kind: ResourceKind,
    /// The path or URI as written (quotes included, if any).
    pub span: Span,
}

/// A `CREATE FUNCTION` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionDefinition {
    /// The function's name.
    pub name: ObjectName,
    /// Whether it lives in the session only.
    pub temporary: bool,
    /// The class name literal, quotes included.
    pub class: Span,
    /// The resources of `USING JAR|FILE|ARCHIVE 'uri', …`.
    pub resources: Vec<Resource>,
}

fn word(token: &Token) -> Option<&str> {
    match token {
        Token::Word(word) if word.quote_style.is_none() => Some(word.value.as_str()),
        _ => None,
    }
}

fn is(token: &Token, text: &str) -> bool {
    word(token).is_some_and(|word| word.eq_ignore_ascii_case(text))
}

/// Whether the statement at the parser's position is one of this module's commands.
pub(crate) fn is_command(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    let Some(first) = word(peek(0)) else {
        return false;
    };
    match first.to_ascii_lowercase().as_str() {
        "add" | "list" | "refresh" | "clear" | "set" | "reset" | "desc" | "describe" | "show" | "explain" => true,
        "alter" => is(peek(1), "table") || is_namespace(peek(1)) || (is(peek(1), "view") && !is_alter_view_as(parser)),
        "repair" => is(peek(1), "table"),
        "comment" => is(peek(1), "on"),
        "load" => is(peek(1), "data"),
        "analyze" => is(peek(1), "tables"),
        "drop" => is(peek(1), "function") || (is(peek(1), "temporary") && is(peek(2), "function")),
        "create" => {
            if is_namespace(peek(1)) || is_view_using(parser) {
                return true;
            }
            let mut n = 1;
            if is(peek(n), "or") && is(peek(n + 1), "replace") {
                n += 2;
            }
            if is(peek(n), "temporary") || is(peek(n), "temp") {
                n += 1;
            }
            is(peek(n), "function")
        }
        _ => false,
    }
}

fn is_namespace(token: &Token) -> bool {
    ["database", "schema", "namespace"].iter().any(|word| is(token, word))
}

/// `CREATE … TEMPORARY VIEW name [(cols)] USING`.
fn is_view_using(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    let mut n = 1;
    while ["or", "replace", "global", "temporary", "temp"]
        .iter()
        .any(|word| is(peek(n), word))
    {
        n += 1;
    }
    if !is(peek(n), "view") {
        return false;
    }
    // The name, then an optional column list.
    n += 2;
    while *peek(n) == Token::Period {
        n += 2;
    }
    if *peek(n) == Token::LParen {
        let mut depth = 0_usize;
        loop {
            match peek(n) {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::EOF => return false,
                _ => {}
            }
            n += 1;
            if depth == 0 {
                break;
            }
        }
    }
    is(peek(n), "using")
}

/// `ALTER VIEW name AS query`: sqlparser's, for the query's reads.
fn is_alter_view_as(parser: &Parser) -> bool {
    let peek = |n: usize| &parser.peek_nth_token_ref(n).token;
    let mut n = 3;
    while *peek(n) == Token::Period {
        n += 2;
    }
    is(peek(n), "as")
}

/// Parses one of the commands [`is_command`] recognises, checked as far as their shape.
pub(crate) fn parse_command(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    let command = word(&parser.next_token().token)
        .unwrap_or_default()
        .to_ascii_lowercase();
    match command.as_str() {
        "add" | "list" => parse_resources(parser, command == "add"),
        "refresh" => parse_refresh(parser),
        "clear" => {
            parser.expect_keyword_is(Keyword::CACHE)?;
            Ok(SparkCommand::ClearCache)
        }
        // Spark accepts any text after SET and RESET (`SET -v`, `SET key` shows a value).
        "set" => {
            skip_rest(parser);
            Ok(SparkCommand::Set)
        }
        "reset" => {
            skip_rest(parser);
            Ok(SparkCommand::Reset)
        }
        "desc" | "describe" if !is(&parser.peek_token_ref().token, "function") => {
            require_more(parser, "what to describe")?;
            skip_rest(parser);
            Ok(SparkCommand::Metadata)
        }
        "show" => parse_show(parser),
        "explain" => {
            // The statement explained is checked, but runs nothing.
            let mode = &parser.peek_token_ref().token;
            if ["logical", "formatted", "extended", "codegen", "cost"]
                .iter()
                .any(|word| is(mode, word))
            {
                parser.advance_token();
            }
            parser.parse_statement()?;
            Ok(SparkCommand::Metadata)
        }
        "alter" if is_namespace(&parser.peek_token_ref().token) => {
            parser.advance_token();
            parser.parse_object_name(false)?;
            let token = parser.next_token();
            if !(is(&token.token, "set") || is(&token.token, "unset")) {
                return parser.expected("SET after ALTER DATABASE name", token);
            }
            require_more(parser, "what to set")?;
            skip_rest(parser);
            Ok(SparkCommand::Metadata)
        }
        "alter" => parse_alter_table(parser),
        "create" => {
            if is_namespace(&parser.peek_token_ref().token) {
                parser.advance_token();
                let _ = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
                parser.parse_object_name(false)?;
                skip_rest(parser);
                return Ok(SparkCommand::Metadata);
            }
            if is_view_using(parser) {
                while !parser.parse_keyword(Keyword::VIEW) {
                    parser.advance_token();
                }
                let name = parser.parse_object_name(false)?;
                skip_rest(parser);
                return Ok(SparkCommand::DefineView(name));
            }
            parse_create_function(parser)
        }
        "repair" => {
            parser.expect_keyword_is(Keyword::TABLE)?;
            let name = parser.parse_object_name(false)?;
            skip_rest(parser);
            Ok(SparkCommand::AlterTables(vec![name]))
        }
        "comment" => {
            parser.expect_keyword_is(Keyword::ON)?;
            let is_table = parser.parse_keyword(Keyword::TABLE);
            if !is_table && !is_namespace(&parser.next_token().token) {
                return parser.expected("TABLE, DATABASE, SCHEMA or NAMESPACE", parser.peek_token());
            }
            let name = parser.parse_object_name(false)?;
            parser.expect_keyword_is(Keyword::IS)?;
            skip_rest(parser);
            Ok(if is_table {
                SparkCommand::AlterTables(vec![name])
            } else {
                SparkCommand::Metadata
            })
        }
        "load" => parse_load_data(parser),
        "analyze" => {
            skip_rest(parser);
            Ok(SparkCommand::Metadata)
        }
        "desc" | "describe" => {
            parser.advance_token();
            let _ = parser.parse_keyword(Keyword::EXTENDED);
            // A name, a string or an operator (`DESCRIBE FUNCTION +`).
            if parser.peek_token_ref().token == Token::EOF {
                return parser.expected("a function name", parser.peek_token());
            }
            skip_rest(parser);
            Ok(SparkCommand::DescribeFunction)
        }
        _ => {
            let _ = parser.parse_keyword(Keyword::TEMPORARY);
            parser.expect_keyword_is(Keyword::FUNCTION)?;
            let _ = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            parser.parse_object_name(false)?;
            Ok(SparkCommand::DropFunction)
        }
    }
}

fn require_more(parser: &Parser, expected: &str) -> Result<(), ParserError> {
    if parser.peek_token_ref().token == Token::EOF {
        return parser.expected(expected, parser.peek_token());
    }
    Ok(())
}

/// The words that may follow `SHOW` in Spark (Hive's others are [`super::hive_only`]'s).
const SHOW_WHAT: &[&str] = &[
    "tables",
    "table",
    "tblproperties",
    "columns",
    "views",
    "partitions",
    "functions",
    "user",
    "system",
    "all",
    "create",
    "current",
    "catalogs",
    "databases",
    "schemas",
    "namespaces",
];

fn parse_show(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    let what = parser.peek_token();
    if !SHOW_WHAT.iter().any(|word| is(&what.token, word)) {
        return parser.expected(
            "TABLES, TABLE EXTENDED, TBLPROPERTIES, COLUMNS, VIEWS, PARTITIONS, FUNCTIONS, CREATE TABLE, \
             CURRENT NAMESPACE, CATALOGS or DATABASES after SHOW",
            what,
        );
    }
    skip_rest(parser);
    Ok(SparkCommand::Metadata)
}

/// Skips a `PARTITION (…)` spec, if one is next.
fn skip_partition_spec(parser: &mut Parser) -> Result<(), ParserError> {
    if !(is(&parser.peek_token_ref().token, "partition") && parser.peek_nth_token_ref(1).token == Token::LParen) {
        return Ok(());
    }
    parser.advance_token();
    parser.advance_token();
    let mut depth = 1_usize;
    while depth > 0 {
        let token = parser.next_token();
        match token.token {
            Token::EOF => return parser.expected(")", token),
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
    }
    Ok(())
}

/// What may follow `ALTER TABLE|VIEW t [PARTITION (…)]` in Spark, with the words that
/// may come next (empty: any).
const ALTER_ACTIONS: &[(&str, &[&str])] = &[
    ("add", &["column", "columns", "if", "partition"]),
    ("drop", &["column", "columns", "if", "partition"]),
    ("rename", &["to", "column"]),
    ("set", &["tblproperties", "serde", "serdeproperties", "location"]),
    ("unset", &["tblproperties"]),
    ("alter", &[]),
    ("change", &[]),
    ("replace", &["columns"]),
    ("recover", &["partitions"]),
];

/// `ALTER TABLE|VIEW t [PARTITION (…)] action …`, checked as far as the action's first
/// words; the new name of a `RENAME TO` is a table changed too.
fn parse_alter_table(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    parser.advance_token();
    let mut names = vec![parser.parse_object_name(false)?];
    skip_partition_spec(parser)?;
    let action = parser.next_token();
    let Some((verb, next)) = ALTER_ACTIONS.iter().find(|(verb, _)| is(&action.token, verb)) else {
        return parser.expected(
            "ADD, DROP, RENAME, SET, UNSET, ALTER, CHANGE, REPLACE COLUMNS or RECOVER PARTITIONS",
            action,
        );
    };
    let following = parser.peek_token();
    if !next.is_empty() && !next.iter().any(|word| is(&following.token, word)) {
        let expected: Vec<String> = next.iter().map(|word| word.to_uppercase()).collect();
        return parser.expected(
            &format!("{} after {}", expected.join(" or "), verb.to_uppercase()),
            following,
        );
    }
    if *verb == "rename" && is(&following.token, "to") {
        parser.advance_token();
        if is(&parser.peek_token_ref().token, "partition") {
            skip_partition_spec(parser)?;
        } else {
            names.push(parser.parse_object_name(false)?);
        }
    }
    skip_rest(parser);
    Ok(SparkCommand::AlterTables(names))
}

/// `LOAD DATA [LOCAL] INPATH 'path' [OVERWRITE] INTO TABLE t [PARTITION (…)]`.
fn parse_load_data(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    parser.expect_keyword_is(Keyword::DATA)?;
    let _ = parser.parse_keyword(Keyword::LOCAL);
    parser.expect_keyword_is(Keyword::INPATH)?;
    parser.parse_literal_string()?;
    let _ = parser.parse_keyword(Keyword::OVERWRITE);
    parser.expect_keywords(&[Keyword::INTO, Keyword::TABLE])?;
    let name = parser.parse_object_name(false)?;
    skip_partition_spec(parser)?;
    Ok(SparkCommand::LoadData(name))
}

fn skip_rest(parser: &mut Parser) {
    while parser.peek_token_ref().token != Token::EOF {
        parser.advance_token();
    }
}

/// `ADD|LIST JAR|FILE|ARCHIVE [path …]`: paths are unquoted text or strings, separated
/// by blanks, as Spark's own command parser splits them.
fn parse_resources(parser: &mut Parser, is_add: bool) -> Result<SparkCommand, ParserError> {
    let kind_token = parser.next_token();
    let Some(kind) = word(&kind_token.token).and_then(ResourceKind::from_word) else {
        return parser.expected("JAR, FILE or ARCHIVE", kind_token);
    };
    if !is_add {
        skip_rest(parser);
        return Ok(SparkCommand::ListResources);
    }
    if parser.peek_token_ref().token == Token::EOF {
        return parser.expected("a resource path", parser.peek_token());
    }
    // Blanks are not tokens here: a path ends where the next token does not touch it.
    let mut resources = Vec::new();
    let mut current: Option<Span> = None;
    while let Some(token) = parser.next_token_no_skip() {
        if matches!(token.token, Token::EOF) {
            break;
        }
        let span = token.span;
        current = match current {
            Some(path) if path.end == span.start => Some(Span::new(path.start, span.end)),
            Some(path) => {
                resources.push(Resource { kind, span: path });
                Some(span)
            }
            None => Some(span),
        };
    }
    resources.extend(current.map(|span| Resource { kind, span }));
    // The parser expects to sit on the end token.
    parser.prev_token();
    Ok(SparkCommand::AddResource(resources))
}

fn parse_refresh(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    match &parser.peek_token_ref().token {
        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => {
            parser.advance_token();
            Ok(SparkCommand::Refresh(None))
        }
        token if is(token, "function") => {
            parser.advance_token();
            parser.parse_object_name(false)?;
            Ok(SparkCommand::Refresh(None))
        }
        _ => {
            // `TABLE` is optional: `REFRESH t` refreshes table `t`.
            let _ = parser.parse_keyword(Keyword::TABLE);
            Ok(SparkCommand::Refresh(Some(parser.parse_object_name(false)?)))
        }
    }
}

/// The rest of `CREATE [OR REPLACE] [TEMPORARY] FUNCTION [IF NOT EXISTS] f AS 'class'
/// [USING JAR|FILE|ARCHIVE 'uri' [, …]]`.
fn parse_create_function(parser: &mut Parser) -> Result<SparkCommand, ParserError> {
    let _ = parser.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
    let temporary = parser
        .parse_one_of_keywords(&[Keyword::TEMPORARY, Keyword::TEMP])
        .is_some();
    parser.expect_keyword_is(Keyword::FUNCTION)?;
    let _ = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    parser.expect_keyword_is(Keyword::AS)?;
    let class = literal_span(parser, "the function's class name, as a string")?;
    let mut resources = Vec::new();
    if parser.parse_keyword(Keyword::USING) {
        loop {
            let kind_token = parser.next_token();
            let Some(kind) = word(&kind_token.token).and_then(ResourceKind::from_word) else {
                return parser.expected("JAR, FILE or ARCHIVE", kind_token);
            };
            let span = literal_span(parser, "the resource's URI, as a string")?;
            resources.push(Resource { kind, span });
            if !parser.consume_token(&Token::Comma) {
                break;
            }
        }
    }
    Ok(SparkCommand::CreateFunction(Box::new(FunctionDefinition {
        name,
        temporary,
        class,
        resources,
    })))
}

/// The span of the string literal at the parser's position.
fn literal_span(parser: &mut Parser, expected: &str) -> Result<Span, ParserError> {
    let token = parser.next_token();
    match token.token {
        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => Ok(token.span),
        _ => parser.expected(expected, token),
    }
}
