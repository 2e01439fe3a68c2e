//! Access-control rules added, removed or changed (a team's grants, a
//! classification, a table pattern's class and owner), and whether each loosens
//! access.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::types::{AccessChange, Status};

/// Access-control subjects whose lines differ between the two manifests.
pub(crate) fn access_changes(
    old: &BTreeMap<String, Vec<String>>,
    new: &BTreeMap<String, Vec<String>>,
) -> Vec<AccessChange> {
    let subjects: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    subjects
        .into_iter()
        .filter_map(|subject| {
            let before: BTreeSet<&String> = old.get(subject).into_iter().flatten().collect();
            let after: BTreeSet<&String> = new.get(subject).into_iter().flatten().collect();
            let status = match (old.contains_key(subject), new.contains_key(subject)) {
                (false, _) => Status::Added,
                (_, false) => Status::Removed,
                _ if before == after => return None,
                _ => Status::Changed,
            };
            let added: Vec<String> = after.difference(&before).map(|l| (*l).clone()).collect();
            let removed: Vec<String> = before.difference(&after).map(|l| (*l).clone()).collect();
            let loosened = if subject.starts_with("team ") {
                // A new grant, or a team that lost its grants (no longer restricted).
                status != Status::Removed && !added.is_empty()
            } else if subject.starts_with("classification ") {
                status == Status::Removed || added.iter().any(|l| l == "no grant required")
            } else {
                removed
                    .iter()
                    .any(|l| l.starts_with("class ") || l.starts_with("owner "))
            };
            Some(AccessChange {
                subject: subject.clone(),
                status,
                added,
                removed,
                loosened,
            })
        })
        .collect()
}
