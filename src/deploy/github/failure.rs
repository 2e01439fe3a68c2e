//! GitHub's error answers turned into [`GitHubError`]s that say what went wrong and what to do.
//!
//! Everything here is built from the status, a few headers and GitHub's JSON message;
//! text that came from outside passes through a redactor first, so the token can never
//! reach a message, whatever GitHub or a proxy echoes back.

use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde_json::Value;

use super::{GitHubError, GitHubSettings, RepoSlug, Token};

/// What the failed request was for, to name it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Call {
    /// `GET /repos/{o}/{r}/pulls`.
    ListPullRequests,
    /// `POST /repos/{o}/{r}/pulls`.
    OpenPullRequest,
    /// `PATCH /repos/{o}/{r}/pulls/{n}`.
    UpdatePullRequest(u64),
    /// `GET /repos/{o}/{r}/issues/{n}/comments`.
    ListComments(u64),
    /// `POST /repos/{o}/{r}/issues/{n}/comments`.
    PostComment(u64),
    /// `PATCH /repos/{o}/{r}/issues/comments/{id}`, on pull request `pr`.
    EditComment { pr: u64, id: u64 },
}

impl Call {
    /// What flowc was trying to do, after "to": "open the pull request".
    pub(super) fn action(self) -> String {
        match self {
            Self::ListPullRequests => "list the open pull requests".into(),
            Self::OpenPullRequest => "open the pull request".into(),
            Self::UpdatePullRequest(number) => format!("update pull request #{number}"),
            Self::ListComments(pr) => format!("list the comments on #{pr}"),
            Self::PostComment(pr) => format!("comment on #{pr}"),
            Self::EditComment { pr, id } => format!("edit comment {id} on #{pr}"),
        }
    }

    /// What a 404 means is missing.
    fn missing(self, repository: &RepoSlug) -> String {
        match self {
            Self::ListPullRequests | Self::OpenPullRequest => format!("repository `{repository}`"),
            Self::UpdatePullRequest(number) => format!("pull request #{number} in `{repository}`"),
            Self::ListComments(pr) | Self::PostComment(pr) => format!("pull request #{pr} in `{repository}`"),
            Self::EditComment { pr, id } => format!("comment {id} on #{pr} in `{repository}`"),
        }
    }
}

/// The token permissions every call needs, as a workflow's `permissions:` block names them.
pub(super) const PERMISSIONS: &str = "`pull-requests: write` and `contents: read`";

/// A non-success answer from GitHub.
pub(super) struct Answer<'a> {
    /// The HTTP status.
    pub(super) status: u16,
    /// The response headers.
    pub(super) headers: &'a HeaderMap,
    /// The response body.
    pub(super) body: &'a str,
}

/// The error for a non-success answer to `call`, received at `now`.
pub(super) fn from_status(call: Call, settings: &GitHubSettings, answer: &Answer<'_>, now: SystemTime) -> GitHubError {
    let Answer { status, headers, body } = *answer;
    let repository = &settings.repository;
    let message = redact(&github_message(status, body), &settings.token);
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let retry_after = header("retry-after").and_then(|value| value.parse::<u64>().ok());
    let secondary = message.to_ascii_lowercase().contains("secondary rate limit");
    match status {
        401 => GitHubError::Unauthorized {
            api_url: settings.api_url.clone(),
        },
        403 | 429 if exhausted => {
            let reset = header("x-ratelimit-reset").and_then(|value| value.parse::<u64>().ok());
            GitHubError::RateLimited {
                resets: reset.map_or_else(|| "at an unknown time".to_owned(), |reset| resets(reset, now)),
            }
        }
        403 | 429 if secondary || retry_after.is_some() || status == 429 => GitHubError::SecondaryRateLimit {
            wait: retry_after.map_or_else(
                || "at least a minute".to_owned(),
                |seconds| format!("{seconds} seconds"),
            ),
        },
        403 => GitHubError::Forbidden {
            action: call.action(),
            repository: repository.to_string(),
            help: forbidden_help(&message),
            message,
        },
        404 => GitHubError::NotFound {
            what: call.missing(repository),
            message,
        },
        422 => GitHubError::Validation {
            action: call.action(),
            message,
        },
        _ => GitHubError::Failed {
            action: call.action(),
            status,
            message,
            help: if (300..400).contains(&status) {
                // GitHub redirects requests for a renamed or transferred repository.
                "the repository was probably renamed or moved: pass its new OWNER/NAME with --repo".to_owned()
            } else {
                "if GitHub is having problems (https://www.githubstatus.com), try again later".to_owned()
            },
        },
    }
}

/// `text` with every occurrence of the token replaced by `***`.
pub(super) fn redact(text: &str, token: &Token) -> String {
    text.replace(token.expose(), "***")
}

/// How to get past a 403 that is not a rate limit.
fn forbidden_help(message: &str) -> String {
    if message.contains("not permitted to create or approve pull requests") {
        "the repository (or its organisation) does not let GitHub Actions open pull requests: \
         enable \"Allow GitHub Actions to create and approve pull requests\" under \
         Settings → Actions → General → Workflow permissions, or use another token"
            .to_owned()
    } else {
        format!(
            "give the token {PERMISSIONS} on this repository; in GitHub Actions, add \
             `permissions:` with both to the job (a fine-grained token needs the same two)"
        )
    }
}

