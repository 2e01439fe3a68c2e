//! The plan's quality section: rules added, removed or changed, and which changes
//! loosen a rule, from the `quality` object of the two manifests' check tasks.
//!
//! Rules are matched by flow and name (unique in a flow). A change loosens a rule when
//! it lets more data through without failing or blocking: the rule removed, `strong`
//! turned `weak`, a threshold moved the permissive way, fewer columns checked for
//! nulls, more values accepted, a range widened, a later landing time, a key with more
//! columns, or a `where` added (fewer rows checked). Other changes (an expression, a
//! pattern, the kind) are listed for review but not judged.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::types::{Delta, QualityChange, RuleChange, Status};
use crate::render::manifest::{Manifest, QualityEntry};

/// Rules that differ between the two manifests, sorted by flow and rule.
pub(crate) fn quality_changes(base: &Manifest, head: &Manifest) -> Vec<QualityChange> {
    let (old, new) = (rules(base), rules(head));
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| match (old.get(key), new.get(key)) {
            (None, Some(rule)) => Some(change(key, rule, Status::Added, Vec::new(), Vec::new())),
            (Some(rule), None) => {
                let mut loosened = vec!["the rule no longer runs".to_owned()];
                if rule.severity == "strong" {
                    loosened.push(format!("downstream of {} no longer waits for it", rule.table));
                }
                Some(change(key, rule, Status::Removed, Vec::new(), loosened))
            }
            (Some(before), Some(after)) => {
                let changes = rule_changes(before, after);
                (!changes.is_empty()).then(|| {
                    let loosened = loosened(before, after);
                    change(key, after, Status::Changed, changes, loosened)
                })
            }
            (None, None) => None,
        })
        .collect()
}

/// Check tasks' rules by (flow, rule).
fn rules(manifest: &Manifest) -> BTreeMap<(String, String), &QualityEntry> {
    manifest
        .flows
        .iter()
        .flat_map(|flow| {
            flow.tasks
                .iter()
                .filter_map(|task| task.quality.as_ref())
                .map(|quality| ((flow.flow.clone(), quality.rule.clone()), quality))
        })
        .collect()
}

fn change(
    (flow, rule): &(String, String),
    entry: &QualityEntry,
    status: Status,
    changes: Vec<RuleChange>,
    loosened: Vec<String>,
) -> QualityChange {
    QualityChange {
        rule: format!("{flow}.{rule}"),
        task: entry.task.clone(),
        table: entry.table.clone(),
        check: format!("{}.{}", entry.dimension, entry.kind),
        severity: entry.severity.clone(),
        status,
        changes,
        loosened,
    }
}

/// What differs, field by field, in a fixed order.
fn rule_changes(before: &QualityEntry, after: &QualityEntry) -> Vec<RuleChange> {
    let mut changes = Vec::new();
    let mut value = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(RuleChange {
                field: field.to_owned(),
                delta: Delta::Value {
                    before: old,
                    after: new,
                },
            });
        }
    };
    let check = |e: &QualityEntry| format!("{}.{}", e.dimension, e.kind);
    let partition = |e: &QualityEntry| e.partition.clone().unwrap_or_else(|| "all".to_owned());
    value("task", before.task.clone(), after.task.clone());
    value("check", check(before), check(after));
    value("severity", before.severity.clone(), after.severity.clone());
    value("table", before.table.clone(), after.table.clone());
    value("partition", partition(before), partition(after));
    value(
        "threshold",
        format!("{} {}", before.comparison, before.threshold),
        format!("{} {}", after.comparison, after.threshold),
    );
    value(
        "results_table",
        before.results_table.clone(),
        after.results_table.clone(),
    );
    let names: BTreeSet<&String> = before.settings.keys().chain(after.settings.keys()).collect();
    for name in names {
        let old = before.settings.get(name).map(Vec::as_slice).unwrap_or_default();
        let new = after.settings.get(name).map(Vec::as_slice).unwrap_or_default();
        if old == new {
            continue;
        }
        let delta = if is_set(name) {
            let (old, new): (BTreeSet<&String>, BTreeSet<&String>) = (old.iter().collect(), new.iter().collect());
            if old == new {
                // Only the order changed: shown as a value.
                Delta::Value {
                    before: setting_text(before, name),
                    after: setting_text(after, name),
                }
            } else {
                Delta::Set {
                    added: new.difference(&old).map(|v| (*v).clone()).collect(),
                    removed: old.difference(&new).map(|v| (*v).clone()).collect(),
                }
            }
        } else {
            Delta::Value {
                before: setting_text(before, name),
                after: setting_text(after, name),
            }
        };
        changes.push(RuleChange {
            field: name.clone(),
            delta,
        });
    }
    changes
}

