//! The statement loop: template text → tokens → one parser run per statement.
//!
//! Input: one file's original text. Output: [`ParsedSql`], the statements that parse
//! (as sqlparser ASTs, ready to be rewritten) and a diagnostic for every one that does
//! not, all located in the original text.
//!
//! The token stream is split at every `;` token (the tokenizer already skips those in
//! strings and comments, as Spark's own `spark-sql` driver does), so an error in one
//! statement never hides an error in the next. Each statement then goes through:
//! 1. a position-preserving token pass that moves `CLUSTER BY`/`DISTRIBUTE BY`/
//!    `SORT BY` written after `HAVING` (Spark's order) in front of it (sqlparser's);
//! 2. the Spark commands that have no sqlparser AST (`ADD JAR`, `REFRESH TABLE`…);
//! 3. `[WITH …] FROM src INSERT … INSERT …` (multi-insert, and FROM-first `SELECT`),
//!    parsed as one `INSERT` statement per branch whose query gets the shared `FROM`;
//! 4. everything else, through [`SparkDialect`] and sqlparser.

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{Insert, Query, SetExpr, Statement, TableWithJoins, With};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use super::blank;
use super::blocks;
use super::commands::{self, SparkCommand};
use super::dialect::{RECURSION_LIMIT, SparkDialect, hits_recursion_limit};
use super::hidden;
use super::hive_only;
use super::location::LineIndex;
use super::placeholder::{self, Placeholder};
use super::syntax_error::{self, ErrorContext};
use super::tokenize::{Statements, is_significant, retokenize, tokenize};
use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// One file, parsed.
#[derive(Clone, Debug, Default)]
pub struct ParsedSql {
    /// The statements that parsed, in file order.
    pub statements: Vec<ParsedStatement>,
    /// Every template placeholder, in file order.
    pub placeholders: Vec<Placeholder>,
    /// Syntax errors (Q301), unterminated placeholders (Q303), an empty file (Q304).
    pub diagnostics: Vec<Diagnostic>,
    /// The text the tokenizer read: the original with placeholders replaced, byte for
    /// byte the same length. sqlparser's line/column positions refer to it.
    pub sanitized: String,
}

/// One statement of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedStatement {
    /// What the statement is.
    pub kind: SparkStatement,
    /// The statement's text in the original file, without the final `;`.
    pub span: Span,
    /// For a branch of a multi-insert, the index (in [`ParsedSql::statements`]) of the
    /// multi-insert's first branch; all branches of one multi-insert share it.
    pub multi_insert: Option<usize>,
}

/// A statement: a sqlparser AST, or a Spark command sqlparser has no AST for.
#[derive(Clone, Debug, PartialEq)]
pub enum SparkStatement {
    /// Anything sqlparser models.
    Sql(Box<Statement>),
    /// `ADD JAR`, `SET`, `CREATE FUNCTION`, `REFRESH`… (see [`SparkCommand`]).
    Command(SparkCommand),
}

/// Parses one SQL file. `file` is the id its text was registered under.
pub fn parse(file: FileId, text: &str) -> ParsedSql {
    let mut statements = Vec::new();
    let mut parsed = parse_each(file, text, |_, statement| statements.push(statement));
    parsed.statements = statements;
    parsed
}

/// What a statement handed out by [`parse_each`] is located against.
pub(crate) struct Source<'a> {
    /// Line starts of the sanitised text (the same offsets as the original).
    pub(crate) index: &'a LineIndex<'a>,
    /// The original text.
    pub(crate) original: &'a str,
    /// Every template placeholder of the file, in file order.
    pub(crate) placeholders: &'a [Placeholder],
}

