//! The resolver every part of a sync is resolved with: the task and its context, the
//! problems found so far, and what reader and writer share — connections and their
//! credentials, `${name}` substitution, declared warehouse tables, their partitions and
//! HDFS directories.

use std::collections::BTreeMap;

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{
    Connection, ConnectionKind, Credentials, Environment, Flow, Project, Repository, Spanned, SyncTask,
    TableDeclaration, TableName, Task,
};

use super::job::{CredentialSource, CredentialVariable, Kerberos};
use super::{ENV_PLACEHOLDER, RUNTIME_VARIABLES};

/// A sync task being resolved, with the problems found so far.
pub(super) struct Resolver<'a> {
    /// The repository as written: its flows declare the warehouse tables.
    pub(super) repository: &'a Repository,
    /// The project as the environment runs it (connections replaced).
    pub(super) project: &'a Project,
    /// The environment rendered for; `None` when checking (the repository as written).
    pub(super) environment: Option<&'a Environment>,
    /// The flow of the task: its default database qualifies table names.
    pub(super) flow: &'a Flow,
    /// The task: its params, priority and name.
    pub(super) task: &'a Task,
    /// What the task syncs.
    pub(super) sync: &'a SyncTask,
    /// Every problem found so far, in the order found.
    pub(super) found: Vec<Diagnostic>,
}

/// An S217 error: a sync's configuration DataX cannot run.
pub(super) fn misconfigured(
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

/// The environment variable a connection's credential is passed in.
fn credential_variable(connection: &str, field: &str) -> String {
    format!(
        "FLOWC_{}_{}",
        connection.to_ascii_uppercase(),
        field.to_ascii_uppercase()
    )
}

impl<'a> Resolver<'a> {
    /// A warehouse table's name in the environment rendered for.
    pub(super) fn mapped(&self, name: &TableName) -> TableName {
        self.environment
            .map_or_else(|| name.clone(), |environment| environment.table(name))
    }

    /// Records a problem.
    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.found.push(diagnostic);
    }

    /// The connection `name` names, or an error at it.
    pub(super) fn connection(&mut self, name: &Spanned<String>) -> Option<&Connection> {
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
    pub(super) fn target_connection(&mut self) -> Option<&Connection> {
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
    pub(super) fn substitute(&mut self, text: &str, span: Span) -> String {
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

    /// The user name and password a connection's reader or writer is given: literal
    /// text or `${env:…}` placeholders, each placeholder's variable added to the job's
    /// credentials once.
    pub(super) fn credentials(
        &mut self,
        connection: &Connection,
        job_credentials: &mut Vec<CredentialVariable>,
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
            if !job_credentials.iter().any(|c| c.variable == variable) {
                job_credentials.push(CredentialVariable {
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

    /// The connection's JDBC URL: written, or built from host, port and database.
    pub(super) fn jdbc_url(&mut self, connection: &Connection) -> Option<String> {
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

    /// The declaration of a warehouse table, or an error at `span`.
    pub(super) fn declared(&mut self, name: &TableName, span: Span) -> Option<&'a TableDeclaration> {
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

    /// Checks a partition spec names the table's partition columns, in order.
    pub(super) fn check_partition(
        &mut self,
        table: &TableDeclaration,
        spec: Option<&Spanned<String>>,
        table_span: Span,
    ) {
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

    /// The HDFS client settings of a hive or hdfs connection.
    pub(super) fn hdfs_client(
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
}

/// The HDFS directory of a declared table, its database mapped for the environment.
/// In an explicit `location`, `${env}` is the environment's name (an environment other
/// than `prod` may not write a table whose location lacks it: the policy stage's
/// environment isolation, R606).
pub fn table_location(connection: &Connection, table: &TableDeclaration, environment: Option<&Environment>) -> String {
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

/// `<connection>.<schema>.<table>` of a table in a source system; a name without a
/// schema gets the connection's database.
pub(super) fn external_table(connection: &Connection, table: &str) -> TableName {
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
