//! DataX sync tasks, the connections they read and write, and the warehouse tables
//! flows declare.

use std::collections::BTreeMap;

use crate::diagnostic::Span;
use crate::model::{Spanned, TableName};

/// The kind of system a connection reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectionKind {
    /// Oracle over JDBC.
    Oracle,
    /// OceanBase (MySQL mode) over JDBC.
    Oceanbase,
    /// MySQL over JDBC.
    Mysql,
    /// Files on an SFTP server.
    Sftp,
    /// HBase.
    Hbase,
    /// Files in HDFS.
    Hdfs,
    /// The Hive warehouse: tables declared under a flow's `tables:`.
    Hive,
}

impl ConnectionKind {
    /// Parses the `type` of a connection.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "oracle" => Self::Oracle,
            "oceanbase" => Self::Oceanbase,
            "mysql" => Self::Mysql,
            "sftp" => Self::Sftp,
            "hbase" => Self::Hbase,
            "hdfs" => Self::Hdfs,
            "hive" => Self::Hive,
            _ => return None,
        })
    }

    /// The `type` as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oracle => "oracle",
            Self::Oceanbase => "oceanbase",
            Self::Mysql => "mysql",
            Self::Sftp => "sftp",
            Self::Hbase => "hbase",
            Self::Hdfs => "hdfs",
            Self::Hive => "hive",
        }
    }

    /// The type with its article, for messages: `an oracle`, `a mysql`.
    pub const fn with_article(self) -> &'static str {
        match self {
            Self::Oracle => "an oracle",
            Self::Oceanbase => "an oceanbase",
            Self::Mysql => "a mysql",
            Self::Sftp => "an sftp",
            Self::Hbase => "an hbase",
            Self::Hdfs => "an hdfs",
            Self::Hive => "a hive",
        }
    }

    /// Whether it is a relational database read over JDBC.
    pub const fn is_jdbc(self) -> bool {
        matches!(self, Self::Oracle | Self::Oceanbase | Self::Mysql)
    }
}

/// How a task gets the credentials of a connection at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// None needed (HDFS, Hive, HBase).
    None,
    /// Login and password of an Airflow connection.
    AirflowConnection(String),
    /// A password in an environment variable of the workers.
    Environment {
        /// The variable holding the password.
        password: String,
    },
}

/// A named connection to a source or target system; credentials only by reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The connection's name.
    pub name: String,
    /// Its type.
    pub kind: ConnectionKind,
    /// Where the name is declared.
    pub span: Span,
    /// Host (JDBC databases, SFTP).
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database connected to.
    pub database: Option<String>,
    /// A full JDBC URL instead of host/port/database.
    pub jdbc_url: Option<String>,
    /// User name, when written.
    pub username: Option<String>,
    /// Environment variable holding the user name.
    pub username_env: Option<String>,
    /// Where the password comes from.
    pub credentials: Credentials,
    /// Both `airflow_conn_id` and `password_env` were given (an error).
    pub conflicting_credentials: bool,
    /// OceanBase cluster and tenant.
    pub oceanbase_tenant: Option<(String, String)>,
    /// HBase ZooKeeper quorum.
    pub zookeeper_quorum: Option<String>,
    /// HBase `zookeeper.znode.parent`.
    pub znode_parent: Option<String>,
    /// HBase reader: `hbase11x` (default) or `hbase20xsql`.
    pub hbase_reader: Option<String>,
    /// Phoenix query server of `hbase20xsql`.
    pub query_server: Option<String>,
    /// HDFS NameNode.
    pub default_fs: Option<String>,
    /// Hive warehouse directory.
    pub warehouse_dir: Option<String>,
    /// Extra Hadoop settings, as JSON scalars.
    pub hadoop_config: BTreeMap<String, serde_json::Value>,
    /// Kerberos principal and keytab path.
    pub kerberos: Option<(String, String)>,
}

impl Connection {
    /// A connection of `kind` with nothing else set.
    pub fn new(name: &str, kind: ConnectionKind, span: Span) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            span,
            host: None,
            port: None,
            database: None,
            jdbc_url: None,
            username: None,
            username_env: None,
            credentials: Credentials::None,
            conflicting_credentials: false,
            oceanbase_tenant: None,
            zookeeper_quorum: None,
            znode_parent: None,
            hbase_reader: None,
            query_server: None,
            default_fs: None,
            warehouse_dir: None,
            hadoop_config: BTreeMap::new(),
            kerberos: None,
        }
    }
}

/// One column of a sync source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncColumn {
    /// Its name (`family:qualifier` or a bare qualifier for HBase).
    pub name: String,
    /// The source system's type, when given.
    pub data_type: Option<String>,
    /// Date pattern of a date column in files.
    pub format: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// HBase row-key range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowkeyRange {
    /// First key, inclusive.
    pub start: Option<String>,
    /// Last key, exclusive.
    pub end: Option<String>,
    /// Keys use HBase's binary escapes.
    pub binary: bool,
}

