//! `flowc compile`'s memo (see [`crate::output::memo`]): a compile whose inputs and
//! output are as the last compile into the same folder left them prints what that
//! compile printed and does nothing else.

use std::path::Path;

use super::super::sql_cache::build;
use super::{CompileArgs, environment_summary, summary_line};
use crate::Error;
use crate::cli::Printer;
use crate::compiler::CheckReport;
use crate::diagnostic::render::human::Color;
use crate::load::{FileSource, Inputs};
use crate::output::memo::{self, EnvironmentMemo, Memo};
use crate::render::CompiledEnvironment;
use crate::words::plural;

/// The keys of [`Memo::shown`]: the warnings in each colour mode, and the colours the
/// coloured text was rendered with (none when a path made it plain).
const PLAIN: &str = "warnings";
const COLOURED: &str = "warnings in colour";
const COLOURED_AS: &str = "warnings in colour rendered as";

/// What was asked, as a memo names it.
fn request(args: &CompileArgs, tree: &dyn FileSource) -> String {
    format!(
        "environments {:?}, airflow {:?}, from {}",
        args.env,
        args.airflow_version,
        tree.location()
    )
}

/// When the memo of this compile is current, prints what the compile it remembers
/// printed (its warnings, and each environment's line with every file unchanged) and
/// returns true.
pub(super) fn replay(
    args: &CompileArgs,
    printer: &Printer,
    tree: &dyn FileSource,
    on_wait: &dyn Fn(&Path),
) -> Result<bool, Error> {
    let Some(memo) = memo::current(&args.out, &build(), &request(args, tree), tree, on_wait)? else {
        return Ok(false);
    };
    let (text, color) = match printer.color() {
        Color::Always => (
            memo.shown.get(COLOURED),
            if memo.shown.get(COLOURED_AS).is_some_and(|c| c == "always") {
                Color::Always
            } else {
                Color::Never
            },
        ),
        Color::Never => (memo.shown.get(PLAIN), Color::Never),
    };
    printer.write_diagnostics(text.map_or("", String::as_str), color);
    if !args.display.quiet {
        for environment in &memo.environments {
            printer.out(&summary_line(
                &environment.name,
                &environment.summary,
                &args.out,
                &format!(
                    "{} written, {} unchanged, 0 removed",
                    plural(0, "file"),
                    environment.files.len()
                ),
            ));
        }
    }
    Ok(true)
}

/// Saves the memo of a compile that read `inputs`, printed `report`'s warnings and
/// wrote `compiled`; one that cannot be saved costs the next compile its shortcut, and
/// is said as a warning.
pub(super) fn remember(
    args: &CompileArgs,
    printer: &Printer,
    tree: &dyn FileSource,
    inputs: Inputs,
    report: &CheckReport,
    compiled: &[CompiledEnvironment],
) {
    let mut memo = Memo::new(&build(), &request(args, tree), inputs);
    let (plain, _) = Printer::diagnostics_text(&report.diagnostics, &report.sources, Color::Never);
    let (coloured, coloured_as) = Printer::diagnostics_text(&report.diagnostics, &report.sources, Color::Always);
    memo.shown.insert(PLAIN.to_owned(), plain);
    memo.shown.insert(COLOURED.to_owned(), coloured);
    let coloured_as = if coloured_as == Color::Always {
        "always"
    } else {
        "never"
    };
    memo.shown.insert(COLOURED_AS.to_owned(), coloured_as.to_owned());
    let saved = compiled
        .iter()
        .map(|environment| {
            Ok(EnvironmentMemo {
                name: environment.name.clone(),
                summary: environment_summary(environment),
                files: memo::stamps(&args.out, &environment.name, environment.files.keys())?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()
        .and_then(|environments| {
            memo.environments = environments;
            memo::save(&args.out, &memo)
        });
    if let Err(error) = saved {
        printer.err(&format!(
            "warning: the next compile cannot skip unchanged work: {error}\n"
        ));
    }
}
