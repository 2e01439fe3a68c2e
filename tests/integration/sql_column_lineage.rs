//! `flowc sql lineage --columns`: the JSON and text formats, `--schema` in JSON and
//! YAML (both shapes), unknown and ambiguous columns, and every file of the SQL corpus.

use crate::support::{flowc, flowc_in, repo_root, text};

const INSERT: &str = "\
WITH paid AS (SELECT o.id, o.merchant_id, o.amount FROM ods.orders o WHERE o.status = 'PAID')
INSERT OVERWRITE TABLE dws.gmv PARTITION (dt = '${bizdate}')
SELECT p.merchant_id, m.name AS merchant, sum(p.amount) AS gmv, 'cn' AS region
FROM paid p JOIN dim.merchants m ON p.merchant_id = m.id
GROUP BY p.merchant_id, m.name;
";

fn write_schema(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write schema");
    (dir, path.to_string_lossy().into_owned())
}

#[test]
fn json_lists_columns_and_indirect_sources() {
    let output = flowc(
        &["sql", "lineage", "--columns", "--format", "json", "-"],
        INSERT.as_bytes(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let actual: serde_json::Value = serde_json::from_str(&text(&output.stdout)).expect("JSON");
    let expected = serde_json::json!({
        "sources": ["dim.merchants", "ods.orders"],
        "targets": ["dws.gmv"],
        "columns": [
            {"target": "dws.gmv.merchant_id", "sources": ["ods.orders.merchant_id"], "transformation": "identity"},
            {"target": "dws.gmv.merchant", "sources": ["dim.merchants.name"], "transformation": "identity"},
            {"target": "dws.gmv.gmv", "sources": ["ods.orders.amount"], "transformation": "aggregation"},
            {"target": "dws.gmv.region", "sources": [], "transformation": "transformation"},
        ],
        "indirect": [
            {"target": "dws.gmv", "source": "dim.merchants.id", "kind": "join"},
            {"target": "dws.gmv", "source": "dim.merchants.name", "kind": "group_by"},
            {"target": "dws.gmv", "source": "ods.orders.merchant_id", "kind": "group_by"},
            {"target": "dws.gmv", "source": "ods.orders.merchant_id", "kind": "join"},
            {"target": "dws.gmv", "source": "ods.orders.status", "kind": "filter"},
        ],
    });
    assert_eq!(actual, expected);
}

#[test]
fn without_columns_the_output_is_unchanged() {
    let output = flowc(&["sql", "lineage", "--format", "json", "-"], INSERT.as_bytes());
    assert_eq!(
        text(&output.stdout),
        "{\"sources\": [\"dim.merchants\", \"ods.orders\"], \"targets\": [\"dws.gmv\"]}\n"
    );
}

#[test]
fn text_lists_columns_with_types_from_a_yaml_schema() {
    let (_dir, schema) = write_schema(
        "schema.yaml",
        "ods.orders:\n  - {name: id, type: bigint}\n  - {name: merchant_id, type: bigint}\n  - {name: amount, type: 'decimal(18,2)'}\n  - {name: status, type: string}\ndim.merchants: [id, name]\n",
    );
    let output = flowc(
        &["sql", "lineage", "--columns", "--schema", &schema, "-"],
        INSERT.as_bytes(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "sources:\n  dim.merchants\n  ods.orders\ntargets:\n  dws.gmv\ncolumns:\n\
         \x20 dws.gmv.merchant_id: bigint <- ods.orders.merchant_id (identity)\n\
         \x20 dws.gmv.merchant <- dim.merchants.name (identity)\n\
         \x20 dws.gmv.gmv: decimal(28,2) <- ods.orders.amount (aggregation)\n\
         \x20 dws.gmv.region: string <- (literal) (transformation)\n\
         indirect:\n\
         \x20 dws.gmv <- dim.merchants.id (join)\n\
         \x20 dws.gmv <- dim.merchants.name (group_by)\n\
         \x20 dws.gmv <- ods.orders.merchant_id (group_by)\n\
         \x20 dws.gmv <- ods.orders.merchant_id (join)\n\
         \x20 dws.gmv <- ods.orders.status (filter)\n"
    );
}

#[test]
fn a_json_schema_expands_stars_and_names_insert_positions() {
    let (_dir, schema) = write_schema(
        "schema.json",
        r#"{"ods.orders": ["id", "amount"], "dwd.orders": ["order_id", "order_amount", "dt"]}"#,
    );
    let sql = "INSERT OVERWRITE TABLE dwd.orders PARTITION (dt = '1') SELECT * FROM ods.orders";
    let output = flowc(
        &[
            "sql",
            "lineage",
            "--columns",
            "--schema",
            &schema,
            "--format",
            "json",
            "-",
        ],
        sql.as_bytes(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let actual: serde_json::Value = serde_json::from_str(&text(&output.stdout)).expect("JSON");
    assert_eq!(
        actual["columns"],
        serde_json::json!([
            {"target": "dwd.orders.order_id", "sources": ["ods.orders.id"], "transformation": "identity"},
            {"target": "dwd.orders.order_amount", "sources": ["ods.orders.amount"], "transformation": "identity"},
        ])
    );
}

#[test]
fn an_unknown_column_is_a_located_error_with_a_suggestion() {
    let (_dir, schema) = write_schema(
        "schema.json",
        r#"{"ads.merchant_daily": ["merchant_id", "net_gmv_amt"]}"#,
    );
    let sql = "INSERT INTO ads.top SELECT merchant_id, net_gmv FROM ads.merchant_daily";
    let output = flowc(
        &["sql", "lineage", "--columns", "--schema", &schema, "-"],
        sql.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[Q308]: unknown column `net_gmv`"), "{stderr}");
    assert!(stderr.contains("<stdin>:1:41"), "{stderr}");
    assert!(stderr.contains("did you mean `net_gmv_amt`?"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
}

#[test]
fn an_ambiguous_column_names_both_tables() {
    let (_dir, schema) = write_schema(
        "schema.json",
        r#"{"s.a": ["id", "k"], "s.b": [{"name": "id"}, {"name": "k"}]}"#,
    );
    let sql = "INSERT INTO t.x SELECT id FROM s.a JOIN s.b ON a.k = b.k";
    let output = flowc(
        &["sql", "lineage", "--columns", "--schema", &schema, "-"],
        sql.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[Q309]: column `id` is ambiguous"), "{stderr}");
    assert!(stderr.contains("`s.a` and `s.b`"), "{stderr}");
}

#[test]
fn a_malformed_schema_file_is_a_located_error() {
    let (_dir, schema) = write_schema("schema.yaml", "ods.orders: id\n");
    let output = flowc(&["sql", "lineage", "--columns", "--schema", &schema, "-"], b"SELECT 1");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("the columns of a table are a list"), "{stderr}");
}

#[test]
fn every_corpus_file_has_column_lineage() {
    let corpus = repo_root().join("tests/fixtures/sql/corpus");
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus folder")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        let output = flowc_in(&corpus, &["sql", "lineage", "--columns", "--format", "json", name], b"");
        let parsed: Option<serde_json::Value> = serde_json::from_str(&text(&output.stdout)).ok();
        if !output.status.success() || parsed.is_none_or(|json| !json["columns"].is_array()) {
            failures.push(format!("{name}: {}", text(&output.stderr)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
