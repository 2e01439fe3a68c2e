//! Extraction: one statement's syntax tree reduced to a [`plan::Statement`], while
//! the file is parsed. Table names are resolved exactly as the table-level lineage
//! resolves them (default database, `USE`, placeholders, CTE shadowing, temporary
//! views of the file), through the same [`Namer`].

use std::collections::HashSet;

use sqlparser::ast::{
    self as ast, AlterViewOperation, GroupByExpr, Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart,
    OrderByKind, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Spanned, TableFactor, TableObject,
};

use super::IndirectKind;
use super::plan::{Body, ColumnRef, Expr, Item, Query, Relation, Select, Source, Statement, Write, WriteKind};
use crate::diagnostic::Span;
use crate::model::TableName;
use crate::sql::names::{Namer, path_source};

/// What the extraction of one statement reads besides its syntax tree.
pub(in crate::sql) struct Extraction<'a> {
    pub(super) namer: &'a Namer<'a>,
    /// Temporary views and cached tables defined by earlier statements.
    temporary: &'a HashSet<TableName>,
    default_database: Option<&'a str>,
    /// The statement's span, for what has no location.
    fallback: Span,
    /// Names of the CTEs visible at this point, innermost last.
    pub(super) ctes: Vec<String>,
    /// The columns of each named window (`WINDOW w AS (…)`) in scope, innermost last:
    /// a function `OVER w` uses them.
    pub(super) windows: Vec<(String, Vec<ColumnRef>)>,
}

pub(super) fn lower(ident: &Ident) -> String {
    ident.value.to_lowercase()
}

/// The position a bare integer names (`GROUP BY 1`), from 1.
fn ordinal(expr: &ast::Expr) -> Option<usize> {
    match expr {
        ast::Expr::Value(value) => match &value.value {
            ast::Value::Number(number, _) => number.parse().ok().filter(|n| *n > 0),
            _ => None,
        },
        _ => None,
    }
}

fn last_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => lower(ident),
        Some(ObjectNamePart::Function(function)) => lower(&function.name),
        None => String::new(),
    }
}

impl<'a> Extraction<'a> {
    pub(in crate::sql) fn new(
        namer: &'a Namer<'a>,
        temporary: &'a HashSet<TableName>,
        default_database: Option<&'a str>,
        fallback: Span,
    ) -> Self {
        Self {
            namer,
            temporary,
            default_database,
            fallback,
            ctes: Vec::new(),
            windows: Vec::new(),
        }
    }

    /// Adds the plan of one statement to the file's, when it has column lineage.
    pub(in crate::sql) fn add(&mut self, plan: &mut super::ColumnPlan, statement: &ast::Statement) {
        if let Some(statement) = self.statement(statement) {
            plan.push(statement);
        }
    }
}

