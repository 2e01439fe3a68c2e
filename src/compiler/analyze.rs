//! Stages 2–8 on a repository: load, validate, SQL analysis and DataX jobs, graph,
//! columns (every table's schema, every task's column lineage), quality and policy,
//! into one [`CheckReport`].
//!
//! Each stage runs only when the stages before it found no error, and every
//! diagnostic found is kept. Files are read through the [`FileSource`] with load's
//! functions, here and nowhere below. Once the model exists, `.github/CODEOWNERS` is
//! compared with what `flowc codeowners` would write.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::observe::{Observer, Timings};
use crate::Error;
use crate::columns::{ColumnsInput, RepositoryColumns};
use crate::dags::DagInput;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap};
use crate::graph::{DependencyGraph, TaskIo};
use crate::load::{self, FileSource, ReadOutcome, TextFile};
use crate::model::{Repository, Spanned, TableName, TaskId, TaskKind};
use crate::policy::access::{self, AccessReport};
use crate::policy::codeowners;
use crate::policy::isolation::IsolationInput;
use crate::sql::cache::SqlCache;
use crate::sql::columns::ColumnPlan;
use crate::sql::{self, SqlOptions, TableNames, TableRef};
use crate::sync::DataxJob;

/// Template variables every SQL file may use besides its parameters.
pub const BUILTIN_VARIABLES: &[&str] = &["bizdate", "bizdate_nodash", "env", "flow", "project", "task"];

/// What a check found.
#[derive(Debug)]
pub struct CheckReport {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Every problem found, sorted.
    pub diagnostics: Diagnostics,
    /// The model, when validation succeeded.
    pub repository: Option<Repository>,
    /// Reads and writes per task, when analysis ran.
    pub task_io: BTreeMap<TaskId, TaskIo>,
    /// The dependency graph, when the repository has no errors.
    pub graph: Option<DependencyGraph>,
    /// The SQL file of every sparksql task whose file could be read.
    pub sql_files: BTreeMap<TaskId, FileId>,
    /// The bytes of every ml application in the repository that could be read, by
    /// repository path: read here, once, so that `check` judges them as `compile`
    /// copies them.
    pub app_files: BTreeMap<String, Vec<u8>>,
    /// The DataX job of every sync task that resolved without errors.
    pub datax_jobs: BTreeMap<TaskId, DataxJob>,
    /// Where each sparksql task's SQL names its tables, for environment rewrites.
    pub sql_names: BTreeMap<TaskId, TableNames>,
    /// Who reads and writes what, and why it is allowed.
    pub access: AccessReport,
    /// The data quality checks of each task with rules, when the repository has no
    /// errors before them.
    pub quality: BTreeMap<TaskId, Vec<crate::quality::Check>>,
    /// Every table's schema and every task's column lineage, when the repository has
    /// no errors before the columns stage (its own errors, e.g. an unknown column, do
    /// not take it away: the plan names the readers of a removed column from it).
    pub columns: Option<RepositoryColumns>,
    /// The unit tests without problems, when the repository has no errors before them.
    pub unit_tests: Vec<crate::unit_tests::CheckedTest>,
    /// Flow files found, whether or not they validated.
    pub(super) flow_files: usize,
    /// How long each stage took.
    pub timings: Timings,
}

impl CheckReport {
    /// What the DAG model is built from, when the repository checked without errors
    /// up to the graph; its DataX jobs are the jobs as written, which the compiler
    /// replaces with each environment's.
    pub fn dag_input(&self) -> Option<DagInput<'_>> {
        Some(DagInput {
            repository: self.repository.as_ref()?,
            graph: self.graph.as_ref()?,
            sources: &self.sources,
            task_io: &self.task_io,
            sql_files: &self.sql_files,
            sql_names: &self.sql_names,
            datax_jobs: &self.datax_jobs,
            quality: &self.quality,
        })
    }

    /// What environment isolation is checked on, once the model exists.
    pub fn isolation_input(&self) -> Option<IsolationInput<'_>> {
        Some(IsolationInput {
            repository: self.repository.as_ref()?,
            task_io: &self.task_io,
            sql_names: &self.sql_names,
            quality: &self.quality,
        })
    }

    /// Number of flows.
    pub fn flow_count(&self) -> usize {
        self.repository.as_ref().map_or(self.flow_files, |r| r.flows.len())
    }

    /// Number of tasks.
    pub fn task_count(&self) -> usize {
        self.repository.as_ref().map_or(0, |r| r.tasks().count())
    }

    /// Number of distinct tables read or written.
    pub fn table_count(&self) -> usize {
        let tables: BTreeSet<&TableName> = self
            .task_io
            .values()
            .flat_map(|io| {
                io.reads
                    .iter()
                    .chain(&io.writes)
                    .map(|t| &t.name)
                    .chain(&io.external_reads)
                    .chain(&io.external_writes)
            })
            .collect();
        tables.len()
    }
}

