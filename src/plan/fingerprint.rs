//! Content fingerprints, SQLMesh-style.
//!
//! A task's own fingerprints hash what it is made of (see
//! [`crate::render::manifest::Fingerprint`]); its `lineage` fingerprint hashes its own
//! `data` fingerprint together with the `lineage` of every task it depends on, so a
//! change anywhere upstream — in any flow — changes the `lineage` of everything
//! downstream, and two compiles agree on a task's lineage only when the task and all
//! of its ancestors are unchanged. Pure; hashes are `sha256:<hex>`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// `sha256:<hex>` of a value's JSON. Deterministic: serde_json writes struct fields in
/// declaration order and `json!` objects with sorted keys.
pub fn hash_json<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    format!("sha256:{}", hex(&Sha256::digest(&bytes)))
}

/// The lineage fingerprint of a task with `data` fingerprint and the given
/// `(parent name, parent lineage)` pairs; the order of the pairs does not matter.
pub fn lineage_of<'a>(data: &str, parents: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let parents: BTreeMap<&str, &str> = parents.into_iter().collect();
    hash_json(&(data, parents))
}

/// The lineage fingerprint of every task in `data` (task → data fingerprint), given
/// each task's parents. Parents without a data fingerprint are left out. A cycle (the
/// check rejects them, so only in hand-made input) is cut where it closes.
pub fn lineage(
    data: &BTreeMap<String, String>,
    parents: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, String> {
    let mut done: BTreeMap<String, String> = BTreeMap::new();
    for task in data.keys() {
        visit(task, data, parents, &mut done, &mut BTreeSet::new());
    }
    done
}

fn visit(
    task: &str,
    data: &BTreeMap<String, String>,
    parents: &BTreeMap<String, BTreeSet<String>>,
    done: &mut BTreeMap<String, String>,
    visiting: &mut BTreeSet<String>,
) {
    if done.contains_key(task) || !visiting.insert(task.to_owned()) {
        return;
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for parent in parents.get(task).into_iter().flatten() {
        if !data.contains_key(parent) {
            continue;
        }
        visit(parent, data, parents, done, visiting);
        if let Some(lineage) = done.get(parent) {
            pairs.push((parent.clone(), lineage.clone()));
        }
    }
    visiting.remove(task);
    if let Some(own) = data.get(task) {
        let lineage = lineage_of(own, pairs.iter().map(|(p, l)| (p.as_str(), l.as_str())));
        done.insert(task.to_owned(), lineage);
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, String> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn parents(items: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|p| (*p).to_owned()).collect()))
            .collect()
    }

    #[test]
    fn a_change_upstream_changes_the_lineage_of_everything_downstream_only() {
        let edges = parents(&[("b", &["a"]), ("c", &["b"]), ("e", &["d"])]);
        let before = lineage(
            &map(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]),
            &edges,
        );
        let after = lineage(
            &map(&[("a", "1*"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]),
            &edges,
        );
        for task in ["a", "b", "c"] {
            assert_ne!(before[task], after[task], "{task}");
        }
        for task in ["d", "e"] {
            assert_eq!(before[task], after[task], "{task}");
        }
    }

    #[test]
    fn lineage_ignores_parent_order_and_survives_a_cycle() {
        assert_eq!(
            lineage_of("x", [("a", "1"), ("b", "2")]),
            lineage_of("x", [("b", "2"), ("a", "1")])
        );
        let cyclic = lineage(
            &map(&[("a", "1"), ("b", "2")]),
            &parents(&[("a", &["b"]), ("b", &["a"])]),
        );
        assert_eq!(cyclic.len(), 2);
    }

    #[test]
    fn hashes_are_prefixed_sha256() {
        let hash = hash_json(&"x");
        assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    }
}
