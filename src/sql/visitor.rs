//! The syntax-tree walk of one statement: the tables it reads, writes and alters.

use std::collections::HashSet;
use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterViewOperation, FromTable, ObjectName, ObjectType, Query, SetExpr, Spanned, Statement, TableFactor,
    TableObject, Visitor,
};

use super::cte::CteScopes;
use super::names::{Namer, mention, path_source};
use super::{PathRef, TableNames, TableRef};
use crate::diagnostic::Span;
use crate::model::TableName;

/// A construct the visitor met that flowc does not read: where (if located), what, and
/// what to write instead.
pub(super) type Unread = (Option<Span>, &'static str, &'static str);

/// Collects what one statement reads, writes and alters, walking its syntax tree.
pub(super) struct TableVisitor<'a> {
    pub(super) namer: &'a Namer<'a>,
    pub(super) temporary: &'a HashSet<TableName>,
    pub(super) default_database: Option<&'a str>,
    /// Span for names without a location.
    pub(super) fallback: Span,
    pub(super) ctes: CteScopes,
    /// Target table factors of MERGE, UPDATE and DELETE: written, not read.
    pub(super) targets: Vec<*const TableFactor>,
    pub(super) reads: Vec<(TableName, Span)>,
    pub(super) writes: Vec<(TableName, Span)>,
    /// Temporary views and cached tables this statement defines.
    pub(super) defined: Vec<TableName>,
    /// Every table name read or written, located, for rewrites.
    pub(super) names: &'a mut TableNames,
    /// Paths queried as tables.
    pub(super) paths: &'a mut Vec<PathRef>,
    /// The first construct met that flowc does not read.
    pub(super) unread: Option<Unread>,
}

/// Whether a query body is, or combines, a `TABLE t` query.
fn has_table_query(body: &SetExpr) -> bool {
    match body {
        SetExpr::Table(_) => true,
        SetExpr::SetOperation { left, right, .. } => has_table_query(left) || has_table_query(right),
        _ => false,
    }
}

impl TableVisitor<'_> {
    fn is_cte(&self, name: &TableName) -> bool {
        !name.as_str().contains('.') && self.ctes.contains(name.as_str())
    }

    /// The table a name refers to, or `None` for a temporary view or cached table.
    /// Records where the name is written.
    fn table(&mut self, name: &ObjectName, written: bool) -> Option<(TableName, Span)> {
        if let Some((format, path)) = path_source(name) {
            if let Some(span) = self.namer.index.span(name.span()) {
                // As written: a placeholder in the path stays one.
                let written_path = self
                    .namer
                    .index
                    .span(path.span)
                    .and_then(|at| self.namer.original.get(at.range()))
                    .map(|text| text.trim_matches('`').replace("``", "`"));
                self.paths.push(PathRef {
                    format,
                    path: written_path.unwrap_or_else(|| path.value.clone()),
                    written,
                    span,
                });
            }
            return None;
        }
        let (raw, span) = self.namer.name(name);
        if self.temporary.contains(&raw) {
            return None;
        }
        let table = raw.qualified_with(self.default_database);
        if let Some(span) = span {
            self.names.tables.push(mention(self.namer, name, &table, span));
        }
        Some((table, span.unwrap_or(self.fallback)))
    }

    /// A table a DDL or utility statement changes (drops, truncates, alters, creates
    /// empty, analyses, repairs): not data lineage, but a name environments rewrite.
    fn alter(&mut self, name: &ObjectName) {
        if path_source(name).is_some() {
            return;
        }
        let (raw, span) = self.namer.name(name);
        if self.temporary.contains(&raw) || self.defined.contains(&raw) {
            return;
        }
        let table = raw.qualified_with(self.default_database);
        if let Some(span) = span {
            self.names.tables.push(mention(self.namer, name, &table, span));
            self.names.altered.push(TableRef { name: table, span });
        }
    }

    fn write(&mut self, name: &ObjectName) {
        if let Some(table) = self.table(name, true) {
            self.writes.push(table);
        }
    }

    fn define(&mut self, name: &ObjectName) {
        self.defined.push(self.namer.name(name).0);
    }

    fn write_target(&mut self, target: &TableFactor) {
        if let TableFactor::Table { name, .. } = target {
            self.write(name);
        }
        self.targets.push(target);
    }
}

impl Visitor for TableVisitor<'_> {
    type Break = Infallible;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.enter(query);
        if self.unread.is_none() && has_table_query(&query.body) {
            self.unread = Some((None, "TABLE t", "write `SELECT * FROM t`"));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.leave(query);
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<Self::Break> {
        match statement {
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.write(name);
                }
            }
            Statement::CreateTable(create) if create.query.is_some() => {
                if create.temporary {
                    self.define(&create.name);
                } else {
                    self.write(&create.name);
                }
            }
            Statement::CreateView(view) => {
                if view.temporary {
                    self.define(&view.name);
                    // A global temporary view is read as `global_temp.name`.
                    let (name, _) = self.namer.name(&view.name);
                    self.defined.push(name.qualified_with(Some("global_temp")));
                } else {
                    self.write(&view.name);
                }
            }
            Statement::Cache {
                table_name,
                query: Some(_),
                ..
            } => self.define(table_name),
            Statement::CreateTable(create) if !create.temporary => self.alter(&create.name),
            Statement::Drop {
                object_type: ObjectType::Table | ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => {
                for name in names {
                    self.alter(name);
                }
            }
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    self.alter(&target.name);
                }
            }
            Statement::AlterTable(alter) => self.alter(&alter.name),
            // `ALTER VIEW v AS query` redefines the view, as `CREATE OR REPLACE VIEW` does.
            Statement::AlterView(view) if matches!(view.operation, AlterViewOperation::As { .. }) => {
                self.write(&view.name);
            }
            Statement::AlterView(view) => self.alter(&view.name),
            Statement::Analyze(analyze) => {
                if let Some(name) = &analyze.table_name {
                    self.alter(name);
                }
            }
            Statement::Msck(msck) => self.alter(&msck.table_name),
            Statement::Merge(merge) => self.write_target(&merge.table),
            Statement::Update(update) => self.write_target(&update.table.relation),
            Statement::Delete(delete) => {
                for name in &delete.tables {
                    self.write(name);
                }
                let (FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables)) = &delete.from;
                for table in tables {
                    self.write_target(&table.relation);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Self::Break> {
        if let TableFactor::Table {
            name, args: Some(_), ..
        } = factor
            && self.unread.is_none()
            && name.0.len() == 1
            && self.namer.name(name).0.as_str() == "identifier"
        {
            let span = self.namer.index.span(name.span());
            self.unread = Some((span, "IDENTIFIER(…)", "write the table name itself"));
        }
        let TableFactor::Table { name, args: None, .. } = factor else {
            return ControlFlow::Continue(());
        };
        if self.targets.iter().any(|&target| std::ptr::eq(target, factor)) {
            return ControlFlow::Continue(());
        }
        let (raw, _) = self.namer.name(name);
        if self.is_cte(&raw) {
            return ControlFlow::Continue(());
        }
        if let Some(table) = self.table(name, false) {
            self.reads.push(table);
        }
        ControlFlow::Continue(())
    }
}
