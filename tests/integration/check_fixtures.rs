//! `flowc check` on every broken repository under `tests/fixtures/invalid/`.
//!
//! Each fixture is copied to a temp dir (where the few things git cannot carry are
//! created: oversized files, symlinks out of the repository, non-UTF-8 bytes), then
//! checked three times, once per output format. Every run must exit 1 without a
//! panic and report the expected error codes, each located at `file:line:col`; the
//! human output is snapshotted per fixture in `snapshots/check_fixtures/<case>.snap`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use flowc::diagnostic::Code;
use serde_json::Value;

use crate::support::{copy_dir, flowc_command, repo_root, text};

/// Every fixture and the error codes `flowc check` must report for it, one entry per
/// error (warnings are not listed), sorted.
const CASES: &[(&str, &[&str])] = &[
    ("access_not_granted", &["P501", "P502"]),
    ("access_unknown_reference", &["P502", "P503", "P503", "P503"]),
    ("alert_unknown_kind", &["S202", "S204", "S204"]),
    ("asset_flow_with_schedule", &["R602"]),
    ("codeowners_missing", &["G406"]),
    ("codeowners_not_judged_on_a_broken_flow", &["L104"]),
    ("codeowners_out_of_date", &["G404"]),
    ("column_ambiguous", &["Q309", "Q309"]),
    ("column_count_mismatch", &["Q310"]),
    ("column_order_swapped", &["Q311", "Q311"]),
    ("column_renamed_upstream", &["Q308", "Q308", "Q308"]),
    ("column_type_mismatch", &["Q312"]),
    ("column_unknown_classification", &["P503", "P503"]),
    ("cycle_across_flows", &["G402"]),
    ("cycle_across_flows_declared", &["G402"]),
    ("cycle_three_tasks_declared", &["G402"]),
    ("cycle_two_tasks", &["G402"]),
    ("cycle_two_tasks_declared", &["G402"]),
    ("cycle_via_depends_on", &["G402"]),
    ("cycle_via_depends_on_across_flows", &["G402"]),
    ("duplicate_flow_name", &["S205", "S207"]),
    ("duplicate_source", &["S211"]),
    ("duplicate_task_name", &["S206"]),
    ("duplicate_writer", &["G401"]),
    ("duplicate_writer_declared", &["G401"]),
    ("duplicate_writer_sync_and_ml", &["G401"]),
    ("duplicate_yaml_key", &["L104"]),
    ("duration_in_seconds", &["S203"]),
    ("empty_flow_yaml", &["L103"]),
    ("empty_sql_file", &["Q304"]),
    ("env_templated_database", &["R607"]),
    ("env_unknown_connection", &["R608", "R608"]),
    ("env_writes_production_table", &["R606", "R606", "R606", "R606"]),
    ("env_writes_quality_results_to_production", &["R606"]),
    ("flow_name_mismatch", &["S207"]),
    ("invalid_cron", &["S209"]),
    ("invalid_duration", &["S204"]),
    ("invalid_enum_priority", &["S204"]),
    ("invalid_flow_name", &["S204"]),
    ("invalid_schedule_pattern", &["S204"]),
    ("invalid_start_date", &["S204"]),
    ("invalid_task_type", &["S204"]),
    ("invalid_timezone", &["S204", "S204"]),
    ("missing_prod_environment", &["S202"]),
    ("missing_required_key", &["S202"]),
    ("missing_sql_file", &["L106"]),
    ("missing_sql_runner", &["R603"]),
    ("missing_start_date", &["S202"]),
    ("missing_task_type_field", &["S202"]),
    ("ml_application_unusable", &["L106", "L107", "L107"]),
    ("multiple_yaml_documents", &["L105"]),
    ("non_utf8_sql", &["L101"]),
    ("non_utf8_yaml", &["L101"]),
    ("oversized_sql_file", &["L102"]),
    ("path_with_backslash", &["S204", "S204"]),
    ("quality_check_id_collision", &["R601"]),
    ("quality_duplicate_rule_name", &["P511"]),
    ("quality_invalid_expression", &["P515"]),
    ("quality_partition_mismatch", &["P516"]),
    ("quality_rule_without_dimension", &["S201", "S201", "S202", "S204"]),
    ("quality_sync_source_without_sync", &["P517"]),
    ("quality_table_ambiguous", &["P513"]),
    ("quality_table_not_ready", &["P514"]),
    ("quality_table_not_written", &["P512"]),
    ("quality_unknown_column", &["P510"]),
    ("retries_out_of_range", &["S204"]),
    ("run_setting_invalid", &["S203", "S203", "S204", "S204"]),
    ("schedule_misaligned", &["R602", "R602"]),
    ("schedule_misaligned_across_zones", &["R602", "R602"]),
    ("schedule_never_runs", &["R602"]),
    ("secret_camel_case_param_keys", &["S213", "S213", "S213"]),
    ("secret_in_alert_webhook", &["S204", "S204", "S213", "S213"]),
    ("secret_in_hadoop_config", &["S213", "S213"]),
    ("secret_in_oracle_thin_url", &["S213", "S213", "S213"]),
    ("secret_in_sql_comment", &["S213"]),
    ("secret_password_in_flowc_yaml", &["S213"]),
    ("secret_password_in_jdbc_url", &["S213"]),
    ("secret_password_option_in_sql", &["S213"]),
    ("secret_private_key_in_sql", &["S213"]),
    ("secret_two_tokens_on_one_line", &["S213", "S213"]),
    ("self_depends_on", &["G406"]),
    ("self_depends_on_qualified", &["G406"]),
    ("sensor_id_collision", &["R601"]),
    (
        "several_errors_at_once",
        &["L103", "S201", "S202", "S203", "S204", "S204"],
    ),
    ("several_graph_errors", &["G401", "G404", "G405", "G406"]),
    ("sla_not_alerted_on_airflow_3", &["R613"]),
    ("sql_byte_order_mark", &["Q301"]),
    ("sql_invisible_character_in_name", &["Q307", "Q307"]),
    (
        "sql_nests_too_deeply",
        &["Q301", "Q301", "Q301", "Q301", "Q301", "Q301"],
    ),
    ("sql_partitioned_without_by", &["Q301"]),
    ("sql_path_absolute", &["L107"]),
    ("sql_path_is_folder", &["L106"]),
    ("sql_path_named_pipe", &["L106"]),
    ("sql_path_nul", &["L106"]),
    ("sql_path_parent_escape", &["L107"]),
    ("sql_path_symlink_out", &["L107"]),
    ("sql_syntax_error", &["Q301"]),
    ("sql_two_syntax_errors", &["Q301", "Q301"]),
    ("sql_unbalanced_jinja_blocks", &["Q303", "Q306", "Q306", "Q306", "Q306"]),
    ("sync_bytes_per_second_under_channels", &["S219"]),
    ("sync_column_count_mismatch", &["S214"]),
    ("sync_connection_with_two_credentials", &["S217"]),
    ("sync_connection_without_credentials", &["S217"]),
    ("sync_error_limit_records_and_ratio", &["S219"]),
    ("sync_fetch_size_on_mysql", &["S217"]),
    ("sync_hbase_column_without_family", &["S217"]),
    ("sync_hive_decimal_column", &["S215"]),
    ("sync_hive_source_unknown_column", &["S214"]),
    ("sync_hive_write_mode_replace", &["S217"]),
    ("sync_mysql_target_without_columns", &["S217"]),
    ("sync_no_hive_connection", &["S217"]),
    ("sync_oracle_decimal_into_bigint", &["S215"]),
    ("sync_partition_missing", &["S216"]),
    ("sync_partition_on_unpartitioned_table", &["S216"]),
    ("sync_partition_value_not_one_directory", &["S222", "S222"]),
    ("sync_partition_wrong_column", &["S216"]),
    ("sync_path_on_oracle_source", &["S217"]),
    ("sync_query_column_count_mismatch", &["S214"]),
    ("sync_query_with_split_key", &["S217"]),
    ("sync_query_with_where", &["S217"]),
    ("sync_source_neither_table_nor_query", &["S217"]),
    ("sync_source_table_and_query", &["S217"]),
    ("sync_speed_capped_records_under_channels", &["S219"]),
    ("sync_table_on_sftp_source", &["S217"]),
    ("sync_target_is_declared_source", &["G405"]),
    ("sync_target_table_not_declared", &["S218"]),
    ("sync_unknown_source_type", &["S215"]),
    ("sync_unknown_target_connection", &["S212"]),
    ("sync_unknown_variable_in_where", &["Q302"]),
    ("task_key_of_other_type", &["S201"]),
    ("trigger_http_missing_endpoint", &["S202"]),
    ("unit_test_files", &["L106", "S203", "S204", "T808", "T809"]),
    (
        "unit_test_problems",
        &[
            "T801", "T802", "T802", "T803", "T803", "T804", "T804", "T804", "T805", "T806", "T807",
        ],
    ),
    ("unknown_connection", &["S212"]),
    ("unknown_depends_on", &["G404"]),
    ("unknown_depends_on_other_flow", &["G404"]),
    ("unknown_key_in_flowc_yaml", &["S201"]),
    ("unknown_key_in_task", &["S201"]),
    ("unknown_key_password", &["S201", "S201"]),
    ("unknown_team", &["S208"]),
    ("unknown_template_variable", &["Q302"]),
    ("unquoted_airflow_version", &["S204"]),
    ("unterminated_placeholder", &["Q303"]),
    ("writes_declared_source", &["G405"]),
    ("writes_declared_source_declared", &["G405"]),
    ("wrong_type_retries", &["S203"]),
    ("wrong_type_tasks_mapping", &["S203"]),
    ("yaml_alias_bomb", &["L109"]),
    ("yaml_complex_keys", &["L105", "L105"]),
    ("yaml_custom_tag", &["L105"]),
    ("yaml_merge_key", &["L105"]),
    ("yaml_syntax_error", &["L103"]),
];

