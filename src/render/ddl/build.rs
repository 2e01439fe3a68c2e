//! [`build`]: which tables get DDL in one environment, and from what.
//!
//! - A table declared under a flow's `tables:`: its declaration (format, delimiter,
//!   `location`, comments). When a sync task writes it, its storage and directory are
//!   the DataX job's (the first declaration's; any other declaration must agree, R615),
//!   so the files land where, and as, the table reads them.
//! - A source declared in `flowc.yaml` with `columns:`: its columns, stored as ORC.
//! - A table a SQL task writes and nobody declares: the columns the query gives it,
//!   stored as ORC, when every type is known; else R614.
//! - A table written by a task flowc cannot see into (ml, kylin, trigger) or by a query
//!   whose columns are not all known, undeclared: R614.
//! - The quality results table, when any task has rules: the columns every check
//!   inserts ([`crate::quality::sql::RESULT_COLUMNS`]), partitioned by `dt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::problems::{Disagreement, Partly, Untyped};
use super::{Ddl, DdlColumn, DdlTable, LeftOut, Storage};
use crate::columns::{Column, RepositoryColumns, SchemaOrigin, TableSchema};
use crate::diagnostic::{Diagnostic, Span};
use crate::graph::TaskIo;
use crate::model::{
    Connection, ConnectionKind, Environment, Repository, SyncTask, TableDeclaration, TableFormat, TableName, Task,
    TaskId, TaskKind,
};
use crate::quality::sql::{RESULT_COLUMNS, RESULT_PARTITION};
use crate::sync::{self, DataxJob};

/// What the DDL is built from, borrowed.
#[derive(Clone, Copy, Debug)]
pub struct DdlInput<'a> {
    /// The model: declarations, sources, the results table, connections.
    pub repository: &'a Repository,
    /// Every table's schema.
    pub columns: &'a RepositoryColumns,
    /// The tables each task writes.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The DataX job of every sync task, resolved for the environment.
    pub datax_jobs: &'a BTreeMap<TaskId, DataxJob>,
}

/// A sync task writing a warehouse table, and its job.
struct Synced<'a> {
    task: &'a Task,
    sync: &'a SyncTask,
    job: &'a DataxJob,
}

/// The DDL of `environment`, and its problems (R614 as errors, R615).
pub fn build(input: &DdlInput<'_>, environment: &Environment) -> (Ddl, Vec<Diagnostic>) {
    let repository = input.repository;
    let results = &repository.project.quality.results_table.value;
    let synced = synced_tables(input);
    let mut problems: Vec<Diagnostic> = disagreements(repository, &synced, environment)
        .iter()
        .map(Disagreement::diagnostic)
        .collect();
    let mut tables = BTreeMap::new();
    let mut left_out = BTreeMap::new();
    for (name, schema) in &input.columns.schemas {
        if name == results {
            continue;
        }
        let table = match &schema.origin {
            SchemaOrigin::Declared(_) => Ok(declared(repository, schema, synced.get(name), environment)),
            SchemaOrigin::Inferred(task) => inferred(input, schema, task, environment),
            // A sync task's own schema is a mysql table's: not in the warehouse (a
            // warehouse table a sync writes is declared).
            SchemaOrigin::Sync(_) => continue,
        };
        match table {
            Ok(table) if !environment.is_production() && !maps(environment, name) => {
                let reason = format!(
                    "a production table: environment `{}` does not map database `{}`, so `prod`'s DDL creates it",
                    environment.name,
                    name.database().unwrap_or_default()
                );
                left_out.insert(
                    table.name.clone(),
                    LeftOut {
                        name: table.name,
                        reason,
                    },
                );
            }
            Ok(table) => {
                tables.insert(table.name.clone(), table);
            }
            Err(untyped) => {
                leave_out(&mut left_out, &mut problems, &untyped, environment);
            }
        }
    }
    for (task, io) in input.task_io {
        for write in &io.writes {
            if &write.name == results || input.columns.schemas.contains_key(&write.name) {
                continue;
            }
            let untyped = unseen(input, task, &write.name, write.span);
            leave_out(&mut left_out, &mut problems, &untyped, environment);
        }
    }
    if repository.tasks().any(|(_, task)| !task.quality.is_empty()) {
        let table = results_table(environment.table(results));
        tables.insert(table.name.clone(), table);
    }
    let ddl = Ddl {
        environment: environment.name.clone(),
        tables: tables.into_values().collect(),
        left_out: left_out.into_values().collect(),
    };
    (ddl, problems)
}

