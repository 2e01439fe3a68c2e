//! Stage 0: wording shared by diagnostics and the human-readable views.

/// `1 file`, `2 files`: a count and a noun that takes `s` in the plural.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// `text` lower-cased with every character but ASCII letters and digits made `_`:
/// `Shop-DW` → `shop_dw`, the form flowc's names take.
pub fn snake_name(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Items as inline code, comma-separated: `` `a.b`, `c.d` ``.
pub fn code_list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` with its first character in lower case: how flowc quotes a library's
/// message (`Unterminated string literal` → `unterminated string literal`) inside its
/// own sentences.
pub fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_character_is_lowered() {
        assert_eq!(
            lowercase_first("Unterminated string literal"),
            "unterminated string literal"
        );
        assert_eq!(lowercase_first("ÉTÉ"), "éTÉ");
        assert_eq!(lowercase_first(""), "");
    }
}
