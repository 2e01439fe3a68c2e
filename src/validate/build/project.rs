//! `flowc.yaml` → [`Project`]: every section built on its own, defaults filled in,
//! names spanned.

use std::collections::BTreeMap;

use super::columns::{partition_columns, table_columns};
use super::{duration, params};
use crate::Error;
use crate::diagnostic::Span;
use crate::load::{Document, YamlEntry};
use crate::model::{
    Access, AirflowSettings, Classification, Connection, ConnectionKind, Credentials, DataxThrottle, Environment,
    Grant, Priority, PriorityLevel, Project, RunDefaults, ScheduleOverride, SourceTable, Spanned, TableMetadata,
    TableName, TablePattern, Team, TimeZone,
};
use crate::validate::quality;
use crate::validate::raw::from_json;
use crate::validate::raw::project::{
    RawAirflow, RawClassification, RawConnection, RawEnvironment, RawGrant, RawPriorityLevel, RawProject, RawSource,
    RawTableMetadata, RawTeam,
};
use crate::validate::spans::Spans;

/// Builds the project model from a schema-valid `flowc.yaml`.
pub(in crate::validate) fn project(document: &Document) -> Result<Project, Error> {
    let raw: RawProject = from_json(document)?;
    let spans = Spans { root: &document.root };
    let default_database = raw.sql.default_database;
    let priorities = priorities(&raw.project, &raw.priorities);
    let sources = sources(raw.sources, &spans, default_database.as_deref());
    let teams_entry = spans.root.entry("teams");
    let quality = quality::settings(&raw.quality, &spans, default_database.as_deref())?;
    let defaults = RunDefaults {
        retries: raw.defaults.retries,
        retry_delay: duration(raw.defaults.retry_delay.as_deref()),
        timeout: duration(raw.defaults.timeout.as_deref()),
        depends_on_past: raw.defaults.depends_on_past,
        alerts: raw.defaults.alerts,
        max_active_runs: raw.defaults.max_active_runs,
        dagrun_timeout: duration(raw.defaults.dagrun_timeout.as_deref()),
        sla: duration(raw.defaults.sla.as_deref()).map(|sla| spans.spanned(sla, "/defaults/sla")),
    };
    Ok(Project {
        file: document.file,
        name: raw.project,
        // The schema has checked the name (format `iana-time-zone`).
        timezone: raw
            .timezone
            .as_deref()
            .and_then(TimeZone::named)
            .unwrap_or(TimeZone::UTC),
        default_database,
        airflow: raw.airflow.settings(),
        environments: environments(raw.environments, &spans),
        priorities,
        connections: connections(raw.connections, &spans)?,
        sources,
        teams: teams(raw.teams, teams_entry, &spans),
        teams_span: teams_entry.map_or(Span::file_start(document.file), |e| e.key_span),
        classifications: classifications(raw.classifications, &spans),
        table_metadata: table_metadata(raw.tables, &spans),
        params: params(raw.params),
        quality,
        defaults,
        runners: raw.runners.runners(),
    })
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

/// Every priority level: its defaults, overridden by what `priorities:` sets.
fn priorities(project: &str, raw: &BTreeMap<Priority, RawPriorityLevel>) -> BTreeMap<Priority, PriorityLevel> {
    Priority::ALL
        .into_iter()
        .map(|priority| {
            let mut level = PriorityLevel::default_for(project, priority);
            if let Some(set) = raw.get(&priority) {
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
        .collect()
}

/// The declared source tables, sorted by name (then position).
fn sources(raw: Vec<RawSource>, spans: &Spans<'_>, default_database: Option<&str>) -> Vec<SourceTable> {
    let mut sources: Vec<SourceTable> = raw
        .into_iter()
        .enumerate()
        .map(|(i, s)| SourceTable {
            table: TableName::new(&s.table).qualified_with(default_database),
            span: spans.at(&format!("/sources/{i}/table")),
            columns: table_columns(s.columns, spans, &format!("/sources/{i}/columns")),
            partition_columns: partition_columns(s.partitioned_by, spans, &format!("/sources/{i}/partitioned_by")),
        })
        .collect();
    sources.sort_by(|a, b| a.table.cmp(&b.table).then(a.span.cmp(&b.span)));
    sources
}

fn environments(raw: BTreeMap<String, RawEnvironment>, spans: &Spans<'_>) -> BTreeMap<String, Environment> {
    raw.into_iter()
        .map(|(name, env)| {
            let environment = environment(&name, env, spans);
            (name, environment)
        })
        .collect()
}

fn environment(name: &str, env: RawEnvironment, spans: &Spans<'_>) -> Environment {
    let at = format!("/environments/{name}");
    let mut databases = spanned_mapping(env.databases, &format!("{at}/databases"), true, spans);
    // `"*": dev_*` maps every database the explicit entries do not.
    let every_database = databases.remove("*");
    Environment {
        databases,
        every_database,
        connections: spanned_mapping(env.connections, &format!("{at}/connections"), false, spans),
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
        deploy_from: env.deploy_from,
        runners: env.runners.runners(),
        ..Environment::as_written(name, spans.key_span(&at))
    }
}

/// A name → name mapping at `at`, each target spanned where its entry is written;
/// both sides lower-cased when `lower` (database names).
fn spanned_mapping(
    map: BTreeMap<String, String>,
    at: &str,
    lower: bool,
    spans: &Spans<'_>,
) -> BTreeMap<String, Spanned<String>> {
    map.into_iter()
        .map(|(from, to)| {
            let span = spans.at(&format!("{at}/{from}"));
            let (from, to) = if lower {
                (from.to_lowercase(), to.to_lowercase())
            } else {
                (from, to)
            };
            (from, Spanned { value: to, span })
        })
        .collect()
}

fn connections(raw: BTreeMap<String, RawConnection>, spans: &Spans<'_>) -> Result<BTreeMap<String, Connection>, Error> {
    raw.into_iter()
        .map(|(name, c)| {
            let span = spans
                .root
                .entry("connections")
                .and_then(|e| e.value.entry(&name))
                .map_or(spans.root.span, |e| e.key_span);
            Ok((name.clone(), c.connection(&name, span)?))
        })
        .collect()
}

impl RawConnection {
    fn connection(self, name: &str, span: Span) -> Result<Connection, Error> {
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

/// The teams; `teams` is the `teams:` entry, where their names are written.
fn teams(raw: BTreeMap<String, RawTeam>, teams: Option<&YamlEntry>, spans: &Spans<'_>) -> BTreeMap<String, Team> {
    raw.into_iter()
        .map(|(name, t)| {
            let span = teams
                .and_then(|e| e.value.entry(&name))
                .map_or(spans.root.span, |e| e.key_span);
            let team = Team {
                grants: t.grants.map(|grants| team_grants(&name, grants, spans)),
                name: name.clone(),
                span,
                github: t.github,
                platform: t.platform,
            };
            (name, team)
        })
        .collect()
}

fn team_grants(team: &str, grants: Vec<RawGrant>, spans: &Spans<'_>) -> Vec<Grant> {
    grants
        .into_iter()
        .enumerate()
        .map(|(i, g)| grant(g, &format!("/teams/{team}/grants/{i}"), spans))
        .collect()
}

/// One grant at `at`: `write:` when it has one, else `read:`.
fn grant(raw: RawGrant, at: &str, spans: &Spans<'_>) -> Grant {
    let (access, pattern) = match (raw.read, raw.write) {
        (_, Some(write)) => (Access::Write, write),
        (Some(read), None) => (Access::Read, read),
        (None, None) => (Access::Read, String::new()),
    };
    Grant {
        access,
        tables: TablePattern::new(&pattern),
        classifications: raw
            .classifications
            .into_iter()
            .enumerate()
            .map(|(j, c)| spans.spanned(c, &format!("{at}/classifications/{j}")))
            .collect(),
        span: spans.at(&format!("{at}/{}", access.as_str())),
    }
}

fn classifications(raw: BTreeMap<String, RawClassification>, spans: &Spans<'_>) -> BTreeMap<String, Classification> {
    raw.into_iter()
        .map(|(name, c)| {
            let classification = Classification {
                span: spans.key_span(&format!("/classifications/{name}")),
                name: name.clone(),
                requires_grant: c.requires_grant,
            };
            (name, classification)
        })
        .collect()
}

/// `tables:` of `flowc.yaml`: owners and classifications by table pattern.
fn table_metadata(raw: Vec<RawTableMetadata>, spans: &Spans<'_>) -> Vec<TableMetadata> {
    raw.into_iter()
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
        .collect()
}
