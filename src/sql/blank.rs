//! Spark clauses sqlparser does not read and lineage does not need, blanked before
//! parsing.
//!
//! A blanked token becomes a space with the same span: the parser skips it, every
//! other token keeps its place (errors still point at the original text), and the
//! file's text is untouched — environment rewrites edit the text, never a printed tree.
//!
//! - `CREATE VIEW v … COMMENT '…' TBLPROPERTIES (…) PARTITIONED ON (…) AS …`: the view
//!   clauses between the name and `AS`;
//! - `INSERT OVERWRITE TABLE t PARTITION (…) IF NOT EXISTS query`;
//! - `USE DATABASE|SCHEMA|NAMESPACE db`;
//! - Delta's time travel, `t VERSION AS OF 3` and `t TIMESTAMP AS OF '…'` (a literal), in
//!   a statement that failed without it ([`blank_time_travel`]).
//!
//! Only statements that start with `CREATE`, `INSERT` or `USE` are scanned, and only up
//! to the query.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

fn is(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(word) if word.keyword == keyword && word.quote_style.is_none())
}

fn blank(token: &mut TokenWithSpan) {
    token.token = Token::Whitespace(Whitespace::Space);
}

/// Indices of the significant tokens, in order.
fn significant(tokens: &[TokenWithSpan]) -> impl Iterator<Item = usize> + '_ {
    (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
}

/// Blanks the clauses this module describes in one statement's tokens.
pub(crate) fn blank_spark_clauses(tokens: &mut [TokenWithSpan]) {
    let Some(first) = significant(tokens).next() else {
        return;
    };
    let token = &tokens[first].token;
    if is(token, Keyword::CREATE) {
        blank_view_clauses(tokens);
    } else if is(token, Keyword::INSERT) {
        blank_insert_if_not_exists(tokens);
    } else if is(token, Keyword::USE) {
        let next: Vec<usize> = significant(tokens).skip(1).take(2).collect();
        if let [kind, name] = next[..]
            && matches!(&tokens[kind].token, Token::Word(word) if word.quote_style.is_none()
                && ["database", "schema", "namespace"].iter().any(|k| word.value.eq_ignore_ascii_case(k)))
            && matches!(tokens[name].token, Token::Word(_))
        {
            blank(&mut tokens[kind]);
        }
    }
}

/// The view clauses of `CREATE … VIEW v [(cols)] clauses AS`.
fn blank_view_clauses(tokens: &mut [TokenWithSpan]) {
    let indices: Vec<usize> = significant(tokens).collect();
    let Some(view) = indices.iter().position(|&i| is(&tokens[i].token, Keyword::VIEW)) else {
        return;
    };
    // Nothing but modifiers between CREATE and VIEW.
    if !indices[1..view].iter().all(|&i| {
        [
            Keyword::OR,
            Keyword::REPLACE,
            Keyword::GLOBAL,
            Keyword::TEMPORARY,
            Keyword::TEMP,
        ]
        .iter()
        .any(|&keyword| is(&tokens[i].token, keyword))
    }) {
        return;
    }
    let mut at = view + 1;
    let mut depth = 0_usize;
    while let Some(&i) = indices.get(at) {
        match &tokens[i].token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            token if depth == 0 && is(token, Keyword::AS) => return,
            token if depth == 0 && is(token, Keyword::COMMENT) => {
                if let Some(&value) = indices.get(at + 1)
                    && matches!(
                        tokens[value].token,
                        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
                    )
                {
                    blank(&mut tokens[i]);
                    blank(&mut tokens[value]);
                    at += 1;
                }
            }
            token if depth == 0 && (is(token, Keyword::TBLPROPERTIES) || is(token, Keyword::PARTITIONED)) => {
                // `TBLPROPERTIES (…)` or `PARTITIONED ON (…)`: up to the closing paren.
                let mut inner = 0_usize;
                for &j in &indices[at..] {
                    let closing = match tokens[j].token {
                        Token::LParen => {
                            inner += 1;
                            false
                        }
                        Token::RParen => {
                            inner -= 1;
                            inner == 0
                        }
                        _ => false,
                    };
                    blank(&mut tokens[j]);
                    at += 1;
                    if closing {
                        break;
                    }
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
}

/// `PARTITION (…) IF NOT EXISTS` of an `INSERT OVERWRITE`, before its query. No
/// allocation: `INSERT` is the most common statement.
fn blank_insert_if_not_exists(tokens: &mut [TokenWithSpan]) {
    // The last four significant tokens, oldest first.
    let mut window = [usize::MAX; 4];
    let mut found = None;
    for i in significant(tokens).take(64) {
        window.rotate_left(1);
        window[3] = i;
        if is(&tokens[i].token, Keyword::SELECT) {
            return;
        }
        let [close, if_, not, exists] = window;
        if close != usize::MAX
            && tokens[close].token == Token::RParen
            && is(&tokens[if_].token, Keyword::IF)
            && is(&tokens[not].token, Keyword::NOT)
            && is(&tokens[exists].token, Keyword::EXISTS)
        {
            found = Some([if_, not, exists]);
            break;
        }
    }
    for at in found.into_iter().flatten() {
        blank(&mut tokens[at]);
    }
}

/// The statement's tokens with every `VERSION|TIMESTAMP AS OF <literal>` blanked, or
/// `None` when it has none. Run only on a statement that failed to parse, so that the
/// common statement pays nothing.
pub(crate) fn blank_time_travel(tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let indices: Vec<usize> = significant(tokens).collect();
    let mut repaired: Option<Vec<TokenWithSpan>> = None;
    for window in indices.windows(4) {
        let [kind, as_, of, value] = window else {
            continue;
        };
        let versioned = matches!(&tokens[*kind].token, Token::Word(word) if word.quote_style.is_none()
            && (word.value.eq_ignore_ascii_case("version") || word.value.eq_ignore_ascii_case("timestamp")));
        if versioned
            && is(&tokens[*as_].token, Keyword::AS)
            && is(&tokens[*of].token, Keyword::OF)
            && matches!(
                tokens[*value].token,
                Token::Number(..) | Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
            )
        {
            let copy = repaired.get_or_insert_with(|| tokens.to_vec());
            for &at in &[*kind, *as_, *of, *value] {
                blank(&mut copy[at]);
            }
        }
    }
    repaired
}
