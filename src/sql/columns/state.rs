//! The state of a file's resolution and the values it passes around: resolved
//! columns, query outputs, relations in scope.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use super::{ColumnName, FileColumns, IndirectKind, SchemaColumn, Schemas, TargetColumn, Transformation};
use crate::diagnostic::{FileId, Span};
use crate::model::TableName;

/// A span for columns that have none of their own (a schema's).
pub(super) const NOWHERE: Span = Span {
    file: FileId::from_index(0),
    start: 0,
    end: 0,
};

/// A column a query outputs, resolved to its base-table sources.
#[derive(Clone, Debug)]
pub(super) struct Column {
    pub(super) name: String,
    pub(super) sources: BTreeSet<ColumnName>,
    pub(super) transformation: Transformation,
    pub(super) data_type: Option<String>,
    pub(super) span: Span,
}

/// The columns a query outputs.
#[derive(Clone, Debug, Default)]
pub(super) struct Output {
    pub(super) columns: Vec<Column>,
    /// `false` when a `*` over a table of unknown columns feeds it.
    pub(super) complete: bool,
    /// Those tables of unknown columns: a name not listed may come from them.
    pub(super) unknown: Vec<TableName>,
}

/// A query resolved once and read by name (a CTE, a temporary view), with the
/// indirect sources that apply to whoever reads it.
#[derive(Debug)]
pub(super) struct Named {
    pub(super) output: Output,
    pub(super) indirect: Vec<(ColumnName, IndirectKind)>,
}

/// The state of a file's resolution.
pub(super) struct Resolver<'s> {
    pub(super) schemas: &'s dyn Schemas,
    /// Temporary views and cached tables; `None` when their columns cannot be known.
    pub(super) temporaries: HashMap<TableName, Option<Rc<Named>>>,
    /// Tables and views written by earlier CTAS and CREATE VIEW statements.
    pub(super) created: HashMap<TableName, Vec<SchemaColumn>>,
    /// CTEs in scope, innermost last.
    pub(super) ctes: Vec<(String, Rc<Named>)>,
    /// Select scopes being resolved, innermost last.
    pub(super) frames: Vec<Frame>,
    /// Indirect sources of the query being resolved.
    pub(super) indirect: Vec<(ColumnName, IndirectKind)>,
    pub(super) out: FileColumns,
}

/// A relation in scope.
#[derive(Debug)]
pub(super) struct Rel {
    /// The name its columns are qualified with (alias, table name, CTE name).
    pub(super) qualifier: Option<String>,
    /// The base table it reads, for `db.t.c` and for tables of unknown columns.
    pub(super) table: Option<TableName>,
    /// Its columns; `None` when unknown.
    pub(super) columns: Option<Vec<Column>>,
    /// Tables of unknown columns behind a `*` of it (its columns are then partial).
    pub(super) unknown: Vec<TableName>,
    pub(super) complete: bool,
}

/// The relations of one SELECT, while its expressions are resolved.
#[derive(Debug, Default)]
pub(super) struct Frame {
    pub(super) relations: Vec<Rel>,
    /// `JOIN … USING` columns: unqualified, they are not ambiguous.
    pub(super) using: Vec<String>,
    /// How many of the relations are FROM relations (the rest are LATERAL VIEWs).
    pub(super) from: usize,
}

/// Renames columns by position (a view's or an alias's column list).
pub(super) fn rename(columns: &mut [Column], names: &[String]) {
    for (column, name) in columns.iter_mut().zip(names) {
        column.name.clone_from(name);
    }
}

pub(super) fn target_column(column: Column) -> TargetColumn {
    TargetColumn {
        name: column.name,
        data_type: column.data_type,
        sources: column.sources.into_iter().collect(),
        transformation: column.transformation,
        span: column.span,
    }
}

/// Whether `qualifier` (`t` or `db.t`) names the relation.
pub(super) fn rel_matches(rel: &Rel, qualifier: &[String]) -> bool {
    match qualifier {
        [name] => rel.qualifier.as_deref() == Some(name.as_str()),
        [database, name] => {
            rel.qualifier.as_deref() == Some(name.as_str())
                && rel.table.as_ref().is_some_and(|table| {
                    let mut parts = table.as_str().rsplit('.');
                    parts.next() == Some(name.as_str()) && parts.next() == Some(database.as_str())
                })
        }
        _ => false,
    }
}
