//! The DataX job a sync task runs: reader, writer, settings, the credentials its
//! placeholders need, and the tables and columns it moves (for lineage).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::TableName;
use crate::sql::TableRef;

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
    /// The Hive partition a hive target's files land in, when its table is
    /// partitioned: registered in the metastore before the job runs.
    #[serde(skip)]
    pub partition: Option<HivePartition>,
}

/// The Hive partition a sync writes: the directory hdfswriter writes into, and the
/// partition of the metastore that directory must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HivePartition {
    /// The table, as the environment rendered for names it.
    pub table: TableName,
    /// `(column, value)` pairs, outermost first: params substituted, `${bizdate}` and
    /// `${bizdate_nodash}` kept for the run to fill in.
    pub spec: Vec<(String, String)>,
    /// The partition's directory: hdfswriter's `path`, prefixed with the NameNode
    /// (`defaultFS`) it writes to.
    pub location: String,
}
