//! Access and data quality rule changes that loosen a control: a widened grant, a
//! strong rule turned weak with a higher threshold, a removed rule.

use super::Repo;

#[test]
fn a_widened_grant_is_listed_as_a_loosened_access_change() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flowc.yaml", |yaml| {
        yaml.replacen("      - read: \"ods.risk_*\"\n", "      - read: \"ods.*\"\n", 1)
    });
    repo.commit_all("risk reads all of ods");
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(
        text.contains("Access changes:\n  ~ team risk (loosened: review who gains access)\n      - read ods.risk_*\n      + read ods.*\n"),
        "{text}"
    );
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert!(markdown.contains("### Access\n\n> [!IMPORTANT]"), "{markdown}");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(plan["summary"]["access_changes"], 1);
    assert_eq!(plan["access"][0]["loosened"], true);
}

#[test]
fn a_strong_rule_turned_weak_with_a_higher_threshold_is_listed_as_loosened() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/payments/flow.yaml", |yaml| {
        yaml.replacen(
            "        severity: strong\n        threshold: 0.01\n        accuracy:\n          reconcile: {sum: gmv_cny",
            "        severity: weak\n        threshold: 5\n        accuracy:\n          reconcile: {sum: gmv_cny",
            1,
        )
        .replacen(
            "          not_null: [order_id, user_id, merchant_id]\n",
            "          not_null: [order_id, merchant_id]\n",
            1,
        )
    });
    repo.commit_all("looser payment checks");
    let text = repo.plan_ok(&["--base", "main", "--head", "dev"]);
    assert!(
        text.contains(
            "Quality rules:\n  ~ payments.merchant_gmv_reconciles (accuracy.reconcile on dws.dws_pay_merchant_1d, weak, \
             after payments.dws_pay_merchant_1d) — loosened\n      severity: strong → weak\n      threshold: <= 0.01 → <= 5\n\
             \x20     loosened: strong → weak: a failure no longer stops what runs after dws.dws_pay_merchant_1d\n\
             \x20     loosened: threshold 0.01 → 5 (passes when the observed value is <= it)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("      columns: -user_id\n      loosened: no longer checks user_id for nulls\n"),
        "{text}"
    );
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert!(markdown.contains("### Data quality\n\n> [!WARNING]"), "{markdown}");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(plan["summary"]["quality_changes"], 2);
    assert_eq!(plan["summary"]["quality_loosened"], 2);
    let rules: Vec<&str> = plan["quality"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|q| q["rule"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        rules,
        ["payments.merchant_gmv_reconciles", "payments.pay_order_keys_present"]
    );
    // The gate after the payments table no longer waits for the weakened check.
    assert!(
        text.contains(
            "  ~ payments.dws_pay_merchant_1d__dq (quality_gate, scheduling only)\n\
             \x20     upstream: -payments.dws_pay_merchant_1d__dq_merchant_gmv_reconciles\n"
        ),
        "{text}"
    );
}

#[test]
fn a_removed_quality_rule_is_listed_as_loosened() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/payments/flow.yaml", |yaml| {
        yaml.replacen(
            "      - name: pay_order_status_known\n        severity: strong\n        validity:\n          accepted_values:\n            column: order_status\n            values: [SUCCESS, FAILED, CLOSED, REFUNDED, PROCESSING]\n",
            "",
            1,
        )
    });
    repo.commit_all("drop the status check");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(plan["quality"][0]["rule"], "payments.pay_order_status_known");
    assert_eq!(plan["quality"][0]["status"], "removed");
    assert_eq!(plan["quality"][0]["loosened"][0], "the rule no longer runs");
    assert_eq!(
        plan["quality"][0]["loosened"][1],
        "downstream of dwd.dwd_pay_order_di no longer waits for it"
    );
}
