//! An expression reduced to the column references it uses, the subqueries inside
//! it, whether it aggregates, and a hint of its type.

use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{
    self as ast, BinaryOperator, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart, Spanned,
    UnaryOperator, Value, Visit, Visitor,
};

use super::Transformation;
use super::extract::{Extraction, lower};
use super::plan::{ColumnRef, Expr, Query, TypeHint};

/// Aggregate functions (window functions are recognised by their `OVER`).
const AGGREGATES: &[&str] = &[
    "any",
    "any_value",
    "approx_count_distinct",
    "approx_percentile",
    "array_agg",
    "avg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bool_and",
    "bool_or",
    "collect_list",
    "collect_set",
    "corr",
    "count",
    "count_if",
    "count_min_sketch",
    "covar_pop",
    "covar_samp",
    "every",
    "first",
    "first_value",
    "grouping",
    "grouping_id",
    "histogram_numeric",
    "kurtosis",
    "last",
    "last_value",
    "max",
    "max_by",
    "mean",
    "median",
    "min",
    "min_by",
    "mode",
    "percentile",
    "percentile_approx",
    "skewness",
    "some",
    "std",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "sum",
    "try_avg",
    "try_sum",
    "var_pop",
    "var_samp",
    "variance",
];

/// Bare names that are functions, not columns.
const NILADIC: &[&str] = &[
    "current_catalog",
    "current_database",
    "current_date",
    "current_schema",
    "current_timestamp",
    "current_user",
    "localtimestamp",
    "user",
];

struct Collector<'e, 'a> {
    extraction: &'e mut Extraction<'a>,
    refs: Vec<ColumnRef>,
    subqueries: Vec<Query>,
    aggregate: bool,
    /// Depth of subqueries being walked past (already reduced on their own).
    depth: usize,
    lambdas: Vec<String>,
    /// Field names after a `.` on a computed value (`from_json(j, …).a`): fields of
    /// the value, not columns.
    fields: Vec<sqlparser::tokenizer::Span>,
}

impl Collector<'_, '_> {
    fn reference(&mut self, idents: &[ast::Ident]) {
        let Some(first) = idents.first() else {
            return;
        };
        let first_name = lower(first);
        if idents.len() == 1 && (NILADIC.contains(&first_name.as_str()) || self.lambdas.contains(&first_name)) {
            return;
        }
        let span = self.extraction.span(
            idents
                .iter()
                .skip(1)
                .fold(first.span, |span, ident| span.union(&ident.span)),
        );
        // A placeholder (`${bizdate}` unquoted) is a value, not a column.
        if self.extraction.namer.is_templated(span) {
            return;
        }
        let mut parts = Vec::with_capacity(idents.len());
        parts.push(first_name);
        parts.extend(idents[1..].iter().map(lower));
        self.refs.push(ColumnRef { parts, span });
    }
}

impl Visitor for Collector<'_, '_> {
    type Break = Infallible;

    fn pre_visit_query(&mut self, _query: &ast::Query) -> ControlFlow<Infallible> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &ast::Query) -> ControlFlow<Infallible> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<Infallible> {
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        match expr {
            ast::Expr::Identifier(ident) if self.fields.contains(&ident.span) => {}
            ast::Expr::Identifier(ident) => self.reference(std::slice::from_ref(ident)),
            ast::Expr::CompoundFieldAccess { access_chain, .. } => {
                let fields = access_chain.iter().filter_map(|access| match access {
                    ast::AccessExpr::Dot(ast::Expr::Identifier(field)) => Some(field.span),
                    _ => None,
                });
                self.fields.extend(fields);
            }
            ast::Expr::CompoundIdentifier(idents) => self.reference(idents),
            ast::Expr::Function(function)
                if function.over.is_some() || AGGREGATES.contains(&function_name(function).as_str()) =>
            {
                self.aggregate = true;
                if let Some(ast::WindowType::NamedWindow(name)) = &function.over {
                    let refs = self.extraction.named_window(&lower(name));
                    self.refs.extend(refs);
                }
            }
            ast::Expr::Subquery(query) | ast::Expr::Exists { subquery: query, .. } => {
                let plan = self.extraction.query(query);
                self.subqueries.push(plan);
            }
            ast::Expr::In {
                target: ast::InTarget::Subquery(subquery),
                ..
            } => {
                let plan = self.extraction.query(subquery);
                self.subqueries.push(plan);
            }
            ast::Expr::Lambda(lambda) => {
                self.lambdas.extend(lambda.params.iter().map(|p| lower(&p.name)));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn function_name(function: &ast::Function) -> String {
    match function.name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => lower(ident),
        Some(ObjectNamePart::Function(f)) => lower(&f.name),
        None => String::new(),
    }
}

fn arguments(function: &ast::Function) -> Vec<&ast::Expr> {
    let FunctionArguments::List(list) = &function.args else {
        return Vec::new();
    };
    list.args
        .iter()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(expr),
                ..
            }
            | FunctionArg::ExprNamed {
                arg: FunctionArgExpr::Expr(expr),
                ..
            } => Some(expr),
            _ => None,
        })
        .collect()
}

/// Whether the expression is a bare column reference (maybe parenthesised).
fn is_bare(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => true,
        ast::Expr::Nested(inner) => is_bare(inner),
        _ => false,
    }
}

