//! Stage 3b, analyse syncs: a `sync` task → the DataX job it runs and its lineage.
//!
//! Input: one sync task of a valid [`Repository`]. Each side is resolved against its
//! connection (which DataX plugin, which parameters apply) and the warehouse tables
//! flows declare; then columns are matched (count, types, partitions), throttling is
//! capped by the task's priority level and `${name}` parameters are substituted.
//! Output: a [`DataxJob`], a plain value the DataX templates lay out, with the tables
//! read and written, or every problem found. Pure: no I/O.

pub mod types;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlparser::ast::{SelectItem, SetExpr, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{
    Connection, ConnectionKind, Credentials, Environment, Flow, Project, Repository, Spanned, SyncColumn, SyncTask,
    TableDeclaration, TableFormat, TableName, Task,
};
use crate::sql::TableRef;
use types::ValueKind;

/// Business-date variables DataX fills in at run time (`datax.py -p "-Dbizdate=…"`).
pub const RUNTIME_VARIABLES: &[&str] = &["bizdate", "bizdate_nodash"];

/// A column of a reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReaderColumn {
    /// Name (JDBC, HBase) or `None` for positional file columns.
    pub name: Option<String>,
    /// Position in a file (sftp, hdfs).
    pub index: Option<usize>,
    /// DataX type (files, HBase).
    #[serde(rename = "type")]
    pub data_type: Option<String>,
    /// Date pattern.
    pub format: Option<String>,
}

/// Kerberos login of an HDFS client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kerberos {
    /// Principal.
    pub principal: String,
    /// Keytab path on the workers.
    pub keytab: String,
}

/// The reader of a job: plugin name and every parameter any reader template uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reader {
    /// DataX plugin, e.g. `oraclereader`.
    pub plugin: &'static str,
    /// User name or its `${env:…}` placeholder.
    pub username: Option<String>,
    /// `${env:…}` placeholder of the password.
    pub password: Option<String>,
    /// JDBC URLs.
    pub jdbc_urls: Vec<String>,
    /// Tables (JDBC) or the table (HBase, Phoenix).
    pub tables: Vec<String>,
    /// Query instead of tables.
    pub query: Option<String>,
    /// Columns.
    pub columns: Vec<ReaderColumn>,
    /// Filter.
    #[serde(rename = "where")]
    pub filter: Option<String>,
    /// Split key.
    pub split_pk: Option<String>,
    /// Rows per fetch.
    pub fetch_size: Option<u32>,
    /// `sftp`.
    pub protocol: Option<String>,
    /// SFTP host.
    pub host: Option<String>,
    /// SFTP port.
    pub port: Option<u16>,
    /// File paths.
    pub paths: Vec<String>,
    /// File type (hdfsreader) or `csv`/`text` (ftpreader).
    pub file_type: Option<String>,
    /// Field separator.
    pub field_delimiter: Option<String>,
    /// File encoding.
    pub encoding: Option<String>,
    /// Skip a header line.
    pub skip_header: bool,
    /// Compression.
    pub compress: Option<String>,
    /// NULL text.
    pub null_format: Option<String>,
    /// HBase client settings.
    pub hbase_config: BTreeMap<String, String>,
    /// HBase row-key range: start, end, binary.
    pub range: Option<(String, String, bool)>,
    /// Phoenix query server.
    pub query_server: Option<String>,
    /// NameNode.
    pub default_fs: Option<String>,
    /// Extra Hadoop settings.
    pub hadoop_config: BTreeMap<String, serde_json::Value>,
    /// Kerberos login.
    pub kerberos: Option<Kerberos>,
}

/// A column of an hdfswriter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriterColumn {
    /// Name.
    pub name: String,
    /// Hive type as hdfswriter names it.
    #[serde(rename = "type")]
    pub data_type: String,
}

/// The writer of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Writer {
    /// DataX plugin, e.g. `hdfswriter`.
    pub plugin: &'static str,
    /// NameNode.
    pub default_fs: Option<String>,
    /// `orc`, `parquet` or `text`.
    pub file_type: Option<String>,
    /// Directory written (with the partition directory).
    pub path: Option<String>,
    /// File name prefix.
    pub file_name: Option<String>,
    /// Columns with types (hdfswriter).
    pub columns: Vec<WriterColumn>,
    /// Column names (mysqlwriter).
    pub column_names: Vec<String>,
    /// DataX write mode.
    pub write_mode: String,
    /// Field separator.
    pub field_delimiter: Option<String>,
    /// Compression.
    pub compress: Option<String>,
    /// Extra Hadoop settings.
    pub hadoop_config: BTreeMap<String, serde_json::Value>,
    /// Kerberos login.
    pub kerberos: Option<Kerberos>,
    /// User name or its placeholder.
    pub username: Option<String>,
    /// Password placeholder.
    pub password: Option<String>,
    /// JDBC URL (a single string for mysqlwriter).
    pub jdbc_url: Option<String>,
    /// Tables.
    pub tables: Vec<String>,
    /// Statements before writing.
    pub pre_sql: Vec<String>,
    /// Statements after writing.
    pub post_sql: Vec<String>,
    /// Rows per batch.
    pub batch_size: Option<u32>,
}

/// `job.setting` and the per-channel core limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobSetting {
    /// Channels.
    pub channel: u32,
    /// Bytes per second of the whole job.
    pub byte: Option<u64>,
    /// Records per second of the whole job.
    pub record: Option<u64>,
    /// Bytes per second of one channel (`core.transport.channel.speed.byte`).
    pub byte_per_channel: Option<u64>,
    /// Records per second of one channel.
    pub record_per_channel: Option<u64>,
    /// Dirty records tolerated.
    pub error_records: Option<u64>,
    /// Dirty-record ratio tolerated, as decimal text (`0.02`).
    pub error_ratio: Option<String>,
}

/// Where a credential placeholder's value comes from at run time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CredentialSource {
    /// A field (`login`, `password`) of an Airflow connection, passed in the task's env.
    AirflowConnection {
        /// Connection id.
        conn_id: String,
        /// `login` or `password`.
        field: String,
    },
    /// A variable already set on the workers.
    Worker,
}

/// One environment variable a job's placeholders need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CredentialVariable {
    /// The variable name, as in `${env:NAME}`.
    pub variable: String,
    /// Where its value comes from.
    pub source: CredentialSource,
}

/// One source column feeding one target column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnLineage {
    /// `<source table>.<column>`.
    pub from: String,
    /// `<target table>.<column>`.
    pub to: String,
}

/// What a sync task does, resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataxJob {
    /// Job settings.
    pub setting: JobSetting,
    /// The reader.
    pub reader: Reader,
    /// The writer.
    pub writer: Writer,
    /// Variables the job's placeholders need at run time.
    pub credentials: Vec<CredentialVariable>,
    /// Warehouse tables read (hive sources).
    #[serde(skip)]
    pub reads: Vec<TableRef>,
    /// Warehouse tables written (hive targets).
    #[serde(skip)]
    pub writes: Vec<TableRef>,
    /// Tables of other systems read, `<connection>.<schema>.<table>`.
    #[serde(skip)]
    pub external_reads: Vec<TableName>,
    /// Tables of other systems written.
    #[serde(skip)]
    pub external_writes: Vec<TableName>,
    /// Column mapping, when columns are listed.
    pub columns: Vec<ColumnLineage>,
}

