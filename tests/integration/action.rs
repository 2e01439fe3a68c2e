//! The root `action.yml`, run step by step as GitHub's runner runs a composite action:
//! its `if:` conditions and `${{ }}` values evaluated, its scripts run by bash with the
//! runner's variables (`GITHUB_OUTPUT`, `GITHUB_PATH`, `RUNNER_TEMP`…). The release it
//! installs from is served by a local HTTP server: an archive holding the binary under
//! test and the release's `SHA256SUMS`, named as `.github/workflows/release.yml`
//! publishes them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{example_copy, hex, repo_root, text};
use crate::workflows::{Parsed, entries, get, items, parse, string};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const ARCHIVE: &str = "flowc-x86_64-unknown-linux-musl.tar.gz";

/// A local release server; its runtime drives setup and checks only.
struct Releases {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
}

impl Releases {
    /// Serves `files` under `/v<version>/`; anything else is a 404.
    fn serve(version: &str, files: &[(&str, Vec<u8>)]) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime starts");
        let server = runtime.block_on(MockServer::start());
        for (name, body) in files {
            let mock = Mock::given(method("GET"))
                .and(path(format!("/v{version}/{name}")))
                .respond_with(ResponseTemplate::new(200).set_body_bytes(body.clone()));
            runtime.block_on(mock.mount(&server));
        }
        let not_found = Mock::given(any())
            .respond_with(ResponseTemplate::new(404))
            .with_priority(u8::MAX);
        runtime.block_on(not_found.mount(&server));
        Self { runtime, server }
    }

    fn url(&self) -> String {
        self.server.uri()
    }

    /// The paths requested, in order.
    fn requested(&self) -> Vec<String> {
        let requests = self.runtime.block_on(self.server.received_requests());
        requests
            .expect("requests are recorded")
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect()
    }
}

/// A release archive as release.yml packs it: `flowc` at the top level, beside the
/// licence and the README. The binary is the one under test (unoptimised and large:
/// packed once per run, compressed fast).
fn archive() -> Vec<u8> {
    static ARCHIVE_BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    ARCHIVE_BYTES.get_or_init(pack).clone()
}