/// Whether `environment` maps the database of `table` (a table without one: yes).
fn maps(environment: &Environment, table: &TableName) -> bool {
    table
        .database()
        .is_none_or(|database| environment.maps_database(database))
}

fn leave_out(
    left_out: &mut BTreeMap<TableName, LeftOut>,
    problems: &mut Vec<Diagnostic>,
    untyped: &Untyped<'_>,
    environment: &Environment,
) {
    let name = environment.table(untyped.table);
    if left_out.contains_key(&name) {
        return;
    }
    problems.push(untyped.diagnostic());
    let unknown = untyped.unknown();
    let reason = if untyped.columns.is_empty() || unknown.is_empty() {
        format!("{} (R614)", untyped.why)
    } else {
        format!("{}, types unknown: {} (R614)", untyped.why, unknown.join(", "))
    };
    left_out.insert(name.clone(), LeftOut { name, reason });
}

/// Every warehouse table a sync task writes (hdfswriter), by its repository name.
fn synced_tables<'a>(input: &DdlInput<'a>) -> BTreeMap<TableName, Synced<'a>> {
    input
        .repository
        .tasks()
        .filter_map(|(flow, task)| {
            let TaskKind::Sync(sync) = &task.kind else {
                return None;
            };
            let job = input.datax_jobs.get(&task.id)?;
            (job.writer.plugin == "hdfswriter").then(|| {
                let name = TableName::new(&sync.target.table.value).qualified_with(flow.default_database.as_deref());
                (name, Synced { task, sync, job })
            })
        })
        .collect()
}

/// The directory a sync task's job writes the table's files into (without the
/// partition directories), with its NameNode: `<defaultFS><dir>`.
fn job_directory(job: &DataxJob) -> Option<String> {
    let path = job.writer.path.as_deref()?;
    let partition_dirs = job
        .partition
        .iter()
        .flat_map(|p| &p.spec)
        .fold(String::new(), |mut dirs, (column, value)| {
            let _ = write!(dirs, "/{column}={value}");
            dirs
        });
    let dir = path.strip_suffix(&partition_dirs).unwrap_or(path);
    Some(with_namenode(job.writer.default_fs.as_deref(), dir))
}

fn with_namenode(default_fs: Option<&str>, dir: &str) -> String {
    format!("{}{dir}", default_fs.map_or("", |fs| fs.trim_end_matches('/')))
}

/// The hive connection a sync task writes through in `environment`, else the project's
/// first one.
fn hive_connection<'a>(
    repository: &'a Repository,
    sync: Option<&SyncTask>,
    environment: &Environment,
) -> Option<&'a Connection> {
    let connections = &repository.project.connections;
    sync.and_then(|s| s.target.connection.as_ref())
        .and_then(|name| connections.get(environment.connection(&name.value)))
        .or_else(|| connections.values().find(|c| c.kind == ConnectionKind::Hive))
}

