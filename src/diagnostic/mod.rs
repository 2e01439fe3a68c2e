//! Stage 0, diagnostics: what is wrong with the user's input, and where.
//!
//! A [`Diagnostic`] is plain data: a stable [`Code`], a [`Severity`], a lowercase
//! message, a primary [`Span`] with an optional label, secondary labels, and an optional
//! `help` that says how to fix it. Stages collect them in a [`Diagnostics`] list; the
//! renderers in [`render`] turn them into human, JSON or GitHub Actions output.
//!
//! Failures of flowc itself (I/O, git, network) are not diagnostics: they are
//! [`crate::Error`] values.

mod code;
pub mod in_file;
pub mod invisible;
pub mod render;
mod source_map;
pub mod suggest;

use serde::{Deserialize, Serialize};

pub use code::Code;
pub use source_map::{Excerpt, FileId, LineCol, SourceFile, SourceMap, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// The input is wrong; flowc exits 1 and writes nothing.
    Error,
    /// The input is suspicious but usable.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A secondary location with a short explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there, lowercase, no final period.
    pub message: String,
}

/// One problem found in the user's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `G402`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, lowercase, no final period.
    pub message: String,
    /// Where it is wrong; `None` only for problems of the repository as a whole.
    pub span: Option<Span>,
    /// A short note under the primary caret.
    pub label: Option<String>,
    /// Other places that explain the problem.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// Further facts (e.g. the full cycle path).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with a code and message, to be located with [`Diagnostic::at`].
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// A warning with a code and message, to be located with [`Diagnostic::at`].
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            span: None,
            label: None,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// Sets the primary location.
    #[must_use]
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the note under the primary caret.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a secondary location.
    #[must_use]
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets how to fix the problem.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics a stage found, in the order it found them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sorts by file, position, then code, so output does not depend on discovery order.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.map(|s| (s.file, s.start, s.end));
            key(a)
                .cmp(&key(b))
                .then(a.code.cmp(&b.code))
                .then_with(|| a.message.cmp(&b.message))
        });
    }

    /// Replaces every occurrence of each secret (see
    /// [`SourceMap::mask_secret`]) in the text of every diagnostic by `********`: a
    /// message that quotes input (a value, a SQL token) never repeats a secret.
    pub fn redact(&mut self, secrets: &[String]) {
        let secrets: Vec<&String> = secrets
            .iter()
            .filter(|s| s.trim().chars().count() >= source_map::MIN_MASKED_ELSEWHERE)
            .collect();
        if secrets.is_empty() {
            return;
        }
        let redact = |text: &mut String| {
            for secret in &secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), "********");
                }
            }
        };
        for diagnostic in &mut self.0 {
            redact(&mut diagnostic.message);
            diagnostic.label.iter_mut().for_each(redact);
            diagnostic
                .labels
                .iter_mut()
                .for_each(|label| redact(&mut label.message));
            diagnostic.help.iter_mut().for_each(redact);
            diagnostic.notes.iter_mut().for_each(redact);
        }
    }

    /// Drops repeats of the diagnostic before (the same problem found twice, e.g. once
    /// per environment); sort first.
    pub fn dedup(&mut self) {
        self.0.dedup();
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
