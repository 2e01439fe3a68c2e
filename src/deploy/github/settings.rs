//! Where GitHub calls go and as whom: the API base URL, the token and the repository.
//!
//! Each comes from the command line, else the environment GitHub Actions sets up, else
//! a default or the repository's `origin` remote. Resolution reads the environment and
//! the git configuration once, up front, so a misconfiguration fails before any request.

use std::fmt;
use std::path::Path;

use super::GitHubError;
use crate::Error;

/// The public GitHub REST API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The variable holding the token.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";
/// The variable GitHub Actions sets to the REST API's base URL (also on GitHub Enterprise Server).
pub const API_URL_VAR: &str = "GITHUB_API_URL";
/// The variable GitHub Actions sets to `OWNER/NAME` of the workflow's repository.
pub const REPOSITORY_VAR: &str = "GITHUB_REPOSITORY";

/// A GitHub token. `Debug` and `Display` never show its value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token in `value`, without surrounding whitespace (secrets read from files often
    /// end in a newline); `None` when nothing is left.
    pub fn new(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self(value.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and for redacting messages.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A GitHub repository, `OWNER/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoSlug {
    owner: String,
    name: String,
}

impl RepoSlug {
    /// Parses `OWNER/NAME`; `None` unless both parts are non-empty and use only the
    /// characters GitHub allows in account and repository names (`A-Z a-z 0-9 - _ .`).
    pub fn parse(text: &str) -> Option<Self> {
        let (owner, name) = text.trim().split_once('/')?;
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (valid(owner) && valid(name)).then(|| Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The repository a git remote URL points at: `git@host:OWNER/NAME.git`,
    /// `https://host/OWNER/NAME(.git)`, `ssh://git@host[:port]/OWNER/NAME.git`, with or
    /// without credentials in the URL.
    pub fn from_remote_url(url: &str) -> Option<Self> {
        let url = url.trim();
        let path = if let Some((_, rest)) = url.split_once("://") {
            // scheme://[user[:password]@]host[:port]/path; no `@` can follow the host,
            // since neither account nor repository names may contain one.
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host_and_path)| host_and_path);
            rest.split_once('/')?.1
        } else {
            // scp-like syntax: [user@]host:path. A local path has no colon before its first slash.
            let (host, path) = url.split_once(':')?;
            if host.is_empty() || host.contains('/') {
                return None;
            }
            path
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        Self::parse(path)
    }

    /// The account (user or organisation) owning the repository.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// Where GitHub calls go and as whom.
#[derive(Clone, Debug)]
pub struct GitHubSettings {
    /// The REST API's base URL without a trailing slash: `https://api.github.com`, or
    /// `https://HOST/api/v3` on GitHub Enterprise Server.
    pub api_url: String,
    /// The token every request carries.
    pub token: Token,
    /// The repository pull requests and comments belong to.
    pub repository: RepoSlug,
}

impl GitHubSettings {
    /// Resolves the settings: the token from `GITHUB_TOKEN`; the API URL from `api_url`
    /// (`--api-url`), else `GITHUB_API_URL`, else [`DEFAULT_API_URL`]; the repository
    /// from `repository` (`--repo`), else `GITHUB_REPOSITORY`, else the `origin` remote of
    /// the git repository containing `project`.
    pub fn resolve(repository: Option<&str>, api_url: Option<&str>, project: &Path) -> Result<Self, Error> {
        Self::resolve_with(repository, api_url, project, |name| std::env::var(name).ok())
    }

    fn resolve_with(
        repository: Option<&str>,
        api_url: Option<&str>,
        project: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let token = env(TOKEN_VAR)
            .as_deref()
            .and_then(Token::new)
            .ok_or(GitHubError::TokenMissing)?;
        let api_url = match api_url {
            Some(url) => checked_api_url(url, "--api-url")?,
            None => match env(API_URL_VAR) {
                Some(url) => checked_api_url(&url, API_URL_VAR)?,
                None => DEFAULT_API_URL.to_owned(),
            },
        };
        let repository = match repository {
            Some(slug) => RepoSlug::parse(slug)
                .ok_or_else(|| Error::Usage(format!("--repo `{slug}` is not OWNER/NAME, such as `acme/pipelines`")))?,
            None => match env(REPOSITORY_VAR) {
                Some(slug) => RepoSlug::parse(&slug).ok_or_else(|| {
                    Error::Usage(format!(
                        "{REPOSITORY_VAR} is `{slug}`, which is not OWNER/NAME; pass --repo OWNER/NAME"
                    ))
                })?,
                None => origin_repository(project).map_err(|why| {
                    Error::Usage(format!(
                        "cannot tell which GitHub repository to use: {why}\n\
                         help: pass --repo OWNER/NAME, or set {REPOSITORY_VAR} (GitHub Actions sets it)"
                    ))
                })?,
            },
        };
        Ok(Self {
            api_url,
            token,
            repository,
        })
    }
}

/// `url` without a trailing slash, if it is an absolute http(s) URL with a host.
fn checked_api_url(url: &str, source: &str) -> Result<String, Error> {
    let trimmed = url.trim().trim_end_matches('/');
    let valid = trimmed.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some_and(|h| !h.is_empty())
    });
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(Error::Usage(format!(
            "{source} `{url}` is not an http(s) URL; use the REST API's base URL: \
             {DEFAULT_API_URL}, or https://HOST/api/v3 on GitHub Enterprise Server"
        )))
    }
}

