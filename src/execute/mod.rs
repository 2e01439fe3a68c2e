//! Stage 14, `flowc run`: one task, or one flow's tasks, run once for one business
//! date, the way the environment's DAG runs them.
//!
//! - **Input**: one compiled environment (its DAG model and files), the checked
//!   repository, a [`RunRequest`] and the environment's [`Runners`].
//! - **Output**: [`Step`]s in dependency order, each rendered for the run
//!   ([`prepare`]): the SQL of a `SparkSqlOperator` with Airflow's template context
//!   filled in for the business date ([`crate::render::airflow_context`]), the
//!   arguments of a `SparkSubmitOperator`, the DataX launcher command of a sync task;
//!   then [`process`] turns each into a command line and runs it (or prints it).
//! - Nothing is rendered a second way: the SQL is the DAG's SQL template, tables
//!   mapped and `${name}` substituted by `dags`, and only Airflow's part (the
//!   Jinja) is filled in here.
//! - [`spark`] is the local Spark `flowc test` runs SQL on (started, or connected
//!   to); nothing else here needs Spark.

pub mod process;
pub mod spark;
pub mod unit_test;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::dags::{self, Dag, DagTask, EnvironmentDags, Operator, RunDate, jinja};
use crate::diagnostic::suggest::did_you_mean;
use crate::model::{Environment, Repository, Runners};
use crate::render::airflow_context::{RunContext, render_for_run};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The flow.
    pub flow: String,
    /// One task of it; `None` for every task of the flow.
    pub task: Option<String>,
    /// The business date.
    pub date: NaiveDate,
    /// Run each task's quality checks after it.
    pub with_checks: bool,
}

/// Why `flowc run` cannot run what it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No flow of that name.
    #[error("no flow `{name}`{}", help(.suggestion))]
    UnknownFlow {
        /// The name given.
        name: String,
        /// "did you mean …", or the flows there are.
        suggestion: String,
    },
    /// No task of that name in the flow.
    #[error("flow `{flow}` has no task `{name}`{}", help(.suggestion))]
    UnknownTask {
        /// The flow.
        flow: String,
        /// The name given.
        name: String,
        /// "did you mean …", or the tasks there are.
        suggestion: String,
    },
    /// A production run without `--allow-prod`.
    #[error(
        "environment `{0}` writes production tables: flowc run refuses it without --allow-prod (use a dev environment, whose tables are mapped, to try a task)"
    )]
    ProductionRefused(String),
    /// A template of the DAG cannot be rendered for the run.
    #[error("cannot render `{task}` for the run: {message}")]
    Template {
        /// `flow.task id`.
        task: String,
        /// Jinja's message.
        message: String,
    },
    /// A runner program is not installed.
    #[error("`{program}` not found: {help}")]
    MissingRunner {
        /// The program.
        program: String,
        /// What to install or configure.
        help: String,
    },
    /// Environment variables a DataX job's credentials read are not set.
    #[error("`{task}` reads its credentials from environment variables that are not set: {}; export them first", .names.join(", "))]
    MissingCredentials {
        /// `flow.task id`.
        task: String,
        /// The variables.
        names: Vec<String>,
    },
    /// Starting a process, or a temporary file, failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What flowc was doing.
        action: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

fn help(suggestion: &str) -> String {
    if suggestion.is_empty() {
        String::new()
    } else {
        format!("; {suggestion}")
    }
}

/// One thing to run.
#[derive(Clone, Debug)]
pub struct Step {
    /// `flow.task id`, as Airflow names the task.
    pub name: String,
    /// The Airflow task id.
    pub task_id: String,
    /// `sparksql`, `sync`, `partition`, `quality`…
    pub task_type: &'static str,
    /// What it runs, rendered for the run.
    pub work: Work,
}

/// What a step runs, with every template filled in.
#[derive(Clone, Debug)]
pub enum Work {
    /// SQL through `spark-sql -f`.
    SparkSql {
        /// The SQL, rendered.
        sql: String,
        /// Spark conf (`--conf`).
        conf: BTreeMap<String, String>,
        /// YARN queue (`--queue`).
        queue: String,
        /// Job name (`--name`).
        name: String,
    },
    /// An application through `spark-submit`.
    SparkSubmit {
        /// The PySpark file or JAR.
        application: String,
        /// Main class of a JAR.
        java_class: Option<String>,
        /// Its arguments.
        args: Vec<String>,
        /// Spark conf (`--conf`), the YARN queue included.
        conf: BTreeMap<String, String>,
        /// Job name (`--name`).
        name: String,
    },
    /// A DataX job through flowc's launcher, run by bash like a `BashOperator`.
    DataX {
        /// The bash command.
        command: String,
        /// The job file, relative to the run folder, and its text.
        job: (String, String),
        /// Environment variables the job's credentials read.
        credentials: Vec<String>,
    },
    /// Not run, and why.
    Skip(String),
}

