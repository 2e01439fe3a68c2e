//! `flowc promote` and `flowc comment` against a local GitHub: a wiremock server that
//! answers only requests made exactly as GitHub's REST API defines them (method, path,
//! query, the four headers, the JSON body), and counts them. Every run also checks that
//! the token appears nowhere in flowc's output.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use wiremock::matchers::{
    any, body_json, body_partial_json, body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

use crate::text;

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
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowc"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
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

#[test]
fn promote_opens_exactly_one_pull_request_then_updates_it_on_the_next_run() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        list_open_pulls()
            .respond_with(json_response(200, &json!([])))
            .up_to_n_times(1)
            .expect(1),
    );
    api.mount(
        list_open_pulls()
            .respond_with(json_response(200, &json!([pull_request(12)])))
            .expect(1),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls")
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "title": "Promote dev to main",
                "head": "dev",
                "base": "main",
                "body": PLAN,
            })))
            .respond_with(json_response(201, &pull_request(12)))
            .expect(1),
    );
    api.mount(
        github("PATCH", "/repos/acme/pipelines/pulls/12")
            .and(body_json(json!({"title": "Promote dev to main", "body": PLAN})))
            .respond_with(json_response(200, &pull_request(12)))
            .expect(1),
    );
    let promote = ["promote", "--from", "dev", "--to", "main"];

    let first = flowc_github(&api, dir.path(), &promote);
    assert_success(
        &first,
        "opened pull request #12: https://github.com/acme/pipelines/pull/12\n",
    );
    let second = flowc_github(&api, dir.path(), &promote);
    assert_success(
        &second,
        "updated pull request #12: https://github.com/acme/pipelines/pull/12\n",
    );
    api.verify();
}

#[test]
fn promote_updates_the_open_pull_request_with_the_given_title_and_creates_none() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        list_open_pulls()
            .respond_with(json_response(200, &json!([pull_request(31)])))
            .expect(1),
    );
    api.mount(
        github("PATCH", "/repos/acme/pipelines/pulls/31")
            .and(body_json(json!({"title": "Release payments v2", "body": PLAN})))
            .respond_with(json_response(200, &pull_request(31)))
            .expect(1),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls")
            .respond_with(ResponseTemplate::new(201))
            .expect(0),
    );

    let output = flowc_github(
        &api,
        dir.path(),
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "main",
            "--title",
            "Release payments v2",
        ],
    );
    assert_success(
        &output,
        "updated pull request #31: https://github.com/acme/pipelines/pull/31\n",
    );
    api.verify();
}

#[test]
fn promote_takes_repository_and_api_url_from_the_actions_environment() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(list_open_pulls().respond_with(json_response(200, &json!([]))).expect(1));
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls")
            .respond_with(json_response(201, &pull_request(5)))
            .expect(1),
    );
    let url = api.url();
    let output = run(
        dir.path(),
        &["promote", "--from", "dev", "--to", "main", "--body-file", "plan.md"],
        &[
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_REPOSITORY", "acme/pipelines"),
            ("GITHUB_API_URL", &url),
        ],
    );
    assert_success(
        &output,
        "opened pull request #5: https://github.com/acme/pipelines/pull/5\n",
    );
    api.verify();
}

#[test]
fn promote_finds_the_repository_from_the_origin_remote() {
    let api = GitHubApi::start();
    let dir = project();
    let repository = git2::Repository::init(dir.path()).expect("git init");
    repository
        .remote("origin", "git@github.com:acme/pipelines.git")
        .expect("origin added");
    api.mount(list_open_pulls().respond_with(json_response(200, &json!([]))).expect(1));
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls")
            .respond_with(json_response(201, &pull_request(8)))
            .expect(1),
    );
    let url = api.url();
    // Run from a sub-folder: the git repository is discovered upwards.
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).expect("folder created");
    let output = run(
        &flows,
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "main",
            "--api-url",
            &url,
            "--body-file",
            "../plan.md",
        ],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    assert_success(
        &output,
        "opened pull request #8: https://github.com/acme/pipelines/pull/8\n",
    );
    api.verify();
}

