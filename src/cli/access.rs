//! `flowc access`: who reads and writes what, for audits.

use crate::words::plural;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;

use super::{Outcome, Printer, open_tree};
use crate::Error;
use crate::compiler::check;
use crate::diagnostic::Code;
use crate::model::TablePattern;
use crate::policy::access::{AccessReport, Allowed};

/// Arguments of `flowc access`.
#[derive(Debug, clap::Args)]
pub(crate) struct AccessArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Read this git revision instead of the files on disk.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// Only this team.
    #[arg(long, value_name = "TEAM")]
    pub(crate) team: Option<String>,
    /// Only the tables matching this name or pattern (e.g. `ods.*`).
    #[arg(long, value_name = "TABLE")]
    pub(crate) table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AccessFormat::Text)]
    pub(crate) format: AccessFormat,
}

/// Output formats of `flowc access`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AccessFormat {
    /// Per team, each table read or written, by which tasks, and why it is allowed.
    Text,
    /// `{"teams": {...}, "tables": {...}}`.
    Json,
}

/// Runs `flowc access`. Exits 1 when a task touches a table it is not granted (the
/// report still lists it, marked), or when the repository has other errors.
pub(crate) fn run(args: &AccessArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = open_tree(&args.repo, args.rev.as_deref())?;
    let report = check(tree.as_ref())?;
    let access_codes = [Code::AccessNotGranted, Code::ClassifiedTableNotGranted];
    let other_errors = report
        .diagnostics
        .iter()
        .any(|d| d.is_error() && !access_codes.contains(&d.code));
    printer.diagnostics(&report.diagnostics, &report.sources);
    if other_errors || report.repository.is_none() {
        printer.out("access report stopped: the repository has errors\n");
        return Ok(Outcome::InputErrors);
    }
    if let Some(team) = &args.team
        && report
            .repository
            .as_ref()
            .is_some_and(|r| !r.project.teams.contains_key(team))
    {
        return Err(Error::Usage(format!("no team `{team}` in flowc.yaml")));
    }
    let filtered = filter(&report.access, args.team.as_deref(), args.table.as_deref());
    printer.out(&match args.format {
        AccessFormat::Text => text(&filtered),
        AccessFormat::Json => {
            let value = serde_json::to_value(&filtered).map_err(|e| Error::Internal(e.to_string()))?;
            format!("{value:#}\n")
        }
    });
    Ok(if report.diagnostics.has_errors() {
        Outcome::InputErrors
    } else {
        Outcome::Clean
    })
}

fn filter(report: &AccessReport, team: Option<&str>, table: Option<&str>) -> AccessReport {
    let pattern = table.map(TablePattern::new);
    let keep = |name: &str| {
        pattern
            .as_ref()
            .is_none_or(|p| p.matches(&crate::model::TableName::new(name)))
    };
    let teams = report
        .teams
        .iter()
        .filter(|(name, _)| team.is_none_or(|t| t == name.as_str()))
        .map(|(name, accesses)| {
            let accesses = accesses.iter().filter(|a| keep(&a.table)).cloned().collect::<Vec<_>>();
            (name.clone(), accesses)
        })
        .filter(|(_, accesses)| !accesses.is_empty())
        .collect();
    let tables = report
        .tables
        .iter()
        .filter(|(name, usage)| {
            keep(name) && team.is_none_or(|t| usage.readers.contains(t) || usage.writers.contains(t))
        })
        .map(|(name, usage)| (name.clone(), usage.clone()))
        .collect();
    AccessReport { teams, tables }
}

fn text(report: &AccessReport) -> String {
    let mut out = String::new();
    for (team, accesses) in &report.teams {
        let _ = writeln!(out, "team {team}:");
        let width = accesses.iter().map(|a| a.table.len()).max().unwrap_or(0);
        for access in accesses {
            let why = match &access.allowed {
                Allowed::Owner => "owner".to_owned(),
                Allowed::Grant { pattern } => format!("grant {pattern}"),
                Allowed::Unrestricted => "no grants (unrestricted)".to_owned(),
                Allowed::Denied => "NOT GRANTED".to_owned(),
            };
            let classes = if access.classifications.is_empty() {
                String::new()
            } else {
                format!(" [{}]", access.classifications.join(", "))
            };
            let _ = writeln!(
                out,
                "  {:<5} {:<width$}  {why}{classes}  ({})",
                access.access,
                access.table,
                access.tasks.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "{}, {}",
        plural(report.teams.len(), "team"),
        plural(report.tables.len(), "table")
    );
    out
}
