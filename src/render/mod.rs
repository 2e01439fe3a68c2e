//! Rendering: the checked repository → the files of one environment.
//!
//! Input: a [`CheckReport`] without errors. Output: every file of `<out>/<env>/` as
//! bytes in memory (DAG files, their SQL templates, ml applications, `pools.json`,
//! `manifest.json`), so nothing touches the disk until the whole compile succeeded
//! (see [`crate::output`]). Stages: [`plan`] decides what each DAG does, the
//! templates lay it out, [`manifest`] records it. [`codeowners`] renders the
//! repository's own `.github/CODEOWNERS` instead, which belongs to no environment.

pub mod codeowners;
pub mod datax;
pub mod jinja;
pub mod manifest;
pub mod plan;
pub mod python;
pub(crate) mod schedule;
pub mod templates;

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::check::CheckReport;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::load::{FileSource, ReadOutcome};
use crate::model::{AirflowVersion, Environment};
pub use plan::{DagPlan, EnvironmentPlan, Operator, TaskPlan};
pub use templates::Templates;

/// The DAG file template every flow is rendered with.
pub const DAG_TEMPLATE: &str = "airflow/dag.py.jinja";

/// The rendered files of one environment.
#[derive(Debug)]
pub struct CompiledEnvironment {
    /// The environment's name.
    pub name: String,
    /// Path under `<out>/<env>/` → content, sorted; includes `manifest.json`.
    pub files: BTreeMap<String, Vec<u8>>,
    /// What was rendered.
    pub plan: EnvironmentPlan,
}

/// Everything `compile` needs besides the report.
pub struct CompileOptions<'a> {
    /// The environments to render.
    pub environments: Vec<&'a Environment>,
    /// Renders for this Airflow version instead of `airflow.version`.
    pub airflow_version: Option<AirflowVersion>,
}

#[derive(Serialize)]
struct DagContext<'a> {
    dag: &'a DagPlan,
    environment: &'a str,
    airflow_version: &'static str,
    v3: bool,
    flowc_version: &'static str,
    source_hash: String,
    uses_assets: bool,
}

