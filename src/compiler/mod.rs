//! Stage 11, compiler: runs stages 2–10 in order and owns what they found.
//!
//! [`check`] runs load → validate → sql and sync → graph → columns → quality → policy, then
//! builds every environment's DAG model only for the problems it would find;
//! [`compile`] does the same, keeps the model of the environments asked for and
//! renders them, in memory. Every command that needs compiled output goes through
//! [`compile`] (`compile`, `plan`, `deploy`, `promote`, `comment`), so they all see
//! the same files for the same input. Nothing is written here: see
//! [`crate::output`] and [`crate::deploy`].
//!
//! The stage runner is the only module that holds a [`CheckReport`]: the stages take
//! borrowed, specific inputs ([`DagInput`], [`isolation::IsolationInput`], [`RenderInput`]), and
//! the compiler is the only one besides load that reads files (through load's
//! [`FileSource`] functions), so stages 3–10 are pure.

mod analyze;
mod observe;
mod unit_tests;

use std::collections::BTreeMap;

pub use analyze::{BUILTIN_VARIABLES, CheckReport};
pub use observe::{Observer, Timings, Unobserved};

use crate::Error;
use crate::dags::{self, DagInput, EnvironmentDags, Mode};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::load::{self, FileSource};
use crate::model::{AirflowVersion, Environment, Repository, TaskId};
use crate::policy::isolation;
use crate::render::ddl::{self, Ddl, DdlInput};
use crate::render::{self, CompiledEnvironment, RenderInput, Templates};
use crate::sql::cache::SqlCache;
use crate::sync::{self, DataxJob};

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

/// Checks the repository behind `tree`: stages 2–9, nothing rendered.
pub fn check(tree: &dyn FileSource) -> Result<CheckReport, Error> {
    check_observed(tree, &Unobserved, &SqlCache::none())
}

/// [`check`], telling `observer` of each stage and using `cache`'s SQL analyses.
pub fn check_observed(tree: &dyn FileSource, observer: &dyn Observer, cache: &SqlCache) -> Result<CheckReport, Error> {
    let mut report = analyze::analyze_repository(tree, observer, cache)?;
    let mut timings = std::mem::take(&mut report.timings);
    timings.time(observer, "environments", || {
        build_dags(&mut report, &CompileRequest::default(), Mode::Check)
    });
    report.timings = timings;
    Ok(report)
}

/// Checks and renders the repository behind `tree`.
pub fn compile(tree: &dyn FileSource, request: &CompileRequest) -> Result<Compiled, Error> {
    compile_observed(tree, request, &Unobserved, &SqlCache::none())
}

/// [`compile`], telling `observer` of each stage and using `cache`'s SQL analyses.
pub fn compile_observed(
    tree: &dyn FileSource,
    request: &CompileRequest,
    observer: &dyn Observer,
    cache: &SqlCache,
) -> Result<Compiled, Error> {
    let mut report = analyze::analyze_repository(tree, observer, cache)?;
    let mut timings = std::mem::take(&mut report.timings);
    let mut built = timings.time(observer, "environments", || {
        build_dags(&mut report, request, Mode::Render)
    });
    report.timings = timings;
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        return Ok(Compiled::CheckFailed { report });
    };
    let asked = environments(repository, &request.environments)?;
    let mut read = load::read_all(tree, Templates::override_paths())?;
    let mut templates = match Templates::new(&mut read) {
        Ok(templates) => templates,
        Err(problems) => {
            return Ok(Compiled::RenderFailed {
                report,
                diagnostics: problems.into_iter().collect(),
            });
        }
    };
    templates.register(&mut report.sources);
    // `environments` names each environment once, so each model is moved, not copied.
    let names: Vec<String> = asked.iter().map(|e| e.name.clone()).collect();
    let mut ordered = Vec::with_capacity(names.len());
    for name in names {
        let Some(dags) = built.remove(&name) else {
            return Err(Error::Internal(format!("environment `{name}` was not built")));
        };
        ordered.push(dags);
    }
    observer.stage("render");
    let started = std::time::Instant::now();
    let mut compiled = render_environments(report, &templates, request, ordered)?;
    if let Compiled::Done { report, .. } | Compiled::RenderFailed { report, .. } = &mut compiled {
        report.timings.push("render", started.elapsed());
    }
    Ok(compiled)
}

/// Stages 5, 8 and 9 for every environment, once the stages before found no error:
/// each sync task's DataX job resolved for the environment, isolation, and the DAG
/// model; their problems go into the report. The models of the environments
/// `request` names (every one when it names none) are kept when `mode` renders.
fn build_dags(report: &mut CheckReport, request: &CompileRequest, mode: Mode) -> BTreeMap<String, EnvironmentDags> {
    let mut kept = BTreeMap::new();
    let mut found = Diagnostics::default();
    if !report.diagnostics.has_errors()
        && let (Some(input), Some(isolation)) = (report.dag_input(), report.isolation_input())
    {
        let project = &input.repository.project;
        for environment in project.environments.values() {
            let wanted = request.environments.is_empty() || request.environments.contains(&environment.name);
            let mode = if wanted { mode } else { Mode::Check };
            let version = request.airflow_version.unwrap_or(project.airflow.version);
            found.extend(isolation::violations(&isolation, environment));
            let (jobs, problems) = sync::resolve_environment(input.repository, environment, input.datax_jobs);
            found.extend(problems);
            let input = DagInput {
                datax_jobs: &jobs,
                ..input
            };
            match dags::build(&input, environment, version, mode) {
                Ok(dags) => {
                    found.extend(dags.warnings.iter().cloned());
                    if mode == Mode::Render {
                        kept.insert(environment.name.clone(), dags);
                    }
                }
                Err(problems) => found.extend(problems),
            }
        }
    }
    report.diagnostics.extend(found);
    report.diagnostics.sort();
    report.diagnostics.dedup();
    kept
}

