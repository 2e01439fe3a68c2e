//! `flowc promote`: opens, or updates if one is open, the pull request that promotes one
//! branch into another (`--from dev --to main`), with the plan as its body.

use super::{Outcome, Printer, PromoteArgs, read_body_file};
use crate::Error;
use crate::deploy::github::{GitHub, PullRequestOutcome};

/// Runs `flowc promote`.
pub(crate) fn run(args: &PromoteArgs, printer: &Printer) -> Result<Outcome, Error> {
    if args.from == args.to {
        return Err(Error::Usage(format!(
            "--from and --to both name `{}`; a pull request needs two different branches",
            args.from
        )));
    }
    let settings = args.github.settings(&args.repo)?;
    let body = plan_body(args)?;
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| format!("Promote {} to {}", args.from, args.to));
    let github = GitHub::connect(settings)?;
    match github.upsert_pull_request(&args.from, &args.to, &title, &body)? {
        PullRequestOutcome::Created(pr) => {
            printer.out(&format!("opened pull request #{}: {}\n", pr.number, pr.html_url));
        }
        PullRequestOutcome::Updated(pr) => {
            printer.out(&format!("updated pull request #{}: {}\n", pr.number, pr.html_url));
        }
    }
    Ok(Outcome::Clean)
}

/// The pull request's body.
fn plan_body(args: &PromoteArgs) -> Result<String, Error> {
    // plan wiring: compute the markdown plan of head `args.from` against base `args.to`
    // for `args.env` here (returning `Outcome::InputErrors` through `run` when either
    // revision does not compile), and read `--body-file` only when it is given (make
    // `body_file` an `Option` in `PromoteArgs`). `--env` is read only here.
    read_body_file(&args.body_file)
}
