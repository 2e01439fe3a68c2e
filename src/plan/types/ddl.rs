//! The table DDL a change needs: new tables, columns added in place, and what cannot
//! be applied in place.

use serde::Serialize;

/// What one table's DDL change asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DdlChangeKind {
    /// A new table: its `CREATE TABLE` (and `CREATE DATABASE`).
    Create,
    /// Columns added after the last one: `ALTER TABLE … ADD COLUMNS`.
    AddColumns,
    /// Only comments changed: `ALTER TABLE … ALTER COLUMN … COMMENT`, table properties.
    Comments,
    /// A change Hive and Spark cannot make to an existing table: recreate and backfill.
    NotInPlace,
    /// flowc no longer creates the table; it is not dropped.
    NoLongerCreated,
}

/// One table's DDL change in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DdlChange {
    /// The table, as the environment names it.
    pub table: String,
    /// What it asks for.
    pub kind: DdlChangeKind,
    /// The statements that apply it, each ending with `;` (none for `not_in_place` and
    /// `no_longer_created`).
    pub statements: Vec<String>,
    /// Why it cannot be applied in place, one reason each (`not_in_place` only).
    pub reasons: Vec<String>,
    /// What to do instead, when there is nothing to run.
    pub action: Option<String>,
}
