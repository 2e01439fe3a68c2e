//! The inside of a [`super::ColumnPlan`]: each statement reduced to what column
//! lineage needs — relations with their aliases, select items as the column
//! references they use, wildcards, and the references of the clauses that only
//! influence rows (WHERE, JOIN, GROUP BY …). No syntax tree, no schema.

use serde::{Deserialize, Serialize};

use super::{IndirectKind, Transformation};
use crate::diagnostic::Span;
use crate::model::TableName;

/// One statement of the file that matters to column lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Statement {
    /// A query whose rows go nowhere (a plain `SELECT`): its references are still read.
    Read(Query),
    /// `INSERT`, CTAS or a permanent view.
    Write(Box<Write>),
    /// A temporary view, cached table or temporary CTAS: known to later statements,
    /// never a target.
    Temporary {
        name: TableName,
        /// The view's column list, when written.
        columns: Vec<String>,
        query: Query,
    },
    /// A temporary view whose columns flowc cannot know (`CREATE TEMP VIEW v USING …`).
    Opaque(TableName),
    /// `MERGE INTO`, and `UPDATE` (a merge of the table with itself).
    Merge(Box<Merge>),
}

/// What kind of statement writes the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum WriteKind {
    /// `INSERT`: positional, named from the target's column list or known schema.
    Insert,
    /// CTAS or a view: named from the select items (or the view's column list); the
    /// table is known to later statements.
    Create,
}

/// A statement that writes a table from a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Write {
    pub(super) target: TableName,
    pub(super) span: Span,
    pub(super) kind: WriteKind,
    /// `INSERT INTO t (a, b)` or `CREATE VIEW v (a, b)`.
    pub(super) columns: Vec<String>,
    /// `PARTITION (dt = '…', h)`: each column and whether it is given a constant.
    pub(super) partitions: Vec<(String, bool)>,
    pub(super) query: Query,
}

/// `MERGE INTO target USING source ON … WHEN …`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Merge {
    pub(super) target: TableName,
    pub(super) span: Span,
    /// The target as a relation (its alias), then the source.
    pub(super) relations: Vec<Relation>,
    /// `ON` (none for an UPDATE).
    pub(super) on: Option<Expr>,
    /// An UPDATE's WHERE.
    pub(super) filter: Option<Expr>,
    /// `WHEN … AND cond` conditions.
    pub(super) conditions: Vec<Expr>,
    /// `UPDATE SET c = e` and `INSERT (c) VALUES (e)`, in clause order.
    pub(super) assignments: Vec<(String, Expr)>,
    /// `UPDATE SET *` or `INSERT *`: every source column by name.
    pub(super) star: Option<Span>,
}

/// A query: its CTEs, its body and its ORDER BY.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Query {
    /// Each CTE: its name, its column list (`WITH c (a, b) AS …`), its query.
    pub(super) ctes: Vec<(String, Vec<String>, Query)>,
    pub(super) body: Body,
    pub(super) order_by: Vec<Expr>,
}

/// A query body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Body {
    Select(Box<Select>),
    /// UNION, INTERSECT, EXCEPT: both branches, column by column.
    SetOperation(Box<Body>, Box<Body>),
    /// A parenthesised query.
    Query(Box<Query>),
    /// `VALUES (…), (…)`: the expressions of every row.
    Values(Vec<Vec<Expr>>),
    /// A body flowc does not follow (`TABLE t`…): no columns.
    Opaque,
}

/// One `SELECT … FROM … WHERE …`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Select {
    /// FROM tables and JOINs, then LATERAL VIEWs, in order.
    pub(super) relations: Vec<Relation>,
    pub(super) items: Vec<Item>,
    /// Column names of `JOIN … USING (c)`: not ambiguous when unqualified.
    pub(super) using: Vec<String>,
    /// WHERE, JOIN, GROUP BY, HAVING … in clause order.
    pub(super) indirect: Vec<(IndirectKind, Expr)>,
    /// `GROUP BY 1`: select items named by position (from 1).
    pub(super) ordinals: Vec<(IndirectKind, usize)>,
}

/// A relation in a FROM clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Relation {
    /// `AS alias`, lower case.
    pub(super) alias: Option<String>,
    /// `AS alias (a, b)`: new names of its columns.
    pub(super) alias_columns: Vec<String>,
    pub(super) source: Source,
}

/// What a relation reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Source {
    /// A table, qualified as the table-level lineage qualifies it.
    Table(TableName),
    /// A temporary view or cached table defined earlier in the file (its name as written).
    Temporary(TableName),
    /// A CTE in scope.
    Cte(String),
    /// A subquery.
    Derived(Box<Query>),
    /// `LATERAL VIEW [OUTER] explode(arr) t AS x`: every output column comes from the
    /// generator's arguments.
    Generator { expr: Expr, columns: Vec<String> },
    /// A table function, path or other relation whose columns flowc does not know.
    Opaque,
}

/// A select item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Item {
    /// `*` or `t.*` (`qualifier` lower case), `EXCEPT (a, b)`.
    Wildcard {
        qualifier: Option<Vec<String>>,
        except: Vec<String>,
        span: Span,
    },
    /// An expression, with its alias.
    Expr {
        alias: Option<String>,
        expr: Expr,
        span: Span,
    },
}

/// An expression reduced to the columns it uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Expr {
    pub(super) refs: Vec<ColumnRef>,
    /// Subqueries inside it: every column they use counts.
    pub(super) subqueries: Vec<Query>,
    /// `Identity` for a bare column reference, `Aggregation` when an aggregate or a
    /// window function appears, else `Transformation`.
    pub(super) transformation: Transformation,
    pub(super) hint: TypeHint,
    /// The whole expression.
    pub(super) span: Span,
}

/// A column reference as written: `c`, `t.c`, `db.t.c`, `s.field` …, lower case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ColumnRef {
    pub(super) parts: Vec<String>,
    pub(super) span: Span,
}

/// How an expression's type follows from its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum TypeHint {
    #[default]
    Unknown,
    /// A type known from the expression alone (a CAST, a literal, `count`…).
    Fixed(String),
    /// The type of the expression's column reference that starts at this offset (a
    /// bare column, `min`/`max`/`first` of one).
    Column(u32),
    /// `sum(x)`.
    Sum(Box<TypeHint>),
    /// `avg(x)`.
    Avg(Box<TypeHint>),
    /// Arithmetic: the operands' type when they all agree.
    Same(Vec<TypeHint>),
}
