//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`.
//!
//! GitHub turns these into annotations on the pull request's changed lines. Property
//! values and the message are escaped as the runner expects, so a message can never
//! end the command early or start a new one.

use crate::diagnostic::{Diagnostic, Severity, SourceMap};

/// A workflow command's message, escaped as the runner reads it.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value, escaped as the runner reads it.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One diagnostic as one workflow-command line (with its newline).
///
/// `path_prefix` is put before every file path: GitHub resolves annotation paths from
/// the checkout's root, which differs from the flowc repository's root when the
/// repository lives in a sub-folder (e.g. `examples/wingpay/`).
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, path_prefix: &str) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = Vec::new();
    if let Some(span) = diagnostic.span {
        let file = sources.file(span.file);
        let start = file.line_col(span.start);
        let end = file.line_col(span.end);
        properties.push(format!(
            "file={}",
            escape_property(&format!("{path_prefix}{}", file.path()))
        ));
        properties.push(format!("line={}", start.line));
        properties.push(format!("col={}", start.column));
        if end.line > start.line {
            properties.push(format!("endLine={}", end.line));
        } else if end.column > start.column {
            properties.push(format!("endColumn={}", end.column));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("{} {}", diagnostic.code, diagnostic.code.name()))
    ));
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{command} {}::{}\n", properties.join(","), escape_data(&message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Span};

    #[test]
    fn renders_a_workflow_command_with_position() {
        let mut sources = SourceMap::new();
        let file = sources.add("flows/a/x.sql", "select\n  1 frm t");
        let diagnostic = Diagnostic::error(Code::SqlSyntax, "expected end of statement, found `t`")
            .at(Span::new(file, 15, 16))
            .with_help("check the spelling");
        assert_eq!(
            render(&diagnostic, &sources, ""),
            "::error file=flows/a/x.sql,line=2,col=9,endColumn=10,title=Q301 SqlSyntax::\
             expected end of statement, found `t`%0Ahelp: check the spelling\n"
        );
    }

    #[test]
    fn paths_are_prefixed_with_the_repository_folder() {
        let mut sources = SourceMap::new();
        let file = sources.add("flowc.yaml", "x");
        let diagnostic = Diagnostic::error(Code::SqlSyntax, "m").at(Span::new(file, 0, 1));
        assert!(render(&diagnostic, &sources, "examples/wingpay/").contains("file=examples/wingpay/flowc.yaml,"));
    }

    #[test]
    fn hostile_text_cannot_start_a_new_command() {
        let mut sources = SourceMap::new();
        let file = sources.add("a,b:c.sql", "x");
        let diagnostic = Diagnostic::error(Code::SqlSyntax, "bad\n::error::injected").at(Span::new(file, 0, 1));
        let line = render(&diagnostic, &sources, "");
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.contains("file=a%2Cb%3Ac.sql"));
        assert!(line.contains("bad%0A::error::injected"));
    }
}
