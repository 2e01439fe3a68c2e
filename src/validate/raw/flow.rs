//! `flow.yaml` as written: the serde mirror of the flow schema.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{Alert, CrossFlowMode, Priority};

/// The whole `flow.yaml`.
#[derive(Deserialize)]
pub(crate) struct RawFlow {
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) description: Option<String>,
    pub(crate) schedule: String,
    pub(crate) start_date: Option<String>,
    pub(crate) timezone: Option<String>,
    pub(crate) priority: Option<Priority>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    pub(crate) default_database: Option<String>,
    pub(crate) max_active_runs: Option<u32>,
    pub(crate) max_active_tasks: Option<u32>,
    pub(crate) dagrun_timeout: Option<String>,
    pub(crate) sla: Option<String>,
    #[serde(default)]
    pub(crate) catchup: bool,
    pub(crate) cross_flow: Option<CrossFlowMode>,
    #[serde(default)]
    pub(crate) defaults: RawDefaults,
    #[serde(default)]
    pub(crate) params: BTreeMap<String, Value>,
    pub(crate) tasks: Vec<RawTask>,
    #[serde(default)]
    pub(crate) tables: Vec<RawTable>,
}

/// One table a flow declares (`tables:`).
#[derive(Deserialize)]
pub(crate) struct RawTable {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) field_delimiter: Option<String>,
    pub(crate) location: Option<String>,
    #[serde(default)]
    pub(crate) partitioned_by: Vec<RawPartitionColumn>,
    pub(crate) columns: Vec<RawTableColumn>,
}

/// One column of a declared table.
#[derive(Deserialize)]
pub(crate) struct RawTableColumn {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) hive_type: Option<String>,
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) classifications: Vec<String>,
}

/// One partition column: a name (a `string` column), or a column.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawPartitionColumn {
    /// `dt`.
    Name(String),
    /// `{name: dt, type: date}`.
    Column(RawTableColumn),
}

/// `defaults:` of a flow, for every task.
#[derive(Default, Deserialize)]
pub(crate) struct RawDefaults {
    pub(crate) retries: Option<u32>,
    pub(crate) retry_delay: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) depends_on_past: Option<bool>,
    pub(crate) alerts: Option<Vec<Alert>>,
    #[serde(default)]
    pub(crate) conf: BTreeMap<String, Value>,
}

/// One task, every type's fields together (the schema keeps each type to its own).
#[derive(Deserialize)]
pub(crate) struct RawTask {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) depends_on: Vec<String>,
    pub(crate) priority: Option<Priority>,
    pub(crate) retries: Option<u32>,
    pub(crate) retry_delay: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) depends_on_past: Option<bool>,
    pub(crate) alerts: Option<Vec<Alert>>,
    #[serde(default)]
    pub(crate) params: BTreeMap<String, Value>,
    #[serde(default)]
    pub(crate) quality: Vec<Value>,
    // sparksql
    pub(crate) sql: Option<String>,
    #[serde(default)]
    pub(crate) conf: BTreeMap<String, Value>,
    pub(crate) default_database: Option<String>,
    pub(crate) operator: Option<String>,
    // sync
    pub(crate) source: Option<RawSyncSource>,
    pub(crate) target: Option<RawSyncTarget>,
    pub(crate) speed: Option<RawSpeed>,
    pub(crate) error_limit: Option<RawErrorLimit>,
    // ml
    pub(crate) application: Option<String>,
    pub(crate) main_class: Option<String>,
    #[serde(default)]
    pub(crate) args: Vec<String>,
    // kylin
    pub(crate) cube: Option<String>,
    pub(crate) project: Option<String>,
    pub(crate) build_type: Option<String>,
    // trigger
    pub(crate) wait_for: Option<RawWaitFor>,
    // ml, kylin, trigger
    #[serde(default)]
    pub(crate) reads: Vec<String>,
    #[serde(default)]
    pub(crate) writes: Vec<String>,
}

/// `source:` of a sync task.
#[derive(Deserialize)]
pub(crate) struct RawSyncSource {
    pub(crate) connection: String,
    pub(crate) table: Option<String>,
    pub(crate) query: Option<String>,
    #[serde(default)]
    pub(crate) columns: Vec<RawSyncColumn>,
    #[serde(rename = "where")]
    pub(crate) filter: Option<String>,
    pub(crate) split_key: Option<String>,
    pub(crate) fetch_size: Option<u32>,
    pub(crate) partition: Option<String>,
    pub(crate) path: Option<RawPaths>,
    pub(crate) format: Option<String>,
    pub(crate) field_delimiter: Option<String>,
    #[serde(default)]
    pub(crate) skip_header: bool,
    pub(crate) encoding: Option<String>,
    pub(crate) compress: Option<String>,
    pub(crate) null_format: Option<String>,
    pub(crate) column_family: Option<String>,
    pub(crate) rowkey_range: Option<RawRowkeyRange>,
}

/// One source column: a name, or a name with a type and format.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawSyncColumn {
    Name(String),
    Typed {
        name: String,
        #[serde(rename = "type")]
        data_type: Option<String>,
        format: Option<String>,
    },
}

/// `path:` of a file source: one path or several.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawPaths {
    One(String),
    Many(Vec<String>),
}

/// `rowkey_range:` of an HBase source.
#[derive(Deserialize)]
pub(crate) struct RawRowkeyRange {
    pub(crate) start: Option<String>,
    pub(crate) end: Option<String>,
    #[serde(default)]
    pub(crate) binary: bool,
}

/// `target:` of a sync task.
#[derive(Deserialize)]
pub(crate) struct RawSyncTarget {
    pub(crate) connection: Option<String>,
    pub(crate) table: String,
    pub(crate) partition: Option<String>,
    pub(crate) write_mode: Option<String>,
    #[serde(default)]
    pub(crate) columns: Vec<String>,
    #[serde(default)]
    pub(crate) pre_sql: Vec<String>,
    #[serde(default)]
    pub(crate) post_sql: Vec<String>,
    pub(crate) batch_size: Option<u32>,
}

/// `speed:` of a sync task.
#[derive(Deserialize)]
pub(crate) struct RawSpeed {
    pub(crate) channels: Option<u32>,
    pub(crate) bytes_per_second: Option<u64>,
    pub(crate) records_per_second: Option<u64>,
}

/// `error_limit:` of a sync task.
#[derive(Deserialize)]
pub(crate) struct RawErrorLimit {
    pub(crate) records: Option<u64>,
    pub(crate) ratio: Option<f64>,
}

/// `wait_for:` of a trigger task.
#[derive(Deserialize)]
pub(crate) struct RawWaitFor {
    pub(crate) kind: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) connection: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) table: Option<String>,
    pub(crate) partition: Option<String>,
    pub(crate) poke_interval: Option<String>,
    pub(crate) timeout: Option<String>,
}