/// Parses one SQL file statement by statement, handing each to `each` in file order
/// and dropping it before the next is parsed: a file's syntax trees (some 500 bytes
/// per select item) are never all held at once. The result has no statements.
pub(crate) fn parse_each(file: FileId, text: &str, mut each: impl FnMut(&Source<'_>, ParsedStatement)) -> ParsedSql {
    let sanitized = placeholder::sanitize(file, text);
    let mut diagnostics = sanitized.diagnostics;
    diagnostics.extend(blocks::check(&sanitized.placeholders));
    let index = LineIndex::new(file, &sanitized.text);
    let tokens = tokenize(&sanitized.text, &index, text, &mut diagnostics);
    diagnostics.extend(hidden::check(&tokens, &index, text));
    let source = Source {
        index: &index,
        original: text,
        placeholders: &sanitized.placeholders,
    };

    let mut count = 0_usize;
    let mut any_statement = false;
    let mut statements = Statements::new(tokens);
    while let Some(tokens) = statements.next_statement() {
        any_statement = true;
        let span = statement_span(&tokens, &index);
        let start = tokens.first().map(|token| token.span.start);
        let parsed = parse_statement_with(tokens, SparkDialect::default()).map_err(|error| {
            // The parser took the statement's tokens: read them again, for the message.
            let chunk = start.map_or_else(Vec::new, |start| retokenize(&sanitized.text, span, start));
            (error, chunk)
        });
        // Delta's time travel is read only when the statement fails without it: with
        // sqlparser's table versioning on, `FROM t before` (an alias) would not parse.
        let parsed = parsed.or_else(|(error, chunk)| match blank::blank_time_travel(&chunk) {
            Some(repaired) => parse_statement_with(repaired, SparkDialect::default()).map_err(|error| (error, chunk)),
            None => Err((error, chunk)),
        });
        match parsed {
            Ok(parsed) => {
                let group = (parsed.len() > 1).then_some(count);
                for statement in parsed {
                    count += 1;
                    each(
                        &source,
                        ParsedStatement {
                            kind: statement,
                            span,
                            multi_insert: group,
                        },
                    );
                }
            }
            Err((error, chunk)) => {
                let context = ErrorContext {
                    index: &index,
                    original: text,
                    tokens: &chunk,
                    statement: Span::new(file, span.start, span.start),
                    recursion_limit: RECURSION_LIMIT,
                };
                let error = hive_only::unread(&chunk).unwrap_or_else(|| deepest_error(error, &chunk));
                diagnostics.push(syntax_error::parser_error(&error, &context));
            }
        }
    }
    if !any_statement && diagnostics.is_empty() {
        diagnostics.push(
            Diagnostic::error(Code::EmptySql, "the file holds no SQL statement")
                .at(Span::file_start(file))
                .with_help("add the statement this task runs, or remove the task"),
        );
    }
    ParsedSql {
        statements: Vec::new(),
        placeholders: sanitized.placeholders,
        diagnostics,
        sanitized: sanitized.text,
    }
}

fn statement_span(chunk: &[TokenWithSpan], index: &LineIndex<'_>) -> Span {
    // The chunk is trimmed: its first and last tokens are significant.
    let start = chunk
        .first()
        .and_then(|token| index.span(token.span))
        .map_or(0, |span| span.start);
    let end = chunk
        .last()
        .and_then(|token| index.span(token.span))
        .map_or(start, |span| span.end);
    Span::new(index.file(), start, end)
}

/// A statement that nests too deeply fails with `RecursionLimitExceeded`, whatever
/// construct nests: `error` is the first error of the statement of `chunk`.
fn deepest_error(error: ParserError, chunk: &[TokenWithSpan]) -> ParserError {
    if !matches!(error, ParserError::RecursionLimitExceeded)
        && hits_recursion_limit(|dialect| parse_statement_with(chunk.to_vec(), dialect).map(drop))
    {
        ParserError::RecursionLimitExceeded
    } else {
        error
    }
}

/// Parses the tokens of one statement (no `;`, trimmed of whitespace).
fn parse_statement_with(
    mut tokens: Vec<TokenWithSpan>,
    dialect: SparkDialect,
) -> Result<Vec<SparkStatement>, ParserError> {
    let from_after_with = with_is_followed_by_from(&tokens);
    move_clauses_after_having(&mut tokens);
    blank::blank_spark_clauses(&mut tokens);
    // An explicit end token, located right after the statement, so that "found EOF"
    // errors point at the end of the statement rather than nowhere.
    let end = tokens
        .last()
        .map_or(Location { line: 0, column: 0 }, |token| token.span.end);
    tokens.push(TokenWithSpan::new(
        Token::EOF,
        sqlparser::tokenizer::Span::new(end, end),
    ));

    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    if let Some(error) = hive_only::check(&parser) {
        return Err(error);
    }
    let first = word_value(&parser.peek_token_ref().token);
    let statements = match first.as_deref() {
        _ if commands::is_command(&parser) => {
            vec![SparkStatement::Command(commands::parse_command(&mut parser)?)]
        }
        Some("from") => parse_from_first(&mut parser, None)?,
        Some("with") if from_after_with => {
            let with_token = parser.next_token();
            let recursive = parser.parse_keyword(Keyword::RECURSIVE);
            let cte_tables = parser.parse_comma_separated(Parser::parse_cte)?;
            let with = With {
                with_token: AttachedToken(with_token),
                recursive,
                cte_tables,
            };
            parse_from_first(&mut parser, Some(&with))?
        }
        _ => vec![SparkStatement::Sql(Box::new(parser.parse_statement()?))],
    };
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return parser.expected("end of statement", next);
    }
    Ok(statements)
}

