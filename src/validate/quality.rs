//! Schema-valid `quality:` YAML → the quality model: the rules of a task and the
//! project's settings.
//!
//! Like the rest of [`super::build`], the schema has accepted every shape, so a value
//! that does not fit is a bug in flowc ([`Error::Internal`]).

use serde_json::{Map, Value};

use super::raw::project::RawQualitySettings;
use super::spans::Spans;
use crate::Error;
use crate::diagnostic::Span;
use crate::model::{
    CountBaseline, DEFAULT_PARTITION, DEFAULT_RESULTS_TABLE, Duration, Literal, OtherTable, PartitionChoice,
    PartitionSpec, QualityCheck, QualityRule, QualitySettings, Severity, Spanned, TableName,
};

fn internal(what: &str, at: &str) -> Error {
    Error::Internal(format!("schema-valid quality rule at {at} has no valid `{what}`"))
}

/// The `quality:` section of `flowc.yaml`, defaults filled in.
pub(super) fn settings(
    raw: &RawQualitySettings,
    spans: &Spans<'_>,
    default_database: Option<&str>,
) -> Result<QualitySettings, Error> {
    let results_table_written = raw.results_table.is_some();
    let results_table = raw.results_table.as_deref().unwrap_or(DEFAULT_RESULTS_TABLE);
    let partition = raw.partition.as_deref().unwrap_or(DEFAULT_PARTITION);
    // A default points at the `quality:` key, or at the file's start without one.
    let at_or_section = |pointer: &str| {
        if spans.root.pointer(pointer).is_some() {
            spans.at(pointer)
        } else if spans.root.entry("quality").is_some() {
            spans.key_span("/quality")
        } else {
            Span::file_start(spans.root.span.file)
        }
    };
    Ok(QualitySettings {
        results_table: Spanned {
            value: TableName::new(results_table).qualified_with(default_database),
            span: at_or_section("/quality/results_table"),
        },
        results_table_written,
        partition: Spanned {
            value: PartitionSpec::parse(partition).ok_or_else(|| internal("partition", "flowc.yaml"))?,
            span: at_or_section("/quality/partition"),
        },
        retries: raw.retries.unwrap_or(0),
    })
}

/// The rules written at `at` (a JSON pointer into the flow file), their tables
/// qualified with `default_database`: one, or two for a `primary_key` shortcut
/// (`<name>_not_null` and `<name>_unique`, both located at the rule's name).
pub(super) fn rules(
    value: &Value,
    at: &str,
    spans: &Spans<'_>,
    default_database: Option<&str>,
) -> Result<Vec<QualityRule>, Error> {
    let object = value.as_object().ok_or_else(|| internal("rule", at))?;
    if object.contains_key("primary_key") {
        let key_at = format!("{at}/primary_key");
        let body = Map::from_iter([("primary_key".to_owned(), object["primary_key"].clone())]);
        let reader = Reader {
            spans,
            at: at.trim_end_matches('/'),
            body: &body,
            default_database,
        };
        let QualityCheck::NotNull(columns) = reader.check()? else {
            return Err(internal("primary_key", at));
        };
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| internal("name", at))?;
        return Ok(vec![
            rule(
                object,
                at,
                spans,
                default_database,
                (
                    format!("{name}_not_null"),
                    spans.spanned(QualityCheck::NotNull(columns.clone()), &key_at),
                ),
            )?,
            rule(
                object,
                at,
                spans,
                default_database,
                (
                    format!("{name}_unique"),
                    spans.spanned(QualityCheck::Unique(columns), &key_at),
                ),
            )?,
        ]);
    }
    let (dimension, body) = ["timeliness", "completeness", "accuracy", "consistency", "validity"]
        .iter()
        .find_map(|d| object.get(*d).and_then(Value::as_object).map(|body| (*d, body)))
        .ok_or_else(|| internal("dimension", at))?;
    let check_at = format!("{at}/{dimension}");
    let reader = Reader {
        spans,
        at: &check_at,
        body,
        default_database,
    };
    let check = spans.spanned(reader.check()?, &check_at);
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| internal("name", at))?;
    Ok(vec![rule(
        object,
        at,
        spans,
        default_database,
        (name.to_owned(), check),
    )?])
}

