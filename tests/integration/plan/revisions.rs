//! Which revisions are planned: a merge commit as the base, the work tree as the
//! default head, errors in either side, and an environment the base does not have.

use super::{Repo, sql_change};
use crate::support::text;

#[test]
fn a_merge_commit_can_be_the_base() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/users/dim_user.sql", |sql| format!("-- dev change\n{sql}"));
    repo.commit_all("dev: dim_user");
    repo.checkout("main");
    repo.edit("flows/risk/ads_risk_alert.sql", |sql| {
        format!("-- hotfix on main\n{sql}")
    });
    repo.commit_all("main: hotfix");
    let merge = repo.merge("dev");
    assert_eq!(
        repo.git.find_commit(merge).expect("merge").parent_count(),
        2,
        "a real merge commit"
    );
    repo.branch("feature");
    repo.edit("flows/merchants/dim_merchant.sql", |sql| format!("-- feature\n{sql}"));
    repo.commit_all("feature: dim_merchant");
    let plan = repo.plan_json(&["--base", "main", "--head", "feature"]);
    let changed: Vec<&str> = plan["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["task"].as_str().expect("task"))
        .collect();
    assert_eq!(
        changed,
        vec!["merchants.dim_merchant"],
        "both merged changes are in the base"
    );
    assert_eq!(plan["base"]["name"], "main");
    assert_eq!(plan["base"]["commit"], merge.to_string());
    // And the merge itself, planned against its first parent, is the dev change.
    let plan = repo.plan_json(&["--base", "main~1", "--head", "main"]);
    assert_eq!(plan["tasks"][0]["task"], "users.dim_user");
}

#[test]
fn without_head_the_work_tree_is_planned_uncommitted_changes_included() {
    let repo = Repo::example();
    repo.edit("flows/risk/dws_risk_user_1d.sql", |sql| {
        format!("-- not committed yet\n{sql}")
    });
    let text = repo.plan_ok(&["--base", "main"]);
    assert!(
        text.starts_with("flowc plan: environment `prod` of project `wingpay`, main ("),
        "{text}"
    );
    assert!(text.contains(") → work tree\n"), "{text}");
    assert!(text.contains("\n  ~ risk.dws_risk_user_1d (sparksql)\n"), "{text}");
    assert!(text.contains("\n+-- not committed yet\n"), "{text}");
    // With --head, the committed revision is planned: no changes.
    let committed = repo.plan_ok(&["--base", "main", "--head", "main"]);
    assert!(committed.contains("No changes"), "{committed}");
}

#[test]
fn errors_in_either_revision_are_printed_with_their_side() {
    let repo = sql_change();
    repo.edit("flows/payments/dwd_pay_refund.sql", |sql| {
        sql.replacen("SELECT", "SELEC", 1)
    });
    repo.commit_all("break the refund SQL");
    let output = repo.plan(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("head (dev ("), "{stderr}");
    assert!(stderr.contains("flows/payments/dwd_pay_refund.sql:"), "{stderr}");
    assert!(stderr.contains("plan stopped: the head revision `dev ("), "{stderr}");
    // The markdown for the pull request says so too.
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("<!-- flowc:plan env=prod -->\n"), "{stdout}");
    assert!(
        stdout.contains("> [!CAUTION]\n> The plan could not be computed: the head revision"),
        "{stdout}"
    );

    // The same repository with the roles swapped: the base is broken.
    let output = repo.plan(&["--base", "dev", "--head", "main"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).starts_with("base (dev ("),
        "{}",
        text(&output.stderr)
    );

    // An environment the project does not have is a usage error.
    let output = repo.plan(&["--base", "main", "--head", "main", "--env", "staging"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("no environment `staging`"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_environment_the_base_lacks_is_planned_as_new() {
    let repo = Repo::example();
    repo.branch("dev");
    // A copy of dev (its database mappings keep production tables out of reach).
    repo.edit("flowc.yaml", |yaml| {
        let start = yaml.find("  dev:\n").expect("the dev environment");
        let end = yaml.find("  prod:\n").expect("the prod environment");
        let staging = yaml[start..end].replacen("  dev:\n", "  staging:\n", 1).replacen(
            "dag_prefix: dev__",
            "dag_prefix: stg__",
            1,
        );
        format!("{}{staging}{}", &yaml[..end], &yaml[end..])
    });
    repo.commit_all("a staging environment");
    let plan = repo.plan_json(&["--base", "main", "--head", "dev", "--env", "staging"]);
    assert_eq!(
        plan["notes"],
        serde_json::json!(["the base revision has no environment `staging`: everything in it is new"])
    );
    assert_eq!(plan["summary"]["flows_added"], 7);
    assert_eq!(plan["flows"][0]["dag_id"], "stg__chargebacks");
    // Nothing changes in prod but the source hash in every DAG file's header
    // (flowc.yaml is a source of every DAG), which the plan does not list.
    let prod = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(prod["environment"], "prod");
    assert_eq!(
        (prod["flows"].clone(), prod["tasks"].clone()),
        (serde_json::json!([]), serde_json::json!([]))
    );
    assert_eq!(prod["summary"]["files_changed"], 0);
}
