//! A decoder for Python string literals, written from the Python language reference
//! ("String and Bytes literals", escape sequences), independent of flowc's encoder.
//!
//! It reads one plain (no prefix), single-line, single- or double-quoted literal and
//! every escape Python 3 accepts in one: `\<newline>`, `\\`, `\'`, `\"`, `\a`, `\b`,
//! `\f`, `\n`, `\r`, `\t`, `\v`, octal `\ooo`, `\xhh`, `\uxxxx`, `\Uxxxxxxxx`. An
//! unknown escape keeps its backslash, as Python does. `\N{name}` needs Python's
//! Unicode name table and a lone surrogate has no Rust `char`: both are refused
//! (flowc's encoder never writes either).

/// The string a Python literal denotes, or why the literal is not one.
pub fn decode_string_literal(literal: &str) -> Result<String, String> {
    let mut chars = literal.chars();
    let Some(quote @ ('\'' | '"')) = chars.next() else {
        return Err("does not start with a quote".to_owned());
    };
    let mut out = String::new();
    loop {
        match chars.next() {
            None => return Err("unterminated".to_owned()),
            Some(c) if c == quote => break,
            Some('\n' | '\r') => return Err("a line break ends the line inside the literal".to_owned()),
            Some('\\') => escape(&mut chars, &mut out)?,
            Some(c) => out.push(c),
        }
    }
    match chars.next() {
        None => Ok(out),
        Some(c) => Err(format!("{c:?} after the closing quote")),
    }
}

/// Decodes the escape after a backslash.
fn escape(chars: &mut std::str::Chars<'_>, out: &mut String) -> Result<(), String> {
    let Some(c) = chars.next() else {
        return Err("a backslash at the end".to_owned());
    };
    let simple = match c {
        '\n' => return Ok(()),
        '\\' => '\\',
        '\'' => '\'',
        '"' => '"',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '0'..='7' => return octal(c, chars, out),
        'x' => return hex(chars, 2, out),
        'u' => return hex(chars, 4, out),
        'U' => return hex(chars, 8, out),
        'N' => return Err("\\N{…} escapes are not decoded here".to_owned()),
        other => {
            // Python keeps an unknown escape as written (with a warning).
            out.push('\\');
            other
        }
    };
    out.push(simple);
    Ok(())
}

/// `\o`, `\oo` or `\ooo`: up to three octal digits, the first already read.
fn octal(first: char, chars: &mut std::str::Chars<'_>, out: &mut String) -> Result<(), String> {
    let mut value = first.to_digit(8).unwrap_or_default();
    for _ in 0..2 {
        let mut ahead = chars.clone();
        match ahead.next().and_then(|c| c.to_digit(8)) {
            Some(digit) => {
                value = value * 8 + digit;
                *chars = ahead;
            }
            None => break,
        }
    }
    push_code_point(value, out)
}

/// `\x`, `\u`, `\U`: exactly `digits` hex digits.
fn hex(chars: &mut std::str::Chars<'_>, digits: usize, out: &mut String) -> Result<(), String> {
    let mut value: u32 = 0;
    for _ in 0..digits {
        let digit = chars
            .next()
            .and_then(|c| c.to_digit(16))
            .ok_or_else(|| format!("an escape needs {digits} hex digits"))?;
        value = value * 16 + digit;
    }
    push_code_point(value, out)
}

fn push_code_point(value: u32, out: &mut String) -> Result<(), String> {
    let c = char::from_u32(value).ok_or_else(|| format!("U+{value:X} is a surrogate or past U+10FFFF"))?;
    out.push(c);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::decode_string_literal;

    #[test]
    fn decodes_every_escape_python_accepts() {
        let literal = r#"'a\'b\"c\\d\n\r\t\a\b\f\v\0\101\x41\u00e9\U0001F600\q\
'"#;
        assert_eq!(
            decode_string_literal(literal).as_deref(),
            Ok("a'b\"c\\d\n\r\t\u{7}\u{8}\u{c}\u{b}\0AAé😀\\q")
        );
    }

    #[test]
    fn refuses_what_python_refuses() {
        for literal in ["'a", "'a'b", "'\\x4'", "'a\nb'", "'\\ud800'", "'\\U00110000'", "a"] {
            assert!(decode_string_literal(literal).is_err(), "{literal}");
        }
    }
}
