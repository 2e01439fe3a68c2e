//! The reader of a DataX job, one file per source family: [`jdbc`] (Oracle,
//! OceanBase, MySQL), [`files`] (SFTP, HDFS), [`hbase`] and [`hive`] (a declared
//! warehouse table). Here: the typing of the listed source columns, the check of which
//! `source:` keys apply, and what the families share.

mod files;
mod hbase;
mod hive;
mod jdbc;

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{Connection, ConnectionKind, SyncColumn, TableName};
use crate::sql::TableRef;

use super::columns::SideColumns;
use super::job::{CredentialVariable, Reader, ReaderColumn};
use super::resolver::{Resolver, misconfigured};
use super::types;

impl Resolver<'_> {
    /// The reader, the columns it gives and the name lineage gives the source; the
    /// tables of other systems it reads go to `external_reads`, warehouse tables to
    /// `reads`.
    pub(super) fn reader(
        &mut self,
        connection: &Connection,
        credentials: &mut Vec<CredentialVariable>,
        external_reads: &mut Vec<TableName>,
        reads: &mut Vec<TableRef>,
    ) -> Option<(Reader, SideColumns, String)> {
        let kind = connection.kind;
        let mut reader = Reader::default();
        let mut side = self.listed_columns(kind);
        let table_name = match kind {
            ConnectionKind::Oracle | ConnectionKind::Oceanbase | ConnectionKind::Mysql => {
                self.jdbc_reader(connection, &mut reader, &mut side, credentials, external_reads)
            }
            ConnectionKind::Sftp | ConnectionKind::Hdfs => {
                self.file_reader(connection, &mut reader, &mut side, credentials, external_reads)
            }
            ConnectionKind::Hbase => self.hbase_reader(connection, &mut reader, &mut side, external_reads),
            ConnectionKind::Hive => self.hive_reader(connection, &mut reader, &mut side, reads),
        }?;
        Some((reader, side, table_name))
    }

    /// The source's listed columns, each with what it holds when its type is written
    /// (an error for a type the source system does not have).
    fn listed_columns(&mut self, kind: ConnectionKind) -> SideColumns {
        let source = &self.sync.source;
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
        side
    }

    /// Keys of `source:` that do not apply to a connection kind.
    pub(super) fn refuse_source_keys(&mut self, kind: ConnectionKind, allowed: &[&str]) {
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
}

/// A reader column by name (JDBC, Phoenix).
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