/// Codes no fixture produces, each with the reason.
const CODES_WITHOUT_FIXTURE: &[(&str, &str)] = &[
    ("Q305", "a warning; needs the SQL analyser and a clean repository"),
    (
        "R604",
        "found by `flowc compile` (a repository template that does not render): tests/integration/compile.rs",
    ),
    (
        "R605",
        "found by `flowc compile` (a repository's DataX template override renders a job DataX would reject): tests/integration/compile.rs",
    ),
    (
        "R609",
        "found by `flowc compile` (a repository's Airflow template override renders an empty, broken or DAG-less file): tests/integration/template_overrides.rs",
    ),
    (
        "R611",
        "found by `flowc compile` (a repository's template override that runs too long): tests/integration/bounded.rs",
    ),
    (
        "R612",
        "found by `flowc compile` (a repository's template override that prints too much): tests/integration/bounded.rs",
    ),
    (
        "R614",
        "found by `flowc ddl` (an error) and `flowc compile` (a warning), not by `flowc check`: tests/fixtures/ddl/unknown_column_types, tests/integration/ddl.rs",
    ),
    (
        "R615",
        "found by `flowc ddl` and `flowc compile`, not by `flowc check`: tests/fixtures/ddl/storage_mismatch, tests/integration/ddl.rs",
    ),
];

