//! What `flowc promote` and `flowc comment` share: where their GitHub requests go, and
//! the markdown they publish on a pull request (a `--body-file`, or the plan).

use super::sql_cache::RepoCache;
use std::path::Path;

use super::Printer;
use super::plan::print_failure;
use crate::Error;
use crate::compiler::Unobserved;
use crate::deploy::github::GitHubSettings;
use crate::plan::{PlanOutcome, plan_revisions};

/// Where GitHub requests go; the token always comes from `GITHUB_TOKEN`.
#[derive(Debug, clap::Args)]
pub(crate) struct GitHubArgs {
    /// The GitHub repository. Default: `GITHUB_REPOSITORY`, else the `origin` remote of
    /// the git repository holding REPO.
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub(crate) repository: Option<String>,
    /// The REST API's base URL. Default: `GITHUB_API_URL`, else https://api.github.com
    /// (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL")]
    pub(crate) api_url: Option<String>,
}

impl GitHubArgs {
    /// The GitHub settings for the flowc repository at `project`.
    pub(crate) fn settings(&self, project: &Path) -> Result<GitHubSettings, Error> {
        GitHubSettings::resolve(self.repository.as_deref(), self.api_url.as_deref(), project)
    }
}

/// The markdown for a pull request, and whether it is what was asked for.
#[derive(Debug)]
pub(crate) enum Body {
    /// The plan, or the text of `--body-file`.
    Ready(String),
    /// A revision does not compile: its errors have been printed, and the text is the
    /// markdown that says which revision and why.
    CompileErrors(String),
}

/// The text of a `--body-file`.
pub(crate) fn read_body_file(path: &Path) -> Result<Body, Error> {
    std::fs::read_to_string(path)
        .map(Body::Ready)
        .map_err(|e| Error::io("read", path, e))
}

/// The markdown plan of `head` (the work tree when `None`) against `base`, for a pull
/// request; when a revision does not compile, its errors are printed first.
pub(crate) fn plan_markdown(
    repo: &Path,
    base: &str,
    head: Option<&str>,
    env: &str,
    printer: &Printer,
) -> Result<Body, Error> {
    let cache = RepoCache::open(repo);
    let outcome = plan_revisions(repo, base, head, env, &Unobserved, cache.cache());
    cache.save();
    let outcome = outcome?;
    let markdown = outcome.markdown();
    if let PlanOutcome::Failed(failure) = &outcome {
        print_failure(failure, printer);
        return Ok(Body::CompileErrors(markdown));
    }
    Ok(Body::Ready(markdown))
}