impl Extraction<'_> {
    pub(super) fn span(&self, span: sqlparser::tokenizer::Span) -> Span {
        self.namer.index.span(span).unwrap_or(self.fallback)
    }

    /// The plan of one statement, or `None` when it has no column lineage.
    fn statement(&mut self, statement: &ast::Statement) -> Option<Statement> {
        match statement {
            ast::Statement::Query(query) => match query.body.as_ref() {
                // `WITH … INSERT …`: the CTEs belong to the INSERT's query.
                SetExpr::Insert(inner) => {
                    let visible = self.ctes.len();
                    let ctes = self.ctes(query);
                    let mut plan = self.statement(inner);
                    self.ctes.truncate(visible);
                    if let Some(Statement::Write(write)) = &mut plan {
                        write.query.ctes.splice(0..0, ctes);
                    }
                    plan
                }
                _ => Some(Statement::Read(self.query(query))),
            },
            ast::Statement::Insert(insert) => {
                let query = self.query(insert.source.as_deref()?);
                let TableObject::TableName(name) = &insert.table else {
                    return Some(Statement::Read(query));
                };
                let Some((target, span)) = self.target(name) else {
                    return Some(Statement::Read(query));
                };
                let partitions = insert
                    .partitioned
                    .iter()
                    .flatten()
                    .filter_map(|expr| match expr {
                        ast::Expr::Identifier(ident) => Some((lower(ident), false)),
                        ast::Expr::BinaryOp { left, .. } => match left.as_ref() {
                            ast::Expr::Identifier(ident) => Some((lower(ident), true)),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                Some(Statement::Write(Box::new(Write {
                    target,
                    span,
                    kind: WriteKind::Insert,
                    columns: insert.columns.iter().map(last_name).collect(),
                    partitions,
                    query,
                })))
            }
            ast::Statement::CreateTable(create) => {
                let query = self.query(create.query.as_deref()?);
                let columns = create.columns.iter().map(|c| lower(&c.name)).collect();
                if create.temporary {
                    return Some(self.temporary(&create.name, columns, query));
                }
                Some(self.create(&create.name, columns, query))
            }
            ast::Statement::CreateView(view) => {
                let query = self.query(&view.query);
                let columns = view.columns.iter().map(|c| lower(&c.name)).collect();
                if view.temporary {
                    return Some(self.temporary(&view.name, columns, query));
                }
                Some(self.create(&view.name, columns, query))
            }
            ast::Statement::AlterView(view) => match &view.operation {
                AlterViewOperation::As { query, .. } => {
                    let query = self.query(query);
                    Some(self.create(&view.name, Vec::new(), query))
                }
                _ => None,
            },
            ast::Statement::Cache {
                table_name,
                query: Some(query),
                ..
            } => {
                let query = self.query(query);
                Some(self.temporary(table_name, Vec::new(), query))
            }
            ast::Statement::Merge(merge) => self.merge(merge).map(|m| Statement::Merge(Box::new(m))),
            ast::Statement::Update(update) => self.update(update).map(|m| Statement::Merge(Box::new(m))),
            _ => None,
        }
    }

    fn temporary(&self, name: &ObjectName, columns: Vec<String>, query: Query) -> Statement {
        Statement::Temporary {
            name: self.namer.name(name).0,
            columns,
            query,
        }
    }

    fn create(&self, name: &ObjectName, columns: Vec<String>, query: Query) -> Statement {
        let Some((target, span)) = self.target(name) else {
            return Statement::Read(query);
        };
        Statement::Write(Box::new(Write {
            target,
            span,
            kind: WriteKind::Create,
            columns,
            partitions: Vec::new(),
            query,
        }))
    }

    /// A written table as the table-level lineage names it; `None` for a path or a
    /// temporary view.
    pub(super) fn target(&self, name: &ObjectName) -> Option<(TableName, Span)> {
        if path_source(name).is_some() {
            return None;
        }
        let (raw, span) = self.namer.name(name);
        if self.temporary.contains(&raw) {
            return None;
        }
        Some((raw.qualified_with(self.default_database), span.unwrap_or(self.fallback)))
    }

    pub(super) fn query(&mut self, query: &ast::Query) -> Query {
        let visible = self.ctes.len();
        let ctes = self.ctes(query);
        let body = self.body(&query.body);
        let order_by = match query.order_by.as_ref().map(|order| &order.kind) {
            Some(OrderByKind::Expressions(exprs)) => exprs.iter().map(|e| self.expr(&e.expr)).collect(),
            _ => Vec::new(),
        };
        self.ctes.truncate(visible);
        Query { ctes, body, order_by }
    }

    /// The query's CTEs, each visible from the next on (all at once when recursive);
    /// the caller ends their scope.
    fn ctes(&mut self, query: &ast::Query) -> Vec<(String, Vec<String>, Query)> {
        let mut ctes = Vec::new();
        if let Some(with) = &query.with {
            if with.recursive {
                self.ctes
                    .extend(with.cte_tables.iter().map(|cte| lower(&cte.alias.name)));
            }
            for cte in &with.cte_tables {
                let name = lower(&cte.alias.name);
                let columns = cte.alias.columns.iter().map(|c| lower(&c.name)).collect();
                let plan = self.query(&cte.query);
                if !with.recursive {
                    self.ctes.push(name.clone());
                }
                ctes.push((name, columns, plan));
            }
        }
        ctes
    }

    fn body(&mut self, body: &SetExpr) -> Body {
        match body {
            SetExpr::Select(select) => Body::Select(Box::new(self.select(select))),
            SetExpr::Query(query) => Body::Query(Box::new(self.query(query))),
            SetExpr::SetOperation { left, right, .. } => {
                Body::SetOperation(Box::new(self.body(left)), Box::new(self.body(right)))
            }
            SetExpr::Values(values) => Body::Values(
                values
                    .rows
                    .iter()
                    .map(|row| row.content.iter().map(|e| self.expr(e)).collect())
                    .collect(),
            ),
            _ => Body::Opaque,
        }
    }

    fn select(&mut self, select: &ast::Select) -> Select {
        let mut plan = Select {
            relations: Vec::new(),
            items: Vec::new(),
            using: Vec::new(),
            indirect: Vec::new(),
            ordinals: Vec::new(),
        };
        for table in &select.from {
            self.joined(table, &mut plan);
        }
        for view in &select.lateral_views {
            let expr = self.expr(&view.lateral_view);
            let mut columns: Vec<String> = view.lateral_col_alias.iter().map(lower).collect();
            if columns.is_empty() {
                columns = default_generator_columns(&view.lateral_view);
            }
            let alias = view
                .lateral_view_name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .map(lower);
            plan.relations.push(Relation {
                alias,
                alias_columns: Vec::new(),
                source: Source::Generator { expr, columns },
            });
        }
        let windows = self.windows.len();
        for ast::NamedWindowDefinition(name, window) in &select.named_window {
            let refs = match window {
                ast::NamedWindowExpr::WindowSpec(spec) => self.window_refs(spec),
                ast::NamedWindowExpr::NamedWindow(other) => self.named_window(&lower(other)),
            };
            self.windows.push((lower(name), refs));
        }
        for item in &select.projection {
            self.item(item, &mut plan.items);
        }
        if let Some(selection) = &select.selection {
            let expr = self.expr(selection);
            plan.indirect.push((IndirectKind::Filter, expr));
        }
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            for expr in exprs {
                if let Some(position) = ordinal(expr) {
                    plan.ordinals.push((IndirectKind::GroupBy, position));
                    continue;
                }
                let expr = self.expr(expr);
                plan.indirect.push((IndirectKind::GroupBy, expr));
            }
        }
        for expr in select.having.iter().chain(&select.qualify) {
            let expr = self.expr(expr);
            plan.indirect.push((IndirectKind::Filter, expr));
        }
        for expr in select
            .cluster_by
            .iter()
            .chain(&select.distribute_by)
            .chain(select.sort_by.iter().map(|e| &e.expr))
        {
            let expr = self.expr(expr);
            plan.indirect.push((IndirectKind::Sort, expr));
        }
        self.windows.truncate(windows);
        plan
    }

    /// The column references of a window's PARTITION BY and ORDER BY.
    pub(super) fn window_refs(&mut self, spec: &ast::WindowSpec) -> Vec<ColumnRef> {
        let exprs = spec.partition_by.iter().chain(spec.order_by.iter().map(|o| &o.expr));
        let mut refs: Vec<ColumnRef> = exprs.flat_map(|e| self.expr(e).refs).collect();
        if let Some(base) = &spec.window_name {
            refs.extend(self.named_window(&lower(base)));
        }
        refs
    }

    /// The column references of the named window `name` in scope.
    pub(super) fn named_window(&self, name: &str) -> Vec<ColumnRef> {
        self.windows
            .iter()
            .rev()
            .find(|(window, _)| window == name)
            .map(|(_, refs)| refs.clone())
            .unwrap_or_default()
    }

    fn joined(&mut self, table: &ast::TableWithJoins, plan: &mut Select) {
        self.relation(&table.relation, plan);
        for join in &table.joins {
            self.relation(&join.relation, plan);
            let (JoinOperator::Join(constraint)
            | JoinOperator::Inner(constraint)
            | JoinOperator::Left(constraint)
            | JoinOperator::LeftOuter(constraint)
            | JoinOperator::Right(constraint)
            | JoinOperator::RightOuter(constraint)
            | JoinOperator::FullOuter(constraint)
            | JoinOperator::CrossJoin(constraint)
            | JoinOperator::Semi(constraint)
            | JoinOperator::LeftSemi(constraint)
            | JoinOperator::RightSemi(constraint)
            | JoinOperator::Anti(constraint)
            | JoinOperator::LeftAnti(constraint)
            | JoinOperator::RightAnti(constraint)
            | JoinOperator::StraightJoin(constraint)
            | JoinOperator::AsOf { constraint, .. }) = &join.join_operator
            else {
                continue;
            };
            match constraint {
                JoinConstraint::On(expr) => {
                    let expr = self.expr(expr);
                    plan.indirect.push((IndirectKind::Join, expr));
                }
                JoinConstraint::Using(names) | JoinConstraint::UsingAlias(names, _) => {
                    let right = plan.relations.len().saturating_sub(1);
                    for name in names {
                        let column = last_name(name);
                        // Qualified by each side, so that each side's column is read.
                        let refs = plan.relations[..=right]
                            .iter()
                            .filter_map(relation_qualifier)
                            .map(|qualifier| super::plan::ColumnRef {
                                parts: vec![qualifier, column.clone()],
                                span: self.span(name.span()),
                            })
                            .collect();
                        plan.using.push(column);
                        plan.indirect.push((
                            IndirectKind::Join,
                            Expr {
                                refs,
                                subqueries: Vec::new(),
                                transformation: super::Transformation::Transformation,
                                hint: super::plan::TypeHint::Unknown,
                                span: self.span(name.span()),
                            },
                        ));
                    }
                }
                JoinConstraint::Natural | JoinConstraint::None => {}
            }
        }
    }

    fn relation(&mut self, factor: &TableFactor, plan: &mut Select) {
        let (alias, source) = match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => (alias, self.table_source(name)),
            TableFactor::Derived { subquery, alias, .. } => (alias, Source::Derived(Box::new(self.query(subquery)))),
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => {
                self.joined(table_with_joins, plan);
                return;
            }
            TableFactor::Table { alias, .. }
            | TableFactor::NestedJoin { alias, .. }
            | TableFactor::TableFunction { alias, .. }
            | TableFactor::Function { alias, .. }
            | TableFactor::UNNEST { alias, .. } => (alias, Source::Opaque),
            _ => (&None, Source::Opaque),
        };
        plan.relations.push(Relation {
            alias: alias.as_ref().map(|a| lower(&a.name)),
            alias_columns: alias
                .as_ref()
                .map(|a| a.columns.iter().map(|c| lower(&c.name)).collect())
                .unwrap_or_default(),
            source,
        });
    }

    pub(super) fn table_source(&self, name: &ObjectName) -> Source {
        if path_source(name).is_some() {
            return Source::Opaque;
        }
        let (raw, _) = self.namer.name(name);
        if !raw.as_str().contains('.') && self.ctes.iter().any(|cte| cte == raw.as_str()) {
            return Source::Cte(raw.as_str().to_owned());
        }
        if self.temporary.contains(&raw) {
            return Source::Temporary(raw);
        }
        Source::Table(raw.qualified_with(self.default_database))
    }

    fn item(&mut self, item: &SelectItem, items: &mut Vec<Item>) {
        let span = self.span(item.span());
        match item {
            SelectItem::UnnamedExpr(expr) => items.push(Item::Expr {
                alias: None,
                expr: self.expr(expr),
                span,
            }),
            SelectItem::ExprWithAlias { expr, alias } => items.push(Item::Expr {
                alias: Some(lower(alias)),
                expr: self.expr(expr),
                span,
            }),
            SelectItem::ExprWithAliases { expr, aliases } => {
                let expr = self.expr(expr);
                for alias in aliases {
                    items.push(Item::Expr {
                        alias: Some(lower(alias)),
                        expr: expr.clone(),
                        span,
                    });
                }
            }
            SelectItem::Wildcard(options) => items.push(Item::Wildcard {
                qualifier: None,
                except: except(options),
                span,
            }),
            SelectItem::QualifiedWildcard(kind, options) => {
                let qualifier = match kind {
                    SelectItemQualifiedWildcardKind::ObjectName(name) => {
                        name.0.iter().filter_map(ObjectNamePart::as_ident).map(lower).collect()
                    }
                    SelectItemQualifiedWildcardKind::Expr(_) => Vec::new(),
                };
                items.push(Item::Wildcard {
                    qualifier: Some(qualifier),
                    except: except(options),
                    span,
                });
            }
        }
    }
}