/// Runs stages 2–8 on the repository behind `tree`, telling `observer` of each and
/// loading each SQL file's analysis from `cache` when it has it. The diagnostics are
/// not sorted yet.
pub(super) fn analyze_repository(
    tree: &dyn FileSource,
    observer: &dyn Observer,
    cache: &SqlCache,
) -> Result<CheckReport, Error> {
    let mut timings = Timings::default();
    let mut loaded = timings.time(observer, "load", || load::load(tree))?;
    let mut diagnostics = std::mem::take(&mut loaded.diagnostics);
    let validated = timings.time(observer, "validate", || crate::validate::validate(&loaded))?;
    diagnostics.extend(validated.diagnostics);
    let mut sources = loaded.sources;
    let mut task_io = BTreeMap::new();
    let mut graph = None;
    let mut sql_files = BTreeMap::new();
    let mut app_files = BTreeMap::new();
    let mut datax_jobs = BTreeMap::new();
    let mut sql_names = BTreeMap::new();
    let mut access = AccessReport::default();
    let mut quality = BTreeMap::new();
    let mut columns = None;
    let mut unit_tests = Vec::new();
    if let Some(repository) = &validated.repository {
        // A flow that did not load or validate is missing from the model, so the file
        // is judged only against a complete one (else: a false D701).
        let complete = !blocking(&diagnostics, &sources);
        timings.time(observer, "read", || -> Result<(), Error> {
            diagnostics.extend(codeowners_problems(tree, repository, complete, &mut sources)?);
            sql_files = read_sql_files(tree, repository, &mut sources, &mut diagnostics)?;
            app_files = read_applications(tree, repository, &mut sources, &mut diagnostics)?;
            Ok(())
        })?;
        let column_plans;
        (task_io, datax_jobs, sql_names, column_plans) = timings.time(observer, "sql", || {
            analyze(repository, &sql_files, &sources, cache, &mut diagnostics)
        });
        if !blocking(&diagnostics, &sources) {
            let (built, found) = timings.time(observer, "graph", || crate::graph::build(repository, &task_io));
            diagnostics.extend(found);
            graph = built;
            if let Some(graph) = graph.as_ref().filter(|_| !blocking(&diagnostics, &sources)) {
                let input = ColumnsInput {
                    repository,
                    graph,
                    task_io: &task_io,
                    plans: &column_plans,
                    datax_jobs: &datax_jobs,
                };
                let (built, found) = timings.time(observer, "columns", || crate::columns::build(&input));
                diagnostics.extend(found);
                columns = Some(built);
            }
            // Quality rules name columns of declared tables, or of inferred ones.
            let (checks, problems) = timings.time(observer, "quality", || {
                crate::quality::resolve(repository, &task_io, columns.as_ref())
            });
            diagnostics.extend(problems);
            quality = checks;
            if let Some(columns) = columns.as_ref().filter(|_| !blocking(&diagnostics, &sources)) {
                let analysed = (&task_io, &quality, columns);
                unit_tests = timings.time(observer, "unit tests", || {
                    super::unit_tests::check(tree, repository, analysed, &mut sources, &mut diagnostics)
                })?;
            }
        }
        // After quality: the tables a check reads are checked with its task's team.
        let (report, found) = timings.time(observer, "access", || {
            access::audit(repository, &task_io, &sql_names, &quality)
        });
        access = report;
        diagnostics.extend(found);
    }
    mask_secrets(&mut sources, &mut diagnostics);
    Ok(CheckReport {
        sources,
        diagnostics,
        repository: validated.repository,
        task_io,
        graph,
        sql_files,
        app_files,
        datax_jobs,
        sql_names,
        access,
        quality,
        columns,
        unit_tests,
        flow_files: loaded.flows.len(),
        timings,
    })
}

/// Whether `diagnostics` hold an error that stops the stages after it: any error but
/// a unit test file's own (a broken test leaves the pipeline, and the other tests,
/// to check).
fn blocking(diagnostics: &Diagnostics, sources: &SourceMap) -> bool {
    diagnostics.iter().any(|d| {
        d.is_error()
            && d.span
                .is_none_or(|span| !load::is_test_file(sources.file(span.file).path()))
    })
}

/// Masks every literal secret found (S213) wherever the report can show source text or
/// quote input: the bytes are replaced in the excerpts' text and in every diagnostic's
/// words, so no output format repeats a secret. A secret is an error, so nothing is
/// rendered from a report that holds one.
fn mask_secrets(sources: &mut SourceMap, diagnostics: &mut Diagnostics) {
    let secrets: Vec<String> = crate::validate::secrets::secret_spans(diagnostics)
        .map(|span| sources.mask_secret(span))
        .collect();
    diagnostics.redact(&secrets);
}