/// Stage 10 for each environment's model (the ml applications it copies were read
/// by the check): its files rendered, its table DDL among them (a table whose column
/// types are unknown is left out with a warning, R614: the error is `flowc ddl`'s);
/// `RenderFailed` when the templates or the DDL found problems.
fn render_environments(
    mut report: CheckReport,
    templates: &Templates,
    request: &CompileRequest,
    environments: Vec<EnvironmentDags>,
) -> Result<Compiled, Error> {
    let Some(DagInput { repository, graph, .. }) = report.dag_input() else {
        return Err(Error::Internal("rendering needs a report without errors".to_owned()));
    };
    let mut diagnostics = Diagnostics::default();
    let env = match templates.environment() {
        Ok(env) => env,
        Err(diagnostic) => {
            diagnostics.push(*diagnostic);
            return Ok(Compiled::RenderFailed { report, diagnostics });
        }
    };
    let version = request.airflow_version.unwrap_or(repository.project.airflow.version);
    let mut compiled = Vec::with_capacity(environments.len());
    for dags in environments {
        let input = RenderInput {
            repository,
            graph,
            sources: &report.sources,
            templates,
            env: &env,
            version,
            app_files: &report.app_files,
            task_io: &report.task_io,
            columns: report.columns.as_ref(),
        };
        let (ddl, problems) = environment_ddl(&report, &dags.environment, &dags.datax_jobs)?;
        diagnostics.extend(problems.into_iter().map(|mut problem| {
            if problem.code == Code::ColumnTypesUnknown {
                problem.severity = Severity::Warning;
            }
            problem
        }));
        let (files, problems) = render::render_environment(&dags, &input, &ddl)?;
        diagnostics.extend(problems);
        compiled.push(CompiledEnvironment {
            name: dags.environment.clone(),
            files,
            dags,
            ddl,
        });
    }
    diagnostics.sort();
    diagnostics.dedup();
    Ok(if diagnostics.has_errors() {
        Compiled::RenderFailed { report, diagnostics }
    } else {
        report.diagnostics.extend(diagnostics);
        report.diagnostics.sort();
        report.diagnostics.dedup();
        Compiled::Done {
            report,
            environments: compiled,
        }
    })
}

/// The table DDL of environment `name` of a report without errors, from the
/// environment's DataX jobs, and its problems: R614 (as errors) and R615.
fn environment_ddl(
    report: &CheckReport,
    name: &str,
    datax_jobs: &BTreeMap<TaskId, DataxJob>,
) -> Result<(Ddl, Vec<Diagnostic>), Error> {
    let (Some(repository), Some(columns)) = (report.repository.as_ref(), report.columns.as_ref()) else {
        return Err(Error::Internal("the DDL needs a report without errors".to_owned()));
    };
    let Some(environment) = repository.project.environments.get(name) else {
        return Err(Error::Internal(format!("environment `{name}` is not in the model")));
    };
    let input = DdlInput {
        repository,
        columns,
        task_io: &report.task_io,
        datax_jobs,
    };
    Ok(ddl::build(&input, environment))
}

/// `flowc ddl`: the table DDL of `environment` for a report without errors, and its
/// problems (a table whose column types are unknown is an error here).
pub fn ddl(report: &CheckReport, environment: &Environment) -> Result<(Ddl, Diagnostics), Error> {
    let Some(repository) = report.repository.as_ref().filter(|_| !report.diagnostics.has_errors()) else {
        return Err(Error::Internal("the DDL needs a report without errors".to_owned()));
    };
    // Their problems were the check's.
    let (jobs, _) = sync::resolve_environment(repository, environment, &report.datax_jobs);
    let (ddl, problems) = environment_ddl(report, &environment.name, &jobs)?;
    let mut problems: Diagnostics = problems.into_iter().collect();
    problems.sort();
    Ok((ddl, problems))
}

/// The DAG model and table DDL of an environment flowc.yaml does not declare (a unit
/// test's own databases), built like a declared one's, for a report without errors.
pub fn scratch_environment(
    report: &CheckReport,
    environment: &Environment,
    version: AirflowVersion,
) -> Result<(EnvironmentDags, Ddl), Error> {
    let (Some(input), Some(columns)) = (
        report.dag_input().filter(|_| !report.diagnostics.has_errors()),
        report.columns.as_ref(),
    ) else {
        return Err(Error::Internal(
            "an environment needs a report without errors".to_owned(),
        ));
    };
    let (jobs, _) = sync::resolve_environment(input.repository, environment, input.datax_jobs);
    let dag_input = DagInput {
        datax_jobs: &jobs,
        ..input
    };
    let dags = dags::build(&dag_input, environment, version, Mode::Render).map_err(|problems| {
        let messages: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        Error::Internal(format!("environment `{}`: {}", environment.name, messages.join("; ")))
    })?;
    let ddl_input = DdlInput {
        repository: input.repository,
        columns,
        task_io: &report.task_io,
        datax_jobs: &jobs,
    };
    let (ddl, _) = ddl::build(&ddl_input, environment);
    Ok((dags, ddl))
}

/// The environments named (each once, in the order first named), or all of them; an
/// unknown name is a usage error.
pub fn environments<'a>(repository: &'a Repository, names: &[String]) -> Result<Vec<&'a Environment>, Error> {
    let all = &repository.project.environments;
    if names.is_empty() {
        return Ok(all.values().collect());
    }
    let mut seen = std::collections::BTreeSet::new();
    names
        .iter()
        .filter(|name| seen.insert(name.as_str()))
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
