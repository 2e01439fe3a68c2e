//! Table names as written: AST names turned into [`TableName`]s with their spans in the
//! original file (placeholders resolved where known), the located mentions environment
//! rewrites edit, and the names that are not tables (``format.`path` ``).

use std::collections::BTreeMap;

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, Spanned, Use};

use super::commands::Resource;
use super::location::LineIndex;
use super::placeholder::{Placeholder, PlaceholderKind};
use super::{DatabaseMention, ResourceRef, TableMention};
use crate::diagnostic::Span;
use crate::model::TableName;

pub(super) fn resource(namer: &Namer<'_>, resource: &Resource) -> Option<ResourceRef> {
    let span = namer.index.span(resource.span)?;
    Some(ResourceRef {
        kind: resource.kind,
        uri: namer.literal(resource.span)?,
        span,
    })
}

/// Data source formats Spark reads a path with, as in ``parquet.`/data/x` ``.
const PATH_FORMATS: &[&str] = &[
    "avro",
    "binaryfile",
    "csv",
    "delta",
    "hudi",
    "iceberg",
    "image",
    "json",
    "libsvm",
    "orc",
    "parquet",
    "text",
];

/// ``format.`path` ``: a path queried as a table (Spark's SQL on files), not a table;
/// the format, lower case, and the path's identifier.
pub(super) fn path_source(name: &ObjectName) -> Option<(String, &Ident)> {
    let [ObjectNamePart::Identifier(format), ObjectNamePart::Identifier(path)] = name.0.as_slice() else {
        return None;
    };
    let format_name = format.value.to_ascii_lowercase();
    (format.quote_style.is_none() && path.quote_style == Some('`') && PATH_FORMATS.contains(&format_name.as_str()))
        .then_some((format_name, path))
}

/// The `USE db` statement's database name, located.
pub(super) fn use_mention(target: &Use, namer: &Namer<'_>, database: &str) -> Option<DatabaseMention> {
    let (Use::Object(name) | Use::Database(name) | Use::Schema(name)) = target else {
        return None;
    };
    let ObjectNamePart::Identifier(ident) = name.0.last()? else {
        return None;
    };
    let span = namer.index.span(ident.span)?;
    Some(DatabaseMention {
        database: database.to_owned(),
        span,
        quote: ident.quote_style,
        templated: namer.is_templated(span),
    })
}

/// Where the database part of a table name is, or where one would go.
pub(super) fn mention(namer: &Namer<'_>, name: &ObjectName, table: &TableName, span: Span) -> TableMention {
    // `db.t`, or `catalog.db.t`: the database is the part before the table.
    let database = name.0.len().checked_sub(2).and_then(|at| match &name.0[at] {
        ObjectNamePart::Identifier(ident) => Some(ident),
        ObjectNamePart::Function(_) => None,
    });
    let database = database.and_then(|ident| {
        let span = namer.index.span(ident.span)?;
        Some(DatabaseMention {
            database: ident.value.to_lowercase(),
            span,
            quote: ident.quote_style,
            templated: namer.is_templated(span),
        })
    });
    TableMention {
        table: table.clone(),
        span,
        qualified: name.0.len() > 1,
        database,
        templated: namer.is_templated(span),
    }
}

pub(super) fn used_database(target: &Use, namer: &Namer<'_>) -> Option<String> {
    match target {
        Use::Object(name) | Use::Database(name) | Use::Schema(name) | Use::Catalog(name) => {
            Some(namer.name(name).0.as_str().to_owned())
        }
        // Spark has no `USE DEFAULT` keyword: it is the database named `default`.
        Use::Default => Some("default".to_owned()),
        _ => None,
    }
}

/// Turns AST names into table names as written, with known placeholders resolved.
pub(super) struct Namer<'a> {
    pub(super) index: &'a LineIndex<'a>,
    pub(super) original: &'a str,
    pub(super) placeholders: &'a [Placeholder],
    pub(super) params: Option<&'a BTreeMap<String, String>>,
}

impl Namer<'_> {
    /// The text at a parser span in the original file, without the quotes around it.
    pub(super) fn literal(&self, span: sqlparser::tokenizer::Span) -> Option<String> {
        let span = self.index.span(span)?;
        let text = self.original.get(span.range())?;
        let unquoted = ['\'', '"']
            .iter()
            .find_map(|&quote| text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)));
        Some(unquoted.unwrap_or(text).to_owned())
    }

    /// Whether a template placeholder overlaps `span`.
    pub(super) fn is_templated(&self, span: Span) -> bool {
        let first = self.placeholders.partition_point(|p| p.span.end <= span.start);
        self.placeholders[first..]
            .iter()
            .take_while(|p| p.span.start < span.end)
            .any(|p| matches!(p.kind, PlaceholderKind::Parameter | PlaceholderKind::Expression))
    }

    /// The unqualified-as-written name and its span in the original file.
    pub(super) fn name(&self, name: &ObjectName) -> (TableName, Option<Span>) {
        let span = self.index.span(name.span());
        let templated = span.and_then(|span| self.templated_name(span));
        let table = templated.unwrap_or_else(|| {
            TableName::from_parts(name.0.iter().map(|part| match part {
                ObjectNamePart::Identifier(ident) => ident.value.as_str(),
                ObjectNamePart::Function(function) => function.name.value.as_str(),
            }))
        });
        (table, span)
    }

    /// The name as written, placeholders replaced by known values, when the name
    /// contains any placeholder.
    fn templated_name(&self, span: Span) -> Option<TableName> {
        let first = self.placeholders.partition_point(|p| p.span.end <= span.start);
        let inside: Vec<&Placeholder> = self.placeholders[first..]
            .iter()
            .take_while(|p| p.span.start < span.end)
            .filter(|p| matches!(p.kind, PlaceholderKind::Parameter | PlaceholderKind::Expression))
            .collect();
        if inside.is_empty() {
            return None;
        }
        let mut text = String::new();
        let mut at = span.start as usize;
        for placeholder in inside {
            let range = placeholder.span.range();
            text.push_str(self.original.get(at..range.start)?);
            let value = self.params.and_then(|params| params.get(&placeholder.name));
            text.push_str(value.map_or_else(|| self.original.get(range.clone()).unwrap_or(""), String::as_str));
            at = range.end;
        }
        text.push_str(self.original.get(at..span.end as usize)?);
        Some(TableName::new(&text))
    }
}
