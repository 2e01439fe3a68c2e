//! Characters a reader cannot see, and text made safe to show.
//!
//! A zero-width space, a bidi override or a control character in repository content
//! either hides a difference between two names that look the same, or, sent raw to a
//! terminal or a CI log, changes what is displayed (`ESC [2J` clears the screen). This
//! module names such characters for messages ([`describe`]) and replaces them in text
//! that reaches a terminal ([`neutralise`]).

use std::borrow::Cow;
use std::fmt::Write as _;

/// The Unicode name of a character that does not show, or `None` for a visible one.
/// Control characters are named by their usual names where they have one.
pub fn name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NULL",
        '\u{7}' => "BELL",
        '\u{8}' => "BACKSPACE",
        '\t' => "CHARACTER TABULATION",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{1B}' => "ESCAPE",
        '\u{7F}' => "DELETE",
        '\u{9B}' => "CONTROL SEQUENCE INTRODUCER",
        '\u{AD}' => "SOFT HYPHEN",
        '\u{61C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}

/// Whether `c` does not show: a control character or a zero-width, bidi or other
/// format character.
pub fn is_invisible(c: char) -> bool {
    name(c).is_some()
}

/// `U+200B ZERO WIDTH SPACE`: the code point and its name.
pub fn describe(c: char) -> String {
    match name(c) {
        Some(name) if name.starts_with("a ") => format!("U+{:04X} ({name})", u32::from(c)),
        Some(name) => format!("U+{:04X} {name}", u32::from(c)),
        None => format!("U+{:04X}", u32::from(c)),
    }
}

/// `text` with every invisible character written as `<U+200B>`, so that a message
/// shows where it is.
pub fn reveal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_invisible(c) {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` made safe for a terminal or a CI log: a C0 control character (other than
/// newline and tab) or DEL becomes its visible symbol (`␛` for ESC, `␇` for BEL), a C1
/// control or a bidi control becomes `\u202E`. JSON never holds such a character raw
/// outside a string, and inside one `\u202E` is the same character, so JSON keeps its
/// meaning; text that holds none is returned as is.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{200E}' | '\u{200F}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\u{7F}' => out.push('\u{2421}'),
            c if u32::from(c) < 0x20 => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{FFFD}')),
            c => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_named() {
        assert_eq!(describe('\u{200B}'), "U+200B ZERO WIDTH SPACE");
        assert_eq!(describe('\u{1}'), "U+0001 (a control character)");
        assert!(!is_invisible('a'));
        assert_eq!(reveal("a\u{200B}b"), "a<U+200B>b");
    }

    #[test]
    fn neutralise_keeps_newlines_tabs_and_plain_text() {
        assert!(matches!(neutralise("a\tb\nc ␛ é"), Cow::Borrowed(_)));
        assert_eq!(
            neutralise("x\u{1b}]0;T\u{7}\u{1b}[2J\r\u{7f}\u{9b}\u{202e}"),
            "x␛]0;T␇␛[2J␍␡\\u009B\\u202E"
        );
    }

    #[test]
    fn neutralised_json_keeps_its_value() {
        let json = serde_json::to_string("a\u{1b}\u{9b}\u{202e}b").expect("json");
        let back: String = serde_json::from_str(&neutralise(&json)).expect("still json");
        assert_eq!(back, "a\u{1b}\u{9b}\u{202e}b");
    }
}