/// R615: every declaration of a synced table that says another format, delimiter or
/// directory than the job that writes it.
fn disagreements<'a>(
    repository: &'a Repository,
    synced: &'a BTreeMap<TableName, Synced<'a>>,
    environment: &Environment,
) -> Vec<Disagreement<'a>> {
    let mut found = Vec::new();
    for (name, synced) in synced {
        let writer = &synced.job.writer;
        let written_format = writer.file_type.clone().unwrap_or_default();
        let written_delimiter = writer.field_delimiter.clone().unwrap_or_default();
        let written_dir = job_directory(synced.job);
        let connection = hive_connection(repository, Some(synced.sync), environment);
        let declarations = repository
            .flows
            .iter()
            .flat_map(|f| &f.tables)
            .filter(|t| &t.name.value == name);
        let Some(followed) = repository.table(name) else {
            continue;
        };
        for declaration in declarations {
            let declared_dir = connection.map(|c| {
                with_namenode(
                    c.default_fs.as_deref(),
                    &sync::table_location(c, declaration, Some(environment)),
                )
            });
            let mut differs = |what, declared: String, written: String| {
                found.push(Disagreement {
                    table: &declaration.name.value,
                    declared_at: declaration.name.span,
                    written_at: synced.sync.target.table.span,
                    followed_at: followed.name.span,
                    task: synced.task.id.to_string(),
                    what,
                    declared,
                    written,
                });
            };
            if declaration.format.as_str() != written_format {
                differs(
                    "format",
                    format!("`{}`", declaration.format.as_str()),
                    format!("{written_format} files"),
                );
            } else if declaration.format == TableFormat::Text && declaration.field_delimiter != written_delimiter {
                differs(
                    "field delimiter",
                    format!("{:?}", declaration.field_delimiter),
                    format!("fields separated by {written_delimiter:?}"),
                );
            }
            if let (Some(declared), Some(written)) = (declared_dir, written_dir.clone())
                && declared != written
            {
                differs("location", format!("`{declared}`"), format!("into `{written}`"));
            }
        }
    }
    found
}

fn ddl_column(column: &Column, data_type: String) -> DdlColumn {
    DdlColumn {
        name: column.name.clone(),
        data_type,
        description: column.description.clone(),
    }
}

/// A declared table (or source): declared types; storage and directory from the
/// DataX job writing it, else from the declaration.
fn declared(
    repository: &Repository,
    schema: &TableSchema,
    synced: Option<&Synced<'_>>,
    environment: &Environment,
) -> DdlTable {
    let column = |c: &Column| ddl_column(c, c.data_type.clone().unwrap_or_else(|| "string".to_owned()));
    let declaration = repository.table(&schema.table);
    let (storage, location) = match (synced, declaration) {
        (Some(synced), _) => (
            storage_of(
                synced.job.writer.file_type.as_deref(),
                synced.job.writer.field_delimiter.as_deref(),
            ),
            job_directory(synced.job),
        ),
        (None, Some(declaration)) => (
            declared_storage(declaration),
            declaration.location.as_ref().and_then(|_| {
                let connection = hive_connection(repository, None, environment)?;
                Some(with_namenode(
                    connection.default_fs.as_deref(),
                    &sync::table_location(connection, declaration, Some(environment)),
                ))
            }),
        ),
        (None, None) => (Storage::Orc, None),
    };
    DdlTable {
        name: environment.table(&schema.table),
        description: declaration.and_then(|d| d.description.clone()),
        columns: schema.columns.iter().map(column).collect(),
        partition_columns: schema.partition_columns.iter().map(column).collect(),
        storage,
        location,
    }
}

fn declared_storage(declaration: &TableDeclaration) -> Storage {
    match declaration.format {
        TableFormat::Orc => Storage::Orc,
        TableFormat::Parquet => Storage::Parquet,
        TableFormat::Text => Storage::Text {
            delimiter: declaration.field_delimiter.clone(),
        },
    }
}

fn storage_of(file_type: Option<&str>, delimiter: Option<&str>) -> Storage {
    match file_type {
        Some("parquet") => Storage::Parquet,
        Some("text") => Storage::Text {
            delimiter: delimiter.unwrap_or("\u{1}").to_owned(),
        },
        _ => Storage::Orc,
    }
}

/// A type flowc writes into DDL as it is: lower case, made of what Spark's type syntax
/// uses only, and a type a table column can have.
fn usable_type(data_type: Option<&str>) -> Option<String> {
    let data_type = data_type?.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_<>(),: ".contains(c);
    let usable = !data_type.is_empty()
        && data_type.chars().all(allowed)
        && !matches!(data_type.as_str(), "void" | "null" | "unknown")
        && !data_type.starts_with("interval");
    usable.then_some(data_type)
}

