//! HBase sources: hbase11xreader scanning a row-key range of `family:qualifier`
//! columns, or hbase20xsqlreader reading a Phoenix table (the connection's `reader:`).

use crate::model::{Connection, Spanned, TableName};
use crate::sync::columns::SideColumns;
use crate::sync::job::{Reader, ReaderColumn};
use crate::sync::resolver::{Resolver, misconfigured};
use crate::sync::types::ValueKind;

use super::{file_type, named};

impl Resolver<'_> {
    /// An hbase11xreader or hbase20xsqlreader; the source is named
    /// `<connection>.<table>`.
    pub(super) fn hbase_reader(
        &mut self,
        connection: &Connection,
        reader: &mut Reader,
        side: &mut SideColumns,
        external_reads: &mut Vec<TableName>,
    ) -> Option<String> {
        let source = &self.sync.source;
        let kind = connection.kind;
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
            self.phoenix_reader(connection, table, reader);
        } else {
            self.hbase11x_reader(connection, reader, side);
        }
        let name = TableName::from_parts([connection.name.as_str(), &table.value.to_lowercase()]);
        let table_name = name.to_string();
        external_reads.push(name);
        Some(table_name)
    }

    /// hbase20xsqlreader: named Phoenix columns through the query server, split by a key.
    fn phoenix_reader(&mut self, connection: &Connection, table: &Spanned<String>, reader: &mut Reader) {
        let source = &self.sync.source;
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
    }

    /// hbase11xreader: `rowkey` and `family:qualifier` columns in a row-key range,
    /// found through ZooKeeper.
    fn hbase11x_reader(&mut self, connection: &Connection, reader: &mut Reader, side: &mut SideColumns) {
        let source = &self.sync.source;
        let kind = connection.kind;
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
}
