//! Queries: aliases, joins, CTEs, subqueries, set operations, wildcards, generators.

use super::{clean, columns, indirect};

#[test]
fn aliases_and_qualified_columns_are_identity() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT o.id AS order_id, o.amount, db2.x.y FROM ods.orders o, db2.x",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.order_id <- ods.orders.id (identity)",
            "dw.t.amount <- ods.orders.amount (identity)",
            "dw.t.y <- db2.x.y (identity)",
        ]
    );
}

#[test]
fn expressions_aggregates_and_literals() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT k, sum(a) AS s, count(*) AS n, a + b AS ab, \
         CASE WHEN c > 0 THEN d ELSE 0 END AS cd, 'x' AS lit, 1, \
         row_number() OVER (PARTITION BY k ORDER BY e) AS rn \
         FROM s.x GROUP BY k HAVING max(f) > 1",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.k <- s.x.k (identity)",
            "dw.t.s <- s.x.a (aggregation)",
            "dw.t.n <-  (aggregation)",
            "dw.t.ab <- s.x.a, s.x.b (transformation)",
            "dw.t.cd <- s.x.c, s.x.d (transformation)",
            "dw.t.lit <-  (transformation)",
            "dw.t._c6 <-  (transformation)",
            "dw.t.rn <- s.x.e, s.x.k (aggregation)",
        ]
    );
    assert_eq!(
        indirect(&lineage),
        ["dw.t <- s.x.f (FILTER)", "dw.t <- s.x.k (GROUP_BY)"]
    );
}

#[test]
fn joins_are_indirect_and_using_is_not_ambiguous() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT id, a.v, b.w FROM s.a a JOIN s.b b USING (id) \
         LEFT JOIN s.c c ON c.k = a.k WHERE b.flag = 1 ORDER BY a.v",
        &[("s.a", &["id", "v", "k"]), ("s.b", &["id", "w", "flag"])],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.a.id (identity)",
            "dw.t.v <- s.a.v (identity)",
            "dw.t.w <- s.b.w (identity)",
        ]
    );
    assert_eq!(
        indirect(&lineage),
        [
            "dw.t <- s.a.id (JOIN)",
            "dw.t <- s.a.k (JOIN)",
            "dw.t <- s.a.v (SORT)",
            "dw.t <- s.b.flag (FILTER)",
            "dw.t <- s.b.id (JOIN)",
            "dw.t <- s.c.k (JOIN)",
        ]
    );
}

#[test]
fn ctes_nested_and_chained_keep_the_strongest_transformation() {
    let lineage = clean(
        "WITH a AS (SELECT id, amount FROM ods.o WHERE dt = '1'), \
              b AS (SELECT id, sum(amount) AS total FROM a GROUP BY id) \
         INSERT INTO dw.t SELECT b.id, total AS t2 FROM b",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- ods.o.id (identity)",
            "dw.t.t2 <- ods.o.amount (aggregation)"
        ]
    );
    assert_eq!(
        indirect(&lineage),
        ["dw.t <- ods.o.dt (FILTER)", "dw.t <- ods.o.id (GROUP_BY)"]
    );
}

#[test]
fn a_cte_shadows_a_table_and_is_not_a_source() {
    let lineage = clean(
        "WITH orders AS (SELECT id FROM ods.orders) \
         INSERT INTO dw.t SELECT id FROM orders",
        &[],
    );
    assert_eq!(columns(&lineage), ["dw.t.id <- ods.orders.id (identity)"]);
    // Unqualified names take the default database, as the table-level lineage does.
    let lineage = clean("INSERT INTO t SELECT id FROM orders", &[]);
    assert_eq!(columns(&lineage), ["dflt.t.id <- dflt.orders.id (identity)"]);
}

#[test]
fn subqueries_in_from_and_scalar_subqueries() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT q.k, q.m, (SELECT max(r.v) FROM s.r r WHERE r.k = q.k) AS mv \
         FROM (SELECT k, a * 2 AS m FROM s.x WHERE z > 0) q",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.k <- s.x.k (identity)",
            "dw.t.m <- s.x.a (transformation)",
            "dw.t.mv <- s.r.k, s.r.v, s.x.k (aggregation)",
        ]
    );
    assert_eq!(indirect(&lineage), ["dw.t <- s.x.z (FILTER)"]);
}

#[test]
fn correlated_subqueries_in_where_read_outer_columns() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT o.id FROM s.o o \
         WHERE EXISTS (SELECT 1 FROM s.p p WHERE p.oid = o.id AND p.ok = 1) \
         AND o.k IN (SELECT k FROM s.q)",
        &[("s.p", &["oid", "ok"]), ("s.o", &["id", "k"])],
    );
    assert_eq!(columns(&lineage), ["dw.t.id <- s.o.id (identity)"]);
    assert_eq!(
        indirect(&lineage),
        [
            "dw.t <- s.o.id (FILTER)",
            "dw.t <- s.o.k (FILTER)",
            "dw.t <- s.p.oid (FILTER)",
            "dw.t <- s.p.ok (FILTER)",
            "dw.t <- s.q.k (FILTER)",
        ]
    );
}

#[test]
fn union_merges_branches_by_position_named_from_the_first() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT id, a AS v FROM s.x UNION ALL SELECT id, sum(b) FROM s.y GROUP BY id \
         EXCEPT SELECT id, c FROM s.z",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.x.id, s.y.id, s.z.id (identity)",
            "dw.t.v <- s.x.a, s.y.b, s.z.c (aggregation)",
        ]
    );
}

