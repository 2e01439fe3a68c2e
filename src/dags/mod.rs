//! Stage 9, the DAG model: everything one environment's DAG files say, as plain data.
//!
//! - **Input**: a [`DagInput`] — the checked repository and what stages 4–8 found in
//!   it (graph, tables per task, SQL files and their table names, DataX jobs, quality
//!   checks), borrowed — and the environment and Airflow version to build for.
//! - **Output**: an [`EnvironmentDags`] — one [`Dag`] per flow with its tasks,
//!   operators, sensors, chains and schedule, the pools, the SQL templates and
//!   application files to write, and each sync task's DataX job for the environment —
//!   or the diagnostics of what cannot be rendered.
//! - **Purity**: a pure function of its input; no files, git, network or clock.
//!
//! The templates (stage 10) only lay the model out, and the manifest is written from
//! the same values, so what the manifest says is what the DAG files do. Every
//! user-supplied text in a templated operator field has already gone through
//! [`jinja`].
//!
//! [`build`] runs a `Builder` over the flows: `dag` builds one flow's DAG from the
//! tasks of `task` (`datax_task` for sync tasks), the checks and gates of `quality`
//! the partition steps of `partition` before syncs into partitioned tables, and the
//! sensors or assets of `cross_flow`; `ids` names what they add.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap};
use crate::graph::{DependencyGraph, Edge, TaskIo};
use crate::model::{AirflowVersion, Environment, Flow, Priority, Project, Repository, Task, TaskId};
use crate::quality::Check;
use crate::sql::TableNames;
use crate::sync::DataxJob;
use bizdate::Bizdate;
use jinja::Substitutions;

mod bizdate;
mod cross_flow;
mod dag;
mod datax_task;
mod doc;
mod ids;
pub mod jinja;
mod operator;
mod partition;
pub mod python;
mod quality;
mod run;
mod run_date;
pub(crate) mod schedule;
mod spark;
mod task;
mod types;

pub use datax_task::datax_bash_command;
pub use ids::dag_id;
pub use operator::{Operator, UpstreamRun};
pub use run::RunSettings;
pub use run_date::{RunDate, run_date};
pub use types::{Chain, Dag, DagParam, DagSchedule, DagTask, EnvironmentDags, PartitionTask, Pool, QualityTask};

/// What a DAG model is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything, SQL templates included.
    Render,
    /// Only the problems rendering would find (`flowc check`); SQL templates are left
    /// empty.
    Check,
}

/// What the DAG model is built from: the checked repository and what the stages
/// before found in it, borrowed.
#[derive(Clone, Copy)]
pub struct DagInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// The dependency graph.
    pub graph: &'a DependencyGraph,
    /// Every file read, for the SQL text and the flow files' paths.
    pub sources: &'a SourceMap,
    /// Reads and writes per task.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The SQL file of every sparksql task.
    pub sql_files: &'a BTreeMap<TaskId, FileId>,
    /// Where each sparksql task's SQL names its tables.
    pub sql_names: &'a BTreeMap<TaskId, TableNames>,
    /// The DataX job of every sync task that resolved without errors for the
    /// environment the model is built for ([`crate::sync::resolve_environment`]).
    pub datax_jobs: &'a BTreeMap<TaskId, DataxJob>,
    /// The data quality checks of each task with rules.
    pub quality: &'a BTreeMap<TaskId, Vec<Check>>,
}