/// One rule with its name and check, the rest as written at `at`.
fn rule(
    object: &Map<String, Value>,
    at: &str,
    spans: &Spans<'_>,
    default_database: Option<&str>,
    (name, check): (String, Spanned<QualityCheck>),
) -> Result<QualityRule, Error> {
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let table = |name: &str| TableName::new(name).qualified_with(default_database);
    Ok(QualityRule {
        name: spans.spanned(name, &format!("{at}/name")),
        table: text("table").map(|t| spans.spanned(table(&t), &format!("{at}/table"))),
        severity: match text("severity").as_deref() {
            Some("strong") => Severity::Strong,
            Some("weak") => Severity::Weak,
            _ => return Err(internal("severity", at)),
        },
        threshold: object.get("threshold").map(literal),
        description: text("description"),
        partition: partition(object.get("partition"), spans, &format!("{at}/partition"))?,
        filter: text("where").map(|w| spans.spanned(w, &format!("{at}/where"))),
        check,
        retries: object
            .get("retries")
            .and_then(Value::as_u64)
            .and_then(|r| u32::try_from(r).ok()),
    })
}

fn literal(value: &Value) -> Literal {
    match value {
        Value::String(s) => Literal::Text(s.clone()),
        other => Literal::Number(other.to_string()),
    }
}

fn partition(value: Option<&Value>, spans: &Spans<'_>, at: &str) -> Result<Option<Spanned<PartitionChoice>>, Error> {
    value
        .map(|v| {
            v.as_str()
                .and_then(PartitionChoice::parse)
                .map(|choice| spans.spanned(choice, at))
                .ok_or_else(|| internal("partition", at))
        })
        .transpose()
}

/// The span of `len` bytes at `offset` of `text`, the value written at `whole`: exact
/// when the value is written plain or in quotes (table and column names hold no
/// escapes), else the whole value.
fn part_span(whole: Span, text: &str, offset: usize, len: usize) -> Span {
    let written = (whole.end - whole.start) as usize;
    let quote = match written.checked_sub(text.len()) {
        Some(0) => 0,
        Some(2) => 1,
        _ => return whole,
    };
    let (Ok(start), Ok(len)) = (u32::try_from(quote + offset), u32::try_from(len)) else {
        return whole;
    };
    Span::new(whole.file, whole.start + start, whole.start + start + len)
}

/// Reads the one check of a dimension's mapping.
struct Reader<'a> {
    spans: &'a Spans<'a>,
    /// Pointer of the dimension's mapping.
    at: &'a str,
    body: &'a Map<String, Value>,
    default_database: Option<&'a str>,
}