fn word_value(token: &Token) -> Option<String> {
    match token {
        Token::Word(word) if word.quote_style.is_none() => Some(word.value.to_ascii_lowercase()),
        _ => None,
    }
}

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword && word.quote_style.is_none())
}

/// Whether a `WITH` statement's CTE list is followed by `FROM` (Hive's
/// `WITH … FROM cte INSERT …`) rather than by a query or an `INSERT`.
fn with_is_followed_by_from(chunk: &[TokenWithSpan]) -> bool {
    let mut depth = 0_usize;
    for token in chunk.iter().skip(1) {
        match &token.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(word) if depth == 0 => match word.keyword {
                Keyword::FROM => return true,
                Keyword::SELECT | Keyword::INSERT | Keyword::VALUES | Keyword::TABLE => {
                    return false;
                }
                _ => {}
            },
            _ => {}
        }
    }
    false
}

/// `FROM src INSERT … SELECT … [INSERT … SELECT …]…` or `FROM src SELECT …`: one
/// statement per branch, each branch's query completed with the shared `FROM` (and the
/// `WITH` clause, if the statement has one).
fn parse_from_first(parser: &mut Parser, with: Option<&With>) -> Result<Vec<SparkStatement>, ParserError> {
    parser.expect_keyword_is(Keyword::FROM)?;
    let from = parser.parse_comma_separated(Parser::parse_table_and_joins)?;
    let mut statements = Vec::new();
    loop {
        let token = parser.peek_token();
        let statement = if is_keyword(&token.token, Keyword::INSERT) {
            parser.advance_token();
            let mut statement = parser.parse_insert(token)?;
            if let Statement::Insert(Insert {
                source: Some(query), ..
            }) = &mut statement
            {
                complete_branch(query, &from, with);
            }
            statement
        } else if is_keyword(&token.token, Keyword::SELECT) {
            let mut query = parser.parse_query()?;
            complete_branch(&mut query, &from, with);
            Statement::Query(query)
        } else if statements.is_empty() {
            return parser.expected("INSERT or SELECT after the FROM clause", token);
        } else {
            break;
        };
        statements.push(SparkStatement::Sql(Box::new(statement)));
    }
    Ok(statements)
}

fn complete_branch(query: &mut Query, from: &[TableWithJoins], with: Option<&With>) {
    if query.with.is_none() {
        query.with = with.cloned();
    }
    let mut body = query.body.as_mut();
    // The shared FROM belongs to the first SELECT of the branch.
    loop {
        match body {
            SetExpr::Select(select) => {
                if select.from.is_empty() {
                    select.from = from.to_vec();
                }
                return;
            }
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            _ => return,
        }
    }
}

/// Moves a `CLUSTER BY`/`DISTRIBUTE BY`/`SORT BY` group written after `HAVING …` (at the
/// same parenthesis depth) in front of the `HAVING`, where sqlparser reads it. Tokens
/// keep their spans, so errors still point at the original text.
fn move_clauses_after_having(tokens: &mut [TokenWithSpan]) {
    let mut i = 0;
    while i < tokens.len() {
        if is_keyword(&tokens[i].token, Keyword::HAVING)
            && let Some((start, end)) = clause_group_after(tokens, i)
        {
            tokens[i..end].rotate_left(start - i);
            // The HAVING is now at `i + (end - start)`; carry on inside it.
            i += end - start;
        }
        i += 1;
    }
}