/// Settings compared as sets of items (columns, accepted values).
fn is_set(name: &str) -> bool {
    matches!(name, "columns" | "values")
}

/// A setting as one text, `none` when unset.
fn setting_text(entry: &QualityEntry, name: &str) -> String {
    entry
        .settings
        .get(name)
        .map_or_else(|| "none".to_owned(), |values| values.join(", "))
}

/// Why a change of a rule that stays lets more through, one reason per line; empty
/// when it does not.
fn loosened(before: &QualityEntry, after: &QualityEntry) -> Vec<String> {
    let mut reasons = Vec::new();
    if before.severity == "strong" && after.severity == "weak" {
        reasons.push(format!(
            "strong → weak: a failure no longer stops what runs after {}",
            after.table
        ));
    }
    if before.comparison == after.comparison
        && let (Some(old), Some(new)) = (number(&before.threshold), number(&after.threshold))
    {
        let looser = match after.comparison.as_str() {
            "<=" => new > old,
            ">=" => new < old,
            _ => false,
        };
        if looser {
            reasons.push(format!(
                "threshold {} → {} (passes when the observed value is {} it)",
                before.threshold, after.threshold, after.comparison
            ));
        }
    }
    if before.kind != after.kind {
        return reasons;
    }
    let set = |entry: &QualityEntry, name: &str| -> BTreeSet<String> {
        entry.settings.get(name).into_iter().flatten().cloned().collect()
    };
    let one = |entry: &QualityEntry, name: &str| -> Option<String> {
        entry.settings.get(name).and_then(|values| values.first()).cloned()
    };
    match after.kind.as_str() {
        "not_null" => {
            let dropped: Vec<String> = set(before, "columns")
                .difference(&set(after, "columns"))
                .cloned()
                .collect();
            if !dropped.is_empty() {
                reasons.push(format!("no longer checks {} for nulls", dropped.join(", ")));
            }
        }
        "unique" => {
            let added: Vec<String> = set(after, "columns")
                .difference(&set(before, "columns"))
                .cloned()
                .collect();
            if !added.is_empty() {
                reasons.push(format!(
                    "the key also has {}: fewer rows count as duplicates",
                    added.join(", ")
                ));
            }
        }
        "accepted_values" => {
            let added: Vec<String> = set(after, "values")
                .difference(&set(before, "values"))
                .cloned()
                .collect();
            if !added.is_empty() {
                reasons.push(format!("also accepts {}", added.join(", ")));
            }
        }
        "range" => {
            let bound = |name: &str, wider: fn(f64, f64) -> bool| match (one(before, name), one(after, name)) {
                (Some(old), None) => Some(format!("{name} {old} removed")),
                (Some(old), Some(new)) => match (number(&old), number(&new)) {
                    (Some(o), Some(n)) if wider(o, n) => Some(format!("{name} {old} → {new}")),
                    _ => None,
                },
                _ => None,
            };
            reasons.extend(bound("min", |old, new| new < old));
            reasons.extend(bound("max", |old, new| new > old));
        }
        "land_by" => {
            // `HH:MM`, zero-padded: later compares greater.
            if let (Some(old), Some(new)) = (one(before, "time"), one(after, "time"))
                && new > old
            {
                reasons.push(format!("may land later: {old} → {new}"));
            }
        }
        _ => {}
    }
    if !before.settings.contains_key("where")
        && let Some(filter) = one(after, "where")
    {
        reasons.push(format!("checks only the rows where {filter}"));
    }
    reasons
}

/// A threshold or bound as a number.
fn number(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}
