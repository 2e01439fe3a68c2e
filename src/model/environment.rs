//! Deployment environments: one source, compiled into several copies that run side by
//! side (`dev`, `prod`, …).
//!
//! An [`Environment`] says how its copy differs from the repository as written: a DAG
//! id prefix (so the copies never collide in one Airflow), a database mapping applied
//! to every table a task reads or writes, connection and queue overrides, pool sizes,
//! and whether its flows run on their schedules. `prod` is the production environment:
//! the repository as written is what production runs; every other environment must
//! map every database it writes (see [`crate::environment`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diagnostic::Span;
use crate::model::{Priority, Project, Runners, Spanned, TableName};

/// The name of the production environment.
pub const PRODUCTION: &str = "prod";

/// What an environment does with the flows' schedules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScheduleOverride {
    /// Every flow keeps its schedule (the default).
    #[default]
    AsWritten,
    /// Schedules are kept, but every DAG starts paused when Airflow first sees it: a
    /// person unpauses what should run.
    Paused,
    /// No flow runs on a schedule: every DAG runs only when triggered.
    Manual,
}

impl ScheduleOverride {
    /// The value as written in `flowc.yaml`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ScheduleOverride::AsWritten => "as_written",
            ScheduleOverride::Paused => "paused",
            ScheduleOverride::Manual => "manual",
        }
    }
}

/// A deployment environment such as `dev` or `prod`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    /// The environment's name.
    pub name: String,
    /// Where it is declared (its key in `environments:`).
    pub span: Span,
    /// Prefix of every DAG id and pool name.
    pub dag_prefix: String,
    /// Database mapping applied to every table a task reads or writes, lower case.
    pub databases: BTreeMap<String, Spanned<String>>,
    /// The `"*"` entry of the mapping, lower case: a pattern such as `dev_*` (the `*`
    /// stands for the database's own name) for every database `databases` does not list.
    pub every_database: Option<Spanned<String>>,
    /// Connections of sync tasks replaced by other declared connections.
    pub connections: BTreeMap<String, Spanned<String>>,
    /// Airflow connection ids replaced by others (Spark, Kylin, metastore, file system,
    /// HTTP sensors and sync credentials).
    pub airflow_connections: BTreeMap<String, String>,
    /// Pool slot counts of this environment, overriding the priority levels' ones.
    pub pool_slots: BTreeMap<Priority, u32>,
    /// What happens to the flows' schedules.
    pub schedule: ScheduleOverride,
    /// Worker (Celery) queues replaced by others; `default` stands for Airflow's
    /// default queue.
    pub queues: BTreeMap<String, String>,
    /// YARN queues of Spark jobs replaced by others.
    pub yarn_queues: BTreeMap<String, String>,
    /// The branches a deploy must come from (empty: any source).
    pub deploy_from: Vec<String>,
    /// The commands `flowc run` uses here, over the project's.
    pub runners: Runners,
}

impl Environment {
    /// An environment that changes nothing: the repository as written.
    pub fn as_written(name: &str, span: Span) -> Self {
        Self {
            name: name.to_owned(),
            span,
            dag_prefix: String::new(),
            databases: BTreeMap::new(),
            every_database: None,
            connections: BTreeMap::new(),
            airflow_connections: BTreeMap::new(),
            pool_slots: BTreeMap::new(),
            schedule: ScheduleOverride::AsWritten,
            queues: BTreeMap::new(),
            yarn_queues: BTreeMap::new(),
            deploy_from: Vec::new(),
            runners: Runners::default(),
        }
    }

    /// Whether this is the production environment, which runs the repository as written.
    pub fn is_production(&self) -> bool {
        self.name == PRODUCTION
    }

    /// Whether this environment maps `database` (an entry of its own, or the `"*"`
    /// pattern).
    pub fn maps_database(&self, database: &str) -> bool {
        self.every_database.is_some() || self.databases.contains_key(database)
    }

    /// The database `database` maps to in this environment: its own entry first, else
    /// the `"*"` pattern with the name in place of `*`, else the name unchanged.
    pub fn database<'a>(&'a self, database: &'a str) -> Cow<'a, str> {
        match (self.databases.get(database), &self.every_database) {
            (Some(mapped), _) => Cow::Borrowed(mapped.value.as_str()),
            (None, Some(pattern)) => Cow::Owned(pattern.value.replacen('*', database, 1)),
            (None, None) => Cow::Borrowed(database),
        }
    }

