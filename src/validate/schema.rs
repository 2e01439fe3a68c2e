//! JSON Schema validation of YAML documents, with every violation located.
//!
//! The schemas in `schemas/` are embedded in the binary and are the single source of
//! truth for the file formats. Each violation the jsonschema crate reports carries an
//! instance path (a JSON pointer); the span-keeping YAML tree turns it back into the
//! `file:line:col` of the offending key or value.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diagnostic::suggest::did_you_mean_key;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::load::{Document, YamlEntry, YamlNode, YamlValue};
use crate::model::TimeZone;
use crate::words::lowercase_first;

use super::schema_hints::{
    display_value, duration_help, expected_type_name, fitting_name, json_type_name, not_one_of, quote_list,
};
pub use super::schema_kind::SchemaKind;

/// The schemas' `format` of a time-zone name, checked against the IANA database
/// compiled into flowc.
const TIME_ZONE_FORMAT: &str = "iana-time-zone";

/// The compiled schema of `kind`, built once.
fn compiled(kind: SchemaKind) -> &'static Compiled {
    static PROJECT: OnceLock<Compiled> = OnceLock::new();
    static FLOW: OnceLock<Compiled> = OnceLock::new();
    static UNIT_TEST: OnceLock<Compiled> = OnceLock::new();
    let cell = match kind {
        SchemaKind::Project => &PROJECT,
        SchemaKind::Flow => &FLOW,
        SchemaKind::UnitTest => &UNIT_TEST,
    };
    cell.get_or_init(|| Compiled::new(kind))
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

impl Compiled {
    fn new(kind: SchemaKind) -> Self {
        // The schemas are part of flowc; a test proves each one parses and compiles,
        // so a failure here can only be a bug in flowc itself.
        let schema: Value = serde_json::from_str(kind.text()).expect("embedded schema is valid JSON");
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .with_format(TIME_ZONE_FORMAT, |name: &str| TimeZone::named(name).is_some())
            .build(&schema)
            .expect("embedded schema compiles");
        Self { schema, validator }
    }
}

/// Validates a document against its schema; returns one diagnostic per violation.
pub fn validate(kind: SchemaKind, document: &Document) -> Vec<Diagnostic> {
    let compiled = compiled(kind);
    let instance = document.root.to_json();
    let errors: Vec<ValidationError<'_>> = compiled.validator.iter_errors(&instance).collect();
    // When a task's `type` (or an alert's or wait's `kind`) itself is invalid, which
    // keys belong to the object is unknown: report the type, not every other key as
    // "unknown".
    let bad_discriminators: Vec<String> = errors
        .iter()
        .map(|e| e.instance_path().as_str())
        .filter_map(|path| path.strip_suffix("/type").or_else(|| path.strip_suffix("/kind")))
        .map(str::to_owned)
        .collect();
    errors
        .iter()
        .filter(|e| {
            let follow_on = matches!(e.kind(), ValidationErrorKind::UnevaluatedProperties { .. });
            !(follow_on && bad_discriminators.iter().any(|p| p == e.instance_path().as_str()))
        })
        .flat_map(|e| describe(e, &document.root, compiled, &instance, kind.file_label()))
        .collect()
}

/// The YAML node at an instance path, or the closest ancestor that exists.
fn node_at<'a>(root: &'a YamlNode, pointer: &str) -> &'a YamlNode {
    let mut pointer = pointer;
    loop {
        if let Some(node) = root.pointer(pointer) {
            return node;
        }
        match pointer.rfind('/') {
            Some(i) => pointer = &pointer[..i],
            None => return root,
        }
    }
}

/// Where to point for a problem with a whole mapping: its first key, not the whole block.
fn mapping_head(node: &YamlNode) -> Span {
    match &node.value {
        YamlValue::Map(entries) => entries.first().map_or(node.span, |e| e.key_span),
        _ => node.span,
    }
}

