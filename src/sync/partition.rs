//! The Hive partition a hive target lands in: its `(column, value)` pairs, each value
//! one partition directory name, and the directory the metastore is told about.
//!
//! hdfswriter writes files into one directory and never tells the metastore, so the
//! DAG registers the partition first (see `crate::dags`). That only works when the
//! spec names exactly one partition whose directory is the one hdfswriter writes:
//! a value that is a pattern, quoted, empty, or holds a character Hive escapes in
//! directory names is refused here (S222).

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::TableDeclaration;

use super::RUNTIME_VARIABLES;
use super::resolver::Resolver;

/// Characters that make a value a pattern over several partitions.
const PATTERN: &[char] = &['*', '?', '[', ']'];

/// Characters Hive escapes (`%XX`) when it names a partition directory after a value,
/// besides control characters and the pattern and quote characters.
const ESCAPED: &[char] = &['\\', '#', '%', ':', '^', '{', '}', '/', '='];

impl Resolver<'_> {
    /// The target's partition spec as `(column, value)` pairs, params substituted and
    /// the run-time business-date variables kept; each value that cannot name one
    /// partition directory is reported.
    pub(super) fn partition_spec(&mut self, table: &TableDeclaration) -> Vec<(String, String)> {
        let Some(spec) = self.sync.target.partition.as_ref() else {
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for part in spec.value.split('/') {
            let (column, value) = part.split_once('=').unwrap_or((part, ""));
            let before = self.found.len();
            let value = self.substitute(value, spec.span);
            // A placeholder substitution refused is reported already.
            if self.found.len() == before
                && let Some(problem) = value_problem(&value)
            {
                self.push(problem.diagnostic(column.trim(), &value, &table.name.value.to_string(), spec.span));
            }
            pairs.push((column.trim().to_owned(), value));
        }
        pairs
    }
}

/// The partition's directory as hdfswriter reaches it: `<defaultFS><table dir><partition
/// dirs>`, or the bare path when the connection names no NameNode (reported elsewhere).
pub(super) fn partition_location(default_fs: Option<&str>, table_dir: &str, partition_dirs: &str) -> String {
    let fs = default_fs.map_or("", |fs| fs.trim_end_matches('/'));
    format!("{fs}{table_dir}{partition_dirs}")
}

/// Why a partition value cannot name one partition directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueProblem {
    Empty,
    Pattern(char),
    Quoted(char),
    Escaped(char),
}

/// What is wrong with `value` (`${bizdate}` and `${bizdate_nodash}` stand for dates,
/// which are fine), if anything.
fn value_problem(value: &str) -> Option<ValueProblem> {
    let mut plain = value.to_owned();
    for variable in RUNTIME_VARIABLES {
        plain = plain.replace(&format!("${{{variable}}}"), "");
    }
    if value.trim().is_empty() {
        return Some(ValueProblem::Empty);
    }
    plain.chars().find_map(|c| {
        if PATTERN.contains(&c) {
            Some(ValueProblem::Pattern(c))
        } else if matches!(c, '\'' | '"') {
            Some(ValueProblem::Quoted(c))
        } else if c.is_control() || ESCAPED.contains(&c) {
            Some(ValueProblem::Escaped(c))
        } else {
            None
        }
    })
}

impl ValueProblem {
    fn diagnostic(self, column: &str, value: &str, table: &str, span: Span) -> Diagnostic {
        let shown = visible(value);
        let (message, label, help) = match self {
            ValueProblem::Empty => (
                format!("the partition value of `{column}` is empty"),
                "no value".to_owned(),
                format!("give `{column}` the one partition this sync writes, e.g. `{column}=${{bizdate}}`"),
            ),
            ValueProblem::Pattern(c) => (
                format!("partition value `{shown}` of `{column}` is a pattern, not one partition"),
                format!("`{c}` matches several partitions"),
                format!(
                    "a sync writes one partition directory per run, which flowc registers in `{table}` first: give `{column}` one value (text, a param or `${{bizdate}}`); load several partitions with one sync each, or with a sparksql task (dynamic partitions)"
                ),
            ),
            ValueProblem::Quoted(c) => (
                format!("partition value `{shown}` of `{column}` is quoted"),
                format!("`{c}` would be part of the directory name"),
                format!("write the directory form without quotes, e.g. `{column}=${{bizdate}}`"),
            ),
            ValueProblem::Escaped(c) => (
                format!(
                    "partition value `{shown}` of `{column}` holds `{}`, which Hive escapes in partition directory names",
                    visible(&c.to_string())
                ),
                "not a plain directory name".to_owned(),
                "the directory DataX writes must be the partition's: use letters, digits, `-`, `_`, `.` and `${bizdate}` or `${bizdate_nodash}`".to_owned(),
            ),
        };
        Diagnostic::error(Code::InvalidPartitionValue, message)
            .at(span)
            .with_label(label)
            .with_help(help)
    }
}

/// `text` with control characters escaped, everything else as written.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_dates_and_plain_names_are_one_partition() {
        for value in [
            "${bizdate}",
            "${bizdate_nodash}",
            "2024-01-01",
            "cn_north.1",
            "${bizdate}-00",
        ] {
            assert_eq!(value_problem(value), None, "{value}");
        }
    }

    #[test]
    fn patterns_quotes_and_escaped_characters_are_refused() {
        assert_eq!(value_problem(""), Some(ValueProblem::Empty));
        assert_eq!(value_problem("  "), Some(ValueProblem::Empty));
        assert_eq!(value_problem("*"), Some(ValueProblem::Pattern('*')));
        assert_eq!(value_problem("2024-0?-01"), Some(ValueProblem::Pattern('?')));
        assert_eq!(value_problem("'${bizdate}'"), Some(ValueProblem::Quoted('\'')));
        assert_eq!(value_problem("10:00"), Some(ValueProblem::Escaped(':')));
        assert_eq!(value_problem("a\tb"), Some(ValueProblem::Escaped('\t')));
        assert_eq!(value_problem("${other}"), Some(ValueProblem::Escaped('{')));
    }

    #[test]
    fn values_are_shown_as_written_but_control_characters() {
        assert_eq!(visible("'a'\tb"), "'a'\\tb");
    }

    #[test]
    fn locations_carry_the_namenode() {
        assert_eq!(
            partition_location(Some("hdfs://ns/"), "/w/ods.db/t", "/dt=${bizdate}"),
            "hdfs://ns/w/ods.db/t/dt=${bizdate}"
        );
        assert_eq!(partition_location(None, "/w/t", "/dt=1"), "/w/t/dt=1");
    }
}
