//! `flowc promote`: opens, or updates if one is open, the pull request that promotes one
//! branch into another (`--from dev --to main`), with the plan as its body.

use std::path::{Path, PathBuf};

use super::pull_request::{Body, GitHubArgs, plan_markdown, read_body_file};
use super::{Outcome, Printer};
use crate::Error;
use crate::deploy::github::{GitHub, PullRequestOutcome};

/// Arguments of `flowc promote`.
#[derive(Debug, clap::Args)]
pub(crate) struct PromoteArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The branch to promote: the pull request's head.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) from: String,
    /// The branch to promote into: the pull request's base.
    #[arg(long, value_name = "BRANCH")]
    pub(crate) to: String,
    /// The environment the plan is computed for.
    #[arg(long, value_name = "ENV", default_value = "prod")]
    pub(crate) env: String,
    /// The pull request's title. Default: `Promote <from> to <to>`.
    #[arg(long, value_name = "TEXT")]
    pub(crate) title: Option<String>,
    /// A markdown file to use as the pull request's body instead of the plan.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) github: GitHubArgs,
}

/// Runs `flowc promote`.
pub(crate) fn run(args: &PromoteArgs, printer: &Printer) -> Result<Outcome, Error> {
    if args.from == args.to {
        return Err(Error::Usage(format!(
            "--from and --to both name `{}`; a pull request needs two different branches",
            args.from
        )));
    }
    let settings = args.github.settings(&args.repo)?;
    let Body::Ready(body) = plan_body(args, printer)? else {
        // Promoting a branch that does not compile helps no one: nothing is sent.
        printer.err("no pull request opened or updated\n");
        return Ok(Outcome::InputErrors);
    };
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

/// The pull request's body: `--body-file`, or the plan of branch `--from` against
/// branch `--to` (or why one of them does not compile).
fn plan_body(args: &PromoteArgs, printer: &Printer) -> Result<Body, Error> {
    if let Some(path) = &args.body_file {
        return read_body_file(path);
    }
    let base = branch_revision(&args.repo, &args.to)?;
    let head = branch_revision(&args.repo, &args.from)?;
    plan_markdown(&args.repo, &base, Some(&head), &args.env, printer)
}

/// A branch as a revision: the local branch, or else the `origin` remote's one (a CI
/// checkout often has only the branch it was started for).
fn branch_revision(repo: &Path, branch: &str) -> Result<String, Error> {
    let repository = git2::Repository::discover(repo).map_err(|e| Error::Git {
        action: "open the git repository containing".to_owned(),
        target: repo.display().to_string(),
        message: e.message().to_owned(),
        source: Some(e),
    })?;
    let remote = format!("origin/{branch}");
    for candidate in [branch, remote.as_str()] {
        if repository.revparse_single(candidate).is_ok() {
            return Ok(candidate.to_owned());
        }
    }
    Err(Error::Git {
        action: "find branch".to_owned(),
        target: branch.to_owned(),
        message: format!("neither `{branch}` nor `{remote}` exists (fetch it first)"),
        source: None,
    })
}
