//! Spark statements that sqlparser has no syntax tree for, or reads as another dialect's:
//! `ADD|LIST JAR|FILE|ARCHIVE`, `REFRESH`, `CLEAR CACHE`, `SET …` and `RESET …` in all
//! their forms, `CREATE|DROP [TEMPORARY] FUNCTION` and `DESCRIBE FUNCTION`.
//!
//! None of them reads or writes table data. What matters downstream is kept: the table
//! a `REFRESH` names, and the functions and resources (jars, files, archives) a file
//! brings into the session, located so that their text is read from the original file
//! (placeholders and all).

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
}

/// What a resource is, as `ADD` and `CREATE FUNCTION … USING` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
        "add" | "list" | "refresh" | "clear" | "set" | "reset" => true,
        "desc" | "describe" => is(peek(1), "function"),
        "drop" => is(peek(1), "function") || (is(peek(1), "temporary") && is(peek(2), "function")),
        "create" => {
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
        "drop" => {
            let _ = parser.parse_keyword(Keyword::TEMPORARY);
            parser.expect_keyword_is(Keyword::FUNCTION)?;
            let _ = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            parser.parse_object_name(false)?;
            Ok(SparkCommand::DropFunction)
        }
        _ => parse_create_function(parser),
    }
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
