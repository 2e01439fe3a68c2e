//! The table DDL a change needs: the two revisions' [`Ddl`] of one environment,
//! compared table by table.
//!
//! - A table only the head creates: its `CREATE TABLE` (with `CREATE DATABASE` when
//!   its database is new too).
//! - Columns added after the last one, nothing else changed but comments:
//!   `ALTER TABLE … ADD COLUMNS` — Hive and Spark add columns at the end, before the
//!   partition columns, so only such an addition is in place.
//! - Only comments changed: `ALTER TABLE … ALTER COLUMN … COMMENT` and the table's
//!   `comment` property.
//! - Anything else — a column removed, retyped, renamed or moved, a column added
//!   before others, partitioning, format, delimiter or location changed — cannot be
//!   applied to the existing table: flagged with each reason and what to do.
//! - A table only the base creates: flowc no longer creates it (and never drops one).

use std::collections::BTreeSet;

use crate::plan::types::{DdlChange, DdlChangeKind};
use crate::render::ddl::{
    Ddl, DdlColumn, DdlTable, Storage, add_columns, create_database, create_table, identifier, string_literal,
    table_name,
};

/// What recreating a table takes.
const RECREATE: &str = "recreate the table: DROP TABLE it (and clear its folder when it has a LOCATION), apply ddl.sql, then backfill its partitions (re-run its writer for each business date); or migrate it by hand";

/// Every table whose DDL differs, sorted by table.
pub(crate) fn ddl_changes(base: &Ddl, head: &Ddl) -> Vec<DdlChange> {
    let base_databases = base.databases();
    let mut new_databases: BTreeSet<&str> = head.databases().difference(&base_databases).copied().collect();
    let mut changes = Vec::new();
    for table in &head.tables {
        match base.table(&table.name) {
            None => {
                let mut statements = Vec::new();
                if let Some(database) = table.name.database()
                    && new_databases.remove(database)
                {
                    statements.push(format!("{};", create_database(database)));
                }
                statements.push(format!("{};", create_table(table)));
                changes.push(DdlChange {
                    table: table.name.to_string(),
                    kind: DdlChangeKind::Create,
                    statements,
                    reasons: Vec::new(),
                    action: None,
                });
            }
            Some(before) => changes.extend(table_change(before, table)),
        }
    }
    for table in &base.tables {
        if head.table(&table.name).is_none() {
            changes.push(DdlChange {
                table: table.name.to_string(),
                kind: DdlChangeKind::NoLongerCreated,
                statements: Vec::new(),
                reasons: Vec::new(),
                action: Some(
                    "flowc no longer creates it and never drops a table: drop it by hand once nothing reads it"
                        .to_owned(),
                ),
            });
        }
    }
    changes.sort_by(|a, b| a.table.cmp(&b.table));
    changes
}

fn typed(columns: &[DdlColumn]) -> Vec<(&str, &str)> {
    columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect()
}

/// Why the head's table cannot replace the base's in place, one reason each.
fn not_in_place(before: &DdlTable, after: &DdlTable) -> Vec<String> {
    let mut reasons = Vec::new();
    let (old, new) = (typed(&before.columns), typed(&after.columns));
    let is_prefix = new.len() >= old.len() && new[..old.len()] == old[..];
    if !is_prefix {
        let new_names: BTreeSet<&str> = new.iter().map(|(n, _)| *n).collect();
        let old_names: BTreeSet<&str> = old.iter().map(|(n, _)| *n).collect();
        for (name, data_type) in &old {
            match new.iter().find(|(n, _)| n == name) {
                None => reasons.push(format!("column `{name}` removed (or renamed)")),
                Some((_, to)) if to != data_type => {
                    reasons.push(format!("column `{name}` retyped: {data_type} → {to}"));
                }
                Some(_) => {}
            }
        }
        let kept_old: Vec<&str> = old.iter().map(|(n, _)| *n).filter(|n| new_names.contains(n)).collect();
        let kept_new: Vec<&str> = new.iter().map(|(n, _)| *n).filter(|n| old_names.contains(n)).collect();
        if kept_old != kept_new {
            reasons.push("columns reordered".to_owned());
        }
        let last_kept = new.iter().rposition(|(n, _)| old_names.contains(n));
        for (i, (name, _)) in new.iter().enumerate() {
            if !old_names.contains(name) && last_kept.is_some_and(|last| i < last) {
                reasons.push(format!(
                    "column `{name}` added before existing columns (ADD COLUMNS appends after the last one)"
                ));
            }
        }
    }
    if typed(&before.partition_columns) != typed(&after.partition_columns) {
        let list = |t: &DdlTable| {
            let columns: Vec<String> = t
                .partition_columns
                .iter()
                .map(|c| format!("{} {}", c.name, c.data_type))
                .collect();
            format!("({})", columns.join(", "))
        };
        reasons.push(format!("partitioning changed: {} → {}", list(before), list(after)));
    }
    if before.storage != after.storage {
        let describe = |t: &DdlTable| match &t.storage {
            Storage::Text { delimiter } => format!("text separated by {}", string_literal(delimiter)),
            other => other.format().to_owned(),
        };
        reasons.push(format!("storage changed: {} → {}", describe(before), describe(after)));
    }
    if before.location != after.location {
        let shown = |l: &Option<String>| l.clone().unwrap_or_else(|| "the default".to_owned());
        reasons.push(format!(
            "location changed: {} → {}",
            shown(&before.location),
            shown(&after.location)
        ));
    }
    reasons
}

