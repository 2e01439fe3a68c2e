//! Text made safe for the markdown view: inline code, table cells, HTML, code fences,
//! shell words and the hidden marker.

use super::LABEL;

/// Inline code of a name, safe in a table cell.
pub(super) fn code(text: &str, max: usize) -> String {
    format!("`{}`", code_text(text, max))
}

/// The text of inline code: no backticks, pipes escaped, one line, at most `max`
/// characters.
pub(super) fn code_text(text: &str, max: usize) -> String {
    escape_cell(&one_line(&text.replace('`', "'"), max))
}

/// One line of at most `max` characters.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max {
        let mut cut: String = flat.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

/// `|` escaped, for a table cell.
pub(super) fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Text safe inside HTML.
pub(super) fn html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A code fence longer than any run of backticks in `text`.
pub(super) fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A word safe in the inline code of the note: quoted unless plain.
pub(super) fn shell_word(text: &str, max: usize) -> String {
    let text: String = text
        .chars()
        .take(max)
        .filter(|c| *c != '`' && !c.is_control())
        .collect();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '~' | '^' | ':' | '@'))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The environment name in the marker: no `-->` or line breaks.
pub(super) fn marker_safe(environment: &str) -> String {
    environment
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .take(LABEL)
        .collect()
}