/// The two sides' columns: name and what they hold, when known.
struct SideColumns {
    names: Vec<String>,
    kinds: Vec<Option<(ValueKind, Span)>>,
    span: Span,
}

/// Collects problems while resolving.
struct Resolver<'a> {
    repository: &'a Repository,
    /// The project as the environment runs it (connections replaced).
    project: &'a Project,
    /// The environment rendered for; `None` when checking (the repository as written).
    environment: Option<&'a Environment>,
    flow: &'a Flow,
    task: &'a Task,
    sync: &'a SyncTask,
    found: Vec<Diagnostic>,
}

/// Resolves one sync task as written; `Err` carries every problem found (warnings
/// included alongside a plan in `Ok`).
pub fn resolve(
    repository: &Repository,
    flow: &Flow,
    task: &Task,
    sync: &SyncTask,
) -> (Option<DataxJob>, Vec<Diagnostic>) {
    resolve_in(repository, &repository.project, None, flow, task, sync)
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
    let plan = resolver.plan();
    let has_errors = resolver.found.iter().any(Diagnostic::is_error);
    (plan.filter(|_| !has_errors), resolver.found)
}

fn misconfigured(
    message: impl Into<String>,
    span: Span,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(Code::SyncMisconfigured, message)
        .at(span)
        .with_label(label)
        .with_help(help)
}

/// The placeholder of the environment's name in a table's `location`.
pub const ENV_PLACEHOLDER: &str = "${env}";

/// The environment variable a connection's credential is passed in.
fn credential_variable(connection: &str, field: &str) -> String {
    format!(
        "FLOWC_{}_{}",
        connection.to_ascii_uppercase(),
        field.to_ascii_uppercase()
    )
}

/// A name for a file source: the last path segment that still has a name once
/// placeholders, wildcards and extensions are removed.
fn file_stem(path: &str) -> String {
    let cleaned = |segment: &str| -> String {
        let mut stem = String::new();
        let mut rest = segment;
        while let Some(start) = rest.find("${") {
            stem.push_str(&rest[..start]);
            rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
        }
        stem.push_str(rest);
        let stem = stem.split('.').next().unwrap_or_default();
        let name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        name.trim_matches('_').to_owned()
    };
    let name = path
        .split('/')
        .rev()
        .map(cleaned)
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "files".to_owned());
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{name}")
    } else {
        name
    }
}

impl<'a> Resolver<'a> {
    /// A warehouse table's name in the environment rendered for.
    fn mapped(&self, name: &TableName) -> TableName {
        self.environment
            .map_or_else(|| name.clone(), |environment| environment.table(name))
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.found.push(diagnostic);
    }

    fn connection(&mut self, name: &Spanned<String>) -> Option<&Connection> {
        let connection = self.project.connections.get(&name.value);
        if connection.is_none() {
            let known = self.project.connections.keys().map(String::as_str);
            self.found.push(
                Diagnostic::error(Code::UnknownConnection, format!("unknown connection `{}`", name.value))
                    .at(name.span)
                    .with_label("not declared under `connections:` in flowc.yaml")
                    .with_help(
                        did_you_mean(&name.value, known)
                            .unwrap_or_else(|| "declare it under `connections:` in flowc.yaml".to_owned()),
                    ),
            );
        }
        connection
    }

    /// The connection a target writes through: named, or the project's only hive one.
    fn target_connection(&mut self) -> Option<&Connection> {
        if let Some(name) = &self.sync.target.connection {
            return self.connection(name);
        }
        let hives: Vec<&Connection> = self
            .project
            .connections
            .values()
            .filter(|c| c.kind == ConnectionKind::Hive)
            .collect();
        match hives.as_slice() {
            [only] => Some(only),
            [] => {
                self.found.push(misconfigured(
                    "no hive connection to write the target table through",
                    self.sync.target.table.span,
                    "written to the warehouse",
                    "declare the warehouse under `connections:` in flowc.yaml, e.g. `warehouse: {type: hive, default_fs: \"hdfs://nameservice1\"}`",
                ));
                None
            }
            several => {
                let names: Vec<&str> = several.iter().map(|c| c.name.as_str()).collect();
                self.found.push(misconfigured(
                    "several hive connections: say which one the target is in",
                    self.sync.target.span,
                    "no `connection:` here",
                    format!("add `connection:` with one of {}", names.join(", ")),
                ));
                None
            }
        }
    }

