//! Schema-valid YAML → typed model.
//!
//! The JSON Schema has already accepted the document, so the shapes here cannot fail;
//! a mismatch between schema and these types is a bug in flowc and is reported as
//! [`Error::Internal`]. Spans come from the YAML tree by JSON pointer.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::diagnostic::Span;
use crate::load::{Document, YamlNode};
use crate::model::{
    Access, AirflowSettings, AirflowVersion, Classification, Connection, ConnectionKind, Credentials, CrossFlowMode,
    DataxThrottle, Duration, Environment, ErrorLimit, Flow, FlowId, Grant, KylinTask, MlTask, ParamValue, Priority,
    PriorityLevel, Project, RowkeyRange, Schedule, ScheduleOverride, SourceTable, Spanned, SparkSqlOperator,
    SparkSqlTask, SyncColumn, SyncSource, SyncSpeed, SyncTarget, SyncTask, TableColumn, TableDeclaration, TableFormat,
    TableMetadata, TableName, TablePattern, Task, TaskId, TaskKind, Team, TriggerTask, WaitFor,
};
use crate::validate::quality::RawQualitySettings;

#[derive(Deserialize)]
struct RawProject {
    project: String,
    #[serde(default)]
    sql: RawSql,
    #[serde(default)]
    airflow: RawAirflow,
    environments: BTreeMap<String, RawEnvironment>,
    #[serde(default)]
    priorities: BTreeMap<Priority, RawPriorityLevel>,
    #[serde(default)]
    connections: BTreeMap<String, RawConnection>,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    teams: BTreeMap<String, RawTeam>,
    #[serde(default)]
    classifications: BTreeMap<String, RawClassification>,
    #[serde(default)]
    tables: Vec<RawTableMetadata>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    quality: RawQualitySettings,
}

