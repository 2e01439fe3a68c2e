//! `compile`: check a repository, then render the environments asked for, in memory.
//!
//! The one entry point every command that needs compiled output goes through
//! (`compile`, `plan`, `deploy`, `promote`, `comment`), so they all see the same
//! files for the same input. Nothing is written here: see [`crate::output`] and
//! [`crate::deploy`].

use crate::Error;
use crate::check::{CheckReport, check};
use crate::diagnostic::Diagnostics;
use crate::load::FileSource;
use crate::model::{AirflowVersion, Environment, Repository};
use crate::render::{self, CompileOptions, CompiledEnvironment, Templates};

/// What to compile.
#[derive(Clone, Debug, Default)]
pub struct CompileRequest {
    /// Environment names; empty for every environment of the project.
    pub environments: Vec<String>,
    /// Renders for this Airflow version instead of `airflow.version`.
    pub airflow_version: Option<AirflowVersion>,
}

/// The result of a compile whose input could be read.
#[derive(Debug)]
pub enum Compiled {
    /// Every environment rendered.
    Done {
        /// The check, for its warnings and sources.
        report: CheckReport,
        /// One per environment, in the order asked for.
        environments: Vec<CompiledEnvironment>,
    },
    /// The repository has errors; `report.diagnostics` holds them.
    CheckFailed {
        /// The check.
        report: CheckReport,
    },
    /// The repository checked, but templates or rendering failed.
    RenderFailed {
        /// The check.
        report: CheckReport,
        /// What failed.
        diagnostics: Diagnostics,
    },
}

/// Checks and renders the repository behind `tree`.
pub fn compile(tree: &dyn FileSource, request: &CompileRequest) -> Result<Compiled, Error> {
    let report = check(tree)?;
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        return Ok(Compiled::CheckFailed { report });
    };
    let environments = environments(repository, &request.environments)?;
    let templates = match Templates::load(tree)? {
        Ok(templates) => templates,
        Err(problems) => {
            return Ok(Compiled::RenderFailed {
                report,
                diagnostics: problems.into_iter().collect(),
            });
        }
    };
    let options = CompileOptions {
        environments,
        airflow_version: request.airflow_version,
    };
    match render::compile(tree, &report, &templates, &options)? {
        Ok(environments) => Ok(Compiled::Done { report, environments }),
        Err(diagnostics) => Ok(Compiled::RenderFailed { report, diagnostics }),
    }
}

/// The environments named, or all of them; an unknown name is a usage error.
pub fn environments<'a>(repository: &'a Repository, names: &[String]) -> Result<Vec<&'a Environment>, Error> {
    let all = &repository.project.environments;
    if names.is_empty() {
        return Ok(all.values().collect());
    }
    names
        .iter()
        .map(|name| {
            all.get(name).ok_or_else(|| {
                let known: Vec<&str> = all.keys().map(String::as_str).collect();
                Error::Usage(format!(
                    "no environment `{name}` in flowc.yaml; it declares: {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}
