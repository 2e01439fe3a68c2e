//! `flowc sql lineage --columns`: the `--schema` file and the column sections of the
//! output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::Error;
use crate::diagnostic::{Code, Diagnostic, SourceMap};
use crate::load::yaml::{YamlNode, YamlValue};
use crate::load::{TextFile, register_text};
use crate::model::TableName;
use crate::sql::columns::{FileColumns, SchemaColumn, TableOutput};

/// Known columns by table.
pub(super) type SchemaFile = BTreeMap<TableName, Vec<SchemaColumn>>;

/// Reads `--schema`: JSON or YAML (JSON is YAML), `{"db.table": ["col", …]}` or
/// `{"db.table": [{"name": "col", "type": "bigint"}, …]}`. Shape errors are located.
pub(super) fn read_schemas(path: &Path, sources: &mut SourceMap) -> Result<Result<SchemaFile, Vec<Diagnostic>>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::io("read", path, source))?;
    let shown = path.to_string_lossy().replace('\\', "/");
    let file = match register_text(sources, &shown, bytes) {
        TextFile::Read(file) => file,
        TextFile::Unusable(diagnostic) => return Ok(Err(vec![*diagnostic])),
    };
    let (root, mut diagnostics) = crate::load::yaml::parse(sources.file(file), file);
    let mut schemas = SchemaFile::new();
    let invalid = |node: &YamlNode, message: &str| {
        Diagnostic::error(Code::InvalidValue, message.to_owned())
            .at(node.span)
            .with_help("write `db.table: [col, …]` or `db.table: [{name: col, type: bigint}, …]`")
    };
    match root.as_ref().map(|node| (node, &node.value)) {
        Some((_, YamlValue::Map(entries))) => {
            for entry in entries {
                let YamlValue::Seq(items) = &entry.value.value else {
                    diagnostics.push(invalid(&entry.value, "the columns of a table are a list"));
                    continue;
                };
                let mut columns = Vec::with_capacity(items.len());
                for item in items {
                    let column = match &item.value {
                        YamlValue::String(name) => Some((name.as_str(), None)),
                        YamlValue::Map(_) => item.entry("name").and_then(|name| name.value.as_str()).map(|name| {
                            let data_type = item.entry("type").and_then(|t| t.value.as_str());
                            (name, data_type.map(|t| t.to_lowercase().replace(' ', "")))
                        }),
                        _ => None,
                    };
                    match column {
                        Some((name, data_type)) => columns.push(SchemaColumn {
                            name: name.to_lowercase(),
                            data_type,
                        }),
                        None => diagnostics.push(invalid(item, "a column is a name or `{name, type}`")),
                    }
                }
                schemas.insert(TableName::new(&entry.key), columns);
            }
        }
        Some((node, _)) => diagnostics.push(invalid(node, "a schema file maps table names to their columns")),
        None => {}
    }
    if diagnostics.is_empty() {
        Ok(Ok(schemas))
    } else {
        Ok(Err(diagnostics))
    }
}

/// The written tables in the order of `targets`, then any other.
fn ordered<'c>(columns: &'c FileColumns, targets: &[&TableName]) -> Vec<&'c TableOutput> {
    let mut outputs: Vec<&TableOutput> = columns.outputs.iter().collect();
    outputs.sort_by_key(|output| {
        targets
            .iter()
            .position(|&target| *target == output.table)
            .unwrap_or(usize::MAX)
    });
    outputs
}

/// The indirect sources as (target, source, kind), sorted, each once.
fn indirect(columns: &FileColumns) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = columns
        .indirect
        .iter()
        .map(|i| {
            (
                i.target.to_string(),
                i.source.to_string(),
                i.kind.as_str().to_lowercase(),
            )
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

/// A JSON string literal.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `, "columns": [...], "indirect": [...]` for the JSON output, keys in the order
/// the format documents.
pub(super) fn json(columns: &FileColumns, targets: &[&TableName]) -> String {
    let entries: Vec<String> = ordered(columns, targets)
        .into_iter()
        .flat_map(|output| {
            output.columns.iter().map(|column| {
                let sources: Vec<String> = column.sources.iter().map(|s| quote(&s.to_string())).collect();
                format!(
                    "{{\"target\": {}, \"sources\": [{}], \"transformation\": {}}}",
                    quote(&format!("{}.{}", output.table, column.name)),
                    sources.join(", "),
                    quote(column.transformation.as_str())
                )
            })
        })
        .collect();
    let indirect: Vec<String> = indirect(columns)
        .into_iter()
        .map(|(target, source, kind)| {
            format!(
                "{{\"target\": {}, \"source\": {}, \"kind\": {}}}",
                quote(&target),
                quote(&source),
                quote(&kind)
            )
        })
        .collect();
    format!(
        ", \"columns\": [{}], \"indirect\": [{}]",
        entries.join(", "),
        indirect.join(", ")
    )
}

/// `columns:` (`target.col <- sources (kind)`), `indirect:` and `unresolved:` sections.
pub(super) fn text(columns: &FileColumns, targets: &[&TableName]) -> String {
    let mut out = String::from("columns:\n");
    for output in ordered(columns, targets) {
        for column in &output.columns {
            let sources: Vec<String> = column.sources.iter().map(ToString::to_string).collect();
            let sources = if sources.is_empty() {
                "(literal)".to_owned()
            } else {
                sources.join(", ")
            };
            let typed = column.data_type.as_ref().map(|t| format!(": {t}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}.{}{typed} <- {sources} ({})",
                output.table,
                column.name,
                column.transformation.as_str()
            );
        }
        if !output.complete {
            let _ = writeln!(
                out,
                "  {}: more columns from a `*` over a table of unknown columns",
                output.table
            );
        }
    }
    let indirect = indirect(columns);
    if !indirect.is_empty() {
        out.push_str("indirect:\n");
        for (target, source, kind) in indirect {
            let _ = writeln!(out, "  {target} <- {source} ({kind})");
        }
    }
    if !columns.unresolved.is_empty() {
        out.push_str("unresolved:\n");
        for read in &columns.unresolved {
            let table = read.table.as_ref().map(|t| format!("{t}.")).unwrap_or_default();
            let _ = writeln!(out, "  {table}{} (no known schema)", read.column);
        }
    }
    out
}
