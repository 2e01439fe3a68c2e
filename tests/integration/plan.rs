//! `flowc plan` on real git repositories built with git2 from `examples/wingpay`: a
//! `main` branch, a `dev` branch with one change, and the plan between them in all
//! three formats. The downstream impact is checked against a set computed here from
//! the head revision's own `manifest.json`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;
use std::process::Output;

use git2::{Oid, Repository, RepositoryInitOptions};
use serde_json::Value;

use flowc::render::manifest::Manifest;

use crate::compile::example_copy;
use crate::{flowc_in, signature, text};

/// A git repository holding a copy of the example, `main` checked out.
pub(crate) struct Repo {
    dir: tempfile::TempDir,
    git: Repository,
}

impl Repo {
    /// The example committed on `main`.
    fn example() -> Self {
        let dir = example_copy();
        let mut options = RepositoryInitOptions::new();
        options.initial_head("main");
        let git = Repository::init_opts(dir.path(), &options).expect("git init");
        let repo = Self { dir, git };
        repo.commit_all("the example");
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Commits every file of the work tree (additions and deletions) on HEAD, with a
    /// fixed author and time so commit ids are the same on every run.
    fn commit_all(&self, message: &str) -> Oid {
        crate::commit_all(&self.git, message)
    }

    /// Creates branch `name` at HEAD and checks it out.
    fn branch(&self, name: &str) {
        let head = self.git.head().expect("head").peel_to_commit().expect("commit");
        self.git.branch(name, &head, false).expect("branch");
        self.checkout(name);
    }

    fn checkout(&self, name: &str) {
        self.git.set_head(&format!("refs/heads/{name}")).expect("set head");
        self.git
            .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .expect("checkout");
    }

    /// Merges branch `other` into the checked-out branch with a merge commit.
    fn merge(&self, other: &str) -> Oid {
        let ours = self.git.head().expect("head").peel_to_commit().expect("ours");
        let theirs = self
            .git
            .find_branch(other, git2::BranchType::Local)
            .expect("branch")
            .get()
            .peel_to_commit()
            .expect("theirs");
        let mut index = self.git.merge_commits(&ours, &theirs, None).expect("merge");
        assert!(!index.has_conflicts(), "the test's branches do not conflict");
        let tree = self
            .git
            .find_tree(index.write_tree_to(&self.git).expect("tree"))
            .expect("find tree");
        let id = self
            .git
            .commit(
                Some("HEAD"),
                &signature(),
                &signature(),
                &format!("merge {other}"),
                &tree,
                &[&ours, &theirs],
            )
            .expect("merge commit");
        self.git
            .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
            .expect("checkout");
        id
    }

    /// Rewrites a file of the work tree.
    fn edit(&self, path: &str, change: impl FnOnce(String) -> String) {
        let path = self.path().join(path);
        let text = fs::read_to_string(&path).expect("file to edit");
        let changed = change(text.clone());
        assert_ne!(changed, text, "the edit changes {}", path.display());
        fs::write(&path, changed).expect("write");
    }

    /// Runs `flowc plan .` with `args` in the repository.
    fn plan(&self, args: &[&str]) -> Output {
        let mut all = vec!["plan", "."];
        all.extend_from_slice(args);
        flowc_in(self.path(), &all, b"")
    }

    /// stdout of a successful `flowc plan`.
    fn plan_ok(&self, args: &[&str]) -> String {
        let output = self.plan(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "flowc plan {args:?}:\n{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// The plan as JSON.
    fn plan_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.plan_ok(&all)).expect("the plan is JSON")
    }

    /// The manifest of `rev` for prod, compiled by `flowc compile --rev`.
    pub(crate) fn manifest(&self, rev: &str) -> Value {
        let out = tempfile::tempdir().expect("temp dir");
        let output = flowc_in(
            self.path(),
            &[
                "compile",
                ".",
                "--rev",
                rev,
                "--env",
                "prod",
                "--out",
                out.path().to_str().expect("UTF-8 path"),
            ],
            b"",
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        serde_json::from_slice(&fs::read(out.path().join("prod/manifest.json")).expect("manifest"))
            .expect("manifest JSON")
    }
}

/// The example with `payments.dwd_pay_order`'s SQL changed on `dev`.
pub(crate) fn sql_change() -> Repo {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/payments/dwd_pay_order.sql", |sql| {
        sql.replacen(
            "    l.order_id,\n",
            "    l.order_id,\n    -- the order id is the join key of every downstream fact\n",
            1,
        )
    });
    repo.commit_all("dwd_pay_order: document the key");
    repo
}

