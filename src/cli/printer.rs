//! The one place that writes to stdout and stderr.
//!
//! Everything written goes through [`invisible::neutralise`], so no control character
//! from repository content (ESC, BEL, a bidi override) reaches a terminal or a CI log
//! raw, whatever the command or format; JSON keeps its meaning. Human diagnostics are
//! neutralised field by field before they are rendered, so flowc's own colours stay.
//!
//! Writes that fail because the reader went away (a closed pipe, `flowc … | head`)
//! are ignored, and the run ends quietly. Any other failure to write the output (a
//! full disk, `> /dev/full`) is kept, and the run ends with exit code 2 and a message
//! instead of a silent success.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use crate::diagnostic::render::human::{self, Color};
use crate::diagnostic::{Diagnostic, SourceMap, Span, invisible};

/// Writes program output to stdout and messages to stderr.
#[derive(Debug)]
pub struct Printer {
    color: Color,
    /// Whether stderr is a terminal (progress lines go there only then).
    err_terminal: bool,
    /// The first failure to write stdout, other than a closed pipe.
    out_failure: Mutex<Option<io::Error>>,
}

impl Printer {
    /// A printer that colours stderr when it is a terminal and `NO_COLOR` is unset.
    pub fn new() -> Self {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let err_terminal = io::stderr().is_terminal();
        let color = if err_terminal && std::env::var_os("NO_COLOR").is_none() {
            Color::Always
        } else {
            Color::Never
        };
        Self {
            color,
            err_terminal,
            out_failure: Mutex::new(None),
        }
    }

    /// Whether stderr is a terminal: for progress lines, which a log does not want.
    pub fn err_is_terminal(&self) -> bool {
        self.err_terminal
    }

    /// Whether human diagnostics should be coloured.
    pub fn color(&self) -> Color {
        self.color
    }

    /// Writes program output (reports, JSON) to stdout.
    pub fn out(&self, text: &str) {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let mut stdout = io::stdout().lock();
        let text = invisible::neutralise(text);
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
        let (text, color) = Self::diagnostics_text(diagnostics, sources, self.color);
        self.write_diagnostics(&text, color);
    }

    /// The human format of `diagnostics` as [`Printer::diagnostics`] writes it with
    /// colours `color`, and the colours it was rendered with.
    pub fn diagnostics_text<'a>(
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
        sources: &SourceMap,
        color: Color,
    ) -> (String, Color) {
        let diagnostics: Vec<&Diagnostic> = diagnostics.into_iter().collect();
        // The renderer shows a file's path as it is: one that needs neutralising is
        // rendered without colours, and then the whole text can be neutralised.
        let safe_path = |span: &Span| matches!(invisible::neutralise(sources.file(span.file).path()), Cow::Borrowed(_));
        let paths_safe = diagnostics
            .iter()
            .flat_map(|d| d.span.iter().chain(d.labels.iter().map(|label| &label.span)))
            .all(safe_path);
        let color = if paths_safe { color } else { Color::Never };
        let text: String = diagnostics
            .iter()
            .map(|d| human::render(&neutralised(d), sources, color))
            .collect();
        (text, color)
    }

    /// Writes a text of [`Printer::diagnostics_text`] to stderr.
    pub fn write_diagnostics(&self, text: &str, color: Color) {
        match color {
            // Rendered with flowc's colours from neutralised text: written as it is.
            Color::Always => Self::write_err(text),
            Color::Never => self.err(text),
        }
    }

    /// Writes messages (diagnostics, summaries, errors) to stderr.
    pub fn err(&self, text: &str) {
        Self::write_err(&invisible::neutralise(text));
    }

    fn write_err(text: &str) {
        #[expect(clippy::disallowed_methods, reason = "the printer is the one writer")]
        let mut stderr = io::stderr().lock();
        if stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush()).is_err() {
            // stderr is closed; there is nowhere left to report to.
        }
    }
}

/// `diagnostic` with every text it adds to the source excerpt made safe for a
/// terminal (the excerpt itself is made safe by the renderer).
fn neutralised(diagnostic: &Diagnostic) -> Diagnostic {
    let safe = |text: &str| invisible::neutralise(text).into_owned();
    let mut diagnostic = diagnostic.clone();
    diagnostic.message = safe(&diagnostic.message);
    diagnostic.label = diagnostic.label.as_deref().map(safe);
    for label in &mut diagnostic.labels {
        label.message = safe(&label.message);
    }
    for note in &mut diagnostic.notes {
        *note = safe(note);
    }
    diagnostic.help = diagnostic.help.as_deref().map(safe);
    diagnostic
}

impl Default for Printer {
    fn default() -> Self {
        Self::new()
    }
}
