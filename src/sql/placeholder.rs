//! Template placeholders: `${name}`, Jinja `{{ expr }}`, `{% tag %}` and `{# comment #}`.
//!
//! Input: a SQL file's original text. Output: a *sanitised* text of exactly the same
//! byte length, in which every placeholder is replaced so that the SQL tokenizer can
//! read it, plus the placeholders found and Q303 diagnostics for unterminated ones.
//!
//! Invariant: byte offsets in the sanitised text are byte offsets in the original, and
//! every newline stays where it was, so any position the parser reports maps straight
//! back to the original file. To keep this, replacements work byte by byte:
//! - `${…}` and `{{…}}` become identifier-like text (`${bizdate}` → `__bizdate_`), so
//!   they parse wherever a name or a literal's content may stand, quoted or not; past
//!   a newline inside one, the rest becomes spaces so it stays a single identifier;
//! - `{%…%}` and `{#…#}` become spaces.

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// What kind of template construct a placeholder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceholderKind {
    /// `${name}`: a flowc parameter.
    Parameter,
    /// `{{ expr }}`: a Jinja expression.
    Expression,
    /// `{% tag %}`: a Jinja statement, blanked out.
    Statement,
    /// `{# … #}`: a Jinja comment, blanked out.
    Comment,
}

/// One template construct found in a SQL file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// Which construct it is.
    pub kind: PlaceholderKind,
    /// The text between the delimiters, trimmed: the parameter name for `${name}`, the
    /// expression for `{{ … }}`.
    pub name: String,
    /// The whole construct, delimiters included, in the original file.
    pub span: Span,
}

/// A file's text made readable for the SQL tokenizer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sanitized {
    /// Same length as the original; placeholders replaced as described in the module docs.
    pub text: String,
    /// Every placeholder, in file order.
    pub placeholders: Vec<Placeholder>,
    /// Q303 for every opener that is never closed.
    pub diagnostics: Vec<Diagnostic>,
}

/// Replaces every placeholder in `text`, keeping all byte offsets.
pub fn sanitize(file: FileId, text: &str) -> Sanitized {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut placeholders = Vec::new();
    let mut diagnostics = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let opener = match (bytes[i], bytes[i + 1]) {
            (b'$', b'{') => Some((PlaceholderKind::Parameter, "}")),
            (b'{', b'{') => Some((PlaceholderKind::Expression, "}}")),
            (b'{', b'%') => Some((PlaceholderKind::Statement, "%}")),
            (b'{', b'#') => Some((PlaceholderKind::Comment, "#}")),
            _ => None,
        };
        let Some((kind, closer)) = opener else {
            i += 1;
            continue;
        };
        let body_start = i + 2;
        // A `${` must close on its own line; Jinja constructs may span lines.
        let close = match kind {
            PlaceholderKind::Parameter => {
                let line_end = text[body_start..].find('\n').map_or(text.len(), |n| body_start + n);
                text[body_start..line_end].find(closer).map(|n| body_start + n)
            }
            _ => text[body_start..].find(closer).map(|n| body_start + n),
        };
        let Some(close) = close else {
            diagnostics.push(unterminated(file, i, kind, closer));
            // Blank the opener only: the rest is probably SQL and still worth checking.
            out[i] = b' ';
            out[i + 1] = b' ';
            i += 2;
            continue;
        };
        let end = close + closer.len();
        let span = Span::new(file, i as u32, end as u32);
        placeholders.push(Placeholder {
            kind,
            name: text[body_start..close].trim().to_owned(),
            span,
        });
        match kind {
            PlaceholderKind::Parameter | PlaceholderKind::Expression => identifier_like(&mut out[i..end]),
            PlaceholderKind::Statement | PlaceholderKind::Comment => blank(&mut out[i..end]),
        }
        i = end;
    }
    // Only ASCII bytes were written, and only over whole placeholders (which start and
    // end with ASCII delimiters) or ASCII openers, so the text is still UTF-8.
    let text = String::from_utf8(out).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Sanitized {
        text,
        placeholders,
        diagnostics,
    }
}

