//! Checks against known schemas: unknown and ambiguous columns, unresolved reads.

use super::{columns, lineage};

#[test]
fn an_unknown_column_of_a_known_table_is_located_with_a_suggestion() {
    let sql = "INSERT INTO dw.t SELECT net_gmv FROM ads.m";
    let lineage = lineage(sql, &[("ads.m", &["net_gmv_amt", "dt"])]);
    let [diagnostic] = lineage.diagnostics.as_slice() else {
        panic!("{:#?}", lineage.diagnostics)
    };
    assert_eq!(diagnostic.code.as_str(), "Q308");
    assert_eq!(diagnostic.message, "unknown column `net_gmv`");
    let span = diagnostic.span.expect("located");
    assert_eq!(&sql[span.range()], "net_gmv");
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `net_gmv_amt`?"));
}

#[test]
fn a_qualified_unknown_column_and_one_missing_from_a_cte() {
    let sql = "WITH c AS (SELECT id FROM s.a) INSERT INTO dw.t SELECT a.idd, c.nope FROM s.a a JOIN c ON a.id = c.id";
    let lineage = lineage(sql, &[("s.a", &["id"])]);
    let found: Vec<(&str, &str)> = lineage
        .diagnostics
        .iter()
        .map(|d| (&sql[d.span.expect("located").range()], d.code.as_str()))
        .collect();
    assert_eq!(found, [("a.idd", "Q308"), ("c.nope", "Q308")]);
}

#[test]
fn an_unqualified_column_of_two_tables_is_ambiguous() {
    let sql = "INSERT INTO dw.t SELECT id FROM s.a JOIN s.b ON a.k = b.k";
    let lineage = lineage(sql, &[("s.a", &["id", "k"]), ("s.b", &["id", "k"])]);
    let [diagnostic] = lineage.diagnostics.as_slice() else {
        panic!("{:#?}", lineage.diagnostics)
    };
    assert_eq!(diagnostic.code.as_str(), "Q309", "{diagnostic:#?}");
    assert_eq!(
        diagnostic.label.as_deref().unwrap_or_default(),
        "it is a column of `s.a` and `s.b`"
    );
}

#[test]
fn unknown_schemas_are_recorded_never_guessed() {
    let lineage = lineage(
        "INSERT INTO dw.t SELECT a, b.c, d FROM s.x JOIN s.y b ON x.k = b.k",
        &[("s.y", &["k", "c"])],
    );
    assert!(lineage.diagnostics.is_empty(), "{:#?}", lineage.diagnostics);
    // Not in the known table, so maybe in the unknown one: recorded, not guessed.
    assert_eq!(
        columns(&lineage),
        [
            "dw.t.a <-  (identity)",
            "dw.t.c <- s.y.c (identity)",
            "dw.t.d <-  (identity)"
        ]
    );
    let unresolved: Vec<String> = lineage
        .unresolved
        .iter()
        .map(|r| format!("{:?} {}", r.table.as_ref().map(ToString::to_string), r.column))
        .collect();
    assert_eq!(unresolved, ["Some(\"s.x\") a", "Some(\"s.x\") d"]);
    // With one relation, the column is certainly its table's.
    let lineage = super::lineage("INSERT INTO dw.t SELECT a FROM s.x", &[]);
    assert_eq!(columns(&lineage), ["dw.t.a <- s.x.a (identity)"]);
    let lineage = super::lineage("INSERT INTO dw.t SELECT a FROM s.x JOIN s.z ON x.k = z.k", &[]);
    let unresolved: Vec<String> = lineage
        .unresolved
        .iter()
        .map(|r| format!("{:?} {}", r.table.as_ref().map(ToString::to_string), r.column))
        .collect();
    assert_eq!(unresolved, ["None a"]);
    assert_eq!(columns(&lineage), ["dw.t.a <-  (identity)"]);
}

#[test]
fn reads_are_recorded_with_their_spans() {
    let sql = "INSERT INTO dw.t SELECT a FROM s.x WHERE b = 1";
    let lineage = lineage(sql, &[]);
    let reads: Vec<String> = lineage
        .reads
        .iter()
        .map(|r| format!("{} {}", r.column, &sql[r.span.range()]))
        .collect();
    assert_eq!(reads, ["s.x.a a", "s.x.b b"]);
}

#[test]
fn placeholders_and_niladic_functions_are_no_columns() {
    let lineage = lineage(
        "INSERT INTO dw.t SELECT a, current_date AS d FROM s.x WHERE dt = ${bizdate}",
        &[("s.x", &["a", "dt"])],
    );
    assert!(lineage.diagnostics.is_empty(), "{:#?}", lineage.diagnostics);
}