    /// Replaces `${param}` with the task's parameter values, keeps the run-time
    /// business-date variables, and reports any other name.
    fn substitute(&mut self, text: &str, span: Span) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                self.push(
                    Diagnostic::error(Code::UnterminatedPlaceholder, "`${` is never closed")
                        .at(span)
                        .with_label("in this value")
                        .with_help("close it with `}`, e.g. `${bizdate}`"),
                );
                out.push_str(&rest[start..]);
                return out;
            };
            let name = after[..end].trim();
            if RUNTIME_VARIABLES.contains(&name) {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            } else if let Some(value) = self.task.params.get(name) {
                out.push_str(&value.to_string());
            } else {
                let known: Vec<&str> = RUNTIME_VARIABLES
                    .iter()
                    .copied()
                    .chain(self.task.params.keys().map(String::as_str))
                    .collect();
                self.push(
                    Diagnostic::error(Code::UnknownTemplateVariable, format!("unknown variable `${{{name}}}`"))
                        .at(span)
                        .with_label("in this value")
                        .with_help(did_you_mean(name, known.iter().copied()).unwrap_or_else(|| {
                            format!(
                                "sync values know {} and the task's params",
                                RUNTIME_VARIABLES.join(", ")
                            )
                        })),
                );
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn credentials(
        &mut self,
        connection: &Connection,
        plan_credentials: &mut Vec<CredentialVariable>,
    ) -> (Option<String>, Option<String>) {
        if connection.conflicting_credentials {
            self.push(misconfigured(
                format!("connection `{}` names two places for its password", connection.name),
                connection.span,
                "both `airflow_conn_id` and `password_env`",
                "keep one: `airflow_conn_id` (the password of an Airflow connection) or `password_env`",
            ));
        }
        let mut placeholder = |variable: String, source: CredentialSource| {
            if !plan_credentials.iter().any(|c| c.variable == variable) {
                plan_credentials.push(CredentialVariable {
                    variable: variable.clone(),
                    source,
                });
            }
            format!("${{env:{variable}}}")
        };
        let (username, password) = match &connection.credentials {
            Credentials::AirflowConnection(conn_id) => {
                let username = match (&connection.username, &connection.username_env) {
                    (Some(user), _) => user.clone(),
                    (None, Some(variable)) => placeholder(variable.clone(), CredentialSource::Worker),
                    (None, None) => placeholder(
                        credential_variable(&connection.name, "login"),
                        CredentialSource::AirflowConnection {
                            conn_id: conn_id.clone(),
                            field: "login".to_owned(),
                        },
                    ),
                };
                let password = placeholder(
                    credential_variable(&connection.name, "password"),
                    CredentialSource::AirflowConnection {
                        conn_id: conn_id.clone(),
                        field: "password".to_owned(),
                    },
                );
                (Some(username), Some(password))
            }
            Credentials::Environment { password } => {
                let username = match (&connection.username, &connection.username_env) {
                    (Some(user), _) => Some(user.clone()),
                    (None, Some(variable)) => Some(placeholder(variable.clone(), CredentialSource::Worker)),
                    (None, None) => None,
                };
                (username, Some(placeholder(password.clone(), CredentialSource::Worker)))
            }
            Credentials::None => (None, None),
        };
        if password.is_none() {
            self.push(misconfigured(
                format!("connection `{}` has no credentials", connection.name),
                connection.span,
                format!("{} connection needs a user and password", connection.kind.with_article()),
                "add `airflow_conn_id: <id>` (login and password of an Airflow connection) or `username:` with `password_env: <VARIABLE>`",
            ));
        } else if username.is_none() {
            self.push(misconfigured(
                format!("connection `{}` has no user name", connection.name),
                connection.span,
                "`password_env` gives only the password",
                "add `username:` (or `username_env:`)",
            ));
        }
        (username, password)
    }

    fn jdbc_url(&mut self, connection: &Connection) -> Option<String> {
        if let Some(url) = &connection.jdbc_url {
            return Some(url.clone());
        }
        let (Some(host), Some(database)) = (&connection.host, &connection.database) else {
            self.push(misconfigured(
                format!("connection `{}` has no address", connection.name),
                connection.span,
                "neither `jdbc_url` nor `host` and `database`",
                "add `jdbc_url:`, or `host:`, `port:` and `database:`",
            ));
            return None;
        };
        Some(match connection.kind {
            ConnectionKind::Oracle => format!(
                "jdbc:oracle:thin:@//{host}:{}/{database}",
                connection.port.unwrap_or(1521)
            ),
            ConnectionKind::Oceanbase => {
                let url = format!("jdbc:mysql://{host}:{}/{database}", connection.port.unwrap_or(2883));
                match &connection.oceanbase_tenant {
                    Some((cluster, tenant)) => format!("||_dsc_ob10_dsc_||{cluster}:{tenant}||_dsc_ob10_dsc_||{url}"),
                    None => url,
                }
            }
            _ => format!("jdbc:mysql://{host}:{}/{database}", connection.port.unwrap_or(3306)),
        })
    }

    /// Keys of `source:` that do not apply to a connection kind.
    fn refuse_source_keys(&mut self, kind: ConnectionKind, allowed: &[&str]) {
        let source = &self.sync.source;
        let present: Vec<(&str, Option<Span>)> = vec![
            ("table", source.table.as_ref().map(|t| t.span)),
            ("query", source.query.as_ref().map(|t| t.span)),
            ("where", source.filter.as_ref().map(|t| t.span)),
            ("split_key", source.split_key.as_ref().map(|t| t.span)),
            ("fetch_size", source.fetch_size.as_ref().map(|t| t.span)),
            ("partition", source.partition.as_ref().map(|t| t.span)),
            ("path", source.paths.as_ref().map(|t| t.span)),
            ("format", source.format.as_ref().map(|t| t.span)),
            ("column_family", source.column_family.as_ref().map(|t| t.span)),
            ("rowkey_range", source.rowkey_range.as_ref().map(|t| t.span)),
        ];
        for (key, span) in present {
            if let Some(span) = span
                && !allowed.contains(&key)
            {
                let help = match (kind, key) {
                    (ConnectionKind::Sftp | ConnectionKind::Hdfs, "table") => "files are read by `path:`".to_owned(),
                    (ConnectionKind::Mysql, "fetch_size") => {
                        "DataX's mysqlreader streams rows and has no fetch size; remove it".to_owned()
                    }
                    _ => format!("{} source takes {}", kind.with_article(), allowed.join(", ")),
                };
                self.push(misconfigured(
                    format!("`{key}` does not apply to {} source", kind.with_article()),
                    span,
                    format!(
                        "`{}` is {} connection",
                        self.sync.source.connection.value,
                        kind.with_article()
                    ),
                    help,
                ));
            }
        }
        let plain = [
            ("field_delimiter", source.field_delimiter.is_some()),
            ("skip_header", source.skip_header),
            ("encoding", source.encoding.is_some()),
            ("compress", source.compress.is_some()),
            ("null_format", source.null_format.is_some()),
        ];
        for (key, set) in plain {
            if set && !allowed.contains(&key) {
                self.push(misconfigured(
                    format!("`{key}` does not apply to {} source", kind.with_article()),
                    source.span,
                    "in this source",
                    format!("{} source takes {}", kind.with_article(), allowed.join(", ")),
                ));
            }
        }
    }

    fn plan(&mut self) -> Option<DataxJob> {
        let source_connection = self.connection(&self.sync.source.connection)?.clone();
        let target_connection = self.target_connection()?.clone();
        let mut credentials = Vec::new();
        let mut external_reads = Vec::new();
        let mut reads = Vec::new();
        let (reader, source_columns, source_table_name) =
            self.reader(&source_connection, &mut credentials, &mut external_reads, &mut reads)?;
        let mut writes = Vec::new();
        let mut external_writes = Vec::new();
        let (job_writer, target_columns, target_table_name) =
            self.writer(&target_connection, &mut credentials, &mut writes, &mut external_writes)?;
        self.match_columns(&source_connection, &source_columns, &target_columns);
        let setting = self.setting();
        let columns = source_columns
            .names
            .iter()
            .zip(&target_columns.names)
            .map(|(from, to)| ColumnLineage {
                from: format!("{source_table_name}.{}", from.to_lowercase()),
                to: format!("{target_table_name}.{}", to.to_lowercase()),
            })
            .collect();
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
        })
    }

    #[allow(clippy::too_many_lines)]
    fn reader(
        &mut self,
        connection: &Connection,
        credentials: &mut Vec<CredentialVariable>,
        external_reads: &mut Vec<TableName>,
        reads: &mut Vec<TableRef>,
    ) -> Option<(Reader, SideColumns, String)> {
        let source = &self.sync.source;
        let kind = connection.kind;
        let mut reader = Reader::default();
        let columns_span = source.columns_span.unwrap_or(source.span);
        let typed = |c: &SyncColumn| {
            c.data_type
                .as_deref()
                .map(|t| (types::source_kind(kind, t), c.span, t.to_owned()))
        };
        let mut side = SideColumns {
            names: source.columns.iter().map(|c| c.name.clone()).collect(),
            kinds: Vec::new(),
            span: columns_span,
        };
        for column in &source.columns {
            side.kinds.push(match typed(column) {
                Some((Some(value), span, _)) => Some((value, span)),
                Some((None, span, written)) => {
                    self.push(
                        Diagnostic::error(
                            Code::SyncColumnType,
                            format!("unknown {} type `{written}`", kind.as_str()),
                        )
                        .at(span)
                        .with_label(format!("column `{}`", column.name))
                        .with_help(format!(
                            "{} types flowc knows: {}",
                            kind.as_str(),
                            types::known_types(kind)
                        )),
                    );
                    None
                }
                None => None,
            });
        }
        let table_name;
        match kind {
            ConnectionKind::Oracle | ConnectionKind::Oceanbase | ConnectionKind::Mysql => {
                let mut allowed = vec!["table", "query", "where", "split_key"];
                if kind != ConnectionKind::Mysql {
                    allowed.push("fetch_size");
                }
                self.refuse_source_keys(kind, &allowed);
                let (username, password) = self.credentials(connection, credentials);
                reader.plugin = match kind {
                    ConnectionKind::Oracle => "oraclereader",
                    ConnectionKind::Oceanbase => "oceanbasev10reader",
                    _ => "mysqlreader",
                };
                reader.username = username;
                reader.password = password;
                reader.jdbc_urls = self.jdbc_url(connection).into_iter().collect();
                reader.fetch_size = source.fetch_size.as_ref().map(|f| f.value);
                match (&source.table, &source.query) {
                    (Some(table), None) => {
                        if source.columns.is_empty() {
                            self.push(misconfigured(
                                "a table read must list its columns",
                                source.span,
                                "no `columns:`",
                                "list the columns read, in the order of the target's columns, so flowc can match them",
                            ));
                        }
                        reader.tables = vec![table.value.clone()];
                        reader.columns = source.columns.iter().map(|c| named(&c.name)).collect();
                        reader.filter = source.filter.as_ref().map(|w| self.substitute(&w.value, w.span));
                        reader.split_pk = source.split_key.as_ref().map(|k| k.value.clone());
                        let qualified = external_table(connection, &table.value);
                        table_name = qualified.to_string();
                        external_reads.push(qualified);
                    }
                    (None, Some(query)) => {
                        for (key, span) in [
                            ("where", source.filter.as_ref().map(|w| w.span)),
                            ("split_key", source.split_key.as_ref().map(|k| k.span)),
                        ] {
                            if let Some(span) = span {
                                self.push(misconfigured(
                                    format!("a query-mode source has no `{key}`"),
                                    span,
                                    "DataX ignores it when `query` is set",
                                    if key == "where" {
                                        "put the condition in the query's WHERE clause"
                                    } else {
                                        "remove it: a query is read by one channel"
                                    },
                                ));
                            }
                        }
                        let text = self.substitute(&query.value, query.span);
                        let (output, tables) = query_shape(&text);
                        match (output, source.columns.is_empty()) {
                            (Some(names), true) => {
                                side.names = names;
                                side.kinds = vec![None; side.names.len()];
                                side.span = query.span;
                            }
                            (None, true) => self.push(misconfigured(
                                "cannot tell the columns this query returns",
                                query.span,
                                "not a plain SELECT with named columns (or `*`)",
                                "list its output columns under `columns:`, in order",
                            )),
                            (_, false) => {}
                        }
                        let first = tables.first().map(|t| external_table(connection, t));
                        for table in &tables {
                            external_reads.push(external_table(connection, table));
                        }
                        table_name = first.map_or_else(|| format!("{}.query", connection.name), |t| t.to_string());
                        reader.query = Some(text);
                    }
                    (Some(table), Some(_)) => {
                        self.push(misconfigured(
                            "a query-mode source has no `table`",
                            table.span,
                            "`query` is also set",
                            "keep `table` (with `columns` and `where`) or `query`, not both",
                        ));
                        return None;
                    }
                    (None, None) => {
                        self.push(misconfigured(
                            format!("{} source needs `table` or `query`", kind.with_article()),
                            source.span,
                            "neither is set",
                            "add `table: schema.table` with `columns:`, or `query: SELECT …`",
                        ));
                        return None;
                    }
                }
            }
            ConnectionKind::Sftp | ConnectionKind::Hdfs => {
                let sftp = kind == ConnectionKind::Sftp;
                let allowed: &[&str] = if sftp {
                    &[
                        "path",
                        "format",
                        "field_delimiter",
                        "skip_header",
                        "encoding",
                        "compress",
                        "null_format",
                    ]
                } else {
                    &["path", "format", "field_delimiter", "encoding", "null_format"]
                };
                self.refuse_source_keys(kind, allowed);
                let Some(paths) = &source.paths else {
                    self.push(misconfigured(
                        format!("{} source needs `path`", kind.with_article()),
                        source.span,
                        "no `path:`",
                        "add `path: /dir/file_${bizdate_nodash}.csv` (`*` matches any text)",
                    ));
                    return None;
                };
                let format = source.format.as_ref().map_or("csv", |f| f.value.as_str());
                if sftp && matches!(format, "orc" | "parquet") {
                    self.push(misconfigured(
                        format!("DataX reads {format} files from HDFS only"),
                        source.format.as_ref().map_or(source.span, |f| f.span),
                        "an sftp source",
                        "use `csv` or `text`",
                    ));
                }
                if source.columns.is_empty() {
                    self.push(misconfigured(
                        "a file source must list its columns",
                        source.span,
                        "no `columns:`",
                        "list the fields in file order, e.g. `- {name: order_id, type: long}`",
                    ));
                }
                reader.paths = paths.value.iter().map(|p| self.substitute(p, paths.span)).collect();
                reader.columns = source
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ReaderColumn {
                        name: None,
                        index: Some(i),
                        data_type: Some(file_type(kind, c)),
                        format: c.format.clone(),
                    })
                    .collect();
                for (i, column) in source.columns.iter().enumerate() {
                    if column.data_type.is_none() {
                        side.kinds[i] = Some((ValueKind::Text, column.span));
                    }
                }
                reader.field_delimiter = Some(source.field_delimiter.clone().unwrap_or_else(|| ",".to_owned()));
                reader.encoding = Some(source.encoding.clone().unwrap_or_else(|| "UTF-8".to_owned()));
                reader.null_format.clone_from(&source.null_format);
                if sftp {
                    let (username, password) = self.credentials(connection, credentials);
                    reader.plugin = "ftpreader";
                    reader.protocol = Some("sftp".to_owned());
                    reader.username = username;
                    reader.password = password;
                    reader.port = Some(connection.port.unwrap_or(22));
                    reader.skip_header = source.skip_header;
                    reader.compress.clone_from(&source.compress);
                    reader.host.clone_from(&connection.host);
                    if connection.host.is_none() {
                        self.push(misconfigured(
                            format!("connection `{}` has no host", connection.name),
                            connection.span,
                            "an sftp connection",
                            "add `host:`",
                        ));
                    }
                } else {
                    reader.plugin = "hdfsreader";
                    reader.file_type = Some(if format == "csv" { "csv" } else { format }.to_owned());
                    self.hdfs_client(
                        connection,
                        &mut reader.default_fs,
                        &mut reader.hadoop_config,
                        &mut reader.kerberos,
                    );
                }
                let name = TableName::from_parts([connection.name.as_str(), &file_stem(&paths.value[0])]);
                table_name = name.to_string();
                external_reads.push(name);
            }
            ConnectionKind::Hbase => {
                self.refuse_source_keys(kind, &["table", "column_family", "rowkey_range", "where", "split_key"]);
                let Some(table) = &source.table else {
                    self.push(misconfigured(
                        "an hbase source needs `table`",
                        source.span,
                        "no `table:`",
                        "add `table:` (the HBase table, case-sensitive)",
                    ));
                    return None;
                };
                if source.columns.is_empty() {
                    self.push(misconfigured(
                        "an hbase source must list its columns",
                        source.span,
                        "no `columns:`",
                        "list `rowkey` and `family:qualifier` columns (or set `column_family:` and list qualifiers)",
                    ));
                }
                let phoenix = connection.hbase_reader.as_deref() == Some("hbase20xsql");
                reader.tables = vec![table.value.clone()];
                if phoenix {
                    reader.plugin = "hbase20xsqlreader";
                    reader.query_server.clone_from(&connection.query_server);
                    if connection.query_server.is_none() {
                        self.push(misconfigured(
                            format!("connection `{}` has no query server", connection.name),
                            connection.span,
                            "reader hbase20xsql reads through Phoenix",
                            "add `query_server: http://host:8765`",
                        ));
                    }
                    reader.columns = source.columns.iter().map(|c| named(&c.name)).collect();
                    reader.filter = source.filter.as_ref().map(|w| self.substitute(&w.value, w.span));
                    reader.split_pk = source.split_key.as_ref().map(|k| k.value.clone());
                    if source.split_key.is_none() {
                        self.push(misconfigured(
                            "a Phoenix table read needs `split_key`",
                            table.span,
                            "hbase20xsqlreader splits a table read by a key column",
                            "add `split_key:` with a column of the table's primary key",
                        ));
                    }
                    for (key, span) in [
                        ("column_family", source.column_family.as_ref().map(|f| f.span)),
                        ("rowkey_range", source.rowkey_range.as_ref().map(|r| r.span)),
                    ] {
                        if let Some(span) = span {
                            self.push(misconfigured(
                                format!("`{key}` does not apply to Phoenix reads"),
                                span,
                                "reader hbase20xsql",
                                "name Phoenix columns in `columns:` and filter with `where:`",
                            ));
                        }
                    }
                } else {
                    reader.plugin = "hbase11xreader";
                    for (key, span) in [
                        ("where", source.filter.as_ref().map(|w| w.span)),
                        ("split_key", source.split_key.as_ref().map(|k| k.span)),
                    ] {
                        if let Some(span) = span {
                            self.push(misconfigured(
                                format!("`{key}` does not apply to an hbase11x read"),
                                span,
                                "hbase11xreader scans row-key ranges",
                                "use `rowkey_range:`, or `reader: hbase20xsql` on the connection for Phoenix SQL",
                            ));
                        }
                    }
                    let family = source.column_family.as_ref().map(|f| f.value.as_str());
                    let mut columns = Vec::new();
                    for (i, column) in source.columns.iter().enumerate() {
                        let name = if column.name == "rowkey" || column.name.contains(':') {
                            column.name.clone()
                        } else if let Some(family) = family {
                            format!("{family}:{}", column.name)
                        } else {
                            self.push(misconfigured(
                                format!("hbase column `{}` has no column family", column.name),
                                column.span,
                                "neither `rowkey` nor `family:qualifier`",
                                "write it `family:qualifier`, or set `column_family:` on the source",
                            ));
                            column.name.clone()
                        };
                        if column.data_type.is_none() {
                            side.kinds[i] = Some((ValueKind::Text, column.span));
                        }
                        columns.push(ReaderColumn {
                            name: Some(name),
                            index: None,
                            data_type: Some(file_type(kind, column)),
                            format: column.format.clone(),
                        });
                    }
                    reader.columns = columns;
                    reader.encoding = Some("utf-8".to_owned());
                    match &connection.zookeeper_quorum {
                        Some(quorum) => {
                            reader
                                .hbase_config
                                .insert("hbase.zookeeper.quorum".to_owned(), quorum.clone());
                        }
                        None => self.push(misconfigured(
                            format!("connection `{}` has no ZooKeeper quorum", connection.name),
                            connection.span,
                            "hbase11xreader finds HBase through ZooKeeper",
                            "add `zookeeper_quorum: zk1,zk2,zk3`",
                        )),
                    }
                    if let Some(parent) = &connection.znode_parent {
                        reader
                            .hbase_config
                            .insert("zookeeper.znode.parent".to_owned(), parent.clone());
                    }
                    reader.range = source.rowkey_range.as_ref().map(|r| {
                        (
                            r.value.start.clone().unwrap_or_default(),
                            r.value.end.clone().unwrap_or_default(),
                            r.value.binary,
                        )
                    });
                }
                let name = TableName::from_parts([connection.name.as_str(), &table.value.to_lowercase()]);
                table_name = name.to_string();
                external_reads.push(name);
            }
            ConnectionKind::Hive => {
                self.refuse_source_keys(kind, &["table", "partition"]);
                let Some(table) = &source.table else {
                    self.push(misconfigured(
                        "a hive source needs `table`",
                        source.span,
                        "no `table:`",
                        "add `table: db.table` (declared under a flow's `tables:`)",
                    ));
                    return None;
                };
                let name = TableName::new(&table.value).qualified_with(self.flow.default_database.as_deref());
                let declaration = self.declared(&name, table.span)?;
                self.check_partition(declaration, source.partition.as_ref(), table.span);
                let mut indexes = Vec::new();
                if source.columns.is_empty() {
                    side.names = declaration.columns.iter().map(|c| c.name.clone()).collect();
                    indexes = (0..declaration.columns.len()).collect();
                } else {
                    for column in &source.columns {
                        match declaration
                            .columns
                            .iter()
                            .position(|c| c.name == column.name.to_lowercase())
                        {
                            Some(i) => indexes.push(i),
                            None => self.push(
                                Diagnostic::error(
                                    Code::SyncColumnCount,
                                    format!("`{name}` has no column `{}`", column.name),
                                )
                                .at(column.span)
                                .with_label("not in the table's declaration")
                                .with_help(
                                    did_you_mean(&column.name, declaration.columns.iter().map(|c| c.name.as_str()))
                                        .unwrap_or_else(|| "name a declared column".to_owned()),
                                ),
                            ),
                        }
                    }
                }
                side.kinds = indexes
                    .iter()
                    .map(|&i| {
                        let column = &declaration.columns[i];
                        types::source_kind(ConnectionKind::Hive, &column.hive_type).map(|k| (k, column.span))
                    })
                    .collect();
                reader.plugin = "hdfsreader";
                reader.columns = indexes
                    .iter()
                    .map(|&i| ReaderColumn {
                        name: None,
                        index: Some(i),
                        data_type: Some(types::hdfsreader_type(&declaration.columns[i].hive_type).to_owned()),
                        format: None,
                    })
                    .collect();
                let location = table_location(connection, declaration, self.environment);
                let partition_dir = source
                    .partition
                    .as_ref()
                    .map(|p| format!("/{}", self.substitute(&p.value, p.span)))
                    .unwrap_or_default();
                reader.paths = vec![format!("{location}{partition_dir}/*")];
                reader.file_type = Some(declaration.format.as_str().to_owned());
                if declaration.format == TableFormat::Text {
                    reader.field_delimiter = Some(declaration.field_delimiter.clone());
                }
                reader.encoding = Some("UTF-8".to_owned());
                self.hdfs_client(
                    connection,
                    &mut reader.default_fs,
                    &mut reader.hadoop_config,
                    &mut reader.kerberos,
                );
                let name = self.mapped(&name);
                table_name = name.to_string();
                reads.push(TableRef { name, span: table.span });
            }
        }
        Some((reader, side, table_name))
    }

    fn declared(&mut self, name: &TableName, span: Span) -> Option<&'a TableDeclaration> {
        let found = self.repository.table(name);
        if found.is_none() {
            let known: Vec<String> = self
                .repository
                .flows
                .iter()
                .flat_map(|f| &f.tables)
                .map(|t| t.name.value.to_string())
                .collect();
            self.found.push(
                Diagnostic::error(Code::UndeclaredTable, format!("table `{name}` is not declared"))
                    .at(span)
                    .with_label("DataX needs its columns, types and layout")
                    .with_help(did_you_mean(name.as_str(), known.iter().map(String::as_str)).unwrap_or_else(|| {
                        format!(
                            "declare it under `tables:` in flows/{}/flow.yaml: `- {{name: {name}, partitioned_by: [dt], columns: [{{name: id, type: bigint}}]}}`",
                            self.flow.id
                        )
                    })),
            );
        }
        found
    }

    fn check_partition(&mut self, table: &TableDeclaration, spec: Option<&Spanned<String>>, table_span: Span) {
        let keys: Vec<String> = spec
            .map(|s| {
                s.value
                    .split('/')
                    .filter_map(|part| part.split_once('=').map(|(k, _)| k.trim().to_lowercase()))
                    .collect()
            })
            .unwrap_or_default();
        if keys == table.partitioned_by {
            return;
        }
        let (span, label) = match spec {
            Some(s) => (
                s.span,
                format!(
                    "names {}",
                    if keys.is_empty() {
                        "nothing".to_owned()
                    } else {
                        keys.join(", ")
                    }
                ),
            ),
            None => (table_span, "no `partition:` given".to_owned()),
        };
        let help = if table.partitioned_by.is_empty() {
            "remove `partition:`: the table is not partitioned".to_owned()
        } else {
            format!(
                "write `partition: \"{}\"`",
                table
                    .partitioned_by
                    .iter()
                    .map(|p| format!("{p}=${{bizdate}}"))
                    .collect::<Vec<_>>()
                    .join("/")
            )
        };
        let message = if table.partitioned_by.is_empty() {
            format!(
                "partition spec given for `{}`, which is not partitioned",
                table.name.value
            )
        } else {
            let expected: Vec<String> = table.partitioned_by.iter().map(|p| format!("{p}=…")).collect();
            format!(
                "partition spec does not match `{}`, partitioned by {}",
                table.name.value,
                expected.join("/")
            )
        };
        self.found.push(
            Diagnostic::error(Code::PartitionMismatch, message)
                .at(span)
                .with_label(label)
                .with_secondary(table.partitioned_by_span, "declared here")
                .with_help(help),
        );
    }

    fn hdfs_client(
        &mut self,
        connection: &Connection,
        default_fs: &mut Option<String>,
        hadoop_config: &mut BTreeMap<String, serde_json::Value>,
        kerberos: &mut Option<Kerberos>,
    ) {
        if connection.default_fs.is_none() {
            self.push(misconfigured(
                format!("connection `{}` has no `default_fs`", connection.name),
                connection.span,
                "DataX reaches HDFS through the NameNode",
                "add `default_fs: hdfs://nameservice1` (or `hdfs://host:8020`)",
            ));
        }
        default_fs.clone_from(&connection.default_fs);
        hadoop_config.clone_from(&connection.hadoop_config);
        *kerberos = connection.kerberos.as_ref().map(|(principal, keytab)| Kerberos {
            principal: principal.clone(),
            keytab: keytab.clone(),
        });
    }

    fn refuse_target_keys(&mut self, kind: ConnectionKind) {
        let target = &self.sync.target;
        let hive = kind == ConnectionKind::Hive;
        let keys: [(&str, bool); 4] = [
            ("partition", !hive && target.partition.is_some()),
            ("pre_sql", hive && !target.pre_sql.is_empty()),
            ("post_sql", hive && !target.post_sql.is_empty()),
            ("batch_size", hive && target.batch_size.is_some()),
        ];
        for (key, wrong) in keys {
            if wrong {
                let span = if key == "partition" {
                    target.partition.as_ref().map_or(target.span, |p| p.span)
                } else {
                    target.span
                };
                self.push(misconfigured(
                    format!("`{key}` does not apply to {} target", kind.with_article()),
                    span,
                    "in this target",
                    if hive {
                        "`pre_sql`, `post_sql` and `batch_size` are for mysql targets"
                    } else {
                        "mysql tables have no partition directory; filter with `pre_sql` instead"
                    },
                ));
            }
        }
    }

    fn writer(
        &mut self,
        connection: &Connection,
        credentials: &mut Vec<CredentialVariable>,
        writes: &mut Vec<TableRef>,
        external_writes: &mut Vec<TableName>,
    ) -> Option<(Writer, SideColumns, String)> {
        let target = &self.sync.target;
        let mut out = Writer::default();
        let write_mode = target.write_mode.as_ref().map(|m| (m.value.as_str(), m.span));
        match connection.kind {
            ConnectionKind::Hive => {
                self.refuse_target_keys(ConnectionKind::Hive);
                let name = TableName::new(&target.table.value).qualified_with(self.flow.default_database.as_deref());
                let declaration = self.declared(&name, target.table.span)?;
                self.check_partition(declaration, target.partition.as_ref(), target.table.span);
                out.write_mode = match write_mode {
                    None | Some(("overwrite", _)) => "truncate".to_owned(),
                    Some(("append", _)) => "append".to_owned(),
                    Some((other, span)) => {
                        self.push(misconfigured(
                            format!("`{other}` is not a write mode of a hive target"),
                            span,
                            "a mysql write mode",
                            "use `overwrite` (replace the partition's files) or `append`",
                        ));
                        String::new()
                    }
                };
                let table_columns: Vec<&str> = declaration.columns.iter().map(|c| c.name.as_str()).collect();
                let listed: Vec<String> = target.columns.iter().map(|c| c.value.to_lowercase()).collect();
                if !listed.is_empty() && listed != table_columns {
                    self.push(
                        Diagnostic::error(
                            Code::SyncColumnCount,
                            format!("target columns differ from the columns of `{name}`"),
                        )
                        .at(target.columns_span.unwrap_or(target.span))
                        .with_label(format!("{} listed", listed.len()))
                        .with_secondary(declaration.name.span, format!("{} declared here", table_columns.len()))
                        .with_help(format!(
                            "hdfswriter writes every column of the table in table order ({}); order the source columns to match and drop `columns:` here",
                            table_columns.join(", ")
                        )),
                    );
                }
                for column in &declaration.columns {
                    if let Some(why) = types::hdfswriter_unsupported(&column.hive_type) {
                        self.push(
                            Diagnostic::error(
                                Code::SyncColumnType,
                                format!("column `{}` of `{name}` is `{}`", column.name, column.hive_type),
                            )
                            .at(column.span)
                            .with_label("written by a sync task")
                            .with_help(why),
                        );
                    }
                }
                let location = table_location(connection, declaration, self.environment);
                let partition_dir = target
                    .partition
                    .as_ref()
                    .map(|p| format!("/{}", self.substitute(&p.value, p.span)))
                    .unwrap_or_default();
                out.plugin = "hdfswriter";
                out.path = Some(format!("{location}{partition_dir}"));
                out.file_name = Some(name.as_str().rsplit('.').next().unwrap_or(name.as_str()).to_owned());
                out.file_type = Some(declaration.format.as_str().to_owned());
                out.field_delimiter = Some(declaration.field_delimiter.clone());
                out.compress = match declaration.format {
                    TableFormat::Orc => Some("SNAPPY".to_owned()),
                    TableFormat::Parquet | TableFormat::Text => None,
                };
                out.columns = declaration
                    .columns
                    .iter()
                    .map(|c| WriterColumn {
                        name: c.name.clone(),
                        data_type: types::hdfswriter_type(&c.hive_type),
                    })
                    .collect();
                self.hdfs_client(
                    connection,
                    &mut out.default_fs,
                    &mut out.hadoop_config,
                    &mut out.kerberos,
                );
                let side = SideColumns {
                    names: declaration.columns.iter().map(|c| c.name.clone()).collect(),
                    kinds: Vec::new(),
                    span: declaration.name.span,
                };
                let name = self.mapped(&name);
                let qualified = name.to_string();
                writes.push(TableRef {
                    name,
                    span: target.table.span,
                });
                Some((out, side, qualified))
            }
            ConnectionKind::Mysql => {
                self.refuse_target_keys(ConnectionKind::Mysql);
                let (username, password) = self.credentials(connection, credentials);
                out.plugin = "mysqlwriter";
                out.username = username;
                out.password = password;
                out.jdbc_url = self.jdbc_url(connection);
                out.tables = vec![target.table.value.clone()];
                out.write_mode = match write_mode {
                    None | Some(("insert", _)) => "insert".to_owned(),
                    Some(("replace", _)) => "replace".to_owned(),
                    Some(("update", _)) => "update".to_owned(),
                    Some((other, span)) => {
                        self.push(misconfigured(
                            format!("`{other}` is not a write mode of a mysql target"),
                            span,
                            "a hive write mode",
                            "use `insert`, `replace` or `update` (insert … on duplicate key update); clear old rows with `pre_sql`",
                        ));
                        String::new()
                    }
                };
                if target.columns.is_empty() {
                    self.push(misconfigured(
                        "a mysql target must list its columns",
                        target.span,
                        "no `columns:`",
                        "list the target columns in source column order",
                    ));
                }
                out.column_names = target.columns.iter().map(|c| c.value.clone()).collect();
                out.pre_sql = target.pre_sql.iter().map(|s| self.substitute(s, target.span)).collect();
                out.post_sql = target
                    .post_sql
                    .iter()
                    .map(|s| self.substitute(s, target.span))
                    .collect();
                out.batch_size = target.batch_size;
                let name = external_table(connection, &target.table.value);
                external_writes.push(name.clone());
                let side = SideColumns {
                    names: out.column_names.clone(),
                    kinds: Vec::new(),
                    span: target.columns_span.unwrap_or(target.span),
                };
                Some((out, side, name.to_string()))
            }
            other => {
                self.push(misconfigured(
                    format!("flowc does not write to {} connections", other.as_str()),
                    target.connection.as_ref().map_or(target.span, |c| c.span),
                    format!("`{}` is {} connection", connection.name, other.with_article()),
                    "a sync writes a warehouse table (a hive connection, hdfswriter) or a mysql table (mysqlwriter)",
                ));
                None
            }
        }
    }

    fn match_columns(&mut self, source: &Connection, from: &SideColumns, to: &SideColumns) {
        let target_types: Vec<Option<(&str, Span)>> = match self.target_declaration() {
            Some(table) => table
                .columns
                .iter()
                .map(|c| Some((c.hive_type.as_str(), c.span)))
                .collect(),
            None => vec![None; to.names.len()],
        };
        if !from.names.is_empty() && !to.names.is_empty() && from.names.len() != to.names.len() {
            self.push(
                Diagnostic::error(
                    Code::SyncColumnCount,
                    format!(
                        "the source gives {} columns but the target takes {}",
                        from.names.len(),
                        to.names.len()
                    ),
                )
                .at(from.span)
                .with_label(format!("{} columns read", from.names.len()))
                .with_secondary(to.span, format!("{} columns written", to.names.len()))
                .with_help(format!(
                    "read one column per target column, in order: {}",
                    to.names.join(", ")
                )),
            );
            return;
        }
        for (i, (kind, hive)) in from.kinds.iter().zip(&target_types).enumerate() {
            let (Some((value, span)), Some((hive_type, hive_span))) = (kind, hive) else {
                continue;
            };
            if let Some(why) = types::hive_mismatch(*value, hive_type) {
                let source_name = &from.names[i];
                self.push(
                    Diagnostic::error(
                        Code::SyncColumnType,
                        format!(
                            "`{source_name}` holds {} but target column `{}` is `{hive_type}`",
                            value.describe(),
                            to.names[i]
                        ),
                    )
                    .at(*span)
                    .with_label(format!("{} {}", source.kind.as_str(), value.describe()))
                    .with_secondary(*hive_span, "declared here")
                    .with_help(format!(
                        "{why}: declare the Hive column `{}`{} (see the type mapping in docs/format.md)",
                        value.suggested_hive_type(),
                        if *value == ValueKind::Decimal {
                            " (or `string` to keep every digit)"
                        } else {
                            ""
                        }
                    )),
                );
            }
        }
    }

    fn target_declaration(&self) -> Option<&'a TableDeclaration> {
        let repository = self.repository;
        let connection = match &self.sync.target.connection {
            Some(name) => self.project.connections.get(&name.value)?,
            None => self
                .project
                .connections
                .values()
                .find(|c| c.kind == ConnectionKind::Hive)?,
        };
        if connection.kind != ConnectionKind::Hive {
            return None;
        }
        let name = TableName::new(&self.sync.target.table.value).qualified_with(self.flow.default_database.as_deref());
        repository.table(&name)
    }

    fn setting(&mut self) -> JobSetting {
        let level = self.project.priority_level(self.task.priority);
        let speed = &self.sync.speed;
        let span = speed.span.unwrap_or(self.task.name_span);
        let priority = self.task.priority.as_str();
        let mut capped = Vec::new();
        let channels = match speed.channels {
            Some(asked) if asked > level.datax.channels => {
                capped.push(format!("channels {asked} → {}", level.datax.channels));
                level.datax.channels
            }
            Some(asked) => asked,
            None => level.datax.channels,
        };
        let byte = match speed.bytes_per_second {
            Some(asked) if asked > level.datax.bytes_per_second => {
                capped.push(format!("bytes_per_second {asked} → {}", level.datax.bytes_per_second));
                level.datax.bytes_per_second
            }
            Some(asked) => asked,
            None => level.datax.bytes_per_second,
        };
        if !capped.is_empty() {
            self.push(
                Diagnostic::warning(Code::SyncThrottleCapped, "sync asks for more than its priority level allows")
                    .at(span)
                    .with_label(format!("capped: {}", capped.join(", ")))
                    .with_help(format!(
                        "priority `{priority}` allows {} channels and {} bytes/s; raise the level's `datax` limits in flowc.yaml or the task's priority",
                        level.datax.channels, level.datax.bytes_per_second
                    )),
            );
        }
        let channels_u64 = u64::from(channels.max(1));
        if byte < channels_u64 {
            self.push(
                Diagnostic::error(
                    Code::SyncLimits,
                    format!("{byte} bytes/s over {channels} channels is under one byte per channel"),
                )
                .at(span)
                .with_label("DataX needs a positive per-channel limit")
                .with_help("raise `bytes_per_second` or lower `channels`"),
            );
        }
        if let Some(records) = speed.records_per_second
            && records < channels_u64
        {
            self.push(
                Diagnostic::error(
                    Code::SyncLimits,
                    format!("{records} records/s over {channels} channels is under one record per channel"),
                )
                .at(span)
                .with_label("DataX needs a positive per-channel limit")
                .with_help("raise `records_per_second` or lower `channels`"),
            );
        }
        if let Some(asked) = speed.channels
            && asked > 1
        {
            let source = &self.sync.source;
            let single = if source.query.is_some() {
                Some("a query is read by one channel")
            } else if source.table.is_some() && source.split_key.is_none() && !source.columns.is_empty() {
                let jdbc = self
                    .repository
                    .project
                    .connections
                    .get(&source.connection.value)
                    .is_some_and(|c| c.kind.is_jdbc());
                jdbc.then_some("without `split_key` a table is read by one channel")
            } else {
                None
            };
            if let Some(why) = single {
                self.push(
                    Diagnostic::warning(Code::SyncLimits, format!("{asked} channels cannot be used"))
                        .at(span)
                        .with_label(why)
                        .with_help("set `split_key:` to an integer key column, or drop `channels`"),
                );
            }
        }
        let limit = &self.sync.error_limit;
        if let (Some(_), Some(_)) = (limit.records, limit.ratio) {
            self.push(
                Diagnostic::error(Code::SyncLimits, "error limit sets both `records` and `ratio`")
                    .at(limit.span.unwrap_or(span))
                    .with_label("DataX checks `records` and ignores `ratio`")
                    .with_help("keep one: a number of dirty records, or a ratio of them"),
            );
        }
        let error_records = match (limit.records, limit.ratio) {
            (None, None) => Some(0),
            (records, _) => records,
        };
        JobSetting {
            channel: channels,
            byte: Some(byte),
            record: speed.records_per_second,
            byte_per_channel: Some((byte / channels_u64).max(1)),
            record_per_channel: speed.records_per_second.map(|r| (r / channels_u64).max(1)),
            error_records,
            error_ratio: if limit.records.is_some() {
                None
            } else {
                limit.ratio.map(|r| format!("{r}"))
            },
        }
    }
}

