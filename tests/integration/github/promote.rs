//! `flowc promote`: exactly one pull request opened, then updated; the repository
//! and API from the flags, the Actions environment or the `origin` remote; and the
//! promotion flow end to end with the real plan of a `main` and `dev` repository.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_partial_json, body_string_contains, header};
use wiremock::{MockBuilder, ResponseTemplate};

use super::{
    GitHubApi, MARKER, PLAN, TOKEN, assert_failure, assert_success, flowc_github, github, json_response,
    list_open_pulls, project, pull_request, run,
};

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