/// The repository the `origin` remote points at, or why there is none. The URL itself is
/// never part of the answer: it may hold credentials.
fn origin_repository(project: &Path) -> Result<RepoSlug, String> {
    let repository = git2::Repository::discover(project)
        .map_err(|_| format!("`{}` is not inside a git repository", project.display()))?;
    let remote = repository
        .find_remote("origin")
        .map_err(|_| "its git repository has no `origin` remote".to_owned())?;
    let url = remote
        .url()
        .map_err(|_| "the URL of the `origin` remote is not UTF-8".to_owned())?;
    RepoSlug::from_remote_url(url).ok_or_else(|| "the URL of the `origin` remote does not end in OWNER/NAME".to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn slug(owner: &str, name: &str) -> RepoSlug {
        RepoSlug {
            owner: owner.into(),
            name: name.into(),
        }
    }

    #[test]
    fn remote_urls_of_every_git_syntax_name_the_repository() {
        for url in [
            "git@github.com:acme/pipelines.git",
            "git@github.com:acme/pipelines",
            "github.com:acme/pipelines.git",
            "https://github.com/acme/pipelines",
            "https://github.com/acme/pipelines.git",
            "https://github.com/acme/pipelines/",
            "https://x-access-token:secret@github.com/acme/pipelines.git",
            "http://ghe.example.com/acme/pipelines.git",
            "ssh://git@github.com/acme/pipelines.git",
            "ssh://git@ghe.example.com:2222/acme/pipelines.git",
            "git://github.com/acme/pipelines.git",
        ] {
            assert_eq!(RepoSlug::from_remote_url(url), Some(slug("acme", "pipelines")), "{url}");
        }
    }

    #[test]
    fn remote_urls_without_owner_and_name_are_refused() {
        for url in [
            "/srv/git/pipelines.git",
            "./pipelines",
            "file:///srv/git/acme/pipelines.git",
            "https://github.com/acme",
            "https://github.com/acme/pipelines/tree/main",
            "git@github.com:pipelines.git",
            "C:\\repos\\pipelines",
            "",
        ] {
            assert_eq!(RepoSlug::from_remote_url(url), None, "{url}");
        }
    }

    #[test]
    fn slugs_keep_dots_dashes_and_underscores() {
        assert_eq!(
            RepoSlug::parse("my-org/data_pipelines.v2"),
            Some(slug("my-org", "data_pipelines.v2"))
        );
        assert_eq!(RepoSlug::parse("acme/.."), None);
        assert_eq!(RepoSlug::parse("acme/pipe lines"), None);
        assert_eq!(RepoSlug::parse("acme/"), None);
    }

    #[test]
    fn token_is_never_printed() {
        let token = Token::new(" ghp_secret\n").expect("non-empty");
        assert_eq!(token.expose(), "ghp_secret");
        assert_eq!(format!("{token} {token:?}"), "*** Token(***)");
        let settings = GitHubSettings {
            api_url: DEFAULT_API_URL.into(),
            token,
            repository: RepoSlug::parse("acme/pipelines").expect("valid"),
        };
        assert!(!format!("{settings:?}").contains("ghp_secret"));
    }

    fn resolve(repository: Option<&str>, api_url: Option<&str>, env: &[(&str, &str)]) -> Result<GitHubSettings, Error> {
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let nowhere = tempfile::tempdir().expect("temp dir");
        GitHubSettings::resolve_with(repository, api_url, nowhere.path(), |name| env.get(name).cloned())
    }

    #[test]
    fn flags_win_over_the_environment() {
        let settings = resolve(
            Some("acme/flag"),
            Some("https://ghe.example.com/api/v3/"),
            &[
                (TOKEN_VAR, "t"),
                (REPOSITORY_VAR, "acme/env"),
                (API_URL_VAR, "https://api.github.com"),
            ],
        )
        .expect("resolves");
        assert_eq!(settings.repository.to_string(), "acme/flag");
        assert_eq!(settings.api_url, "https://ghe.example.com/api/v3");
    }

    #[test]
    fn environment_fills_in_what_flags_leave_out() {
        let settings = resolve(
            None,
            None,
            &[
                (TOKEN_VAR, "t"),
                (REPOSITORY_VAR, "acme/env"),
                (API_URL_VAR, "https://ghe.example.com/api/v3"),
            ],
        )
        .expect("resolves");
        assert_eq!(settings.repository.to_string(), "acme/env");
        assert_eq!(settings.api_url, "https://ghe.example.com/api/v3");
        let settings = resolve(
            None,
            None,
            &[(TOKEN_VAR, "t"), (REPOSITORY_VAR, "acme/env"), (API_URL_VAR, "")],
        )
        .expect("resolves");
        assert_eq!(settings.api_url, DEFAULT_API_URL);
    }

    #[test]
    fn missing_or_blank_token_is_an_error() {
        for env in [&[][..], &[(TOKEN_VAR, "")][..], &[(TOKEN_VAR, " \n")][..]] {
            let error = resolve(Some("acme/pipelines"), None, env).expect_err("no token");
            assert!(
                matches!(GitHubError::of(&error), Some(GitHubError::TokenMissing)),
                "{error}"
            );
        }
    }

    #[test]
    fn bad_api_url_and_repository_are_usage_errors() {
        let error = resolve(Some("acme/pipelines"), Some("ghe.example.com"), &[(TOKEN_VAR, "t")]).expect_err("bad url");
        assert!(
            error
                .to_string()
                .contains("--api-url `ghe.example.com` is not an http(s) URL"),
            "{error}"
        );
        let error = resolve(Some("pipelines"), None, &[(TOKEN_VAR, "t")]).expect_err("bad slug");
        assert!(
            error.to_string().contains("--repo `pipelines` is not OWNER/NAME"),
            "{error}"
        );
        let error = resolve(None, None, &[(TOKEN_VAR, "t")]).expect_err("no repository");
        assert!(error.to_string().contains("is not inside a git repository"), "{error}");
        assert!(error.to_string().contains("pass --repo OWNER/NAME"), "{error}");
    }
}
