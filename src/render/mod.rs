//! Stage 10, render: one environment's DAG model → its files, in memory.
//!
//! Input: an [`EnvironmentDags`] and a borrowed [`RenderInput`] (the model, the
//! graph, every source file, the templates, the ml applications' bytes). Output:
//! every file of `<out>/<env>/` as bytes (DAG files, their SQL templates, ml
//! applications, DataX jobs, `pools.json`, `manifest.json`), so nothing touches the
//! disk until the whole compile succeeded (see [`crate::output`]). Pure: the
//! templates lay the model out, [`manifest`] records it with its [`fingerprint`]s.
//! [`mermaid`] writes Mermaid flowcharts for the views of later stages.

pub mod airflow_context;
pub mod budget;
pub mod datax;
pub mod ddl;
pub mod fingerprint;
pub mod manifest;
pub mod mermaid;
pub mod openlineage;
mod python_syntax;
pub mod templates;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::Error;
use crate::dags::{Dag, DagSchedule, EnvironmentDags};
use crate::diagnostic::{Code, Diagnostic, SourceMap, Span};
use crate::graph::DependencyGraph;
use crate::hash::{hash_files, json_bytes};
use crate::model::{AirflowVersion, Repository};
use crate::policy::codeowners;
pub use budget::Budget;
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
    pub dags: EnvironmentDags,
    /// Its table DDL (`ddl.sql`).
    pub ddl: ddl::Ddl,
}

/// What rendering reads besides the DAG model, borrowed.
pub struct RenderInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// The dependency graph, for the manifest's edges.
    pub graph: &'a DependencyGraph,
    /// Every file read, hashed into the DAG files' headers and the manifest.
    pub sources: &'a SourceMap,
    /// The templates.
    pub templates: &'a Templates,
    /// The templates, compiled.
    pub env: &'a minijinja::Environment<'a>,
    /// The Airflow version rendered for.
    pub version: AirflowVersion,
    /// The bytes of every ml application file the model copies, by repository path
    /// (missing ones were reported by the check, which read them).
    pub app_files: &'a BTreeMap<String, Vec<u8>>,
    /// Each task's tables, for the OpenLineage events.
    pub task_io: &'a BTreeMap<crate::model::TaskId, crate::graph::TaskIo>,
    /// Column lineage and schemas, when they were built.
    pub columns: Option<&'a crate::columns::RepositoryColumns>,
}

#[derive(Serialize)]
struct DagContext<'a> {
    dag: &'a Dag,
    environment: &'a str,
    airflow_version: &'static str,
    v3: bool,
    flowc_version: &'static str,
    source_hash: String,
    uses_assets: bool,
}

/// One environment's files (path under `<out>/<env>/` → bytes), and the problems the
/// templates found.
pub type Rendered = (BTreeMap<String, Vec<u8>>, Vec<Diagnostic>);

