//! `flowc.yaml` as written: the serde mirror of the project schema.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{AirflowVersion, Alert, CrossFlowMode, Priority};

/// The whole `flowc.yaml`.
#[derive(Deserialize)]
pub(crate) struct RawProject {
    pub(crate) project: String,
    pub(crate) timezone: Option<String>,
    #[serde(default)]
    pub(crate) sql: RawSql,
    #[serde(default)]
    pub(crate) airflow: RawAirflow,
    pub(crate) environments: BTreeMap<String, RawEnvironment>,
    #[serde(default)]
    pub(crate) priorities: BTreeMap<Priority, RawPriorityLevel>,
    #[serde(default)]
    pub(crate) connections: BTreeMap<String, RawConnection>,
    #[serde(default)]
    pub(crate) sources: Vec<RawSource>,
    #[serde(default)]
    pub(crate) teams: BTreeMap<String, RawTeam>,
    #[serde(default)]
    pub(crate) classifications: BTreeMap<String, RawClassification>,
    #[serde(default)]
    pub(crate) tables: Vec<RawTableMetadata>,
    #[serde(default)]
    pub(crate) params: BTreeMap<String, Value>,
    #[serde(default)]
    pub(crate) quality: RawQualitySettings,
    #[serde(default)]
    pub(crate) defaults: RawRunDefaults,
    #[serde(default)]
    pub(crate) runners: RawRunners,
}

/// `runners:`, of the project or of an environment.
#[derive(Default, Deserialize)]
pub(crate) struct RawRunners {
    pub(crate) spark_sql: Option<String>,
    pub(crate) spark_submit: Option<String>,
    pub(crate) datax: Option<String>,
    pub(crate) datax_home: Option<String>,
}

impl RawRunners {
    /// The model's runners.
    pub(crate) fn runners(self) -> crate::model::Runners {
        crate::model::Runners {
            spark_sql: self.spark_sql,
            spark_submit: self.spark_submit,
            datax: self.datax,
            datax_home: self.datax_home,
        }
    }
}

/// One entry of `classifications:`.
#[derive(Deserialize)]
pub(crate) struct RawClassification {
    #[serde(default = "yes")]
    pub(crate) requires_grant: bool,
}

fn yes() -> bool {
    true
}

/// One entry of `tables:` (metadata by table pattern).
#[derive(Deserialize)]
pub(crate) struct RawTableMetadata {
    #[serde(rename = "match")]
    pub(crate) tables: String,
    pub(crate) owner: Option<String>,
    #[serde(default)]
    pub(crate) classifications: Vec<String>,
}

/// One grant of a team: `read:` or `write:` a table pattern.
#[derive(Deserialize)]
pub(crate) struct RawGrant {
    pub(crate) read: Option<String>,
    pub(crate) write: Option<String>,
    #[serde(default)]
    pub(crate) classifications: Vec<String>,
}

/// `sql:`.
#[derive(Default, Deserialize)]
pub(crate) struct RawSql {
    pub(crate) default_database: Option<String>,
}

/// `airflow:`; what is left out takes [`crate::model::AirflowSettings`]'s default.
#[derive(Default, Deserialize)]
pub(crate) struct RawAirflow {
    pub(crate) version: Option<AirflowVersion>,
    pub(crate) spark_sql_conn_id: Option<String>,
    pub(crate) spark_conn_id: Option<String>,
    pub(crate) kylin_conn_id: Option<String>,
    pub(crate) metastore_conn_id: Option<String>,
    pub(crate) fs_conn_id: Option<String>,
    pub(crate) datax_command: Option<String>,
    pub(crate) datax_job_root: Option<String>,
    pub(crate) sql_runner: Option<String>,
    #[serde(default)]
    pub(crate) sensor: RawSensor,
    pub(crate) cross_flow: Option<CrossFlowMode>,
}

/// `airflow.sensor:`.
#[derive(Default, Deserialize)]
pub(crate) struct RawSensor {
    pub(crate) poke_interval: Option<String>,
    pub(crate) timeout: Option<String>,
}

/// One entry of `environments:`.
#[derive(Deserialize)]
pub(crate) struct RawEnvironment {
    #[serde(default)]
    pub(crate) dag_prefix: String,
    #[serde(default)]
    pub(crate) databases: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) connections: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) airflow_connections: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) pool_slots: BTreeMap<Priority, u32>,
    #[serde(default)]
    pub(crate) schedule: Option<String>,
    #[serde(default)]
    pub(crate) queues: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) yarn_queues: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) deploy_from: Vec<String>,
    #[serde(default)]
    pub(crate) runners: RawRunners,
}

/// One entry of `priorities:`; what is left out keeps the level's default.
#[derive(Deserialize)]
pub(crate) struct RawPriorityLevel {
    pub(crate) pool: Option<String>,
    pub(crate) pool_slots: Option<u32>,
    pub(crate) weight: Option<u32>,
    pub(crate) weight_rule: Option<String>,
    pub(crate) yarn_queue: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) datax: Option<RawDatax>,
}

/// `datax:` of a priority level.
#[derive(Deserialize)]
pub(crate) struct RawDatax {
    pub(crate) channels: Option<u32>,
    pub(crate) bytes_per_second: Option<u64>,
}

/// One entry of `connections:`.
#[derive(Deserialize)]
pub(crate) struct RawConnection {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) airflow_conn_id: Option<String>,
    pub(crate) password_env: Option<String>,
    pub(crate) username_env: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) database: Option<String>,
    pub(crate) jdbc_url: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) cluster: Option<String>,
    pub(crate) tenant: Option<String>,
    pub(crate) zookeeper_quorum: Option<String>,
    pub(crate) znode_parent: Option<String>,
    pub(crate) reader: Option<String>,
    pub(crate) query_server: Option<String>,
    pub(crate) default_fs: Option<String>,
    pub(crate) warehouse_dir: Option<String>,
    #[serde(default)]
    pub(crate) hadoop_config: BTreeMap<String, Value>,
    pub(crate) kerberos: Option<RawKerberos>,
}

/// `kerberos:` of a connection.
#[derive(Deserialize)]
pub(crate) struct RawKerberos {
    pub(crate) principal: String,
    pub(crate) keytab: String,
}

/// One entry of `sources:`.
#[derive(Deserialize)]
pub(crate) struct RawSource {
    pub(crate) table: String,
    #[serde(default)]
    pub(crate) columns: Vec<super::flow::RawTableColumn>,
    #[serde(default)]
    pub(crate) partitioned_by: Vec<super::flow::RawPartitionColumn>,
}

/// One entry of `teams:`.
#[derive(Deserialize)]
pub(crate) struct RawTeam {
    pub(crate) github: Option<String>,
    #[serde(default)]
    pub(crate) platform: bool,
    pub(crate) grants: Option<Vec<RawGrant>>,
}

/// `quality:` of `flowc.yaml` as written.
#[derive(Default, Deserialize)]
pub(crate) struct RawQualitySettings {
    pub(crate) results_table: Option<String>,
    pub(crate) partition: Option<String>,
    pub(crate) retries: Option<u32>,
}

/// `defaults:` of `flowc.yaml` as written.
#[derive(Default, Deserialize)]
pub(crate) struct RawRunDefaults {
    pub(crate) retries: Option<u32>,
    pub(crate) retry_delay: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) depends_on_past: Option<bool>,
    pub(crate) alerts: Option<Vec<Alert>>,
    pub(crate) max_active_runs: Option<u32>,
    pub(crate) dagrun_timeout: Option<String>,
    pub(crate) sla: Option<String>,
}
