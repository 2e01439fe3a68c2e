//! Column breaking changes end to end, finding 13 of the second new-user trial: a
//! column renamed in the SQL that writes it, while a report downstream still selects
//! it, fails `flowc check` at the report's column and `flowc plan --fail-on-breaking`
//! naming the report's file and line.

use std::fs;

use super::Repo;
use crate::support::{flowc_in, text};

/// The report of the trial: the top merchants by net GMV, reading `net_gmv_cny` on
/// line 3.
const TOP_MERCHANTS: &str = "INSERT OVERWRITE TABLE ads_top_merchants PARTITION (dt = '${bizdate}')
SELECT merchant_id,
       net_gmv_cny
FROM dws.dws_pay_merchant_1d
WHERE dt = '${bizdate}';
";

#[test]
fn a_renamed_column_still_read_downstream_fails_check_and_the_plan_at_the_reader() {
    let repo = Repo::example();
    repo.edit("flows/reporting/flow.yaml", |yaml| {
        yaml.replacen(
            "\ntasks:\n",
            "\ntasks:\n  - name: ads_top_merchants\n    type: sparksql\n    sql: ads_top_merchants.sql\n\n",
            1,
        )
    });
    fs::write(repo.path().join("flows/reporting/ads_top_merchants.sql"), TOP_MERCHANTS).expect("write the report");
    repo.commit_all("the top merchants report");
    let check = flowc_in(repo.path(), &["check", "."], b"");
    assert_eq!(check.status.code(), Some(0), "main checks: {}", text(&check.stderr));

    repo.branch("dev");
    repo.edit("flows/payments/dws_pay_merchant_1d.sql", |sql| {
        sql.replace("AS net_gmv_cny,", "AS net_gmv_cny_amount,")
    });
    // The table is declared (for its DDL): the declaration follows the rename.
    repo.edit("flows/payments/flow.yaml", |yaml| {
        yaml.replace(
            "{name: net_gmv_cny, type: double}",
            "{name: net_gmv_cny_amount, type: double}",
        )
    });
    // So does the task's unit test, which expects the column (T803 otherwise).
    repo.edit("flows/payments/tests/dws_pay_merchant_1d.yaml", |yaml| {
        yaml.replace("net_gmv_cny:", "net_gmv_cny_amount:")
    });
    repo.commit_all("rename net_gmv_cny");

    // The check fails at the report's column.
    let check = flowc_in(repo.path(), &["check", "."], b"");
    let found = text(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{found}");
    assert!(found.contains("Q308"), "{found}");
    assert!(found.contains("flows/reporting/ads_top_merchants.sql:3:"), "{found}");

    // The plan names the report's file and line, and fails.
    let plan = repo.plan(&["--base", "main", "--head", "dev", "--fail-on-breaking"]);
    let stderr = text(&plan.stderr);
    assert_eq!(plan.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "  ! dws.dws_pay_merchant_1d.net_gmv_cny renamed to net_gmv_cny_amount?, but is still read at:\n      flows/reporting/ads_top_merchants.sql:3 (reporting.ads_top_merchants)\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("Q308"), "the head's errors follow: {stderr}");
    let markdown = text(
        &repo
            .plan(&["--base", "main", "--head", "dev", "--format", "markdown"])
            .stdout,
    );
    let warning = markdown.find("> [!WARNING]").expect("a warning block");
    let errors = markdown.find("````text").expect("the errors");
    assert!(warning < errors, "breaking changes come first:\n{markdown}");
    assert!(
        markdown.contains(
            "> - `dws.dws_pay_merchant_1d.net_gmv_cny` **renamed** to `net_gmv_cny_amount`? — still read at `flows/reporting/ads_top_merchants.sql:3` (`reporting.ads_top_merchants`)\n"
        ),
        "{markdown}"
    );

    // The report follows the rename: the check passes, the plan shows the rename
    // and breaks nothing.
    repo.edit("flows/reporting/ads_top_merchants.sql", |sql| {
        sql.replace("net_gmv_cny", "net_gmv_cny_amount")
    });
    repo.commit_all("the report follows");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(plan["columns"]["breaking"], serde_json::json!([]));
    let table = plan["columns"]["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == "dws.dws_pay_merchant_1d")
        .expect("the renamed table");
    assert_eq!(
        table["renamed"],
        serde_json::json!([{"from": "net_gmv_cny", "to": "net_gmv_cny_amount", "data_type": table["renamed"][0]["data_type"], "evidence": "same_position"}])
    );
}
