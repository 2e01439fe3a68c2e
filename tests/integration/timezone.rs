//! Time zones in a real Airflow: `tests/fixtures/airflow/timezone` compiled for Airflow
//! 2.10 and 3, its DAGs run with Airflow's own test runner (`dag.test()`, through
//! `tests/airflow/run_dag.py`, Spark jobs replaced by stand-ins that record the SQL
//! Airflow rendered).
//!
//! Each run is the run of one business date: its data interval is Airflow's, worked out
//! by the DAG's own `CronDataIntervalTimetable` from the logical date given. `dag.test()`
//! makes a manual run, whose interval is the last complete one before its logical date
//! (2.10 and 3.x alike), so a run is started at the end of the interval wanted; an
//! upstream run is started at its interval's start, the logical date its scheduled run
//! has and a sensor looks for.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, for_both_versions, run_dags_at};
use crate::support::repo_root;

/// Compiles the time-zone fixture for `version` into `out`; returns `<out>/prod`.
fn compile(version: AirflowVersion, out: &Path) -> PathBuf {
    let repo = repo_root().join("tests/fixtures/airflow/timezone");
    crate::compile::compile(&repo, "prod", out, version);
    out.join("prod")
}

/// The scheduled run of a business date: the start and end of its data interval.
#[derive(Clone, Copy)]
struct Run {
    dag_id: &'static str,
    start: &'static str,
    end: &'static str,
}

/// Runs `upstream` (each at its interval's start: the logical date a sensor matches),
/// then `runs` (each at its interval's end, so that the manual run has that interval).
fn run(version: AirflowVersion, upstream: &[Run], runs: &[Run]) -> Value {
    let out = tempfile::tempdir().expect("temp dir");
    let env_dir = compile(version, out.path());
    let at: Vec<(&str, &str)> = upstream
        .iter()
        .map(|r| (r.dag_id, r.start))
        .chain(runs.iter().map(|r| (r.dag_id, r.end)))
        .collect();
    run_dags_at(version, &env_dir.join("dags"), &at, &env_dir.join("pools.json"))
}

/// The SQL Airflow rendered for `task` (`dag_id.task_id`).
fn rendered_sql<'a>(result: &'a Value, task: &str) -> &'a str {
    result["stand_in"]
        .as_array()
        .and_then(|runs| runs.iter().find(|r| r["task"] == task))
        .and_then(|r| r["sql"].as_str())
        .unwrap_or_else(|| panic!("{task} did not run: {result:#}"))
}

/// Hours between two ISO instants of a run's data interval.
fn hours(result: &Value, dag_id: &str) -> i64 {
    let interval = &result["runs"][dag_id]["data_interval"];
    let instant = |i: usize| {
        let text = interval[i].as_str().unwrap_or_default();
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{dag_id}: interval `{text}`: {e}"))
            .timestamp()
    };
    (instant(1) - instant(0)) / 3600
}