/// The token range of a `CLUSTER|DISTRIBUTE|SORT BY …` group that follows the `HAVING`
/// at `having`, at the same depth, before the end of its `SELECT`.
fn clause_group_after(tokens: &[TokenWithSpan], having: usize) -> Option<(usize, usize)> {
    let mut depth = 0_usize;
    let mut start = None;
    for i in having + 1..tokens.len() {
        let token = &tokens[i].token;
        match token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return start.map(|start| (start, i)),
            Token::RParen => depth -= 1,
            Token::Word(word) if depth == 0 && word.quote_style.is_none() => match word.keyword {
                Keyword::CLUSTER | Keyword::DISTRIBUTE | Keyword::SORT if start.is_none() && next_is_by(tokens, i) => {
                    start = Some(i);
                }
                Keyword::ORDER
                | Keyword::LIMIT
                | Keyword::WINDOW
                | Keyword::UNION
                | Keyword::EXCEPT
                | Keyword::INTERSECT
                | Keyword::MINUS
                | Keyword::INSERT
                | Keyword::SELECT => return start.map(|start| (start, i)),
                _ => {}
            },
            _ => {}
        }
    }
    start.map(|start| (start, tokens.len()))
}

fn next_is_by(tokens: &[TokenWithSpan], i: usize) -> bool {
    tokens[i + 1..]
        .iter()
        .find(|token| is_significant(token))
        .is_some_and(|token| is_keyword(&token.token, Keyword::BY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FileId {
        FileId::from_index(0)
    }

    fn parse_ok(text: &str) -> ParsedSql {
        let parsed = parse(file(), text);
        assert!(parsed.diagnostics.is_empty(), "{text}\n{:#?}", parsed.diagnostics);
        parsed
    }

    fn errors(text: &str) -> Vec<(String, String)> {
        parse(file(), text)
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.message.clone(),
                    d.span.map_or(String::new(), |s| text[s.range()].to_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn multi_insert_gives_one_statement_per_branch() {
        let parsed = parse_ok(
            "FROM ods.src s\nINSERT OVERWRITE TABLE a SELECT s.x WHERE s.k = 1\n\
             INSERT OVERWRITE TABLE b PARTITION (dt='1') SELECT s.y GROUP BY s.y;",
        );
        assert_eq!(parsed.statements.len(), 2);
        assert!(parsed.statements.iter().all(|s| s.multi_insert == Some(0)));
        for statement in &parsed.statements {
            let SparkStatement::Sql(sql) = &statement.kind else {
                panic!("not sql")
            };
            let Statement::Insert(insert) = sql.as_ref() else {
                panic!("not an insert")
            };
            let source = insert.source.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                source.contains("FROM ods.src AS s") || source.contains("FROM ods.src s"),
                "{source}"
            );
        }
    }

    #[test]
    fn backslash_escapes_in_string_literals_parse_as_spark_reads_them() {
        let parsed = parse_ok(r"SELECT 'it\'s' AS a, 'a\\' AS b, concat('x', '\n') AS c FROM t WHERE s = 'don\'t'");
        assert_eq!(parsed.statements.len(), 1);
    }

    #[test]
    fn having_before_distribute_by_parses() {
        parse_ok("SELECT a, count(*) c FROM t GROUP BY a HAVING count(*) > 1 DISTRIBUTE BY a SORT BY a");
        parse_ok("SELECT * FROM (SELECT a FROM t GROUP BY a HAVING max(b) > 0 CLUSTER BY a) x ORDER BY a");
    }

    #[test]
    fn spark_commands_parse() {
        let parsed = parse_ok(
            "ADD JAR /opt/udf.jar;\nLIST FILES;\nREFRESH TABLE db.t;\nREFRESH t;\nCLEAR CACHE;\n\
             UNCACHE TABLE IF EXISTS t;\nANALYZE TABLE db.t COMPUTE STATISTICS",
        );
        assert_eq!(parsed.statements.len(), 7);
    }

    #[test]
    fn create_table_using_accepts_spark_clause_order() {
        parse_ok(
            "CREATE TABLE IF NOT EXISTS db.t USING parquet PARTITIONED BY (dt) \
             OPTIONS ('compression' 'snappy', k = 'v') LOCATION '/x' COMMENT 'c' \
             TBLPROPERTIES ('a'='b') AS SELECT 1 AS dt",
        );
        parse_ok("CREATE TABLE t (a INT, dt STRING) USING delta PARTITIONED BY (dt)");
        parse_ok("CREATE OR REPLACE TABLE t USING parquet CLUSTERED BY (a) INTO 4 BUCKETS AS SELECT 1 a");
    }

    #[test]
    fn insert_directory_using_parses() {
        parse_ok("INSERT OVERWRITE DIRECTORY '/tmp/x' USING parquet SELECT * FROM t");
        parse_ok("INSERT OVERWRITE LOCAL DIRECTORY USING csv OPTIONS (path '/tmp/x', header 'true') SELECT 1");
    }

    #[test]
    fn syntax_error_points_at_original_column() {
        let text = "SELECT '${bizdate}' AS d, ${x} FROM t GROUP a";
        assert_eq!(
            errors(text),
            [(
                "expected end of statement, found `GROUP`".to_owned(),
                "GROUP".to_owned()
            )]
        );
        let span = parse(file(), text).diagnostics[0].span.map(|s| s.start);
        assert_eq!(span, Some(text.find("GROUP").unwrap_or_default() as u32));
    }

    #[test]
    fn every_broken_statement_is_reported() {
        let found = errors("SELECT 1 FROM;\nSELECT 2;\nSELECT (3 FROM t;\nSELECT 4");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn empty_file_is_reported() {
        let diagnostics = parse(file(), "  -- nothing\n/* here */ ;\n").diagnostics;
        assert_eq!(diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::EmptySql]);
    }

    #[test]
    fn hostile_input_never_panics() {
        let deep = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let inputs = [
            "SELECT ((((1",
            "SELECT )))",
            "${",
            "{{ }} {% %} {# #} ${}",
            "\u{0}\u{1}\u{7f}ÿ\u{fffd};;;'",
            "SELECT 'unterminated",
            "FROM",
            "FROM t INSERT",
            "WITH FROM",
            "CREATE TABLE t USING",
            "CREATE TABLE t (a INT) USING delta PARTITIONED a",
            "INSERT OVERWRITE DIRECTORY USING",
            "REFRESH",
            "ADD",
            deep.as_str(),
        ];
        for input in inputs {
            let parsed = parse(file(), input);
            assert!(!parsed.diagnostics.is_empty(), "{input:.40}");
        }
        let deep = errors(&deep);
        assert!(deep[0].0.contains("nests too deeply"), "{deep:?}");
    }

    #[test]
    fn partitioned_without_by_after_using_is_an_error_not_a_hang() {
        // Found by fuzzing (fuzz/regressions/sql_analyse/): the clause loop did not move.
        let found = errors("CREATE TABLE t (a INT) USING delta PARTITIONED a");
        assert_eq!(found, [("expected BY, found `a`".to_owned(), "a".to_owned())]);
    }

    #[test]
    fn hive_only_statements_are_named_at_their_keyword() {
        assert_eq!(
            errors("ALTER TABLE ods.o PARTITION (dt = '1') CONCATENATE"),
            [(
                "`ALTER TABLE … CONCATENATE` is Hive syntax that Spark SQL rejects".to_owned(),
                "CONCATENATE".to_owned()
            )]
        );
        assert_eq!(
            errors("SHOW LOCKS"),
            [(
                "`SHOW LOCKS` is Hive syntax that Spark SQL rejects".to_owned(),
                "SHOW".to_owned()
            )]
        );
    }

    #[test]
    fn spark_statements_sqlparser_lacks_parse() {
        parse_ok(
            "CREATE TABLE t (a INT) CLUSTERED BY (a) INTO 8 BUCKETS ROW FORMAT SERDE 'x' \
             WITH SERDEPROPERTIES ('k' = 'v') STORED AS TEXTFILE;\n\
             CREATE TABLE u SELECT 1 AS a;\nSET;\nSET k;\nRESET;\nSHOW FUNCTIONS;\n\
             DESCRIBE FUNCTION EXTENDED upper;\nSELECT * FROM t TABLESAMPLE (10 PERCENT) s;\n\
             ALTER TABLE t ADD COLUMNS (b INT);\nEXPLAIN EXTENDED INSERT INTO t SELECT 1",
        );
    }
}
