//! Data quality rules: the `quality:` list of a task, and the `quality:` settings of
//! `flowc.yaml`.
//!
//! A rule names one check of one of five dimensions; what the check means in SQL is
//! decided by [`crate::quality`].

use std::fmt;

use crate::model::{Duration, Spanned, TableName};

/// The project-wide quality settings, defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualitySettings {
    /// The table every check appends its result row to; the span is the
    /// `results_table:` value, or the `quality:` key (or the file start) when defaulted.
    pub results_table: Spanned<TableName>,
    /// Whether `results_table` is written in `flowc.yaml`.
    pub results_table_written: bool,
    /// The partition a rule checks unless the rule or its table says otherwise.
    pub partition: Spanned<PartitionSpec>,
    /// Retries of every check task unless its rule sets its own (`quality.retries`).
    pub retries: u32,
}

/// The default results table.
pub const DEFAULT_RESULTS_TABLE: &str = "dq.results";

/// The default partition a rule checks.
pub const DEFAULT_PARTITION: &str = "dt=${bizdate}";

/// `col=value` pairs of a partition, outermost first; values may hold `${name}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionSpec(pub Vec<(String, String)>);

impl PartitionSpec {
    /// Parses `col=value[/col=value]` (the schema's form); `None` when it does not fit.
    pub fn parse(text: &str) -> Option<Self> {
        text.split('/')
            .map(|pair| {
                let (column, value) = pair.split_once('=')?;
                let column = column.trim();
                (!column.is_empty()).then(|| (column.to_lowercase(), value.trim().to_owned()))
            })
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// The partition's column names, in order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(column, _)| column.as_str())
    }
}

impl fmt::Display for PartitionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|(c, v)| format!("{c}={v}")).collect();
        f.write_str(&pairs.join("/"))
    }
}

/// Which rows of a table a check looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionChoice {
    /// One partition.
    Spec(PartitionSpec),
    /// The whole table (`partition: none`).
    Whole,
}

impl PartitionChoice {
    /// Parses the schema's `quality_partition` form.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "none" {
            Some(Self::Whole)
        } else {
            PartitionSpec::parse(text).map(Self::Spec)
        }
    }
}

/// What happens when a check fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The check task fails, so nothing downstream of the table runs.
    Strong,
    /// The result is recorded and logged; downstream runs.
    Weak,
}

impl Severity {
    /// As written in YAML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Strong => "strong",
            Severity::Weak => "weak",
        }
    }
}

/// The five dimensions of data quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    /// When the data lands.
    Timeliness,
    /// Whether all the data is there.
    Completeness,
    /// Whether the values are right.
    Accuracy,
    /// Whether the data agrees with other tables.
    Consistency,
    /// Whether the values have the allowed form.
    Validity,
}

impl Dimension {
    /// As written in YAML.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dimension::Timeliness => "timeliness",
            Dimension::Completeness => "completeness",
            Dimension::Accuracy => "accuracy",
            Dimension::Consistency => "consistency",
            Dimension::Validity => "validity",
        }
    }
}

/// A constant in a rule: a number (kept as written) or a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A JSON number, as its decimal text.
    Number(String),
    /// A string.
    Text(String),
}

/// Another table a check compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherTable {
    /// The table, qualified with the flow's default database.
    pub table: Spanned<TableName>,
    /// The column compared (summed, or the referenced key).
    pub column: Option<Spanned<String>>,
    /// Which of its rows: `with_partition`, when written.
    pub partition: Option<Spanned<PartitionChoice>>,
    /// `with_where`, when written.
    pub filter: Option<Spanned<String>>,
}

/// What `row_count_change` compares a table's row count with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountBaseline {
    /// The count of the previous business day's partition.
    PreviousPartition,
    /// The records the sync task's DataX job read from the source in this run.
    SyncSource,
}

impl CountBaseline {
    /// As written in YAML.
    pub const fn as_str(self) -> &'static str {
        match self {
            CountBaseline::PreviousPartition => "previous_partition",
            CountBaseline::SyncSource => "sync_source",
        }
    }
}

/// The check of a rule; one variant per kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QualityCheck {
    /// `timeliness.land_by`: the check runs (the partition is written) by this local
    /// time of the day after the business date.
    LandBy {
        /// `HH:MM`.
        time: String,
    },
    /// `timeliness.max_lag`: the newest value of a timestamp column is at most `lag`
    /// before the end of the business date.
    MaxLag {
        /// The timestamp column.
        column: Spanned<String>,
        /// The lag allowed.
        lag: Duration,
    },
    /// `completeness.min_rows`.
    MinRows(u64),
    /// `completeness.not_null`.
    NotNull(Vec<Spanned<String>>),
    /// `completeness.row_count_change`: the row count against the previous day's
    /// partition, or against the records the sync task's DataX job read.
    RowCountChange {
        /// Percent of difference allowed either way.
        max_pct: Literal,
        /// What the count is compared with.
        compare: CountBaseline,
    },
    /// `accuracy.expression`: every row satisfies it.
    Expression(Spanned<String>),
    /// `accuracy.range`.
    Range {
        /// The column.
        column: Spanned<String>,
        /// Lowest value allowed.
        min: Option<Literal>,
        /// Highest value allowed.
        max: Option<Literal>,
    },
    /// `accuracy.reconcile`: `sum(column)` equals the other table's sum.
    Reconcile {
        /// The column summed.
        column: Spanned<String>,
        /// The other side.
        with: OtherTable,
    },
    /// `consistency.equal_count`.
    EqualCount {
        /// The other side.
        with: OtherTable,
    },
    /// `consistency.equal_sum`.
    EqualSum {
        /// The column summed.
        column: Spanned<String>,
        /// The other side.
        with: OtherTable,
    },
    /// `consistency.references`: every non-null value is a key of the other table.
    References {
        /// The referencing column.
        column: Spanned<String>,
        /// The referenced table; its `column` is the key.
        with: OtherTable,
    },
    /// `validity.accepted_values`.
    AcceptedValues {
        /// The column.
        column: Spanned<String>,
        /// The values allowed.
        values: Vec<Literal>,
    },
    /// `validity.regex` (Java syntax, Spark's `RLIKE`).
    Regex {
        /// The column.
        column: Spanned<String>,
        /// The pattern.
        pattern: String,
    },
    /// `validity.unique`: the columns together identify a row.
    Unique(Vec<Spanned<String>>),
}

