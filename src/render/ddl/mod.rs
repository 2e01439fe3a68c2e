//! The table DDL of one environment: `CREATE DATABASE IF NOT EXISTS` and
//! `CREATE TABLE IF NOT EXISTS` for every warehouse table whose schema flowc knows.
//!
//! Input: a borrowed [`DdlInput`] (the model, every table's schema from the columns
//! stage, each task's tables, the environment's DataX jobs) and one environment.
//! Output: a [`Ddl`] — its tables with columns, typed partitions, storage, location
//! and comments, every name mapped for the environment like the SQL — and the
//! problems found: a table whose column types cannot be known (R614, an error of
//! `flowc ddl`, a warning of `flowc compile`, which leaves the table out of
//! `ddl.sql` with a comment saying why), and a declaration that disagrees with the
//! DataX job writing its files (R615). [`render`] lays it out as Spark SQL (Hive
//! DDL), every user text a Spark string literal that cannot end early; the plan
//! renders single statements with [`create_table`] and [`add_columns`]. Pure and
//! deterministic: databases, then tables, sorted by name.
//!
//! One file per part: `build` (which tables, from what), `problems` (R614 and R615)
//! and `text` (the SQL).

mod build;
mod problems;
mod text;

use std::collections::BTreeSet;

pub use build::{DdlInput, build};
pub use text::{add_columns, create_database, create_table, identifier, render, string_literal, table_name};

use crate::model::TableName;

/// How a table's files are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// ORC files.
    Orc,
    /// Parquet files.
    Parquet,
    /// Delimited text files.
    Text {
        /// The field separator.
        delimiter: String,
    },
}

impl Storage {
    /// The format's name: `orc`, `parquet` or `text`.
    pub const fn format(&self) -> &'static str {
        match self {
            Self::Orc => "orc",
            Self::Parquet => "parquet",
            Self::Text { .. } => "text",
        }
    }
}

/// One column of a table's DDL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdlColumn {
    /// Its name, lower case.
    pub name: String,
    /// Its Spark/Hive type, lower case.
    pub data_type: String,
    /// Its comment.
    pub description: Option<String>,
}

/// One table's DDL in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdlTable {
    /// Its name in the environment (database mapped).
    pub name: TableName,
    /// Its comment.
    pub description: Option<String>,
    /// Its columns in table order, partition columns excluded.
    pub columns: Vec<DdlColumn>,
    /// Its partition columns, outermost first.
    pub partition_columns: Vec<DdlColumn>,
    /// How its files are stored.
    pub storage: Storage,
    /// Its directory (`<default_fs><dir>`), when flowc knows it: a declared `location`,
    /// or the directory the DataX job writing it writes into.
    pub location: Option<String>,
}

/// A table left out of the DDL, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// Its name in the environment.
    pub name: TableName,
    /// Why, as a sentence.
    pub reason: String,
}

/// The DDL of one environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ddl {
    /// The environment's name.
    pub environment: String,
    /// Every table, sorted by name.
    pub tables: Vec<DdlTable>,
    /// The tables written whose column types are unknown, sorted by name.
    pub left_out: Vec<LeftOut>,
}

impl Ddl {
    /// The databases of its tables, sorted.
    pub fn databases(&self) -> BTreeSet<&str> {
        self.tables.iter().filter_map(|t| t.name.database()).collect()
    }

    /// The table named `name` (in the environment's names).
    pub fn table(&self, name: &TableName) -> Option<&DdlTable> {
        self.tables.iter().find(|t| &t.name == name)
    }
}
