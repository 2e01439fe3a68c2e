//! Breaking changes: tables the base revision writes that nothing writes in the head
//! revision, while head tasks still read them, with the table that probably replaces
//! each; column ones in [`columns`].

pub(crate) mod columns;

use std::collections::BTreeSet;

use super::graph::Graph;
use super::types::{BreakingChange, BreakingKind};

/// Tables written in base, written by nothing in head (and not declared as an external
/// source there), yet read by head tasks.
pub(crate) fn breaking_changes(
    base: &Graph<'_>,
    head: &Graph<'_>,
    head_sources: &BTreeSet<&str>,
) -> Vec<BreakingChange> {
    let new_tables: Vec<(&str, &str)> = head
        .writers()
        .iter()
        .filter(|(table, _)| !base.writers().contains_key(*table))
        .map(|(table, writer)| (*table, *writer))
        .collect();
    let mut breaking = Vec::new();
    for (table, writer) in base.writers() {
        if head.writers().contains_key(table) || head_sources.contains(table) {
            continue;
        }
        let readers = head.readers_of(table);
        if readers.is_empty() {
            continue;
        }
        breaking.push(BreakingChange {
            kind: BreakingKind::TableNoLongerWritten,
            table: (*table).to_owned(),
            writer: (*writer).to_owned(),
            readers,
            renamed_to: renamed_to(table, writer, &new_tables),
        });
    }
    breaking
}

/// The new table that most likely replaces `table`: one written by the same task
/// (the most similar name if several), else one with a similar name.
fn renamed_to(table: &str, writer: &str, new_tables: &[(&str, &str)]) -> Option<String> {
    let similarity = |candidate: &str| strsim::normalized_levenshtein(table, candidate);
    let best = |candidates: &mut dyn Iterator<Item = &str>| -> Option<(f64, String)> {
        let mut best: Option<(f64, String)> = None;
        for candidate in candidates {
            let score = similarity(candidate);
            // Strictly better only, so ties keep the first (sorted) name.
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, candidate.to_owned()));
            }
        }
        best
    };
    let same_writer = best(&mut new_tables.iter().filter(|(_, w)| *w == writer).map(|(t, _)| *t));
    if let Some((_, name)) = same_writer {
        return Some(name);
    }
    best(&mut new_tables.iter().map(|(t, _)| *t))
        .filter(|(score, _)| *score >= 0.75)
        .map(|(_, name)| name)
}