/// When the project names GitHub teams: the paths no such team would own, and, when
/// the model is `complete` (every flow loaded and validated), whether
/// `.github/CODEOWNERS` is what `flowc codeowners` writes. The file is registered in
/// `sources` only when a warning points into it.
fn codeowners_problems(
    tree: &dyn FileSource,
    repository: &Repository,
    complete: bool,
    sources: &mut SourceMap,
) -> Result<Diagnostics, Error> {
    let mut found = Diagnostics::new();
    if !codeowners::uses_code_owners(repository) {
        return Ok(found);
    }
    let generated = codeowners::render(repository);
    found.extend(generated.diagnostics.iter().cloned());
    if !complete {
        return Ok(found);
    }
    let current = match tree.read(codeowners::CODEOWNERS_PATH)? {
        ReadOutcome::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        // Too large to be generated, so out of date; anything else is no file at all.
        ReadOutcome::TooLarge(_) => Some(String::new()),
        ReadOutcome::NotFound | ReadOutcome::NotAFile | ReadOutcome::Special | ReadOutcome::Escapes => None,
    };
    let stale = match current {
        Some(text) if generated.matches(&text) => None,
        Some(text) => {
            let file = sources.add(codeowners::CODEOWNERS_PATH, text);
            let current = codeowners::CurrentFile {
                file,
                text: sources.file(file).text(),
            };
            codeowners::out_of_date(&generated, Some(current), repository.project.teams_span)
        }
        None => codeowners::out_of_date(&generated, None, repository.project.teams_span),
    };
    found.extend(stale);
    Ok(found)
}

/// Reads the SQL file of every sparksql task.
fn read_sql_files(
    tree: &dyn FileSource,
    repository: &Repository,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<BTreeMap<TaskId, FileId>, Error> {
    let mut files = BTreeMap::new();
    let mut read: BTreeMap<String, Option<FileId>> = BTreeMap::new();
    let paths: BTreeSet<&str> = repository
        .tasks()
        .filter_map(|(_, task)| match &task.kind {
            TaskKind::SparkSql(spark) => Some(spark.sql.value.as_str()),
            _ => None,
        })
        .collect();
    let tree = load::Prefetched::new(tree, paths);
    let mut scanned = BTreeSet::new();
    for (_, task) in repository.tasks() {
        let TaskKind::SparkSql(spark) = &task.kind else {
            continue;
        };
        let path = &spark.sql.value;
        let file = if let Some(file) = read.get(path) {
            *file
        } else {
            let file = match load::read_text(&tree, sources, path, Some(spark.sql.span))? {
                TextFile::Read(file) => Some(file),
                TextFile::Unusable(diagnostic) => {
                    diagnostics.push(*diagnostic);
                    None
                }
            };
            read.insert(path.clone(), file);
            file
        };
        if let Some(file) = file {
            // A SQL file shared by several tasks is scanned once.
            scanned.insert(file);
            files.insert(task.id.clone(), file);
        }
    }
    let scanned: Vec<FileId> = scanned.into_iter().collect();
    let found: Vec<Vec<Diagnostic>> = scanned
        .par_iter()
        .map(|file| crate::validate::secrets::scan_text(*file, sources.file(*file).text()))
        .collect();
    diagnostics.extend(found.into_iter().flatten());
    Ok(files)
}

/// Reads the application of every ml task that runs a repository file; a missing or
/// escaping one is reported at its `application:` value.
fn read_applications(
    tree: &dyn FileSource,
    repository: &Repository,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    let mut unusable = BTreeSet::new();
    for (_, task) in repository.tasks() {
        let TaskKind::Ml(ml) = &task.kind else {
            continue;
        };
        let Some(path) = &ml.application_file else {
            continue;
        };
        if files.contains_key(path) || unusable.contains(path) {
            continue;
        }
        match load::read_bytes(tree, sources, path, Some(ml.application.span))? {
            Ok(bytes) => {
                files.insert(path.clone(), bytes);
            }
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                unusable.insert(path.clone());
            }
        }
    }
    Ok(files)
}

/// The reads and writes a task declares in YAML (ml, kylin and trigger tasks).
fn declared(reads: &[Spanned<TableName>], writes: &[Spanned<TableName>]) -> TaskIo {
    let refs = |tables: &[Spanned<TableName>]| -> Vec<TableRef> {
        tables
            .iter()
            .map(|t| TableRef {
                name: t.value.clone(),
                span: t.span,
            })
            .collect()
    };
    TaskIo {
        reads: refs(reads),
        writes: refs(writes),
        external_reads: Vec::new(),
        external_writes: Vec::new(),
    }
}

