//! The GitHub edge: the promotion pull request and the sticky plan comment, through
//! octocrab.
//!
//! Input: [`GitHubSettings`] (API base URL, token, repository) and the text to publish.
//! Output: what changed on GitHub ([`PullRequestOutcome`], [`CommentOutcome`]).
//!
//! [`GitHub`] is a small synchronous facade: it owns a current-thread tokio runtime and
//! blocks on it for each call, so nothing async leaks out of this module. Requests are
//! GitHub's REST API exactly as documented (API version 2022-11-28), made with octocrab's
//! raw calls over a service stack built here (octocrab's own default stack always adds
//! `User-Agent: octocrab`, which would make ours a second, conflicting value). Every
//! request carries `Authorization: Bearer <token>`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version: 2022-11-28` and `User-Agent: flowc/<version>`.
//!
//! Invariants:
//! - the token goes only into the `Authorization` header of requests to the API's own
//!   host (marked sensitive), and never into a message: errors are built here from the
//!   status, headers and GitHub's message, with the token redacted from anything that
//!   came from outside;
//! - no retries and no redirects; a request without an answer within 30 seconds fails;
//! - a body longer than GitHub's limit ([`MAX_BODY_CHARS`]) is refused before any
//!   request: callers keep under it (the markdown plan truncates itself), and flowc never
//!   cuts text it did not write.

mod error;
mod failure;
mod settings;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{ACCEPT, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use octocrab::service::middleware::auth_header::AuthHeaderLayer;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Error;
pub use error::{GitHubError, MAX_BODY_CHARS};
use failure::{Answer, Call};
pub use settings::{API_URL_VAR, DEFAULT_API_URL, GitHubSettings, REPOSITORY_VAR, RepoSlug, TOKEN_VAR, Token};

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Comment pages followed at most (100 comments each), against a `Link` header that loops.
const MAX_PAGES: usize = 100;
/// The media type GitHub recommends for REST requests.
const MEDIA_TYPE: &str = "application/vnd.github+json";
/// Names flowc and its version to GitHub, which requires a user agent.
const USER_AGENT_VALUE: &str = concat!("flowc/", env!("CARGO_PKG_VERSION"));

/// A pull request on GitHub.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Its number in the repository.
    pub number: u64,
    /// Its page.
    pub html_url: String,
}

/// What [`GitHub::upsert_pull_request`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullRequestOutcome {
    /// No pull request was open for the branches; this one was opened.
    Created(PullRequest),
    /// The open pull request got the new title and body.
    Updated(PullRequest),
}

/// A comment on a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Its id (not a number shown in the web page).
    pub id: u64,
    /// Its link.
    pub html_url: String,
}

/// What [`GitHub::upsert_sticky_comment`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommentOutcome {
    /// No comment carried the marker; this one was posted.
    Created(Comment),
    /// The comment carrying the marker was edited.
    Updated(Comment),
    /// The comment carrying the marker already said exactly this; nothing was sent.
    Unchanged(Comment),
}

/// An issue comment as GitHub returns it.
#[derive(Debug, Deserialize)]
struct IssueComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    html_url: String,
}

impl From<IssueComment> for Comment {
    fn from(comment: IssueComment) -> Self {
        Self {
            id: comment.id,
            html_url: comment.html_url,
        }
    }
}