impl Extraction<'_> {
    pub(super) fn expr(&mut self, expr: &ast::Expr) -> Expr {
        let mut collector = Collector {
            extraction: self,
            refs: Vec::new(),
            subqueries: Vec::new(),
            aggregate: false,
            depth: 0,
            lambdas: Vec::new(),
            fields: Vec::new(),
        };
        let ControlFlow::Continue(()) = expr.visit(&mut collector);
        let Collector {
            refs,
            subqueries,
            aggregate,
            ..
        } = collector;
        let transformation = if aggregate {
            Transformation::Aggregation
        } else if is_bare(expr) && refs.len() == 1 {
            Transformation::Identity
        } else {
            Transformation::Transformation
        };
        let hint = self.hint(expr);
        Expr {
            refs,
            subqueries,
            transformation,
            hint,
            span: self.span(expr.span()),
        }
    }

    /// How the expression's type follows from its parts.
    fn hint(&self, expr: &ast::Expr) -> TypeHint {
        let fixed = |name: &str| TypeHint::Fixed(name.to_owned());
        match expr {
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => {
                TypeHint::Column(self.span(expr.span()).start)
            }
            ast::Expr::Nested(inner) => self.hint(inner),
            ast::Expr::Cast { data_type, .. } => TypeHint::Fixed(data_type.to_string().to_lowercase().replace(' ', "")),
            ast::Expr::Value(value) => match &value.value {
                Value::Number(number, long) => fixed(number_type(number, *long)),
                Value::SingleQuotedString(_) | Value::DoubleQuotedString(_) => fixed("string"),
                Value::Boolean(_) => fixed("boolean"),
                _ => TypeHint::Unknown,
            },
            ast::Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Multiply | BinaryOperator::Modulo => {
                    TypeHint::Same(vec![self.hint(left), self.hint(right)])
                }
                BinaryOperator::Divide => fixed("double"),
                BinaryOperator::StringConcat => fixed("string"),
                BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
                | BinaryOperator::Spaceship
                | BinaryOperator::And
                | BinaryOperator::Or => fixed("boolean"),
                _ => TypeHint::Unknown,
            },
            ast::Expr::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => fixed("boolean"),
                UnaryOperator::Minus | UnaryOperator::Plus => self.hint(expr),
                _ => TypeHint::Unknown,
            },
            ast::Expr::IsNull(_)
            | ast::Expr::IsNotNull(_)
            | ast::Expr::IsTrue(_)
            | ast::Expr::IsFalse(_)
            | ast::Expr::IsNotTrue(_)
            | ast::Expr::IsNotFalse(_)
            | ast::Expr::In { .. }
            | ast::Expr::Between { .. }
            | ast::Expr::Like { .. }
            | ast::Expr::ILike { .. }
            | ast::Expr::RLike { .. }
            | ast::Expr::SimilarTo { .. }
            | ast::Expr::Exists { .. } => fixed("boolean"),
            ast::Expr::Substring { .. } | ast::Expr::Trim { .. } => fixed("string"),
            ast::Expr::Extract { .. } => fixed("int"),
            ast::Expr::Case {
                conditions,
                else_result,
                ..
            } => TypeHint::Same(
                conditions
                    .iter()
                    .map(|when| &when.result)
                    .chain(else_result.as_deref())
                    .map(|result| self.hint(result))
                    .collect(),
            ),
            ast::Expr::Function(function) => self.function_hint(function),
            _ => TypeHint::Unknown,
        }
    }

    fn function_hint(&self, function: &ast::Function) -> TypeHint {
        let name = function_name(function);
        let arguments = arguments(function);
        let first = || arguments.first().map_or(TypeHint::Unknown, |arg| self.hint(arg));
        let fixed = |name: &str| TypeHint::Fixed(name.to_owned());
        match name.as_str() {
            "count" | "count_if" | "approx_count_distinct" | "unix_timestamp" | "ntile" => fixed("bigint"),
            "sum" => TypeHint::Sum(Box::new(first())),
            "avg" | "mean" => TypeHint::Avg(Box::new(first())),
            "min" | "max" | "first" | "last" | "first_value" | "last_value" | "any_value" | "lag" | "lead" => first(),
            "coalesce" | "nvl" | "ifnull" | "greatest" | "least" => {
                TypeHint::Same(arguments.iter().map(|arg| self.hint(arg)).collect())
            }
            "concat" | "concat_ws" | "substr" | "substring" | "upper" | "lower" | "ucase" | "lcase" | "trim"
            | "ltrim" | "rtrim" | "date_format" | "regexp_replace" | "regexp_extract" | "lpad" | "rpad" | "replace"
            | "md5" | "sha1" | "sha2" | "from_unixtime" | "format_number" | "get_json_object" | "initcap"
            | "translate" | "split_part" => fixed("string"),
            "to_date" | "date_add" | "date_sub" | "current_date" | "last_day" | "add_months" | "next_day" | "trunc" => {
                fixed("date")
            }
            "to_timestamp" | "current_timestamp" | "from_utc_timestamp" | "to_utc_timestamp" => fixed("timestamp"),
            "datediff" | "length" | "char_length" | "year" | "month" | "day" | "dayofmonth" | "hour" | "minute"
            | "second" | "quarter" | "weekofyear" | "dayofweek" | "row_number" | "rank" | "dense_rank" | "instr"
            | "locate" | "size" => fixed("int"),
            "percent_rank" | "cume_dist" | "rand" | "stddev" | "variance" => fixed("double"),
            "isnull" | "isnotnull" | "array_contains" => fixed("boolean"),
            _ => TypeHint::Unknown,
        }
    }
}

/// Spark's type of a numeric literal: `int`, `bigint` (`L` or too large),
/// `decimal(p,s)`, `double` (with an exponent).
fn number_type(number: &str, long: bool) -> &'static str {
    if long || number.ends_with(['L', 'l']) {
        return "bigint";
    }
    if number.contains(['e', 'E']) || number.ends_with(['D', 'd']) {
        return "double";
    }
    if number.contains('.') {
        return "decimal";
    }
    if number.parse::<i32>().is_ok() { "int" } else { "bigint" }
}
