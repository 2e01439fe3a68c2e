//! One raw task → [`Task`]: what it inherits from its flow, its quality rules, and the
//! fields of its type ([`TaskKind`]).

use std::collections::BTreeMap;

use super::{conf, duration, params};
use crate::Error;
use crate::model::{
    Alert, Duration, ErrorLimit, FlowId, KylinTask, MlTask, ParamValue, Priority, RowkeyRange, SparkSqlOperator,
    SparkSqlTask, SyncColumn, SyncSource, SyncSpeed, SyncTarget, SyncTask, TableName, Task, TaskId, TaskKind,
    TriggerTask, WaitFor,
};
use crate::validate::quality;
use crate::validate::raw::flow::{
    RawErrorLimit, RawPaths, RawSpeed, RawSyncColumn, RawSyncSource, RawSyncTarget, RawTask, RawWaitFor,
};
use crate::validate::spans::Spans;

/// What every task of a flow starts from: the flow's names, settings and `defaults:`.
pub(super) struct FlowContext<'a> {
    pub(super) id: &'a FlowId,
    /// The flow's folder, repository-relative, that SQL paths are relative to.
    pub(super) folder: &'a str,
    pub(super) spans: &'a Spans<'a>,
    pub(super) priority: Priority,
    /// The flow's database, else the project's.
    pub(super) default_database: Option<&'a String>,
    /// The project's parameters, overridden by the flow's.
    pub(super) params: &'a BTreeMap<String, ParamValue>,
    /// `defaults.conf`.
    pub(super) conf: &'a BTreeMap<String, String>,
    /// `defaults:` of the flow, else of the project.
    pub(super) retries: Option<u32>,
    pub(super) retry_delay: Option<Duration>,
    pub(super) timeout: Option<Duration>,
    pub(super) depends_on_past: Option<bool>,
    pub(super) alerts: Option<&'a [Alert]>,
}

/// Builds the task written at `at` (a JSON pointer into the flow file).
pub(super) fn task(task: RawTask, at: &str, flow: &FlowContext<'_>) -> Result<Task, Error> {
    let mut task_params = flow.params.clone();
    task_params.extend(params(task.params));
    let mut task_conf = flow.conf.clone();
    task_conf.extend(conf(task.conf));
    let kind = task_kind(
        task.kind.as_str(),
        at,
        flow,
        task_conf,
        TaskFields {
            sql: task.sql,
            default_database: task.default_database,
            operator: task.operator,
            source: task.source,
            target: task.target,
            speed: task.speed,
            error_limit: task.error_limit,
            application: task.application,
            main_class: task.main_class,
            args: task.args,
            cube: task.cube,
            project: task.project,
            build_type: task.build_type,
            wait_for: task.wait_for,
            reads: task.reads,
            writes: task.writes,
        },
    )?;
    let spans = flow.spans;
    let default_database = flow.default_database.map(String::as_str);
    Ok(Task {
        id: TaskId::new(flow.id.clone(), task.name),
        name_span: spans.at(&format!("{at}/name")),
        description: task.description,
        depends_on: task
            .depends_on
            .into_iter()
            .enumerate()
            .map(|(j, d)| spans.spanned(d, &format!("{at}/depends_on/{j}")))
            .collect(),
        priority: task.priority.unwrap_or(flow.priority),
        retries: task.retries.or(flow.retries),
        retry_delay: duration(task.retry_delay.as_deref()).or(flow.retry_delay),
        timeout: duration(task.timeout.as_deref()).or(flow.timeout),
        depends_on_past: task.depends_on_past.or(flow.depends_on_past).unwrap_or(false),
        alerts: task
            .alerts
            .or_else(|| flow.alerts.map(<[Alert]>::to_vec))
            .unwrap_or_default(),
        params: task_params,
        quality: task
            .quality
            .iter()
            .enumerate()
            .map(|(j, rule)| quality::rules(rule, &format!("{at}/quality/{j}"), spans, default_database))
            .collect::<Result<Vec<_>, Error>>()?
            .into_iter()
            .flatten()
            .collect(),
        kind,
    })
}

/// The type-specific fields of a raw task.
struct TaskFields {
    sql: Option<String>,
    default_database: Option<String>,
    operator: Option<String>,
    source: Option<RawSyncSource>,
    target: Option<RawSyncTarget>,
    speed: Option<RawSpeed>,
    error_limit: Option<RawErrorLimit>,
    application: Option<String>,
    main_class: Option<String>,
    args: Vec<String>,
    cube: Option<String>,
    project: Option<String>,
    build_type: Option<String>,
    wait_for: Option<RawWaitFor>,
    reads: Vec<String>,
    writes: Vec<String>,
}