#[derive(Deserialize)]
struct RawClassification {
    #[serde(default = "yes")]
    requires_grant: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct RawTableMetadata {
    #[serde(rename = "match")]
    tables: String,
    owner: Option<String>,
    #[serde(default)]
    classifications: Vec<String>,
}

#[derive(Deserialize)]
struct RawGrant {
    read: Option<String>,
    write: Option<String>,
    #[serde(default)]
    classifications: Vec<String>,
}

#[derive(Default, Deserialize)]
struct RawSql {
    default_database: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawAirflow {
    version: Option<AirflowVersion>,
    spark_sql_conn_id: Option<String>,
    spark_conn_id: Option<String>,
    kylin_conn_id: Option<String>,
    metastore_conn_id: Option<String>,
    fs_conn_id: Option<String>,
    datax_command: Option<String>,
    datax_job_root: Option<String>,
    sql_runner: Option<String>,
    #[serde(default)]
    sensor: RawSensor,
    cross_flow: Option<CrossFlowMode>,
}

#[derive(Default, Deserialize)]
struct RawSensor {
    poke_interval: Option<String>,
    timeout: Option<String>,
}

impl RawAirflow {
    fn settings(self) -> AirflowSettings {
        let default = AirflowSettings::default();
        AirflowSettings {
            version: self.version.unwrap_or(default.version),
            spark_sql_conn_id: self.spark_sql_conn_id.unwrap_or(default.spark_sql_conn_id),
            spark_conn_id: self.spark_conn_id.unwrap_or(default.spark_conn_id),
            kylin_conn_id: self.kylin_conn_id.unwrap_or(default.kylin_conn_id),
            metastore_conn_id: self.metastore_conn_id.unwrap_or(default.metastore_conn_id),
            fs_conn_id: self.fs_conn_id.unwrap_or(default.fs_conn_id),
            datax_command: self.datax_command.unwrap_or(default.datax_command),
            datax_job_root: self.datax_job_root.unwrap_or(default.datax_job_root),
            sql_runner: self.sql_runner,
            poke_interval: duration(self.sensor.poke_interval.as_deref()).unwrap_or(default.poke_interval),
            sensor_timeout: duration(self.sensor.timeout.as_deref()).unwrap_or(default.sensor_timeout),
            cross_flow: self.cross_flow.unwrap_or(default.cross_flow),
        }
    }
}

fn duration(text: Option<&str>) -> Option<Duration> {
    text.and_then(Duration::parse)
}

#[derive(Deserialize)]
struct RawEnvironment {
    #[serde(default)]
    dag_prefix: String,
    #[serde(default)]
    databases: BTreeMap<String, String>,
    #[serde(default)]
    connections: BTreeMap<String, String>,
    #[serde(default)]
    airflow_connections: BTreeMap<String, String>,
    #[serde(default)]
    pool_slots: BTreeMap<Priority, u32>,
    #[serde(default)]
    schedule: Option<String>,
    #[serde(default)]
    queues: BTreeMap<String, String>,
    #[serde(default)]
    yarn_queues: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawPriorityLevel {
    pool: Option<String>,
    pool_slots: Option<u32>,
    weight: Option<u32>,
    weight_rule: Option<String>,
    yarn_queue: Option<String>,
    queue: Option<String>,
    datax: Option<RawDatax>,
}

#[derive(Deserialize)]
struct RawDatax {
    channels: Option<u32>,
    bytes_per_second: Option<u64>,
}

#[derive(Deserialize)]
struct RawConnection {
    #[serde(rename = "type")]
    kind: String,
    airflow_conn_id: Option<String>,
    password_env: Option<String>,
    username_env: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    database: Option<String>,
    jdbc_url: Option<String>,
    username: Option<String>,
    cluster: Option<String>,
    tenant: Option<String>,
    zookeeper_quorum: Option<String>,
    znode_parent: Option<String>,
    reader: Option<String>,
    query_server: Option<String>,
    default_fs: Option<String>,
    warehouse_dir: Option<String>,
    #[serde(default)]
    hadoop_config: BTreeMap<String, Value>,
    kerberos: Option<RawKerberos>,
}

#[derive(Deserialize)]
struct RawKerberos {
    principal: String,
    keytab: String,
}

impl RawConnection {
    fn connection(self, name: &str, span: crate::diagnostic::Span) -> Result<Connection, Error> {
        let kind = ConnectionKind::parse(&self.kind)
            .ok_or_else(|| Error::Internal(format!("schema-valid connection has unknown type `{}`", self.kind)))?;
        let mut connection = Connection::new(name, kind, span);
        connection.conflicting_credentials = self.airflow_conn_id.is_some() && self.password_env.is_some();
        connection.credentials = match (self.airflow_conn_id, self.password_env) {
            (Some(id), _) => Credentials::AirflowConnection(id),
            (None, Some(variable)) => Credentials::Environment { password: variable },
            (None, None) => Credentials::None,
        };
        connection.username_env = self.username_env;
        connection.host = self.host;
        connection.port = self.port;
        connection.database = self.database;
        connection.jdbc_url = self.jdbc_url;
        connection.username = self.username;
        connection.oceanbase_tenant = self.cluster.zip(self.tenant);
        connection.zookeeper_quorum = self.zookeeper_quorum;
        connection.znode_parent = self.znode_parent;
        connection.hbase_reader = self.reader;
        connection.query_server = self.query_server;
        connection.default_fs = self.default_fs;
        connection.warehouse_dir = self.warehouse_dir;
        connection.hadoop_config = self.hadoop_config;
        connection.kerberos = self.kerberos.map(|k| (k.principal, k.keytab));
        Ok(connection)
    }
}

#[derive(Deserialize)]
struct RawSource {
    table: String,
}

#[derive(Deserialize)]
struct RawTeam {
    github: Option<String>,
    #[serde(default)]
    platform: bool,
    grants: Option<Vec<RawGrant>>,
}

#[derive(Deserialize)]
struct RawFlow {
    name: String,
    owner: String,
    description: Option<String>,
    schedule: String,
    start_date: Option<String>,
    priority: Option<Priority>,
    #[serde(default)]
    tags: Vec<String>,
    default_database: Option<String>,
    max_active_runs: Option<u32>,
    max_active_tasks: Option<u32>,
    #[serde(default)]
    catchup: bool,
    cross_flow: Option<CrossFlowMode>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    tasks: Vec<RawTask>,
    #[serde(default)]
    tables: Vec<RawTable>,
}

#[derive(Deserialize)]
struct RawTable {
    name: String,
    description: Option<String>,
    format: Option<String>,
    field_delimiter: Option<String>,
    location: Option<String>,
    #[serde(default)]
    partitioned_by: Vec<String>,
    columns: Vec<RawTableColumn>,
}

#[derive(Deserialize)]
struct RawTableColumn {
    name: String,
    #[serde(rename = "type")]
    hive_type: String,
}

#[derive(Default, Deserialize)]
struct RawDefaults {
    retries: Option<u32>,
    retry_delay: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    conf: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct RawTask {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    description: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    priority: Option<Priority>,
    retries: Option<u32>,
    retry_delay: Option<String>,
    timeout: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    quality: Vec<Value>,
    // sparksql
    sql: Option<String>,
    #[serde(default)]
    conf: BTreeMap<String, Value>,
    default_database: Option<String>,
    operator: Option<String>,
    // sync
    source: Option<RawSyncSource>,
    target: Option<RawSyncTarget>,
    speed: Option<RawSpeed>,
    error_limit: Option<RawErrorLimit>,
    // ml
    application: Option<String>,
    main_class: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    // kylin
    cube: Option<String>,
    project: Option<String>,
    build_type: Option<String>,
    // trigger
    wait_for: Option<RawWaitFor>,
    // ml, kylin, trigger
    #[serde(default)]
    reads: Vec<String>,
    #[serde(default)]
    writes: Vec<String>,
}

#[derive(Deserialize)]
struct RawSyncSource {
    connection: String,
    table: Option<String>,
    query: Option<String>,
    #[serde(default)]
    columns: Vec<RawSyncColumn>,
    #[serde(rename = "where")]
    filter: Option<String>,
    split_key: Option<String>,
    fetch_size: Option<u32>,
    partition: Option<String>,
    path: Option<RawPaths>,
    format: Option<String>,
    field_delimiter: Option<String>,
    #[serde(default)]
    skip_header: bool,
    encoding: Option<String>,
    compress: Option<String>,
    null_format: Option<String>,
    column_family: Option<String>,
    rowkey_range: Option<RawRowkeyRange>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawSyncColumn {
    Name(String),
    Typed {
        name: String,
        #[serde(rename = "type")]
        data_type: Option<String>,
        format: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPaths {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawRowkeyRange {
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    binary: bool,
}

#[derive(Deserialize)]
struct RawSyncTarget {
    connection: Option<String>,
    table: String,
    partition: Option<String>,
    write_mode: Option<String>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    pre_sql: Vec<String>,
    #[serde(default)]
    post_sql: Vec<String>,
    batch_size: Option<u32>,
}

#[derive(Deserialize)]
struct RawSpeed {
    channels: Option<u32>,
    bytes_per_second: Option<u64>,
    records_per_second: Option<u64>,
}

#[derive(Deserialize)]
struct RawErrorLimit {
    records: Option<u64>,
    ratio: Option<f64>,
}

#[derive(Deserialize)]
struct RawWaitFor {
    kind: String,
    endpoint: Option<String>,
    connection: Option<String>,
    path: Option<String>,
    table: Option<String>,
    partition: Option<String>,
    poke_interval: Option<String>,
    timeout: Option<String>,
}

fn from_json<T: DeserializeOwned>(document: &Document) -> Result<T, Error> {
    serde_json::from_value(document.root.to_json())
        .map_err(|e| Error::Internal(format!("a schema-valid document does not fit the model: {e}")))
}

/// A scalar parameter value as the text it stands for in SQL.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn params(raw: BTreeMap<String, Value>) -> BTreeMap<String, ParamValue> {
    raw.into_iter().map(|(k, v)| (k, ParamValue::from_json(&v))).collect()
}

fn conf(raw: BTreeMap<String, Value>) -> BTreeMap<String, String> {
    raw.into_iter().map(|(k, v)| (k, param_text(&v))).collect()
}

/// Looks up spans in one document.
pub(super) struct Spans<'a> {
    pub(super) root: &'a YamlNode,
}

impl Spans<'_> {
    pub(super) fn at(&self, pointer: &str) -> crate::diagnostic::Span {
        self.root.pointer(pointer).map_or(self.root.span, |node| node.span)
    }

    /// The span of the key of the value at `pointer` (the value's own span when the
    /// pointer names no mapping entry).
    pub(super) fn key_span(&self, pointer: &str) -> crate::diagnostic::Span {
        let Some((parent, key)) = pointer.rsplit_once('/') else {
            return self.at(pointer);
        };
        let parent = if parent.is_empty() {
            Some(self.root)
        } else {
            self.root.pointer(parent)
        };
        parent
            .and_then(|node| node.entry(key))
            .map_or_else(|| self.at(pointer), |entry| entry.key_span)
    }

    pub(super) fn spanned<T>(&self, value: T, pointer: &str) -> Spanned<T> {
        Spanned {
            value,
            span: self.at(pointer),
        }
    }

    fn tables(&self, names: Vec<String>, pointer: &str, database: Option<&String>) -> Vec<Spanned<TableName>> {
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let table = TableName::new(&name).qualified_with(database.map(String::as_str));
                self.spanned(table, &format!("{pointer}/{i}"))
            })
            .collect()
    }
}

/// Builds the project model from a schema-valid `flowc.yaml`.
pub(super) fn project(document: &Document) -> Result<Project, Error> {
    let raw: RawProject = from_json(document)?;
    let spans = Spans { root: &document.root };
    let priorities = Priority::ALL
        .into_iter()
        .map(|priority| {
            let mut level = PriorityLevel::default_for(priority);
            if let Some(set) = raw.priorities.get(&priority) {
                level.pool = set.pool.clone().unwrap_or(level.pool);
                level.pool_slots = set.pool_slots.unwrap_or(level.pool_slots);
                level.weight = set.weight.unwrap_or(level.weight);
                level.weight_rule = set.weight_rule.clone().unwrap_or(level.weight_rule);
                level.yarn_queue = set.yarn_queue.clone().unwrap_or(level.yarn_queue);
                level.queue = set.queue.clone().or(level.queue);
                if let Some(datax) = &set.datax {
                    level.datax = DataxThrottle {
                        channels: datax.channels.unwrap_or(level.datax.channels),
                        bytes_per_second: datax.bytes_per_second.unwrap_or(level.datax.bytes_per_second),
                    };
                }
            }
            (priority, level)
        })
        .collect();
    let mut sources: Vec<SourceTable> = raw
        .sources
        .into_iter()
        .enumerate()
        .map(|(i, s)| SourceTable {
            table: TableName::new(&s.table).qualified_with(raw.sql.default_database.as_deref()),
            span: spans.at(&format!("/sources/{i}/table")),
        })
        .collect();
    sources.sort_by(|a, b| a.table.cmp(&b.table).then(a.span.cmp(&b.span)));
    let teams_entry = spans.root.entry("teams");
    let quality = super::quality::settings(&raw.quality, &spans, raw.sql.default_database.as_deref())?;
    Ok(Project {
        file: document.file,
        name: raw.project,
        default_database: raw.sql.default_database,
        airflow: raw.airflow.settings(),
        environments: raw
            .environments
            .into_iter()
            .map(|(name, env)| {
                let at = format!("/environments/{name}");
                let spanned = |map: BTreeMap<String, String>, key: &str, lower: bool| {
                    map.into_iter()
                        .map(|(from, to)| {
                            let span = spans.at(&format!("{at}/{key}/{from}"));
                            let (from, to) = if lower {
                                (from.to_lowercase(), to.to_lowercase())
                            } else {
                                (from, to)
                            };
                            (from, Spanned { value: to, span })
                        })
                        .collect()
                };
                let environment = Environment {
                    databases: spanned(env.databases, "databases", true),
                    connections: spanned(env.connections, "connections", false),
                    dag_prefix: env.dag_prefix,
                    airflow_connections: env.airflow_connections,
                    pool_slots: env.pool_slots,
                    schedule: match env.schedule.as_deref() {
                        Some("paused") => ScheduleOverride::Paused,
                        Some("manual") => ScheduleOverride::Manual,
                        _ => ScheduleOverride::AsWritten,
                    },
                    queues: env.queues,
                    yarn_queues: env.yarn_queues,
                    ..Environment::as_written(&name, spans.key_span(&at))
                };
                (name, environment)
            })
            .collect(),
        priorities,
        connections: raw
            .connections
            .into_iter()
            .map(|(name, c)| {
                let span = spans
                    .root
                    .entry("connections")
                    .and_then(|e| e.value.entry(&name))
                    .map_or(spans.root.span, |e| e.key_span);
                Ok((name.clone(), c.connection(&name, span)?))
            })
            .collect::<Result<_, Error>>()?,
        sources,
        teams: raw
            .teams
            .into_iter()
            .map(|(name, t)| {
                let span = teams_entry
                    .and_then(|e| e.value.entry(&name))
                    .map_or(spans.root.span, |e| e.key_span);
                (
                    name.clone(),
                    Team {
                        grants: t.grants.map(|grants| {
                            grants
                                .into_iter()
                                .enumerate()
                                .map(|(i, g)| {
                                    let at = format!("/teams/{name}/grants/{i}");
                                    let (access, pattern) = match (g.read, g.write) {
                                        (_, Some(write)) => (Access::Write, write),
                                        (Some(read), None) => (Access::Read, read),
                                        (None, None) => (Access::Read, String::new()),
                                    };
                                    Grant {
                                        access,
                                        tables: TablePattern::new(&pattern),
                                        classifications: g
                                            .classifications
                                            .into_iter()
                                            .enumerate()
                                            .map(|(j, c)| spans.spanned(c, &format!("{at}/classifications/{j}")))
                                            .collect(),
                                        span: spans.at(&format!("{at}/{}", access.as_str())),
                                    }
                                })
                                .collect()
                        }),
                        name,
                        span,
                        github: t.github,
                        platform: t.platform,
                    },
                )
            })
            .collect(),
        teams_span: teams_entry.map_or(Span::file_start(document.file), |e| e.key_span),
        classifications: raw
            .classifications
            .into_iter()
            .map(|(name, c)| {
                let classification = Classification {
                    span: spans.key_span(&format!("/classifications/{name}")),
                    name: name.clone(),
                    requires_grant: c.requires_grant,
                };
                (name, classification)
            })
            .collect(),
        table_metadata: raw
            .tables
            .into_iter()
            .enumerate()
            .map(|(i, t)| TableMetadata {
                tables: TablePattern::new(&t.tables),
                owner: t.owner.map(|owner| spans.spanned(owner, &format!("/tables/{i}/owner"))),
                classifications: t
                    .classifications
                    .into_iter()
                    .enumerate()
                    .map(|(j, c)| spans.spanned(c, &format!("/tables/{i}/classifications/{j}")))
                    .collect(),
                span: spans.at(&format!("/tables/{i}/match")),
            })
            .collect(),
        params: params(raw.params),
        quality,
    })
}

/// Builds one flow from a schema-valid `flow.yaml` in `folder` (repository-relative).
pub(super) fn flow(document: &Document, folder: &str, project: &Project) -> Result<Flow, Error> {
    let raw: RawFlow = from_json(document)?;
    let spans = Spans { root: &document.root };
    let id = FlowId::new(raw.name.clone());
    let schedule = match raw.schedule.as_str() {
        "none" => Schedule::Triggered,
        preset if preset.starts_with('@') => Schedule::Preset(preset.to_owned()),
        cron => Schedule::Cron(cron.split_whitespace().collect::<Vec<_>>().join(" ")),
    };
    let flow_priority = raw.priority.unwrap_or(Priority::Normal);
    let flow_default_database = raw
        .default_database
        .clone()
        .or_else(|| project.default_database.clone());
    let mut flow_params = project.params.clone();
    flow_params.extend(params(raw.params));
    let defaults = raw.defaults;
    let default_conf = conf(defaults.conf);
    let tasks = raw
        .tasks
        .into_iter()
        .enumerate()
        .map(|(i, task)| {
            let at = format!("/tasks/{i}");
            let mut task_params = flow_params.clone();
            task_params.extend(params(task.params));
            let mut task_conf = default_conf.clone();
            task_conf.extend(conf(task.conf));
            let kind = task_kind(
                task.kind.as_str(),
                &at,
                &spans,
                folder,
                task_conf,
                flow_default_database.as_ref(),
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
            Ok(Task {
                id: TaskId::new(id.clone(), task.name),
                name_span: spans.at(&format!("{at}/name")),
                description: task.description,
                depends_on: task
                    .depends_on
                    .into_iter()
                    .enumerate()
                    .map(|(j, d)| spans.spanned(d, &format!("{at}/depends_on/{j}")))
                    .collect(),
                priority: task.priority.unwrap_or(flow_priority),
                retries: task.retries.or(defaults.retries),
                retry_delay: task
                    .retry_delay
                    .or_else(|| defaults.retry_delay.clone())
                    .as_deref()
                    .and_then(Duration::parse),
                timeout: task
                    .timeout
                    .or_else(|| defaults.timeout.clone())
                    .as_deref()
                    .and_then(Duration::parse),
                params: task_params,
                quality: task
                    .quality
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        super::quality::rule(
                            rule,
                            &format!("{at}/quality/{j}"),
                            &spans,
                            flow_default_database.as_deref(),
                        )
                    })
                    .collect::<Result<_, Error>>()?,
                kind,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let tables = tables(raw.tables, &spans, flow_default_database.as_deref());
    Ok(Flow {
        id,
        file: document.file,
        folder: folder.to_owned(),
        name_span: spans.at("/name"),
        owner: spans.spanned(raw.owner, "/owner"),
        description: raw.description,
        schedule: spans.spanned(schedule, "/schedule"),
        start_date: raw.start_date,
        priority: flow_priority,
        tags: raw.tags,
        default_database: flow_default_database,
        max_active_runs: raw.max_active_runs,
        max_active_tasks: raw.max_active_tasks,
        catchup: raw.catchup,
        cross_flow: raw.cross_flow.unwrap_or(project.airflow.cross_flow),
        params: flow_params,
        tasks,
        tables,
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
    spans: &Spans<'_>,
    folder: &str,
    conf: BTreeMap<String, String>,
    flow_default_database: Option<&String>,
    fields: TaskFields,
) -> Result<TaskKind, Error> {
    Ok(match kind {
        "sparksql" => {
            let sql = fields.sql.ok_or_else(|| missing("sql"))?;
            TaskKind::SparkSql(SparkSqlTask {
                sql: spans.spanned(join_path(folder, &sql), &format!("{at}/sql")),
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
        "ml" => TaskKind::Ml(MlTask {
            application: fields.application.ok_or_else(|| missing("application"))?,
            main_class: fields.main_class,
            args: fields.args,
            conf,
            reads: spans.tables(fields.reads, &format!("{at}/reads"), flow_default_database),
            writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
        }),
        "kylin" => TaskKind::Kylin(KylinTask {
            cube: fields.cube.ok_or_else(|| missing("cube"))?,
            project: fields.project.ok_or_else(|| missing("project"))?,
            build_type: fields.build_type.unwrap_or_else(|| "build".to_owned()),
            reads: spans.tables(fields.reads, &format!("{at}/reads"), flow_default_database),
            writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
        }),
        "trigger" => {
            let wait = fields.wait_for.ok_or_else(|| missing("wait_for"))?;
            let poke_interval = duration(wait.poke_interval.as_deref());
            let timeout = duration(wait.timeout.as_deref());
            let wait_for = match wait.kind.as_str() {
                "http" => WaitFor::Http {
                    connection: wait.connection.ok_or_else(|| missing("wait_for.connection"))?,
                    endpoint: wait.endpoint.ok_or_else(|| missing("wait_for.endpoint"))?,
                },
                "file" => WaitFor::File {
                    path: wait.path.ok_or_else(|| missing("wait_for.path"))?,
                },
                _ => WaitFor::Partition {
                    table: TableName::new(&wait.table.ok_or_else(|| missing("wait_for.table"))?)
                        .qualified_with(flow_default_database.map(String::as_str)),
                    partition: wait.partition.ok_or_else(|| missing("wait_for.partition"))?,
                },
            };
            TaskKind::Trigger(TriggerTask {
                wait_for,
                poke_interval,
                timeout,
                writes: spans.tables(fields.writes, &format!("{at}/writes"), flow_default_database),
            })
        }
        other => return Err(Error::Internal(format!("schema-valid task has unknown type `{other}`"))),
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
    let src = format!("{at}/source");
    let dst = format!("{at}/target");
    let opt = |value: Option<String>, key: &str, base: &str| value.map(|v| spans.spanned(v, &format!("{base}/{key}")));
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
    let present = |pointer: &str| spans.root.pointer(pointer).map(|node| node.span);
    SyncTask {
        source: SyncSource {
            span: spans.at(&src),
            connection: spans.spanned(source.connection, &format!("{src}/connection")),
            table: opt(source.table, "table", &src),
            query: opt(source.query, "query", &src),
            columns_span: present(&format!("{src}/columns")),
            columns,
            filter: opt(source.filter, "where", &src),
            split_key: opt(source.split_key, "split_key", &src),
            fetch_size: source
                .fetch_size
                .map(|v| spans.spanned(v, &format!("{src}/fetch_size"))),
            partition: opt(source.partition, "partition", &src),
            paths: source.path.map(|p| {
                let paths = match p {
                    RawPaths::One(path) => vec![path],
                    RawPaths::Many(paths) => paths,
                };
                spans.spanned(paths, &format!("{src}/path"))
            }),
            format: opt(source.format, "format", &src),
            field_delimiter: source.field_delimiter,
            skip_header: source.skip_header,
            encoding: source.encoding,
            compress: source.compress,
            null_format: source.null_format,
            column_family: opt(source.column_family, "column_family", &src),
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
        },
        target: SyncTarget {
            span: spans.at(&dst),
            connection: opt(target.connection, "connection", &dst),
            table: spans.spanned(target.table, &format!("{dst}/table")),
            partition: opt(target.partition, "partition", &dst),
            write_mode: opt(target.write_mode, "write_mode", &dst),
            columns_span: present(&format!("{dst}/columns")),
            columns: target
                .columns
                .into_iter()
                .enumerate()
                .map(|(i, c)| spans.spanned(c, &format!("{dst}/columns/{i}")))
                .collect(),
            pre_sql: target.pre_sql,
            post_sql: target.post_sql,
            batch_size: target.batch_size,
        },
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

/// The tables a flow declares.
fn tables(raw: Vec<RawTable>, spans: &Spans<'_>, default_database: Option<&str>) -> Vec<TableDeclaration> {
    raw.into_iter()
        .enumerate()
        .map(|(i, table)| {
            let at = format!("/tables/{i}");
            let format = match table.format.as_deref() {
                Some("parquet") => TableFormat::Parquet,
                Some("text") => TableFormat::Text,
                _ => TableFormat::Orc,
            };
            TableDeclaration {
                name: spans.spanned(
                    TableName::new(&table.name).qualified_with(default_database),
                    &format!("{at}/name"),
                ),
                description: table.description,
                format,
                field_delimiter: table.field_delimiter.unwrap_or_else(|| "\u{1}".to_owned()),
                location: table.location,
                partitioned_by: table.partitioned_by.iter().map(|p| p.to_lowercase()).collect(),
                partitioned_by_span: spans
                    .root
                    .pointer(&format!("{at}/partitioned_by"))
                    .map_or_else(|| spans.at(&format!("{at}/name")), |node| node.span),
                columns: table
                    .columns
                    .into_iter()
                    .enumerate()
                    .map(|(j, c)| TableColumn {
                        name: c.name.to_lowercase(),
                        hive_type: c.hive_type.to_lowercase().split_whitespace().collect::<String>(),
                        span: spans.at(&format!("{at}/columns/{j}/type")),
                    })
                    .collect(),
            }
        })
        .collect()
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
        assert_eq!(join_path("flows/pay", "../../../etc/x.sql"), "../etc/x.sql");
        assert_eq!(join_path("flows/pay", "/etc/x.sql"), "/etc/x.sql");
    }
}