/// Builds the model of every DAG of one environment.
pub fn build(
    input: &DagInput<'_>,
    environment: &Environment,
    version: AirflowVersion,
    mode: Mode,
) -> Result<EnvironmentDags, Diagnostics> {
    let (repository, graph) = (input.repository, input.graph);
    // Pools, queues and connection ids as this environment runs them.
    let project = environment.apply(&repository.project);
    let mut builder = Builder {
        input,
        repository,
        project: &project,
        environment,
        diagnostics: Diagnostics::default(),
        sql_files: BTreeMap::new(),
        app_files: BTreeMap::new(),
        datax_jobs: BTreeMap::new(),
        outlets: cross_flow::outlets(repository, graph, environment),
        edges_into: BTreeMap::new(),
        render_sql: mode == Mode::Render,
        gated: quality::gated(input.quality),
        version,
        alignments: BTreeMap::new(),
        offsets: schedule::Offsets::default(),
    };
    for (upstream, downstream, edge) in graph.edges() {
        builder
            .edges_into
            .entry(downstream.flow().as_str())
            .or_default()
            .push((upstream, downstream, edge));
    }
    let mut dags = Vec::with_capacity(repository.flows.len());
    let mut dag_ids: BTreeMap<String, &Flow> = BTreeMap::new();
    for flow in &repository.flows {
        let dag = builder.dag(flow);
        if let Some(other) = dag_ids.insert(dag.dag_id.clone(), flow) {
            builder.diagnostics.push(
                Diagnostic::error(
                    Code::IdCollision,
                    format!(
                        "flows `{}` and `{}` get the same DAG id `{}`",
                        other.id, flow.id, dag.dag_id
                    ),
                )
                .at(flow.name_span)
                .with_help("DAG ids keep only letters, digits, `_`, `-` and `.`: rename one of the flows"),
            );
        }
        dags.push(dag);
    }
    let pools = pools(&project, environment);
    if builder.diagnostics.has_errors() {
        return Err(builder.diagnostics);
    }
    Ok(EnvironmentDags {
        environment: environment.name.clone(),
        airflow_version: version.as_str(),
        dags,
        pools,
        sql_files: builder.sql_files,
        app_files: builder.app_files,
        datax_jobs: builder.datax_jobs,
        warnings: builder.diagnostics.into_iter().collect(),
    })
}

/// The pools of an environment, one per priority level.
fn pools(project: &Project, environment: &Environment) -> BTreeMap<String, Pool> {
    let mut pools = BTreeMap::new();
    for priority in Priority::ALL {
        let level = project.priority_level(priority);
        let slots = level.pool_slots;
        pools.entry(level.pool.clone()).or_insert_with(|| Pool {
            slots,
            description: format!(
                "flowc: {} priority tasks of project {} ({})",
                priority.as_str(),
                project.name,
                environment.name
            ),
        });
    }
    pools
}

/// `upstream var → downstream vars` of one DAG file, gathered before they are
/// ordered into [`Chain`]s.
type Links = BTreeMap<String, BTreeSet<String>>;

/// Builds the DAGs of one environment, gathering what they write besides the DAG
/// files and the problems found. Its methods live with the part they build.
struct Builder<'a> {
    input: &'a DagInput<'a>,
    repository: &'a Repository,
    /// The project as this environment runs it: pools, queues, connection ids.
    project: &'a Project,
    environment: &'a Environment,
    diagnostics: Diagnostics,
    /// See [`EnvironmentDags::sql_files`].
    sql_files: BTreeMap<String, String>,
    /// See [`EnvironmentDags::app_files`].
    app_files: BTreeMap<String, String>,
    /// See [`EnvironmentDags::datax_jobs`].
    datax_jobs: BTreeMap<TaskId, DataxJob>,
    /// The asset URIs each task updates (see [`cross_flow::outlets`]).
    outlets: BTreeMap<TaskId, Vec<String>>,
    /// Every edge, grouped by the downstream task's flow, in `graph.edges()` order.
    edges_into: BTreeMap<&'a str, Vec<(&'a TaskId, &'a TaskId, &'a Edge)>>,
    /// Whether SQL templates are built (not when only checking).
    render_sql: bool,
    /// Tasks with strong quality rules: what waits for them waits for their gate.
    gated: BTreeSet<TaskId>,
    /// The Airflow rendered for.
    version: AirflowVersion,
    /// How a run of each downstream flow finds the run of each upstream flow it waits
    /// for, by (upstream, downstream) flow: the same for every sensor between the two,
    /// and comparing two zones takes a pass over years of days.
    alignments: BTreeMap<(String, String), Result<schedule::Alignment, schedule::Misalignment>>,
    /// The zones' offset profiles the alignments compare.
    offsets: schedule::Offsets,
}

impl Builder<'_> {
    /// What each `${name}` becomes in the templated fields of `task`: the business
    /// date and the task's params as Jinja expressions, the rest as literals.
    fn substitutions(&self, flow: &Flow, task: &Task) -> Substitutions {
        let (bizdate, nodash) = Bizdate::of(flow).expressions(flow.timezone);
        let mut expressions = BTreeMap::from([("bizdate".to_owned(), bizdate), ("bizdate_nodash".to_owned(), nodash)]);
        for name in task.params.keys() {
            expressions.insert(name.clone(), format!("params.{name}"));
        }
        let literals = BTreeMap::from([
            ("env".to_owned(), self.environment.name.clone()),
            ("flow".to_owned(), flow.id.to_string()),
            ("project".to_owned(), self.project.name.clone()),
            ("task".to_owned(), task.id.task().to_owned()),
        ]);
        Substitutions { expressions, literals }
    }
}