/// A connection to one repository on GitHub.
pub struct GitHub {
    runtime: tokio::runtime::Runtime,
    client: Octocrab,
    settings: GitHubSettings,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The HTTP methods flowc uses.
#[derive(Clone, Copy, Debug)]
enum Verb {
    Get,
    Post,
    Patch,
}

/// A whole answer.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl GitHub {
    /// Prepares requests to `settings.repository` at `settings.api_url`; sends nothing yet.
    pub fn connect(settings: GitHubSettings) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GitHubError::Unreachable {
                api_url: settings.api_url.clone(),
                reason: format!("cannot start the network runtime: {e}"),
            })?;
        let client = {
            // octocrab spawns its request queue's worker on the current runtime.
            let _context = runtime.enter();
            client(&settings)?
        };
        Ok(Self {
            runtime,
            client,
            settings,
        })
    }

    /// Opens the pull request from branch `head` into `base` of the repository, or, if
    /// one is open already, gives it `title` and `body`.
    ///
    /// `GET /repos/{owner}/{repo}/pulls?state=open&head={owner}:{head}&base={base}`, then
    /// `PATCH /repos/{owner}/{repo}/pulls/{number}` with `{title, body}`, or
    /// `POST /repos/{owner}/{repo}/pulls` with `{title, head, base, body}`. `head` is a
    /// branch of the repository itself (not of a fork).
    pub fn upsert_pull_request(
        &self,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequestOutcome, Error> {
        check_length("pull request body", body)?;
        let pulls = format!("{}/pulls", self.repository_path());
        let owner = self.settings.repository.owner();
        let query = format!(
            "{pulls}?state=open&head={}&base={}",
            query_value(&format!("{owner}:{head}")),
            query_value(base)
        );
        let (open, _) = self.request::<Vec<PullRequest>>(Call::ListPullRequests, Verb::Get, &query, None)?;
        if let Some(existing) = open.first() {
            let call = Call::UpdatePullRequest(existing.number);
            let uri = format!("{pulls}/{}", existing.number);
            let changes = json!({ "title": title, "body": body });
            let (updated, _) = self.request::<PullRequest>(call, Verb::Patch, &uri, Some(&changes))?;
            Ok(PullRequestOutcome::Updated(updated))
        } else {
            let new = json!({ "title": title, "head": head, "base": base, "body": body });
            let (created, _) = self.request::<PullRequest>(Call::OpenPullRequest, Verb::Post, &pulls, Some(&new))?;
            Ok(PullRequestOutcome::Created(created))
        }
    }

    /// Keeps exactly one comment carrying `marker` on pull request `pr`, saying `body`.
    ///
    /// `marker` is a hidden HTML comment such as `<!-- flowc:plan env=prod -->`; it is put
    /// on the body's first line unless the body already contains it, so callers pass the
    /// text alone. Every comment of the pull request is listed
    /// (`GET /repos/{owner}/{repo}/issues/{pr}/comments?per_page=100`, following the `Link`
    /// header's `next` pages); the first one containing the marker is edited
    /// (`PATCH /repos/{owner}/{repo}/issues/comments/{id}`) unless it already says the same
    /// (line endings and trailing whitespace aside: then nothing is sent); without one, a
    /// comment is posted (`POST /repos/{owner}/{repo}/issues/{pr}/comments`). A second
    /// comment is never created while one with the marker exists.
    pub fn upsert_sticky_comment(&self, pr: u64, marker: &str, body: &str) -> Result<CommentOutcome, Error> {
        if marker.trim().is_empty() {
            return Err(Error::Internal("a sticky comment needs a non-empty marker".into()));
        }
        let body = if body.contains(marker) {
            body.to_owned()
        } else {
            format!("{marker}\n{body}")
        };
        check_length("comment", &body)?;
        let existing = self
            .comments(pr)?
            .into_iter()
            .find(|comment| comment.body.as_deref().is_some_and(|text| text.contains(marker)));
        match existing {
            Some(comment) if comment.body.as_deref().is_some_and(|text| same_text(text, &body)) => {
                Ok(CommentOutcome::Unchanged(comment.into()))
            }
            Some(comment) => {
                let call = Call::EditComment { pr, id: comment.id };
                let uri = format!("{}/issues/comments/{}", self.repository_path(), comment.id);
                let (edited, _) =
                    self.request::<IssueComment>(call, Verb::Patch, &uri, Some(&json!({ "body": body })))?;
                Ok(CommentOutcome::Updated(edited.into()))
            }
            None => {
                let uri = format!("{}/issues/{pr}/comments", self.repository_path());
                let (posted, _) = self.request::<IssueComment>(
                    Call::PostComment(pr),
                    Verb::Post,
                    &uri,
                    Some(&json!({ "body": body })),
                )?;
                Ok(CommentOutcome::Created(posted.into()))
            }
        }
    }

    /// Every comment on `pr`, oldest first, across pages.
    fn comments(&self, pr: u64) -> Result<Vec<IssueComment>, Error> {
        let call = Call::ListComments(pr);
        let mut uri = format!("{}/issues/{pr}/comments?per_page=100", self.repository_path());
        let mut comments = Vec::new();
        for _ in 0..MAX_PAGES {
            let (page, headers) = self.request::<Vec<IssueComment>>(call, Verb::Get, &uri, None)?;
            comments.extend(page);
            match next_page(&headers) {
                Some(next) => uri = next,
                None => return Ok(comments),
            }
        }
        Err(GitHubError::UnexpectedAnswer {
            action: call.action(),
            reason: format!("the `Link` header still names a next page after {MAX_PAGES} pages"),
        }
        .into())
    }

    /// `/repos/{owner}/{repo}`.
    fn repository_path(&self) -> String {
        let repository = &self.settings.repository;
        format!("/repos/{}/{}", repository.owner(), repository.name())
    }

    /// Sends one request and decodes a success answer's JSON; any other answer becomes the
    /// matching error.
    fn request<T: DeserializeOwned>(
        &self,
        call: Call,
        verb: Verb,
        uri: &str,
        body: Option<&Value>,
    ) -> Result<(T, HeaderMap), Error> {
        let reply = self.exchange(verb, uri, body)?;
        if !(200..300).contains(&reply.status) {
            let answer = Answer {
                status: reply.status,
                headers: &reply.headers,
                body: &reply.body,
            };
            return Err(failure::from_status(call, &self.settings, &answer, SystemTime::now()).into());
        }
        let value = serde_json::from_str(&reply.body).map_err(|e| GitHubError::UnexpectedAnswer {
            action: call.action(),
            reason: failure::redact(
                &format!("the body is not the JSON GitHub sends ({e})"),
                &self.settings.token,
            ),
        })?;
        Ok((value, reply.headers))
    }

    /// Sends one request to `uri` (a path below the API base URL) and reads the whole answer.
    fn exchange(&self, verb: Verb, uri: &str, body: Option<&Value>) -> Result<Reply, Error> {
        let client = &self.client;
        let round_trip = async {
            let response = match verb {
                Verb::Get => client._get(uri).await?,
                Verb::Post => client._post(uri, body).await?,
                Verb::Patch => client._patch(uri, body).await?,
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = client.body_to_string(response).await?;
            Ok::<_, octocrab::Error>(Reply { status, headers, body })
        };
        let outcome = self
            .runtime
            .block_on(async { tokio::time::timeout(TIMEOUT, round_trip).await });
        let reason = match outcome {
            Ok(Ok(reply)) => return Ok(reply),
            Ok(Err(error)) => transport_reason(&error),
            Err(_) => format!("no answer within {} seconds", TIMEOUT.as_secs()),
        };
        Err(GitHubError::Unreachable {
            api_url: self.settings.api_url.clone(),
            reason: failure::redact(&reason, &self.settings.token),
        }
        .into())
    }
}

/// The octocrab client for `settings`: plain HTTP or HTTPS (system root certificates,
/// HTTPS only) depending on the API URL, then octocrab's header, base URI and
/// authorization layers, innermost first.
fn client(settings: &GitHubSettings) -> Result<Octocrab, Error> {
    let base: Uri = settings
        .api_url
        .parse()
        .map_err(|_| Error::Usage(format!("`{}` is not a URL", settings.api_url)))?;
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", settings.token.expose())).map_err(|_| {
        Error::Usage("GITHUB_TOKEN holds characters an HTTP header cannot carry (a stray quote or line break?)".into())
    })?;
    authorization.set_sensitive(true);
    // X-GitHub-Api-Version is set by octocrab on every request it builds.
    let headers: Vec<(HeaderName, HeaderValue)> = vec![
        (ACCEPT, HeaderValue::from_static(MEDIA_TYPE)),
        (USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE)),
    ];
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(TIMEOUT));
    if base.scheme_str() == Some("https") {
        connector.enforce_http(false);
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| GitHubError::Unreachable {
                api_url: settings.api_url.clone(),
                reason: format!("cannot load the system's root certificates: {e}"),
            })?
            .https_only()
            .enable_http1()
            .wrap_connector(connector);
        Ok(stack(tls, base, authorization, headers))
    } else {
        Ok(stack(connector, base, authorization, headers))
    }
}