#[test]
fn stars_expand_from_known_schemas() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT a.*, b.* EXCEPT (k) FROM s.a a JOIN s.b b ON a.id = b.id",
        &[("s.a", &["id", "x"]), ("s.b", &["id", "k", "y"])],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.a.id (identity)",
            "dw.t.x <- s.a.x (identity)",
            "dw.t.id <- s.b.id (identity)",
            "dw.t.y <- s.b.y (identity)",
        ]
    );
    assert!(lineage.outputs[0].complete);
}

#[test]
fn a_star_over_an_unknown_table_is_incomplete() {
    let lineage = clean("INSERT INTO dw.t SELECT *, 1 AS one FROM s.unknown", &[]);
    assert_eq!(columns(&lineage), ["dw.t.one <-  (transformation)"]);
    assert!(!lineage.outputs[0].complete);
    // A CTE over it still passes named columns through to the table.
    let lineage = clean("WITH c AS (SELECT * FROM s.u) INSERT INTO dw.t SELECT c.a FROM c", &[]);
    assert_eq!(columns(&lineage), ["dw.t.a <- s.u.a (identity)"]);
}

#[test]
fn lateral_view_explode_and_posexplode() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT id, tag, p, v FROM s.x \
         LATERAL VIEW explode(tags) t AS tag \
         LATERAL VIEW OUTER posexplode(vals) pv AS p, v",
        &[("s.x", &["id", "tags", "vals"])],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.x.id (identity)",
            "dw.t.tag <- s.x.tags (transformation)",
            "dw.t.p <- s.x.vals (transformation)",
            "dw.t.v <- s.x.vals (transformation)",
        ]
    );
}

#[test]
fn struct_fields_read_the_struct() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT x.info.city, info.zip AS z FROM s.x x",
        &[("s.x", &["info"])],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.city <- s.x.info (transformation)",
            "dw.t.z <- s.x.info (transformation)",
        ]
    );
}

#[test]
fn temporary_views_and_cached_tables_resolve_through() {
    let lineage = clean(
        "CREATE OR REPLACE TEMPORARY VIEW v AS SELECT id, amt * 2 AS a2 FROM s.o WHERE ok = 1;\n\
         CACHE TABLE c AS SELECT id, name FROM s.u;\n\
         INSERT INTO dw.t SELECT v.id, a2, c.name FROM v JOIN c ON v.id = c.id",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.o.id (identity)",
            "dw.t.a2 <- s.o.amt (transformation)",
            "dw.t.name <- s.u.name (identity)",
        ]
    );
    assert_eq!(
        indirect(&lineage),
        [
            "dw.t <- s.o.id (JOIN)",
            "dw.t <- s.o.ok (FILTER)",
            "dw.t <- s.u.id (JOIN)"
        ]
    );
    assert_eq!(lineage.outputs.len(), 1);
}

#[test]
fn order_by_and_group_by_may_name_select_aliases() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT upper(n) AS un, count(*) AS c FROM s.x GROUP BY un ORDER BY c DESC",
        &[("s.x", &["n"])],
    );
    assert_eq!(indirect(&lineage), ["dw.t <- s.x.n (GROUP_BY)"]);
}

#[test]
fn global_temporary_views_are_read_through_global_temp() {
    let lineage = clean(
        "CREATE GLOBAL TEMPORARY VIEW g AS SELECT id FROM s.o;\n\
         INSERT INTO dw.t SELECT id FROM global_temp.g",
        &[],
    );
    assert_eq!(columns(&lineage), ["dw.t.id <- s.o.id (identity)"]);
}

#[test]
fn nested_with_in_a_subquery_and_derived_column_aliases() {
    let lineage = clean(
        "WITH a AS (SELECT id, v FROM s.x) \
         INSERT INTO dw.t SELECT q.k, q.w FROM ( \
           WITH b AS (SELECT id, v + 1 AS v1 FROM a) SELECT id, v1 FROM b \
         ) q (k, w)",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        ["dw.t.k <- s.x.id (identity)", "dw.t.w <- s.x.v (transformation)"]
    );
}

#[test]
fn a_cte_is_not_visible_in_its_own_definition() {
    let lineage = clean("WITH x AS (SELECT id FROM x) INSERT INTO dw.t SELECT id FROM x", &[]);
    assert_eq!(columns(&lineage), ["dw.t.id <- dflt.x.id (identity)"]);
}

#[test]
fn qualify_and_window_columns() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT id, v FROM s.x QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1",
        &[],
    );
    assert_eq!(
        indirect(&lineage),
        ["dw.t <- s.x.id (FILTER)", "dw.t <- s.x.ts (FILTER)"]
    );
}

#[test]
fn a_lateral_view_does_not_make_the_one_table_uncertain() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT id, tag FROM s.x LATERAL VIEW explode(tags) t AS tag",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        ["dw.t.id <- s.x.id (identity)", "dw.t.tag <- s.x.tags (transformation)"]
    );
    assert!(lineage.unresolved.is_empty(), "{:?}", lineage.unresolved);
}

#[test]
fn a_star_over_a_using_join_lists_the_join_column_once() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT * FROM s.a JOIN s.b USING (id)",
        &[("s.a", &["id", "x"]), ("s.b", &["id", "y"])],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.id <- s.a.id (identity)",
            "dw.t.x <- s.a.x (identity)",
            "dw.t.y <- s.b.y (identity)",
        ]
    );
}