fn partly(column: &Column) -> Partly {
    Partly {
        name: column.name.clone(),
        data_type: usable_type(column.data_type.as_deref()),
        span: column.span,
    }
}

/// A table a query writes and nobody declares; its static partition columns are
/// strings (their values are written as text).
fn inferred<'a>(
    input: &DdlInput<'_>,
    schema: &'a TableSchema,
    task: &TaskId,
    environment: &Environment,
) -> Result<DdlTable, Untyped<'a>> {
    let columns: Vec<Partly> = schema.columns.iter().map(partly).collect();
    let partitions: Vec<Partly> = schema
        .partition_columns
        .iter()
        .map(|c| Partly {
            data_type: usable_type(c.data_type.as_deref()).or_else(|| c.span.is_none().then(|| "string".to_owned())),
            ..partly(c)
        })
        .collect();
    let typed = |list: &[Partly]| -> Option<Vec<DdlColumn>> {
        list.iter()
            .map(|c| {
                Some(DdlColumn {
                    name: c.name.clone(),
                    data_type: c.data_type.clone()?,
                    description: None,
                })
            })
            .collect()
    };
    if let (Some(typed_columns), Some(typed_partitions)) = (typed(&columns), typed(&partitions))
        && !typed_columns.is_empty()
    {
        return Ok(DdlTable {
            name: environment.table(&schema.table),
            description: None,
            columns: typed_columns,
            partition_columns: typed_partitions,
            storage: Storage::Orc,
            location: None,
        });
    }
    let span = write_span(input, task, &schema.table);
    Err(Untyped {
        table: &schema.table,
        span,
        flow_file: flow_file(input.repository, task),
        why: format!("task `{task}` writes it, and flowc could not infer the type of every column from its SQL"),
        columns,
        partitions,
    })
}

/// A table written whose schema nobody knows: by a task flowc cannot see into, or by
/// a query whose columns are not all known.
fn unseen<'a>(input: &DdlInput<'_>, task: &TaskId, table: &'a TableName, span: Span) -> Untyped<'a> {
    let kind = input
        .repository
        .tasks()
        .find(|(_, t)| &t.id == task)
        .map_or("", |(_, t)| t.kind.type_name());
    let output = input
        .columns
        .tasks
        .get(task)
        .and_then(|c| c.outputs.iter().find(|o| &o.table == table));
    let why = match kind {
        "sparksql" => format!(
            "task `{task}` writes it, and flowc cannot tell all of its columns from its SQL (a `*` over a table of unknown schema)"
        ),
        "trigger" => format!("task `{task}` waits for it: a system outside the repository writes it"),
        other => format!("task `{task}` ({other}) writes it, and flowc cannot see the columns it writes"),
    };
    let columns = output.map_or_else(Vec::new, |o| {
        o.columns
            .iter()
            .filter(|c| !o.dynamic_partitions.contains(&c.name))
            .map(|c| Partly {
                name: c.name.clone(),
                data_type: usable_type(c.data_type.as_deref()),
                span: Some(c.span),
            })
            .collect()
    });
    let partitions = output.map_or_else(Vec::new, |o| {
        o.static_partitions
            .iter()
            .map(|name| Partly {
                name: name.clone(),
                data_type: Some("string".to_owned()),
                span: None,
            })
            .collect()
    });
    Untyped {
        table,
        span: Some(span),
        flow_file: flow_file(input.repository, task),
        why,
        columns,
        partitions,
    }
}

/// Where task `task` names `table` as written.
fn write_span(input: &DdlInput<'_>, task: &TaskId, table: &TableName) -> Option<Span> {
    let written = input
        .task_io
        .get(task)
        .and_then(|io| io.writes.iter().find(|w| &w.name == table));
    match written {
        Some(write) => Some(write.span),
        None => input
            .repository
            .tasks()
            .find(|(_, t)| &t.id == task)
            .map(|(_, t)| t.name_span),
    }
}