/// GitHub's explanation: `message`, then each entry of `errors` ("No commits between
/// main and dev", "head invalid"); the raw body, shortened, when it is not GitHub's JSON.
fn github_message(status: u16, body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        let text = body.trim();
        return if text.is_empty() {
            format!("HTTP {status}, no explanation")
        } else {
            shorten(text)
        };
    };
    let mut parts: Vec<String> = json
        .get("message")
        .and_then(Value::as_str)
        .map(|m| vec![m.to_owned()])
        .unwrap_or_default();
    for error in json.get("errors").and_then(Value::as_array).into_iter().flatten() {
        let text = match error {
            Value::String(text) => Some(text.clone()),
            Value::Object(fields) => fields
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    let field = fields.get("field").and_then(Value::as_str)?;
                    let code = fields.get("code").and_then(Value::as_str).unwrap_or("invalid");
                    Some(format!("{field} {code}"))
                }),
            _ => None,
        };
        parts.extend(text);
    }
    if parts.is_empty() {
        format!("HTTP {status}, no explanation")
    } else {
        shorten(&parts.join(": "))
    }
}

/// At most 300 characters of `text` on one line: enough for any GitHub message, short
/// enough for an HTML error page from a proxy.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 300;
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= LIMIT {
        line
    } else {
        let cut: String = line.chars().take(LIMIT).collect();
        format!("{cut}…")
    }
}

/// "at 2024-03-05 14:03:20 UTC, in 312 seconds" for a reset at `epoch` seconds.
fn resets(epoch: u64, now: SystemTime) -> String {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let wait = epoch.saturating_sub(now);
    format!("at {}, in {wait} seconds", utc(epoch))
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the Unix epoch.
fn utc(epoch: u64) -> String {
    let days = epoch / 86_400;
    let seconds = epoch % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), in u64
    // because the epoch is never negative here.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::HeaderValue;

    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> GitHubError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).expect("valid header"));
        }
        let now = UNIX_EPOCH + Duration::from_secs(1_709_647_000);
        let settings = GitHubSettings {
            api_url: "https://api.github.com".into(),
            token: Token::new("ghp_secret").expect("non-empty"),
            repository: RepoSlug::parse("acme/pipelines").expect("valid"),
        };
        let answer = Answer {
            status,
            headers: &map,
            body,
        };
        from_status(Call::OpenPullRequest, &settings, &answer, now)
    }

    #[test]
    fn utc_formats_epoch_seconds() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_709_647_400), "2024-03-05 14:03:20 UTC");
        assert_eq!(utc(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn exhausted_rate_limit_names_reset_time_and_wait() {
        let error = answer(
            403,
            &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1709647400")],
            r#"{"message":"API rate limit exceeded for installation ID 1."}"#,
        );
        let text = error.to_string();
        assert!(matches!(error, GitHubError::RateLimited { .. }), "{text}");
        assert!(text.contains("at 2024-03-05 14:03:20 UTC, in 400 seconds"), "{text}");
        let error = answer(429, &[("x-ratelimit-remaining", "0")], "");
        assert!(error.to_string().contains("at an unknown time"), "{error}");
    }

    #[test]
    fn secondary_rate_limit_says_how_long_to_wait() {
        let body = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let error = answer(403, &[("retry-after", "60")], body);
        assert!(error.to_string().contains("wait 60 seconds"), "{error}");
        let error = answer(403, &[], body);
        assert!(error.to_string().contains("wait at least a minute"), "{error}");
        let error = answer(429, &[], "");
        assert!(matches!(error, GitHubError::SecondaryRateLimit { .. }), "{error}");
    }

    #[test]
    fn forbidden_names_the_permissions_or_the_actions_setting() {
        let error = answer(403, &[], r#"{"message":"Resource not accessible by integration"}"#);
        let text = error.to_string();
        assert!(
            text.contains("may not open the pull request in `acme/pipelines`"),
            "{text}"
        );
        assert!(text.contains("Resource not accessible by integration"), "{text}");
        assert!(text.contains("`pull-requests: write`"), "{text}");
        let error = answer(
            403,
            &[],
            r#"{"message":"GitHub Actions is not permitted to create or approve pull requests."}"#,
        );
        assert!(
            error
                .to_string()
                .contains("Allow GitHub Actions to create and approve pull requests"),
            "{error}"
        );
    }

    #[test]
    fn validation_failure_carries_githubs_reasons() {
        let error = answer(
            422,
            &[],
            r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"No commits between main and dev"},{"resource":"PullRequest","field":"head","code":"invalid"}]}"#,
        );
        assert_eq!(
            error.to_string(),
            "GitHub refused to open the pull request: Validation Failed: No commits between main and dev: head invalid"
        );
    }

    #[test]
    fn messages_are_redacted_and_shortened() {
        let error = answer(500, &[], &format!("<html>ghp_secret {}</html>", "x ".repeat(400)));
        let text = error.to_string();
        assert!(!text.contains("ghp_secret"), "{text}");
        assert!(text.contains("…"), "{text}");
        let error = answer(404, &[], r#"{"message":"Not Found ghp_secret"}"#);
        assert!(
            error.to_string().starts_with("repository `acme/pipelines` not found"),
            "{error}"
        );
        assert!(!error.to_string().contains("ghp_secret"), "{error}");
    }

    #[test]
    fn redirect_suggests_the_repository_moved() {
        let error = answer(
            301,
            &[],
            r#"{"message":"Moved Permanently","url":"https://api.github.com/repositories/1/pulls"}"#,
        );
        let text = error.to_string();
        assert!(
            text.starts_with("GitHub answered 301 when flowc tried to open the pull request: Moved Permanently"),
            "{text}"
        );
        assert!(text.contains("pass its new OWNER/NAME with --repo"), "{text}");
    }

    #[test]
    fn bad_credentials_do_not_depend_on_the_body() {
        let error = answer(401, &[], "");
        assert!(matches!(error, GitHubError::Unauthorized { .. }), "{error}");
    }
}
