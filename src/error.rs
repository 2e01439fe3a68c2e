//! Stage 0: failures of flowc itself, as opposed to problems in the user's input.
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
        /// git's error, when git reported one (its message is in `message`).
        source: Option<git2::Error>,
    },
    /// Another `flowc deploy` holds the lock of the target folder.
    #[error("another deploy to `{}` is running (it holds `{}`); try again when it has finished", target.display(), lock.display())]
    DeployLocked {
        /// The target folder.
        target: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// Another flowc (a compile or a deploy) kept the lock of the output folder for the
    /// whole wait.
    #[error(
        "another flowc is writing to `{}` (it holds `{}`); waited {waited} s for it to finish: try again when it has",
        folder.display(),
        lock.display()
    )]
    OutputLocked {
        /// The output folder.
        folder: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// How long flowc waited, in seconds.
        waited: u64,
    },
    /// Something in the output folder that flowc did not write is where a compiled file
    /// must go.
    #[error("cannot write the output: `{}` {reason}", path.display())]
    OutputBlocked {
        /// What is in the way.
        path: PathBuf,
        /// Why, and what to do about it.
        reason: String,
    },
    /// `flowc init` would write over existing files.
    #[error("`{}` already holds {}: flowc init writes nothing over an existing file; move {} away or scaffold into a new folder", dir.display(), crate::words::code_list(existing), if existing.len() == 1 { "it" } else { "them" })]
    WouldOverwrite {
        /// The folder scaffolded into.
        dir: PathBuf,
        /// The scaffold's paths that exist there, relative to it.
        existing: Vec<String>,
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
    /// A GitHub request failed or could not be made: a
    /// `crate::deploy::github::GitHubError`, printed as it is. Boxed, because this
    /// stage-0 type must not name a type of the GitHub edge (stage 14).
    #[error(transparent)]
    GitHub(Box<dyn std::error::Error + Send + Sync>),
    /// A broken invariant: a bug in flowc.
    #[error("internal error: {0}\nthis is a bug in flowc {version}; please report it", version = env!("CARGO_PKG_VERSION"))]
    Internal(String),
}

impl Error {
    /// A git failure while doing `action` on `target` (a repository path, revision or
    /// branch).
    pub fn git(action: &str, target: impl std::fmt::Display, error: git2::Error) -> Self {
        Self::Git {
            action: action.to_owned(),
            target: target.to_string(),
            message: error.message().to_owned(),
            source: Some(error),
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
