//! Invisible characters inside a backticked name: `` `dwd_usr_<U+200B>login_di` ``
//! names a table that looks like `dwd_usr_login_di` but is another one, so the
//! dependency on it would break without a word. Unquoted, such a character does not
//! tokenize (Q301 names it); quoted, it would become part of the name.
//!
//! Input: a file's tokens and its original text. Output: one Q307 per quoted name that
//! holds a zero-width, bidi, format or control character, located at the first one.

use std::collections::BTreeSet;

use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::location::LineIndex;
use crate::diagnostic::{Code, Diagnostic, Span, invisible};

/// Q307 for every backticked name that holds an invisible character.
pub(crate) fn check(tokens: &[TokenWithSpan], index: &LineIndex<'_>, original: &str) -> Vec<Diagnostic> {
    tokens
        .iter()
        .filter_map(|token| {
            let Token::Word(word) = &token.token else {
                return None;
            };
            if word.quote_style != Some('`') || !word.value.chars().any(invisible::is_invisible) {
                return None;
            }
            let span = index.span(token.span)?;
            let written = original.get(span.range())?;
            let (offset, first) = written.char_indices().find(|(_, c)| invisible::is_invisible(*c))?;
            let at = span.start + offset as u32;
            let found: BTreeSet<char> = word.value.chars().filter(|c| invisible::is_invisible(*c)).collect();
            let named: Vec<String> = found.iter().map(|c| invisible::describe(*c)).collect();
            Some(
                Diagnostic::error(
                    Code::InvisibleCharacterInName,
                    format!(
                        "name `{}` holds {}, which does not show",
                        invisible::reveal(&word.value),
                        named.join(" and ")
                    ),
                )
                .at(Span::new(span.file, at, at + first.len_utf8() as u32))
                .with_label(format!("{} here", invisible::describe(first)))
                .with_help(
                    "delete it (retype the name): with it, the name is another table or column than the one it looks like",
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::{Code, FileId};
    use crate::sql::parse;

    #[test]
    fn zero_width_space_in_a_quoted_name_is_located() {
        let text = "INSERT OVERWRITE TABLE dwd.`a_\u{200B}b` SELECT 1 FROM `ods`.t";
        let parsed = parse(FileId::from_index(0), text);
        let found: Vec<_> = parsed
            .diagnostics
            .iter()
            .map(|d| (d.code, d.message.as_str(), &text[d.span.expect("located").range()]))
            .collect();
        assert_eq!(
            found,
            [(
                Code::InvisibleCharacterInName,
                "name `a_<U+200B>b` holds U+200B ZERO WIDTH SPACE, which does not show",
                "\u{200B}"
            )]
        );
    }
}
