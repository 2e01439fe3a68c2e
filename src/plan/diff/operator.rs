//! Changes in the arguments the manifest records for a task's operator (queues,
//! DataX resources, column lineage, what a sensor waits for).

use std::collections::BTreeMap;

use serde_json::Value;

use super::changes::Changes;
use crate::plan::types::ChangeKind;
use crate::render::manifest::{OperatorEntry, TaskEntry};

/// Arguments the manifest records for the operator, by name.
fn operator_fields(operator: &OperatorEntry) -> BTreeMap<String, Value> {
    match serde_json::to_value(operator) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(k, _)| k != "operator").collect(),
        _ => BTreeMap::new(),
    }
}

/// The operator arguments that differ, when the operator class is the same.
pub(super) fn operator_changes(changes: &mut Changes, a: &TaskEntry, b: &TaskEntry) {
    if a.operator.class() != b.operator.class() {
        return;
    }
    let (fields_a, fields_b) = (operator_fields(&a.operator), operator_fields(&b.operator));
    // What a sensor waits for, and for which run, is a dependency.
    let sensor = b.is_sensor();
    for (field, value_b) in &fields_b {
        let value_a = fields_a.get(field).unwrap_or(&Value::Null);
        if value_a == value_b {
            continue;
        }
        let kind = match field.as_str() {
            "yarn_queue" => ChangeKind::Queue,
            "datax_channels" | "datax_bytes_per_second" => ChangeKind::Resources,
            // Follows the DAG id and task name; the template is reported as the SQL.
            "spark_name" | "sql_template" => continue,
            "column_lineage" => {
                let lines = |v: &Value| -> Vec<String> {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .map(|edge| format!("{} → {}", text(&edge["from"]), text(&edge["to"])))
                        .collect()
                };
                changes.set(ChangeKind::Config, field, &lines(value_a), &lines(value_b));
                continue;
            }
            _ if sensor => ChangeKind::Dependencies,
            _ => ChangeKind::Config,
        };
        changes.value(kind, field, &text(value_a), &text(value_b));
    }
}

/// A JSON value as plain text: strings unquoted, `none` for null.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
