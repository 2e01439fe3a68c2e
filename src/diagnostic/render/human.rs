//! Human-readable diagnostics: the offending source line with carets, then `help:`.

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diagnostic::{Diagnostic, Severity, SourceMap};

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
            let file = sources.file(span.file);
            let mut primary = AnnotationKind::Primary.span(span.range());
            if let Some(label) = &diagnostic.label {
                primary = primary.label(label.as_str());
            }
            let mut snippet = Snippet::source(file.shown_text())
                .path(file.path())
                .fold(true)
                .annotation(primary);
            let mut other_files = Vec::new();
            for label in &diagnostic.labels {
                if label.span.file == span.file {
                    snippet = snippet.annotation(
                        AnnotationKind::Context
                            .span(label.span.range())
                            .label(label.message.as_str()),
                    );
                } else {
                    other_files.push(label);
                }
            }
            let mut group = title.element(snippet);
            for label in other_files {
                let other = sources.file(label.span.file);
                group = group.element(
                    Snippet::source(other.shown_text())
                        .path(other.path())
                        .fold(true)
                        .annotation(
                            AnnotationKind::Context
                                .span(label.span.range())
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
