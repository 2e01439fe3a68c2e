//! Expected rows against written rows: which match, which differ in some columns,
//! which are missing and which were not expected.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::TableName;

/// A row's values by column, as Spark casts them to text; `None` is NULL.
pub type Values = BTreeMap<String, Option<String>>;

/// An expected row that matched no written row, but one closely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// The expected row's index in the test.
    pub expected: usize,
    /// The written row it is closest to.
    pub written: Values,
    /// Column, expected value, written value: the columns that differ.
    pub differences: Vec<(String, Option<String>, Option<String>)>,
}

/// What differs in one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDiff {
    /// The table, by its production name.
    pub table: TableName,
    /// Rows expected.
    pub expected_rows: usize,
    /// Rows written (in the partitions read).
    pub written_rows: usize,
    /// Expected rows close to a written row, with the columns that differ.
    pub changed: Vec<Changed>,
    /// Expected rows (by index, with their values) that match no written row.
    pub missing: Vec<(usize, Values)>,
    /// Written rows no expected row matches.
    pub unexpected: Vec<Values>,
}

impl TableDiff {
    /// Whether every expected row matched a written row, one to one.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.unexpected.is_empty()
    }
}

/// Compares `expected` rows (each with the columns it gives) with `written` rows;
/// `floating` columns compare with a relative tolerance of 1e-9; `ordered` compares
/// row by row.
pub fn compare(
    table: &TableName,
    expected: &[Values],
    written: &[Values],
    floating: &BTreeSet<String>,
    ordered: bool,
) -> TableDiff {
    let mut diff = TableDiff {
        table: table.clone(),
        expected_rows: expected.len(),
        written_rows: written.len(),
        changed: Vec::new(),
        missing: Vec::new(),
        unexpected: Vec::new(),
    };
    if ordered {
        for (index, row) in expected.iter().enumerate() {
            match written.get(index) {
                Some(other) => {
                    let differences = differences(row, other, floating);
                    if !differences.is_empty() {
                        diff.changed.push(Changed {
                            expected: index,
                            written: other.clone(),
                            differences,
                        });
                    }
                }
                None => diff.missing.push((index, row.clone())),
            }
        }
        diff.unexpected = written.iter().skip(expected.len()).cloned().collect();
        return diff;
    }
    let mut used = vec![false; written.len()];
    let mut unmatched = Vec::new();
    for (index, row) in expected.iter().enumerate() {
        let found = (0..written.len()).find(|&j| !used[j] && differences(row, &written[j], floating).is_empty());
        match found {
            Some(j) => used[j] = true,
            None => unmatched.push(index),
        }
    }
    for index in unmatched {
        let row = &expected[index];
        // The closest written row left: most columns equal, at least half of them.
        let closest = (0..written.len())
            .filter(|&j| !used[j])
            .map(|j| (row.len() - differences(row, &written[j], floating).len(), j))
            .filter(|(equal, _)| *equal > 0 && equal * 2 >= row.len())
            .max_by_key(|(equal, j)| (*equal, std::cmp::Reverse(*j)));
        match closest {
            Some((_, j)) => {
                used[j] = true;
                diff.changed.push(Changed {
                    expected: index,
                    written: written[j].clone(),
                    differences: differences(row, &written[j], floating),
                });
            }
            None => diff.missing.push((index, row.clone())),
        }
    }
    diff.unexpected = written
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(row, _)| row.clone())
        .collect();
    diff
}

/// The columns of `expected` whose value in `written` differs.
fn differences(
    expected: &Values,
    written: &Values,
    floating: &BTreeSet<String>,
) -> Vec<(String, Option<String>, Option<String>)> {
    expected
        .iter()
        .filter_map(|(column, want)| {
            let got = written.get(column).cloned().flatten();
            (!same(want.as_deref(), got.as_deref(), floating.contains(column)))
                .then(|| (column.clone(), want.clone(), got))
        })
        .collect()
}

fn same(want: Option<&str>, got: Option<&str>, floating: bool) -> bool {
    match (want, got) {
        (None, None) => true,
        (Some(want), Some(got)) if want == got => true,
        (Some(want), Some(got)) if floating => match (want.parse::<f64>(), got.parse::<f64>()) {
            (Ok(a), Ok(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Option<&str>)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn rows_match_in_any_order_on_the_columns_each_gives() {
        let table = TableName::new("dwd.t");
        let expected = [
            row(&[("id", Some("2"))]),
            row(&[("id", Some("1")), ("amount", Some("0.3"))]),
        ];
        let written = [
            row(&[
                ("id", Some("1")),
                ("amount", Some("0.30000000000000004")),
                ("dt", Some("2024-03-05")),
            ]),
            row(&[("id", Some("2")), ("amount", None), ("dt", Some("2024-03-05"))]),
        ];
        let floating = BTreeSet::from(["amount".to_owned()]);
        assert!(compare(&table, &expected, &written, &floating, false).is_empty());
        // Without the tolerance, the double differs: one changed row, located.
        let diff = compare(&table, &expected, &written, &BTreeSet::new(), false);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].expected, 1);
        assert_eq!(
            diff.changed[0].differences,
            vec![(
                "amount".to_owned(),
                Some("0.3".to_owned()),
                Some("0.30000000000000004".to_owned())
            )]
        );
    }

    #[test]
    fn missing_and_unexpected_rows_are_told_apart_from_changed_ones() {
        let table = TableName::new("dwd.t");
        let expected = [
            row(&[("id", Some("1")), ("v", Some("a"))]),
            row(&[("id", Some("9")), ("v", Some("z"))]),
        ];
        let written = [
            row(&[("id", Some("1")), ("v", Some("a"))]),
            row(&[("id", Some("3")), ("v", Some("c"))]),
            row(&[("id", Some("3")), ("v", Some("c"))]),
        ];
        let diff = compare(&table, &expected, &written, &BTreeSet::new(), false);
        assert!(diff.changed.is_empty());
        assert_eq!(diff.missing, vec![(1, expected[1].clone())]);
        assert_eq!(diff.unexpected.len(), 2, "a duplicate written row is unexpected twice");
    }

    #[test]
    fn ordered_rows_compare_position_by_position() {
        let table = TableName::new("dwd.t");
        let expected = [row(&[("id", Some("1"))]), row(&[("id", Some("2"))])];
        let written = [row(&[("id", Some("2"))]), row(&[("id", Some("1"))])];
        assert!(compare(&table, &expected, &written, &BTreeSet::new(), false).is_empty());
        let diff = compare(&table, &expected, &written, &BTreeSet::new(), true);
        assert_eq!(diff.changed.len(), 2);
    }
}
