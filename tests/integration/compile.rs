//! `flowc compile` on the bundled example: the DAG files load in real Airflow 2.10.5
//! and 3.3.2 and do exactly what the manifest says; both versions write the same
//! partitions; output is byte-identical between runs; a failed compile leaves the
//! previous output untouched and files flowc did not write are never deleted.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, SAMPLE_LOGICAL_DATE, inspect_with};
use crate::support::{example, example_copy, flowc, flowc_in, names, output_tree, text, tree};

/// Compiles `repo` for `env` into `out`; asserts exit 0.
pub(crate) fn compile(repo: &Path, env: &str, out: &Path, version: AirflowVersion) {
    let output = flowc(
        &[
            "compile",
            &repo.display().to_string(),
            "--env",
            env,
            "--out",
            &out.display().to_string(),
            "--airflow-version",
            version.cli_arg(),
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "flowc compile failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// The example compiled for prod and loaded in Airflow, once per version per test run.
struct Loaded {
    _out: tempfile::TempDir,
    env_dir: PathBuf,
    manifest: Value,
    airflow: Value,
}

fn loaded(version: AirflowVersion) -> &'static Loaded {
    static LOADED: [OnceLock<Loaded>; 2] = [OnceLock::new(), OnceLock::new()];
    LOADED[version.index()].get_or_init(|| {
        let out = tempfile::tempdir().expect("temp dir");
        compile(&example(), "prod", out.path(), version);
        let env_dir = out.path().join("prod");
        let manifest: Value =
            serde_json::from_slice(&fs::read(env_dir.join("manifest.json")).expect("manifest exists"))
                .expect("manifest is JSON");
        let pools = env_dir.join("pools.json");
        let conf = format!(r#"{{"bizdate": "{SAMPLE_LOGICAL_DATE}"}}"#);
        let airflow = inspect_with(
            version,
            &env_dir.join("dags"),
            Some(&pools),
            &[
                OsStr::new("--conf"),
                OsStr::new(&conf),
                OsStr::new("--import-pools"),
                pools.as_os_str(),
            ],
        );
        Loaded {
            _out: out,
            env_dir,
            manifest,
            airflow,
        }
    })
}

fn str_set<'a>(values: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    values
        .into_iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// The business date of the run of DAG `dag_id` (one of the manifest's `flows`) whose
/// logical date is `instant`: its date in the flow's time zone.
fn business_date(flows: &[Value], dag_id: &Value, instant: &str) -> String {
    let zone: chrono_tz::Tz = flows
        .iter()
        .find(|f| &f["dag_id"] == dag_id)
        .and_then(|f| f["timezone"].as_str())
        .and_then(|name| name.parse().ok())
        .expect("the flow's time zone");
    chrono::DateTime::parse_from_rfc3339(instant)
        .expect("an ISO instant")
        .with_timezone(&zone)
        .format("%Y-%m-%d")
        .to_string()
}

fn check_against_manifest(version: AirflowVersion) {
    let Loaded { manifest, airflow, .. } = loaded(version);
    assert_eq!(
        airflow["import_errors"],
        serde_json::json!({}),
        "{version:?} import errors"
    );
    assert_eq!(airflow["problems"], serde_json::json!([]), "{version:?} problems");
    let flows = manifest["flows"].as_array().expect("flows");
    let expected_ids: BTreeSet<String> = flows
        .iter()
        .map(|f| f["dag_id"].as_str().expect("dag_id").to_owned())
        .collect();
    let loaded_ids: BTreeSet<String> = airflow["dags"].as_object().expect("dags").keys().cloned().collect();
    assert_eq!(loaded_ids, expected_ids, "{version:?}: DAG ids");
    assert_eq!(expected_ids.len(), 7);
    // Pools import with `airflow pools import`, with the slots of flowc.yaml.
    let import = &airflow["pools_import"];
    assert_eq!(import["ok"], Value::Bool(true), "{version:?} pools import: {import}");
    for (pool, slots) in manifest["pools"].as_object().expect("pools") {
        assert_eq!(&import["pools"][pool], slots, "{version:?} pool {pool}");
    }
    let mut checked_tasks = 0;
    for flow in flows {
        let dag_id = flow["dag_id"].as_str().expect("dag_id");
        let dag = &airflow["dags"][dag_id];
        let context = format!("{version:?} {dag_id}");
        match flow["schedule"]["kind"].as_str() {
            Some("cron") => {
                assert_eq!(dag["timetable"], "CronDataIntervalTimetable", "{context}");
                assert_eq!(dag["cron"], flow["schedule"]["cron"], "{context}");
            }
            Some("triggered") => assert_eq!(dag["cron"], Value::Null, "{context}"),
            other => panic!("{context}: unexpected schedule {other:?}"),
        }
        assert_eq!(dag["catchup"], flow["catchup"], "{context}");
        assert_eq!(dag["owner"], flow["owner"], "{context}");
        assert_eq!(dag["tags"], flow["tags"], "{context}");
        assert_eq!(dag["max_active_runs"], flow["max_active_runs"], "{context}");
        let tasks = flow["tasks"].as_array().expect("tasks");
        let loaded_tasks = dag["tasks"].as_object().expect("tasks");
        let expected: BTreeSet<String> = tasks
            .iter()
            .map(|t| t["task_id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(
            loaded_tasks.keys().cloned().collect::<BTreeSet<_>>(),
            expected,
            "{context}: task ids"
        );
        for task in tasks {
            let id = task["task_id"].as_str().expect("task_id");
            let got = &loaded_tasks[id];
            let context = format!("{context}.{id}");
            assert_eq!(got["operator"], task["operator"], "{context}: operator");
            assert_eq!(
                str_set(got["upstream"].as_array().expect("upstream")),
                str_set(task["upstream"].as_array().expect("upstream")),
                "{context}: upstream"
            );
            for key in [
                "pool",
                "pool_slots",
                "priority_weight",
                "weight_rule",
                "queue",
                "retries",
            ] {
                assert_eq!(got[key], task[key], "{context}: {key}");
            }
            assert_eq!(
                got["retry_delay_seconds"].as_f64(),
                task["retry_delay_seconds"].as_f64(),
                "{context}: retry delay"
            );
            assert_eq!(
                got["execution_timeout_seconds"].as_f64(),
                task["execution_timeout_seconds"].as_f64(),
                "{context}: execution timeout"
            );
            if task.get("mode").is_some() {
                assert_eq!(got["mode"], task["mode"], "{context}: sensor mode");
            }
            if task["operator"] == "SparkSqlOperator" {
                assert_eq!(got["yarn_queue"], task["yarn_queue"], "{context}: yarn queue");
                assert_eq!(got["spark_name"], task["spark_name"], "{context}: job name");
            }
            if task["operator"] == "ExternalTaskSensor" {
                assert_eq!(got["external_dag_id"], task["external_dag_id"], "{context}");
                assert_eq!(got["external_task_id"], task["external_task_id"], "{context}");
                // The upstream run waited for has the same business date as this run:
                // the date of its logical date in the upstream flow's time zone.
                let target = got["execution_delta_target"]
                    .as_str()
                    .or_else(|| got["execution_date_fn_result"].as_str())
                    .expect("the sensor names an upstream run");
                assert_eq!(
                    business_date(flows, &task["external_dag_id"], target),
                    SAMPLE_LOGICAL_DATE,
                    "{context}: waits for the run of {target}"
                );
            }
            checked_tasks += 1;
        }
        // Downstream ids are the mirror of upstream ones (no edge Airflow added or lost).
        for (id, got) in loaded_tasks {
            for down in got["downstream"].as_array().expect("downstream") {
                let down = down.as_str().expect("id");
                assert!(
                    loaded_tasks[down]["upstream"]
                        .as_array()
                        .expect("upstream")
                        .iter()
                        .any(|u| u == id.as_str()),
                    "{context}: {id} >> {down} not mirrored"
                );
            }
        }
    }
    assert!(checked_tasks >= 60, "only {checked_tasks} tasks checked");
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn example_dags_load_in_airflow_2_10_as_the_manifest_says() {
    check_against_manifest(AirflowVersion::V2_10);
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn example_dags_load_in_airflow_3_as_the_manifest_says() {
    check_against_manifest(AirflowVersion::V3);
}

/// The example's quality rules, as `flowc check` resolves them from the YAML, are wired
/// in the DAGs Airflow loaded: each check runs right after the task that writes its
/// table; a task with strong rules has a gate after exactly its strong checks, and
/// everything that waited for the task — its downstream tasks, the other flows'
/// sensors — waits for the gate; nothing waits for a weak check. The rules cover all
/// five dimensions and both severities.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn example_quality_checks_are_wired_after_their_tasks_in_airflow() {
    use flowc::model::Severity;
    let tree = flowc::load::WorkTree::open(&example()).expect("the example opens");
    let report = flowc::compiler::check(&tree).expect("check runs");
    assert!(!report.diagnostics.has_errors());
    let mut dimensions = BTreeSet::new();
    let mut severities = BTreeSet::new();
    let mut sensors_checked = 0;
    for version in AirflowVersion::ALL {
        let airflow = &loaded(version).airflow;
        let dags = airflow["dags"].as_object().expect("dags");
        let ids = |value: &Value| str_set(value.as_array().expect("a list"));
        for (task, checks) in &report.quality {
            let (flow, name) = (task.flow().to_string(), task.task().to_owned());
            let dag = &dags[&flow]["tasks"];
            let context = format!("{version:?} {task}");
            let check_ids: BTreeSet<String> = checks
                .iter()
                .map(|c| format!("{name}__dq_{}", c.rule.name.value))
                .collect();
            let strong: BTreeSet<String> = checks
                .iter()
                .filter(|c| c.rule.severity == Severity::Strong)
                .map(|c| format!("{name}__dq_{}", c.rule.name.value))
                .collect();
            for check in checks {
                dimensions.insert(check.rule.check.value.dimension().as_str());
                severities.insert(check.rule.severity.as_str());
                let id = format!("{name}__dq_{}", check.rule.name.value);
                assert_eq!(
                    ids(&dag[&id]["upstream"]),
                    BTreeSet::from([name.clone()]),
                    "{context}: {id}"
                );
                let after = ids(&dag[&id]["downstream"]);
                match check.rule.severity {
                    Severity::Strong => assert_eq!(after, BTreeSet::from([format!("{name}__dq")]), "{context}: {id}"),
                    Severity::Weak => assert!(after.is_empty(), "{context}: {id} has downstream {after:?}"),
                }
            }
            // The task itself leads only to its checks.
            assert_eq!(ids(&dag[&name]["downstream"]), check_ids, "{context}");
            let gate = format!("{name}__dq");
            if strong.is_empty() {
                assert!(dag.get(&gate).is_none(), "{context}: a gate without strong rules");
                continue;
            }
            assert_eq!(ids(&dag[&gate]["upstream"]), strong, "{context}: gate");
            // Every sensor waiting for this task's flow and task waits for the gate.
            for (other, loaded) in dags {
                for (sensor_id, sensor) in loaded["tasks"].as_object().expect("tasks") {
                    if sensor["external_dag_id"] == flow.as_str() && sensor_id.ends_with(&format!("__{name}")) {
                        assert_eq!(
                            sensor["external_task_id"],
                            gate.as_str(),
                            "{context}: {other}.{sensor_id}"
                        );
                        sensors_checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(
        dimensions,
        BTreeSet::from(["accuracy", "completeness", "consistency", "timeliness", "validity"])
    );
    assert_eq!(severities, BTreeSet::from(["strong", "weak"]));
    assert!(report.quality.len() >= 4, "{} tasks with rules", report.quality.len());
    assert!(sensors_checked >= 2, "{sensors_checked} sensors of gated tasks checked");
}

/// The same flow means the same data on both versions: every templated field (SQL
/// partitions, DataX dates, Kylin segment times, sensor targets) renders identically.
#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn both_airflow_versions_render_the_same_partitions() {
    let v2 = loaded(AirflowVersion::V2_10);
    let v3 = loaded(AirflowVersion::V3);
    let normalise = |loaded: &Loaded, value: &Value| -> String {
        value
            .to_string()
            .replace(&loaded.env_dir.display().to_string(), "<out>")
    };
    let mut compared = 0;
    for (dag_id, dag) in v2.airflow["dags"].as_object().expect("dags") {
        let other = &v3.airflow["dags"][dag_id];
        assert_eq!(
            dag["sample_run"]["logical_date"], other["sample_run"]["logical_date"],
            "{dag_id}: logical date of the sample run"
        );
        for (task_id, task) in dag["tasks"].as_object().expect("tasks") {
            let theirs = &other["tasks"][task_id];
            for field in [
                "sql",
                "bash_command",
                "application_args",
                "partition_names",
                "endpoint",
                "start_time",
                "end_time",
                "filepath",
            ] {
                if let Some(value) = task["rendered"].get(field) {
                    assert_eq!(
                        normalise(v2, value),
                        normalise(v3, &theirs["rendered"][field]),
                        "{dag_id}.{task_id}.{field} differs between Airflow 2.10 and 3"
                    );
                    compared += 1;
                }
            }
            for key in ["execution_delta_target", "execution_date_fn_result"] {
                assert_eq!(task.get(key), theirs.get(key), "{dag_id}.{task_id}.{key}");
            }
        }
    }
    assert!(compared >= 40, "only {compared} fields compared");
    // And the partition really is the sample date in both.
    let sql = v2.airflow["dags"]["payments"]["tasks"]["dwd_pay_order"]["rendered"]["sql"]
        .as_str()
        .expect("rendered SQL");
    assert!(
        sql.contains(&format!("dt = '{SAMPLE_LOGICAL_DATE}'")) || sql.contains(&format!("dt='{SAMPLE_LOGICAL_DATE}'")),
        "{sql}"
    );
}

#[test]
fn compiling_twice_gives_byte_identical_output() {
    for version in AirflowVersion::ALL {
        let first = tempfile::tempdir().expect("temp dir");
        let second = tempfile::tempdir().expect("temp dir");
        compile(&example(), "prod", first.path(), version);
        compile(&example(), "prod", second.path(), version);
        let (a, b) = (output_tree(first.path()), output_tree(second.path()));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (path, bytes) in &a {
            assert!(bytes == &b[path], "{path} differs between two compiles");
        }
        assert!(a.len() > 30, "{} files", a.len());
        // No absolute path of the machine leaks into the output.
        let home = first.path().display().to_string();
        for (path, bytes) in &a {
            assert!(!text(bytes).contains(&home), "{path} holds the output path");
            assert!(
                !text(bytes).contains(env!("CARGO_MANIFEST_DIR")),
                "{path} holds the source path"
            );
        }
    }
}

fn run_compile(repo: &Path, out: &Path) -> std::process::Output {
    flowc_in(
        repo,
        &["compile", ".", "--env", "prod", "--out", &out.display().to_string()],
        b"",
    )
}

/// Reliability finding F13: `--env prod --env prod` failed in the staging step, exit 2,
/// after changing the output. An environment named twice is compiled once.
#[test]
fn an_environment_named_twice_is_compiled_once() {
    let repo = example_copy();
    let (once, twice) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    assert!(run_compile(repo.path(), once.path()).status.success());
    let out = twice.path().display().to_string();
    let output = flowc_in(
        repo.path(),
        &["compile", ".", "--env", "prod", "--env", "prod", "--out", &out],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).lines().count(), 1, "{}", text(&output.stdout));
    assert!(
        output_tree(once.path()) == output_tree(twice.path()),
        "the output differs from one --env prod"
    );
}

#[test]
fn a_failed_compile_leaves_the_previous_output_untouched() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert!(run_compile(repo.path(), out.path()).status.success());
    fs::write(out.path().join("prod/dags/hand_written.py"), "# not flowc's\n").expect("write");
    let before = tree(out.path());

    // A SQL syntax error in one flow: nothing is written, nothing removed.
    let sql = repo.path().join("flows/payments/dwd_pay_refund.sql");
    let original = fs::read_to_string(&sql).expect("sql");
    fs::write(&sql, original.replacen("SELECT", "SELEC", 1)).expect("write");
    let output = run_compile(repo.path(), out.path());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("flows/payments/dwd_pay_refund.sql:"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        text(&output.stdout).contains("left untouched"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(tree(out.path()), before, "output changed by a failed compile");
    fs::write(&sql, &original).expect("restore");

    // A repository template that does not render: R604, output untouched.
    fs::create_dir_all(repo.path().join("templates/airflow")).expect("mkdir");
    fs::write(
        repo.path().join("templates/airflow/dag.py.jinja"),
        "{{ dag.no_such_field }}\n",
    )
    .expect("write");
    let output = run_compile(repo.path(), out.path());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("R604"), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("templates/airflow/dag.py.jinja"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(tree(out.path()), before, "output changed by a failed compile");
    // Beside the output only flowc's store, with nothing half-built in it.
    assert_eq!(names(out.path()), [".flowc", "prod"], "something was left behind");
    assert_eq!(
        names(&out.path().join(".flowc")),
        [".airflowignore", "compile", "lock", "memo"],
        "something was left behind"
    );
    assert_eq!(
        names(&out.path().join(".flowc/compile/prod")),
        Vec::<String>::new(),
        "a half-built output was left behind"
    );
}

#[test]
fn stale_dags_are_removed_and_foreign_files_kept() {
    let repo = example_copy();
    let out = tempfile::tempdir().expect("temp dir");
    assert!(run_compile(repo.path(), out.path()).status.success());
    let dags = out.path().join("prod/dags");
    fs::write(dags.join("hand_written.py"), "# not flowc's\n").expect("write");
    assert!(dags.join("chargebacks.py").is_file());
    // Nothing reads the chargebacks flow's tables: it can go.
    fs::remove_dir_all(repo.path().join("flows/chargebacks")).expect("remove flow");
    let output = run_compile(repo.path(), out.path());
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains(" 0 removed"), "{}", text(&output.stdout));
    assert!(!dags.join("chargebacks.py").exists(), "stale DAG kept");
    assert!(!dags.join("sql/chargebacks").exists(), "stale SQL kept");
    assert!(
        dags.join("hand_written.py").is_file(),
        "a file flowc did not write was deleted"
    );
    // A second compile of the same input changes nothing.
    let output = run_compile(repo.path(), out.path());
    assert!(
        text(&output.stdout).contains("0 files written"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_repository_template_overrides_the_builtin_one() {
    let repo = example_copy();
    let output = flowc_in(repo.path(), &["templates"], b"");
    assert!(output.status.success());
    assert!(
        text(&output.stdout).contains("airflow/dag.py.jinja"),
        "{}",
        text(&output.stdout)
    );
    assert!(text(&output.stdout).contains("built-in"), "{}", text(&output.stdout));
    let builtin = flowc_in(repo.path(), &["templates", "--show", "airflow/dag.py.jinja"], b"");
    let custom = text(&builtin.stdout).replacen(
        "from datetime import",
        "# Reviewed by the platform team.\nfrom datetime import",
        1,
    );
    fs::create_dir_all(repo.path().join("templates/airflow")).expect("mkdir");
    fs::write(repo.path().join("templates/airflow/dag.py.jinja"), custom).expect("write");
    let listed = flowc_in(repo.path(), &["templates"], b"");
    assert!(
        text(&listed.stdout).contains("overridden by templates/airflow/dag.py.jinja"),
        "{}",
        text(&listed.stdout)
    );
    let out = tempfile::tempdir().expect("temp dir");
    assert!(run_compile(repo.path(), out.path()).status.success());
    let dag = fs::read_to_string(out.path().join("prod/dags/payments.py")).expect("dag");
    assert!(dag.contains("# Reviewed by the platform team."), "{dag}");
    let manifest = fs::read_to_string(out.path().join("prod/manifest.json")).expect("manifest");
    assert!(
        manifest.contains("\"templates/airflow/dag.py.jinja\""),
        "override not listed as an input"
    );
}

#[test]
fn dev_dags_are_prefixed_and_unknown_environments_refused() {
    let out = tempfile::tempdir().expect("temp dir");
    compile(&example(), "dev", out.path(), AirflowVersion::V2_10);
    let dag = fs::read_to_string(out.path().join("dev/dags/dev__payments.py")).expect("dev DAG");
    assert!(dag.contains("dag_id='dev__payments'"), "{dag}");
    let risk = fs::read_to_string(out.path().join("dev/dags/dev__risk.py")).expect("dev DAG");
    assert!(
        risk.contains("external_dag_id='dev__payments'"),
        "dev sensors wait for dev DAGs"
    );
    let output = flowc(
        &[
            "compile",
            "examples/wingpay",
            "--env",
            "staging",
            "--out",
            &out.path().display().to_string(),
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no environment `staging`"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_sub_folder_finds_its_repository_upwards_and_paths_stay_relative_to_it() {
    let repo = example_copy();
    let flow = repo.path().join("flows/payments");
    let sql = fs::read_dir(&flow)
        .expect("flow folder")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension() == Some(OsStr::new("sql")))
        .expect("a SQL file");
    fs::write(&sql, "SELEC broken").expect("break the SQL");
    let output = flowc_in(&flow, &["check"], b"");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("note: using the repository at `../..`\n"),
        "{stderr}"
    );
    let name = sql.file_name().expect("name").to_string_lossy().into_owned();
    assert!(stderr.contains(&format!(" --> flows/payments/{name}:1:1")), "{stderr}");
    // A REPO that is given is used as given: no search.
    let output = flowc_in(&flow, &["check", "."], b"");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("no repository at `.`"));
}
