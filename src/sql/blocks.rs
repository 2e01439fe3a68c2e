//! Jinja block tags in a SQL file: every `{% if %}`, `{% for %}`, `{% macro %}`,
//! `{% call %}`, `{% filter %}`, `{% set x %}` (the block form), `{% raw %}`,
//! `{% block %}`, `{% with %}` and `{% autoescape %}` must be closed by its own
//! `{% end… %}`, in order, and `{% elif %}`/`{% else %}` must stand inside a block that
//! takes them. Airflow renders the file with Jinja only when the task runs, so an
//! unbalanced block would otherwise fail in production, not in `flowc check`.
//!
//! Input: the placeholders [`super::placeholder::sanitize`] found (comments are
//! already skipped there, and unterminated `{%`, `{{`, `{#` are Q303). Output: Q306
//! diagnostics, located at the tag that opens a block never closed, or at the stray
//! or mismatched tag.

use crate::diagnostic::{Code, Diagnostic, Span};

use super::placeholder::{Placeholder, PlaceholderKind};

/// Tags that open a block, each closed by `end<tag>`.
const BLOCKS: &[&str] = &[
    "if",
    "for",
    "macro",
    "call",
    "filter",
    "set",
    "raw",
    "block",
    "with",
    "autoescape",
];

/// One `{% … %}` tag, read.
struct Tag<'a> {
    /// The tag's name: its first word (`if`, `endfor`, `else`).
    name: &'a str,
    /// The text after the name.
    rest: &'a str,
    /// The whole tag in the file.
    span: Span,
}

impl<'a> Tag<'a> {
    fn read(placeholder: &'a Placeholder) -> Self {
        // `{%- … -%}` and `{%+ … %}` control whitespace; the marks are not the name.
        let body = placeholder
            .name
            .trim_start_matches(['-', '+'])
            .trim_end_matches(['-', '+'])
            .trim();
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        Tag {
            name: &body[..end],
            rest: body[end..].trim(),
            span: placeholder.span,
        }
    }

    /// The block this tag opens, if it opens one. `{% set x = … %}` is a plain
    /// assignment; only `{% set x %}…{% endset %}` is a block.
    fn opens(&self) -> Option<&'a str> {
        let name = BLOCKS.iter().copied().find(|block| *block == self.name)?;
        (name != "set" || !self.rest.contains('=')).then_some(name)
    }

    /// The block this tag closes, if it is an `end…` tag of a known block.
    fn closes(&self) -> Option<&'a str> {
        let name = self.name.strip_prefix("end")?;
        BLOCKS.iter().copied().find(|block| *block == name)
    }
}

/// An open block: its name and the tag that opened it.
struct Open<'a> {
    name: &'a str,
    span: Span,
}

/// Q306 for every block tag that is not balanced.
pub(crate) fn check(placeholders: &[Placeholder]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut open: Vec<Open<'_>> = Vec::new();
    let mut tags = placeholders
        .iter()
        .filter(|p| p.kind == PlaceholderKind::Statement)
        .map(Tag::read);
    while let Some(tag) = tags.next() {
        if let Some(name) = tag.opens() {
            if name == "raw" {
                // Nothing up to `{% endraw %}` is a tag.
                if !tags.any(|inner| inner.closes() == Some("raw")) {
                    diagnostics.push(never_closed(name, tag.span, None));
                }
                continue;
            }
            open.push(Open { name, span: tag.span });
        } else if let Some(name) = tag.closes() {
            close(&mut open, &mut diagnostics, name, &tag);
        } else if matches!(tag.name, "elif" | "else") {
            let fits = open
                .last()
                .is_some_and(|block| block.name == "if" || (tag.name == "else" && block.name == "for"));
            if !fits {
                diagnostics.push(misplaced_branch(&tag, open.last()));
            }
        }
    }
    for block in open {
        diagnostics.push(never_closed(block.name, block.span, None));
    }
    diagnostics
}

/// Handles `{% end<name> %}`: closes the innermost block, or reports why it cannot.
fn close(open: &mut Vec<Open<'_>>, diagnostics: &mut Vec<Diagnostic>, name: &str, tag: &Tag<'_>) {
    match open.iter().rposition(|block| block.name == name) {
        // Blocks opened inside the one this tag closes were never closed.
        Some(at) => {
            for inner in open.drain(at..).skip(1) {
                diagnostics.push(never_closed(inner.name, inner.span, Some((name, tag.span))));
            }
        }
        None => match open.pop() {
            // Most likely the wrong `end…`: take it as closing the innermost block.
            Some(innermost) => diagnostics.push(
                Diagnostic::error(
                    Code::UnbalancedTemplateBlock,
                    format!("`{{% end{name} %}}` where `{{% end{} %}}` was expected", innermost.name),
                )
                .at(tag.span)
                .with_label(format!("no `{{% {name} %}}` block is open here"))
                .with_secondary(
                    innermost.span,
                    format!("this `{{% {} %}}` is still open", innermost.name),
                )
                .with_help(format!(
                    "close the `{{% {0} %}}` with `{{% end{0} %}}`, or remove this tag",
                    innermost.name
                )),
            ),
            None => diagnostics.push(
                Diagnostic::error(
                    Code::UnbalancedTemplateBlock,
                    format!("`{{% end{name} %}}` closes no block"),
                )
                .at(tag.span)
                .with_label(format!("no `{{% {name} %}}` is open here"))
                .with_help(format!(
                    "remove it, or open the block with `{{% {name} … %}}` before it"
                )),
            ),
        },
    }
}