fn unterminated(file: FileId, at: usize, kind: PlaceholderKind, closer: &str) -> Diagnostic {
    let opener = match kind {
        PlaceholderKind::Parameter => "${",
        PlaceholderKind::Expression => "{{",
        PlaceholderKind::Statement => "{%",
        PlaceholderKind::Comment => "{#",
    };
    let where_ = if kind == PlaceholderKind::Parameter {
        " on the same line"
    } else {
        ""
    };
    Diagnostic::error(
        Code::UnterminatedPlaceholder,
        format!("unterminated placeholder `{opener}`"),
    )
    .at(Span::new(file, at as u32, at as u32 + 2))
    .with_label(format!("`{opener}` is never closed"))
    .with_help(format!("close it with `{closer}`{where_}"))
}

/// Turns a placeholder into one identifier-like word: `_` and ASCII alphanumerics up to
/// the first newline, spaces (and the newlines themselves) after it.
fn identifier_like(bytes: &mut [u8]) {
    let mut past_newline = false;
    for byte in bytes {
        if *byte == b'\n' {
            past_newline = true;
        } else if past_newline {
            *byte = b' ';
        } else if !byte.is_ascii_alphanumeric() {
            *byte = b'_';
        }
    }
}

/// Turns a construct into spaces, keeping newlines.
fn blank(bytes: &mut [u8]) {
    for byte in bytes {
        if *byte != b'\n' {
            *byte = b' ';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FileId {
        FileId::from_index(0)
    }

    #[test]
    fn placeholder_keeps_positions() {
        let text = "select '${bizdate}', {{ ds }}\n{% if x %}a{% endif %} {# c\nd #} ${db}.t";
        let sanitized = sanitize(file(), text);
        assert_eq!(sanitized.text.len(), text.len());
        assert_eq!(
            sanitized.text,
            "select '__bizdate_', ___ds___\n          a                \n     __db_.t"
        );
        let newlines = |s: &str| s.match_indices('\n').map(|(i, _)| i).collect::<Vec<_>>();
        assert_eq!(newlines(&sanitized.text), newlines(text));
        assert!(sanitized.diagnostics.is_empty());
    }

    #[test]
    fn placeholders_are_recorded_with_name_and_range() {
        let text = "x ${bizdate} {{ params.x | default('a') }}";
        let sanitized = sanitize(file(), text);
        let found: Vec<_> = sanitized
            .placeholders
            .iter()
            .map(|p| (p.kind, p.name.as_str(), &text[p.span.range()]))
            .collect();
        assert_eq!(
            found,
            [
                (PlaceholderKind::Parameter, "bizdate", "${bizdate}"),
                (
                    PlaceholderKind::Expression,
                    "params.x | default('a')",
                    "{{ params.x | default('a') }}"
                ),
            ]
        );
    }

    #[test]
    fn multi_line_expression_stays_one_word() {
        let sanitized = sanitize(file(), "{{ f(a,\n b) }} x");
        assert_eq!(sanitized.text, "___f_a_\n       x");
    }

    #[test]
    fn unterminated_opener_is_reported_at_its_position() {
        let text = "select 1 where a = ${bizdate\nand {{ ds";
        let sanitized = sanitize(file(), text);
        let spans: Vec<_> = sanitized.diagnostics.iter().filter_map(|d| d.span).collect();
        assert_eq!(spans, [Span::new(file(), 19, 21), Span::new(file(), 33, 35)]);
        assert!(
            sanitized
                .diagnostics
                .iter()
                .all(|d| d.code == Code::UnterminatedPlaceholder)
        );
        assert_eq!(sanitized.text.len(), text.len());
    }

    #[test]
    fn non_ascii_inside_a_placeholder_keeps_byte_length() {
        let text = "select ${données} from t";
        let sanitized = sanitize(file(), text);
        assert_eq!(sanitized.text.len(), text.len());
        assert!(sanitized.text.is_ascii());
    }
}
