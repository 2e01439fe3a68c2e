//! Queries resolved to their output columns: CTEs, set operations, selects with
//! their relations (tables, CTEs, temporary views, subqueries, LATERAL VIEW
//! generators), select items and wildcards.

use std::collections::BTreeSet;
use std::rc::Rc;

use super::plan::{Body, Item, Query, Relation, Select, Source};
use super::state::{Column, Frame, Named, Output, Rel, Resolver, rel_matches, rename};
use super::{ColumnName, IndirectKind, Transformation};

impl Resolver<'_> {
    pub(super) fn query(&mut self, query: &Query) -> Output {
        let visible = self.ctes.len();
        for (name, columns, cte) in &query.ctes {
            let outer = std::mem::take(&mut self.indirect);
            let mut output = self.query(cte);
            rename(&mut output.columns, columns);
            let indirect = std::mem::replace(&mut self.indirect, outer);
            self.ctes.push((name.clone(), Rc::new(Named { output, indirect })));
        }
        // ORDER BY of a plain SELECT also sees its FROM relations.
        let output = match &query.body {
            Body::Select(select) => self.select(select, &query.order_by),
            body => {
                let output = self.body(body);
                for expr in &query.order_by {
                    let resolved = self.expr(expr, Some(&output.columns));
                    self.indirect_from(resolved.sources, IndirectKind::Sort);
                }
                output
            }
        };
        self.ctes.truncate(visible);
        output
    }

    fn body(&mut self, body: &Body) -> Output {
        match body {
            Body::Select(select) => self.select(select, &[]),
            Body::Query(query) => self.query(query),
            Body::SetOperation(left, right) => {
                let mut output = self.body(left);
                let other = self.body(right);
                output.complete &= other.complete;
                output.unknown.extend(other.unknown);
                for (column, more) in output.columns.iter_mut().zip(other.columns) {
                    column.sources.extend(more.sources);
                    column.transformation = column.transformation.max(more.transformation);
                    if column.data_type != more.data_type {
                        column.data_type = None;
                    }
                }
                output
            }
            Body::Values(rows) => {
                let mut columns: Vec<Column> = Vec::new();
                for row in rows {
                    for (position, expr) in row.iter().enumerate() {
                        let resolved = self.expr(expr, None);
                        let column = resolved.into_column(format!("col{}", position + 1), expr.span);
                        match columns.get_mut(position) {
                            Some(known) => {
                                known.sources.extend(column.sources);
                                known.transformation = known.transformation.max(column.transformation);
                            }
                            None => columns.push(column),
                        }
                    }
                }
                Output {
                    columns,
                    complete: true,
                    unknown: Vec::new(),
                }
            }
            Body::Opaque => Output::default(),
        }
    }

    fn select(&mut self, select: &Select, order_by: &[super::plan::Expr]) -> Output {
        let mut frame = Frame {
            relations: Vec::with_capacity(select.relations.len()),
            using: select.using.clone(),
            from: 0,
        };
        let mut generators = Vec::new();
        for relation in &select.relations {
            if matches!(relation.source, Source::Generator { .. }) {
                generators.push(relation);
            } else {
                let rel = self.relation(relation);
                frame.relations.push(rel);
            }
        }
        frame.from = frame.relations.len();
        self.frames.push(frame);
        for relation in generators {
            let rel = self.relation(relation);
            if let Some(frame) = self.frames.last_mut() {
                frame.relations.push(rel);
            }
        }
        let mut output = Output {
            columns: Vec::with_capacity(select.items.len()),
            complete: true,
            unknown: Vec::new(),
        };
        for item in &select.items {
            match item {
                Item::Expr { alias, expr, span } => {
                    let resolved = self.expr(expr, Some(&output.columns));
                    let name = alias
                        .clone()
                        .or_else(|| resolved.bare_name.clone())
                        .unwrap_or_else(|| format!("_c{}", output.columns.len()));
                    output.columns.push(resolved.into_column(name, *span));
                }
                Item::Wildcard {
                    qualifier,
                    except,
                    span,
                } => self.wildcard(qualifier.as_deref(), except, *span, &mut output),
            }
        }
        for (kind, expr) in &select.indirect {
            let aliases = (*kind != IndirectKind::Join).then_some(output.columns.as_slice());
            let resolved = self.expr(expr, aliases);
            self.indirect_from(resolved.sources, *kind);
        }
        for (kind, position) in &select.ordinals {
            let sources = output.columns.get(position - 1).map(|c| c.sources.clone());
            self.indirect_from(sources.unwrap_or_default(), *kind);
        }
        for expr in order_by {
            let resolved = self.expr(expr, Some(&output.columns));
            self.indirect_from(resolved.sources, IndirectKind::Sort);
        }
        self.frames.pop();
        output
    }

    pub(super) fn indirect_from(&mut self, sources: BTreeSet<ColumnName>, kind: IndirectKind) {
        self.indirect.extend(sources.into_iter().map(|source| (source, kind)));
    }

    fn wildcard(
        &mut self,
        qualifier: Option<&[String]>,
        except: &[String],
        span: crate::diagnostic::Span,
        output: &mut Output,
    ) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let mut columns = Vec::new();
        let mut reads = Vec::new();
        let mut used: Vec<String> = Vec::new();
        for rel in &frame.relations {
            if let Some(qualifier) = qualifier
                && !rel_matches(rel, qualifier)
            {
                continue;
            }
            let Some(known) = &rel.columns else {
                output.complete = false;
                output.unknown.extend(rel.table.iter().cloned());
                continue;
            };
            for column in known.iter().filter(|c| !except.contains(&c.name)) {
                // `*` over `JOIN … USING (c)` lists `c` once.
                if qualifier.is_none() && frame.using.contains(&column.name) {
                    if used.contains(&column.name) {
                        continue;
                    }
                    used.push(column.name.clone());
                }
                let mut column = column.clone();
                column.span = span;
                if rel.table.is_some() {
                    reads.extend(column.sources.iter().cloned());
                }
                columns.push(column);
            }
            if !rel.complete {
                output.complete = false;
                output.unknown.extend(rel.unknown.iter().cloned());
            }
        }
        for read in reads {
            self.read(read, span);
        }
        output.columns.extend(columns);
    }

    pub(super) fn relation(&mut self, relation: &Relation) -> Rel {
        let qualifier = super::extract::relation_qualifier(relation);
        let mut rel = match &relation.source {
            Source::Table(table) => {
                let columns = self.table_columns(table).map(|schema| {
                    schema
                        .iter()
                        .map(|column| Column {
                            name: column.name.clone(),
                            sources: BTreeSet::from([ColumnName::new(table.clone(), &column.name)]),
                            transformation: Transformation::Identity,
                            data_type: column.data_type.clone(),
                            span: super::state::NOWHERE,
                        })
                        .collect()
                });
                Rel {
                    qualifier,
                    table: Some(table.clone()),
                    columns,
                    unknown: Vec::new(),
                    complete: true,
                }
            }
            Source::Temporary(name) => {
                let named = self.temporaries.get(name).cloned().flatten();
                self.named_rel(qualifier, named)
            }
            Source::Cte(name) => {
                let named = self
                    .ctes
                    .iter()
                    .rev()
                    .find(|(cte, _)| cte == name)
                    .map(|(_, named)| Rc::clone(named));
                self.named_rel(qualifier, named)
            }
            Source::Derived(query) => {
                let output = self.query(query);
                output_rel(qualifier, output)
            }
            Source::Generator { expr, columns } => {
                let resolved = self.expr(expr, None);
                let transformation = resolved.transformation.max(Transformation::Transformation);
                let columns = columns
                    .iter()
                    .map(|name| Column {
                        name: name.clone(),
                        sources: resolved.sources.clone(),
                        transformation,
                        data_type: None,
                        span: expr.span,
                    })
                    .collect();
                output_rel(
                    qualifier,
                    Output {
                        columns,
                        complete: true,
                        unknown: Vec::new(),
                    },
                )
            }
            Source::Opaque => Rel {
                qualifier,
                table: None,
                columns: None,
                unknown: Vec::new(),
                complete: false,
            },
        };
        if let Some(columns) = &mut rel.columns {
            rename(columns, &relation.alias_columns);
        }
        rel
    }

    fn named_rel(&mut self, qualifier: Option<String>, named: Option<Rc<Named>>) -> Rel {
        let Some(named) = named else {
            return Rel {
                qualifier,
                table: None,
                columns: None,
                unknown: Vec::new(),
                complete: false,
            };
        };
        self.indirect.extend(named.indirect.iter().cloned());
        output_rel(qualifier, named.output.clone())
    }
}

fn output_rel(qualifier: Option<String>, output: Output) -> Rel {
    Rel {
        qualifier,
        table: None,
        columns: Some(output.columns),
        unknown: output.unknown,
        complete: output.complete,
    }
}
