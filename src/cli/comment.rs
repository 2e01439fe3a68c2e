//! `flowc comment`: posts the plan as one sticky comment on a pull request and edits that
//! comment on later runs instead of adding more.

use std::path::PathBuf;

use super::pull_request::{Body, GitHubArgs, plan_markdown, read_body_file};
use super::{Outcome, Printer};
use crate::Error;
use crate::deploy::github::{CommentOutcome, GitHub};

/// Arguments of `flowc comment`.
#[derive(Debug, clap::Args)]
pub(crate) struct CommentArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The pull request to comment on.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) pr: u64,
    /// The revision the plan compares against: the pull request's base branch, e.g.
    /// `origin/main` (required unless --body-file is given).
    #[arg(long, value_name = "REF", required_unless_present = "body_file")]
    pub(crate) base: Option<String>,
    /// The revision the plan shows (the pull request's head). Default: the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) head: Option<String>,
    /// The environment the plan is computed for; each environment has its own comment.
    #[arg(long, value_name = "ENV", default_value = "prod")]
    pub(crate) env: String,
    /// A markdown file to post instead of the plan.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) github: GitHubArgs,
}

/// Runs `flowc comment`.
pub(crate) fn run(args: &CommentArgs, printer: &Printer) -> Result<Outcome, Error> {
    let marker = plan_marker(&args.env)?;
    let settings = args.github.settings(&args.repo)?;
    // A revision that does not compile is still posted: the pull request shows why.
    let (body, outcome) = match plan_body(args, printer)? {
        Body::Ready(body) => (body, Outcome::Clean),
        Body::CompileErrors(body) => (body, Outcome::InputErrors),
    };
    let github = GitHub::connect(settings)?;
    let pr = args.pr;
    match github.upsert_sticky_comment(pr, &marker, &body)? {
        CommentOutcome::Created(comment) => {
            printer.out(&format!("posted plan comment on #{pr}: {}\n", comment.html_url));
        }
        CommentOutcome::Updated(comment) => {
            printer.out(&format!("updated plan comment on #{pr}: {}\n", comment.html_url));
        }
        CommentOutcome::Unchanged(_) => printer.out(&format!("plan comment on #{pr} is up to date\n")),
    }
    Ok(outcome)
}

/// The comment's text: `--body-file`, or the plan (which says so when a revision does
/// not compile).
fn plan_body(args: &CommentArgs, printer: &Printer) -> Result<Body, Error> {
    if let Some(path) = &args.body_file {
        return read_body_file(path);
    }
    let base = args
        .base
        .as_deref()
        .ok_or_else(|| Error::Usage("--base REF is required to compute the plan".to_owned()))?;
    plan_markdown(&args.repo, base, args.head.as_deref(), &args.env, printer)
}

/// The hidden line that marks flowc's plan comment for `env`: one comment per
/// environment, found again on every run.
fn plan_marker(env: &str) -> Result<String, Error> {
    if env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) {
        return Err(Error::Usage(format!(
            "--env `{env}` is not an environment name (letters, digits, `_` and `-`)"
        )));
    }
    Ok(crate::plan::markdown::marker(env))
}
