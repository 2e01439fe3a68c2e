//! `flowc sql lineage`: the corpus, stdin, output formats, diagnostics and exit codes.

use std::path::PathBuf;

use crate::support::{flowc, flowc_in, repo_root, text};

fn corpus_dir() -> PathBuf {
    repo_root().join("tests/fixtures/sql/corpus")
}

#[test]
fn corpus_reads_and_writes_match_expectations() {
    let mut cases: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder exists")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).expect("utf-8 file name");
        let expected_path = case.with_extension("json");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).expect("expectation exists"))
                .expect("expectation is JSON");
        let output = flowc_in(&corpus_dir(), &["sql", "lineage", "--format", "json", name], b"");
        let stdout = text(&output.stdout);
        let actual: Option<serde_json::Value> = serde_json::from_str(&stdout).ok();
        if !output.status.success() || actual.as_ref() != Some(&expected) {
            failures.push(format!(
                "{name}: expected {expected}, got {stdout}{}",
                text(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn stdin_with_multi_insert_and_ctas() {
    let sql = "\
CREATE TABLE tmp.snapshot USING parquet PARTITIONED BY (dt) AS
SELECT id, dt FROM ods.orders;
FROM ods.events e
INSERT OVERWRITE TABLE dwd.clicks PARTITION (dt='${bizdate}') SELECT e.id WHERE e.kind = 'click'
INSERT OVERWRITE TABLE dwd.views PARTITION (dt='${bizdate}') SELECT e.id WHERE e.kind = 'view';
";
    let output = flowc(&["sql", "lineage", "--format", "json", "-"], sql.as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "{\"sources\": [\"ods.events\", \"ods.orders\"], \
         \"targets\": [\"dwd.clicks\", \"dwd.views\", \"tmp.snapshot\"]}\n"
    );
}

#[test]
fn stdin_is_the_default_input_and_text_is_the_default_format() {
    let output = flowc(
        &["sql", "lineage"],
        b"INSERT INTO a.t SELECT * FROM b.s JOIN b.r USING (id)",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "sources:\n  b.r\n  b.s\ntargets:\n  a.t\n");
}

#[test]
fn default_db_qualifies_unqualified_names_until_use() {
    let sql = "INSERT INTO t1 SELECT * FROM s1;\nUSE other;\nINSERT INTO t2 SELECT * FROM ods.s2;";
    let output = flowc(
        &["sql", "lineage", "--default-db", "DWD", "--format", "json"],
        sql.as_bytes(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "{\"sources\": [\"dwd.s1\", \"ods.s2\"], \"targets\": [\"dwd.t1\", \"other.t2\"]}\n"
    );
}

/// Runs `flowc sql lineage -` on `sql`, which must fail with exit code 1, and returns
/// the rendered diagnostics.
fn diagnostics_of(sql: &str) -> String {
    let output = flowc(&["sql", "lineage", "--format", "json", "-"], sql.as_bytes());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "no lineage is printed for a broken file");
    text(&output.stderr)
}

#[test]
fn syntax_error_after_placeholder_on_the_same_line() {
    insta::assert_snapshot!(diagnostics_of(
        "INSERT OVERWRITE TABLE dwd.t PARTITION (dt='${bizdate}') SELECT a, FROM ods.s;\n"
    ));
}

#[test]
fn syntax_error_in_the_second_of_three_statements() {
    insta::assert_snapshot!(diagnostics_of(
        "SET spark.sql.shuffle.partitions=10;\n\
         SELECT a, count(*)\nFROM ods.s\nGROUP BY a HAVING count(*) > > 1;\n\
         INSERT INTO dwd.t SELECT * FROM ods.s;\n"
    ));
}

#[test]
fn two_broken_statements_are_both_reported() {
    insta::assert_snapshot!(diagnostics_of(
        "SELECT * FROM ods.a WHERE;\nSELECT 1;\nINSERT INTO TABLE SELECT 1;\n"
    ));
}

#[test]
fn unterminated_jinja_expression() {
    insta::assert_snapshot!(diagnostics_of("SELECT * FROM ods.a\nWHERE dt = '{{ ds'\n"));
}

#[test]
fn empty_file_is_an_error() {
    insta::assert_snapshot!(diagnostics_of("-- nothing to run yet\n"));
}

#[test]
fn missing_file_is_a_failure_of_flowc() {
    let output = flowc(&["sql", "lineage", "no/such/file.sql"], b"");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot read `no/such/file.sql`"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn non_utf8_file_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("latin1.sql"), b"SELECT 'caf\xe9' FROM ods.a").expect("file written");
    let output = flowc_in(dir.path(), &["sql", "lineage", "latin1.sql"], b"");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error[L101]") && stderr.contains("latin1.sql:1:12"),
        "{stderr}"
    );
}

#[test]
fn hostile_input_is_reported_not_crashed_on() {
    let deep = format!("SELECT {}1{} FROM t", "(".repeat(10_000), ")".repeat(10_000));
    let inputs: [&[u8]; 6] = [
        deep.as_bytes(),
        b"SELECT (((a FROM t; SELECT b)))",
        b"${",
        b"\x01\x02\x03\x7f ;; '",
        b"FROM",
        b"CREATE TABLE t USING parquet PARTITIONED BY",
    ];
    for input in inputs {
        let output = flowc(&["sql", "lineage", "-"], input);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("error["), "{}", text(&output.stderr));
    }
}

/// The excerpt of a syntax error never shows a secret on its line (issue 14).
#[test]
fn a_secret_on_a_line_with_a_syntax_error_is_masked() {
    let sql = b"SELEC * FROM a -- password=LineageSecret1 ghp_0123456789abcdefghijABCDEFGHIJ012345\n";
    let output = flowc(&["sql", "lineage"], sql);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[Q301]"), "{stderr}");
    assert!(stderr.contains("password=**************"), "{stderr}");
    assert!(
        !stderr.contains("LineageSecret1") && !stderr.contains("ghp_0123"),
        "{stderr}"
    );
}
