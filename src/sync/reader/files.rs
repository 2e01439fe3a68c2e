//! File sources: ftpreader over SFTP and hdfsreader, each reading the listed columns
//! of the files at `path` by position.

use crate::model::{Connection, ConnectionKind, TableName};
use crate::sync::columns::SideColumns;
use crate::sync::job::{CredentialVariable, Reader, ReaderColumn};
use crate::sync::resolver::{Resolver, misconfigured};
use crate::sync::types::ValueKind;

use super::file_type;

impl Resolver<'_> {
    /// An ftpreader (sftp) or hdfsreader; the source is named after its first path.
    pub(super) fn file_reader(
        &mut self,
        connection: &Connection,
        reader: &mut Reader,
        side: &mut SideColumns,
        credentials: &mut Vec<CredentialVariable>,
        external_reads: &mut Vec<TableName>,
    ) -> Option<String> {
        let source = &self.sync.source;
        let kind = connection.kind;
        let sftp = kind == ConnectionKind::Sftp;
        let allowed: &[&str] = if sftp {
            &[
                "path",
                "format",
                "field_delimiter",
                "skip_header",
                "encoding",
                "compress",
                "null_format",
            ]
        } else {
            &["path", "format", "field_delimiter", "encoding", "null_format"]
        };
        self.refuse_source_keys(kind, allowed);
        let Some(paths) = &source.paths else {
            self.push(misconfigured(
                format!("{} source needs `path`", kind.with_article()),
                source.span,
                "no `path:`",
                "add `path: /dir/file_${bizdate_nodash}.csv` (`*` matches any text)",
            ));
            return None;
        };
        let format = source.format.as_ref().map_or("csv", |f| f.value.as_str());
        if sftp && matches!(format, "orc" | "parquet") {
            self.push(misconfigured(
                format!("DataX reads {format} files from HDFS only"),
                source.format.as_ref().map_or(source.span, |f| f.span),
                "an sftp source",
                "use `csv` or `text`",
            ));
        }
        if source.columns.is_empty() {
            self.push(misconfigured(
                "a file source must list its columns",
                source.span,
                "no `columns:`",
                "list the fields in file order, e.g. `- {name: order_id, type: long}`",
            ));
        }
        reader.paths = paths.value.iter().map(|p| self.substitute(p, paths.span)).collect();
        reader.columns = source
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ReaderColumn {
                name: None,
                index: Some(i),
                data_type: Some(file_type(kind, c)),
                format: c.format.clone(),
            })
            .collect();
        for (i, column) in source.columns.iter().enumerate() {
            if column.data_type.is_none() {
                side.kinds[i] = Some((ValueKind::Text, column.span));
            }
        }
        reader.field_delimiter = Some(source.field_delimiter.clone().unwrap_or_else(|| ",".to_owned()));
        reader.encoding = Some(source.encoding.clone().unwrap_or_else(|| "UTF-8".to_owned()));
        reader.null_format.clone_from(&source.null_format);
        if sftp {
            self.sftp_server(connection, reader, credentials);
        } else {
            reader.plugin = "hdfsreader";
            reader.file_type = Some(if format == "csv" { "csv" } else { format }.to_owned());
            self.hdfs_client(
                connection,
                &mut reader.default_fs,
                &mut reader.hadoop_config,
                &mut reader.kerberos,
            );
        }
        let name = TableName::from_parts([connection.name.as_str(), &file_stem(&paths.value[0])]);
        let table_name = name.to_string();
        external_reads.push(name);
        Some(table_name)
    }

    /// The SFTP server an ftpreader logs in to.
    fn sftp_server(&mut self, connection: &Connection, reader: &mut Reader, credentials: &mut Vec<CredentialVariable>) {
        let source = &self.sync.source;
        let (username, password) = self.credentials(connection, credentials);
        reader.plugin = "ftpreader";
        reader.protocol = Some("sftp".to_owned());
        reader.username = username;
        reader.password = password;
        reader.port = Some(connection.port.unwrap_or(22));
        reader.skip_header = source.skip_header;
        reader.compress.clone_from(&source.compress);
        reader.host.clone_from(&connection.host);
        if connection.host.is_none() {
            self.push(misconfigured(
                format!("connection `{}` has no host", connection.name),
                connection.span,
                "an sftp connection",
                "add `host:`",
            ));
        }
    }
}

/// A name for a file source: the last path segment that still has a name once
/// placeholders, wildcards and extensions are removed.
fn file_stem(path: &str) -> String {
    let cleaned = |segment: &str| -> String {
        let mut stem = String::new();
        let mut rest = segment;
        while let Some(start) = rest.find("${") {
            stem.push_str(&rest[..start]);
            rest = rest[start..].find('}').map_or("", |end| &rest[start + end + 1..]);
        }
        stem.push_str(rest);
        let stem = stem.split('.').next().unwrap_or_default();
        crate::words::snake_name(stem).trim_matches('_').to_owned()
    };
    let name = path
        .split('/')
        .rev()
        .map(cleaned)
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "files".to_owned());
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_drop_placeholders_and_extensions() {
        assert_eq!(file_stem("/out/WINGPAY_SETTLE_${bizdate_nodash}.csv"), "wingpay_settle");
        assert_eq!(file_stem("/data/*.csv"), "data");
        assert_eq!(file_stem("/landing/events/"), "events");
        assert_eq!(file_stem("/landing/clicks/${bizdate}/*"), "clicks");
        assert_eq!(file_stem("/*"), "files");
    }
}
