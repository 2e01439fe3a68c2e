//! `flowc ddl` and the `ddl.sql` compile writes: the example's tables in every
//! environment, the located errors of a table whose column types flowc cannot know
//! (R614) or whose declarations disagree with its DataX job (R615), hostile
//! descriptions, and — with the local Spark — the DDL applied for real, twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::spark_harness::{Spark, spark};
use crate::spark_runs::{ddl, on_local_warehouse};
use crate::support::{example, flowc, repo_root, text};

fn fixture(case: &str) -> std::path::PathBuf {
    repo_root().join("tests/fixtures/ddl").join(case)
}

/// `flowc ddl REPO --env ENV`: exit code, stdout, stderr.
fn run_ddl(repo: &Path, env: &str) -> (Option<i32>, String, String) {
    let output = flowc(&["ddl", &repo.display().to_string(), "--env", env], b"");
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// The warehouse tables the example's tasks read or write (`flowc graph`), in
/// production names: two-part names (a source system's tables have three).
fn example_tables() -> BTreeSet<String> {
    let output = flowc(&["graph", &example().display().to_string()], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            line.strip_prefix("reads:").or_else(|| line.strip_prefix("writes:"))
        })
        .flat_map(|list| list.split(',').map(|t| t.trim().to_owned()).collect::<Vec<_>>())
        .filter(|name| {
            name.split('.').count() == 2 && !name.starts_with("bank_sftp.") && !name.starts_with("risk_hbase.")
        })
        .collect()
}

/// The tables a DDL text creates, in order.
fn created_tables(sql: &str) -> Vec<String> {
    sql.lines()
        .filter_map(|line| line.strip_prefix("CREATE TABLE IF NOT EXISTS "))
        .map(|rest| rest.trim_end_matches(" (").replace('`', ""))
        .collect()
}

#[test]
fn the_example_gets_a_table_for_everything_it_reads_and_writes_in_every_environment() {
    let wanted = example_tables();
    assert!(wanted.len() >= 40, "{wanted:?}");
    for (env, prefix) in [("dev", "dev_"), ("prod", "")] {
        let (code, stdout, stderr) = run_ddl(&example(), env);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.is_empty(), "no warnings expected: {stderr}");
        let created: BTreeSet<String> = created_tables(&stdout).into_iter().collect();
        for table in &wanted {
            let name = format!("{prefix}{table}");
            assert!(created.contains(&name), "{env}: no CREATE TABLE for {name}");
        }
        assert!(
            created.contains(&format!("{prefix}dq.results")),
            "{env}: the results table"
        );
        assert_eq!(created.len(), wanted.len() + 1, "{env}: {created:?}");
        let databases: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("CREATE DATABASE IF NOT EXISTS "))
            .collect();
        let expected: Vec<String> = ["ads", "dim", "dq", "dwd", "dws", "ods"]
            .iter()
            .map(|d| format!("`{prefix}{d}`;"))
            .collect();
        assert_eq!(databases, expected, "{env}");
        if env == "dev" {
            insta::assert_snapshot!("wingpay_dev_ddl", stdout);
        }
    }
}

#[test]
fn the_example_compiles_the_same_ddl_into_each_environment() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc(
        &[
            "compile",
            &example().display().to_string(),
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    for env in ["dev", "prod"] {
        let written = std::fs::read_to_string(out.path().join(env).join("ddl.sql")).expect("ddl.sql");
        let (_, printed, _) = run_ddl(&example(), env);
        assert_eq!(written, printed, "{env}: compile and flowc ddl differ");
        let manifest = std::fs::read_to_string(out.path().join(env).join("manifest.json")).expect("manifest");
        assert!(
            manifest.contains("\"ddl.sql\""),
            "{env}: ddl.sql is not in the manifest"
        );
    }
}

#[test]
fn a_git_revision_gives_the_ddl_of_its_files_and_an_unknown_environment_exits_2() {
    let (dir, _git) = crate::support::example_repository("");
    let repo = dir.path().display().to_string();
    let from_git = flowc(&["ddl", &repo, "--env", "dev", "--rev", "HEAD"], b"");
    assert!(from_git.status.success(), "{}", text(&from_git.stderr));
    let (_, from_files, _) = run_ddl(dir.path(), "dev");
    assert_eq!(text(&from_git.stdout), from_files);
    let (code, stdout, stderr) = run_ddl(dir.path(), "staging");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stdout.is_empty() && stderr.contains("no environment `staging`"),
        "{stderr}"
    );
}