#[test]
fn promote_without_a_repository_anywhere_says_how_to_name_one() {
    let dir = project();
    let output = run(
        dir.path(),
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "main",
            "--api-url",
            "http://127.0.0.1:9",
            "--body-file",
            "plan.md",
        ],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    let stderr = assert_failure(&output);
    assert!(
        stderr.contains("cannot tell which GitHub repository to use"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass --repo OWNER/NAME, or set GITHUB_REPOSITORY"),
        "{stderr}"
    );
}

#[test]
fn comment_posts_the_plan_when_no_comment_carries_the_marker() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments")
            .and(query_param("per_page", "100"))
            .respond_with(json_response(
                200,
                &json!([
                    comment(101, "LGTM"),
                    comment(102, "<!-- flowc:plan env=dev -->\nthe dev plan")
                ]),
            ))
            .expect(1),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/issues/7/comments")
            .and(header("content-type", "application/json"))
            .and(body_json(json!({"body": format!("{MARKER}\n{PLAN}")})))
            .respond_with(json_response(201, &comment(900, "posted")))
            .expect(1),
    );
    api.mount(
        github("PATCH", "/repos/acme/pipelines/issues/comments/102")
            .respond_with(ResponseTemplate::new(200))
            .expect(0),
    );

    let output = flowc_github(&api, dir.path(), &["comment", "--pr", "7"]);
    assert_success(
        &output,
        "posted plan comment on #7: https://github.com/acme/pipelines/pull/7#issuecomment-900\n",
    );
    api.verify();
}

#[test]
fn comment_edits_its_own_comment_found_by_marker_on_a_later_page() {
    let api = GitHubApi::start();
    let dir = project();
    let comments = format!("{}/repos/acme/pipelines/issues/7/comments", api.url());
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments")
            .and(query_param("per_page", "100"))
            .and(query_param_is_missing("page"))
            .respond_with(
                json_response(
                    200,
                    &json!([comment(201, "first review"), comment(202, "second review")]),
                )
                .insert_header(
                    "link",
                    format!(
                        r#"<{comments}?per_page=100&page=2>; rel="next", <{comments}?per_page=100&page=2>; rel="last""#
                    )
                    .as_str(),
                ),
            )
            .expect(1),
    );
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments")
            .and(query_param("per_page", "100"))
            .and(query_param("page", "2"))
            .respond_with(
                json_response(
                    200,
                    &json!([
                        comment(203, "<!-- flowc:plan env=dev -->\nthe dev plan"),
                        comment(204, &format!("{MARKER}\nan older plan")),
                        comment(205, "thanks"),
                    ]),
                )
                .insert_header(
                    "link",
                    format!(
                        r#"<{comments}?per_page=100&page=1>; rel="prev", <{comments}?per_page=100&page=1>; rel="first""#
                    )
                    .as_str(),
                ),
            )
            .expect(1),
    );
    api.mount(
        github("PATCH", "/repos/acme/pipelines/issues/comments/204")
            .and(body_json(json!({"body": format!("{MARKER}\n{PLAN}")})))
            .respond_with(json_response(200, &comment(204, "edited")))
            .expect(1),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/issues/7/comments")
            .respond_with(ResponseTemplate::new(201))
            .expect(0),
    );

    let output = flowc_github(&api, dir.path(), &["comment", "--pr", "7"]);
    assert_success(
        &output,
        "updated plan comment on #7: https://github.com/acme/pipelines/pull/7#issuecomment-204\n",
    );
    api.verify();
}

#[test]
fn comment_leaves_an_identical_plan_comment_alone() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments")
            .respond_with(json_response(
                200,
                &json!([
                    comment(301, "LGTM"),
                    comment(302, &format!("{MARKER}\r\n{}", PLAN.replace('\n', "\r\n")))
                ]),
            ))
            .expect(1),
    );
    api.mount(
        github("PATCH", "/repos/acme/pipelines/issues/comments/302")
            .respond_with(ResponseTemplate::new(200))
            .expect(0),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/issues/7/comments")
            .respond_with(ResponseTemplate::new(201))
            .expect(0),
    );

    let output = flowc_github(&api, dir.path(), &["comment", "--pr", "7"]);
    assert_success(&output, "plan comment on #7 is up to date\n");
    api.verify();
}

#[test]
fn missing_or_empty_token_fails_before_any_request() {
    let api = GitHubApi::start();
    let dir = project();
    let url = api.url();
    for token in [None, Some(""), Some("  \n")] {
        for command in [
            &["promote", "--from", "dev", "--to", "main"][..],
            &["comment", "--pr", "7"][..],
        ] {
            let mut args = command.to_vec();
            args.extend(["--repo", "acme/pipelines", "--api-url", &url, "--body-file", "plan.md"]);
            let env: Vec<(&str, &str)> = token.map(|t| ("GITHUB_TOKEN", t)).into_iter().collect();
            let output = run(dir.path(), &args, &env);
            let stderr = assert_failure(&output);
            assert!(stderr.starts_with("error: GITHUB_TOKEN is not set"), "{stderr}");
            assert!(
                stderr.contains("`pull-requests: write` and `contents: read`"),
                "{stderr}"
            );
            assert!(stderr.contains("secrets.GITHUB_TOKEN"), "{stderr}");
        }
    }
    assert_eq!(api.request_count(), 0);
}

