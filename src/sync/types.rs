//! Column types across a sync: what each source system's type holds, which Hive
//! types can take it without losing data, and which Hive types DataX's hdfswriter
//! writes. The tables here are the ones `docs/format.md` documents.

use crate::model::ConnectionKind;

/// What a column's values are, whatever the system that stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Whole numbers.
    Integer,
    /// Exact numbers with a fraction (DECIMAL, Oracle NUMBER(p,s) with s > 0, plain NUMBER).
    Decimal,
    /// Binary floating point.
    Float,
    /// Text.
    Text,
    /// A calendar day.
    Date,
    /// A day and a time.
    Timestamp,
    /// True or false.
    Boolean,
    /// Raw bytes.
    Bytes,
}

impl ValueKind {
    /// A name for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Integer => "whole numbers",
            Self::Decimal => "exact decimals",
            Self::Float => "floating-point numbers",
            Self::Text => "text",
            Self::Date => "dates",
            Self::Timestamp => "timestamps",
            Self::Boolean => "booleans",
            Self::Bytes => "bytes",
        }
    }

    /// The Hive type that holds these values best, for suggestions.
    pub const fn suggested_hive_type(self) -> &'static str {
        match self {
            Self::Integer => "bigint",
            Self::Bytes | Self::Text => "string",
            Self::Decimal | Self::Float => "double",
            Self::Date => "date",
            Self::Timestamp => "timestamp",
            Self::Boolean => "boolean",
        }
    }

    /// The DataX column type of a file or HBase reader for these values.
    pub const fn datax_type(self) -> &'static str {
        match self {
            Self::Integer => "long",
            Self::Decimal | Self::Float => "double",
            Self::Text | Self::Bytes => "string",
            Self::Date | Self::Timestamp => "date",
            Self::Boolean => "boolean",
        }
    }
}

/// The base name of a type: `NUMBER(18, 2)` → `number`, `double precision` → `double precision`.
fn base_name(data_type: &str) -> String {
    let head = data_type.split('(').next().unwrap_or(data_type);
    head.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// `(p)` or `(p, s)` of a type, when written.
fn precision_scale(data_type: &str) -> (Option<i64>, Option<i64>) {
    let Some(inside) = data_type
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inside, _)| inside)
    else {
        return (None, None);
    };
    let mut parts = inside.split(',').map(|p| p.trim().parse::<i64>().ok());
    (parts.next().flatten(), parts.next().flatten())
}

/// What a column of `data_type` in a system of `kind` holds; `None` when the type is
/// not one flowc knows for that system.
pub fn source_kind(kind: ConnectionKind, data_type: &str) -> Option<ValueKind> {
    let name = base_name(data_type);
    let name = name.trim_end_matches(" unsigned").trim_end_matches(" signed");
    match kind {
        ConnectionKind::Oracle => oracle(name, data_type),
        ConnectionKind::Mysql | ConnectionKind::Oceanbase => mysql(name, data_type),
        ConnectionKind::Hive => hive(name),
        ConnectionKind::Sftp | ConnectionKind::Hdfs | ConnectionKind::Hbase => datax(name),
    }
}

fn oracle(name: &str, data_type: &str) -> Option<ValueKind> {
    Some(match name {
        "number" | "numeric" | "decimal" | "dec" => match precision_scale(data_type) {
            (Some(_), None | Some(0)) => ValueKind::Integer,
            _ => ValueKind::Decimal,
        },
        "integer" | "int" | "smallint" => ValueKind::Integer,
        "float" | "binary_float" | "binary_double" | "double precision" | "real" => ValueKind::Float,
        "char" | "nchar" | "varchar" | "varchar2" | "nvarchar2" | "long" | "clob" | "nclob" | "rowid" | "urowid"
        | "xmltype" | "character" | "character varying" => ValueKind::Text,
        "date" | "timestamp" | "timestamp with time zone" | "timestamp with local time zone" => ValueKind::Timestamp,
        "blob" | "bfile" | "raw" | "long raw" => ValueKind::Bytes,
        _ if name.starts_with("timestamp") => ValueKind::Timestamp,
        _ => return None,
    })
}

fn mysql(name: &str, data_type: &str) -> Option<ValueKind> {
    Some(match name {
        "tinyint" if precision_scale(data_type).0 == Some(1) => ValueKind::Boolean,
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => ValueKind::Integer,
        "decimal" | "numeric" | "dec" | "fixed" => match precision_scale(data_type) {
            (Some(_), Some(0)) => ValueKind::Integer,
            _ => ValueKind::Decimal,
        },
        "float" | "double" | "double precision" | "real" => ValueKind::Float,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set" | "json" | "year" => {
            ValueKind::Text
        }
        "date" => ValueKind::Date,
        "datetime" | "timestamp" | "time" => ValueKind::Timestamp,
        "bit" | "bool" | "boolean" => ValueKind::Boolean,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => ValueKind::Bytes,
        _ => return None,
    })
}

fn hive(name: &str) -> Option<ValueKind> {
    Some(match name {
        "tinyint" | "smallint" | "int" | "integer" | "bigint" => ValueKind::Integer,
        "decimal" => ValueKind::Decimal,
        "float" | "double" => ValueKind::Float,
        "string" | "varchar" | "char" => ValueKind::Text,
        "date" => ValueKind::Date,
        "timestamp" => ValueKind::Timestamp,
        "boolean" => ValueKind::Boolean,
        "binary" => ValueKind::Bytes,
        _ => return None,
    })
}