/// The DAG of `request.flow` in `dags` and the tasks to run, in dependency order:
/// one task (with the partition step before a sync, and its checks when asked), or
/// every task of the flow but sensors on other flows and quality gates.
pub fn select<'a>(dags: &'a EnvironmentDags, request: &RunRequest) -> Result<(&'a Dag, Vec<&'a DagTask>), RunError> {
    let Some(dag) = dags.dags.iter().find(|d| d.flow == request.flow) else {
        let names = dags.dags.iter().map(|d| d.flow.as_str());
        return Err(RunError::UnknownFlow {
            name: request.flow.clone(),
            suggestion: suggest(&request.flow, names),
        });
    };
    let wanted = |task: &DagTask| match task.task_type {
        "wait" | "quality_gate" => false,
        "quality" => request.with_checks,
        _ => true,
    };
    let chosen: Vec<&DagTask> = match &request.task {
        None => dag.tasks.iter().filter(|t| wanted(t)).collect(),
        Some(task) => {
            let full = format!("{}.{task}", dag.flow);
            let own = |t: &&DagTask| {
                let owner = match (&t.partition, &t.quality) {
                    (Some(partition), _) => partition.task.as_str(),
                    (_, Some(quality)) => quality.task.as_str(),
                    _ => t.name.as_str(),
                };
                owner == full && wanted(t)
            };
            let chosen: Vec<&DagTask> = dag.tasks.iter().filter(own).collect();
            if !chosen.iter().any(|t| t.name == full) {
                let names = dag
                    .tasks
                    .iter()
                    .filter(|t| t.partition.is_none() && t.quality.is_none() && t.task_type != "wait")
                    .filter_map(|t| t.name.strip_prefix(&format!("{}.", dag.flow)));
                return Err(RunError::UnknownTask {
                    flow: dag.flow.clone(),
                    name: task.clone(),
                    suggestion: suggest(task, names),
                });
            }
            chosen
        }
    };
    Ok((dag, in_dependency_order(chosen)))
}

/// "did you mean …?", or the names there are.
fn suggest<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    did_you_mean(name, names.clone()).unwrap_or_else(|| {
        let all: Vec<&str> = names.collect();
        format!("there are: {}", all.join(", "))
    })
}

/// `tasks` ordered so that each comes after its upstream tasks among them; ties keep
/// the DAG's order.
fn in_dependency_order(tasks: Vec<&DagTask>) -> Vec<&DagTask> {
    let ids: BTreeSet<&str> = tasks.iter().map(|t| t.task_id.as_str()).collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(tasks.len());
    let mut rest = tasks;
    while !rest.is_empty() {
        let ready = rest.iter().position(|t| {
            t.upstream
                .iter()
                .all(|up| done.contains(up.as_str()) || !ids.contains(up.as_str()))
        });
        // A cycle cannot be compiled; take the first one left if it ever were.
        let task = rest.remove(ready.unwrap_or(0));
        done.insert(task.task_id.as_str());
        ordered.push(task);
    }
    ordered
}

/// What the steps of one run are rendered with.
pub struct RunInput<'a> {
    /// The checked repository.
    pub repository: &'a Repository,
    /// The environment.
    pub environment: &'a Environment,
    /// The environment's compiled files: path → content.
    pub files: &'a BTreeMap<String, Vec<u8>>,
    /// The runners of the environment (project's and its own).
    pub runners: &'a Runners,
    /// The folder the run's files are in (`dag.folder` is `<run dir>/dags`).
    pub run_dir: &'a str,
    /// Parameter values over the DAG's and the task's (a unit test's `params:`).
    pub params: &'a BTreeMap<String, serde_json::Value>,
}

/// The run of `dag`'s flow for `date`.
pub fn run_date_of(repository: &Repository, dag: &Dag, date: NaiveDate) -> Option<RunDate> {
    let flow = repository.flows.iter().find(|f| f.id.as_str() == dag.flow)?;
    Some(dags::run_date(flow, date))
}

