//! Warehouse sources: hdfsreader reading a declared Hive table's files (of one
//! partition), its columns by position in the declaration.

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Connection, ConnectionKind, TableFormat, TableName};
use crate::sql::TableRef;
use crate::sync::columns::SideColumns;
use crate::sync::job::{Reader, ReaderColumn};
use crate::sync::resolver::{Resolver, misconfigured, table_location};
use crate::sync::types;

impl Resolver<'_> {
    /// An hdfsreader of a declared table: every column, or the listed ones; the source
    /// is named after the table as the environment maps it.
    pub(super) fn hive_reader(
        &mut self,
        connection: &Connection,
        reader: &mut Reader,
        side: &mut SideColumns,
        reads: &mut Vec<TableRef>,
    ) -> Option<String> {
        let source = &self.sync.source;
        let kind = connection.kind;
        self.refuse_source_keys(kind, &["table", "partition"]);
        let Some(table) = &source.table else {
            self.push(misconfigured(
                "a hive source needs `table`",
                source.span,
                "no `table:`",
                "add `table: db.table` (declared under a flow's `tables:`)",
            ));
            return None;
        };
        let name = TableName::new(&table.value).qualified_with(self.flow.default_database.as_deref());
        let declaration = self.declared(&name, table.span)?;
        self.check_partition(declaration, source.partition.as_ref(), table.span);
        let mut indexes = Vec::new();
        if source.columns.is_empty() {
            side.names = declaration.columns.iter().map(|c| c.name.clone()).collect();
            indexes = (0..declaration.columns.len()).collect();
        } else {
            for column in &source.columns {
                match declaration
                    .columns
                    .iter()
                    .position(|c| c.name == column.name.to_lowercase())
                {
                    Some(i) => indexes.push(i),
                    None => self.push(
                        Diagnostic::error(
                            Code::SyncColumnCount,
                            format!("`{name}` has no column `{}`", column.name),
                        )
                        .at(column.span)
                        .with_label("not in the table's declaration")
                        .with_help(
                            did_you_mean(&column.name, declaration.columns.iter().map(|c| c.name.as_str()))
                                .unwrap_or_else(|| "name a declared column".to_owned()),
                        ),
                    ),
                }
            }
        }
        side.kinds = indexes
            .iter()
            .map(|&i| {
                let column = &declaration.columns[i];
                types::source_kind(ConnectionKind::Hive, &column.hive_type).map(|k| (k, column.span))
            })
            .collect();
        reader.plugin = "hdfsreader";
        reader.columns = indexes
            .iter()
            .map(|&i| ReaderColumn {
                name: None,
                index: Some(i),
                data_type: Some(types::hdfsreader_type(&declaration.columns[i].hive_type).to_owned()),
                format: None,
            })
            .collect();
        let location = table_location(connection, declaration, self.environment);
        let partition_dir = source
            .partition
            .as_ref()
            .map(|p| format!("/{}", self.substitute(&p.value, p.span)))
            .unwrap_or_default();
        reader.paths = vec![format!("{location}{partition_dir}/*")];
        reader.file_type = Some(declaration.format.as_str().to_owned());
        if declaration.format == TableFormat::Text {
            reader.field_delimiter = Some(declaration.field_delimiter.clone());
        }
        reader.encoding = Some("UTF-8".to_owned());
        self.hdfs_client(
            connection,
            &mut reader.default_fs,
            &mut reader.hadoop_config,
            &mut reader.kerberos,
        );
        let name = self.mapped(&name);
        let table_name = name.to_string();
        reads.push(TableRef { name, span: table.span });
        Some(table_name)
    }
}