/// The name a relation's columns are qualified with: its alias, or its table's name.
pub(super) fn relation_qualifier(relation: &Relation) -> Option<String> {
    if let Some(alias) = &relation.alias {
        return Some(alias.clone());
    }
    match &relation.source {
        Source::Table(name) | Source::Temporary(name) => name.as_str().rsplit('.').next().map(str::to_owned),
        Source::Cte(name) => Some(name.clone()),
        _ => None,
    }
}

fn except(options: &ast::WildcardAdditionalOptions) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(except) = &options.opt_except {
        names.push(lower(&except.first_element));
        names.extend(except.additional_elements.iter().map(lower));
    }
    match &options.opt_exclude {
        Some(ast::ExcludeSelectItem::Single(name)) => names.push(last_name(name)),
        Some(ast::ExcludeSelectItem::Multiple(list)) => names.extend(list.iter().map(last_name)),
        None => {}
    }
    names
}

/// Spark's column names of a generator without `AS`.
fn default_generator_columns(expr: &ast::Expr) -> Vec<String> {
    let ast::Expr::Function(function) = expr else {
        return Vec::new();
    };
    let names: &[&str] = match last_name(&function.name).as_str() {
        "explode" | "explode_outer" => &["col"],
        "posexplode" | "posexplode_outer" => &["pos", "col"],
        _ => &[],
    };
    names.iter().map(|&n| n.to_owned()).collect()
}