    /// A table's name in this environment: its database mapped, when it has one.
    pub fn table(&self, table: &TableName) -> TableName {
        match table.as_str().split_once('.') {
            Some((database, rest)) if self.maps_database(database) => {
                TableName::from_parts([&*self.database(database), rest])
            }
            _ => table.clone(),
        }
    }

    /// The connection a sync task uses instead of `name`.
    pub fn connection<'a>(&'a self, name: &'a str) -> &'a str {
        self.connections.get(name).map_or(name, |to| to.value.as_str())
    }

    /// The Airflow connection id used instead of `id`.
    pub fn airflow_connection<'a>(&'a self, id: &'a str) -> &'a str {
        self.airflow_connections.get(id).map_or(id, String::as_str)
    }

    /// The project as this environment runs it: pools prefixed and resized, queues,
    /// YARN queues and Airflow connection ids replaced, sync connections swapped.
    /// The repository's own names stay in the model; only rendering sees these.
    pub fn apply(&self, project: &Project) -> Project {
        let mut project = project.clone();
        for (priority, level) in &mut project.priorities {
            level.pool = format!("{}{}", self.dag_prefix, level.pool);
            if let Some(&slots) = self.pool_slots.get(priority) {
                level.pool_slots = slots;
            }
            level.queue = match level.queue.as_deref() {
                Some(queue) => self.queues.get(queue).cloned().or(level.queue.take()),
                None => self.queues.get("default").cloned(),
            };
            if let Some(queue) = self.yarn_queues.get(&level.yarn_queue) {
                level.yarn_queue.clone_from(queue);
            }
        }
        let airflow = &mut project.airflow;
        for id in [
            &mut airflow.spark_sql_conn_id,
            &mut airflow.spark_conn_id,
            &mut airflow.kylin_conn_id,
            &mut airflow.metastore_conn_id,
            &mut airflow.fs_conn_id,
        ] {
            if let Some(to) = self.airflow_connections.get(id.as_str()) {
                id.clone_from(to);
            }
        }
        let originals = project.connections.clone();
        for (from, to) in &self.connections {
            // A replacement of another type is refused (R608), never applied.
            if let (Some(slot), Some(replacement)) = (project.connections.get_mut(from), originals.get(&to.value))
                && slot.kind == replacement.kind
            {
                // The replacement keeps the replaced name, so credential variables and
                // lineage names stay the same in every environment.
                let (name, span) = (slot.name.clone(), slot.span);
                *slot = replacement.clone();
                slot.name = name;
                slot.span = span;
            }
        }
        for connection in project.connections.values_mut() {
            if let crate::model::Credentials::AirflowConnection(conn_id) = &mut connection.credentials
                && let Some(to) = self.airflow_connections.get(conn_id.as_str())
            {
                conn_id.clone_from(to);
            }
        }
        project
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Environment {
        let span = Span::file_start(crate::diagnostic::FileId::from_index(0));
        Environment {
            dag_prefix: "dev__".to_owned(),
            databases: BTreeMap::from([(
                "dwd".to_owned(),
                Spanned {
                    value: "dev_dwd".to_owned(),
                    span,
                },
            )]),
            ..Environment::as_written("dev", span)
        }
    }

    #[test]
    fn tables_map_only_their_database() {
        let dev = dev();
        assert_eq!(dev.table(&TableName::new("DWD.Orders")).as_str(), "dev_dwd.orders");
        assert_eq!(dev.table(&TableName::new("ods.orders")).as_str(), "ods.orders");
        assert_eq!(dev.table(&TableName::new("orders")).as_str(), "orders");
        assert!(!dev.is_production());
    }

    #[test]
    fn the_star_pattern_maps_every_other_database() {
        let span = Span::file_start(crate::diagnostic::FileId::from_index(0));
        let dev = Environment {
            every_database: Some(Spanned {
                value: "dev_*".to_owned(),
                span,
            }),
            ..dev()
        };
        assert_eq!(dev.table(&TableName::new("ods.orders")).as_str(), "dev_ods.orders");
        assert_eq!(dev.table(&TableName::new("dwd.orders")).as_str(), "dev_dwd.orders");
        assert_eq!(dev.database("dq"), "dev_dq");
        assert!(dev.maps_database("anything"));
        assert_eq!(dev.table(&TableName::new("orders")).as_str(), "orders");
    }
}
