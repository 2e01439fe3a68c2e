//! What can go wrong talking to GitHub, each failure with what to do about it.
//!
//! [`GitHubError`] is the GitHub edge's own error; the root [`Error`] carries it in
//! [`Error::GitHub`], printed as-is, so the stages below this one need not know GitHub.

use crate::Error;

/// The longest pull request body or comment GitHub accepts, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Why a GitHub request failed or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// `GITHUB_TOKEN` is unset or empty.
    #[error(
        "GITHUB_TOKEN is not set; flowc needs a GitHub token for this command\n\
         help: set GITHUB_TOKEN to a token with the permissions `pull-requests: write` and `contents: read`; \
         in GitHub Actions, give the job `permissions: {{pull-requests: write, contents: read}}` and the step \
         `env: {{GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}}}`"
    )]
    TokenMissing,
    /// GitHub answered 401: the token is wrong, expired or revoked.
    #[error(
        "GitHub at {api_url} rejected the token (401 bad credentials)\n\
         help: GITHUB_TOKEN is wrong, expired or revoked, or was issued by another GitHub (check --api-url / \
         GITHUB_API_URL); create a new token, or in GitHub Actions use `secrets.GITHUB_TOKEN`"
    )]
    Unauthorized {
        /// The API base URL the token was sent to.
        api_url: String,
    },
    /// GitHub answered 403 or 429 with `x-ratelimit-remaining: 0`.
    #[error(
        "GitHub API rate limit exceeded; it resets {resets}\n\
         help: run again after the reset; every request made with this token counts against the same limit"
    )]
    RateLimited {
        /// When the limit resets: "at 2024-03-05 14:03:20 UTC, in 312 seconds".
        resets: String,
    },
    /// GitHub's secondary rate limit (too many requests in a short time) stopped a request.
    #[error(
        "GitHub's secondary rate limit stopped the request (too many requests in a short time)\n\
         help: wait {wait} and run again; avoid running many GitHub commands at the same time"
    )]
    SecondaryRateLimit {
        /// How long to wait: "60 seconds", "at least a minute".
        wait: String,
    },
    /// GitHub answered 403: the token lacks a permission.
    #[error("the token may not {action} in `{repository}` (403: {message})\nhelp: {help}")]
    Forbidden {
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
    NotFound {
        /// What is missing: "repository `acme/pipelines`", "pull request #7 in `acme/pipelines`".
        what: String,
        /// GitHub's explanation.
        message: String,
    },
    /// GitHub answered 422: the request is valid JSON but GitHub refuses it.
    #[error("GitHub refused to {action}: {message}")]
    Validation {
        /// What flowc was doing.
        action: String,
        /// GitHub's reasons: "Validation Failed: No commits between main and dev".
        message: String,
    },
    /// GitHub answered with another status (5xx, 409, a redirect…).
    #[error("GitHub answered {status} when flowc tried to {action}: {message}\nhelp: {help}")]
    Failed {
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
    UnexpectedAnswer {
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
    Unreachable {
        /// The API base URL.
        api_url: String,
        /// What failed.
        reason: String,
    },
    /// A pull request body or comment longer than GitHub accepts.
    #[error(
        "the {what} is {chars} characters long; GitHub accepts at most {limit}\n\
         help: shorten it (`flowc plan` keeps its markdown under the limit)",
        limit = MAX_BODY_CHARS
    )]
    BodyTooLong {
        /// "pull request body", "comment".
        what: &'static str,
        /// Its length in characters.
        chars: usize,
    },
}

impl From<GitHubError> for Error {
    fn from(error: GitHubError) -> Self {
        Error::GitHub(Box::new(error))
    }
}

impl GitHubError {
    /// The GitHub failure `error` carries, if it is one.
    pub fn of(error: &Error) -> Option<&GitHubError> {
        match error {
            Error::GitHub(inner) => inner.downcast_ref(),
            _ => None,
        }
    }
}