/// A short name for what sits at an instance path, e.g. "task `load_orders`".
fn context(root: &YamlNode, pointer: &str, file_label: &str) -> String {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let node = node_at(root, pointer);
    let name = node.entry("name").and_then(|e| e.value.as_str());
    match (segments.as_slice(), name) {
        ([], Some(name)) => format!("flow `{name}`"),
        ([], None) => file_label.to_owned(),
        (["tasks", _], Some(name)) => format!("task `{name}`"),
        (["tasks", index], None) => format!("task #{}", index.parse::<usize>().map_or(0, |i| i + 1)),
        (["tasks", _, "quality", _], Some(name)) => format!("quality rule `{name}`"),
        (["tasks", _, "quality", index], None) => {
            format!("quality rule #{}", index.parse::<usize>().map_or(0, |i| i + 1))
        }
        ([.., last], _) => format!("`{last}`"),
    }
}

/// The schema object a keyword at `schema_path` belongs to.
fn parent_schema<'a>(schema: &'a Value, schema_path: &str) -> Option<&'a Value> {
    let parent = schema_path.rsplit_once('/').map_or("", |(parent, _)| parent);
    schema.pointer(parent)
}

/// Keys a mapping may hold: its schema's `properties`, plus those of every `allOf`
/// branch whose `if` the instance satisfies (the per-task-type fields).
fn allowed_keys(schema_root: &Value, object_schema: &Value, instance: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |schema: &Value| {
        if let Some(Value::Object(properties)) = schema.get("properties") {
            keys.extend(properties.keys().cloned());
        }
    };
    add(object_schema);
    if let Some(Value::Array(branches)) = object_schema.get("allOf") {
        for branch in branches {
            let applies = branch
                .get("if")
                .and_then(|condition| jsonschema::validator_for(condition).ok())
                .is_some_and(|condition| condition.is_valid(instance));
            if !applies {
                continue;
            }
            if let Some(then) = branch.get("then") {
                add(then);
                if let Some(resolved) = then
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|target| schema_root.pointer(target))
                {
                    add(resolved);
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The diagnostics of one schema violation, in flowc's words.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per schema error kind, each its own message; split, the table would be harder to read"
)]
fn describe(
    error: &ValidationError<'_>,
    root: &YamlNode,
    compiled: &Compiled,
    instance_root: &Value,
    file_label: &str,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str();
    let schema_path = error.schema_path().as_str();
    let node = node_at(root, pointer);
    let instance = error.instance();
    let where_ = context(root, pointer, file_label);
    let description = parent_schema(&compiled.schema, schema_path)
        .and_then(|s| s.get("description"))
        .and_then(Value::as_str);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let object_schema = parent_schema(&compiled.schema, schema_path).unwrap_or(&Value::Null);
            let object = instance_root.pointer(pointer).unwrap_or(&Value::Null);
            let allowed = allowed_keys(&compiled.schema, object_schema, object);
            // With `unevaluatedProperties`, a key of the task's own type counts as
            // unevaluated when another error fails its type's branch; that error is
            // reported on its own, so only keys that are allowed nowhere are unknown.
            unexpected
                .iter()
                .filter(|key| !allowed.contains(key))
                .map(|key| {
                    let span = node.entry(key).map_or(node.span, |e| e.key_span);
                    let mut diagnostic =
                        Diagnostic::error(Code::UnknownKey, format!("unknown key `{key}` in {where_}"))
                            .at(span)
                            .with_label("not allowed here");
                    let help = did_you_mean_key(key, allowed.iter().map(String::as_str)).unwrap_or_else(|| {
                        if allowed.is_empty() {
                            "remove it".to_owned()
                        } else {
                            format!("remove it; allowed keys are {}", quote_list(&allowed))
                        }
                    });
                    diagnostic = diagnostic.with_help(help);
                    diagnostic
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let property = format!("/properties/{key}/description");
            // A key required by an `if`/`then` is described where the object's own
            // schema lists it, above the `then`.
            let conditional_owner = schema_path.rfind("/then/").map(|i| &schema_path[..i]);
            let property_description = parent_schema(&compiled.schema, schema_path)
                .and_then(|s| s.pointer(&property))
                .or_else(|| {
                    let owner = conditional_owner?;
                    compiled.schema.pointer(owner)?.pointer(&property)
                })
                .and_then(Value::as_str);
            let mut help = format!("add `{key}:`");
            if let Some(text) = property_description {
                help.push_str(" — ");
                help.push_str(&lowercase_first(text));
            }
            vec![
                Diagnostic::error(Code::MissingKey, format!("missing key `{key}` in {where_}"))
                    .at(mapping_head(node))
                    .with_label(format!("`{key}` is required here"))
                    .with_help(help),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            let expected = expected_type_name(kind);
            let found = json_type_name(instance);
            let mut diagnostic = Diagnostic::error(
                Code::WrongType,
                format!("expected {expected} for {where_}, found {found}"),
            )
            .at(node.span)
            .with_label(format!("expected {expected}"));
            let formed = parent_schema(&compiled.schema, schema_path).filter(|s| s.get("pattern").is_some());
            if let (Some(seconds), true) = (instance.as_u64(), schema_path.starts_with("/$defs/duration/")) {
                diagnostic = diagnostic.with_help(duration_help(seconds, description));
            } else if let (Some(text), Some(_)) = (description, formed) {
                diagnostic =
                    diagnostic.with_help(format!("write it as a string in this form: {}", lowercase_first(text)));
            } else if expected.contains("string") && matches!(instance.as_ref(), Value::Number(_) | Value::Bool(_)) {
                diagnostic = diagnostic.with_help("quote the value to make it a string, e.g. \"2.10\"");
            } else if let Some(text) = description {
                diagnostic = diagnostic.with_help(lowercase_first(text));
            }
            vec![diagnostic]
        }
        ValidationErrorKind::Enum { options } => {
            vec![not_one_of(options, instance, &where_).at(node.span)]
        }
        ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Format { .. } => {
            let value = display_value(instance);
            let (object, what) = match error.kind() {
                ValidationErrorKind::Format { format } if format == TIME_ZONE_FORMAT => (
                    "not a time zone of the IANA database".to_owned(),
                    "time zone".to_owned(),
                ),
                ValidationErrorKind::Format { format } => (format!("not a valid {format}"), format.clone()),
                _ => ("not in the expected form".to_owned(), "value".to_owned()),
            };
            let pattern_owner = if schema_path.ends_with("/propertyNames/pattern") || pointer.is_empty() {
                None
            } else {
                description
            };
            let mut diagnostic = Diagnostic::error(Code::InvalidValue, format!("{value} for {where_} is {object}"))
                .at(node.span)
                .with_label(format!("invalid {what}"));
            let is_zone = matches!(error.kind(), ValidationErrorKind::Format { format } if format == TIME_ZONE_FORMAT);
            let zone_help = instance.as_str().filter(|_| is_zone).map(TimeZone::help_for);
            let seconds = instance.as_str().and_then(|text| text.parse::<u64>().ok());
            if let Some(help) = zone_help {
                diagnostic = diagnostic.with_help(help);
            } else if let (Some(seconds), true) = (seconds, schema_path.starts_with("/$defs/duration/")) {
                diagnostic = diagnostic.with_help(duration_help(seconds, description));
            } else if let Some(text) = pattern_owner.or(description) {
                let name_schema =
                    parent_schema(&compiled.schema, schema_path).filter(|_| schema_path.starts_with("/$defs/name/"));
                let help = match fitting_name(instance, name_schema) {
                    Some(name) => format!("did you mean `{name}`? {}", lowercase_first(text)),
                    None => lowercase_first(text),
                };
                diagnostic = diagnostic.with_help(help);
            }
            vec![diagnostic]
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::OneOfMultipleValid { .. } => {
            let options = parent_schema(&compiled.schema, schema_path)
                .and_then(|s| s.get("oneOf"))
                .and_then(Value::as_array)
                .map(|branches| {
                    branches
                        .iter()
                        .filter_map(|b| b.pointer("/required/0").and_then(Value::as_str).map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            let present: Vec<&YamlEntry> = options.iter().filter_map(|key| node.entry(key)).collect();
            let message = if options.is_empty() {
                format!("{where_} matches none of the allowed forms")
            } else {
                format!("{where_} needs exactly one of {}", quote_list(&options))
            };
            let diagnostic = match present.as_slice() {
                [] => Diagnostic::error(Code::MissingKey, message)
                    .at(mapping_head(node))
                    .with_label(format!(
                        "neither {} is given",
                        quote_list(&options).replace(", ", " nor ")
                    ))
                    .with_help(format!("add one of {}", quote_list(&options))),
                [first, rest @ ..] => {
                    let mut diagnostic = Diagnostic::error(Code::InvalidValue, message)
                        .at(first.key_span)
                        .with_label("given here");
                    for other in rest {
                        diagnostic = diagnostic.with_secondary(other.key_span, "and here");
                    }
                    diagnostic.with_help(if pointer.contains("/quality/") {
                        "a rule holds one check: split it into two rules (one per check), each with its own `name`; \
                         for not_null and unique on a key, `primary_key: [column, …]` writes both"
                    } else {
                        "keep one of them and remove the others"
                    })
                }
            };
            vec![diagnostic]
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let key = inner.instance().as_str().unwrap_or_default().to_owned();
            let span = node.entry(&key).map_or(node.span, |e| e.key_span);
            let mut diagnostic = Diagnostic::error(
                Code::InvalidValue,
                format!("key `{key}` in {where_} is not in the expected form"),
            )
            .at(span)
            .with_label("invalid key");
            if let Some(text) = parent_schema(&compiled.schema, schema_path)
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
            {
                diagnostic = diagnostic.with_help(lowercase_first(text));
            }
            vec![diagnostic]
        }
        ValidationErrorKind::FalseSchema => {
            // A key that a conditional branch forbids, e.g. `threshold` on a rule whose
            // check has its own limit.
            let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
            let owner = node_at(root, parent);
            let span = owner.entry(key).map_or(node.span, |e| e.key_span);
            vec![
                Diagnostic::error(
                    Code::UnknownKey,
                    format!("key `{key}` does not apply to {}", context(root, parent, file_label)),
                )
                .at(span)
                .with_label("not allowed here")
                .with_help("remove it: what this check allows is part of the check itself"),
            ]
        }
        _ => {
            let message = lowercase_first(&error.masked().to_string());
            vec![
                Diagnostic::error(Code::InvalidValue, format!("{where_}: {message}"))
                    .at(node.span)
                    .with_label("invalid value"),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{LineCol, SourceMap};
    use crate::load::yaml;

    fn check(kind: SchemaKind, text: &str) -> (Vec<Diagnostic>, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add("x.yaml", text);
        let (root, found) = yaml::parse(sources.file(file), file);
        assert!(found.is_empty(), "{found:?}");
        let document = Document {
            file,
            root: root.unwrap(),
        };
        (validate(kind, &document), sources)
    }

    #[test]
    fn embedded_schemas_compile() {
        for kind in SchemaKind::ALL {
            let _ = compiled(kind);
        }
    }

    #[test]
    fn every_violation_is_reported_and_located() {
        let text = "name: pay\nowner: 7\nschedule: \"@daily\"\nstart_date: 2024-01-01\nbogus: 1\ntasks:\n  - name: a\n    type: sparksql\n";
        let (diagnostics, sources) = check(SchemaKind::Flow, text);
        let mut found: Vec<(Code, LineCol)> = diagnostics
            .iter()
            .map(|d| (d.code, sources.line_col(d.span.unwrap())))
            .collect();
        found.sort();
        assert_eq!(
            found,
            vec![
                (Code::UnknownKey, LineCol { line: 5, column: 1 }),
                (Code::MissingKey, LineCol { line: 7, column: 5 }),
                (Code::WrongType, LineCol { line: 2, column: 8 }),
            ]
        );
    }

    #[test]
    fn unknown_task_keys_suggest_the_type_specific_key() {
        let text = "name: pay\nowner: t\nschedule: none\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n    cnf: {}\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, Code::UnknownKey);
        assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `conf`?"));
    }

    #[test]
    fn a_key_of_another_task_type_is_unknown() {
        let text = "name: pay\nowner: t\nschedule: none\ntasks:\n  - name: a\n    type: kylin\n    cube: c\n    project: p\n    reads: [x.y]\n    sql: a.sql\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].message.contains("unknown key `sql` in task `a`"),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn a_failing_task_branch_does_not_make_its_keys_unknown() {
        let text = "name: pay\nowner: t\nschedule: none\ntasks:\n  - name: a\n    type: ml\n    reads: [x.y]\n    writes: [x.z]\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, Code::MissingKey);
    }

    #[test]
    fn enum_values_get_did_you_mean() {
        let text = "name: pay\nowner: t\nschedule: none\npriority: importnat\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics[0].code, Code::InvalidValue);
        assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `important`?"));
    }

    #[test]
    fn unquoted_version_number_asks_for_quotes() {
        let text = "project: p\nairflow:\n  version: 2.10\nenvironments: {dev: {}, prod: {}}\n";
        let (diagnostics, _) = check(SchemaKind::Project, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].code, Code::InvalidValue);
        assert!(
            diagnostics[0].message.contains("`2.1` is not a valid value"),
            "{diagnostics:?}"
        );
        assert!(diagnostics[0].help.as_deref().unwrap().contains("quote"));
    }

    #[test]
    fn database_mappings_take_a_star_pattern_and_say_the_form() {
        let good = "project: p\nenvironments: {dev: {databases: {\"*\": dev_*, dq: dev_quality}}, prod: {}}\n";
        let (diagnostics, _) = check(SchemaKind::Project, good);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let bad = "project: p\nenvironments: {dev: {databases: {\"o*\": dev_o, dwd: dev_*, \"*\": dev}}, prod: {}}\n";
        let (diagnostics, _) = check(SchemaKind::Project, bad);
        assert_eq!(diagnostics.len(), 3, "{diagnostics:?}");
        for diagnostic in &diagnostics {
            assert_eq!(diagnostic.code, Code::InvalidValue);
            let help = diagnostic.help.as_deref().unwrap_or_default();
            assert!(!help.contains('^'), "a bare regex: {diagnostic:?}");
            assert!(help.contains("dev_"), "no example of the form: {diagnostic:?}");
        }
    }

    #[test]
    fn a_duration_written_as_seconds_gets_its_form() {
        let text = "name: pay\nowner: t\nschedule: none\ndefaults: {retry_delay: 300}\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n    timeout: \"5400\"\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        let helps: Vec<&str> = diagnostics.iter().filter_map(|d| d.help.as_deref()).collect();
        assert_eq!(
            helps,
            [
                "a duration takes its unit: write \"5m\" (300 seconds); a duration such as \"90s\", \"15m\", \"2h\" or \"1h30m\".",
                "a duration takes its unit: write \"90m\" (5400 seconds); a duration such as \"90s\", \"15m\", \"2h\" or \"1h30m\".",
            ]
        );
    }

    #[test]
    fn a_dotted_task_name_gets_its_underscored_form() {
        let text = "name: pay\nowner: t\nschedule: none\ntasks:\n  - name: dwd.orders_clean\n    type: sparksql\n    sql: a.sql\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        let help = diagnostics[0].help.as_deref().unwrap_or_default();
        assert!(help.starts_with("did you mean `dwd_orders_clean`? "), "{help}");
    }

    #[test]
    fn invalid_dates_are_rejected() {
        let text = "name: pay\nowner: t\nschedule: \"@daily\"\nstart_date: 2024-02-30\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(diagnostics[0].message.contains("not a valid date"), "{diagnostics:?}");
    }

    #[test]
    fn unknown_time_zones_suggest_the_iana_name() {
        for (written, suggested) in [("Asia/Shangai", "Asia/Shanghai"), ("asia/shanghai", "Asia/Shanghai")] {
            let text = format!("project: p\ntimezone: {written}\nenvironments: {{dev: {{}}, prod: {{}}}}\n");
            let (diagnostics, _) = check(SchemaKind::Project, &text);
            assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
            assert_eq!(diagnostics[0].code, Code::InvalidValue);
            assert!(
                diagnostics[0].message.contains("not a time zone of the IANA database"),
                "{diagnostics:?}"
            );
            assert_eq!(
                diagnostics[0].help.as_deref(),
                Some(format!("did you mean `{suggested}`?").as_str())
            );
        }
        let text = "name: pay\nowner: t\nschedule: \"@daily\"\nstart_date: 2024-01-01\ntimezone: Europe/Berlin\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n";
        assert_eq!(check(SchemaKind::Flow, text).0.len(), 0);
        let text = "name: pay\nowner: t\nschedule: none\ntimezone: Mars/Olympus_Mons\ntasks:\n  - name: a\n    type: sparksql\n    sql: a.sql\n";
        let (diagnostics, _) = check(SchemaKind::Flow, text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].help.as_deref().is_some_and(|h| h.contains("IANA")),
            "{diagnostics:?}"
        );
    }
}
