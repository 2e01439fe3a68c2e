//! What differs between the two sides of a plan, one file per kind of thing: flows,
//! tasks (and their operators), access-control rules, quality rules, table writers,
//! table columns, table DDL and rendered files. Each compares the base and head manifests (or files) and returns
//! its part of the [`crate::plan::Plan`], sorted. Pure.

pub(super) mod access;
mod changes;
pub(crate) mod columns;
pub(super) mod ddl;
pub(super) mod files;
pub(super) mod flows;
mod operator;
pub(super) mod quality;
pub(super) mod tasks;
pub(super) mod writers;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::Alert;

/// An optional value as text, `none` when unset.
fn opt<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// Params as `name=value` items.
/// Alerts as sorted one-line texts: `slack ops_alerts`, `email a@x.com, b@x.com`.
fn alerts(alerts: &[Alert]) -> Vec<String> {
    let mut lines: Vec<String> = alerts
        .iter()
        .map(|alert| match alert {
            Alert::Email { to, connection } => format!(
                "email {}{}",
                to.join(", "),
                connection.as_ref().map(|c| format!(" via {c}")).unwrap_or_default()
            ),
            Alert::Slack { connection, channel } => format!(
                "slack {connection}{}",
                channel.as_ref().map(|c| format!(" {c}")).unwrap_or_default()
            ),
            Alert::DingTalk {
                connection,
                at_mobiles,
                at_all,
            } => format!(
                "dingtalk {connection}{}{}",
                if *at_all { " @all" } else { "" },
                at_mobiles.iter().map(|m| format!(" @{m}")).collect::<Vec<_>>().concat()
            ),
        })
        .collect();
    lines.sort();
    lines
}

fn params(params: &BTreeMap<String, Value>) -> Vec<String> {
    params.iter().map(|(name, value)| format!("{name}={value}")).collect()
}
