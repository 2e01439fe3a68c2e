//! Schema-valid YAML → typed model.
//!
//! The JSON Schema has already accepted the document, so the shapes here cannot fail;
//! a mismatch between schema and these types is a bug in flowc and is reported as
//! [`Error::Internal`](crate::Error::Internal). Spans come from the YAML tree by JSON
//! pointer. [`project`] builds the project, [`flow`] one flow and, through `task`,
//! its tasks.

mod columns;
mod flow;
mod project;
mod task;
mod unit_test;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Duration, ParamValue};

pub(super) use flow::flow;
pub(super) use project::project;
pub(super) use unit_test::unit_tests;

fn duration(text: Option<&str>) -> Option<Duration> {
    text.and_then(Duration::parse)
}

/// A scalar parameter value as the text it stands for in SQL.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn params(raw: BTreeMap<String, Value>) -> BTreeMap<String, ParamValue> {
    raw.into_iter().map(|(k, v)| (k, ParamValue::from_json(&v))).collect()
}

fn conf(raw: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    raw.into_iter().map(|(k, v)| (k, param_text(&v))).collect()
}
