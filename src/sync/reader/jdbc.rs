//! JDBC sources (Oracle, OceanBase, MySQL): a table with its listed columns and a
//! filter, or a query whose output columns and tables are read from its text.

use crate::model::{Connection, ConnectionKind, Spanned, TableName};
use crate::sql::query_shape;

use super::named;
use crate::sync::columns::SideColumns;
use crate::sync::job::{CredentialVariable, Reader};
use crate::sync::resolver::{Resolver, external_table, misconfigured};

impl Resolver<'_> {
    /// An oraclereader, oceanbasev10reader or mysqlreader; the name of the first table
    /// read (`<connection>.query` when a query names none).
    pub(super) fn jdbc_reader(
        &mut self,
        connection: &Connection,
        reader: &mut Reader,
        side: &mut SideColumns,
        credentials: &mut Vec<CredentialVariable>,
        external_reads: &mut Vec<TableName>,
    ) -> Option<String> {
        let source = &self.sync.source;
        let kind = connection.kind;
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
            (Some(table), None) => Some(self.jdbc_table(connection, table, reader, external_reads)),
            (None, Some(query)) => Some(self.jdbc_query(connection, query, reader, side, external_reads)),
            (Some(table), Some(_)) => {
                self.push(misconfigured(
                    "a query-mode source has no `table`",
                    table.span,
                    "`query` is also set",
                    "keep `table` (with `columns` and `where`) or `query`, not both",
                ));
                None
            }
            (None, None) => {
                self.push(misconfigured(
                    format!("{} source needs `table` or `query`", kind.with_article()),
                    source.span,
                    "neither is set",
                    "add `table: schema.table` with `columns:`, or `query: SELECT …`",
                ));
                None
            }
        }
    }

    /// Table mode: the listed columns of one table, with `where` and `split_key`.
    fn jdbc_table(
        &mut self,
        connection: &Connection,
        table: &Spanned<String>,
        reader: &mut Reader,
        external_reads: &mut Vec<TableName>,
    ) -> String {
        let source = &self.sync.source;
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
        let name = qualified.to_string();
        external_reads.push(qualified);
        name
    }

    /// Query mode: the query's output columns stand for `columns:` when none are
    /// listed, and every table it names is read.
    fn jdbc_query(
        &mut self,
        connection: &Connection,
        query: &Spanned<String>,
        reader: &mut Reader,
        side: &mut SideColumns,
        external_reads: &mut Vec<TableName>,
    ) -> String {
        let source = &self.sync.source;
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
        let shape = query_shape(&text);
        match (shape.columns, source.columns.is_empty()) {
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
        let first = shape.tables.first().map(|t| external_table(connection, t));
        for table in &shape.tables {
            external_reads.push(external_table(connection, table));
        }
        reader.query = Some(text);
        first.map_or_else(|| format!("{}.query", connection.name), |t| t.to_string())
    }
}
