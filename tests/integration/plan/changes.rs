//! What the plan shows for kinds of change: a renamed table still read downstream
//! (breaking), flows added and removed, schedule and priority changes, and a change too
//! big for one GitHub comment.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use super::{Repo, strings};

#[test]
fn a_renamed_table_still_read_downstream_is_a_breaking_change() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/chargebacks/dwd_chargeback.sql", |sql| {
        sql.replace(
            "INSERT INTO TABLE dwd.dwd_pay_chargeback_di",
            "INSERT INTO TABLE dwd.dwd_pay_chargeback_v2_di",
        )
    });
    repo.commit_all("rename the chargeback fact");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(
        plan["breaking"],
        serde_json::json!([{
            "kind": "table_no_longer_written",
            "table": "dwd.dwd_pay_chargeback_di",
            "writer": "chargebacks.dwd_chargeback",
            "readers": ["chargebacks.ads_merchant_chargeback"],
            "renamed_to": "dwd.dwd_pay_chargeback_v2_di",
        }])
    );
    assert_eq!(
        plan["writers"],
        serde_json::json!([
            {"table": "dwd.dwd_pay_chargeback_di", "before": "chargebacks.dwd_chargeback", "after": null},
            {"table": "dwd.dwd_pay_chargeback_v2_di", "before": null, "after": "chargebacks.dwd_chargeback"},
        ])
    );
    // The reader lost its input: it is downstream of the change.
    assert_eq!(
        strings(&plan["impact"][0]["downstream_tasks"]),
        BTreeSet::from(["chargebacks.ads_merchant_chargeback".to_owned()])
    );
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert!(markdown.contains("> [!WARNING]\n> **1 breaking change**"), "{markdown}");
    assert!(
        markdown.contains("renamed to `dwd.dwd_pay_chargeback_v2_di`?"),
        "{markdown}"
    );
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(
        text.contains("  ! dwd.dwd_pay_chargeback_di is no longer written (was written by chargebacks.dwd_chargeback), but is still read by:\n      chargebacks.ads_merchant_chargeback\n"),
        "{text}"
    );
    assert!(text.ends_with("; 1 breaking change.\n"), "{text}");
    // For CI: the same plan, and exit 1.
    let failed = repo.plan(&["--base", "main", "--head", "dev", "--fail-on-breaking"]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&failed.stdout), text);
    assert!(String::from_utf8_lossy(&failed.stderr).contains("plan failed: 1 breaking change (--fail-on-breaking)"));
}