/// The column types DataX's file and HBase readers take.
fn datax(name: &str) -> Option<ValueKind> {
    Some(match name {
        "long" | "int" | "short" => ValueKind::Integer,
        "double" | "float" => ValueKind::Float,
        "string" | "binarystring" => ValueKind::Text,
        "date" => ValueKind::Timestamp,
        "boolean" | "bool" => ValueKind::Boolean,
        _ => return None,
    })
}

/// The types a column of `kind` may declare, for messages.
pub fn known_types(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Oracle => {
            "NUMBER(p[,s]), INTEGER, FLOAT, BINARY_DOUBLE, VARCHAR2(n), CHAR(n), CLOB, DATE, TIMESTAMP, RAW, BLOB"
        }
        ConnectionKind::Mysql | ConnectionKind::Oceanbase => {
            "tinyint…bigint, decimal(p,s), float, double, char, varchar, text, json, date, datetime, timestamp, bit, blob"
        }
        ConnectionKind::Hive => {
            "tinyint, smallint, int, bigint, decimal, float, double, string, varchar, char, date, timestamp, boolean"
        }
        ConnectionKind::Sftp | ConnectionKind::Hdfs | ConnectionKind::Hbase => "long, double, string, date, boolean",
    }
}

/// Why a Hive column cannot take values of `source`, or `None` when it can.
pub fn hive_mismatch(source: ValueKind, hive_type: &str) -> Option<&'static str> {
    use ValueKind::{Boolean, Bytes, Date, Decimal, Float, Integer, Text, Timestamp};
    let target = hive(&base_name(hive_type))?;
    let fits = match target {
        Text => true,
        Integer => matches!(source, Integer | Boolean),
        Float => matches!(source, Integer | Decimal | Float),
        Decimal => matches!(source, Integer | Decimal),
        Date => matches!(source, Date),
        Timestamp => matches!(source, Date | Timestamp),
        Boolean => matches!(source, Boolean),
        Bytes => matches!(source, Bytes),
    };
    if fits {
        return None;
    }
    Some(match (source, target) {
        (Decimal | Float, Integer) => "the fraction would be cut off",
        (Timestamp, Date) => "the time of day would be lost",
        (Text, _) => "text is not checked to parse as that type, so bad rows would only fail at run time",
        _ => "the values do not convert",
    })
}

/// Why DataX's hdfswriter cannot write a Hive column of `hive_type`, or `None`.
pub fn hdfswriter_unsupported(hive_type: &str) -> Option<&'static str> {
    match base_name(hive_type).as_str() {
        "decimal" => Some(
            "hdfswriter writes no DECIMAL columns; declare it `string` to keep every digit (cast it back to a decimal in the next layer), or `double` if rounding is acceptable (never for money)",
        ),
        "binary" => Some("hdfswriter writes no BINARY columns; declare it `string`"),
        _ => None,
    }
}

/// The Hive type as hdfswriter names it: `varchar(32)` → `VARCHAR`.
pub fn hdfswriter_type(hive_type: &str) -> String {
    let name = base_name(hive_type);
    if name == "integer" {
        "INT".to_owned()
    } else {
        name.to_ascii_uppercase()
    }
}

/// The DataX reader type of a Hive column read from files (hdfsreader).
pub fn hdfsreader_type(hive_type: &str) -> &'static str {
    hive(&base_name(hive_type)).map_or("string", ValueKind::datax_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_numbers_split_on_scale() {
        assert_eq!(
            source_kind(ConnectionKind::Oracle, "NUMBER(20)"),
            Some(ValueKind::Integer)
        );
        assert_eq!(
            source_kind(ConnectionKind::Oracle, "NUMBER(18, 2)"),
            Some(ValueKind::Decimal)
        );
        assert_eq!(source_kind(ConnectionKind::Oracle, "NUMBER"), Some(ValueKind::Decimal));
        assert_eq!(
            source_kind(ConnectionKind::Oracle, "VARCHAR2(64)"),
            Some(ValueKind::Text)
        );
        assert_eq!(source_kind(ConnectionKind::Oracle, "DATE"), Some(ValueKind::Timestamp));
        assert_eq!(
            source_kind(ConnectionKind::Oracle, "TIMESTAMP(6)"),
            Some(ValueKind::Timestamp)
        );
        assert_eq!(source_kind(ConnectionKind::Oracle, "GEOMETRY"), None);
    }

    #[test]
    fn mysql_types_map() {
        assert_eq!(
            source_kind(ConnectionKind::Mysql, "bigint unsigned"),
            Some(ValueKind::Integer)
        );
        assert_eq!(
            source_kind(ConnectionKind::Mysql, "tinyint(1)"),
            Some(ValueKind::Boolean)
        );
        assert_eq!(
            source_kind(ConnectionKind::Mysql, "decimal(18,2)"),
            Some(ValueKind::Decimal)
        );
        assert_eq!(
            source_kind(ConnectionKind::Oceanbase, "datetime"),
            Some(ValueKind::Timestamp)
        );
    }

    #[test]
    fn hive_compatibility() {
        assert_eq!(hive_mismatch(ValueKind::Integer, "bigint"), None);
        assert_eq!(hive_mismatch(ValueKind::Decimal, "double"), None);
        assert!(hive_mismatch(ValueKind::Decimal, "bigint").is_some());
        assert!(hive_mismatch(ValueKind::Text, "int").is_some());
        assert!(hive_mismatch(ValueKind::Timestamp, "date").is_some());
        assert_eq!(hive_mismatch(ValueKind::Timestamp, "string"), None);
        assert_eq!(hdfswriter_type("varchar(32)"), "VARCHAR");
        assert!(hdfswriter_unsupported("decimal(18,2)").is_some());
    }
}