/// The HDFS directory of a declared table, its database mapped for the environment.
/// In an explicit `location`, `${env}` is the environment's name (an environment other
/// than `prod` may not write a table whose location lacks it: see
/// [`crate::environment`]).
fn table_location(connection: &Connection, table: &TableDeclaration, environment: Option<&Environment>) -> String {
    if let Some(location) = &table.location {
        let name = environment.map_or(crate::model::PRODUCTION, |environment| environment.name.as_str());
        return location.replace(ENV_PLACEHOLDER, name).trim_end_matches('/').to_owned();
    }
    let mapped = environment.map(|environment| environment.table(&table.name.value));
    let warehouse = connection
        .warehouse_dir
        .as_deref()
        .unwrap_or("/user/hive/warehouse")
        .trim_end_matches('/');
    let name = mapped.as_ref().unwrap_or(&table.name.value).as_str();
    match name.rsplit_once('.') {
        Some((db, t)) => format!("{warehouse}/{db}.db/{t}"),
        None => format!("{warehouse}/{name}"),
    }
}

fn named(name: &str) -> ReaderColumn {
    ReaderColumn {
        name: Some(name.to_owned()),
        index: None,
        data_type: None,
        format: None,
    }
}

/// The DataX type of a file or HBase column: its declared type, else `string`.
fn file_type(kind: ConnectionKind, column: &SyncColumn) -> String {
    column
        .data_type
        .as_deref()
        .and_then(|t| types::source_kind(kind, t).map(|_| t.trim().to_ascii_lowercase()))
        .unwrap_or_else(|| "string".to_owned())
}

