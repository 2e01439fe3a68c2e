//! Stage 5, sync: each `sync` task → the DataX job it runs and its lineage.
//!
//! Input: one sync task of a valid [`Repository`]. Each side is resolved against its
//! connection (which DataX plugin, which parameters apply) and the warehouse tables
//! flows declare; then columns are matched (count, types, partitions), throttling is
//! capped by the task's priority level and `${name}` parameters are substituted.
//! Output: a [`DataxJob`], a plain value the DataX templates lay out, with the tables
//! read and written, or every problem found. Pure: no I/O. [`resolve`] reads a task
//! as written (its tables in production names, for the graph and lineage);
//! [`resolve_environment`] resolves every job again for one environment, whose
//! databases and connections it runs against.
//!
//! One file per part: `job` ([`DataxJob`] and its parts), `resolver` (the task, its
//! connections and credentials, substitution, declared tables), `reader` (one file per
//! source family), `writer`, `partition` (the Hive partition a hive target lands in),
//! `columns` (matching the two sides), `setting`
//! (throttling) and [`types`] (column types across systems). A query's columns and
//! tables are read by [`crate::sql::query_shape`].

mod columns;
mod job;
mod partition;
mod reader;
mod resolver;
mod setting;
pub mod types;
mod writer;

pub use job::{
    ColumnLineage, CredentialSource, CredentialVariable, DataxJob, HivePartition, JobSetting, Kerberos, Reader,
    ReaderColumn, Writer, WriterColumn,
};

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::model::{Environment, Flow, Project, Repository, SyncTask, Task, TaskId, TaskKind};
use resolver::Resolver;
pub use resolver::table_location;

/// Business-date variables DataX fills in at run time (`datax.py -p "-Dbizdate=…"`).
pub const RUNTIME_VARIABLES: &[&str] = &["bizdate", "bizdate_nodash"];

/// The placeholder of the environment's name in a table's `location`.
pub const ENV_PLACEHOLDER: &str = "${env}";

/// Resolves one sync task as written: the job (`None` when an error was found) and
/// every problem found, warnings included.
pub fn resolve(
    repository: &Repository,
    flow: &Flow,
    task: &Task,
    sync: &SyncTask,
) -> (Option<DataxJob>, Vec<Diagnostic>) {
    resolve_in(repository, &repository.project, None, flow, task, sync)
}

/// Resolves every sync task of `jobs` (the jobs as written) for `environment`:
/// the environment's jobs, and the errors found (its warnings are those of the jobs
/// as written, already reported).
pub fn resolve_environment(
    repository: &Repository,
    environment: &Environment,
    jobs: &BTreeMap<TaskId, DataxJob>,
) -> (BTreeMap<TaskId, DataxJob>, Vec<Diagnostic>) {
    let project = environment.apply(&repository.project);
    let mut resolved = BTreeMap::new();
    let mut errors = Vec::new();
    for (flow, task) in repository.tasks() {
        let TaskKind::Sync(sync) = &task.kind else {
            continue;
        };
        if !jobs.contains_key(&task.id) {
            continue;
        }
        let (job, found) = resolve_in(repository, &project, Some(environment), flow, task, sync);
        errors.extend(found.into_iter().filter(Diagnostic::is_error));
        if let Some(job) = job {
            resolved.insert(task.id.clone(), job);
        }
    }
    (resolved, errors)
}

/// Resolves one sync task for an environment: `project` is the project as the
/// environment runs it ([`Environment::apply`]), and every warehouse table and its
/// files are mapped to the environment's databases.
pub fn resolve_in(
    repository: &Repository,
    project: &Project,
    environment: Option<&Environment>,
    flow: &Flow,
    task: &Task,
    sync: &SyncTask,
) -> (Option<DataxJob>, Vec<Diagnostic>) {
    let mut resolver = Resolver {
        repository,
        project,
        environment,
        flow,
        task,
        sync,
        found: Vec::new(),
    };
    let job = resolver.job();
    let has_errors = resolver.found.iter().any(Diagnostic::is_error);
    (job.filter(|_| !has_errors), resolver.found)
}

impl Resolver<'_> {
    /// Resolves both sides, then what joins them: column matching and the settings.
    fn job(&mut self) -> Option<DataxJob> {
        let source_connection = self.connection(&self.sync.source.connection)?.clone();
        let target_connection = self.target_connection()?.clone();
        let mut credentials = Vec::new();
        let mut external_reads = Vec::new();
        let mut reads = Vec::new();
        let (reader, source_columns, source_table_name) =
            self.reader(&source_connection, &mut credentials, &mut external_reads, &mut reads)?;
        let mut writes = Vec::new();
        let mut external_writes = Vec::new();
        let mut partition = None;
        let (job_writer, target_columns, target_table_name) = self.writer(
            &target_connection,
            &mut credentials,
            &mut writes,
            &mut external_writes,
            &mut partition,
        )?;
        self.match_columns(&source_connection, &source_columns, &target_columns);
        let setting = self.setting();
        let columns = columns::lineage(&source_columns, &source_table_name, &target_columns, &target_table_name);
        Some(DataxJob {
            setting,
            reader,
            writer: job_writer,
            credentials,
            reads,
            writes,
            external_reads,
            external_writes,
            columns,
            partition,
        })
    }
}