fn never_closed(name: &str, span: Span, closed_outer: Option<(&str, Span)>) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        Code::UnbalancedTemplateBlock,
        format!("`{{% {name} %}}` is never closed"),
    )
    .at(span)
    .with_label(format!("this `{{% {name} %}}` has no `{{% end{name} %}}`"))
    .with_help(format!(
        "add `{{% end{name} %}}` where the block ends (Airflow renders this file with Jinja and would fail when the task runs)"
    ));
    match closed_outer {
        Some((outer, at)) => {
            diagnostic.with_secondary(at, format!("this closes the enclosing `{{% {outer} %}}` first"))
        }
        None => diagnostic,
    }
}

fn misplaced_branch(tag: &Tag<'_>, innermost: Option<&Open<'_>>) -> Diagnostic {
    let takes = if tag.name == "else" {
        "an `{% if %}` or `{% for %}` block"
    } else {
        "an `{% if %}` block"
    };
    let diagnostic = Diagnostic::error(
        Code::UnbalancedTemplateBlock,
        format!("`{{% {} %}}` outside {takes}", tag.name),
    )
    .at(tag.span)
    .with_label(format!("`{{% {} %}}` belongs inside {takes}", tag.name))
    .with_help(format!("move it inside {takes}, or remove it"));
    match innermost {
        Some(block) => diagnostic.with_secondary(
            block.span,
            format!("the innermost open block is this `{{% {} %}}`", block.name),
        ),
        None => diagnostic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FileId;
    use crate::sql::placeholder::sanitize;

    fn problems(text: &str) -> Vec<(String, &str)> {
        let file = FileId::from_index(0);
        let sanitized = sanitize(file, text);
        check(&sanitized.placeholders)
            .into_iter()
            .map(|d| {
                let span = d.span.expect("located");
                (d.message, &text[span.range()])
            })
            .collect()
    }

    #[test]
    fn balanced_blocks_pass() {
        let text = "{% if a %}x{% elif b %}y{% else %}z{% endif %}\n\
                    {%- for r in rows -%}{{ r }}{% else %}none{%- endfor +%}\n\
                    {% set v = 1 %}{% set w %}q{% endset %}\n\
                    {% macro m(a) %}{% call(u) n() %}{% endcall %}{% endmacro %}\n\
                    {% filter upper %}x{% endfilter %}{# {% if %} #}\n\
                    {% raw %}{% if %}{% endfor %}{% endraw %}";
        assert_eq!(problems(text), []);
    }

    #[test]
    fn open_if_is_reported_at_its_tag() {
        assert_eq!(
            problems("select 1\n{% if params.full %}\nfrom t"),
            [("`{% if %}` is never closed".to_owned(), "{% if params.full %}")]
        );
    }

    #[test]
    fn stray_and_mismatched_end_tags_are_reported_at_the_tag() {
        assert_eq!(
            problems("a {% endif %} b"),
            [("`{% endif %}` closes no block".to_owned(), "{% endif %}")]
        );
        assert_eq!(
            problems("{% for x in y %} a {% endif %}"),
            [(
                "`{% endif %}` where `{% endfor %}` was expected".to_owned(),
                "{% endif %}"
            )]
        );
    }

    #[test]
    fn inner_block_left_open_is_reported_when_the_outer_closes() {
        assert_eq!(
            problems("{% if a %}{% for x in y %}{% endif %}"),
            [("`{% for %}` is never closed".to_owned(), "{% for x in y %}")]
        );
    }

    #[test]
    fn branches_outside_their_block_are_reported() {
        assert_eq!(
            problems("{% else %}{% for x in y %}{% elif z %}{% endfor %}"),
            [
                (
                    "`{% else %}` outside an `{% if %}` or `{% for %}` block".to_owned(),
                    "{% else %}"
                ),
                ("`{% elif %}` outside an `{% if %}` block".to_owned(), "{% elif z %}"),
            ]
        );
    }

    #[test]
    fn unclosed_raw_and_set_block_are_reported() {
        assert_eq!(
            problems("{% set x %}a\n{% raw %}{% endif %}"),
            [
                ("`{% raw %}` is never closed".to_owned(), "{% raw %}"),
                ("`{% set %}` is never closed".to_owned(), "{% set x %}"),
            ]
        );
    }
}
