//! The table DDL a change needs, in the plan: a new table's CREATE TABLE, columns added
//! after the last one as ALTER TABLE … ADD COLUMNS, a changed comment, and columns
//! moved — which cannot be applied in place — flagged with what to do.

use std::fs;

use serde_json::Value;

use super::{Repo, settings};

/// A new report table (its columns inferred from a declared table).
const CHANNEL_TOP: &str = "INSERT OVERWRITE TABLE ads_pay_channel_top PARTITION (dt = '${bizdate}')
SELECT channel, order_cnt
FROM dws.dws_pay_channel_1d
WHERE dt = '${bizdate}';
";

fn ddl_change() -> Repo {
    let repo = Repo::example();
    repo.branch("dev");
    // A new table.
    repo.edit("flows/reporting/flow.yaml", |yaml| {
        yaml.replacen(
            "\ntasks:\n",
            "\ntasks:\n  - name: ads_pay_channel_top\n    type: sparksql\n    sql: ads_pay_channel_top.sql\n\n",
            1,
        )
    });
    fs::write(repo.path().join("flows/reporting/ads_pay_channel_top.sql"), CHANNEL_TOP).expect("write the report");
    // A column added at the end, and a comment changed.
    repo.edit("flows/merchants/flow.yaml", |yaml| {
        yaml.replace(
            "      - {name: model_version, type: string}\n",
            "      - {name: model_version, type: string, description: the model's release}\n      - {name: scored_at, type: timestamp}\n",
        )
    });
    // Two columns swapped.
    repo.edit("flows/risk/flow.yaml", |yaml| {
        yaml.replacen(
            "      - {name: fraud_score, type: double, description: between 0 and 1}\n      - {name: top_reason, type: string, description: the feature that weighs most in the score}\n",
            "      - {name: top_reason, type: string, description: the feature that weighs most in the score}\n      - {name: fraud_score, type: double, description: between 0 and 1}\n",
            1,
        )
    });
    repo.commit_all("DDL changes");
    repo
}

#[test]
fn the_plan_shows_the_ddl_a_change_needs_and_what_cannot_be_applied_in_place() {
    let repo = ddl_change();
    let plan = repo.plan_json(&["--base", "main", "--head", "dev", "--env", "dev"]);
    let ddl = plan["ddl"].as_array().expect("a ddl list");
    let kinds: Vec<(&str, &str)> = ddl
        .iter()
        .map(|c| (c["table"].as_str().unwrap_or(""), c["kind"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("dev_ads.ads_pay_channel_top", "create"),
            ("dev_dws.dws_mch_churn_score", "add_columns"),
            ("dev_dws.dws_risk_fraud_score_1d", "not_in_place"),
        ],
        "{ddl:#?}"
    );
    assert_eq!(plan["summary"]["ddl_changes"], 3);
    assert_eq!(plan["summary"]["ddl_not_in_place"], 1);
    let statements = |i: usize| -> Vec<&str> {
        ddl[i]["statements"]
            .as_array()
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        statements(1),
        [
            "ALTER TABLE `dev_dws`.`dws_mch_churn_score` ADD COLUMNS (\n  `scored_at` timestamp\n);",
            "ALTER TABLE `dev_dws`.`dws_mch_churn_score` ALTER COLUMN `model_version` COMMENT 'the model\\u0027s release';",
        ]
    );
    assert!(statements(0)[0].starts_with(
        "CREATE TABLE IF NOT EXISTS `dev_ads`.`ads_pay_channel_top` (\n  `channel` string,\n  `order_cnt` bigint\n)"
    ));
    assert_eq!(ddl[2]["reasons"][0], "columns reordered");

    for format in ["text", "markdown"] {
        let output = repo.plan_ok(&["--base", "main", "--head", "dev", "--env", "dev", "--format", format]);
        let (start, end) = match format {
            "text" => ("\nTable DDL:\n", "\n\n"),
            _ => ("### Table DDL", "\n### "),
        };
        let from = output
            .find(start)
            .unwrap_or_else(|| panic!("no DDL section in:\n{output}"));
        let section = &output[from..];
        let section = section[1..].find(end).map_or(section, |to| &section[..=to]);
        let mut settings = settings(&format!(
            "the Table DDL section of flowc plan --format {format}, three tables changed"
        ));
        // Beside the other plan snapshots (the path is relative to this file).
        settings.set_snapshot_path("../snapshots/plan");
        settings.bind(|| insta::assert_snapshot!(format!("ddl_change_{format}"), section));
    }
}
