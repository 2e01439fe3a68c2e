//! A schema-valid test file (`flows/<flow>/tests/*.yaml`) → its [`UnitTest`]s, every
//! value with its span.

use chrono::NaiveDate;

use crate::Error;
use crate::load::{Document, YamlEntry, YamlNode, YamlValue};
use crate::model::{
    Cell, CheckOutcome, FlowId, ParamValue, Spanned, TableName, TestRow, TestRows, TestTable, TestValue, UnitTest,
};

/// The tests of one file of flow `flow`; `text` is the file's text (a number keeps
/// the digits written: `001` for a string column stays `001`).
pub(in crate::validate) fn unit_tests(document: &Document, flow: &str, text: &str) -> Result<Vec<UnitTest>, Error> {
    let Some(YamlValue::Seq(items)) = document.root.entry("tests").map(|e| &e.value.value) else {
        return Err(shape("tests"));
    };
    items.iter().map(|item| unit_test(item, document, flow, text)).collect()
}

fn unit_test(node: &YamlNode, document: &Document, flow: &str, text: &str) -> Result<UnitTest, Error> {
    let name = string_entry(node, "name")?.ok_or_else(|| shape("name"))?;
    let task = string_entry(node, "task")?.ok_or_else(|| shape("task"))?;
    let date_text = string_entry(node, "date")?.ok_or_else(|| shape("date"))?;
    let date = NaiveDate::parse_from_str(&date_text.value, "%Y-%m-%d").map_err(|_| shape("date"))?;
    let description = string_entry(node, "description")?.map(|d| d.value);
    let params = entries(node, "params")
        .iter()
        .map(|entry| {
            let value = ParamValue::from_json(&entry.value.to_json());
            (spanned_key(entry), value)
        })
        .collect();
    let given = entries(node, "given")
        .iter()
        .map(|entry| table(entry, text))
        .collect::<Result<_, _>>()?;
    let expect = entries(node, "expect")
        .iter()
        .map(|entry| table(entry, text))
        .collect::<Result<_, _>>()?;
    let checks = entries(node, "checks")
        .iter()
        .map(|entry| match &entry.value.value {
            YamlValue::String(word) => CheckOutcome::parse(word)
                .map(|outcome| (spanned_key(entry), outcome))
                .ok_or_else(|| shape("checks")),
            _ => Err(shape("checks")),
        })
        .collect::<Result<_, _>>()?;
    let run_task = !matches!(
        node.entry("run_task").map(|e| &e.value.value),
        Some(YamlValue::Bool(false))
    );
    Ok(UnitTest {
        flow: FlowId::new(flow),
        file: document.file,
        name,
        description,
        task,
        date: Spanned {
            value: date,
            span: date_text.span,
        },
        params,
        given,
        expect,
        checks,
        run_task,
    })
}

/// `db.table: rows` of `given:` or `expect:`.
fn table(entry: &YamlEntry, text: &str) -> Result<TestTable, Error> {
    let table = Spanned {
        value: TableName::new(&entry.key),
        span: entry.key_span,
    };
    let node = &entry.value;
    let (rows, order_by) = match &node.value {
        YamlValue::Seq(items) => (TestRows::Inline(rows(items, text)?), Vec::new()),
        YamlValue::Map(_) => {
            let rows = match (node.entry("rows"), string_entry(node, "csv")?) {
                (
                    Some(YamlEntry {
                        value:
                            YamlNode {
                                value: YamlValue::Seq(items),
                                ..
                            },
                        ..
                    }),
                    _,
                ) => TestRows::Inline(rows(items, text)?),
                (_, Some(path)) => TestRows::Csv(path),
                _ => return Err(shape("rows")),
            };
            let order_by = match node.entry("order_by").map(|e| &e.value.value) {
                Some(YamlValue::Seq(items)) => items
                    .iter()
                    .map(|item| match &item.value {
                        YamlValue::String(column) => Ok(Spanned {
                            value: column.to_lowercase(),
                            span: item.span,
                        }),
                        _ => Err(shape("order_by")),
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            (rows, order_by)
        }
        _ => return Err(shape("rows")),
    };
    Ok(TestTable { table, rows, order_by })
}

fn rows(items: &[YamlNode], text: &str) -> Result<Vec<TestRow>, Error> {
    items
        .iter()
        .map(|item| {
            let YamlValue::Map(entries) = &item.value else {
                return Err(shape("row"));
            };
            Ok(TestRow {
                span: item.span,
                values: entries
                    .iter()
                    .map(|entry| TestValue {
                        column: Spanned {
                            value: entry.key.to_lowercase(),
                            span: entry.key_span,
                        },
                        value: cell(&entry.value, text),
                        span: entry.value.span,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// A YAML value as a cell; a number keeps the text written.
fn cell(node: &YamlNode, text: &str) -> Cell {
    match &node.value {
        YamlValue::Null => Cell::Null,
        YamlValue::Bool(flag) => Cell::Bool(*flag),
        YamlValue::Int(_) | YamlValue::Float(_) => {
            let written = text.get(node.span.range()).map(str::trim).unwrap_or_default();
            Cell::Number(if written.is_empty() {
                node.to_json().to_string()
            } else {
                written.to_owned()
            })
        }
        YamlValue::String(value) => Cell::Text(value.clone()),
        YamlValue::Seq(items) => Cell::List(items.iter().map(|item| (cell(item, text), item.span)).collect()),
        YamlValue::Map(entries) => Cell::Map(
            entries
                .iter()
                .map(|entry| (entry.key.clone(), cell(&entry.value, text), entry.value.span))
                .collect(),
        ),
    }
}

fn entries<'a>(node: &'a YamlNode, key: &str) -> &'a [YamlEntry] {
    match node.entry(key).map(|e| &e.value.value) {
        Some(YamlValue::Map(entries)) => entries,
        _ => &[],
    }
}

fn spanned_key(entry: &YamlEntry) -> Spanned<String> {
    Spanned {
        value: entry.key.clone(),
        span: entry.key_span,
    }
}

fn string_entry(node: &YamlNode, key: &str) -> Result<Option<Spanned<String>>, Error> {
    match node.entry(key) {
        None => Ok(None),
        Some(YamlEntry {
            value: YamlNode {
                value: YamlValue::String(value),
                span,
            },
            ..
        }) => Ok(Some(Spanned {
            value: value.clone(),
            span: *span,
        })),
        Some(_) => Err(shape(key)),
    }
}

fn shape(key: &str) -> Error {
    Error::Internal(format!("a schema-valid test file has an unexpected `{key}`"))
}
