//! The writer of a DataX job: hdfswriter into a declared warehouse table, or
//! mysqlwriter into a MySQL table.

use std::fmt::Write as _;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Connection, ConnectionKind, TableFormat, TableName};
use crate::sql::TableRef;

use super::columns::SideColumns;
use super::job::{CredentialVariable, HivePartition, Writer, WriterColumn};
use super::partition::partition_location;
use super::resolver::{Resolver, external_table, misconfigured, table_location};
use super::types;

impl Resolver<'_> {
    /// The writer, the columns it takes and the name of the table written.
    pub(super) fn writer(
        &mut self,
        connection: &Connection,
        credentials: &mut Vec<CredentialVariable>,
        writes: &mut Vec<TableRef>,
        external_writes: &mut Vec<TableName>,
        partition: &mut Option<HivePartition>,
    ) -> Option<(Writer, SideColumns, String)> {
        let target = &self.sync.target;
        match connection.kind {
            ConnectionKind::Hive => self.hive_writer(connection, writes, partition),
            ConnectionKind::Mysql => Some(self.mysql_writer(connection, credentials, external_writes)),
            other => {
                self.push(misconfigured(
                    format!("flowc does not write to {} connections", other.as_str()),
                    target.connection.as_ref().map_or(target.span, |c| c.span),
                    format!("`{}` is {} connection", connection.name, other.with_article()),
                    "a sync writes a warehouse table (a hive connection, hdfswriter) or a mysql table (mysqlwriter)",
                ));
                None
            }
        }
    }

    /// hdfswriter: every column of a declared table, into its (partition) directory;
    /// `partition` is set to the partition that directory is.
    fn hive_writer(
        &mut self,
        connection: &Connection,
        writes: &mut Vec<TableRef>,
        partition: &mut Option<HivePartition>,
    ) -> Option<(Writer, SideColumns, String)> {
        let target = &self.sync.target;
        let mut out = Writer::default();
        let write_mode = target.write_mode.as_ref().map(|m| (m.value.as_str(), m.span));
        self.refuse_target_keys(ConnectionKind::Hive);
        let name = TableName::new(&target.table.value).qualified_with(self.flow.default_database.as_deref());
        let declaration = self.declared(&name, target.table.span)?;
        self.check_partition(declaration, target.partition.as_ref(), target.table.span);
        out.write_mode = match write_mode {
            None | Some(("overwrite", _)) => "truncate".to_owned(),
            Some(("append", _)) => "append".to_owned(),
            Some((other, span)) => {
                self.push(misconfigured(
                    format!("`{other}` is not a write mode of a hive target"),
                    span,
                    "a mysql write mode",
                    "use `overwrite` (replace the partition's files) or `append`",
                ));
                String::new()
            }
        };
        let table_columns: Vec<&str> = declaration.columns.iter().map(|c| c.name.as_str()).collect();
        let listed: Vec<String> = target.columns.iter().map(|c| c.value.to_lowercase()).collect();
        if !listed.is_empty() && listed != table_columns {
            self.push(
                Diagnostic::error(
                    Code::SyncColumnCount,
                    format!("target columns differ from the columns of `{name}`"),
                )
                .at(target.columns_span.unwrap_or(target.span))
                .with_label(format!("{} listed", listed.len()))
                .with_secondary(declaration.name.span, format!("{} declared here", table_columns.len()))
                .with_help(format!(
                    "hdfswriter writes every column of the table in table order ({}); order the source columns to match and drop `columns:` here",
                    table_columns.join(", ")
                )),
            );
        }
        for column in &declaration.columns {
            if let Some(why) = types::hdfswriter_unsupported(&column.hive_type) {
                self.push(
                    Diagnostic::error(
                        Code::SyncColumnType,
                        format!("column `{}` of `{name}` is `{}`", column.name, column.hive_type),
                    )
                    .at(column.span)
                    .with_label("written by a sync task")
                    .with_help(why),
                );
            }
        }
        let location = table_location(connection, declaration, self.environment);
        let spec = self.partition_spec(declaration);
        let partition_dir = spec.iter().fold(String::new(), |mut dir, (column, value)| {
            let _ = write!(dir, "/{column}={value}");
            dir
        });
        out.plugin = "hdfswriter";
        out.path = Some(format!("{location}{partition_dir}"));
        out.file_name = Some(name.as_str().rsplit('.').next().unwrap_or(name.as_str()).to_owned());
        out.file_type = Some(declaration.format.as_str().to_owned());
        out.field_delimiter = Some(declaration.field_delimiter.clone());
        out.compress = match declaration.format {
            TableFormat::Orc => Some("SNAPPY".to_owned()),
            TableFormat::Parquet | TableFormat::Text => None,
        };
        out.columns = declaration
            .columns
            .iter()
            .map(|c| WriterColumn {
                name: c.name.clone(),
                data_type: types::hdfswriter_type(&c.hive_type),
            })
            .collect();
        self.hdfs_client(
            connection,
            &mut out.default_fs,
            &mut out.hadoop_config,
            &mut out.kerberos,
        );
        let side = SideColumns {
            names: declaration.columns.iter().map(|c| c.name.clone()).collect(),
            kinds: Vec::new(),
            span: declaration.name.span,
        };
        let name = self.mapped(&name);
        let qualified = name.to_string();
        if !declaration.partitioned_by.is_empty() && !spec.is_empty() {
            *partition = Some(HivePartition {
                table: name.clone(),
                spec,
                location: partition_location(out.default_fs.as_deref(), &location, &partition_dir),
            });
        }
        writes.push(TableRef {
            name,
            span: target.table.span,
        });
        Some((out, side, qualified))
    }

    /// mysqlwriter: the listed columns of a MySQL table.
    fn mysql_writer(
        &mut self,
        connection: &Connection,
        credentials: &mut Vec<CredentialVariable>,
        external_writes: &mut Vec<TableName>,
    ) -> (Writer, SideColumns, String) {
        let target = &self.sync.target;
        let mut out = Writer::default();
        let write_mode = target.write_mode.as_ref().map(|m| (m.value.as_str(), m.span));
        self.refuse_target_keys(ConnectionKind::Mysql);
        let (username, password) = self.credentials(connection, credentials);
        out.plugin = "mysqlwriter";
        out.username = username;
        out.password = password;
        out.jdbc_url = self.jdbc_url(connection);
        out.tables = vec![target.table.value.clone()];
        out.write_mode = match write_mode {
            None | Some(("insert", _)) => "insert".to_owned(),
            Some(("replace", _)) => "replace".to_owned(),
            Some(("update", _)) => "update".to_owned(),
            Some((other, span)) => {
                self.push(misconfigured(
                    format!("`{other}` is not a write mode of a mysql target"),
                    span,
                    "a hive write mode",
                    "use `insert`, `replace` or `update` (insert … on duplicate key update); clear old rows with `pre_sql`",
                ));
                String::new()
            }
        };
        if target.columns.is_empty() {
            self.push(misconfigured(
                "a mysql target must list its columns",
                target.span,
                "no `columns:`",
                "list the target columns in source column order",
            ));
        }
        out.column_names = target.columns.iter().map(|c| c.value.clone()).collect();
        out.pre_sql = target.pre_sql.iter().map(|s| self.substitute(s, target.span)).collect();
        out.post_sql = target
            .post_sql
            .iter()
            .map(|s| self.substitute(s, target.span))
            .collect();
        out.batch_size = target.batch_size;
        let name = external_table(connection, &target.table.value);
        external_writes.push(name.clone());
        let side = SideColumns {
            names: out.column_names.clone(),
            kinds: Vec::new(),
            span: target.columns_span.unwrap_or(target.span),
        };
        (out, side, name.to_string())
    }

    /// Keys of `target:` that do not apply to a connection kind.
    fn refuse_target_keys(&mut self, kind: ConnectionKind) {
        let target = &self.sync.target;
        let hive = kind == ConnectionKind::Hive;
        let keys: [(&str, bool); 4] = [
            ("partition", !hive && target.partition.is_some()),
            ("pre_sql", hive && !target.pre_sql.is_empty()),
            ("post_sql", hive && !target.post_sql.is_empty()),
            ("batch_size", hive && target.batch_size.is_some()),
        ];
        for (key, wrong) in keys {
            if wrong {
                let span = if key == "partition" {
                    target.partition.as_ref().map_or(target.span, |p| p.span)
                } else {
                    target.span
                };
                self.push(misconfigured(
                    format!("`{key}` does not apply to {} target", kind.with_article()),
                    span,
                    "in this target",
                    if hive {
                        "`pre_sql`, `post_sql` and `batch_size` are for mysql targets"
                    } else {
                        "mysql tables have no partition directory; filter with `pre_sql` instead"
                    },
                ));
            }
        }
    }
}
