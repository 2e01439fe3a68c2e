//! `flowc run` renders what Airflow renders: every Spark SQL task (loads, partition
//! steps, quality checks) and DataX command of the example's dev DAGs, rendered by a
//! real Airflow (2.10 and 3.x, `tests/airflow/render_run.py`: the task instance's own
//! `render_templates()`) for the run of a business date, is byte for byte what
//! `flowc run --dry-run` prints for that date.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::{Value, json};

use crate::airflow_harness::{for_both_versions, venv_python};
use crate::compile::compile;
use crate::run_dry::dry_run_file;
use crate::support::{example, flowc, repo_root, text};

/// The business date every flow is run for.
const DAY: &str = "2024-03-05";

/// What `flowc run --dry-run` printed for one flow.
struct DryRun {
    dag_id: String,
    logical_date: String,
    data_interval_end: String,
    run_id: String,
    /// `dag_id.task_id` → the SQL or the bash command.
    rendered: BTreeMap<String, String>,
}

fn dry_run(flow: &str) -> DryRun {
    let output = flowc(
        &[
            "run",
            &example().display().to_string(),
            flow,
            "--env",
            "dev",
            "--date",
            DAY,
            "--dry-run",
            "--with-checks",
        ],
        b"",
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{flow}: {stdout}{}", text(&output.stderr));
    let header = stdout.lines().next().unwrap_or_default();
    let interval = header
        .split_once("(data interval ")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .expect("the header names the data interval");
    let (dates, run_id) = interval.split_once(", run id ").expect("and the run id");
    let (start, end) = dates.split_once(" to ").expect("start to end");
    let dag_id = format!("dev__{flow}");
    let mut rendered = BTreeMap::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("# [")
            .and_then(|rest| rest.split_once("] "))
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(name, _)| name)
        else {
            continue;
        };
        let task_id = name.split_once('.').map_or(name, |(_, task)| task);
        let command = lines.find(|l| l.starts_with("$ ")).expect("a command follows");
        let key = format!("{dag_id}.{task_id}");
        if let Some(quoted) = command.strip_prefix("$ bash -c ") {
            rendered.insert(key, unquote(quoted));
        } else if command.starts_with("$ spark-sql ") {
            let path = format!("<run>/sql/{flow}/{task_id}.sql");
            let sql = dry_run_file(&stdout, &path).unwrap_or_else(|| panic!("{path} is shown"));
            rendered.insert(key, sql.to_owned());
        }
    }
    DryRun {
        dag_id,
        logical_date: start.to_owned(),
        data_interval_end: end.to_owned(),
        run_id: run_id.to_owned(),
        rendered,
    }
}

/// A word quoted for a POSIX shell (`'…'`, `'\''` for a quote), unquoted.
fn unquote(quoted: &str) -> String {
    let mut out = String::new();
    let mut rest = quoted;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\'") {
            out.push('\'');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('\'') {
            let end = after.find('\'').expect("a closing quote");
            out.push_str(&after[..end]);
            rest = &after[end + 1..];
        } else {
            panic!("not a quoted word: {quoted}");
        }
    }
    out
}

#[test]
#[ignore = "needs Airflow (Python 3.11, the network to install .venv/): run by scripts/test.sh"]
fn flowc_run_renders_every_task_exactly_as_airflow_does() {
    let flows = [
        "chargebacks",
        "merchants",
        "ods_ingest",
        "payments",
        "reporting",
        "risk",
        "users",
    ];
    let runs: Vec<DryRun> = flows.iter().map(|flow| dry_run(flow)).collect();
    let compared: usize = runs.iter().map(|r| r.rendered.len()).sum();
    // Every load, partition step, check and sync of the example.
    assert!(compared >= 60, "only {compared} tasks rendered");
    let runs_json: Vec<Value> = runs
        .iter()
        .map(|run| {
            json!({
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "logical_date": run.logical_date,
                "data_interval_end": run.data_interval_end,
                // What a triggered flow's run is started with; the others ignore it.
                "conf": {"bizdate": DAY},
            })
        })
        .collect();
    for_both_versions(|version| {
        let out = tempfile::tempdir().expect("temp dir");
        compile(&example(), "dev", out.path(), version);
        let dags = out.path().join("dev/dags");
        let output = Command::new(venv_python(version))
            .arg(repo_root().join("tests/airflow/render_run.py"))
            .arg(&dags)
            .arg(Value::from(runs_json.clone()).to_string())
            .output()
            .expect("python runs");
        assert!(output.status.success(), "{version:?}: {}", text(&output.stderr));
        let airflow: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        // Where Airflow's DAG folder has the DataX files, flowc run has its own folder.
        let datax = format!("{}/../datax", dags.display());
        for run in &runs {
            for (task, ours) in &run.rendered {
                let fields = &airflow["tasks"][task];
                let theirs = match fields["sql"].as_str() {
                    Some(sql) => sql.to_owned(),
                    None => fields["bash_command"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{version:?}: Airflow rendered nothing for {task}: {fields}"))
                        .replace(&datax, "<run>/datax"),
                };
                assert_eq!(ours, &theirs, "{version:?}: {task}");
            }
        }
    });
}