#[test]
fn rejected_token_is_reported_as_bad_credentials() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments").respond_with(json_response(
            401,
            &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        )),
    );
    let stderr = assert_failure(&flowc_github(&api, dir.path(), &["comment", "--pr", "7"]));
    assert!(
        stderr.starts_with(&format!(
            "error: GitHub at {} rejected the token (401 bad credentials)",
            api.url()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("wrong, expired or revoked"), "{stderr}");
}

#[test]
fn exhausted_rate_limit_names_the_reset_time() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        list_open_pulls().respond_with(
            json_response(403, &json!({"message": "API rate limit exceeded for user ID 1."}))
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "4102444800"),
        ),
    );
    let stderr = assert_failure(&flowc_github(
        &api,
        dir.path(),
        &["promote", "--from", "dev", "--to", "main"],
    ));
    assert!(
        stderr.contains("GitHub API rate limit exceeded; it resets at 2100-01-01 00:00:00 UTC, in "),
        "{stderr}"
    );
    assert!(stderr.contains("run again after the reset"), "{stderr}");
}

#[test]
fn secondary_rate_limit_says_how_long_to_wait() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        list_open_pulls().respond_with(
            json_response(
                403,
                &json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
            )
            .insert_header("retry-after", "60"),
        ),
    );
    let stderr = assert_failure(&flowc_github(
        &api,
        dir.path(),
        &["promote", "--from", "dev", "--to", "main"],
    ));
    assert!(stderr.contains("secondary rate limit"), "{stderr}");
    assert!(stderr.contains("wait 60 seconds"), "{stderr}");
}

#[test]
fn forbidden_request_names_the_missing_permission() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(list_open_pulls().respond_with(json_response(200, &json!([]))));
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls").respond_with(json_response(
            403,
            &json!({"message": "Resource not accessible by integration"}),
        )),
    );
    let stderr = assert_failure(&flowc_github(
        &api,
        dir.path(),
        &["promote", "--from", "dev", "--to", "main"],
    ));
    assert!(
        stderr.starts_with(
            "error: the token may not open the pull request in `acme/pipelines` (403: Resource not accessible by integration)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("`pull-requests: write` and `contents: read`"),
        "{stderr}"
    );
}

#[test]
fn unknown_repository_or_pull_request_is_reported_as_not_found() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/404/comments")
            .respond_with(json_response(404, &json!({"message": "Not Found"}))),
    );
    let stderr = assert_failure(&flowc_github(&api, dir.path(), &["comment", "--pr", "404"]));
    assert!(
        stderr.starts_with(
            "error: pull request #404 in `acme/pipelines` not found, or the token cannot see it (404: Not Found)"
        ),
        "{stderr}"
    );
}

#[test]
fn validation_failure_shows_githubs_reason() {
    let api = GitHubApi::start();
    let dir = project();
    api.mount(list_open_pulls().respond_with(json_response(200, &json!([]))));
    api.mount(
        github("POST", "/repos/acme/pipelines/pulls").respond_with(json_response(
            422,
            &json!({
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "code": "custom", "message": "No commits between main and dev"}],
            }),
        )),
    );
    let stderr = assert_failure(&flowc_github(
        &api,
        dir.path(),
        &["promote", "--from", "dev", "--to", "main"],
    ));
    assert_eq!(
        stderr,
        "error: GitHub refused to open the pull request: Validation Failed: No commits between main and dev\n"
    );
}

#[test]
fn unreachable_api_names_the_url() {
    let dir = project();
    // A port nothing listens on: the connection is refused at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port reserved");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let output = run(
        dir.path(),
        &[
            "comment",
            ".",
            "--pr",
            "7",
            "--repo",
            "acme/pipelines",
            "--api-url",
            &url,
            "--body-file",
            "plan.md",
        ],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    let stderr = assert_failure(&output);
    assert!(
        stderr.starts_with(&format!("error: cannot reach the GitHub API at {url}: ")),
        "{stderr}"
    );
}