#[test]
fn unknown_column_types_are_located_errors_and_nothing_is_printed() {
    let (code, stdout, stderr) = run_ddl(&fixture("unknown_column_types"), "dev");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty(), "DDL printed despite errors: {stdout}");
    assert_eq!(stderr.matches("error[R614]").count(), 2, "{stderr}");
    insta::assert_snapshot!("unknown_column_types", stderr);
}

#[test]
fn compile_leaves_tables_of_unknown_types_out_with_a_warning() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc(
        &[
            "compile",
            &fixture("unknown_column_types").display().to_string(),
            "--env",
            "dev",
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("warning[R614]").count(), 2, "{stderr}");
    let written = std::fs::read_to_string(out.path().join("dev/ddl.sql")).expect("ddl.sql");
    assert!(written.contains("\n-- Left out, each with why:\n"), "{written}");
    assert!(
        written.contains("-- dev_dws.order_score: task `pay.score` (ml) writes it, and flowc cannot see the columns it writes (R614)\n"),
        "{written}"
    );
    assert!(written.contains("-- dev_dwd.orders_daily: "), "{written}");
    assert!(
        written.contains("CREATE TABLE IF NOT EXISTS `dev_ods`.`orders`"),
        "{written}"
    );
}

#[test]
fn a_declaration_that_disagrees_with_the_datax_job_is_located() {
    let (code, stdout, stderr) = run_ddl(&fixture("storage_mismatch"), "dev");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.matches("error[R615]").count(), 2, "{stderr}");
    insta::assert_snapshot!("storage_mismatch", stderr);
    // Compile fails on it too: a table read in another layout than it is written.
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc(
        &[
            "compile",
            &fixture("storage_mismatch").display().to_string(),
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("error[R615]"));
}

/// The hostile fixture's texts, as written in its flow.yaml (YAML escapes undone).
const HOSTILE: [&str; 4] = [
    "it's a \\'); DROP TABLE dwd.orders; -- */ /* ${env} {{ ds }} `x` \"q\"\nsecond line 订单",
    "day'); DROP DATABASE dwd CASCADE; --",
    "*/ SELECT 1; /*",
    "back\\slash \\' and tab\tend",
];

#[test]
fn hostile_descriptions_stay_inside_their_literals() {
    let (code, stdout, stderr) = run_ddl(&fixture("hostile"), "dev");
    assert_eq!(code, Some(0), "{stderr}");
    // One statement per `;` at a line's end, and no other `;`, `--` or quote outside
    // the header comment.
    let body: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("-- ")).collect();
    let body = body.join("\n");
    assert_eq!(body.matches(';').count(), 2, "{body}");
    assert!(
        !body.contains("--") && !body.contains("/*") && !body.contains("*/"),
        "{body}"
    );
    for line in body.lines() {
        assert_eq!(line.matches('\'').count() % 2, 0, "an unbalanced quote: {line}");
    }
    assert!(body.contains("second line 订单"), "{body}");
}

/// `DESCRIBE FORMATTED` of a table, as (column, type, comment) rows before the
/// partition section, its partition columns, and its detailed table information.
struct Described {
    columns: Vec<(String, String, String)>,
    partitions: Vec<(String, String)>,
    info: BTreeMap<String, String>,
}

fn describe(spark: &Spark, table: &str) -> Described {
    parse_described(spark.sql(&format!("DESCRIBE FORMATTED {table}")))
}

/// `DESCRIBE FORMATTED` of each table, in one client call.
fn describe_all<'a>(spark: &Spark, tables: impl Iterator<Item = &'a String>) -> Vec<Vec<Vec<String>>> {
    let statements: Vec<String> = tables.map(|t| format!("DESCRIBE FORMATTED {t}")).collect();
    spark.sql_each(&statements)
}

