//! Environment isolation: what an environment other than `prod` may not do.
//!
//! Input: the checked repository (each task's reads and writes as written) and one
//! [`Environment`]. Output: diagnostics. Pure.
//!
//! Production runs the repository as written; a dev copy runs side by side with it,
//! so a dev task must never write where production reads. Rules, for every
//! environment but `prod`:
//! - every warehouse table a task writes — or drops, truncates, alters, creates empty,
//!   analyses or repairs — has a database, the environment maps that database, and
//!   maps it to a database production itself does not use (R606);
//! - a table written through a declared `location:` without `${env}` in it would be
//!   written at production's path, whatever the database mapping (R606);
//! - every connection a sync task writes to (other than the warehouse) is replaced by
//!   the environment (R606);
//! - when there are quality rules, the results table their checks append to is
//!   mapped like a table a task writes (R606);
//! - a Kylin cube build goes to the environment's own Kylin (its Airflow connection
//!   replaced), or names a project or cube with `${env}` (R606).
//!
//! And for every environment: the connections it replaces and replaces them with are
//! declared and of the same type (R608).

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::TaskIo;
use crate::model::{Environment, KylinTask, Repository, SyncTask, TableName, Task, TaskId, TaskKind};
use crate::quality::Check;
use crate::sql::{TableNames, TableRef};

/// What isolation is checked on: the checked repository's tables, as written.
#[derive(Clone, Copy)]
pub struct IsolationInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// Reads and writes per task.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// Where each sparksql task's SQL names its tables (the tables it alters).
    pub sql_names: &'a BTreeMap<TaskId, TableNames>,
    /// The data quality checks of each task with rules.
    pub quality: &'a BTreeMap<TaskId, Vec<Check>>,
}

/// Every problem of `environment` in this repository.
pub fn violations(input: &IsolationInput<'_>, environment: &Environment) -> Vec<Diagnostic> {
    let repository = input.repository;
    let mut found = references(repository, environment);
    if environment.is_production() {
        return found;
    }
    let mut production: BTreeSet<&str> = input
        .task_io
        .values()
        .flat_map(|io| io.reads.iter().chain(&io.writes))
        .filter_map(|table| table.name.database())
        .collect();
    if !input.quality.is_empty() {
        production.extend(repository.project.quality.results_table.value.database());
        found.extend(results_table_problem(repository, environment, &production));
    }
    for (_, task) in repository.tasks() {
        let Some(io) = input.task_io.get(&task.id) else {
            continue;
        };
        let altered = input
            .sql_names
            .get(&task.id)
            .map_or(&[][..], |names| names.altered.as_slice());
        let touched = io
            .writes
            .iter()
            .map(|table| (table, "write"))
            .chain(altered.iter().map(|table| (table, "change")));
        for (table, verb) in touched {
            found.extend(table_problem(task, table, verb, environment, &production));
        }
        match &task.kind {
            TaskKind::Kylin(kylin) => found.extend(kylin_problem(repository, environment, task, kylin)),
            TaskKind::Sync(sync) => found.extend(sync_problems(repository, environment, task, io, sync)),
            _ => {}
        }
    }
    found
}

/// The quality results table, when this environment's checks would append to
/// production's.
fn results_table_problem(
    repository: &Repository,
    environment: &Environment,
    production: &BTreeSet<&str>,
) -> Option<Diagnostic> {
    let results_table = &repository.project.quality.results_table;
    let (message, help) = if results_table.value.database().is_none() {
        (
            format!(
                "environment `{}` would write quality results to `{}` without a database, which is production's",
                environment.name, results_table.value
            ),
            "qualify `quality.results_table` in flowc.yaml, and map that database for this environment".to_owned(),
        )
    } else {
        production_write(
            environment,
            production,
            &results_table.value,
            "write quality results to",
        )?
    };
    // A defaulted results table is written nowhere: point at the environment.
    Some(if repository.project.quality.results_table_written {
        Diagnostic::error(Code::ProductionWrite, message)
            .at(results_table.span)
            .with_label("every quality check appends its result here")
            .with_help(help)
    } else {
        Diagnostic::error(Code::ProductionWrite, message)
            .at(environment.span)
            .with_label("this environment runs the quality checks")
            .with_help(format!(
                "{help}; the table is `quality.results_table` of flowc.yaml, `{}` by default",
                crate::model::DEFAULT_RESULTS_TABLE
            ))
    })
}

/// A table a task writes (`verb` "write") or changes ("change"), when that would
/// reach production.
fn table_problem(
    task: &Task,
    table: &TableRef,
    verb: &str,
    environment: &Environment,
    production: &BTreeSet<&str>,
) -> Option<Diagnostic> {
    let (message, help) = match table.name.database() {
        None => (
            format!(
                "task `{}` would {verb} `{}` without a database, which is production's in environment `{}`",
                task.id, table.name, environment.name
            ),
            "qualify the table name (or set `default_database`), and map that database for this environment".to_owned(),
        ),
        Some(_) => production_write(environment, production, &table.name, verb)?,
    };
    let label = if verb == "write" { "written" } else { "changed" };
    Some(
        Diagnostic::error(Code::ProductionWrite, message)
            .at(table.span)
            .with_label(format!("{label} by `{}`", task.id))
            .with_help(help),
    )
}