/// The source side of a sync.
#[derive(Clone, Debug)]
pub struct SyncSource {
    /// The `source:` mapping.
    pub span: Span,
    /// Connection name.
    pub connection: Spanned<String>,
    /// Source table, as named in the source system (or a warehouse table for hive).
    pub table: Option<Spanned<String>>,
    /// Source query, instead of a table.
    pub query: Option<Spanned<String>>,
    /// Columns read, in order.
    pub columns: Vec<SyncColumn>,
    /// Where `columns:` is written.
    pub columns_span: Option<Span>,
    /// Filter of a table read.
    pub filter: Option<Spanned<String>>,
    /// Split key.
    pub split_key: Option<Spanned<String>>,
    /// Rows per fetch.
    pub fetch_size: Option<Spanned<u32>>,
    /// Partition of a hive source.
    pub partition: Option<Spanned<String>>,
    /// File paths (sftp, hdfs).
    pub paths: Option<Spanned<Vec<String>>>,
    /// File format (sftp, hdfs).
    pub format: Option<Spanned<String>>,
    /// Field separator of csv/text files.
    pub field_delimiter: Option<String>,
    /// Skip a header line.
    pub skip_header: bool,
    /// File encoding.
    pub encoding: Option<String>,
    /// File compression.
    pub compress: Option<String>,
    /// Text standing for NULL.
    pub null_format: Option<String>,
    /// HBase column family of bare qualifiers.
    pub column_family: Option<Spanned<String>>,
    /// HBase row-key range.
    pub rowkey_range: Option<Spanned<RowkeyRange>>,
}

/// The target side of a sync.
#[derive(Clone, Debug)]
pub struct SyncTarget {
    /// The `target:` mapping.
    pub span: Span,
    /// Connection name, when given (else the project's hive connection).
    pub connection: Option<Spanned<String>>,
    /// Target table as written.
    pub table: Spanned<String>,
    /// Partition spec, e.g. `dt=${bizdate}`.
    pub partition: Option<Spanned<String>>,
    /// Write mode as written.
    pub write_mode: Option<Spanned<String>>,
    /// Columns written, when listed.
    pub columns: Vec<Spanned<String>>,
    /// Where `columns:` is written.
    pub columns_span: Option<Span>,
    /// mysql: statements run before writing.
    pub pre_sql: Vec<String>,
    /// mysql: statements run after writing.
    pub post_sql: Vec<String>,
    /// mysql: rows per batch.
    pub batch_size: Option<u32>,
}

/// Throttling asked for by one sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncSpeed {
    /// Where `speed:` is written.
    pub span: Option<Span>,
    /// Channels.
    pub channels: Option<u32>,
    /// Bytes per second of the whole job.
    pub bytes_per_second: Option<u64>,
    /// Records per second of the whole job.
    pub records_per_second: Option<u64>,
}

/// Dirty records tolerated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorLimit {
    /// Where `error_limit:` is written.
    pub span: Option<Span>,
    /// A count.
    pub records: Option<u64>,
    /// A ratio in [0, 1].
    pub ratio: Option<f64>,
}

/// A DataX data sync.
#[derive(Clone, Debug)]
pub struct SyncTask {
    /// Where data comes from.
    pub source: SyncSource,
    /// Where it goes.
    pub target: SyncTarget,
    /// Throttling.
    pub speed: SyncSpeed,
    /// Dirty-record limit.
    pub error_limit: ErrorLimit,
}

/// Storage format of a warehouse table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// ORC files (the default).
    Orc,
    /// Parquet files.
    Parquet,
    /// Delimited text files.
    Text,
}

impl TableFormat {
    /// The format as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Orc => "orc",
            Self::Parquet => "parquet",
            Self::Text => "text",
        }
    }
}

/// One column of a declared table (or of a declared source table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableColumn {
    /// Its name, lower case.
    pub name: String,
    /// Its Hive type, lower case, as written (`decimal(18,2)`); `string` for a
    /// partition column given by name only.
    pub hive_type: String,
    /// Where its type is written (a partition column given by name only: its name).
    pub span: Span,
    /// Its comment.
    pub description: Option<String>,
    /// Classes of sensitive data it holds, as written (names under `classifications:`).
    pub classifications: Vec<Spanned<String>>,
}

/// A warehouse table declared under a flow's `tables:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDeclaration {
    /// Its name, qualified with the flow's default database.
    pub name: Spanned<TableName>,
    /// Free text.
    pub description: Option<String>,
    /// Storage format.
    pub format: TableFormat,
    /// Field separator of text files.
    pub field_delimiter: String,
    /// HDFS directory, when not the default.
    pub location: Option<String>,
    /// The names of the partition columns, outermost first (those of
    /// `partition_columns`).
    pub partitioned_by: Vec<String>,
    /// Where `partitioned_by:` is written (else the name).
    pub partitioned_by_span: Span,
    /// The partition columns, outermost first, with their types.
    pub partition_columns: Vec<TableColumn>,
    /// Columns in table order.
    pub columns: Vec<TableColumn>,
}
