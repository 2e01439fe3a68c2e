//! Diagnostics as JSON objects, for tools. Keys are stable; positions are 1-based.

use serde_json::{Map, Value, json};

use crate::diagnostic::{Diagnostic, SourceMap, Span};

fn location(span: Span, sources: &SourceMap) -> Value {
    let file = sources.file(span.file);
    let start = file.line_col(span.start);
    let end = file.line_col(span.end);
    json!({
        "file": file.path(),
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
    })
}

/// One diagnostic as a JSON object.
pub fn to_value(diagnostic: &Diagnostic, sources: &SourceMap) -> Value {
    let mut object = Map::new();
    object.insert("code".into(), json!(diagnostic.code.as_str()));
    object.insert("name".into(), json!(diagnostic.code.name()));
    object.insert("severity".into(), json!(diagnostic.severity.as_str()));
    object.insert("message".into(), json!(diagnostic.message));
    if let Some(span) = diagnostic.span
        && let Value::Object(position) = location(span, sources)
    {
        object.extend(position);
    }
    if let Some(label) = &diagnostic.label {
        object.insert("label".into(), json!(label));
    }
    if !diagnostic.labels.is_empty() {
        let labels = diagnostic
            .labels
            .iter()
            .map(|label| {
                let mut value = location(label.span, sources);
                value["message"] = json!(label.message);
                value
            })
            .collect();
        object.insert("labels".into(), Value::Array(labels));
    }
    if let Some(help) = &diagnostic.help {
        object.insert("help".into(), json!(help));
    }
    if !diagnostic.notes.is_empty() {
        object.insert("notes".into(), json!(diagnostic.notes));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    #[test]
    fn has_code_position_and_help() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.sql", "select\n  x from");
        let diagnostic = Diagnostic::error(Code::SqlSyntax, "expected a table name")
            .at(Span::new(file, 11, 11))
            .with_help("name the table");
        let value = to_value(&diagnostic, &sources);
        assert_eq!(value["code"], "Q301");
        assert_eq!(value["name"], "SqlSyntax");
        assert_eq!(value["file"], "a.sql");
        assert_eq!(value["line"], 2);
        assert_eq!(value["column"], 5);
        assert_eq!(value["help"], "name the table");
    }
}
