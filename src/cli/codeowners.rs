//! `flowc codeowners`: write `.github/CODEOWNERS` from the teams and flow owners, or
//! with `--check` only say whether it is up to date (for CI).

use crate::words::plural;

use std::path::PathBuf;

use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::check;
use crate::diagnostic::{Code, Diagnostics};
use crate::load::{FileSource, ReadOutcome, WorkTree};
use crate::output::files::write_atomically;
use crate::policy::codeowners::{self, CODEOWNERS_PATH, Codeowners};

/// Arguments of `flowc codeowners`.
#[derive(Debug, clap::Args)]
pub(crate) struct CodeownersArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Write nothing; exit 1 when the file is missing or out of date (for CI).
    #[arg(long)]
    pub(crate) check: bool,
}

/// Runs `flowc codeowners`.
pub(crate) fn run(args: &CodeownersArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = WorkTree::open(&args.repo)?;
    let report = check(&tree)?;
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        printer.diagnostics(&report.diagnostics, &report.sources);
        printer.out(&format!(
            "codeowners stopped: {} in the repository; {CODEOWNERS_PATH} left untouched\n",
            plural(report.diagnostics.error_count(), "error"),
        ));
        return Ok(Outcome::InputErrors);
    };
    let generated = codeowners::render(repository);
    // The check's own "out of date" warning is what this command settles; the render's
    // warnings are shown even when the project names no GitHub team (check skips them).
    let mut shown: Diagnostics = report
        .diagnostics
        .iter()
        .filter(|d| d.code != Code::CodeownersOutOfDate)
        .cloned()
        .collect();
    shown.extend(generated.diagnostics.iter().cloned());
    shown.sort();
    shown.dedup();
    printer.diagnostics(&shown, &report.sources);

    let current = match tree.read(CODEOWNERS_PATH)? {
        ReadOutcome::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        _ => None,
    };
    if current.as_deref().is_some_and(|text| generated.matches(text)) {
        printer.out(&format!("{CODEOWNERS_PATH} is up to date\n"));
        return Ok(Outcome::Clean);
    }
    if args.check {
        let state = if current.is_some() { "out of date" } else { "missing" };
        printer.out(&diff(current.as_deref().unwrap_or_default(), &generated));
        printer.out(&format!(
            "{CODEOWNERS_PATH} is {state}: run `flowc codeowners` and commit it\n"
        ));
        return Ok(Outcome::InputErrors);
    }
    write_atomically(&args.repo.join(CODEOWNERS_PATH), generated.text.as_bytes())?;
    printer.out(&format!(
        "wrote {CODEOWNERS_PATH} ({})\n",
        plural(generated.rules, "rule")
    ));
    Ok(Outcome::Clean)
}

/// A unified diff from the file in the repository to the generated one.
fn diff(current: &str, generated: &Codeowners) -> String {
    let current = current.replace("\r\n", "\n");
    similar::TextDiff::from_lines(current.as_str(), generated.text.as_str())
        .unified_diff()
        .context_radius(2)
        .header(CODEOWNERS_PATH, &format!("{CODEOWNERS_PATH} (generated)"))
        .to_string()
}
