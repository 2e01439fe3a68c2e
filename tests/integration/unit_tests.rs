//! `flowc test` end to end: the unit tests of `tests/fixtures/unit_tests` (a window
//! function, a join with a CSV file, a multi-insert, a task reading its own earlier
//! partition, a strong and a weak rule) on the harness's real Spark, a broken SQL
//! change caught with a diff pointing at the test, `--changed` selecting exactly the
//! changed task and its downstream, the report formats, and the exits without Spark.

use std::path::Path;
use std::process::Output;

use crate::spark_harness::spark;
use crate::support::{commit_all, copy_dir, flowc_command, repo_root, text};

/// A copy of the fixture repository.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo_root().join("tests/fixtures/unit_tests"), dir.path());
    dir
}

/// `flowc test` in `dir` with `args`, on the Spark at `master` (none: the variables
/// that would find one are cleared).
fn flowc_test(dir: &Path, master: Option<&str>, args: &[&str]) -> Output {
    let mut command = flowc_command(dir);
    command
        .arg("test")
        .args(args)
        .env_remove("FLOWC_SPARK")
        .env_remove("FLOWC_PYTHON");
    if let Some(master) = master {
        command.args(["--spark", master]);
    }
    command.output().expect("flowc runs")
}

/// Replaces `from` with `to` in the file at `path` (which must hold it).
fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

