//! The shape of a DataX source query: the names of the columns it returns and the
//! tables it reads.
//!
//! Input: the text of a `query:` of a JDBC sync source, parameters substituted. Output:
//! a [`QueryShape`]. Pure.
//!
//! These queries run on the source database (Oracle, MySQL, OceanBase), not on Spark,
//! so they are parsed with sqlparser's generic dialect, not [`super::SparkDialect`]:
//! both read every query of the example and the fixtures alike, but the Spark dialect
//! rejects source-database syntax the generic one reads — a qualified quoted column
//! (`t."ID"`), Oracle's `q'[…]'` strings, database links (`T@LINK`) and `PARTITION (p)`,
//! MySQL's `LIMIT offset, count` and `GROUP_CONCAT(… SEPARATOR …)` — and a query that
//! does not parse loses its columns and tables.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{ObjectName, ObjectNamePart, Query, SelectItem, SetExpr, Statement, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use super::cte::CteScopes;
/// What a source query returns and reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryShape {
    /// The output column names of a plain SELECT, when every one is named; `None` for
    /// `*`, an unnamed expression, a set operation or text that does not parse.
    pub columns: Option<Vec<String>>,
    /// The tables read, as written, sorted, each once; the names a `WITH` defines are
    /// not tables.
    pub tables: Vec<String>,
}

/// The output column names of a SELECT, when all are named, and the tables it reads.
pub fn query_shape(query: &str) -> QueryShape {
    let Ok(statements) = Parser::parse_sql(&GenericDialect {}, query) else {
        return QueryShape::default();
    };
    let mut relations = Relations::default();
    let _ = statements.visit(&mut relations);
    let columns = match statements.as_slice() {
        [Statement::Query(query)] => match query.body.as_ref() {
            SetExpr::Select(select) => select
                .projection
                .iter()
                .map(|item| match item {
                    SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                    SelectItem::UnnamedExpr(expr) => expr
                        .to_string()
                        .rsplit('.')
                        .next()
                        .filter(|name| name.chars().all(|c| c.is_alphanumeric() || c == '_'))
                        .map(str::to_owned),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>(),
            _ => None,
        },
        _ => None,
    };
    QueryShape {
        columns,
        tables: relations.tables.into_iter().collect(),
    }
}

/// Collects the relations a statement names, leaving out the CTEs in scope.
#[derive(Default)]
struct Relations {
    ctes: CteScopes,
    tables: BTreeSet<String>,
}

impl Relations {
    fn is_cte(&self, name: &ObjectName) -> bool {
        let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
            return false;
        };
        self.ctes.contains(&ident.value.to_lowercase())
    }
}

impl Visitor for Relations {
    type Break = Infallible;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.enter(query);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.leave(query);
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<Self::Break> {
        if !self.is_cte(relation) {
            self.tables.insert(relation.to_string());
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_columns_and_tables() {
        let shape = query_shape("SELECT r.ID, s.STATUS AS st FROM A.T r JOIN A.S s ON s.ID = r.ID");
        assert_eq!(shape.columns, Some(vec!["ID".to_owned(), "st".to_owned()]));
        assert_eq!(shape.tables, vec!["A.S".to_owned(), "A.T".to_owned()]);
        assert_eq!(query_shape("SELECT * FROM t").columns, None);
        assert_eq!(query_shape("SELECT count(*) FROM t").columns, None);
    }

    #[test]
    fn cte_names_are_not_tables() {
        let shape = query_shape(
            "WITH recent AS (SELECT ID, AMOUNT FROM PAY.T_ORDER WHERE GMT_MODIFIED >= SYSDATE - 1), \
             totals AS (SELECT ID, SUM(AMOUNT) AS TOTAL FROM RECENT GROUP BY ID) \
             SELECT t.ID, t.TOTAL FROM totals t JOIN PAY.T_USER u ON u.ID = t.ID",
        );
        assert_eq!(shape.columns, Some(vec!["ID".to_owned(), "TOTAL".to_owned()]));
        assert_eq!(shape.tables, vec!["PAY.T_ORDER".to_owned(), "PAY.T_USER".to_owned()]);
    }

    #[test]
    fn a_cte_is_a_table_outside_its_scope() {
        // Before its own definition, and in a query that does not define it, the name is a table.
        let shape = query_shape("WITH a AS (SELECT x FROM b), b AS (SELECT x FROM c) SELECT x FROM a");
        assert_eq!(shape.tables, vec!["b".to_owned(), "c".to_owned()]);
        let shape = query_shape("SELECT x FROM (WITH t AS (SELECT 1 AS x) SELECT x FROM t) s JOIN t ON 1 = 1");
        assert_eq!(shape.tables, vec!["t".to_owned()]);
    }

    #[test]
    fn source_database_syntax_is_read() {
        // Each of these is a parse error in the Spark dialect.
        let shape = query_shape(r#"SELECT t."ID" AS id, t.AMOUNT FROM "PAYCORE"."T_ORDER" t"#);
        assert_eq!(shape.columns, Some(vec!["id".to_owned(), "AMOUNT".to_owned()]));
        assert_eq!(shape.tables, vec![r#""PAYCORE"."T_ORDER""#.to_owned()]);
        let shape = query_shape("SELECT id, name FROM shop.t_shop LIMIT 10, 20");
        assert_eq!(shape.tables, vec!["shop.t_shop".to_owned()]);
        let shape = query_shape("SELECT ID, AMOUNT FROM PAY.T@DBLINK");
        assert_eq!(shape.tables, vec!["PAY.T@DBLINK".to_owned()]);
    }

    #[test]
    fn text_that_does_not_parse_has_no_shape() {
        assert_eq!(query_shape("query __HOSTILE_SYNC__"), QueryShape::default());
    }
}