fn missing(field: &str) -> Error {
    Error::Internal(format!("schema-valid task lacks `{field}`"))
}

fn task_kind(
    kind: &str,
    at: &str,
    flow: &FlowContext<'_>,
    conf: BTreeMap<String, String>,
    fields: TaskFields,
) -> Result<TaskKind, Error> {
    let spans = flow.spans;
    let flow_default_database = flow.default_database;
    Ok(match kind {
        "sparksql" => {
            let sql = fields.sql.ok_or_else(|| missing("sql"))?;
            TaskKind::SparkSql(SparkSqlTask {
                sql: spans.spanned(join_path(flow.folder, &sql), &format!("{at}/sql")),
                conf,
                default_database: fields.default_database.or_else(|| flow_default_database.cloned()),
                operator: match fields.operator.as_deref() {
                    Some("spark_submit") => SparkSqlOperator::SparkSubmit,
                    _ => SparkSqlOperator::SparkSql,
                },
            })
        }
        "sync" => TaskKind::Sync(Box::new(sync_task(
            at,
            spans,
            fields.source.ok_or_else(|| missing("source"))?,
            fields.target.ok_or_else(|| missing("target"))?,
            fields.speed,
            fields.error_limit,
        ))),
        "ml" => {
            let application = fields.application.ok_or_else(|| missing("application"))?;
            TaskKind::Ml(MlTask {
                application_file: (!application.contains("://") && !application.starts_with('/'))
                    .then(|| join_path(flow.folder, &application)),
                application: spans.spanned(application, &format!("{at}/application")),
                main_class: fields.main_class,
                args: fields.args,
                conf,
                reads: spans.tables(fields.reads, &format!("{at}/reads"), flow_default_database),
                writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
            })
        }
        "kylin" => TaskKind::Kylin(KylinTask {
            cube: fields.cube.ok_or_else(|| missing("cube"))?,
            project: fields.project.ok_or_else(|| missing("project"))?,
            build_type: fields.build_type.unwrap_or_else(|| "build".to_owned()),
            reads: spans.tables(fields.reads, &format!("{at}/reads"), flow_default_database),
            writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
        }),
        "trigger" => {
            let wait = fields.wait_for.ok_or_else(|| missing("wait_for"))?;
            TaskKind::Trigger(TriggerTask {
                poke_interval: duration(wait.poke_interval.as_deref()),
                timeout: duration(wait.timeout.as_deref()),
                wait_for: wait_for(wait, flow_default_database)?,
                writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
            })
        }
        other => return Err(Error::Internal(format!("schema-valid task has unknown type `{other}`"))),
    })
}

/// What a trigger task waits for.
fn wait_for(wait: RawWaitFor, default_database: Option<&String>) -> Result<WaitFor, Error> {
    Ok(match wait.kind.as_str() {
        "http" => WaitFor::Http {
            connection: wait.connection.ok_or_else(|| missing("wait_for.connection"))?,
            endpoint: wait.endpoint.ok_or_else(|| missing("wait_for.endpoint"))?,
        },
        "file" => WaitFor::File {
            path: wait.path.ok_or_else(|| missing("wait_for.path"))?,
        },
        "sftp" => WaitFor::Sftp {
            connection: wait.connection.ok_or_else(|| missing("wait_for.connection"))?,
            path: wait.path.ok_or_else(|| missing("wait_for.path"))?,
        },
        _ => WaitFor::Partition {
            table: TableName::new(&wait.table.ok_or_else(|| missing("wait_for.table"))?)
                .qualified_with(default_database.map(String::as_str)),
            partition: wait.partition.ok_or_else(|| missing("wait_for.partition"))?,
        },
    })
}

fn sync_task(
    at: &str,
    spans: &Spans<'_>,
    source: RawSyncSource,
    target: RawSyncTarget,
    speed: Option<RawSpeed>,
    error_limit: Option<RawErrorLimit>,
) -> SyncTask {
    let present = |pointer: &str| spans.root.pointer(pointer).map(|node| node.span);
    SyncTask {
        source: sync_source(source, &format!("{at}/source"), spans),
        target: sync_target(target, &format!("{at}/target"), spans),
        speed: speed.map_or_else(SyncSpeed::default, |s| SyncSpeed {
            span: present(&format!("{at}/speed")),
            channels: s.channels,
            bytes_per_second: s.bytes_per_second,
            records_per_second: s.records_per_second,
        }),
        error_limit: error_limit.map_or_else(ErrorLimit::default, |l| ErrorLimit {
            span: present(&format!("{at}/error_limit")),
            records: l.records,
            ratio: l.ratio,
        }),
    }
}