/// Warnings no fixture is about, each shown in the snapshot of a fixture whose error
/// comes with it: `(code, fixture)`. The snapshot must hold `warning[<code>]`.
const WARNINGS_IN_SNAPSHOTS: &[(&str, &str)] = &[
    ("D701", "codeowners_out_of_date"),
    ("D702", "codeowners_missing"),
    ("Q313", "column_count_mismatch"),
    ("G403", "several_graph_errors"),
    ("L108", "several_errors_at_once"),
    ("S220", "sync_speed_capped_records_under_channels"),
    ("S221", "schedule_never_runs"),
];

const MIB: usize = 1024 * 1024;

fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures/invalid")
}

/// The fixture folders, sorted.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/invalid exists")
        .map(|entry| entry.expect("fixture folder entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().into_string().expect("UTF-8 fixture name"))
        .collect();
    names.sort();
    names
}

/// Creates what git cannot carry well, for the fixtures that need it.
fn prepare(case: &str, sandbox: &Path, repo: &Path) {
    match case {
        "non_utf8_yaml" => {
            let path = repo.join("flows/orders/flow.yaml");
            let text = fs::read_to_string(&path).expect("flow.yaml");
            let placeholder = "PLACEHOLDER replaced with Latin-1 bytes at run time";
            let (before, after) = text.split_once(placeholder).expect("placeholder in flow.yaml");
            let mut bytes = before.as_bytes().to_vec();
            bytes.extend_from_slice(b"Commandes cr\xe9\xe9es par la caisse");
            bytes.extend_from_slice(after.as_bytes());
            fs::write(&path, bytes).expect("write flow.yaml");
        }
        "non_utf8_sql" => {
            let mut bytes = b"-- Commandes cr\xe9\xe9es par la caisse\n".to_vec();
            bytes.extend_from_slice(
                b"INSERT OVERWRITE TABLE dw.orders_daily\nSELECT order_id, amount FROM ods.orders;\n",
            );
            fs::write(repo.join("flows/orders/daily.sql"), bytes).expect("write daily.sql");
        }
        "oversized_sql_file" => {
            let mut text =
                String::from("INSERT OVERWRITE TABLE dw.orders_daily\nSELECT order_id, amount FROM ods.orders;\n");
            while text.len() <= MIB {
                text.push_str("-- padding to make the file larger than flowc reads\n");
            }
            fs::write(repo.join("flows/orders/daily.sql"), text).expect("write daily.sql");
        }
        "sql_path_named_pipe" => {
            let path = repo.join("flows/orders/daily.sql");
            fs::remove_file(&path).expect("remove the placeholder");
            let made = std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .expect("mkfifo runs");
            assert!(made.success(), "mkfifo {}", path.display());
        }
        "ml_application_unusable" => {
            let outside = sandbox.join("outside.py");
            fs::write(&outside, "print('outside')\n").expect("write outside.py");
            #[cfg(unix)]
            std::os::unix::fs::symlink(&outside, repo.join("flows/scoring/jobs/linked.py")).expect("symlink");
        }
        "sql_path_symlink_out" => {
            let outside = sandbox.join("outside.sql");
            fs::write(&outside, "INSERT OVERWRITE TABLE dw.orders_daily SELECT 1;\n").expect("write outside.sql");
            #[cfg(unix)]
            std::os::unix::fs::symlink(&outside, repo.join("flows/orders/linked.sql")).expect("symlink");
        }
        _ => {}
    }
}

/// `flowc ARGS REPO`, without a backtrace setting of the test run.
fn flowc_on(args: &[&str], repo: &Path) -> Output {
    flowc_command(repo_root())
        .args(args)
        .arg(repo)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run flowc")
}

/// Escapes a literal for a snapshot filter (a regex).
fn regex_literal(literal: &str) -> String {
    let mut escaped = String::new();
    for c in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Problems found in one fixture's runs.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) {
        if !ok {
            self.0.push(problem());
        }
    }
}

