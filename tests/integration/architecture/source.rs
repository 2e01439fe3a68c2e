//! Reading Rust source for the architecture rules: the code without comments and
//! literals, the module paths it names, and each file's module path.

use std::collections::BTreeSet;

/// `text` with comments, string and char literals blanked out (newlines kept, so
/// line numbers still hold), for matching paths in code only.
pub(super) fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, slice: &[u8]| {
        for &b in slice {
            out.push(if b == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < bytes.len() {
        let rest = &bytes[i..];
        let end = if rest.starts_with(b"//") {
            rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            block_comment_len(rest)
        } else if rest.starts_with(b"r#") || rest.starts_with(b"r\"") || rest.starts_with(b"br") {
            raw_string_len(rest).unwrap_or(0)
        } else if rest[0] == b'"' {
            quoted_len(rest, b'"')
        } else if rest[0] == b'\'' {
            char_literal_len(rest)
        } else {
            0
        };
        // An identifier ending in `r` or `b` before a quote is not a raw string.
        let in_ident = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if end == 0 || (in_ident && matches!(rest[0], b'r' | b'b')) {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        } else {
            blank(&mut out, &rest[..end]);
            i += end;
        }
    }
    out
}

fn block_comment_len(rest: &[u8]) -> usize {
    let mut depth = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if rest[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    rest.len()
}

/// `r"…"`, `r#"…"#`, `br"…"`: the literal's length, or `None` when it is not one.
fn raw_string_len(rest: &[u8]) -> Option<usize> {
    let start = usize::from(rest.starts_with(b"br")) + 1;
    let hashes = rest[start..].iter().take_while(|&&b| b == b'#').count();
    let open = start + hashes;
    if rest.get(open) != Some(&b'"') {
        return None;
    }
    let mut closing = vec![b'"'];
    closing.extend(std::iter::repeat_n(b'#', hashes));
    let body = &rest[open + 1..];
    let close = body.windows(closing.len()).position(|w| w == closing.as_slice())?;
    Some(open + 1 + close + closing.len())
}

fn quoted_len(rest: &[u8], quote: u8) -> usize {
    let mut i = 1;
    while i < rest.len() {
        match rest[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    rest.len()
}

/// A char literal's length; 0 for a lifetime or label (`'a`, `'static`).
fn char_literal_len(rest: &[u8]) -> usize {
    if rest.get(1) == Some(&b'\\') {
        return quoted_len(rest, b'\'');
    }
    // One character (of up to 4 UTF-8 bytes), then the closing quote.
    let width = std::str::from_utf8(&rest[1..rest.len().min(5)])
        .or_else(|e| std::str::from_utf8(&rest[1..=e.valid_up_to()]))
        .ok()
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8);
    if rest.get(1 + width) == Some(&b'\'') {
        2 + width
    } else {
        0
    }
}

/// The module path of a source file under `src/`: `dags/mod.rs` → `["dags"]`,
/// `sync/reader/jdbc.rs` → `["sync", "reader", "jdbc"]`, `lib.rs` → `[]`.
pub(super) fn module_of(path: &str) -> Vec<String> {
    let path = path.strip_suffix(".rs").unwrap_or(path);
    let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// Every module path `code` (of the module at `module`) names
/// through `crate::…`, `super::…` or `self::…`, expanded over `{…}` groups, as written
/// (the caller finds the module each one lands in).
pub(super) fn named_paths(code: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    for start in 0..bytes.len() {
        let preceded = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if preceded || (start > 1 && &bytes[start - 2..start] == b"::") {
            continue;
        }
        let base: Option<(usize, Vec<String>)> = ["crate::", "super::", "self::"].iter().find_map(|prefix| {
            code[start..].starts_with(prefix).then(|| {
                let own: Vec<String> = module.to_vec();
                let base = match *prefix {
                    "crate::" => Vec::new(),
                    "self::" => own,
                    _ => parent(&own),
                };
                (start + prefix.len(), base)
            })
        });
        let Some((after, mut base)) = base else {
            continue;
        };
        let mut at = after;
        // `super::super::x`
        while code[at..].starts_with("super::") {
            base = parent(&base);
            at += "super::".len();
        }
        for tail in expand(&code[at..]) {
            let mut path = base.clone();
            path.extend(tail);
            found.insert(path);
        }
    }
    found
}

/// The module `super` names from `module` (`a/b.rs` and `a/b/mod.rs` alike are `a::b`).
fn parent(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// The paths a `use` tail or an expression path spells: `a::b::{c, d::e}` →
/// `[a, b, c]`, `[a, b, d, e]`; stops at the first token that is not a path.
fn expand(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text.trim_start();
    loop {
        let ident_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if ident_len > 0 {
            segments.push(rest[..ident_len].to_owned());
            rest = &rest[ident_len..];
            if let Some(next) = rest.strip_prefix("::") {
                rest = next.trim_start();
                continue;
            }
            return vec![segments];
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut out = Vec::new();
            for item in split_group(group) {
                for tail in expand(item) {
                    let mut path = segments.clone();
                    path.extend(tail);
                    out.push(path);
                }
            }
            if out.is_empty() {
                out.push(segments);
            }
            return out;
        }
        return vec![segments];
    }
}

/// The top-level items of a `{…}` group (whose `{` is already consumed).
fn split_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The code before the file's unit tests (`#[cfg(test)]` at the start of a line):
/// tests may reach any stage to build their input.
pub(super) fn without_tests(code: &str) -> &str {
    code.find("\n#[cfg(test)]").map_or(code, |at| &code[..at])
}