/// A Kylin cube build that would run against production's Kylin.
fn kylin_problem(
    repository: &Repository,
    environment: &Environment,
    task: &Task,
    kylin: &KylinTask,
) -> Option<Diagnostic> {
    let kylin_conn_id = &repository.project.airflow.kylin_conn_id;
    let per_environment = [&kylin.project, &kylin.cube]
        .iter()
        .any(|name| name.contains(crate::sync::ENV_PLACEHOLDER));
    if per_environment || environment.airflow_connections.contains_key(kylin_conn_id) {
        return None;
    }
    let prefix = format!("environments.{}", environment.name);
    Some(
        Diagnostic::error(
            Code::ProductionWrite,
            format!(
                "environment `{}` would build production cube `{}` of Kylin project `{}`",
                environment.name, kylin.cube, kylin.project
            ),
        )
        .at(task.name_span)
        .with_label(format!("`{}` builds it", task.id))
        .with_help(format!(
            "point this environment at its own Kylin (`{prefix}.airflow_connections: \
             {{{kylin_conn_id}: {kylin_conn_id}_{}}}`), or put `${{env}}` in the project or cube name",
            environment.name
        )),
    )
}

/// A sync task writing files at a fixed location, or into a production connection.
fn sync_problems(
    repository: &Repository,
    environment: &Environment,
    task: &Task,
    io: &TaskIo,
    sync: &SyncTask,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let prefix = format!("environments.{}", environment.name);
    // A declared location is the same path in every environment.
    if let Some(declaration) = io.writes.first().and_then(|write| repository.table(&write.name))
        && declaration
            .location
            .as_deref()
            .is_some_and(|location| !location.contains(crate::sync::ENV_PLACEHOLDER))
    {
        found.push(
            Diagnostic::error(
                Code::ProductionWrite,
                format!(
                    "environment `{}` would write production files: table `{}` has a fixed `location`",
                    environment.name, declaration.name.value
                ),
            )
            .at(declaration.name.span)
            .with_label(format!("written by `{}`", task.id))
            .with_help(
                "put `${env}` in the location (e.g. `/warehouse/${env}/ods/t`), or remove `location:` so the \
                 table lives under its database's warehouse folder, which the environment maps",
            ),
        );
    }
    if !io.external_writes.is_empty()
        && let Some(connection) = &sync.target.connection
        && !environment.connections.contains_key(&connection.value)
    {
        found.push(
            Diagnostic::error(
                Code::ProductionWrite,
                format!(
                    "environment `{}` would write to production connection `{}`",
                    environment.name, connection.value
                ),
            )
            .at(connection.span)
            .with_label(format!("target of `{}`", task.id))
            .with_help(format!(
                "declare a connection for {} and replace it under `{prefix}.connections`, e.g. `{}: {}_{}`",
                environment.name, connection.value, connection.value, environment.name
            )),
        );
    }
    found
}

/// Why `environment` writing `table` (with a database) would reach production: the
/// message and the help, or `None` when it would not.
fn production_write(
    environment: &Environment,
    production: &BTreeSet<&str>,
    table: &TableName,
    verb: &str,
) -> Option<(String, String)> {
    let prefix = format!("environments.{}", environment.name);
    let database = table.database()?;
    if !environment.maps_database(database) {
        return Some((
            format!(
                "environment `{}` would {verb} production table `{table}`: it does not map database `{database}`",
                environment.name
            ),
            format!(
                "map it under `{prefix}.databases`, e.g. `{database}: {name}_{database}`, or map every database at once with `\"*\": {name}_*`",
                name = environment.name
            ),
        ));
    }
    production.contains(&*environment.database(database)).then(|| {
        (
            format!(
                "environment `{}` maps `{database}` to `{}`, a database production uses, so `{table}` would land in production",
                environment.name,
                environment.database(database),
            ),
            if environment.databases.contains_key(database) {
                format!("map `{database}` to a database of its own under `{prefix}.databases`")
            } else {
                format!(
                    "the `\"*\"` pattern of `{prefix}.databases` maps it there: give `{database}` an entry of its own, or change the pattern"
                )
            },
        )
    })
}

/// R608 for replaced connections that are not declared or change the type.
fn references(repository: &Repository, environment: &Environment) -> Vec<Diagnostic> {
    let connections = &repository.project.connections;
    let known = || connections.keys().map(String::as_str);
    let mut found = Vec::new();
    for (from, to) in &environment.connections {
        let problem = match (connections.get(from), connections.get(&to.value)) {
            (None, _) => Some((
                format!(
                    "environment `{}` replaces connection `{from}`, which is not declared",
                    environment.name
                ),
                did_you_mean(from, known())
                    .unwrap_or_else(|| "name a connection declared under `connections:`".to_owned()),
            )),
            (Some(_), None) => Some((
                format!(
                    "environment `{}` replaces connection `{from}` with `{}`, which is not declared",
                    environment.name, to.value
                ),
                did_you_mean(&to.value, known()).unwrap_or_else(|| {
                    format!(
                        "declare `{}` under `connections:` (same type as `{from}`, its own host and credentials)",
                        to.value
                    )
                }),
            )),
            (Some(original), Some(replacement)) if original.kind != replacement.kind => Some((
                format!(
                    "environment `{}` replaces {} connection `{from}` with {} connection `{}`",
                    environment.name,
                    original.kind.with_article(),
                    replacement.kind.with_article(),
                    to.value
                ),
                "replace a connection with one of the same type".to_owned(),
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            found.push(
                Diagnostic::error(Code::UnknownEnvironmentReference, message)
                    .at(to.span)
                    .with_help(help),
            );
        }
    }
    found
}