impl Reader<'_> {
    fn check(&self) -> Result<QualityCheck, Error> {
        let (kind, value) = self.body.iter().next().ok_or_else(|| internal("check", self.at))?;
        let at = format!("{}/{kind}", self.at);
        let field = |key: &str| value.get(key);
        let string = |key: &str| field(key).and_then(Value::as_str).ok_or_else(|| internal(key, &at));
        let column = |key: &str| -> Result<Spanned<String>, Error> {
            Ok(self.spans.spanned(string(key)?.to_lowercase(), &format!("{at}/{key}")))
        };
        let columns = || -> Result<Vec<Spanned<String>>, Error> {
            let items = value.as_array().ok_or_else(|| internal(kind, &at))?;
            items
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let name = c.as_str().ok_or_else(|| internal(kind, &at))?;
                    Ok(self.spans.spanned(name.to_lowercase(), &format!("{at}/{i}")))
                })
                .collect()
        };
        Ok(match kind.as_str() {
            "land_by" => QualityCheck::LandBy {
                time: value.as_str().ok_or_else(|| internal(kind, &at))?.to_owned(),
            },
            "max_lag" => QualityCheck::MaxLag {
                column: column("column")?,
                lag: Duration::parse(string("lag")?).ok_or_else(|| internal("lag", &at))?,
            },
            "min_rows" => QualityCheck::MinRows(value.as_u64().ok_or_else(|| internal(kind, &at))?),
            "not_null" | "primary_key" => QualityCheck::NotNull(columns()?),
            "row_count_change" => QualityCheck::RowCountChange {
                max_pct: field("max_pct").map(literal).ok_or_else(|| internal("max_pct", &at))?,
                compare: match field("compare").and_then(Value::as_str) {
                    None | Some("previous_partition") => CountBaseline::PreviousPartition,
                    Some("sync_source") => CountBaseline::SyncSource,
                    Some(_) => return Err(internal("compare", &at)),
                },
            },
            "expression" => QualityCheck::Expression(
                self.spans
                    .spanned(value.as_str().ok_or_else(|| internal(kind, &at))?.to_owned(), &at),
            ),
            "range" => QualityCheck::Range {
                column: column("column")?,
                min: field("min").map(literal),
                max: field("max").map(literal),
            },
            "reconcile" => QualityCheck::Reconcile {
                column: column("sum")?,
                with: self.other(value, &at, true)?,
            },
            "equal_count" => QualityCheck::EqualCount {
                with: self.other(value, &at, false)?,
            },
            "equal_sum" => QualityCheck::EqualSum {
                column: column("column")?,
                with: self.other(value, &at, true)?,
            },
            "references" => {
                let key = column("key")?;
                let table_name = string("table")?;
                QualityCheck::References {
                    column: column("column")?,
                    with: OtherTable {
                        table: self.spans.spanned(
                            TableName::new(table_name).qualified_with(self.default_database),
                            &format!("{at}/table"),
                        ),
                        column: Some(key),
                        partition: partition(field("with_partition"), self.spans, &format!("{at}/with_partition"))?,
                        filter: self.filter(value, &at),
                    },
                }
            }
            "accepted_values" => QualityCheck::AcceptedValues {
                column: column("column")?,
                values: field("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| internal("values", &at))?
                    .iter()
                    .map(literal)
                    .collect(),
            },
            "regex" => QualityCheck::Regex {
                column: column("column")?,
                pattern: string("pattern")?.to_owned(),
            },
            "unique" => QualityCheck::Unique(columns()?),
            _ => return Err(internal(kind, &at)),
        })
    }

    fn filter(&self, value: &Value, at: &str) -> Option<Spanned<String>> {
        value
            .get("with_where")
            .and_then(Value::as_str)
            .map(|w| self.spans.spanned(w.to_owned(), &format!("{at}/with_where")))
    }

    /// `with:` (`table`, or `table.column` when `with_column`), `with_partition` and
    /// `with_where` of a comparison.
    fn other(&self, value: &Value, at: &str, with_column: bool) -> Result<OtherTable, Error> {
        let with = value
            .get("with")
            .and_then(Value::as_str)
            .ok_or_else(|| internal("with", at))?;
        let with_at = format!("{at}/with");
        let whole = self.spans.at(&with_at);
        let (table, column) = if with_column {
            let (table, column) = with.rsplit_once('.').ok_or_else(|| internal("with", at))?;
            let column_span = part_span(whole, with, table.len() + 1, column.len());
            (
                table,
                Some(Spanned {
                    value: column.to_lowercase(),
                    span: column_span,
                }),
            )
        } else {
            (with, None)
        };
        Ok(OtherTable {
            table: Spanned {
                value: TableName::new(table).qualified_with(self.default_database),
                span: part_span(whole, with, 0, table.len()),
            },
            column,
            partition: partition(value.get("with_partition"), self.spans, &format!("{at}/with_partition"))?,
            filter: self.filter(value, at),
        })
    }
}
