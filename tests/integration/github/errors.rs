//! How `flowc promote` and `flowc comment` fail: a missing or rejected token, rate
//! limits, missing permissions, unknown repositories, validation failures, an
//! unreachable API and a body over GitHub's limit, each reported before or instead of
//! any further request, and the token never shown.

use serde_json::json;

use super::{GitHubApi, TOKEN, assert_failure, flowc_github, github, json_response, list_open_pulls, project, run};

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
