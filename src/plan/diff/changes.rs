//! The [`Changes`] collector: one attribute's before and after, compared and kept
//! only when they differ, in a fixed order of kinds.

use std::collections::BTreeSet;

use crate::plan::types::{Change, ChangeKind, Delta};

/// Collects changes; sorts them by kind (stable, so fields keep their order).
#[derive(Default)]
pub(super) struct Changes(Vec<Change>);

impl Changes {
    pub(super) fn value(&mut self, kind: ChangeKind, field: &str, before: &str, after: &str) {
        if before != after {
            self.0.push(Change {
                kind,
                field: field.to_owned(),
                delta: Delta::Value {
                    before: before.to_owned(),
                    after: after.to_owned(),
                },
            });
        }
    }

    pub(super) fn set(&mut self, kind: ChangeKind, field: &str, before: &[String], after: &[String]) {
        let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (before.iter().collect(), after.iter().collect());
        let added: Vec<String> = b.difference(&a).map(|s| (*s).clone()).collect();
        let removed: Vec<String> = a.difference(&b).map(|s| (*s).clone()).collect();
        if !added.is_empty() || !removed.is_empty() {
            self.0.push(Change {
                kind,
                field: field.to_owned(),
                delta: Delta::Set { added, removed },
            });
        }
    }

    pub(super) fn content(&mut self, kind: ChangeKind, field: &str, file: &str, before: String, after: String) {
        self.0.push(Change {
            kind,
            field: field.to_owned(),
            delta: Delta::Content {
                file: file.to_owned(),
                before,
                after,
            },
        });
    }

    pub(super) fn has(&self, kind: ChangeKind) -> bool {
        self.0.iter().any(|c| c.kind == kind)
    }

    pub(super) fn any(&self, test: impl Fn(ChangeKind) -> bool) -> bool {
        self.0.iter().any(|c| test(c.kind))
    }

    pub(super) fn finish(mut self) -> Vec<Change> {
        self.0.sort_by_key(|c| c.kind);
        self.0
    }
}
