//! The DDL as Spark SQL (Hive DDL, as Spark 3.5 with Hive support accepts it).
//!
//! Names are quoted with backticks (a backtick in a name doubled). User text —
//! descriptions, locations, delimiters — is a Spark string literal in which every
//! character that could end it, start a comment, or be taken for a statement end or a
//! variable by a tool that splits or substitutes SQL text (`'`, `"`, `\`, `;`, `$`,
//! `` ` ``, `{`, `}`, `--`, `/*`, `*/`, control and invisible characters) is a `\uXXXX`
//! escape, which Spark turns back into the character.

use std::fmt::Write as _;

use super::{Ddl, DdlColumn, DdlTable, Storage};
use crate::diagnostic::invisible;
use crate::model::TableName;

/// The whole `ddl.sql` of one environment of project `project`.
pub fn render(ddl: &Ddl, project: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Table DDL of environment `{}` of project `{}`, written by flowc: every table whose\n\
         -- schema flowc knows (declared, synced by DataX, or inferred from the SQL that writes it).\n\
         -- Idempotent (IF NOT EXISTS): apply it before the DAGs go live, `spark-sql -f ddl.sql`.",
        comment_text(&ddl.environment),
        comment_text(project)
    );
    for database in ddl.databases() {
        let _ = write!(out, "\n{};\n", create_database(database));
    }
    for table in &ddl.tables {
        let _ = write!(out, "\n{};\n", create_table(table));
    }
    if !ddl.left_out.is_empty() {
        out.push_str("\n-- Left out, each with why:\n");
        for table in &ddl.left_out {
            let _ = writeln!(
                out,
                "-- {}: {}",
                comment_text(table.name.as_str()),
                comment_text(&table.reason)
            );
        }
    }
    out
}

/// `CREATE DATABASE IF NOT EXISTS db` (no final semicolon).
pub fn create_database(database: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS {}", identifier(database))
}

/// `CREATE TABLE IF NOT EXISTS db.t (…) …` (no final semicolon).
pub fn create_table(table: &DdlTable) -> String {
    let mut out = format!("CREATE TABLE IF NOT EXISTS {} (\n", table_name(&table.name));
    out.push_str(&column_list(&table.columns, "  ", ",\n"));
    out.push_str("\n)");
    if let Some(description) = &table.description {
        let _ = write!(out, "\nCOMMENT {}", string_literal(description));
    }
    if !table.partition_columns.is_empty() {
        let _ = write!(
            out,
            "\nPARTITIONED BY ({})",
            column_list(&table.partition_columns, "", ", ")
        );
    }
    match &table.storage {
        Storage::Orc => out.push_str("\nSTORED AS ORC"),
        Storage::Parquet => out.push_str("\nSTORED AS PARQUET"),
        Storage::Text { delimiter } => {
            let _ = write!(
                out,
                "\nROW FORMAT DELIMITED FIELDS TERMINATED BY {}\nSTORED AS TEXTFILE",
                string_literal(delimiter)
            );
        }
    }
    if let Some(location) = &table.location {
        let _ = write!(out, "\nLOCATION {}", string_literal(location));
    }
    out
}

/// `ALTER TABLE db.t ADD COLUMNS (…)` (no final semicolon): Hive and Spark add them
/// after the last column, before the partition columns.
pub fn add_columns(table: &TableName, columns: &[DdlColumn]) -> String {
    format!(
        "ALTER TABLE {} ADD COLUMNS (\n{}\n)",
        table_name(table),
        column_list(columns, "  ", ",\n")
    )
}

