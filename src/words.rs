//! Wording shared by the human-readable views.

/// `1 file`, `2 files`: a count and a noun that takes `s` in the plural.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}