fn check_no_panic(problems: &mut Problems, format: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = text(bytes);
        problems.check(!text.contains("panicked") && !text.contains("RUST_BACKTRACE"), || {
            format!("--format {format}: {stream} shows a panic:\n{text}")
        });
    }
}

/// Checks `--> path:line:col`: a relative path to a file in the repository, 1-based.
fn check_location(problems: &mut Problems, repo: &Path, location: &str) {
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next().and_then(|c| c.parse::<u32>().ok());
    let line = parts.next().and_then(|l| l.parse::<u32>().ok());
    let path = parts.next().unwrap_or_default();
    problems.check(matches!((line, column), (Some(l), Some(c)) if l >= 1 && c >= 1), || {
        format!("location `{location}` has no 1-based line and column")
    });
    problems.check(
        !path.is_empty() && Path::new(path).is_relative() && repo.join(path).symlink_metadata().is_ok(),
        || format!("location `{location}` does not name a file of the repository"),
    );
}

/// Human format: every `error[…]` header is followed by its ` --> path:line:col`.
fn check_human(problems: &mut Problems, repo: &Path, output: &Output) {
    check_no_panic(problems, "human", output);
    problems.check(output.status.code() == Some(1), || {
        format!("--format human: exit code {:?}, expected 1", output.status.code())
    });
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let headers: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].starts_with("error[")).collect();
    problems.check(!headers.is_empty(), || {
        "--format human: no `error[` on stderr".to_owned()
    });
    for i in headers {
        match lines.get(i + 1).and_then(|next| next.trim_start().strip_prefix("--> ")) {
            Some(location) => check_location(problems, repo, location),
            None => problems
                .0
                .push(format!("--format human: `{}` has no ` --> ` location", lines[i])),
        }
    }
    let stdout = text(&output.stdout);
    problems.check(stdout.contains(" error") && stdout.contains(" warning"), || {
        format!("--format human: no summary line on stdout: {stdout:?}")
    });
}