impl QualityCheck {
    /// The dimension the check belongs to.
    pub const fn dimension(&self) -> Dimension {
        match self {
            QualityCheck::LandBy { .. } | QualityCheck::MaxLag { .. } => Dimension::Timeliness,
            QualityCheck::MinRows(_) | QualityCheck::NotNull(_) | QualityCheck::RowCountChange { .. } => {
                Dimension::Completeness
            }
            QualityCheck::Expression(_) | QualityCheck::Range { .. } | QualityCheck::Reconcile { .. } => {
                Dimension::Accuracy
            }
            QualityCheck::EqualCount { .. } | QualityCheck::EqualSum { .. } | QualityCheck::References { .. } => {
                Dimension::Consistency
            }
            QualityCheck::AcceptedValues { .. } | QualityCheck::Regex { .. } | QualityCheck::Unique(_) => {
                Dimension::Validity
            }
        }
    }

    /// The kind as written in YAML, e.g. `not_null`.
    pub const fn kind(&self) -> &'static str {
        match self {
            QualityCheck::LandBy { .. } => "land_by",
            QualityCheck::MaxLag { .. } => "max_lag",
            QualityCheck::MinRows(_) => "min_rows",
            QualityCheck::NotNull(_) => "not_null",
            QualityCheck::RowCountChange { .. } => "row_count_change",
            QualityCheck::Expression(_) => "expression",
            QualityCheck::Range { .. } => "range",
            QualityCheck::Reconcile { .. } => "reconcile",
            QualityCheck::EqualCount { .. } => "equal_count",
            QualityCheck::EqualSum { .. } => "equal_sum",
            QualityCheck::References { .. } => "references",
            QualityCheck::AcceptedValues { .. } => "accepted_values",
            QualityCheck::Regex { .. } => "regex",
            QualityCheck::Unique(_) => "unique",
        }
    }

    /// The other table it compares with, if any.
    pub const fn other_table(&self) -> Option<&OtherTable> {
        match self {
            QualityCheck::Reconcile { with, .. }
            | QualityCheck::EqualCount { with }
            | QualityCheck::EqualSum { with, .. }
            | QualityCheck::References { with, .. } => Some(with),
            _ => None,
        }
    }

    /// The columns of the checked table it names.
    pub fn columns(&self) -> Vec<&Spanned<String>> {
        match self {
            QualityCheck::MaxLag { column, .. }
            | QualityCheck::Range { column, .. }
            | QualityCheck::Reconcile { column, .. }
            | QualityCheck::EqualSum { column, .. }
            | QualityCheck::References { column, .. }
            | QualityCheck::AcceptedValues { column, .. }
            | QualityCheck::Regex { column, .. } => vec![column],
            QualityCheck::NotNull(columns) | QualityCheck::Unique(columns) => columns.iter().collect(),
            QualityCheck::LandBy { .. }
            | QualityCheck::MinRows(_)
            | QualityCheck::RowCountChange { .. }
            | QualityCheck::Expression(_)
            | QualityCheck::EqualCount { .. } => Vec::new(),
        }
    }
}

/// One rule of a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualityRule {
    /// Unique in the flow.
    pub name: Spanned<String>,
    /// The table checked, as written (qualified with the flow's default database).
    pub table: Option<Spanned<TableName>>,
    /// Strong or weak.
    pub severity: Severity,
    /// Allowed violations (rows, or the absolute difference of a comparison), when set.
    pub threshold: Option<Literal>,
    /// Free text.
    pub description: Option<String>,
    /// `partition:`, when written.
    pub partition: Option<Spanned<PartitionChoice>>,
    /// `where:`, when written.
    pub filter: Option<Spanned<String>>,
    /// What is checked; the span is the dimension's value.
    pub check: Spanned<QualityCheck>,
    /// Retries of its check task, when the rule sets them.
    pub retries: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_specs_parse_into_pairs() {
        let spec = PartitionSpec::parse("dt=${bizdate}/Hour=00").unwrap();
        assert_eq!(
            spec.0,
            vec![
                ("dt".to_owned(), "${bizdate}".to_owned()),
                ("hour".to_owned(), "00".to_owned())
            ]
        );
        assert_eq!(spec.to_string(), "dt=${bizdate}/hour=00");
        assert_eq!(PartitionChoice::parse("none"), Some(PartitionChoice::Whole));
        assert_eq!(PartitionSpec::parse("dt"), None);
    }
}
