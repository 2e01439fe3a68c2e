//! `flowc promote` and `flowc comment` against a local GitHub: a wiremock server that
//! answers only requests made exactly as GitHub's REST API defines them (method, path,
//! query, the four headers, the JSON body), and counts them. Every run also checks that
//! the token appears nowhere in flowc's output.
//!
//! This file holds the mock API and what the tests share; they are in `promote`,
//! `comment` and `errors`.

mod comment;
mod errors;
mod promote;

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{any, header, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::support::{flowc_command, text};

const TOKEN: &str = "ghp_flowcTEST0123456789abcdefghijklmnopqr";

const MARKER: &str = "<!-- flowc:plan env=prod -->";

const PLAN: &str = "## flowc plan: prod\n\n1 task changed: `payments.pay_detail`\n";

/// A local GitHub API; its runtime only drives setup and checks, the server has its own thread.
struct GitHubApi {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
}

impl GitHubApi {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime starts");
        let server = runtime.block_on(MockServer::start());
        let api = Self { runtime, server };
        // Anything not mounted explicitly is a request flowc should not have made.
        api.mount(
            Mock::given(any())
                .respond_with(ResponseTemplate::new(500))
                .with_priority(u8::MAX)
                .named("unexpected request")
                .expect(0),
        );
        api
    }

    fn url(&self) -> String {
        self.server.uri()
    }

    fn mount(&self, mock: Mock) {
        self.runtime.block_on(mock.mount(&self.server));
    }

    /// Panics unless every mock got the number of calls it expects.
    fn verify(&self) {
        self.runtime.block_on(self.server.verify());
    }

    fn request_count(&self) -> usize {
        self.runtime
            .block_on(self.server.received_requests())
            .expect("requests are recorded")
            .len()
    }
}

/// A request as GitHub's REST API defines it: method, path and the four headers.
fn github(verb: &str, route: &str) -> MockBuilder {
    Mock::given(method(verb))
        .and(path(route))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header("user-agent", concat!("flowc/", env!("CARGO_PKG_VERSION"))))
}

fn json_response(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn pull_request(number: u64) -> Value {
    json!({
        "number": number,
        "state": "open",
        "title": "Promote dev to main",
        "html_url": format!("https://github.com/acme/pipelines/pull/{number}"),
        "head": {"ref": "dev"},
        "base": {"ref": "main"},
    })
}

fn comment(id: u64, body: &str) -> Value {
    json!({
        "id": id,
        "body": body,
        "html_url": format!("https://github.com/acme/pipelines/pull/7#issuecomment-{id}"),
        "user": {"login": "github-actions[bot]"},
    })
}

/// A flowc project folder (outside any git repository) with the plan as a markdown file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("plan.md"), PLAN).expect("plan written");
    dir
}

/// Runs flowc in `dir` with only the GitHub variables given in `env`; asserts the token
/// appears in neither stdout nor stderr.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = flowc_command(dir);
    command
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_API_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("flowc runs");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token leaked:\n{stdout}{stderr}"
    );
    output
}

/// Runs `flowc <command> . <args> --repo acme/pipelines --api-url <api> --body-file plan.md`
/// with the token set.
fn flowc_github(api: &GitHubApi, dir: &Path, command: &[&str]) -> Output {
    let url = api.url();
    let mut args = command.to_vec();
    args.extend([
        ".",
        "--repo",
        "acme/pipelines",
        "--api-url",
        &url,
        "--body-file",
        "plan.md",
    ]);
    run(dir, &args, &[("GITHUB_TOKEN", TOKEN)])
}

fn assert_success(output: &Output, stdout: &str) {
    assert!(
        output.status.success(),
        "flowc failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout), stdout);
}

/// Asserts exit 2 and returns stderr.
fn assert_failure(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stderr)
}

fn list_open_pulls() -> MockBuilder {
    github("GET", "/repos/acme/pipelines/pulls")
        .and(query_param("state", "open"))
        .and(query_param("head", "acme:dev"))
        .and(query_param("base", "main"))
}
