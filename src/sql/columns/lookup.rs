//! Column references resolved against the relations in scope: qualified, unqualified,
//! struct fields, outer (correlated) scopes, select-item aliases; unknown and
//! ambiguous columns reported, references to tables of unknown columns recorded.

use std::collections::BTreeSet;

use super::plan::{ColumnRef, Expr};
use super::state::{Column, Rel, Resolver, rel_matches};
use super::{ColumnName, Transformation, UnresolvedRead, types};
use crate::diagnostic::suggest::did_you_mean_key;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::TableName;

/// An expression resolved: its sources, how it is made, its type, and the name a
/// select item of it gets without an alias.
pub(super) struct Resolved {
    pub(super) sources: BTreeSet<ColumnName>,
    pub(super) transformation: Transformation,
    pub(super) data_type: Option<String>,
    pub(super) bare_name: Option<String>,
}

impl Resolved {
    pub(super) fn into_column(self, name: String, span: Span) -> Column {
        Column {
            name,
            sources: self.sources,
            transformation: self.transformation,
            data_type: self.data_type,
            span,
        }
    }
}

impl Resolver<'_> {
    /// Resolves an expression; `aliases` are the select items a name may also mean
    /// (ORDER BY, GROUP BY, HAVING, later select items).
    pub(super) fn expr(&mut self, expr: &Expr, aliases: Option<&[Column]>) -> Resolved {
        let mut sources = BTreeSet::new();
        let mut transformation = expr.transformation;
        let mut types: Vec<(u32, Option<String>)> = Vec::new();
        for reference in &expr.refs {
            if let Some((column, fields)) = self.lookup(reference, aliases) {
                transformation = transformation.max(column.transformation);
                if fields {
                    transformation = transformation.max(Transformation::Transformation);
                }
                types.push((reference.span.start, if fields { None } else { column.data_type }));
                sources.extend(column.sources);
            }
        }
        for query in &expr.subqueries {
            let outer = std::mem::take(&mut self.indirect);
            let output = self.query(query);
            let inner = std::mem::replace(&mut self.indirect, outer);
            for column in output.columns {
                sources.extend(column.sources);
                transformation = transformation.max(column.transformation);
            }
            sources.extend(inner.into_iter().map(|(column, _)| column));
            transformation = transformation.max(Transformation::Transformation);
        }
        let bare_name = (expr.transformation == Transformation::Identity)
            .then(|| expr.refs.first().and_then(|r| r.parts.last()).cloned())
            .flatten();
        Resolved {
            sources,
            transformation,
            data_type: types::evaluate(&expr.hint, &types),
            bare_name,
        }
    }

    /// The column a reference means, and whether it reads a field of it.
    fn lookup(&mut self, reference: &ColumnRef, aliases: Option<&[Column]>) -> Option<(Column, bool)> {
        let parts = reference.parts.as_slice();
        let span = reference.span;
        for depth in (0..self.frames.len()).rev() {
            for qualified in [2, 1] {
                if parts.len() <= qualified {
                    continue;
                }
                let frame = &self.frames[depth];
                if let Some(index) = frame
                    .relations
                    .iter()
                    .position(|rel| rel_matches(rel, &parts[..qualified]))
                {
                    return self.column_of(depth, index, &parts[qualified], parts.len() > qualified + 1, span);
                }
            }
        }
        let name = &parts[0];
        let fields = parts.len() > 1;
        let alias = aliases.and_then(|aliases| aliases.iter().find(|column| column.name == *name));
        if let Some(alias) = alias
            && !self.is_known_column(name)
        {
            return Some((alias.clone(), fields));
        }
        for depth in (0..self.frames.len()).rev() {
            let frame = &self.frames[depth];
            let having: Vec<usize> = frame
                .relations
                .iter()
                .enumerate()
                .filter(|(_, rel)| rel.columns.as_ref().is_some_and(|c| c.iter().any(|c| c.name == *name)))
                .map(|(index, _)| index)
                .collect();
            if let [index, ..] = having.as_slice() {
                if having.len() > 1 && !frame.using.contains(name) {
                    self.ambiguous(depth, &having, name, span);
                    return None;
                }
                return self.column_of(depth, *index, name, fields, span);
            }
            let unknown: Vec<usize> = frame
                .relations
                .iter()
                .enumerate()
                .filter(|(_, rel)| rel.columns.is_none() || !rel.complete)
                .map(|(index, _)| index)
                .collect();
            match unknown.as_slice() {
                [] => {}
                // LATERAL VIEW columns are all known: they do not make a name uncertain.
                [index] if frame.from == 1 => return self.column_of(depth, *index, name, fields, span),
                [index] => {
                    let rel = &frame.relations[*index];
                    let table = rel.table.clone().or_else(|| single(&rel.unknown));
                    self.unresolved(table, name, span);
                    return None;
                }
                _ => {
                    self.unresolved(None, name, span);
                    return None;
                }
            }
        }
        if let Some(alias) = alias {
            return Some((alias.clone(), fields));
        }
        if !self.frames.is_empty() {
            self.unknown_column(name, span, None);
        }
        None
    }

    fn is_known_column(&self, name: &str) -> bool {
        self.frames.iter().flat_map(|frame| &frame.relations).any(|rel| {
            rel.columns
                .as_ref()
                .is_some_and(|columns| columns.iter().any(|c| c.name == name))
        })
    }

    /// Column `name` of relation `index` of frame `depth`.
    fn column_of(
        &mut self,
        depth: usize,
        index: usize,
        name: &str,
        fields: bool,
        span: Span,
    ) -> Option<(Column, bool)> {
        let rel = &self.frames[depth].relations[index];
        let found = rel
            .columns
            .as_ref()
            .map(|columns| columns.iter().find(|c| c.name == name));
        match (found, &rel.table) {
            (Some(Some(column)), table) => {
                let column = column.clone();
                if table.is_some() {
                    for source in &column.sources {
                        self.read(source.clone(), span);
                    }
                }
                Some((column, fields))
            }
            (Some(None), _) if rel.complete => {
                self.unknown_column(name, span, Some((depth, index)));
                None
            }
            (Some(None), _) => {
                if let Some(table) = single(&rel.unknown) {
                    return Some((self.certain(table, name, span), fields));
                }
                self.unresolved(None, name, span);
                None
            }
            (None, Some(table)) => {
                let table = table.clone();
                Some((self.certain(table, name, span), fields))
            }
            (None, None) => {
                self.unresolved(None, name, span);
                None
            }
        }
    }

    /// A column of a table of unknown columns, certain from the query's shape.
    fn certain(&mut self, table: TableName, name: &str, span: Span) -> Column {
        let column = ColumnName::new(table, name);
        self.read(column.clone(), span);
        Column {
            name: name.to_owned(),
            sources: BTreeSet::from([column]),
            transformation: Transformation::Identity,
            data_type: None,
            span,
        }
    }

    fn unresolved(&mut self, table: Option<TableName>, name: &str, span: Span) {
        self.out.unresolved.push(UnresolvedRead {
            table,
            column: name.to_owned(),
            span,
        });
    }

    /// Q308: a column no relation in scope has (or not relation `only`).
    fn unknown_column(&mut self, name: &str, span: Span, only: Option<(usize, usize)>) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let (frame, rels) = match only {
            Some((depth, index)) => (&self.frames[depth], vec![index]),
            None => (frame, (0..frame.relations.len()).collect()),
        };
        let mut candidates: Vec<&str> = rels
            .iter()
            .filter_map(|&i| frame.relations[i].columns.as_ref())
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let owners: Vec<String> = rels.iter().map(|&i| describe(&frame.relations[i])).collect();
        let mut diagnostic = Diagnostic::error(Code::UnknownColumn, format!("unknown column `{name}`"))
            .at(span)
            .with_label(format!("not a column of {}", owners.join(" or ")));
        diagnostic = match did_you_mean_key(name, candidates.iter().copied()) {
            Some(help) => diagnostic.with_help(help),
            None if candidates.is_empty() => diagnostic.with_help("the query reads no column of that name"),
            None => diagnostic.with_note(format!("known columns: {}", candidates.join(", "))),
        };
        self.diagnostic(diagnostic);
    }

    /// Q309: an unqualified column several relations have.
    fn ambiguous(&mut self, depth: usize, rels: &[usize], name: &str, span: Span) {
        let frame = &self.frames[depth];
        let owners: Vec<String> = rels.iter().map(|&i| describe(&frame.relations[i])).collect();
        let example = frame.relations[rels[0]]
            .qualifier
            .clone()
            .unwrap_or_else(|| "t".to_owned());
        let diagnostic = Diagnostic::error(Code::AmbiguousColumn, format!("column `{name}` is ambiguous"))
            .at(span)
            .with_label(format!("it is a column of {}", owners.join(" and ")))
            .with_help(format!("qualify it with its table, e.g. `{example}.{name}`"));
        self.diagnostic(diagnostic);
    }
}

fn single(tables: &[TableName]) -> Option<TableName> {
    match tables {
        [table] => Some(table.clone()),
        _ => None,
    }
}

fn describe(rel: &Rel) -> String {
    match (&rel.table, &rel.qualifier) {
        (Some(table), _) => format!("`{table}`"),
        (None, Some(name)) => format!("`{name}`"),
        (None, None) => "the subquery".to_owned(),
    }
}
