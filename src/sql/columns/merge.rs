//! `MERGE INTO target USING source ON … WHEN …`: extraction and resolution. The
//! target's columns come from `UPDATE SET c = e`, `INSERT (c) VALUES (e)` and `*`;
//! `ON` is a join, the `WHEN … AND` conditions are conditional.

use sqlparser::ast::{self as ast, AssignmentTarget, MergeAction, MergeInsertKind, MergeUpdateKind, TableFactor};

use super::extract::{Extraction, lower};
use super::plan::{Merge, Relation, Source};
use super::state::{Column, Frame, Resolver, target_column};
use super::{IndirectKind, TableOutput};

fn assignment_name(target: &AssignmentTarget) -> Option<String> {
    match target {
        AssignmentTarget::ColumnName(name) => name.0.last()?.as_ident().map(lower),
        AssignmentTarget::Tuple(_) => None,
    }
}

impl Extraction<'_> {
    pub(super) fn merge(&mut self, merge: &ast::Merge) -> Option<Merge> {
        let TableFactor::Table { name, alias, .. } = &merge.table else {
            return None;
        };
        let (target, span) = self.target(name)?;
        let mut relations = vec![Relation {
            alias: alias.as_ref().map(|a| lower(&a.name)),
            alias_columns: Vec::new(),
            source: Source::Table(target.clone()),
        }];
        let (alias, source) = match &merge.source {
            TableFactor::Table { name, alias, .. } => (alias, self.table_source(name)),
            TableFactor::Derived { subquery, alias, .. } => (alias, Source::Derived(Box::new(self.query(subquery)))),
            _ => (&None, Source::Opaque),
        };
        relations.push(Relation {
            alias: alias.as_ref().map(|a| lower(&a.name)),
            alias_columns: Vec::new(),
            source,
        });
        let on = Some(self.expr(&merge.on));
        let mut plan = Merge {
            target,
            span,
            relations,
            on,
            filter: None,
            conditions: Vec::new(),
            assignments: Vec::new(),
            star: None,
        };
        for clause in &merge.clauses {
            if let Some(predicate) = &clause.predicate {
                let condition = self.expr(predicate);
                plan.conditions.push(condition);
            }
            match &clause.action {
                MergeAction::Update(update) => match &update.kind {
                    MergeUpdateKind::Set(assignments) => {
                        for assignment in assignments {
                            if let Some(column) = assignment_name(&assignment.target) {
                                let value = self.expr(&assignment.value);
                                plan.assignments.push((column, value));
                            }
                        }
                    }
                    MergeUpdateKind::Wildcard => plan.star = Some(self.span(clause.when_token.0.span)),
                },
                MergeAction::Insert(insert) => match &insert.kind {
                    MergeInsertKind::Values(values) => {
                        let columns: Vec<String> = insert
                            .columns
                            .iter()
                            .filter_map(|name| name.0.last()?.as_ident().map(lower))
                            .collect();
                        for row in &values.rows {
                            for (column, value) in columns.iter().zip(&row.content) {
                                let value = self.expr(value);
                                plan.assignments.push((column.clone(), value));
                            }
                        }
                    }
                    MergeInsertKind::Wildcard | MergeInsertKind::Row => {
                        plan.star = Some(self.span(clause.when_token.0.span));
                    }
                },
                _ => {}
            }
        }
        Some(plan)
    }
}

impl Extraction<'_> {
    /// `UPDATE t SET c = e WHERE cond`: the assigned columns, the WHERE a filter.
    pub(super) fn update(&mut self, update: &ast::Update) -> Option<Merge> {
        let TableFactor::Table { name, alias, .. } = &update.table.relation else {
            return None;
        };
        let (target, span) = self.target(name)?;
        let relations = vec![Relation {
            alias: alias.as_ref().map(|a| lower(&a.name)),
            alias_columns: Vec::new(),
            source: Source::Table(target.clone()),
        }];
        let filter = update.selection.as_ref().map(|selection| self.expr(selection));
        let assignments = update
            .assignments
            .iter()
            .filter_map(|assignment| Some((assignment_name(&assignment.target)?, self.expr(&assignment.value))))
            .collect();
        Some(Merge {
            target,
            span,
            relations,
            on: None,
            filter,
            conditions: Vec::new(),
            assignments,
            star: None,
        })
    }
}

impl Resolver<'_> {
    pub(super) fn merge(&mut self, merge: &Merge) {
        let mut frame = Frame::default();
        for relation in &merge.relations {
            let rel = self.relation(relation);
            frame.relations.push(rel);
        }
        frame.from = frame.relations.len();
        self.frames.push(frame);
        if let Some(on) = &merge.on {
            let on = self.expr(on, None);
            self.indirect_from(on.sources, IndirectKind::Join);
        }
        if let Some(filter) = &merge.filter {
            let filter = self.expr(filter, None);
            self.indirect_from(filter.sources, IndirectKind::Filter);
        }
        for condition in &merge.conditions {
            let resolved = self.expr(condition, None);
            self.indirect_from(resolved.sources, IndirectKind::Conditional);
        }
        let mut columns: Vec<Column> = Vec::new();
        let mut complete = true;
        let mut add = |column: Column| match columns.iter_mut().find(|c| c.name == column.name) {
            Some(known) => {
                known.sources.extend(column.sources);
                known.transformation = known.transformation.max(column.transformation);
                if known.data_type != column.data_type {
                    known.data_type = None;
                }
            }
            None => columns.push(column),
        };
        for (name, expr) in &merge.assignments {
            let resolved = self.expr(expr, None);
            add(resolved.into_column(name.clone(), expr.span));
        }
        if let Some(span) = merge.star {
            let frame = self.frames.last();
            match frame
                .and_then(|f| f.relations.get(1))
                .and_then(|rel| rel.columns.as_ref())
            {
                Some(source) => {
                    for column in source {
                        let mut column = column.clone();
                        column.span = span;
                        add(column);
                    }
                }
                None => complete = false,
            }
        }
        self.frames.pop();
        if let Some(schema) = self.table_columns(&merge.target) {
            let order: Vec<&str> = schema.iter().map(|c| c.name.as_str()).collect();
            columns.sort_by_key(|c| order.iter().position(|&name| name == c.name).unwrap_or(usize::MAX));
        }
        let table = TableOutput {
            table: merge.target.clone(),
            columns: columns.into_iter().map(target_column).collect(),
            static_partitions: Vec::new(),
            dynamic_partitions: Vec::new(),
            complete,
            by_name: true,
            span: merge.span,
        };
        self.output(table);
    }
}
