//! Failures of flowc itself, as opposed to problems in the user's input.
//!
//! A problem in the input is a [`crate::diagnostic::Diagnostic`] and exits 1; an
//! [`Error`] means flowc could not do its job (a missing repository, I/O) and exits 2.

use std::path::PathBuf;

/// Why flowc could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The repository path does not exist or is not a directory.
    #[error("no repository at `{}`: {reason}", path.display())]
    NoRepository {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What flowc was doing: `read`, `write`, `list`…
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A git operation failed.
    #[error("cannot {action} `{target}`: {message}")]
    Git {
        /// What flowc was doing.
        action: String,
        /// The repository path, revision or branch it was working on.
        target: String,
        /// git's message.
        message: String,
    },
    /// Another `flowc deploy` holds the lock of the target folder.
    #[error("another deploy to `{}` is running (it holds `{}`); try again when it has finished", target.display(), lock.display())]
    DeployLocked {
        /// The target folder.
        target: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The deploy target holds something flowc must not replace.
    #[error("cannot deploy to {target}: {reason}")]
    DeployRefused {
        /// The folder, link or branch.
        target: String,
        /// What is there, and what to do about it.
        reason: String,
    },
    /// The command line asks for something the repository does not have.
    #[error("{0}")]
    Usage(String),
    /// `GITHUB_TOKEN` is unset or empty.
    #[error(
        "GITHUB_TOKEN is not set; flowc needs a GitHub token for this command\n\
         help: set GITHUB_TOKEN to a token with the permissions `pull-requests: write` and `contents: read`; \
         in GitHub Actions, give the job `permissions: {{pull-requests: write, contents: read}}` and the step \
         `env: {{GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}}}`"
    )]
    GitHubTokenMissing,
    /// GitHub answered 401: the token is wrong, expired or revoked.
    #[error(
        "GitHub at {api_url} rejected the token (401 bad credentials)\n\
         help: GITHUB_TOKEN is wrong, expired or revoked, or was issued by another GitHub (check --api-url / \
         GITHUB_API_URL); create a new token, or in GitHub Actions use `secrets.GITHUB_TOKEN`"
    )]
    GitHubUnauthorized {
        /// The API base URL the token was sent to.
        api_url: String,
    },
    /// GitHub answered 403 or 429 with `x-ratelimit-remaining: 0`.
    #[error(
        "GitHub API rate limit exceeded; it resets {resets}\n\
         help: run again after the reset; every request made with this token counts against the same limit"
    )]
    GitHubRateLimited {
        /// When the limit resets: "at 2024-03-05 14:03:20 UTC, in 312 seconds".
        resets: String,
    },
    /// GitHub's secondary rate limit (too many requests in a short time) stopped a request.
    #[error(
        "GitHub's secondary rate limit stopped the request (too many requests in a short time)\n\
         help: wait {wait} and run again; avoid running many GitHub commands at the same time"
    )]
    GitHubSecondaryRateLimit {
        /// How long to wait: "60 seconds", "at least a minute".
        wait: String,
    },
    /// GitHub answered 403: the token lacks a permission.
    #[error("the token may not {action} in `{repository}` (403: {message})\nhelp: {help}")]
    GitHubForbidden {
        /// What flowc was doing: "open the pull request".
        action: String,
        /// `OWNER/NAME`.
        repository: String,
        /// GitHub's explanation.
        message: String,
        /// What to change.
        help: String,
    },
    /// GitHub answered 404.
    #[error(
        "{what} not found, or the token cannot see it (404: {message})\n\
         help: check --repo / GITHUB_REPOSITORY, the pull request number and --api-url; GitHub answers 404 \
         rather than 403 when a token has no access to a private repository"
    )]
    GitHubNotFound {
        /// What is missing: "repository `acme/pipelines`", "pull request #7 in `acme/pipelines`".
        what: String,
        /// GitHub's explanation.
        message: String,
    },
    /// GitHub answered 422: the request is valid JSON but GitHub refuses it.
    #[error("GitHub refused to {action}: {message}")]
    GitHubValidation {
        /// What flowc was doing.
        action: String,
        /// GitHub's reasons: "Validation Failed: No commits between main and dev".
        message: String,
    },
    /// GitHub answered with another status (5xx, 409, a redirect…).
    #[error("GitHub answered {status} when flowc tried to {action}: {message}\nhelp: {help}")]
    GitHubFailed {
        /// What flowc was doing.
        action: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's explanation, or the start of the body.
        message: String,
        /// What to do.
        help: String,
    },
    /// GitHub answered success with a body flowc cannot read.
    #[error(
        "unexpected answer from the GitHub API when flowc tried to {action}: {reason}\n\
         help: is --api-url / GITHUB_API_URL the REST API's base URL (https://api.github.com, or \
         https://HOST/api/v3 on GitHub Enterprise Server)?"
    )]
    GitHubUnexpectedAnswer {
        /// What flowc was doing.
        action: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// No answer from the API: DNS, connection, TLS or timeout.
    #[error(
        "cannot reach the GitHub API at {api_url}: {reason}\n\
         help: check the network and the API URL (--api-url or GITHUB_API_URL; GitHub Enterprise Server: \
         https://HOST/api/v3)"
    )]
    GitHubUnreachable {
        /// The API base URL.
        api_url: String,
        /// What failed.
        reason: String,
    },
    /// A pull request body or comment longer than GitHub accepts.
    #[error(
        "the {what} is {chars} characters long; GitHub accepts at most {limit}\n\
         help: shorten it (`flowc plan` keeps its markdown under the limit)",
        limit = crate::deploy::github::MAX_BODY_CHARS
    )]
    GitHubBodyTooLong {
        /// "pull request body", "comment".
        what: &'static str,
        /// Its length in characters.
        chars: usize,
    },
    /// A broken invariant: a bug in flowc.
    #[error("internal error: {0}\nthis is a bug in flowc {version}; please report it", version = env!("CARGO_PKG_VERSION"))]
    Internal(String),
}

impl Error {
    /// A git failure while doing `action` on `target` (a repository path, revision or
    /// branch).
    pub fn git(action: &str, target: impl std::fmt::Display, error: &git2::Error) -> Self {
        Self::Git {
            action: action.to_owned(),
            target: target.to_string(),
            message: error.message().to_owned(),
        }
    }

    /// An I/O error with the path and action that failed.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