fn parse_described(rows: Vec<Vec<String>>) -> Described {
    let mut described = Described {
        columns: Vec::new(),
        partitions: Vec::new(),
        info: BTreeMap::new(),
    };
    let mut section = 0;
    for row in rows {
        let cell = |i: usize| row.get(i).map_or("", |c| c.trim()).to_owned();
        let name = cell(0);
        if name.starts_with("# Partition Information") {
            section = 1;
        } else if name.starts_with("# Detailed Table Information") {
            section = 2;
        } else if !name.is_empty() && !name.starts_with('#') {
            match section {
                // A comment holding a tab spans several cells.
                0 => described.columns.push((
                    name,
                    cell(1),
                    row.get(2..)
                        .map_or_else(String::new, |c| c.join("\t"))
                        .trim()
                        .to_owned(),
                )),
                1 => described.partitions.push((name, cell(1))),
                _ => {
                    described.info.insert(name, cell(1));
                }
            }
        }
    }
    // Spark lists partition columns among the columns too.
    let partition_names: BTreeSet<&String> = described.partitions.iter().map(|(n, _)| n).collect();
    described.columns.retain(|(name, _, _)| !partition_names.contains(name));
    described
}

/// A table as its CREATE TABLE statement in the DDL says: columns (name, type) and
/// partition columns, format, location.
struct Expected {
    columns: Vec<(String, String)>,
    partitions: Vec<(String, String)>,
    format: &'static str,
    delimited: bool,
    location: Option<String>,
}

/// Reads the statements back: each column line `  `name` type[ COMMENT '…'],`.
fn expected_tables(sql: &str) -> BTreeMap<String, Expected> {
    let mut tables = BTreeMap::new();
    for statement in sql.split(";\n") {
        let Some(start) = statement.find("CREATE TABLE IF NOT EXISTS ") else {
            continue;
        };
        let statement = &statement[start..];
        let name = statement["CREATE TABLE IF NOT EXISTS ".len()..]
            .split_once(" (")
            .map(|(n, _)| n.replace('`', ""))
            .expect("a table name");
        let column = |text: &str| {
            let text = text.trim().trim_end_matches(',');
            let text = text.split(" COMMENT ").next().unwrap_or(text);
            let (name, data_type) = text.split_once(' ').expect("name and type");
            (name.replace('`', ""), data_type.to_owned())
        };
        let columns = statement
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .map(column)
            .collect();
        let partitions = statement
            .lines()
            .find_map(|l| l.strip_prefix("PARTITIONED BY (").and_then(|l| l.strip_suffix(')')))
            .map(|list| list.split(", `").map(column).collect())
            .unwrap_or_default();
        let format = if statement.contains("STORED AS PARQUET") {
            "parquet"
        } else if statement.contains("STORED AS TEXTFILE") {
            "text"
        } else {
            "orc"
        };
        let location = statement
            .lines()
            .find_map(|l| l.strip_prefix("LOCATION '"))
            .map(|l| l.trim_end_matches('\'').to_owned());
        tables.insert(
            name,
            Expected {
                columns,
                partitions,
                format,
                delimited: statement.contains("ROW FORMAT DELIMITED"),
                location,
            },
        );
    }
    tables
}

