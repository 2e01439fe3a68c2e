//! Human-readable diagnostics: the offending source line with carets, then `help:`.

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{Annotation, AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diagnostic::{Diagnostic, Excerpt, Severity, SourceFile, SourceMap};

/// Whether to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// ANSI colours, for a terminal.
    Always,
    /// Plain text, for files, pipes and tests.
    Never,
}

/// Renders one diagnostic, ending with a blank line.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, color: Color) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str());

    let mut group = match diagnostic.span {
        Some(span) => {
            let (same_file, other_files): (Vec<_>, Vec<_>) =
                diagnostic.labels.iter().partition(|label| label.span.file == span.file);
            let file = sources.file(span.file);
            let excerpt = file.excerpt(std::iter::once(span.range()).chain(same_file.iter().map(|l| l.span.range())));
            let mut primary = AnnotationKind::Primary.span(excerpt.shift(span.range()));
            if let Some(label) = &diagnostic.label {
                primary = primary.label(label.as_str());
            }
            let mut snippet = lines_of(file, excerpt).annotation(primary);
            for label in same_file {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(excerpt.shift(label.span.range()))
                        .label(label.message.as_str()),
                );
            }
            let mut group = title.element(snippet);
            for label in other_files {
                let other = sources.file(label.span.file);
                let excerpt = other.excerpt(std::iter::once(label.span.range()));
                group = group.element(
                    lines_of(other, excerpt).annotation(
                        AnnotationKind::Context
                            .span(excerpt.shift(label.span.range()))
                            .label(label.message.as_str()),
                    ),
                );
            }
            group
        }
        None => Group::with_title(title),
    };
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }

    let renderer = match color {
        Color::Always => Renderer::styled(),
        Color::Never => Renderer::plain(),
    }
    .decor_style(DecorStyle::Ascii);
    let mut out = renderer.render(&[group]);
    out.push_str("\n\n");
    out
}

/// The lines of `file` that `excerpt` holds, numbered as in the file: the renderer
/// then works on those lines only, not on the whole file (issue 14, F14).
fn lines_of<'a>(file: &'a SourceFile, excerpt: Excerpt<'a>) -> Snippet<'a, Annotation<'a>> {
    Snippet::source(excerpt.text)
        .line_start(excerpt.first_line)
        .path(file.path())
        .fold(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    use crate::diagnostic::{Code, Span};

    #[test]
    fn shows_path_line_column_and_help() {
        let mut sources = SourceMap::new();
        let file = sources.add("flows/pay/flow.yaml", "name: pay\nowner: nobody\n");
        let diagnostic = Diagnostic::error(Code::UnknownTeam, "unknown team `nobody`")
            .at(Span::new(file, 17, 23))
            .with_label("not declared in flowc.yaml")
            .with_help("declare it under `teams:` in flowc.yaml");
        let text = render(&diagnostic, &sources, Color::Never);
        assert!(text.contains("error[S208]: unknown team `nobody`"), "{text}");
        assert!(text.contains("flows/pay/flow.yaml:2:8"), "{text}");
        assert!(text.contains("owner: nobody"), "{text}");
        assert!(text.contains("help: declare it"), "{text}");
    }

    /// Renders one primary and one context range the way the renderer did before
    /// excerpts: over the whole file.
    fn whole_file(file: &SourceFile, primary: Range<usize>, context: Range<usize>) -> String {
        let snippet = Snippet::source(file.text())
            .path(file.path())
            .fold(true)
            .annotation(AnnotationKind::Primary.span(primary).label("here"))
            .annotation(AnnotationKind::Context.span(context).label("there"));
        Renderer::plain().render(&[Level::ERROR.primary_title("t").element(snippet)])
    }

    fn excerpted(file: &SourceFile, primary: Range<usize>, context: Range<usize>) -> String {
        let excerpt = file.excerpt([primary.clone(), context.clone()]);
        let snippet = lines_of(file, excerpt)
            .annotation(AnnotationKind::Primary.span(excerpt.shift(primary)).label("here"))
            .annotation(AnnotationKind::Context.span(excerpt.shift(context)).label("there"));
        Renderer::plain().render(&[Level::ERROR.primary_title("t").element(snippet)])
    }

    #[test]
    fn excerpts_render_like_the_whole_file() {
        let texts = [
            "",
            "a",
            "ab\n",
            "ab\ncd",
            "ab\n\ncd\n",
            "select 1;\r\nselec 2;\r\n",
            "é\nbc\n\n\nd€f\ng",
        ];
        let mut sources = SourceMap::new();
        for text in texts {
            let id = sources.add("a.sql", text);
            let file = sources.file(id);
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let (middle, last) = (bounds[bounds.len() / 2], text.len());
            for context in [0..0, middle..last, last..last] {
                for &start in &bounds {
                    for &end in bounds.iter().filter(|&&end| end >= start) {
                        assert_eq!(
                            excerpted(file, start..end, context.clone()),
                            whole_file(file, start..end, context.clone()),
                            "{text:?} at {start}..{end} with {context:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn excerpt_holds_only_the_touched_lines() {
        let mut sources = SourceMap::new();
        let text = "SELEC 1;\n".repeat(100_000);
        let id = sources.add("big.sql", text.as_str());
        let middle = 50_000 * 9;
        let excerpt = sources.file(id).excerpt(std::iter::once(middle..middle + 5));
        assert_eq!(excerpt.text, "SELEC 1;\n");
        assert_eq!((excerpt.offset, excerpt.first_line), (middle, 50_001));
        let two = sources.file(id).excerpt([middle..middle + 5, middle + 18..middle + 19]);
        assert_eq!(two.text, "SELEC 1;\n".repeat(3));
    }
}
