//! `flowc comment`: the plan posted as one pull-request comment, found again by its
//! marker on any page and edited, left alone when identical, and posted with exit 1
//! when the head does not compile.

use std::fs;

use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::{body_json, body_string_contains, header, query_param, query_param_is_missing};

use super::{
    GitHubApi, MARKER, PLAN, TOKEN, assert_success, comment, flowc_github, github, json_response, project, run,
};
use crate::support::text;

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
