//! What one template render may use, so that a repository's override template cannot
//! hang or flood `flowc compile` (issue 14, F15).
//!
//! Steps are minijinja's fuel: about one per template instruction. The built-in
//! templates take 140 to 550 steps for each task of a DAG (measured on
//! `examples/wingpay`, whose biggest DAG takes about 5,000, and on a generated DAG of
//! 1,000 tasks, about 140,000), and about 300 for a DataX job. A render may take
//! 500,000 steps plus 50,000 for each task of its DAG: a margin of a hundred times.
//! Printed output is bounded the same way: the built-in templates print about 1 to 7
//! KB for each task (what macros print counts again where it is printed), a render may
//! print 4 MiB plus 64 KiB for each task. Each DAG and each job is one render, so
//! a template that never ends costs at most about 600,000 steps per task of input.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::{Environment, Error as TemplateError, ErrorKind, State};
use serde::Serialize;

/// Steps any render may take, however small its DAG.
const BASE_FUEL: u64 = 500_000;
/// More steps for each task of the DAG rendered.
const FUEL_PER_TASK: u64 = 50_000;
/// Bytes any render may print, however small its DAG.
const BASE_OUTPUT: usize = 4 << 20;
/// More bytes for each task of the DAG rendered.
const OUTPUT_PER_TASK: usize = 64 << 10;

/// The steps and printed bytes one render may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// minijinja fuel: instructions the render may run.
    pub fuel: u64,
    /// Bytes the render may print.
    pub output: usize,
}

impl Budget {
    /// The budget of a render of a DAG of `tasks` tasks (a DataX job counts as one).
    pub fn for_tasks(tasks: usize) -> Self {
        Self {
            fuel: BASE_FUEL.saturating_add(FUEL_PER_TASK.saturating_mul(tasks as u64)),
            output: BASE_OUTPUT.saturating_add(OUTPUT_PER_TASK.saturating_mul(tasks)),
        }
    }

    /// How the budget is reckoned, for a diagnostic's help.
    pub(crate) fn rule(what: Spent) -> String {
        match what {
            Spent::Fuel => format!(
                "take {} steps plus {} for each task of its DAG",
                thousands(BASE_FUEL),
                thousands(FUEL_PER_TASK)
            ),
            Spent::Output => format!(
                "print {} MiB plus {} KiB for each task of its DAG",
                BASE_OUTPUT >> 20,
                OUTPUT_PER_TASK >> 10
            ),
        }
    }
}

/// Which part of a budget a render used up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spent {
    /// It ran out of steps.
    Fuel,
    /// It wrote more than it may.
    Output,
}

/// A render that failed: minijinja's error (with its template, line and range when
/// it has them), the template rendered, and its budget.
#[derive(Debug)]
pub(crate) struct RenderFailure {
    /// The template engine's error: a write failure when the output budget was used
    /// up (by the formatter, located, or by the writer, not located).
    pub(crate) error: TemplateError,
    /// The template whose render failed (the one that includes the others).
    pub(crate) rendering: Option<String>,
}

impl RenderFailure {
    /// The error where it happened: minijinja wraps an error in an imported or
    /// included template in one of the template that imports it.
    pub(crate) fn innermost(&self) -> &TemplateError {
        let mut error = &self.error;
        while let Some(inner) = std::error::Error::source(error).and_then(|e| e.downcast_ref::<TemplateError>()) {
            error = inner;
        }
        error
    }

    /// Which budget the render used up, if that is why it failed.
    pub(crate) fn spent(&self) -> Option<Spent> {
        match self.innermost().kind() {
            ErrorKind::OutOfFuel => Some(Spent::Fuel),
            // Only [`Capped`] and [`count_output`] fail writes.
            ErrorKind::WriteFailure => Some(Spent::Output),
            _ => None,
        }
    }
}

impl From<TemplateError> for RenderFailure {
    fn from(error: TemplateError) -> Self {
        Self { error, rendering: None }
    }
}

/// Renders the template `name` of `env` (whose fuel and formatter are the budget's)
/// with `context`, refusing to write more than `output` bytes.
pub(crate) fn render<S: Serialize>(
    env: &Environment<'_>,
    name: &str,
    context: S,
    output: usize,
) -> Result<Vec<u8>, RenderFailure> {
    let template = env.get_template(name)?;
    let mut capped = Capped {
        bytes: Vec::new(),
        limit: output,
    };
    match template.render_captured_to(context, &mut capped) {
        Ok(_) => Ok(capped.bytes),
        Err(error) => Err(RenderFailure {
            error,
            rendering: Some(name.to_owned()),
        }),
    }
}

/// Counts `bytes` more printed by `{{ … }}` in the render `state` belongs to, and
/// fails once they pass `limit`. The formatter calls it, so a template that prints
/// big values where nothing is written (an import, `{% set %}…{% endset %}`) is
/// stopped too, and at its line; the count includes what macros print and their
/// callers print again.
pub(crate) fn count_output(state: &State<'_, '_>, bytes: usize, limit: usize) -> Result<(), TemplateError> {
    let printed = state.get_or_set_temp_object(PRINTED, Printed::default);
    let total = printed.0.fetch_add(bytes, Ordering::Relaxed).saturating_add(bytes);
    if total > limit {
        return Err(TemplateError::new(
            ErrorKind::WriteFailure,
            "the template prints more than its budget allows",
        ));
    }
    Ok(())
}

/// The render's temp that [`count_output`] counts in.
const PRINTED: &str = "flowc.printed";

/// Bytes printed so far in one render.
#[derive(Debug, Default)]
struct Printed(AtomicUsize);

impl minijinja::value::Object for Printed {}

/// Bytes in memory, refused past a limit.
struct Capped {
    bytes: Vec<u8>,
    limit: usize,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.limit {
            return Err(io::Error::other("the template writes more than its budget allows"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `2000000` as `2,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_grows_with_the_largest_dag() {
        assert_eq!(
            Budget::for_tasks(0),
            Budget {
                fuel: 500_000,
                output: 4 << 20
            }
        );
        assert_eq!(Budget::for_tasks(1_000).fuel, 50_500_000);
        assert_eq!(Budget::for_tasks(usize::MAX).fuel, u64::MAX);
    }

    #[test]
    fn output_past_the_budget_is_refused() {
        let mut env = Environment::new();
        env.add_template("t", "{% for i in range(100) %}0123456789{% endfor %}")
            .unwrap();
        assert_eq!(render(&env, "t", (), 1_000).unwrap().len(), 1_000);
        let failure = render(&env, "t", (), 999).unwrap_err();
        assert_eq!(failure.spent(), Some(Spent::Output));
    }

    #[test]
    fn a_render_out_of_steps_says_so_with_its_line() {
        let mut env = Environment::new();
        env.set_fuel(Some(1_000));
        env.add_template("t", "a\n{% for i in range(100000) %}{% endfor %}")
            .unwrap();
        let failure = render(&env, "t", (), 1_000).unwrap_err();
        assert_eq!(failure.spent(), Some(Spent::Fuel));
        assert_eq!(failure.error.line(), Some(2));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(999), "999");
    }
}