fn column_list(columns: &[DdlColumn], indent: &str, separator: &str) -> String {
    columns
        .iter()
        .map(|column| {
            let mut text = format!("{indent}{} {}", identifier(&column.name), column.data_type);
            if let Some(description) = &column.description {
                let _ = write!(text, " COMMENT {}", string_literal(description));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// `` `db`.`t` ``.
pub fn table_name(name: &TableName) -> String {
    name.as_str().split('.').map(identifier).collect::<Vec<_>>().join(".")
}

/// A name in backticks, a backtick in it doubled.
pub fn identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A Spark string literal holding `text` exactly (see the module's documentation).
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let escape = match c {
            '\'' | '"' | '\\' | ';' | '$' | '`' | '{' | '}' => true,
            '-' => next == Some('-'),
            '/' => next == Some('*'),
            '*' => next == Some('/'),
            // Tag characters (U+E0000–U+E007F) are invisible too.
            c => c.is_control() || invisible::is_invisible(c) || ('\u{e0000}'..='\u{e007f}').contains(&c),
        };
        if escape {
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04X}");
            }
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Text for a `--` comment line: one line, visible characters only, and no `;` (a
/// tool that splits statements naively must not find one in a comment).
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ';' => ',',
            c if c.is_control() || invisible::is_invisible(c) => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ddl::LeftOut;

    fn column(name: &str, data_type: &str, description: Option<&str>) -> DdlColumn {
        DdlColumn {
            name: name.to_owned(),
            data_type: data_type.to_owned(),
            description: description.map(str::to_owned),
        }
    }

    fn table(storage: Storage) -> DdlTable {
        DdlTable {
            name: TableName::new("dev_ods.pay_order"),
            description: Some("orders, landed daily".to_owned()),
            columns: vec![
                column("order_id", "bigint", Some("the order")),
                column("amount", "decimal(18,2)", None),
            ],
            partition_columns: vec![column("dt", "string", Some("business date"))],
            storage,
            location: Some("hdfs://ns/warehouse/dev_ods.db/pay_order".to_owned()),
        }
    }

    #[test]
    fn a_table_has_columns_partitions_storage_and_location() {
        insta::assert_snapshot!(create_table(&table(Storage::Orc)), @r"
        CREATE TABLE IF NOT EXISTS `dev_ods`.`pay_order` (
          `order_id` bigint COMMENT 'the order',
          `amount` decimal(18,2)
        )
        COMMENT 'orders, landed daily'
        PARTITIONED BY (`dt` string COMMENT 'business date')
        STORED AS ORC
        LOCATION 'hdfs://ns/warehouse/dev_ods.db/pay_order'
        ");
    }

    #[test]
    fn text_tables_name_their_delimiter() {
        let text = create_table(&table(Storage::Text {
            delimiter: "\u{1}".to_owned(),
        }));
        assert!(
            text.contains("\nROW FORMAT DELIMITED FIELDS TERMINATED BY '\\u0001'\nSTORED AS TEXTFILE\nLOCATION"),
            "{text}"
        );
        let parquet = create_table(&table(Storage::Parquet));
        assert!(parquet.contains("\nSTORED AS PARQUET\n"), "{parquet}");
    }

    #[test]
    fn hostile_text_stays_inside_its_literal() {
        let hostile = "it's a \\'); DROP TABLE x; -- */ /* ${env} {{ ds }} `x` \"q\"\nnext\u{202e}line";
        let literal = string_literal(hostile);
        assert_eq!(
            literal,
            "'it\\u0027s a \\u005C\\u0027)\\u003B DROP TABLE x\\u003B \\u002D- \\u002A/ \\u002F* \\u0024\\u007Benv\\u007D \\u007B\\u007B ds \\u007D\\u007D \\u0060x\\u0060 \\u0022q\\u0022\\u000Anext\\u202Eline'"
        );
        // Nothing between the quotes a splitter, a comment or a quote tracker reacts to.
        let inside = &literal[1..literal.len() - 1];
        for bad in ["'", ";", "--", "/*", "*/", "$", "\n", "`", "\""] {
            assert!(!inside.contains(bad), "{bad:?} in {literal}");
        }
        let supplementary = string_literal("\u{e0041}");
        assert_eq!(
            supplementary, "'\\uDB40\\uDC41'",
            "a character beyond the BMP as two UTF-16 escapes"
        );
    }

    #[test]
    fn names_are_quoted_and_left_out_tables_commented() {
        let ddl = Ddl {
            environment: "dev".to_owned(),
            tables: vec![table(Storage::Orc)],
            left_out: vec![LeftOut {
                name: TableName::new("dev_dws.score"),
                reason: "written by ml task `risk.score`\n; its columns are unknown".to_owned(),
            }],
        };
        let text = render(&ddl, "wingpay");
        assert!(text.contains("\nCREATE DATABASE IF NOT EXISTS `dev_ods`;\n"), "{text}");
        assert!(
            text.ends_with("-- dev_dws.score: written by ml task `risk.score` , its columns are unknown\n"),
            "{text}"
        );
        assert_eq!(identifier("a`b"), "`a``b`");
    }
}