#[test]
fn flows_added_and_removed() {
    let repo = Repo::example();
    repo.branch("dev");
    fs::remove_dir_all(repo.path().join("flows/chargebacks")).expect("remove a flow");
    fs::create_dir_all(repo.path().join("flows/fraud_ops")).expect("mkdir");
    fs::write(
        repo.path().join("flows/fraud_ops/flow.yaml"),
        "name: fraud_ops\nowner: risk\nschedule: \"0 6 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: ads_fraud_watchlist\n    type: sparksql\n    sql: ads_fraud_watchlist.sql\n",
    )
    .expect("flow.yaml");
    fs::write(
        repo.path().join("flows/fraud_ops/ads_fraud_watchlist.sql"),
        "INSERT OVERWRITE TABLE ads.ads_risk_fraud_watchlist PARTITION (dt = '${bizdate}')\nSELECT user_id FROM dws.dws_risk_user_1d WHERE dt = '${bizdate}';\n",
    )
    .expect("sql");
    repo.commit_all("fraud_ops replaces chargebacks");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    let flows: Vec<(String, String)> = plan["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|f| {
            (
                f["flow"].as_str().expect("flow").to_owned(),
                f["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        flows,
        vec![
            ("chargebacks".to_owned(), "removed".to_owned()),
            ("fraud_ops".to_owned(), "added".to_owned())
        ]
    );
    let tasks: BTreeMap<String, String> = plan["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| {
            (
                t["task"].as_str().expect("task").to_owned(),
                t["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(tasks["fraud_ops.ads_fraud_watchlist"], "added");
    assert_eq!(tasks["fraud_ops.wait__risk__dws_risk_user_1d"], "added");
    assert_eq!(tasks["chargebacks.dwd_chargeback"], "removed");
    assert_eq!(tasks["chargebacks.wait__payments__dwd_pay_order"], "removed");
    let files: BTreeMap<String, String> = plan["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(files["dags/fraud_ops.py"], "added");
    assert_eq!(files["dags/chargebacks.py"], "removed");
    assert_eq!(files["dags/sql/chargebacks/dwd_chargeback.sql"], "removed");
    assert_eq!(
        plan["breaking"],
        serde_json::json!([]),
        "nothing read what chargebacks wrote"
    );
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(
        text.contains("\n  - chargebacks (DAG chargebacks)\n  + fraud_ops (DAG fraud_ops)\n"),
        "{text}"
    );
    assert!(text.contains("\n+++ b/dags/fraud_ops.py\n"), "{text}");
}

#[test]
fn a_schedule_change_and_a_priority_change() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/payments/flow.yaml", |yaml| {
        yaml.replacen("schedule: \"30 2 * * *\"", "schedule: \"0 3 * * *\"", 1)
    });
    repo.edit("flows/reporting/flow.yaml", |yaml| {
        yaml.replacen(
            "      depends_on.\n    priority: important",
            "      depends_on.\n    priority: normal",
            1,
        )
    });
    repo.commit_all("payments later; the export is less urgent");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(
        plan["flows"],
        serde_json::json!([{
            "flow": "payments",
            "dag_id": "payments",
            "status": "changed",
            "changes": [{"kind": "schedule", "field": "schedule", "before": "cron 30 2 * * *", "after": "cron 0 3 * * *"}],
        }])
    );
    let tasks = plan["tasks"].as_array().expect("tasks");
    let export = tasks
        .iter()
        .find(|t| t["task"] == "reporting.export_gmv_to_mysql")
        .expect("the export changed");
    assert_eq!(export["affects_data"], false, "{export}");
    let kinds: BTreeSet<&str> = export["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind"))
        .collect();
    assert!(kinds.contains("priority") && kinds.contains("pool"), "{kinds:?}");
    assert!(
        kinds.iter().all(|k| !["sql", "config", "reads", "writes"].contains(k)),
        "{kinds:?}"
    );
    // Sensors waiting for payments now wait for a run at another time.
    assert!(
        tasks.iter().any(|t| t["task_type"] == "wait"
            && t["task"].as_str().is_some_and(|n| n.contains("wait__payments__"))
            && t["changes"].to_string().contains("execution_delta_seconds")),
        "{tasks:?}"
    );
    // Neither change alters what a task computes: nothing is indirectly affected.
    assert_eq!(plan["indirectly_affected"], serde_json::json!([]));
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert!(
        markdown.contains("| `~` | `payments` | `payments` | schedule: `cron 30 2 * * *` → `cron 0 3 * * *` |"),
        "{markdown}"
    );
    assert!(markdown.contains("_(scheduling only)_"), "{markdown}");
}

#[test]
fn markdown_of_a_huge_change_stays_under_the_github_limit_and_says_what_it_cut() {
    let repo = Repo::example();
    repo.branch("dev");
    let filler: String = (0..400).fold(String::new(), |mut text, i| {
        text.push_str("-- ");
        text.push_str(&"generated documentation line ".repeat(1 + i % 4));
        text.push('\n');
        text
    });
    for flow in fs::read_dir(repo.path().join("flows")).expect("flows") {
        for file in fs::read_dir(flow.expect("flow").path()).expect("files") {
            let path = file.expect("file").path();
            if path.extension().is_some_and(|e| e == "sql") {
                let sql = fs::read_to_string(&path).expect("sql");
                fs::write(&path, format!("{filler}{sql}")).expect("write");
            }
        }
    }
    repo.commit_all("document everything");
    let sql_files = fs::read_dir(repo.path().join("flows"))
        .expect("flows")
        .flat_map(|flow| fs::read_dir(flow.expect("flow").path()).expect("files"))
        .filter(|file| {
            file.as_ref()
                .expect("file")
                .path()
                .extension()
                .is_some_and(|e| e == "sql")
        })
        .count();
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert!(
        markdown.chars().count() < 65_536,
        "{} characters",
        markdown.chars().count()
    );
    assert!(markdown.starts_with("<!-- flowc:plan env=prod -->\n"));
    assert!(
        markdown.contains(&format!("**Plan:** {sql_files} tasks changed")),
        "{}",
        &markdown[..600]
    );
    assert!(
        markdown.contains("This plan was shortened to fit in a GitHub comment")
            && markdown.contains("run `flowc plan --base main --head dev --env prod --format text` to see all of it."),
        "{}",
        &markdown[markdown.len().saturating_sub(800)..]
    );
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count()
    );
    // The text view is not cut this way.
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(text.len() > markdown.len(), "text {} bytes", text.len());
}

#[test]
fn a_changed_partition_shows_as_a_change_of_its_partition_step() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/ods_ingest/flow.yaml", |yaml| {
        yaml.replacen(
            "      table: ods.usr_user\n      partition: \"dt=${bizdate}\"",
            "      table: ods.usr_user\n      partition: \"dt=${bizdate_nodash}\"",
            1,
        )
    });
    repo.commit_all("users land in yyyyMMdd partitions");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    let tasks = plan["tasks"].as_array().expect("tasks");
    let step = tasks
        .iter()
        .find(|t| t["task"] == "ods_ingest.sync_user__partition")
        .unwrap_or_else(|| panic!("the partition step changed: {tasks:?}"));
    assert_eq!(step["task_type"], "partition", "{step}");
    assert_eq!(step["status"], "changed", "{step}");
    assert!(
        step["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["kind"] == "sql" && c["field"] == "sql_template"),
        "{step}"
    );
    // The sync itself changed too (its DataX job writes another directory).
    assert!(tasks.iter().any(|t| t["task"] == "ods_ingest.sync_user"), "{tasks:?}");
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(text.contains("ods_ingest.sync_user__partition"), "{text}");
}
