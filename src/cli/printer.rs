//! The one place that writes to stdout and stderr.
//!
//! Writes that fail because the reader went away (a closed pipe, `flowc … | head`)
//! are ignored, and the run ends quietly. Any other failure to write the output (a
//! full disk, `> /dev/full`) is kept, and the run ends with exit code 2 and a message
//! instead of a silent success.

use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use crate::diagnostic::render::human::{self, Color};
use crate::diagnostic::{Diagnostic, SourceMap};

/// Writes program output to stdout and messages to stderr.
#[derive(Debug)]
pub struct Printer {
    color: Color,
    /// The first failure to write stdout, other than a closed pipe.
    out_failure: Mutex<Option<io::Error>>,
}

impl Printer {
    /// A printer that colours stderr when it is a terminal and `NO_COLOR` is unset.
    pub fn new() -> Self {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let color = if io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Color::Always
        } else {
            Color::Never
        };
        Self {
            color,
            out_failure: Mutex::new(None),
        }
    }

    /// Whether human diagnostics should be coloured.
    pub fn color(&self) -> Color {
        self.color
    }

    /// Writes program output (reports, JSON) to stdout.
    pub fn out(&self, text: &str) {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let mut stdout = io::stdout().lock();
        if let Err(error) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            // A reader that went away ends the run quietly; anything else is kept.
            if error.kind() != io::ErrorKind::BrokenPipe
                && let Ok(mut failure) = self.out_failure.lock()
            {
                failure.get_or_insert(error);
            }
        }
    }

    /// The first failure to write program output, if any (a closed pipe excepted).
    pub fn out_failure(&self) -> Option<io::Error> {
        self.out_failure.lock().ok().and_then(|mut failure| failure.take())
    }

    /// Writes diagnostics to stderr in the human format.
    pub fn diagnostics<'a>(&self, diagnostics: impl IntoIterator<Item = &'a Diagnostic>, sources: &SourceMap) {
        let text: String = diagnostics
            .into_iter()
            .map(|d| human::render(d, sources, self.color))
            .collect();
        self.err(&text);
    }

    /// Writes messages (diagnostics, summaries, errors) to stderr.
    pub fn err(&self, text: &str) {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let mut stderr = io::stderr().lock();
        if stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush()).is_err() {
            // stderr is closed; there is nowhere left to report to.
        }
    }
}

impl Default for Printer {
    fn default() -> Self {
        Self::new()
    }
}