/// `task` rendered for the run of `run`; `xcom` holds what earlier steps printed last.
pub fn prepare(
    input: &RunInput<'_>,
    dag: &Dag,
    task: &DagTask,
    run: &RunDate,
    xcom: &BTreeMap<String, String>,
) -> Result<Step, RunError> {
    let name = format!("{}.{}", dag.flow, task.task_id);
    let mut params: BTreeMap<String, serde_json::Value> = dag
        .params
        .iter()
        .chain(&task.params)
        .filter_map(|(key, param)| Some((key.clone(), param.default.clone()?)))
        .chain(input.params.iter().map(|(key, value)| (key.clone(), value.clone())))
        .collect();
    if run.bizdate_param {
        params.insert("bizdate".to_owned(), run.bizdate.format("%Y-%m-%d").to_string().into());
    }
    let context = RunContext {
        run: run.clone(),
        run_id: RunContext::run_id_of(run),
        dag_id: dag.dag_id.clone(),
        dag_folder: format!("{}/dags", input.run_dir),
        params,
        xcom: xcom.clone(),
    };
    let render = |text: &str| {
        render_for_run(text, &context).map_err(|message| RunError::Template {
            task: name.clone(),
            message,
        })
    };
    let work = match &task.operator {
        Operator::SparkSqlOperator {
            sql,
            conf,
            yarn_queue,
            name: job_name,
            ..
        } => {
            let template = input
                .files
                .get(&format!("dags/{sql}"))
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default();
            Work::SparkSql {
                sql: render(&template)?,
                conf: conf.clone(),
                queue: yarn_queue.clone(),
                name: job_name.clone(),
            }
        }
        Operator::SparkSubmitOperator {
            application,
            java_class,
            application_args,
            conf,
            name: job_name,
            ..
        } => Work::SparkSubmit {
            application: render(application)?,
            java_class: java_class.clone(),
            args: application_args.iter().map(|a| render(a)).collect::<Result<_, _>>()?,
            conf: conf
                .iter()
                .map(|(k, v)| Ok((k.clone(), render(v)?)))
                .collect::<Result<_, RunError>>()?,
            name: render(job_name)?,
        },
        Operator::BashOperator {
            datax_job,
            credential_variables,
            ..
        } => datax_work(input, dag, task, datax_job, credential_variables, &render)?,
        other => Work::Skip(skip_reason(other)),
    };
    Ok(Step {
        name,
        task_id: task.task_id.clone(),
        task_type: task.task_type,
        work,
    })
}

/// The launcher command of a sync task, with the job files in the run folder and
/// the environment's DataX command.
fn datax_work(
    input: &RunInput<'_>,
    dag: &Dag,
    task: &DagTask,
    datax_job: &str,
    credentials: &[String],
    render: &dyn Fn(&str) -> Result<String, RunError>,
) -> Result<Work, RunError> {
    let Some(flow) = input.repository.flows.iter().find(|f| f.id.as_str() == dag.flow) else {
        return Ok(Work::Skip("its flow is not in the repository".to_owned()));
    };
    let datax_command = input
        .runners
        .datax
        .as_deref()
        .unwrap_or(&input.repository.project.airflow.datax_command);
    let root = jinja::escape(&format!("{}/datax", input.run_dir));
    let command = render(&dags::datax_bash_command(flow, &task.task_id, &root, datax_command))?;
    let job = input
        .files
        .get(datax_job)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    Ok(Work::DataX {
        command,
        job: (datax_job.to_owned(), job),
        credentials: credentials.to_vec(),
    })
}

/// Why `flowc run` does not run a task of this operator.
fn skip_reason(operator: &Operator) -> String {
    match operator {
        Operator::KylinCubeOperator { .. } => {
            "a Kylin cube build goes through Airflow's Kylin connection; build the segment from Airflow".to_owned()
        }
        Operator::HttpSensor { .. }
        | Operator::FileSensor { .. }
        | Operator::SftpSensor { .. }
        | Operator::NamedHivePartitionSensor { .. }
        | Operator::ExternalTaskSensor { .. } => {
            "a sensor only waits for its input; flowc run runs now, on what is there".to_owned()
        }
        _ => "nothing to run".to_owned(),
    }
}