fn stack<C>(connector: C, base: Uri, authorization: HeaderValue, headers: Vec<(HeaderName, HeaderValue)>) -> Octocrab
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = Client::builder(TokioExecutor::new()).build::<_, OctoBody>(connector);
    let built = OctocrabBuilder::new_empty()
        .with_service(client)
        .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
        .with_layer(&BaseUriLayer::new(base.clone()))
        // Adds the header only to requests for the API's own host.
        .with_layer(&AuthHeaderLayer::new(Some(authorization), base.clone(), base))
        .with_auth(AuthState::None)
        .build();
    match built {
        Ok(client) => client,
        Err(never) => match never {},
    }
}

/// Refuses a `what` longer than GitHub accepts.
fn check_length(what: &'static str, text: &str) -> Result<(), GitHubError> {
    let chars = text.chars().count();
    if chars > MAX_BODY_CHARS {
        Err(GitHubError::BodyTooLong { what, chars })
    } else {
        Ok(())
    }
}

/// Whether two comment bodies render the same: GitHub may store line breaks as CRLF, and
/// trailing whitespace is invisible.
fn same_text(stored: &str, wanted: &str) -> bool {
    stored.replace("\r\n", "\n").trim_end() == wanted.replace("\r\n", "\n").trim_end()
}

/// `value` percent-encoded for a query string; `:` and `/` stay, as GitHub writes
/// `head=octocat:feature/x`.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b':' | b'/') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The path and query of the `next` page in a `Link` header
/// (`<https://api.github.com/…?page=2>; rel="next", <…>; rel="last"`). Only the path and
/// query are kept, so the request goes to the configured API host whatever the link says.
fn next_page(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let next = params.split(';').any(|param| {
                param
                    .trim()
                    .strip_prefix("rel=")
                    .is_some_and(|rel| rel.trim_matches('"').split_whitespace().any(|r| r == "next"))
            });
            if !next {
                return None;
            }
            let uri: Uri = target.parse().ok()?;
            uri.path_and_query().map(|pq| pq.as_str().to_owned())
        })
}