fn pack() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::copy(env!("CARGO_BIN_EXE_flowc"), dir.path().join("flowc")).expect("copy flowc");
    for file in ["LICENSE", "README.md"] {
        fs::copy(repo_root().join(file), dir.path().join(file)).expect("copy");
    }
    let tarball = dir.path().join(ARCHIVE);
    let output = Command::new("tar")
        .args(["--use-compress-program", "gzip -1", "-cf"])
        .arg(&tarball)
        .arg("-C")
        .arg(dir.path())
        .args(["flowc", "LICENSE", "README.md"])
        .output()
        .expect("tar runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    fs::read(&tarball).expect("the archive")
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `SHA256SUMS` as `sha256sum` writes it, listing `archive` with `hash`.
fn sums(hash: &str) -> Vec<u8> {
    format!("{}  flowc-0.0.0-py3-none-any.whl\n{hash}  {ARCHIVE}\n", "0".repeat(64)).into_bytes()
}

/// What one run of the action did.
struct Run {
    /// The steps that ran, by id (or name), in order.
    ran: Vec<String>,
    /// Whether every step that ran succeeded.
    success: bool,
    /// The action's outputs.
    outputs: BTreeMap<String, String>,
    /// What the steps printed, stdout and stderr.
    log: String,
    /// Lines the steps added to `GITHUB_PATH`.
    path: Vec<String>,
    runner_temp: PathBuf,
    /// The runner's folders, removed with the run.
    _runner: tempfile::TempDir,
}

impl Run {
    /// Panics unless a step failed and the log says `message`.
    fn fails_saying(&self, message: &str) {
        assert!(!self.success, "the action succeeded:\n{}", self.log);
        assert!(self.log.contains(message), "no `{message}` in:\n{}", self.log);
    }
}

/// A runner for the one composite action, `action.yml`: inputs in, steps run in order
/// until one fails.
struct Runner {
    action: Parsed,
    inputs: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
}

impl Runner {
    fn new(given: &[(&str, &str)]) -> Self {
        let action = parse(&repo_root().join("action.yml"));
        let mut inputs = BTreeMap::new();
        for (name, input) in entries(get(&action.root, "inputs").expect("inputs")) {
            let default = string(get(input, "default")).unwrap_or_default();
            inputs.insert(name.to_owned(), default.to_owned());
        }
        for (name, value) in given {
            assert!(inputs.contains_key(*name), "action.yml has no input `{name}`");
            inputs.insert((*name).to_owned(), (*value).to_owned());
        }
        Self {
            action,
            inputs,
            steps: BTreeMap::new(),
        }
    }

    /// The value of a `${{ }}` expression: a string literal, `inputs.NAME`,
    /// `steps.ID.outputs.NAME`, `==`, `!=`, `&&` and `||`, as GitHub evaluates them
    /// on strings (a value is true when not empty).
    fn eval(&self, expression: &str) -> String {
        let expression = expression.trim();
        if let Some((left, right)) = expression.split_once("||") {
            let left = self.eval(left);
            return if left.is_empty() { self.eval(right) } else { left };
        }
        if let Some((left, right)) = expression.split_once("&&") {
            let left = self.eval(left);
            return if left.is_empty() { left } else { self.eval(right) };
        }
        for (operator, equal) in [("!=", false), ("==", true)] {
            if let Some((left, right)) = expression.split_once(operator) {
                let same = self.eval(left) == self.eval(right);
                return if same == equal { "true".into() } else { String::new() };
            }
        }
        if let Some(literal) = expression.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return literal.to_owned();
        }
        if let Some(name) = expression.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .cloned()
                .unwrap_or_else(|| panic!("no input {name}"));
        }
        let (id, output) = expression
            .strip_prefix("steps.")
            .and_then(|e| e.split_once(".outputs."))
            .unwrap_or_else(|| panic!("this runner does not know `{expression}`"));
        self.steps
            .get(id)
            .and_then(|o| o.get(output))
            .cloned()
            .unwrap_or_default()
    }

    /// `text` with each `${{ … }}` replaced by its value.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("a closed expression") + start;
            out.push_str(&self.eval(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Which steps would run, without running them: their ids or names.
    fn plan(&self) -> Vec<String> {
        self.steps()
            .iter()
            .filter(|step| self.runs(step))
            .map(step_name)
            .collect()
    }

    fn steps(&self) -> Vec<flowc::load::YamlNode> {
        items(get(&self.action.root, "runs").and_then(|r| get(r, "steps"))).to_vec()
    }

    fn runs(&self, step: &flowc::load::YamlNode) -> bool {
        string(get(step, "if")).is_none_or(|condition| !self.eval(condition).is_empty())
    }

    /// Runs the action in `workspace`, as GitHub's runner would (Linux, x86_64).
    fn run(mut self, workspace: &Path) -> Run {
        let runner = tempfile::tempdir().expect("temp dir");
        let runner_temp = runner.path().join("temp");
        fs::create_dir_all(&runner_temp).expect("RUNNER_TEMP");
        let github_path = runner.path().join("path");
        fs::write(&github_path, "").expect("GITHUB_PATH");
        let (mut ran, mut success, mut log) = (Vec::new(), true, String::new());
        for (index, step) in self.steps().iter().enumerate() {
            if !self.runs(step) {
                continue;
            }
            let name = step_name(step);
            ran.push(name.clone());
            let Some(script) = string(get(step, "run")) else {
                // A `uses:` step (the build cache): it finds nothing.
                continue;
            };
            let output_file = runner.path().join(format!("output-{index}"));
            fs::write(&output_file, "").expect("GITHUB_OUTPUT");
            let script_file = runner.path().join(format!("step-{index}.sh"));
            fs::write(&script_file, script).expect("the step's script");
            let directory = string(get(step, "working-directory"))
                .map_or_else(|| workspace.to_owned(), |d| workspace.join(self.substitute(d)));
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .current_dir(directory)
                .env("GITHUB_ACTION_PATH", repo_root())
                .env("GITHUB_WORKSPACE", workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_PATH", &github_path)
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_TOOL_CACHE", runner.path().join("tool-cache"))
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("HOME", runner.path())
                .env("NO_COLOR", "1");
            for (key, value) in get(step, "env").into_iter().flat_map(entries) {
                command.env(key, self.substitute(string(Some(value)).unwrap_or_default()));
            }
            let output = command.output().expect("bash runs the step");
            log.push_str(&text(&output.stdout));
            log.push_str(&text(&output.stderr));
            let outputs = fs::read_to_string(&output_file).expect("GITHUB_OUTPUT");
            let outputs = outputs
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            self.steps.insert(name, outputs);
            if !output.status.success() {
                success = false;
                break;
            }
        }
        let outputs = entries(get(&self.action.root, "outputs").expect("outputs"))
            .map(|(name, output)| {
                let value = self.substitute(string(get(output, "value")).unwrap_or_default());
                (name.to_owned(), value)
            })
            .collect();
        let lines = fs::read_to_string(&github_path).expect("GITHUB_PATH");
        Run {
            ran,
            success,
            outputs,
            log,
            path: lines.lines().map(str::to_owned).collect(),
            runner_temp,
            _runner: runner,
        }
    }
}

fn step_name(step: &flowc::load::YamlNode) -> String {
    string(get(step, "id"))
        .or_else(|| string(get(step, "name")))
        .expect("a step has an id or a name")
        .to_owned()
}

fn released(hash_listed: &str) -> Releases {
    let archive = archive();
    let listed = if hash_listed.is_empty() {
        sha256(&archive)
    } else {
        hash_listed.to_owned()
    };
    Releases::serve(VERSION, &[(ARCHIVE, archive), ("SHA256SUMS", sums(&listed))])
}

#[test]
fn the_action_installs_the_release_checks_its_sum_and_runs_flowc() {
    let releases = released("");
    let workspace = example_copy();
    let url = releases.url();
    let run = Runner::new(&[("args", "check --format github"), ("releases-url", &url)]).run(workspace.path());
    assert!(run.success, "{}", run.log);
    assert_eq!(run.ran, ["release", "installed", "run"], "no build step runs");
    let bin = run.runner_temp.join("flowc/bin/flowc");
    assert_eq!(run.outputs["path"], bin.display().to_string());
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.path, [run.runner_temp.join("flowc/bin").display().to_string()]);
    assert!(run.log.contains(&format!("flowc {VERSION}")), "{}", run.log);
    assert!(
        run.log.contains("7 flows, 44 tasks"),
        "flowc checked the example:\n{}",
        run.log
    );
    assert_eq!(
        releases.requested(),
        [format!("/v{VERSION}/{ARCHIVE}"), format!("/v{VERSION}/SHA256SUMS")]
    );
    let output = Command::new(&bin)
        .arg("--version")
        .output()
        .expect("the installed flowc runs");
    assert_eq!(text(&output.stdout).trim(), format!("flowc {VERSION}"));
}

#[test]
fn a_download_that_does_not_match_the_release_sums_installs_nothing() {
    let releases = released(&"ab".repeat(32));
    let workspace = example_copy();
    let url = releases.url();
    let run = Runner::new(&[("args", "check"), ("releases-url", &url)]).run(workspace.path());
    assert!(!run.success);
    assert_eq!(run.ran, ["release"], "nothing runs after the failed install");
    assert!(
        run.log
            .contains("checksum mismatch for flowc-x86_64-unknown-linux-musl.tar.gz"),
        "{}",
        run.log
    );
    assert!(run.log.contains("nothing was installed"), "{}", run.log);
    assert!(!run.runner_temp.join("flowc/bin/flowc").exists());
}

#[test]
fn a_pinned_checksum_is_checked_instead_of_the_release_sums() {
    let archive = archive();
    let right = sha256(&archive);
    let releases = Releases::serve(VERSION, &[(ARCHIVE, archive), ("SHA256SUMS", sums(&right))]);
    let workspace = example_copy();
    let url = releases.url();

    let run = Runner::new(&[("releases-url", &url), ("sha256", &right.to_uppercase())]).run(workspace.path());
    assert!(run.success, "{}", run.log);
    assert_eq!(run.ran, ["release", "installed"], "no args: install only");
    assert_eq!(
        releases.requested(),
        [format!("/v{VERSION}/{ARCHIVE}")],
        "SHA256SUMS is not read"
    );

    // The release's own list agrees with the download, but the pin does not.
    let wrong = "0123456789abcdef".repeat(4);
    let run = Runner::new(&[("releases-url", &url), ("sha256", &wrong)]).run(workspace.path());
    run.fails_saying(&format!("--sha256 says {wrong}"));
    assert!(!run.runner_temp.join("flowc/bin/flowc").exists());

    let run = Runner::new(&[("releases-url", &url), ("sha256", "not-a-sum")]).run(workspace.path());
    run.fails_saying("--sha256 takes the 64 hex digits");
}

#[test]
fn a_version_without_a_release_fails_and_says_how_to_build_from_source() {
    let releases = released("");
    let workspace = example_copy();
    let url = releases.url();
    let run = Runner::new(&[("releases-url", &url), ("version", "v9.9.9")]).run(workspace.path());
    run.fails_saying(&format!("could not download {url}/v9.9.9/{ARCHIVE}"));
    assert!(run.log.contains("from-source: true"), "{}", run.log);
}

#[test]
fn a_release_whose_binary_reports_another_version_is_refused() {
    // v9.9.9's archive holds the binary under test, which is VERSION.
    let archive = archive();
    let hash = sha256(&archive);
    let releases = Releases::serve("9.9.9", &[(ARCHIVE, archive), ("SHA256SUMS", sums(&hash))]);
    let workspace = example_copy();
    let url = releases.url();
    let run = Runner::new(&[("releases-url", &url), ("version", "9.9.9")]).run(workspace.path());
    run.fails_saying(&format!("says `flowc {VERSION}`, not `flowc 9.9.9`"));
}

#[test]
fn the_releases_address_must_be_https() {
    let workspace = example_copy();
    let run = Runner::new(&[("releases-url", "http://mirror.example.com/flowc")]).run(workspace.path());
    run.fails_saying("must be an https:// address");
}

#[test]
fn arguments_are_split_on_whitespace_and_never_run_by_a_shell() {
    let releases = released("");
    let workspace = example_copy();
    let url = releases.url();
    let run = Runner::new(&[
        ("args", "check $(touch pwned) `touch pwned2` *"),
        ("releases-url", &url),
    ])
    .run(workspace.path());
    assert!(!run.success, "flowc rejects the extra arguments");
    assert_eq!(run.outputs["exit-code"], "2", "{}", run.log);
    assert!(!workspace.path().join("pwned").exists() && !workspace.path().join("pwned2").exists());
}

#[test]
fn from_source_builds_from_the_checkout_and_downloads_nothing() {
    // The build itself is a `cargo install` of this repository (minutes): only which
    // steps run is checked here.
    let runner = Runner::new(&[("from-source", "true"), ("args", "check")]);
    assert_eq!(runner.plan(), ["source", "cache", "Build flowc", "installed", "run"]);
    assert_eq!(
        Runner::new(&[]).plan(),
        ["release", "installed"],
        "by default the release is installed"
    );
}

#[test]
fn the_install_script_defaults_to_the_project_home() {
    let script = fs::read_to_string(repo_root().join("scripts/install.sh")).expect("install.sh");
    let home = env!("CARGO_PKG_REPOSITORY");
    assert!(!home.is_empty(), "Cargo.toml names the repository");
    assert!(
        script.contains(&format!("home=\"{home}\"")),
        "scripts/install.sh's home is Cargo.toml's repository, {home}"
    );
}