/// `source:` of a sync task, written at `src`.
fn sync_source(source: RawSyncSource, src: &str, spans: &Spans<'_>) -> SyncSource {
    let opt = |value: Option<String>, key: &str| value.map(|v| spans.spanned(v, &format!("{src}/{key}")));
    let columns = source
        .columns
        .into_iter()
        .enumerate()
        .map(|(i, column)| {
            let span = spans.at(&format!("{src}/columns/{i}"));
            match column {
                RawSyncColumn::Name(name) => SyncColumn {
                    name,
                    data_type: None,
                    format: None,
                    span,
                },
                RawSyncColumn::Typed {
                    name,
                    data_type,
                    format,
                } => SyncColumn {
                    name,
                    data_type,
                    format,
                    span,
                },
            }
        })
        .collect::<Vec<_>>();
    SyncSource {
        span: spans.at(src),
        connection: spans.spanned(source.connection, &format!("{src}/connection")),
        table: opt(source.table, "table"),
        query: opt(source.query, "query"),
        columns_span: spans.root.pointer(&format!("{src}/columns")).map(|node| node.span),
        columns,
        filter: opt(source.filter, "where"),
        split_key: opt(source.split_key, "split_key"),
        fetch_size: source
            .fetch_size
            .map(|v| spans.spanned(v, &format!("{src}/fetch_size"))),
        partition: opt(source.partition, "partition"),
        paths: source.path.map(|p| {
            let paths = match p {
                RawPaths::One(path) => vec![path],
                RawPaths::Many(paths) => paths,
            };
            spans.spanned(paths, &format!("{src}/path"))
        }),
        format: opt(source.format, "format"),
        field_delimiter: source.field_delimiter,
        skip_header: source.skip_header,
        encoding: source.encoding,
        compress: source.compress,
        null_format: source.null_format,
        column_family: opt(source.column_family, "column_family"),
        rowkey_range: source.rowkey_range.map(|r| {
            spans.spanned(
                RowkeyRange {
                    start: r.start,
                    end: r.end,
                    binary: r.binary,
                },
                &format!("{src}/rowkey_range"),
            )
        }),
    }
}

/// `target:` of a sync task, written at `dst`.
fn sync_target(target: RawSyncTarget, dst: &str, spans: &Spans<'_>) -> SyncTarget {
    let opt = |value: Option<String>, key: &str| value.map(|v| spans.spanned(v, &format!("{dst}/{key}")));
    SyncTarget {
        span: spans.at(dst),
        connection: opt(target.connection, "connection"),
        table: spans.spanned(target.table, &format!("{dst}/table")),
        partition: opt(target.partition, "partition"),
        write_mode: opt(target.write_mode, "write_mode"),
        columns_span: spans.root.pointer(&format!("{dst}/columns")).map(|node| node.span),
        columns: target
            .columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| spans.spanned(c, &format!("{dst}/columns/{i}")))
            .collect(),
        pre_sql: target.pre_sql,
        post_sql: target.post_sql,
        batch_size: target.batch_size,
    }
}

/// `folder/path`, lexically normalised; `..` is kept when it climbs above the root,
/// so the loader can refuse it.
fn join_path(folder: &str, path: &str) -> String {
    if path.starts_with('/') || path.contains('\\') || path.get(1..2) == Some(":") {
        return path.to_owned();
    }
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    let mut escaped = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    escaped.extend(parts);
    escaped.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_paths_are_joined_to_the_flow_folder() {
        assert_eq!(join_path("flows/pay", "load.sql"), "flows/pay/load.sql");
        assert_eq!(join_path("flows/pay", "./sql/load.sql"), "flows/pay/sql/load.sql");
        assert_eq!(join_path("flows/pay", "../common/x.sql"), "flows/common/x.sql");
        assert_eq!(join_path("", "./app.py"), "app.py");
        assert_eq!(join_path("flows/sales", "jobs/app.jar"), "flows/sales/jobs/app.jar");
        assert_eq!(join_path("flows/pay", "../../../etc/x.sql"), "../etc/x.sql");
        assert_eq!(join_path("flows/pay", "/etc/x.sql"), "/etc/x.sql");
    }
}