/// Every task downstream of `start` along the manifest's edges, and the tables they
/// write: computed from the manifest alone, independently of the planner.
pub(crate) fn downstream(manifest: &Value, start: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for edge in manifest["edges"].as_array().expect("edges") {
        children
            .entry(edge["from"].as_str().expect("from"))
            .or_default()
            .push(edge["to"].as_str().expect("to"));
    }
    let mut tasks = BTreeSet::new();
    let mut queue = VecDeque::from([start]);
    while let Some(task) = queue.pop_front() {
        for child in children.get(task).into_iter().flatten() {
            if tasks.insert((*child).to_owned()) {
                queue.push_back(child);
            }
        }
    }
    let mut tables = BTreeSet::new();
    for flow in manifest["flows"].as_array().expect("flows") {
        for task in flow["tasks"].as_array().expect("tasks") {
            if task["type"] != "wait" && tasks.contains(task["name"].as_str().expect("name")) {
                for table in task["writes"].as_array().expect("writes") {
                    tables.insert(table.as_str().expect("table").to_owned());
                }
            }
        }
    }
    (tasks, tables)
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// Snapshot settings: commit ids and flowc's version replaced.
fn settings(description: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/plan");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(description);
    settings.set_omit_expression(true);
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[COMMIT]");
    settings.add_filter(r"\((main|dev) [0-9a-f]{12}\)", "($1 [COMMIT])");
    settings.add_filter(r"\b(main|dev) \([0-9a-f]{12}\)", "$1 ([COMMIT])");
    settings.add_filter(r"flowc \d+\.\d+\.\d+\S*", "flowc [VERSION]");
    // Content hashes follow the example's text, which other changes touch.
    settings.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[HASH]");
    settings.add_filter(r"\b[0-9a-f]{12} → [0-9a-f]{12}\b", "[HASH] → [HASH]");
    settings.add_filter(r#""(before|after)": "[0-9a-f]{12}""#, r#""$1": "[HASH]""#);
    settings
}

#[test]
fn an_sql_change_on_dev_shows_the_task_everything_downstream_across_flows_and_the_diff() {
    let repo = sql_change();
    let markdown = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "markdown"]);
    let (tasks, tables) = downstream(&repo.manifest("dev"), "payments.dwd_pay_order");
    // The change reaches well beyond its own flow.
    let flows: BTreeSet<&str> = tasks.iter().filter_map(|t| t.split('.').next()).collect();
    assert!(flows.len() >= 5, "{flows:?}");
    assert!(tables.iter().any(|t| t.starts_with("dws.")) && tables.iter().any(|t| t.starts_with("ads.")));

    assert!(markdown.starts_with("<!-- flowc:plan env=prod -->\n"), "{markdown}");
    assert!(
        markdown.contains(
            "| `~` | `payments.dwd_pay_order` | sparksql | sql: `flows/payments/dwd_pay_order.sql` changed |"
        ),
        "{markdown}"
    );
    for name in tasks.iter().chain(&tables) {
        assert!(
            markdown.contains(&format!("`{name}`")),
            "{name} missing from:\n{markdown}"
        );
    }
    assert!(markdown.contains(&format!("reaches {} tasks and {} tables", tasks.len(), tables.len())));
    // The rendered diffs: the SQL template and the DAG file whose source hash changed.
    assert!(
        markdown.contains("<details><summary><code>~ dags/sql/payments/dwd_pay_order.sql</code> (+1 -0)</summary>")
    );
    assert!(markdown.contains("+    -- the order id is the join key of every downstream fact\n"));
    assert!(markdown.contains("<code>~ dags/payments.py</code>"));
    assert!(markdown.contains("\n-# Source hash: sha256:"));
    assert!(!markdown.contains("shortened"), "nothing is cut from a small plan");

    // The JSON says exactly the same sets.
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    let impact = &plan["impact"][0];
    assert_eq!(impact["task"], "payments.dwd_pay_order");
    assert_eq!(strings(&impact["downstream_tasks"]), tasks);
    assert_eq!(strings(&impact["downstream_tables"]), tables);
    assert_eq!(strings(&plan["indirectly_affected"]), tasks);
    assert_eq!(plan["tasks"].as_array().map(Vec::len), Some(1));
}

#[test]
fn plan_snapshots_in_all_three_formats() {
    let repo = sql_change();
    for format in ["text", "markdown", "json"] {
        let output = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", format]);
        settings(&format!(
            "flowc plan --base main --head dev --format {format}, dwd_pay_order.sql changed"
        ))
        .bind(|| insta::assert_snapshot!(format!("sql_change_{format}"), output));
    }
}

#[test]
fn the_same_inputs_give_byte_identical_plans() {
    let repo = sql_change();
    for format in ["text", "markdown", "json"] {
        let args = ["--base", "main", "--head", "dev", "--format", format];
        assert_eq!(repo.plan_ok(&args), repo.plan_ok(&args), "{format}");
    }
}

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
fn the_manifest_reads_back_as_written_with_fingerprints() {
    let repo = Repo::example();
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc_in(
        repo.path(),
        &["compile", ".", "--out", out.path().to_str().expect("UTF-8 path")],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    for env in ["dev", "prod"] {
        let bytes = fs::read(out.path().join(env).join("manifest.json")).expect("manifest");
        let manifest = Manifest::from_json(&bytes).expect("the planner reads what the renderer wrote");
        assert_eq!(
            manifest.to_json().expect("a manifest serialises"),
            bytes,
            "{env}: byte for byte"
        );
        let has_parents: BTreeSet<&str> = manifest.edges.iter().map(|e| e.to.as_str()).collect();
        for (_, task) in manifest.tasks() {
            let fingerprint = &task.fingerprint;
            for hash in [
                &fingerprint.data,
                &fingerprint.config,
                &fingerprint.metadata,
                &fingerprint.lineage,
            ] {
                assert!(hash.starts_with("sha256:") && hash.len() == 71, "{}: {hash}", task.name);
            }
            // The lineage of a task includes its parents' lineage, and only then.
            let alone = flowc::render::fingerprint::lineage_of(&fingerprint.data, []);
            if !task.is_sensor() && has_parents.contains(task.name.as_str()) {
                assert_ne!(fingerprint.lineage, alone, "{}", task.name);
            } else {
                assert_eq!(fingerprint.lineage, alone, "{}", task.name);
            }
        }
    }
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
    // (flowc.yaml is a source of every DAG).
    let prod = repo.plan_json(&["--base", "main", "--head", "dev"]);
    assert_eq!(prod["environment"], "prod");
    assert_eq!(
        (prod["flows"].clone(), prod["tasks"].clone()),
        (serde_json::json!([]), serde_json::json!([]))
    );
    assert_eq!(prod["summary"]["files_changed"], 7);
}

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
