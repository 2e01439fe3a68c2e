//! `flowc comment`: posts the plan as one sticky comment on a pull request and edits that
//! comment on later runs instead of adding more.

use super::{CommentArgs, Outcome, Printer, plan_markdown, read_body_file};
use crate::Error;
use crate::deploy::github::{CommentOutcome, GitHub};

/// Runs `flowc comment`.
pub(crate) fn run(args: &CommentArgs, printer: &Printer) -> Result<Outcome, Error> {
    let marker = plan_marker(&args.env)?;
    let settings = args.github.settings(&args.repo)?;
    // A revision that does not compile is still posted: the pull request shows why.
    let (body, outcome) = match plan_body(args, printer)? {
        Ok(body) => (body, Outcome::Clean),
        Err(body) => (body, Outcome::InputErrors),
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

/// The comment's text: `--body-file`, or the plan (`Err` when a revision does not
/// compile: the text then says so).
fn plan_body(args: &CommentArgs, printer: &Printer) -> Result<Result<String, String>, Error> {
    if let Some(path) = &args.body_file {
        return read_body_file(path).map(Ok);
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