/// The `ALTER` statements of changed comments (columns kept, and the table's).
fn comment_statements(before: &DdlTable, after: &DdlTable) -> Vec<String> {
    let quoted = table_name(&after.name);
    let mut statements = Vec::new();
    if before.description != after.description {
        statements.push(format!(
            "ALTER TABLE {quoted} SET TBLPROPERTIES ('comment' = {});",
            string_literal(after.description.as_deref().unwrap_or(""))
        ));
    }
    let old = before.columns.iter().chain(&before.partition_columns);
    for column in old {
        let now = after
            .columns
            .iter()
            .chain(&after.partition_columns)
            .find(|c| c.name == column.name);
        if let Some(now) = now
            && now.description != column.description
        {
            statements.push(format!(
                "ALTER TABLE {quoted} ALTER COLUMN {} COMMENT {};",
                identifier(&now.name),
                string_literal(now.description.as_deref().unwrap_or(""))
            ));
        }
    }
    statements
}

fn table_change(before: &DdlTable, after: &DdlTable) -> Option<DdlChange> {
    if before == after {
        return None;
    }
    let reasons = not_in_place(before, after);
    let change = |kind, statements, reasons, action: Option<&str>| DdlChange {
        table: after.name.to_string(),
        kind,
        statements,
        reasons,
        action: action.map(str::to_owned),
    };
    if !reasons.is_empty() {
        return Some(change(DdlChangeKind::NotInPlace, Vec::new(), reasons, Some(RECREATE)));
    }
    let added = &after.columns[before.columns.len()..];
    let mut statements = Vec::new();
    if !added.is_empty() {
        statements.push(format!("{};", add_columns(&after.name, added)));
    }
    statements.extend(comment_statements(before, after));
    let kind = if added.is_empty() {
        DdlChangeKind::Comments
    } else {
        DdlChangeKind::AddColumns
    };
    (!statements.is_empty()).then(|| change(kind, statements, Vec::new(), None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TableName;

    fn column(name: &str, data_type: &str) -> DdlColumn {
        DdlColumn {
            name: name.to_owned(),
            data_type: data_type.to_owned(),
            description: None,
        }
    }

    fn table(name: &str, columns: &[(&str, &str)]) -> DdlTable {
        DdlTable {
            name: TableName::new(name),
            description: None,
            columns: columns.iter().map(|(n, t)| column(n, t)).collect(),
            partition_columns: vec![column("dt", "string")],
            storage: Storage::Orc,
            location: None,
        }
    }

    fn ddl(tables: Vec<DdlTable>) -> Ddl {
        Ddl {
            environment: "dev".to_owned(),
            tables,
            left_out: Vec::new(),
        }
    }

    #[test]
    fn a_new_table_is_created_with_its_new_database() {
        let base = ddl(vec![table("dwd.a", &[("id", "bigint")])]);
        let head = ddl(vec![
            table("dwd.a", &[("id", "bigint")]),
            table("ads.b", &[("x", "int")]),
        ]);
        let changes = ddl_changes(&base, &head);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, DdlChangeKind::Create);
        assert_eq!(changes[0].statements[0], "CREATE DATABASE IF NOT EXISTS `ads`;");
        assert!(changes[0].statements[1].starts_with("CREATE TABLE IF NOT EXISTS `ads`.`b` ("));
    }

    #[test]
    fn columns_added_at_the_end_are_altered_in_place() {
        let base = ddl(vec![table("dwd.a", &[("id", "bigint")])]);
        let head = ddl(vec![table(
            "dwd.a",
            &[("id", "bigint"), ("amount", "double"), ("note", "string")],
        )]);
        let changes = ddl_changes(&base, &head);
        assert_eq!(changes[0].kind, DdlChangeKind::AddColumns);
        assert_eq!(
            changes[0].statements,
            ["ALTER TABLE `dwd`.`a` ADD COLUMNS (\n  `amount` double,\n  `note` string\n);"]
        );
    }

    #[test]
    fn what_cannot_be_applied_in_place_is_flagged_with_every_reason() {
        let base = ddl(vec![table(
            "dwd.a",
            &[("id", "bigint"), ("amount", "int"), ("gone", "string")],
        )]);
        let mut after = table("dwd.a", &[("first", "string"), ("amount", "bigint"), ("id", "bigint")]);
        after.storage = Storage::Parquet;
        after.partition_columns.push(column("hour", "string"));
        let changes = ddl_changes(&base, &ddl(vec![after]));
        assert_eq!(changes[0].kind, DdlChangeKind::NotInPlace);
        assert_eq!(
            changes[0].reasons,
            [
                "column `amount` retyped: int → bigint",
                "column `gone` removed (or renamed)",
                "columns reordered",
                "column `first` added before existing columns (ADD COLUMNS appends after the last one)",
                "partitioning changed: (dt string) → (dt string, hour string)",
                "storage changed: orc → parquet",
            ]
        );
        assert!(changes[0].statements.is_empty());
        assert!(changes[0].action.as_deref().is_some_and(|a| a.contains("backfill")));
    }

    #[test]
    fn comments_change_in_place_and_dropped_tables_are_only_noted() {
        let base = ddl(vec![
            table("dwd.a", &[("id", "bigint")]),
            table("dwd.old", &[("id", "bigint")]),
        ]);
        let mut after = table("dwd.a", &[("id", "bigint")]);
        after.description = Some("it's new".to_owned());
        after.columns[0].description = Some("the id".to_owned());
        let changes = ddl_changes(&base, &ddl(vec![after]));
        assert_eq!(changes[0].kind, DdlChangeKind::Comments);
        assert_eq!(
            changes[0].statements,
            [
                "ALTER TABLE `dwd`.`a` SET TBLPROPERTIES ('comment' = 'it\\u0027s new');",
                "ALTER TABLE `dwd`.`a` ALTER COLUMN `id` COMMENT 'the id';",
            ]
        );
        assert_eq!(changes[1].kind, DdlChangeKind::NoLongerCreated);
        assert_eq!(changes[1].table, "dwd.old");
    }
}