/// Renders every environment asked for. `Ok(Err(_))` carries the user's problems.
pub fn compile(
    tree: &dyn FileSource,
    report: &CheckReport,
    templates: &Templates,
    options: &CompileOptions<'_>,
) -> Result<Result<Vec<CompiledEnvironment>, Diagnostics>, Error> {
    let (Some(repository), Some(graph)) = (&report.repository, &report.graph) else {
        return Err(Error::Internal("compile needs a report without errors".to_owned()));
    };
    let version = options.airflow_version.unwrap_or(repository.project.airflow.version);
    let mut diagnostics = Diagnostics::default();
    let mut compiled = Vec::new();
    let env = match templates.environment() {
        Ok(env) => env,
        Err(diagnostic) => {
            diagnostics.push(*diagnostic);
            return Ok(Err(diagnostics));
        }
    };
    for environment in &options.environments {
        let plan = match plan::plan(report, repository, graph, environment, version, plan::PlanMode::Render) {
            Ok(plan) => plan,
            Err(found) => {
                diagnostics.extend(found);
                continue;
            }
        };
        let mut inputs: BTreeMap<String, Vec<u8>> = report
            .sources
            .iter()
            // CODEOWNERS is read only to warn when it is out of date; nothing renders it.
            .filter(|file| !file.path().is_empty() && file.path() != codeowners::CODEOWNERS_PATH)
            .map(|file| (file.path().to_owned(), file.text().as_bytes().to_vec()))
            .collect();
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for (path, source) in &plan.app_files {
            if let ReadOutcome::Bytes(bytes) = tree.read(source)? {
                inputs.insert(source.clone(), bytes.clone());
                files.insert(path.clone(), bytes);
            } else {
                {
                    let task = plan
                        .dags
                        .iter()
                        .flat_map(|d| &d.tasks)
                        .find(|t| t.source_file.as_deref() == Some(source.as_str()));
                    let span = task.and_then(|t| {
                        repository
                            .tasks()
                            .find(|(_, task)| task.id.to_string() == t.name)
                            .map(|(_, task)| task.name_span)
                    });
                    let mut diagnostic = Diagnostic::error(
                        Code::MissingFile,
                        format!("ml application `{source}` does not exist in the repository"),
                    )
                    .with_help("put the PySpark file or JAR next to flow.yaml, or give an absolute or hdfs:// path");
                    if let Some(span) = span {
                        diagnostic = diagnostic.at(span);
                    }
                    diagnostics.push(diagnostic);
                }
            }
        }
        for template in templates.iter() {
            if template.origin == templates::Origin::Repository {
                inputs.insert(
                    format!("templates/{}", template.name),
                    template.text.as_bytes().to_vec(),
                );
            }
        }
        for (path, text) in &plan.sql_files {
            files.insert(format!("dags/{path}"), text.as_bytes().to_vec());
        }
        let uses_assets = plan.dags.iter().any(|d| {
            matches!(d.schedule, plan::SchedulePlan::Assets { .. }) || d.tasks.iter().any(|t| !t.outlets.is_empty())
        });
        for dag in &plan.dags {
            let source_hash = hash_files(
                dag.sources
                    .iter()
                    .filter_map(|s| inputs.get(s).map(|b| (s.as_str(), b))),
            );
            let context = DagContext {
                dag,
                environment: &environment.name,
                airflow_version: version.as_str(),
                v3: version == AirflowVersion::V3,
                flowc_version: env!("CARGO_PKG_VERSION"),
                source_hash,
                uses_assets: uses_assets && dag_uses_assets(dag),
            };
            let rendered = env
                .get_template(DAG_TEMPLATE)
                .and_then(|template| template.render(&context));
            match rendered {
                Ok(text) => {
                    files.insert(format!("dags/{}.py", dag.dag_id), text.into_bytes());
                }
                Err(error) => {
                    let span = repository
                        .flows
                        .iter()
                        .find(|f| f.id.as_str() == dag.flow)
                        .map(|f| f.name_span);
                    diagnostics.push(templates::template_diagnostic(templates, &error, span));
                }
            }
        }
        let task_spans = repository
            .tasks()
            .map(|(_, task)| (task.id.clone(), task.name_span))
            .collect();
        let (jobs, problems) = datax::render_jobs(&env, templates, &plan.sync_plans, &task_spans);
        diagnostics.extend(problems);
        files.extend(jobs);
        files.insert("pools.json".to_owned(), pools_json(&plan));
        let manifest = manifest::build(repository, graph, &plan, &inputs, &files, version).to_json();
        files.insert("manifest.json".to_owned(), manifest);
        compiled.push(CompiledEnvironment {
            name: environment.name.clone(),
            files,
            plan,
        });
    }
    diagnostics.sort();
    diagnostics.dedup();
    Ok(if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(compiled)
    })
}

fn dag_uses_assets(dag: &DagPlan) -> bool {
    matches!(dag.schedule, plan::SchedulePlan::Assets { .. }) || dag.tasks.iter().any(|t| !t.outlets.is_empty())
}

/// `airflow pools import` format: `{name: {slots, description, include_deferred}}`.
fn pools_json(plan: &EnvironmentPlan) -> Vec<u8> {
    let pools: serde_json::Map<String, serde_json::Value> = plan
        .pools
        .iter()
        .map(|(name, pool)| {
            (
                name.clone(),
                serde_json::json!({
                    "slots": pool.slots,
                    "description": pool.description,
                    "include_deferred": false,
                }),
            )
        })
        .collect();
    to_json_bytes(&serde_json::Value::Object(pools))
}

/// Pretty JSON with a final newline.
pub(crate) fn to_json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// SHA-256 of some files, by path and content, hex.
pub(crate) fn hash_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a Vec<u8>)>) -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex(&hasher.finalize())
}

/// SHA-256 of one file's bytes, hex.
pub(crate) fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