fn flow_file(repository: &Repository, task: &TaskId) -> String {
    repository.flows.iter().find(|f| &f.id == task.flow()).map_or_else(
        || "its flow's flow.yaml".to_owned(),
        |f| format!("{}/flow.yaml", f.folder),
    )
}

/// The quality results table, named for the environment.
fn results_table(name: TableName) -> DdlTable {
    let column = |(name, data_type, description): (&str, &str, &str)| DdlColumn {
        name: name.to_owned(),
        data_type: data_type.to_owned(),
        description: Some(description.to_owned()),
    };
    DdlTable {
        name,
        description: Some("flowc data quality results: one row per check run".to_owned()),
        columns: RESULT_COLUMNS.iter().copied().map(column).collect(),
        partition_columns: vec![column(RESULT_PARTITION)],
        storage: Storage::Orc,
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::compiler::{self, check};
    use crate::load::MemoryTree;
    use crate::render::ddl::{Ddl, Storage};

    const PROJECT: &str = "project: t\nenvironments: {dev: {databases: {dwd: dev_dwd}}, prod: {}}\nteams: {data: {}}\n\
        connections:\n  warehouse: {type: hive, default_fs: \"hdfs://ns1\", warehouse_dir: /warehouse}\n\
        sources:\n  - table: ods.raw\n    columns: [{name: id, type: bigint}, {name: hour, type: int}]\n    partitioned_by: [dt]\n";

    /// The DDL of `env` for one flow writing `dwd.t` with `sql`.
    fn ddl_of(sql: &str, env: &str) -> Ddl {
        let flow = "name: pay\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: build\n    type: sparksql\n    sql: build.sql\n";
        let tree = MemoryTree::new()
            .with("flowc.yaml", PROJECT)
            .with("flows/pay/flow.yaml", flow)
            .with("flows/pay/build.sql", sql);
        let report = check(&tree).expect("checks");
        assert!(!report.diagnostics.has_errors(), "{:?}", report.diagnostics);
        let environment = &report.repository.as_ref().expect("model").project.environments[env];
        let (ddl, problems) = compiler::ddl(&report, environment).expect("a DDL");
        assert!(problems.is_empty(), "{problems:?}");
        ddl
    }

    #[test]
    fn dynamic_partition_columns_are_typed_partitions_after_the_static_ones() {
        let ddl = ddl_of(
            "INSERT OVERWRITE TABLE dwd.t PARTITION (dt = '${bizdate}', hour)\nSELECT id, hour FROM ods.raw WHERE dt = '${bizdate}';\n",
            "prod",
        );
        let table = ddl.tables.iter().find(|t| t.name.as_str() == "dwd.t").expect("dwd.t");
        let columns: Vec<(&str, &str)> = table
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        assert_eq!(columns, [("id", "bigint")]);
        let partitions: Vec<(&str, &str)> = table
            .partition_columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        assert_eq!(partitions, [("dt", "string"), ("hour", "int")]);
        assert_eq!(table.storage, Storage::Orc);
    }

    #[test]
    fn another_environment_leaves_production_tables_out() {
        let sql = "INSERT OVERWRITE TABLE dwd.t PARTITION (dt = '${bizdate}')\nSELECT id FROM ods.raw WHERE dt = '${bizdate}';\n";
        let dev = ddl_of(sql, "dev");
        let names: Vec<&str> = dev.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dev_dwd.t"]);
        assert_eq!(dev.left_out.len(), 1);
        assert_eq!(dev.left_out[0].name.as_str(), "ods.raw");
        assert!(
            dev.left_out[0].reason.contains("does not map database `ods`"),
            "{:?}",
            dev.left_out
        );
        let prod = ddl_of(sql, "prod");
        let names: Vec<&str> = prod.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dwd.t", "ods.raw"]);
        assert!(prod.left_out.is_empty());
    }
}