/// The tests `flowc test --changed --base HEAD` runs in `dir`, all passing.
fn changed_tests(dir: &Path, master: &str) -> Vec<String> {
    let output = flowc_test(dir, Some(master), &["--changed", "--base", "HEAD", "--format", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let names: Vec<String> = outcomes(&json(&output)).into_iter().map(|(name, _)| name).collect();
    let said = format!("{} test(s) of tasks the change since `HEAD` can affect", names.len());
    assert!(text(&output.stderr).contains(&said), "{}", text(&output.stderr));
    names
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", text(&output.stdout), text(&output.stderr)))
}

/// `flow.task test` → outcome, from the JSON report.
fn outcomes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            (
                format!(
                    "{}.{} {}",
                    t["flow"].as_str().unwrap_or(""),
                    t["task"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or("")
                ),
                t["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the local Spark (scripts/test.sh runs it)"]
fn the_fixture_tests_pass_on_spark_in_every_format() {
    let spark = spark();
    let dir = fixture();
    let output = flowc_test(dir.path(), Some(&spark.master()), &["--format", "json"]);
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let report = json(&output);
    assert_eq!(
        outcomes(&report),
        [
            ("shop.dwd_orders latest_version_wins", "pass"),
            ("shop.dwd_orders min_amount_filters", "pass"),
            ("shop.dwd_orders duplicates_fail_the_strong_rule", "pass"),
            ("shop.dws_user_1d refunds_join_their_orders", "pass"),
            ("shop.dws_user_td adds_today_to_yesterday", "pass"),
            ("shop.split_orders one_scan_two_tables", "pass"),
        ]
        .map(|(name, outcome)| (name.to_owned(), outcome.to_owned()))
    );
    // The rules' outcomes were read from their flowc-dq lines, on the given rows.
    let strong = &report["tests"][2]["checks"];
    assert_eq!(strong[0]["got"], "fail", "{strong}");
    assert!(
        strong[0]["line"].as_str().unwrap_or("").contains("observed=1.0"),
        "{strong}"
    );
    assert_eq!(strong[1]["got"], "warn", "{strong}");
    // The multi-insert's two tables were both compared.
    let tables = &report["tests"][5]["tables"];
    assert_eq!(tables.as_array().map(Vec::len), Some(2), "{tables}");
    assert_eq!(tables[1]["written_rows"], 1, "{tables}");
    // No database of the run is left on a Spark that outlives it.
    let left = spark.databases();
    assert!(left.iter().all(|db| !db.starts_with("flowc_test_")), "{left:?}");

    let output = flowc_test(
        dir.path(),
        Some(&spark.master()),
        &[
            "--format",
            "junit",
            "shop.dwd_orders",
            "shop.split_orders.one_scan_two_tables",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let xml = text(&output.stdout);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuites name=\"flowc test\" tests=\"4\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("classname=\"shop.dwd_orders\" name=\"latest_version_wins\" file=\"flows/shop/tests/dwd_orders.yaml\" line=\"3\""), "{xml}");
}

#[test]
#[ignore = "needs the local Spark (scripts/test.sh runs it)"]
fn a_broken_sql_change_fails_its_test_with_a_diff_that_points_at_the_test() {
    let spark = spark();
    let dir = fixture();
    replace_in(
        &dir.path().join("flows/shop/dwd_orders.sql"),
        "updated_at DESC",
        "updated_at ASC",
    );
    let output = flowc_test(dir.path(), Some(&spark.master()), &["shop.dwd_orders"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let human = text(&output.stdout);
    for line in [
        "FAIL  shop.dwd_orders latest_version_wins",
        "PASS  shop.dwd_orders min_amount_filters",
        "--- FAIL shop.dwd_orders latest_version_wins",
        "  --> flows/shop/tests/dwd_orders.yaml:3:11",
        "  dwd.orders_di: 2 row(s) expected, 2 written",
        "    row 1 (flows/shop/tests/dwd_orders.yaml:16:11) differs:",
        "        amount: expected 12.50, got 10.00",
        "        is_paid: expected true, got false",
        "        updated_at: expected 2024-03-05 09:30:00, got 2024-03-05 08:00:00",
        "3 test(s): 2 passed, 1 failed, 0 error(s)",
    ] {
        assert!(human.contains(line), "missing {line:?} in:\n{human}");
    }

    let output = flowc_test(
        dir.path(),
        Some(&spark.master()),
        &["--format", "github", "shop.dwd_orders"],
    );
    let annotations = text(&output.stdout);
    let first = annotations.lines().next().unwrap_or("");
    assert!(
        first.starts_with("::error file=flows/shop/tests/dwd_orders.yaml,line=3,col=11,title=flowc test%3A shop.dwd_orders latest_version_wins::"),
        "{annotations}"
    );
    assert!(first.contains("amount: expected 12.50, got 10.00%0A"), "{first}");
    assert_eq!(
        annotations.lines().filter(|l| l.starts_with("::error")).count(),
        1,
        "{annotations}"
    );
}

#[test]
#[ignore = "needs the local Spark (scripts/test.sh runs it)"]
fn changed_runs_the_tests_of_the_changed_task_and_its_downstream() {
    let spark = spark();
    let dir = fixture();
    let repository = git2::Repository::init(dir.path()).expect("git init");
    commit_all(&repository, "shop");
    // dws_user_1d computes the same rows another way: its tests and those of
    // dws_user_td, which reads it, run; dwd_orders (upstream) and split_orders
    // (a sibling) do not.
    let sql = dir.path().join("flows/shop/dws_user_1d.sql");
    replace_in(&sql, "WITH paid AS", "WITH paid_orders AS");
    replace_in(&sql, "FROM paid p", "FROM paid_orders p");
    assert_eq!(
        changed_tests(dir.path(), &spark.master()),
        [
            "shop.dws_user_1d refunds_join_their_orders",
            "shop.dws_user_td adds_today_to_yesterday"
        ]
    );

    // A test file changed on its own: its tests run, and only they.
    commit_all(&repository, "rename the CTE");
    replace_in(
        &dir.path().join("flows/shop/tests/split_orders.yaml"),
        "{order_id: 2, amount: 99.99}",
        "{order_id: 2, amount: 99.990}",
    );
    assert_eq!(
        changed_tests(dir.path(), &spark.master()),
        ["shop.split_orders one_scan_two_tables"]
    );
}

#[test]
fn without_java_or_pyspark_flowc_test_says_what_to_install_and_exits_2() {
    let dir = fixture();
    let empty = tempfile::tempdir().expect("tempdir");
    let output = flowc_command(dir.path())
        .arg("test")
        .env_remove("FLOWC_SPARK")
        .env_remove("FLOWC_PYTHON")
        .env_remove("JAVA_HOME")
        .env("PATH", empty.path())
        .output()
        .expect("flowc runs");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(stderr.contains("install") || stderr.contains("FLOWC_"), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}

#[test]
fn unknown_targets_exit_2_and_no_tests_is_not_a_failure() {
    let dir = fixture();
    let output = flowc_test(dir.path(), None, &["shop.nope"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("flow `shop` has no task `nope`; there are: dwd_orders"),
        "{}",
        text(&output.stderr)
    );
    let output = flowc_test(dir.path(), None, &["shop.dwd_orders.latest_versoin_wins"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr)
            .contains("task `shop.dwd_orders` has no test `latest_versoin_wins`; did you mean `latest_version_wins`?"),
        "{}",
        text(&output.stderr)
    );
    std::fs::remove_dir_all(dir.path().join("flows/shop/tests")).expect("rm tests");
    let output = flowc_test(dir.path(), None, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "no tests to run\n");
}

#[test]
fn a_repository_with_errors_is_not_tested() {
    let dir = fixture();
    replace_in(
        &dir.path().join("flows/shop/tests/dwd_orders.yaml"),
        "is_paid: true",
        "is_paid: maybe",
    );
    let output = flowc_test(dir.path(), None, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error[T804]"), "{stderr}");
    assert!(stderr.contains("flowc test runs once `flowc check` passes"), "{stderr}");
}

#[test]
#[ignore = "needs the local Spark (scripts/test.sh runs it)"]
fn the_examples_tests_pass_and_catch_a_broken_window() {
    let spark = spark();
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo_root().join("examples/wingpay"), dir.path());
    let output = flowc_test(dir.path(), Some(&spark.master()), &["--format", "json"]);
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let report = json(&output);
    assert_eq!(report["summary"]["tests"], 15, "{}", report["summary"]);
    assert_eq!(report["summary"]["passed"], 15, "{}", report["summary"]);

    // Keeping the first version of an order instead of the last: the test that feeds
    // it three versions fails, and says where and how.
    replace_in(
        &dir.path().join("flows/payments/dwd_pay_order.sql"),
        "ORDER BY o.gmt_modified DESC",
        "ORDER BY o.gmt_modified ASC",
    );
    let output = flowc_test(dir.path(), Some(&spark.master()), &["payments.dwd_pay_order"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let human = text(&output.stdout);
    assert!(
        human.contains("FAIL  payments.dwd_pay_order latest_version_wins"),
        "{human}"
    );
    assert!(
        human.contains(
            "--- FAIL payments.dwd_pay_order latest_version_wins\n  --> flows/payments/tests/dwd_pay_order.yaml:"
        ),
        "{human}"
    );
    assert!(
        human.contains("order_status: expected REFUNDED, got PROCESSING"),
        "{human}"
    );
}

#[test]
#[ignore = "needs the local Spark (scripts/test.sh runs it)"]
fn the_scaffolds_tests_pass() {
    let spark = spark();
    let dir = tempfile::tempdir().expect("tempdir");
    let init = flowc_command(dir.path())
        .args(["init", "--project", "shop"])
        .output()
        .expect("flowc runs");
    assert!(init.status.success(), "{}", text(&init.stderr));
    let output = flowc_test(dir.path(), Some(&spark.master()), &[]);
    assert!(
        output.status.success(),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        text(&output.stdout).contains("2 test(s): 2 passed, 0 failed, 0 error(s)"),
        "{}",
        text(&output.stdout)
    );
}
