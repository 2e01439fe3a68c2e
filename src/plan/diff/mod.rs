//! What differs between the two sides of a plan, one file per kind of thing: flows,
//! tasks (and their operators), access-control rules, quality rules, table writers and
//! rendered files. Each compares the base and head manifests (or files) and returns
//! its part of the [`crate::plan::Plan`], sorted. Pure.

pub(super) mod access;
mod changes;
pub(super) mod files;
pub(super) mod flows;
mod operator;
pub(super) mod quality;
pub(super) mod tasks;
pub(super) mod writers;

use std::collections::BTreeMap;

use serde_json::Value;

/// An optional value as text, `none` when unset.
fn opt<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// Params as `name=value` items.
fn params(params: &BTreeMap<String, Value>) -> Vec<String> {
    params.iter().map(|(name, value)| format!("{name}={value}")).collect()
}