/// JSON format: every error has `file`, `line`, `column`; returns the error codes.
fn check_json(problems: &mut Problems, repo: &Path, output: &Output) -> Vec<String> {
    check_no_panic(problems, "json", output);
    problems.check(output.status.code() == Some(1), || {
        format!("--format json: exit code {:?}, expected 1", output.status.code())
    });
    let value: Value = match serde_json::from_slice(&output.stdout) {
        Ok(value) => value,
        Err(error) => {
            problems.0.push(format!("--format json: stdout is not JSON ({error})"));
            return Vec::new();
        }
    };
    let errors_in_summary = value.pointer("/summary/errors").and_then(Value::as_u64);
    problems.check(errors_in_summary.is_some_and(|n| n >= 1), || {
        format!("--format json: summary.errors is {errors_in_summary:?}")
    });
    let diagnostics = value["diagnostics"].as_array().cloned().unwrap_or_default();
    let mut codes = Vec::new();
    for diagnostic in diagnostics.iter().filter(|d| d["severity"] == "error") {
        let code = diagnostic["code"].as_str().unwrap_or("?").to_owned();
        let file = diagnostic["file"].as_str();
        let line = diagnostic["line"].as_u64();
        let column = diagnostic["column"].as_u64();
        match (file, line, column) {
            (Some(file), Some(line), Some(column)) => {
                check_location(problems, repo, &format!("{file}:{line}:{column}"));
            }
            _ => problems.0.push(format!(
                "--format json: error {code} lacks file, line or column: {diagnostic}"
            )),
        }
        codes.push(code);
    }
    problems.check(errors_in_summary == Some(codes.len() as u64), || {
        format!(
            "--format json: summary.errors is {errors_in_summary:?} but {} errors are listed",
            codes.len()
        )
    });
    codes.sort();
    codes
}

/// GitHub format: every `::error` line has `file=`, `line=` and `col=`.
fn check_github(problems: &mut Problems, output: &Output) {
    check_no_panic(problems, "github", output);
    problems.check(output.status.code() == Some(1), || {
        format!("--format github: exit code {:?}, expected 1", output.status.code())
    });
    let stdout = text(&output.stdout);
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::error")).collect();
    problems.check(!errors.is_empty(), || "--format github: no `::error` line".to_owned());
    for line in errors {
        let properties = line
            .strip_prefix("::error ")
            .and_then(|rest| rest.split_once("::"))
            .map_or("", |(properties, _)| properties);
        let has = |key: &str| properties.split(',').any(|p| p.starts_with(key));
        problems.check(has("file=") && has("line=") && has("col="), || {
            format!("--format github: `{line}` lacks file=, line= or col=")
        });
    }
}