/// `<connection>.<schema>.<table>` of a table in a source system; a name without a
/// schema gets the connection's database.
fn external_table(connection: &Connection, table: &str) -> TableName {
    let table = TableName::new(table);
    let database = connection.database.clone().or_else(|| {
        // `jdbc:mysql://host:port/database?options`: the database of a MySQL-style URL.
        let url = connection.jdbc_url.as_deref()?;
        let rest = url.split("jdbc:mysql://").nth(1)?;
        let database = rest.split_once('/')?.1.split(['?', ';']).next()?;
        (!database.is_empty()).then(|| database.to_owned())
    });
    let qualified = table.qualified_with(database.as_deref());
    TableName::from_parts([connection.name.as_str(), qualified.as_str()])
}

/// The output column names of a SELECT, when all are named, and the tables it reads.
fn query_shape(query: &str) -> (Option<Vec<String>>, Vec<String>) {
    let Ok(statements) = Parser::parse_sql(&GenericDialect {}, query) else {
        return (None, Vec::new());
    };
    let mut tables = BTreeSet::new();
    let _ = sqlparser::ast::visit_relations(&statements, |relation| {
        tables.insert(relation.to_string());
        std::ops::ControlFlow::<()>::Continue(())
    });
    let names = match statements.as_slice() {
        [Statement::Query(query)] => match query.body.as_ref() {
            SetExpr::Select(select) => select
                .projection
                .iter()
                .map(|item| match item {
                    SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
                    SelectItem::UnnamedExpr(expr) => expr
                        .to_string()
                        .rsplit('.')
                        .next()
                        .filter(|name| name.chars().all(|c| c.is_alphanumeric() || c == '_'))
                        .map(str::to_owned),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>(),
            _ => None,
        },
        _ => None,
    };
    (names, tables.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_drop_placeholders_and_extensions() {
        assert_eq!(file_stem("/out/WINGPAY_SETTLE_${bizdate_nodash}.csv"), "wingpay_settle");
        assert_eq!(file_stem("/data/*.csv"), "data");
        assert_eq!(file_stem("/landing/events/"), "events");
        assert_eq!(file_stem("/landing/clicks/${bizdate}/*"), "clicks");
        assert_eq!(file_stem("/*"), "files");
    }

    #[test]
    fn query_columns_and_tables() {
        let (names, tables) = query_shape("SELECT r.ID, s.STATUS AS st FROM A.T r JOIN A.S s ON s.ID = r.ID");
        assert_eq!(names, Some(vec!["ID".to_owned(), "st".to_owned()]));
        assert_eq!(tables, vec!["A.S".to_owned(), "A.T".to_owned()]);
        assert_eq!(query_shape("SELECT * FROM t").0, None);
        assert_eq!(query_shape("SELECT count(*) FROM t").0, None);
    }
}