/// Renders one environment: its files (`ddl.sql` from `ddl`), and the problems the
/// templates found.
pub fn render_environment(dags: &EnvironmentDags, input: &RenderInput<'_>, ddl: &ddl::Ddl) -> Result<Rendered, Error> {
    let (repository, version) = (input.repository, input.version);
    let mut diagnostics = Vec::new();
    let mut inputs: BTreeMap<String, Vec<u8>> = input
        .sources
        .iter()
        // CODEOWNERS is read only to warn when it is out of date; nothing renders it.
        .filter(|file| !file.path().is_empty() && file.path() != codeowners::CODEOWNERS_PATH)
        .map(|file| (file.path().to_owned(), file.text().as_bytes().to_vec()))
        .collect();
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, source) in &dags.app_files {
        if let Some(bytes) = input.app_files.get(source) {
            inputs.insert(source.clone(), bytes.clone());
            files.insert(path.clone(), bytes.clone());
        }
    }
    for template in input.templates.iter() {
        if template.origin == templates::Origin::Repository {
            inputs.insert(
                format!("templates/{}", template.name),
                template.text.as_bytes().to_vec(),
            );
        }
    }
    for (path, text) in &dags.sql_files {
        files.insert(format!("dags/{path}"), text.as_bytes().to_vec());
    }
    let mut python_override = airflow_override(input);
    // Each DAG file on its own (in parallel); what they found in DAG order.
    let rendered: Vec<_> = dags
        .dags
        .par_iter()
        .map(|dag| {
            let source_hash = hash_files(
                dag.sources
                    .iter()
                    .filter_map(|s| inputs.get(s).map(|b| (s.as_str(), b))),
            );
            let context = DagContext {
                dag,
                environment: &dags.environment,
                airflow_version: version.as_str(),
                v3: version == AirflowVersion::V3,
                flowc_version: env!("CARGO_PKG_VERSION"),
                source_hash,
                uses_assets: dag_uses_assets(dag),
            };
            let budget = Budget::for_tasks(dag.tasks.len());
            let rendered = templates::render(input.env, DAG_TEMPLATE, &context, budget);
            let problem = match (&rendered, python_override) {
                (Ok(text), Some(_)) => python_syntax::problem(&String::from_utf8_lossy(text)),
                _ => None,
            };
            (rendered, problem)
        })
        .collect();
    for (dag, (rendered, problem)) in dags.dags.iter().zip(rendered) {
        match rendered {
            Ok(text) => {
                let path = format!("dags/{}.py", dag.dag_id);
                // One report per template: every DAG file shares its problem.
                if let Some((template, span)) = python_override
                    && let Some(problem) = problem
                {
                    diagnostics.push(invalid_python(template, span, &dag.flow, &problem));
                    python_override = None;
                }
                files.insert(path, text);
            }
            Err(failure) => {
                let span = repository
                    .flows
                    .iter()
                    .find(|f| f.id.as_str() == dag.flow)
                    .map(|f| f.name_span);
                diagnostics.push(templates::template_diagnostic(input.templates, &failure, span));
            }
        }
    }
    let task_spans = repository
        .tasks()
        .map(|(_, task)| (task.id.clone(), task.name_span))
        .collect();
    let (jobs, problems) = datax::render_jobs(input, &dags.datax_jobs, &task_spans)?;
    diagnostics.extend(problems);
    files.extend(jobs);
    files.insert("pools.json".to_owned(), pools_json(dags)?);
    files.insert(
        "ddl.sql".to_owned(),
        ddl::render(ddl, &repository.project.name).into_bytes(),
    );
    files.extend(openlineage_files(dags, input)?);
    let manifest = manifest::build(repository, input.graph, dags, &inputs, &files, version)?.to_json()?;
    files.insert("manifest.json".to_owned(), manifest);
    Ok((files, diagnostics))
}

/// `openlineage/<job name>.json`: one OpenLineage JobEvent per task (see
/// [`openlineage`]); listed in the manifest like every output file.
fn openlineage_files(dags: &EnvironmentDags, input: &RenderInput<'_>) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let Some(environment) = input.repository.project.environments.get(&dags.environment) else {
        return Err(Error::Internal(format!(
            "environment `{}` is not in the model",
            dags.environment
        )));
    };
    let lineage = openlineage::LineageInput {
        repository: input.repository,
        environment,
        task_io: input.task_io,
        columns: input.columns,
        source: None,
        only: None,
    };
    openlineage::events_as(dags, &lineage, |event| json_bytes(&event))
        .into_iter()
        .map(|(name, bytes)| Ok((format!("openlineage/{name}"), bytes?)))
        .collect()
}

/// The repository's override DAG files are rendered with (`airflow/dag.py.jinja`, else
/// `airflow/operators.jinja`), and where it is in the sources; `None` when both are
/// flowc's own.
fn airflow_override(input: &RenderInput<'_>) -> Option<(&'static str, Option<Span>)> {
    let name = [DAG_TEMPLATE, "airflow/operators.jinja"]
        .into_iter()
        .find(|name| input.templates.origin(name) == templates::Origin::Repository)?;
    let span = input.sources.find(&format!("templates/{name}")).map(Span::file_start);
    Some((name, span))
}

/// R609: a DAG file rendered from the repository's `template` is not a DAG file (the
/// flow's, in any environment: reported once).
fn invalid_python(template: &str, span: Option<Span>, flow: &str, problem: &str) -> Diagnostic {
    let diagnostic = Diagnostic::error(
        Code::DagFileInvalid,
        format!("the repository's template `{template}` renders a DAG file Airflow cannot load"),
    )
    .with_note(format!("the DAG file of flow `{flow}`, rendered from it: {problem}"))
    .with_help(format!(
        "fix `templates/{template}`, or delete it to use flowc's own; start from `flowc templates --show {template}` written to another file first (a shell redirect into the override empties it before flowc reads it)"
    ));
    match span {
        Some(span) => diagnostic.at(span).with_label("the override"),
        None => diagnostic,
    }
}

fn dag_uses_assets(dag: &Dag) -> bool {
    matches!(dag.schedule, DagSchedule::Assets { .. }) || dag.tasks.iter().any(|t| !t.outlets.is_empty())
}

/// `airflow pools import` format: `{name: {slots, description, include_deferred}}`.
fn pools_json(dags: &EnvironmentDags) -> Result<Vec<u8>, Error> {
    let pools: serde_json::Map<String, serde_json::Value> = dags
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
    json_bytes(&serde_json::Value::Object(pools))
}
