//! `flowc plan` on real git repositories built with git2 from `examples/wingpay`: a
//! `main` branch, a `dev` branch with one change, and the plan between them in all
//! three formats. The downstream impact is checked against a set computed here from
//! the head revision's own `manifest.json`.
//!
//! This file holds the test repository, the snapshots (whose path is relative to this
//! file) and the plan of one SQL change; the other cases are in `changes`, `revisions`
//! and `loosened`.

mod changes;
mod columns;
mod ddl;
mod diagram;
mod loosened;
mod revisions;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::Path;
use std::process::Output;

use git2::{Oid, Repository};
use serde_json::Value;

use flowc::render::manifest::Manifest;

use crate::support::{commit_all, example_repository, flowc_in, signature, text};

/// A git repository holding a copy of the example, `main` checked out.
pub(crate) struct Repo {
    dir: tempfile::TempDir,
    git: Repository,
}

impl Repo {
    /// The example committed on `main`.
    fn example() -> Self {
        let (dir, git) = example_repository("");
        Self { dir, git }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Commits every file of the work tree (additions and deletions) on HEAD, with a
    /// fixed author and time so commit ids are the same on every run.
    fn commit_all(&self, message: &str) -> Oid {
        commit_all(&self.git, message)
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
    // The rendered diffs: the SQL template; not the DAG file, whose only change is the
    // source hash in its header.
    assert!(
        markdown.contains("<details><summary><code>~ dags/sql/payments/dwd_pay_order.sql</code> (+1 -0)</summary>")
    );
    assert!(markdown.contains("+    -- the order id is the join key of every downstream fact\n"));
    assert!(!markdown.contains("<code>~ dags/payments.py</code>"), "{markdown}");
    assert!(!markdown.contains("\n-# Source hash: sha256:"), "{markdown}");
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
            let alone = flowc::render::fingerprint::lineage_of(&fingerprint.data, []).expect("hashes");
            if !task.is_sensor() && has_parents.contains(task.name.as_str()) {
                assert_ne!(fingerprint.lineage, alone, "{}", task.name);
            } else {
                assert_eq!(fingerprint.lineage, alone, "{}", task.name);
            }
        }
    }
}

#[test]
fn a_changed_timezone_is_listed_with_the_flow() {
    let repo = Repo::example();
    repo.branch("dev");
    repo.edit("flows/risk/flow.yaml", |yaml| {
        yaml.replacen("start_date:", "timezone: Europe/Berlin\nstart_date:", 1)
    });
    repo.commit_all("risk: run on Berlin time");
    let text = repo.plan_ok(&["--base", "main", "--head", "dev", "--format", "text"]);
    assert!(
        text.contains("timezone") && text.contains("Asia/Shanghai") && text.contains("Europe/Berlin"),
        "{text}"
    );
    let plan = repo.plan_json(&["--base", "main", "--head", "dev"]);
    let risk = plan["flows"]
        .as_array()
        .and_then(|flows| flows.iter().find(|f| f["flow"] == "risk"))
        .unwrap_or_else(|| panic!("risk is not a changed flow: {plan:#}"));
    assert!(risk.to_string().contains("Europe/Berlin"), "{risk:#}");
    assert_eq!(repo.manifest("dev")["flows"][5]["timezone"], "Europe/Berlin");
}
