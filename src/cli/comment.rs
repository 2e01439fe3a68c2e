//! `flowc comment`: posts the plan as one sticky comment on a pull request and edits that
//! comment on later runs instead of adding more.

use super::{CommentArgs, Outcome, Printer, read_body_file};
use crate::Error;
use crate::deploy::github::{CommentOutcome, GitHub};

/// Runs `flowc comment`.
pub(crate) fn run(args: &CommentArgs, printer: &Printer) -> Result<Outcome, Error> {
    let marker = plan_marker(&args.env)?;
    let settings = args.github.settings(&args.repo)?;
    let body = plan_body(args)?;
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
    Ok(Outcome::Clean)
}

/// The comment's text.
fn plan_body(args: &CommentArgs) -> Result<String, Error> {
    // plan wiring: compute the markdown plan of `args.head` (default `HEAD`) against
    // `args.base` (default: the pull request's base branch) for `args.env` here, and read
    // `--body-file` only when it is given (make `body_file` an `Option` in `CommentArgs`).
    // `--base` and `--head` are read only here.
    read_body_file(&args.body_file)
}

/// The hidden line that marks flowc's plan comment for `env`: one comment per
/// environment, found again on every run.
fn plan_marker(env: &str) -> Result<String, Error> {
    if env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) {
        return Err(Error::Usage(format!(
            "--env `{env}` is not an environment name (letters, digits, `_` and `-`)"
        )));
    }
    Ok(format!("<!-- flowc:plan env={env} -->"))
}