/// Checks every table of `sql` in `spark`: SHOW TABLES lists exactly them, and each
/// has the DDL's columns, partitions, format and location.
/// Asserts that `sql` was applied as written; returns each table's `DESCRIBE FORMATTED`
/// rows.
fn assert_applied(spark: &Spark, sql: &str, env: &str) -> Vec<Vec<Vec<String>>> {
    let expected = expected_tables(sql);
    let databases: BTreeSet<&str> = expected
        .keys()
        .filter_map(|t| t.split_once('.').map(|(d, _)| d))
        .collect();
    let mut listed = BTreeSet::new();
    for database in &databases {
        // Rows: namespace, table, temporary; or the table alone.
        for row in spark.sql(&format!("SHOW TABLES IN {database}")) {
            let cells: Vec<&str> = row.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
            if let Some(table) = if cells.len() >= 2 { cells.get(1) } else { cells.first() } {
                listed.insert(format!("{database}.{table}"));
            }
        }
    }
    let wanted: BTreeSet<String> = expected.keys().cloned().collect();
    assert_eq!(listed, wanted, "{env}: SHOW TABLES");
    let described = describe_all(spark, expected.keys());
    for ((table, want), rows) in expected.iter().zip(&described) {
        let got = parse_described(rows.clone());
        let columns: Vec<(String, String)> = got.columns.iter().map(|(n, t, _)| (n.clone(), t.clone())).collect();
        assert_eq!(columns, want.columns, "{env}: columns of {table}");
        assert_eq!(got.partitions, want.partitions, "{env}: partitions of {table}");
        let serde = got
            .info
            .get("Serde Library")
            .cloned()
            .unwrap_or_default()
            .to_lowercase();
        let input = got.info.get("InputFormat").cloned().unwrap_or_default().to_lowercase();
        match want.format {
            "orc" => assert!(serde.contains("orc"), "{env}: {table} is {serde}"),
            "parquet" => assert!(serde.contains("parquet"), "{env}: {table} is {serde}"),
            _ => {
                assert!(want.delimited);
                assert!(
                    serde.contains("lazysimpleserde") && input.contains("text"),
                    "{env}: {table} is {serde}, {input}"
                );
            }
        }
        if let Some(location) = &want.location {
            let got = got.info.get("Location").cloned().unwrap_or_default();
            let path = location.trim_start_matches("file:").trim_start_matches("//");
            assert!(
                got.ends_with(path),
                "{env}: {table} is at {got}, the DDL says {location}"
            );
        }
    }
    described
}

#[test]
#[ignore = "needs Spark (Java 17 and .venv/spark): run by scripts/test.sh"]
fn ddl_applies_on_spark() {
    let spark = spark();
    let repo = on_local_warehouse(&example(), &spark);
    for env in ["dev", "prod"] {
        let sql = ddl(repo.path(), env);
        assert!(
            sql.contains("LOCATION 'file:"),
            "{env}: the synced tables are on the local warehouse"
        );
        spark.sql(&sql);
        let described = assert_applied(&spark, &sql, env);
        // Applying it again changes nothing.
        spark.sql(&sql);
        let again = describe_all(&spark, expected_tables(&sql).keys());
        assert_eq!(described, again, "{env}: a second apply changed a table");
    }
    let databases = spark.databases();
    let dev: Vec<&String> = databases.iter().filter(|d| d.starts_with("dev_")).collect();
    assert_eq!(dev.len(), 6, "{databases:?}");
}

#[test]
#[ignore = "needs Spark (Java 17 and .venv/spark): run by scripts/test.sh"]
fn hostile_descriptions_reach_spark_exactly() {
    let spark = spark();
    let (code, sql, stderr) = run_ddl(&fixture("hostile"), "dev");
    assert_eq!(code, Some(0), "{stderr}");
    spark.sql(&sql);
    let described = describe(&spark, "dev_dwd.orders");
    let comments: Vec<&str> = described.columns.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(comments, [HOSTILE[2], HOSTILE[3]]);
    // A comment holding a newline spans two output lines.
    let formatted: Vec<String> = spark
        .sql("DESCRIBE FORMATTED dev_dwd.orders")
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.trim())
                .collect::<Vec<_>>()
                .join("\t")
                .trim_end()
                .to_owned()
        })
        .collect();
    let formatted = formatted.join("\n");
    assert!(formatted.contains(&format!("Comment\t{}", HOSTILE[0])), "{formatted}");
    let partition = spark.sql("DESCRIBE dev_dwd.orders");
    assert!(
        partition
            .iter()
            .any(|row| row.get(2).is_some_and(|c| c.trim() == HOSTILE[1])),
        "{partition:?}"
    );
    assert_eq!(spark.sql("SHOW TABLES IN dev_dwd").len(), 1, "nothing else was created");
}