/// What went wrong below HTTP, from the error's causes (the outermost layers only say
/// "service error").
fn transport_reason(error: &octocrab::Error) -> String {
    let mut causes: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // Wrappers often repeat their cause's text; keep each piece once.
        if let Some(last) = causes.last_mut()
            && let Some(prefix) = last.strip_suffix(&text)
        {
            *last = prefix.trim_end_matches([':', ' ']).to_owned();
        }
        causes.push(text);
        source = cause.source();
    }
    causes.retain(|cause| !cause.is_empty());
    if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_page_follows_only_rel_next() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            HeaderValue::from_static(
                r#"<https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=5>; rel="last""#,
            ),
        );
        assert_eq!(
            next_page(&headers).as_deref(),
            Some("/repositories/1/issues/7/comments?per_page=100&page=2")
        );
        headers.insert(
            "link",
            HeaderValue::from_static(
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#,
            ),
        );
        assert_eq!(next_page(&headers), None);
        assert_eq!(next_page(&HeaderMap::new()), None);
    }

    #[test]
    fn query_values_keep_branch_syntax_readable() {
        assert_eq!(query_value("acme:feature/x-1.2_y"), "acme:feature/x-1.2_y");
        assert_eq!(query_value("a b&c#d+é"), "a%20b%26c%23d%2B%C3%A9");
    }

    #[test]
    fn bodies_differing_only_in_line_endings_are_the_same() {
        assert!(same_text("a\r\nb\r\n", "a\nb"));
        assert!(!same_text("a\nb", "a\nc"));
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        assert!(check_length("comment", &"é".repeat(MAX_BODY_CHARS)).is_ok());
        let error = check_length("comment", &"x".repeat(MAX_BODY_CHARS + 1)).expect_err("too long");
        assert!(
            error.to_string().starts_with("the comment is 65537 characters long"),
            "{error}"
        );
    }
}