fn interval(result: &Value, dag_id: &str) -> [String; 2] {
    let at = |i: usize| {
        result["runs"][dag_id]["data_interval"][i]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    [at(0), at(1)]
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn a_shanghai_run_at_one_writes_the_local_business_date_in_airflow() {
    for_both_versions(|version| {
        // The run that starts at 01:00 on 6 March, Beijing time: data interval from
        // 5 March 01:00 +08:00 (17:00 UTC on the 4th, the UTC `ds`) to 6 March 01:00.
        let ingest = Run {
            dag_id: "ingest",
            start: "2024-03-05T01:00:00+08:00",
            end: "2024-03-06T01:00:00+08:00",
        };
        let result = run(version, &[], &[ingest]);
        assert_eq!(result["runs"]["ingest"]["state"], "success", "{version:?}: {result:#}");
        assert_eq!(
            interval(&result, "ingest"),
            ["2024-03-04T17:00:00+00:00", "2024-03-05T17:00:00+00:00"],
            "{version:?}"
        );
        let sql = rendered_sql(&result, "ingest.load");
        assert!(
            sql.contains("PARTITION (dt = '2024-03-05')") && sql.contains("day = '20240305'"),
            "{version:?}: not the Beijing business date:\n{sql}"
        );
    });
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn a_daily_run_across_a_daylight_saving_switch_keeps_the_local_date_in_airflow() {
    for_both_versions(|version| {
        // Spring forward: 01:00 CET on 31 March to 01:00 CEST on 1 April, 23 hours.
        let spring = Run {
            dag_id: "berlin",
            start: "2024-03-31T01:00:00+01:00",
            end: "2024-04-01T01:00:00+02:00",
        };
        let result = run(version, &[], &[spring]);
        assert_eq!(result["runs"]["berlin"]["state"], "success", "{version:?}: {result:#}");
        assert_eq!(
            interval(&result, "berlin"),
            ["2024-03-31T00:00:00+00:00", "2024-03-31T23:00:00+00:00"],
            "{version:?}"
        );
        assert_eq!(hours(&result, "berlin"), 23, "{version:?}");
        let sql = rendered_sql(&result, "berlin.daily");
        assert!(
            sql.contains("PARTITION (dt = '2024-03-31')") && sql.contains("day = '20240331'"),
            "{version:?}:\n{sql}"
        );
        // Fall back: 01:00 CEST on 27 October to 01:00 CET on 28 October, 25 hours.
        let autumn = Run {
            dag_id: "berlin",
            start: "2024-10-27T01:00:00+02:00",
            end: "2024-10-28T01:00:00+01:00",
        };
        let result = run(version, &[], &[autumn]);
        assert_eq!(
            interval(&result, "berlin"),
            ["2024-10-26T23:00:00+00:00", "2024-10-28T00:00:00+00:00"],
            "{version:?}"
        );
        assert_eq!(hours(&result, "berlin"), 25, "{version:?}");
        let sql = rendered_sql(&result, "berlin.daily");
        assert!(sql.contains("PARTITION (dt = '2024-10-27')"), "{version:?}:\n{sql}");
    });
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn sensors_find_the_upstream_run_of_the_same_business_date_across_zones_in_airflow() {
    for_both_versions(|version| {
        // Summer: 01:00 Beijing time (17:00 UTC the day before) and 03:00 London time
        // (BST, 02:00 UTC) are 9 hours apart; in winter 10.
        let ingest = Run {
            dag_id: "ingest",
            start: "2024-07-05T01:00:00+08:00",
            end: "2024-07-06T01:00:00+08:00",
        };
        let report = Run {
            dag_id: "london_report",
            start: "2024-07-05T03:00:00+01:00",
            end: "2024-07-06T03:00:00+01:00",
        };
        // The day the clocks jump: 01:00 CET and 03:00 CEST are 1 hour apart, not 2.
        let berlin = Run {
            dag_id: "berlin",
            start: "2024-03-31T01:00:00+01:00",
            end: "2024-04-01T01:00:00+02:00",
        };
        let late = Run {
            dag_id: "berlin_late",
            start: "2024-03-31T03:00:00+02:00",
            end: "2024-04-01T03:00:00+02:00",
        };
        let result = run(version, &[ingest, berlin], &[report, late]);
        for (dag_id, sensor, task, day) in [
            ("london_report", "wait__ingest__load", "report", "2024-07-05"),
            ("berlin_late", "wait__berlin__daily", "summary", "2024-03-31"),
        ] {
            let run = &result["runs"][dag_id];
            assert_eq!(run["states"][sensor], "success", "{version:?}: {result:#}");
            assert_eq!(run["state"], "success", "{version:?}: {result:#}");
            let sql = rendered_sql(&result, &format!("{dag_id}.{task}"));
            assert!(
                sql.contains(&format!("PARTITION (dt = '{day}')")),
                "{version:?}:\n{sql}"
            );
        }
        assert_eq!(
            interval(&result, "london_report")[0],
            "2024-07-05T02:00:00+00:00",
            "{version:?}"
        );
        assert_eq!(
            interval(&result, "berlin_late")[0],
            "2024-03-31T01:00:00+00:00",
            "{version:?}"
        );
    });
}
