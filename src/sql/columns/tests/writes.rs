//! Writes: INSERT column lists and positions, partitions, multi-insert, CTAS, views, MERGE.

use super::{clean, columns, indirect};

#[test]
fn insert_column_list_names_the_columns() {
    let lineage = clean("INSERT INTO dw.t (a, b) SELECT x, y + 1 FROM s.x", &[]);
    assert_eq!(
        columns(&lineage),
        ["dw.t.a <- s.x.x (identity)", "dw.t.b <- s.x.y (transformation)"]
    );
}

#[test]
fn insert_is_positional_against_a_known_target() {
    let lineage = clean(
        "INSERT OVERWRITE TABLE dw.t PARTITION (dt = '${bizdate}') SELECT y, x FROM s.x",
        &[("dw.t", &["a", "b", "dt"])],
    );
    assert_eq!(
        columns(&lineage),
        ["dw.t.a <- s.x.y (identity)", "dw.t.b <- s.x.x (identity)"]
    );
    assert_eq!(lineage.outputs[0].static_partitions, ["dt"]);
}

#[test]
fn dynamic_partitions_are_the_last_items() {
    let lineage = clean(
        "INSERT OVERWRITE TABLE dw.t PARTITION (region = 'cn', dt) SELECT a, to_date(ts) FROM s.x",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        ["dw.t.a <- s.x.a (identity)", "dw.t.dt <- s.x.ts (transformation)"]
    );
    assert_eq!(lineage.outputs[0].static_partitions, ["region"]);
}

#[test]
fn multi_insert_gives_each_branch_its_target() {
    let lineage = clean(
        "FROM s.src INSERT OVERWRITE TABLE dw.a SELECT x WHERE k = 1 \
         INSERT INTO TABLE dw.b SELECT y, count(*) AS n GROUP BY y",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.a.x <- s.src.x (identity)",
            "dw.b.y <- s.src.y (identity)",
            "dw.b.n <-  (aggregation)",
        ]
    );
    assert_eq!(
        indirect(&lineage),
        ["dw.a <- s.src.k (FILTER)", "dw.b <- s.src.y (GROUP_BY)"]
    );
}

#[test]
fn two_inserts_into_one_table_merge_by_position() {
    let lineage = clean(
        "INSERT INTO dw.t SELECT a FROM s.x; INSERT INTO dw.t SELECT max(b) FROM s.y",
        &[],
    );
    assert_eq!(columns(&lineage), ["dw.t.a <- s.x.a, s.y.b (aggregation)"]);
}

#[test]
fn ctas_and_views_and_later_reads_of_them() {
    let lineage = clean(
        "CREATE TABLE dw.c AS SELECT id, v AS value FROM s.x;\n\
         CREATE VIEW dw.v (k, total) AS SELECT id, sum(value) FROM dw.c GROUP BY id;\n\
         INSERT INTO dw.t SELECT * FROM dw.v",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        [
            "dw.c.id <- s.x.id (identity)",
            "dw.c.value <- s.x.v (identity)",
            "dw.v.k <- dw.c.id (identity)",
            "dw.v.total <- dw.c.value (aggregation)",
            "dw.t.k <- dw.v.k (identity)",
            "dw.t.total <- dw.v.total (identity)",
        ]
    );
}

#[test]
fn merge_assignments_and_conditions() {
    let lineage = clean(
        "MERGE INTO dw.t t USING (SELECT id, v, op FROM s.x) s ON t.id = s.id \
         WHEN MATCHED AND s.op = 'D' THEN DELETE \
         WHEN MATCHED THEN UPDATE SET t.v = s.v + 1 \
         WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
        &[],
    );
    assert_eq!(
        columns(&lineage),
        ["dw.t.v <- s.x.v (transformation)", "dw.t.id <- s.x.id (identity)",]
    );
    assert_eq!(
        indirect(&lineage),
        [
            "dw.t <- dw.t.id (JOIN)",
            "dw.t <- s.x.id (JOIN)",
            "dw.t <- s.x.op (CONDITIONAL)",
        ]
    );
}

#[test]
fn types_are_derived_where_spark_fixes_them() {
    let lineage = clean(
        "CREATE TABLE dw.c AS SELECT id, sum(amt) AS s, count(1) AS n, avg(q) AS a, \
         CAST(id AS string) AS sid, upper(name) AS un, to_date(ts) AS d, q + q AS qq, \
         amt > 0 AS pos, id + 1 AS unknown_mix FROM s.x GROUP BY id, name",
        &[(
            "s.x",
            &["id:bigint", "amt:decimal(18,2)", "q:int", "name:string", "ts:string"],
        )],
    );
    let types: Vec<String> = lineage.outputs[0]
        .columns
        .iter()
        .map(|c| format!("{}:{}", c.name, c.data_type.as_deref().unwrap_or("?")))
        .collect();
    assert_eq!(
        types,
        [
            "id:bigint",
            "s:decimal(28,2)",
            "n:bigint",
            "a:double",
            "sid:string",
            "un:string",
            "d:date",
            "qq:int",
            "pos:boolean",
            "unknown_mix:?",
        ]
    );
}

#[test]
fn update_assigns_columns_and_filters() {
    let lineage = clean("UPDATE dw.t SET v = v * 2, w = 0 WHERE k = 1", &[]);
    assert_eq!(
        columns(&lineage),
        ["dw.t.v <- dw.t.v (transformation)", "dw.t.w <-  (transformation)"]
    );
    assert_eq!(indirect(&lineage), ["dw.t <- dw.t.k (FILTER)"]);
}

#[test]
fn insert_column_list_with_a_dynamic_partition() {
    let lineage = clean("INSERT INTO dw.t (a, b) PARTITION (dt) SELECT x, y, d FROM s.x", &[]);
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.a <- s.x.x (identity)",
            "dw.t.b <- s.x.y (identity)",
            "dw.t.dt <- s.x.d (identity)",
        ]
    );
}

#[test]
fn use_changes_the_database_of_later_names() {
    let lineage = clean("USE ods; INSERT INTO dw.t SELECT a FROM orders", &[]);
    assert_eq!(columns(&lineage), ["dw.t.a <- ods.orders.a (identity)"]);
}
