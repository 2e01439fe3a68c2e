//! [`Spans`]: where a value of a schema-valid document is written, by JSON pointer.
//!
//! Shared by the model builders ([`super::build`]) and the quality rules
//! ([`super::quality`]).

use crate::diagnostic::Span;
use crate::load::YamlNode;
use crate::model::{Spanned, TableName};

/// Looks up spans in one document.
pub(super) struct Spans<'a> {
    pub(super) root: &'a YamlNode,
}

impl Spans<'_> {
    pub(super) fn at(&self, pointer: &str) -> Span {
        self.root.pointer(pointer).map_or(self.root.span, |node| node.span)
    }

    /// The span of the key of the value at `pointer` (the value's own span when the
    /// pointer names no mapping entry).
    pub(super) fn key_span(&self, pointer: &str) -> Span {
        let Some((parent, key)) = pointer.rsplit_once('/') else {
            return self.at(pointer);
        };
        let parent = if parent.is_empty() {
            Some(self.root)
        } else {
            self.root.pointer(parent)
        };
        parent
            .and_then(|node| node.entry(key))
            .map_or_else(|| self.at(pointer), |entry| entry.key_span)
    }

    pub(super) fn spanned<T>(&self, value: T, pointer: &str) -> Spanned<T> {
        Spanned {
            value,
            span: self.at(pointer),
        }
    }

    /// Table names listed at `pointer`, qualified with `database`.
    pub(super) fn tables(
        &self,
        names: Vec<String>,
        pointer: &str,
        database: Option<&String>,
    ) -> Vec<Spanned<TableName>> {
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let table = TableName::new(&name).qualified_with(database.map(String::as_str));
                self.spanned(table, &format!("{pointer}/{i}"))
            })
            .collect()
    }
}