/// Analyses every SQL file in parallel (or loads its analysis from `cache`) and
/// collects each task's reads and writes.
fn analyze(
    repository: &Repository,
    sql_files: &BTreeMap<TaskId, FileId>,
    sources: &SourceMap,
    cache: &SqlCache,
    diagnostics: &mut Diagnostics,
) -> Analyzed {
    let tasks: Vec<_> = repository.tasks().collect();
    let results: Vec<(TaskId, TaskIo, Output, Vec<Diagnostic>)> = tasks
        .par_iter()
        .map(|(flow, task)| match &task.kind {
            TaskKind::SparkSql(spark) => {
                let Some(&file) = sql_files.get(&task.id) else {
                    return (task.id.clone(), TaskIo::default(), Output::None, Vec::new());
                };
                let mut known: BTreeSet<String> = task.params.keys().cloned().collect();
                known.extend(BUILTIN_VARIABLES.iter().map(|v| (*v).to_owned()));
                let params: BTreeMap<String, String> = task
                    .params
                    .iter()
                    .map(|(name, value)| (name.clone(), value.to_string()))
                    .collect();
                let options = SqlOptions {
                    default_database: spark.default_database.as_deref(),
                    params: Some(&params),
                    known_variables: Some(&known),
                };
                let text = sources.file(file).text();
                let analysis = cache.analysis((file, text), &options, || sql::analyze(file, text, &options));
                let mut found = analysis.diagnostics;
                // A file that only alters (`ALTER TABLE … ADD PARTITION`, `DROP`, `MSCK`…)
                // does what it is for: it is no "only reads" file.
                let changes_tables = !analysis.writes.is_empty() || !analysis.names.altered.is_empty();
                if !changes_tables && !found.iter().any(Diagnostic::is_error) {
                    found.push(
                        Diagnostic::warning(Code::NoTableWritten, format!("task `{}` writes no table", task.id))
                            .at(spark.sql.span)
                            .with_label("this SQL file only reads")
                            .with_help("a sparksql task should INSERT into or CREATE the table it produces"),
                    );
                }
                let io = TaskIo {
                    reads: analysis.reads,
                    writes: analysis.writes,
                    external_reads: Vec::new(),
                    external_writes: Vec::new(),
                };
                let output = Output::Sql(analysis.names, Box::new(analysis.columns));
                (task.id.clone(), io, output, found)
            }
            TaskKind::Sync(sync) => {
                let (plan, found) = crate::sync::resolve(repository, flow, task, sync);
                let io = plan.as_ref().map_or_else(TaskIo::default, |plan| TaskIo {
                    reads: plan.reads.clone(),
                    writes: plan.writes.clone(),
                    external_reads: plan.external_reads.clone(),
                    external_writes: plan.external_writes.clone(),
                });
                (
                    task.id.clone(),
                    io,
                    plan.map_or(Output::None, |plan| Output::Sync(Box::new(plan))),
                    found,
                )
            }
            TaskKind::Ml(ml) => (
                task.id.clone(),
                declared(&ml.reads, &ml.writes),
                Output::None,
                Vec::new(),
            ),
            TaskKind::Kylin(kylin) => (
                task.id.clone(),
                declared(&kylin.reads, &kylin.writes),
                Output::None,
                Vec::new(),
            ),
            TaskKind::Trigger(trigger) => (
                task.id.clone(),
                declared(&[], &trigger.writes),
                Output::None,
                Vec::new(),
            ),
        })
        .collect();
    let mut task_io = BTreeMap::new();
    let mut datax_jobs = BTreeMap::new();
    let mut sql_names = BTreeMap::new();
    let mut column_plans = BTreeMap::new();
    for (id, io, output, found) in results {
        diagnostics.extend(found);
        match output {
            Output::Sync(plan) => {
                datax_jobs.insert(id.clone(), *plan);
            }
            Output::Sql(names, plan) => {
                sql_names.insert(id.clone(), names);
                column_plans.insert(id.clone(), *plan);
            }
            Output::None => {}
        }
        task_io.insert(id, io);
    }
    (task_io, datax_jobs, sql_names, column_plans)
}

/// Reads and writes, sync jobs, SQL table names and column plans, by task.
type Analyzed = (
    BTreeMap<TaskId, TaskIo>,
    BTreeMap<TaskId, DataxJob>,
    BTreeMap<TaskId, TableNames>,
    BTreeMap<TaskId, ColumnPlan>,
);

/// What analysing a task yields besides its reads and writes.
enum Output {
    None,
    Sync(Box<DataxJob>),
    Sql(TableNames, Box<ColumnPlan>),
}