/// Runs one fixture in every format; returns what is wrong with it.
fn run_case(case: &str) -> Vec<String> {
    let sandbox = tempfile::tempdir().expect("temp dir");
    let repo = sandbox.path().join("repo");
    copy_dir(&fixtures_dir().join(case), &repo);
    prepare(case, sandbox.path(), &repo);
    let repo_arg = repo.as_path();
    let mut problems = Problems::default();

    let human = flowc_on(&["check"], repo_arg);
    check_human(&mut problems, &repo, &human);
    let json = flowc_on(&["check", "--format", "json"], repo_arg);
    let codes = check_json(&mut problems, &repo, &json);
    let github = flowc_on(&["check", "--format", "github"], repo_arg);
    check_github(&mut problems, &github);

    match CASES.iter().find(|(name, _)| *name == case) {
        Some((_, expected)) => problems.check(codes == *expected, || {
            format!("error codes are {codes:?}, expected {expected:?}")
        }),
        None => problems.0.push("not listed in CASES".to_owned()),
    }

    let mut snapshot = String::new();
    let exit = human
        .status
        .code()
        .map_or_else(|| "none (killed by a signal)".to_owned(), |c| c.to_string());
    let _ = writeln!(snapshot, "exit code: {exit}");
    let _ = writeln!(snapshot, "----- stdout -----\n{}", text(&human.stdout));
    let _ = write!(snapshot, "----- stderr -----\n{}", text(&human.stderr));
    // The repository is `[TMP]/repo`; flowc prints repository-relative paths, so these
    // only matter if that ever breaks.
    let mut filters = Vec::new();
    if let Ok(canonical) = sandbox.path().canonicalize() {
        filters.push(regex_literal(&canonical.display().to_string()));
    }
    filters.push(regex_literal(&sandbox.path().display().to_string()));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/check_fixtures");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(format!("flowc check tests/fixtures/invalid/{case}"));
    for pattern in &filters {
        settings.add_filter(pattern, "[TMP]");
    }
    settings.add_filter(r"flowc \d+\.\d+\.\d+\S*", "flowc [VERSION]");
    let snapshot_result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(case, snapshot));
    }));
    problems.check(snapshot_result.is_ok(), || {
        "snapshot differs (see the .snap.new file)".to_owned()
    });
    problems.0
}

/// Runs the fixtures and fails with every problem of every fixture.
fn run_cases(cases: &[String]) {
    let mut report = String::new();
    for case in cases {
        let problems = run_case(case);
        if !problems.is_empty() {
            let _ = writeln!(report, "\n{case}:");
            for problem in problems {
                let _ = writeln!(report, "  - {problem}");
            }
        }
    }
    assert!(report.is_empty(), "fixtures that fail:\n{report}");
}

#[test]
fn every_fixture_is_listed_once() {
    let names = fixture_names();
    let listed: Vec<&str> = CASES.iter().map(|(name, _)| *name).collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(listed, sorted, "CASES must be sorted and without duplicates");
    assert_eq!(names, listed, "fixture folders and CASES differ");
    assert!(names.len() >= 35, "only {} fixtures", names.len());
}

#[test]
fn every_error_code_has_a_fixture() {
    let covered: BTreeSet<&str> = CASES.iter().flat_map(|(_, codes)| codes.iter().copied()).collect();
    let exempt: BTreeSet<&str> = CODES_WITHOUT_FIXTURE.iter().map(|(code, _)| *code).collect();
    let shown: BTreeSet<&str> = WARNINGS_IN_SNAPSHOTS.iter().map(|(code, _)| *code).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|code| code.as_str())
        .filter(|code| !covered.contains(code) && !exempt.contains(code) && !shown.contains(code))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn warnings_without_a_fixture_are_shown_in_a_snapshot() {
    let snapshots = repo_root().join("tests/integration/snapshots/check_fixtures");
    for (code, case) in WARNINGS_IN_SNAPSHOTS {
        assert!(
            Code::ALL.iter().any(|c| c.as_str() == *code),
            "WARNINGS_IN_SNAPSHOTS names unknown code {code}"
        );
        assert!(
            CASES.iter().any(|(name, _)| name == case),
            "WARNINGS_IN_SNAPSHOTS names unknown fixture `{case}`"
        );
        let path = snapshots.join(format!("{case}.snap"));
        let snapshot = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            snapshot.contains(&format!("warning[{code}]")),
            "the snapshot of `{case}` shows no warning[{code}]"
        );
    }
}

#[test]
fn invalid_fixtures_report_located_errors_and_exit_1() {
    run_cases(&fixture_names());
}

#[test]
fn a_missing_repository_exits_2_with_a_message() {
    let sandbox = tempfile::tempdir().expect("temp dir");
    let missing = sandbox.path().join("no-such-repo");
    let output = flowc_on(&["check"], &missing);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("no-such-repo"), "the message names the path: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_folder_without_flowc_yaml_exits_2_with_a_message() {
    let sandbox = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(sandbox.path().join("flows/orders")).expect("create flows");
    let output = flowc_on(&["check"], sandbox.path());
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("flowc.yaml"),
        "the message names the missing file: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
