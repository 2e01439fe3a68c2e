//! `cargo bench --bench unit_tests`: how long `flowc test` takes on a real local Spark.
//!
//! Runs the `flowc` binary, as a user would, on (1) the example's tests and (2) 200
//! tests generated for the shop of `tests/fixtures/unit_tests` (varied rows for its
//! window function, join, multi-insert and own-partition tasks; one in ten also runs
//! the strong and the weak rule), each run starting one Spark for all its tests, and
//! prints for each: the Spark's start-up, the total after start-up, the time per test
//! after start-up (total / tests), and the median and slowest single test — with 1 and
//! 2 tests at a time. Needs Java 17 and the pyspark of `.venv/spark`
//! (`scripts/spark-venv.sh`), or `FLOWC_PYTHON`. Under `cargo test --all-targets` (no
//! `--bench`) it only generates the 200 tests and checks them, without Spark.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const GENERATED: usize = 200;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The shop fixture with `count` generated tests instead of its own.
fn generate(root: &Path, count: usize) {
    copy_dir(&repo_root().join("tests/fixtures/unit_tests"), root);
    let tests = root.join("flows/shop/tests");
    for entry in std::fs::read_dir(&tests).expect("tests") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::remove_file(path).expect("rm");
        }
    }
    let mut yaml = String::from("tests:\n");
    for n in 0..count {
        let day = 1 + n % 28;
        let date = format!("2024-03-{day:02}");
        let orders = 1 + n % 5;
        match n % 4 {
            0 => {
                let _ = writeln!(
                    yaml,
                    "  - name: orders_{n}\n    task: dwd_orders\n    date: {date}\n    given:\n      ods.orders:"
                );
                for o in 0..orders {
                    for version in 0..2 {
                        let _ = writeln!(
                            yaml,
                            "        - {{order_id: {o}, user_id: {}, amount: {}.{version}0, status: {}, tags: \"a,b\", updated_at: \"{date} 0{version}:00:00\"}}",
                            n + o,
                            10 + o,
                            if version == 1 { "PAID" } else { "CREATED" }
                        );
                    }
                }
                let _ = writeln!(yaml, "    expect:\n      dwd.orders_di:");
                for o in 0..orders {
                    let _ = writeln!(
                        yaml,
                        "        - {{order_id: {o}, amount: {}.10, is_paid: true, tag_count: 2}}",
                        10 + o
                    );
                }
                if n % 10 == 0 {
                    let _ = writeln!(yaml, "    checks: {{one_row_per_order: pass, amount_in_range: pass}}");
                }
            }
            1 => {
                let _ = writeln!(
                    yaml,
                    "  - name: users_{n}\n    task: dws_user_1d\n    date: {date}\n    given:\n      dwd.orders_di:"
                );
                for o in 0..orders {
                    let _ = writeln!(
                        yaml,
                        "        - {{order_id: {o}, user_id: {}, amount: 10.00, is_paid: true}}",
                        o % 2
                    );
                }
                let _ = writeln!(
                    yaml,
                    "      ods.refunds:\n        - {{refund_id: 1, order_id: 0, refund_amount: 5.00}}"
                );
                let _ = writeln!(yaml, "    expect:\n      dws.user_1d:");
                let users = orders.min(2);
                for user in 0..users {
                    let count = (0..orders).filter(|o| o % 2 == user).count();
                    let refunded = if user == 0 { 5 } else { 0 };
                    let _ = writeln!(
                        yaml,
                        "        - {{user_id: {user}, paid_amount: {}.00, refunded: {refunded}.00}}",
                        count * 10
                    );
                }
            }
            2 => {
                let _ = writeln!(
                    yaml,
                    "  - name: split_{n}\n    task: split_orders\n    date: {date}\n    given:\n      dwd.orders_di:"
                );
                for o in 0..orders {
                    let _ = writeln!(yaml, "        - {{order_id: {o}, amount: {}.00}}", 50 * o);
                }
                let big: Vec<usize> = (0..orders).filter(|o| 50 * o >= 100).collect();
                let small: Vec<usize> = (0..orders).filter(|o| 50 * o < 100).collect();
                let rows = |ids: &[usize]| {
                    ids.iter()
                        .map(|o| format!("{{order_id: {o}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(
                    yaml,
                    "    expect:\n      dwd.orders_big: [{}]\n      dwd.orders_small: [{}]",
                    rows(&big),
                    rows(&small)
                );
            }
            _ => {
                let _ = writeln!(
                    yaml,
                    "  - name: td_{n}\n    task: dws_user_td\n    date: {date}\n    given:\n      dws.user_1d:\n        - {{user_id: 1, paid_amount: {orders}.00}}\n    expect:\n      dws.user_td:\n        - {{user_id: 1, total_paid: {orders}.00, first_dt: \"{date}\"}}"
                );
            }
        }
    }
    std::fs::write(tests.join("generated.yaml"), yaml).expect("write tests");
}

fn flowc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowc"))
}

/// The Python with pyspark: `FLOWC_PYTHON`, else `.venv/spark`'s.
fn python() -> PathBuf {
    std::env::var_os("FLOWC_PYTHON").map_or_else(|| repo_root().join(".venv/spark/bin/python"), PathBuf::from)
}

/// Runs `flowc test` on `repo` and prints its figures.
#[expect(clippy::print_stdout, reason = "a benchmark reports its timings on stdout")]
fn measure(label: &str, repo: &Path, jobs: usize) {
    let began = Instant::now();
    let output = flowc()
        .args(["test", "--format", "json", "--jobs", &jobs.to_string()])
        .arg(repo)
        .env("FLOWC_PYTHON", python())
        .env_remove("FLOWC_SPARK")
        .output()
        .expect("flowc runs");
    let wall = began.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "flowc test gave no report:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let summary = &report["summary"];
    let tests = summary["tests"].as_f64().unwrap_or(0.0);
    let total = summary["seconds"].as_f64().unwrap_or(0.0);
    let startup = summary["spark_startup_seconds"].as_f64().unwrap_or(0.0);
    let mut each: Vec<f64> = report["tests"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["seconds"].as_f64()).collect())
        .unwrap_or_default();
    each.sort_by(f64::total_cmp);
    let median = each.get(each.len() / 2).copied().unwrap_or(0.0);
    let slowest = each.last().copied().unwrap_or(0.0);
    println!(
        "{label} ({tests} tests, {jobs} at a time): {} passed; Spark start-up {startup:.1} s; \
         after it {total:.1} s = {:.2} s per test (median single test {median:.2} s, slowest {slowest:.2} s); \
         whole command {wall:.1} s",
        summary["passed"],
        total / tests.max(1.0),
    );
}

#[expect(clippy::print_stdout, reason = "a benchmark reports its timings on stdout")]
fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path(), GENERATED);
    if !benchmarking {
        let output = flowc().arg("check").arg(dir.path()).output().expect("flowc runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        println!("unit_tests: {GENERATED} generated tests check");
        return;
    }
    measure("example", &repo_root().join("examples/wingpay"), 2);
    for jobs in [1, 2] {
        measure("generated", dir.path(), jobs);
    }
}