#[test]
fn body_over_githubs_limit_is_refused_before_any_request() {
    let api = GitHubApi::start();
    let dir = project();
    std::fs::write(dir.path().join("plan.md"), "x".repeat(70_000)).expect("plan written");
    let stderr = assert_failure(&flowc_github(
        &api,
        dir.path(),
        &["promote", "--from", "dev", "--to", "main"],
    ));
    assert!(
        stderr.starts_with("error: the pull request body is 70000 characters long; GitHub accepts at most 65536"),
        "{stderr}"
    );
    assert_eq!(api.request_count(), 0);
}

/// Done-when of the promotion flow: a real repository with `main` and `dev`, one SQL file
/// changed on dev; `flowc promote` opens exactly one pull request whose body is the plan
/// (the task, everything downstream across flows, the rendered diff), and a second run
/// updates that pull request.
#[test]
fn promote_opens_one_pull_request_with_the_plan_of_dev_against_main_then_updates_it() {
    let repo = crate::plan::sql_change();
    let (tasks, tables) = crate::plan::downstream(&repo.manifest("dev"), "payments.dwd_pay_order");
    let api = GitHubApi::start();
    api.mount(
        list_open_pulls()
            .respond_with(json_response(200, &json!([])))
            .up_to_n_times(1)
            .expect(1),
    );
    api.mount(
        list_open_pulls()
            .respond_with(json_response(200, &json!([pull_request(12)])))
            .expect(1),
    );
    let plan_body = |mock: MockBuilder| {
        mock.and(header("content-type", "application/json"))
            .and(body_partial_json(json!({"title": "Promote dev to main"})))
            .and(body_string_contains(MARKER))
            .and(body_string_contains("payments.dwd_pay_order"))
            .and(body_string_contains("dags/sql/payments/dwd_pay_order.sql"))
    };
    api.mount(
        plan_body(github("POST", "/repos/acme/pipelines/pulls"))
            .and(body_partial_json(json!({"head": "dev", "base": "main"})))
            .respond_with(json_response(201, &pull_request(12)))
            .expect(1),
    );
    api.mount(
        plan_body(github("PATCH", "/repos/acme/pipelines/pulls/12"))
            .respond_with(json_response(200, &pull_request(12)))
            .expect(1),
    );
    let url = api.url();
    let promote = [
        "promote",
        ".",
        "--from",
        "dev",
        "--to",
        "main",
        "--repo",
        "acme/pipelines",
        "--api-url",
        &url,
    ];
    let first = run(repo.path(), &promote, &[("GITHUB_TOKEN", TOKEN)]);
    assert_success(
        &first,
        "opened pull request #12: https://github.com/acme/pipelines/pull/12\n",
    );
    let second = run(repo.path(), &promote, &[("GITHUB_TOKEN", TOKEN)]);
    assert_success(
        &second,
        "updated pull request #12: https://github.com/acme/pipelines/pull/12\n",
    );
    api.verify();
    let requests = api
        .runtime
        .block_on(api.server.received_requests())
        .expect("requests are recorded");
    let created = requests
        .iter()
        .find(|request| request.method.as_str() == "POST")
        .expect("the pull request was opened");
    let body: Value = serde_json::from_slice(&created.body).expect("JSON body");
    let markdown = body["body"].as_str().expect("a body");
    assert!(markdown.chars().count() < 65_536);
    for name in tasks.iter().chain(&tables) {
        assert!(
            markdown.contains(&format!("`{name}`")),
            "{name} missing from the pull request:\n{markdown}"
        );
    }
    assert!(markdown.contains("+    -- the order id is the join key of every downstream fact\n"));
}

#[test]
fn comment_posts_the_computed_plan_and_exits_1_when_the_head_does_not_compile() {
    let repo = crate::plan::sql_change();
    fs::write(repo.path().join("flows/payments/dwd_pay_order.sql"), "SELEC 1").expect("break the work tree");
    let api = GitHubApi::start();
    api.mount(
        github("GET", "/repos/acme/pipelines/issues/7/comments")
            .respond_with(json_response(200, &json!([])))
            .expect(1),
    );
    api.mount(
        github("POST", "/repos/acme/pipelines/issues/7/comments")
            .and(body_string_contains(MARKER))
            .and(body_string_contains("Q301"))
            .respond_with(json_response(201, &comment(99, "x")))
            .expect(1),
    );
    let url = api.url();
    // Head defaults to the work tree, which no longer compiles.
    let output = run(
        repo.path(),
        &[
            "comment",
            ".",
            "--pr",
            "7",
            "--base",
            "main",
            "--repo",
            "acme/pipelines",
            "--api-url",
            &url,
        ],
        &[("GITHUB_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("error[Q301]"), "{}", text(&output.stderr));
    api.verify();
}
