//! Column changes and column breaking changes, on hand-built columns of both
//! revisions: `dws.t` written by `w.write`, read by `r.top` in `flows/r/top.sql`.

use std::collections::BTreeMap;

use super::{BASE, manifest, plan_between};
use crate::columns::{Column, RepositoryColumns, SchemaOrigin, TableSchema};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap, Span};
use crate::model::{FlowId, TableName, TaskId};
use crate::plan::types::{ColumnBreakingKind, Plan, ReadKind, RenameEvidence};
use crate::plan::{RevisionColumns, json, markdown, text};
use crate::sql::TableRef;
use crate::sql::columns::{ColumnName, ColumnRead, TableOutput, TargetColumn, Transformation};

const READER: &str = "flows/r/top.sql";

fn task(name: &str) -> TaskId {
    let (flow, task) = name.split_once('.').expect("flow.task");
    TaskId::new(FlowId::new(flow), task)
}

/// One revision: its files, columns, table reads and errors.
#[derive(Default)]
struct Side {
    sources: SourceMap,
    columns: RepositoryColumns,
    sql_files: BTreeMap<TaskId, FileId>,
    read_tables: Vec<TableName>,
    sync_reads: Vec<(TaskId, TableRef)>,
    errors: Diagnostics,
}

impl Side {
    /// `table` written by `w.write` with `columns` (`name type`, `name` when untyped),
    /// each column's direct source `ods.src.<name>`.
    fn table(mut self, table: &str, columns: &[&str]) -> Self {
        let name = TableName::new(table);
        let file = self
            .sources
            .add(format!("flows/w/{table}.sql"), "insert into t select *");
        let span = Span::new(file, 0, 1);
        let parsed: Vec<(String, Option<String>)> = columns
            .iter()
            .map(|c| match c.split_once(' ') {
                Some((n, t)) => (n.to_owned(), Some(t.to_owned())),
                None => ((*c).to_owned(), None),
            })
            .collect();
        self.columns.schemas.insert(
            name.clone(),
            TableSchema {
                table: name.clone(),
                columns: parsed
                    .iter()
                    .map(|(n, t)| Column {
                        name: n.clone(),
                        data_type: t.clone(),
                        description: None,
                        classifications: Vec::new(),
                        span: None,
                    })
                    .collect(),
                partition_columns: Vec::new(),
                origin: SchemaOrigin::Inferred(task("w.write")),
                writer: Some(task("w.write")),
            },
        );
        let output = TableOutput {
            table: name,
            columns: parsed
                .iter()
                .map(|(n, t)| TargetColumn {
                    name: n.clone(),
                    data_type: t.clone(),
                    sources: vec![ColumnName::new(
                        TableName::new("ods.src"),
                        n.trim_end_matches("_amount"),
                    )],
                    transformation: Transformation::Identity,
                    span,
                })
                .collect(),
            static_partitions: Vec::new(),
            dynamic_partitions: Vec::new(),
            complete: true,
            by_name: false,
            span,
        };
        self.columns
            .tasks
            .entry(task("w.write"))
            .or_default()
            .outputs
            .push(output);
        self
    }

    /// `r.top` with the SQL `sql`, reading `table` and the columns of `reads` (each
    /// found as text in the SQL); `errors`: references in the SQL that are errors.
    fn reader(mut self, sql: &str, table: &str, reads: &[&str], errors: &[&str]) -> Self {
        let file = self.sources.add(READER, sql.to_owned());
        let at = |text: &str| {
            let start = u32::try_from(sql.find(text).expect("in the SQL")).expect("small");
            Span::new(file, start, start + u32::try_from(text.len()).expect("small"))
        };
        let table = TableName::new(table);
        let columns = self.columns.tasks.entry(task("r.top")).or_default();
        for read in reads {
            let column = read.rsplit('.').next().unwrap_or(read);
            columns.reads.push(ColumnRead {
                column: ColumnName::new(table.clone(), column),
                span: at(read),
            });
        }
        for error in errors {
            // Any code: the plan finds these errors by where they are.
            self.errors
                .push(Diagnostic::error(Code::ALL[0], "no such column").at(at(error)));
        }
        self.sql_files.insert(task("r.top"), file);
        self.read_tables.push(table);
        self
    }

    fn revision(&self) -> RevisionColumns<'_> {
        RevisionColumns {
            columns: &self.columns,
            sources: &self.sources,
            sql_files: &self.sql_files,
            read_tables: self.read_tables.iter().collect(),
            sync_reads: self.sync_reads.iter().map(|(t, r)| (t, r)).collect(),
            errors: self.errors.iter().collect(),
        }
    }
}

const TOP: &str = "insert overwrite table ads.top\nselect d.merchant_id,\n       d.net_gmv\nfrom dws.t d";
const TOP_FIXED: &str = "insert overwrite table ads.top\nselect d.merchant_id,\n       d.net_gmv_amount\nfrom dws.t d";

fn plan(base: &Side, head: &Side) -> Plan {
    let (old, old_files) = manifest(BASE);
    let (new, new_files) = manifest(BASE);
    let (base, head) = (base.revision(), head.revision());
    plan_between((&old, &old_files), (&new, &new_files), Some(&base), Some(&head))
}

#[test]
fn a_renamed_column_still_read_downstream_is_breaking_at_the_reader() {
    let base = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv decimal(18,2)"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    // The reader still names `net_gmv`: in head that is an error, not a read.
    let head = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv_amount decimal(18,2)"])
        .reader(TOP, "dws.t", &["d.merchant_id"], &["d.net_gmv"]);
    let plan = plan(&base, &head);
    let table = &plan.columns.tables[0];
    assert_eq!(table.table, "dws.t");
    assert_eq!(table.writer.as_deref(), Some("w.write"));
    assert!(table.added.is_empty() && table.removed.is_empty(), "{table:?}");
    assert_eq!(
        (
            table.renamed[0].from.as_str(),
            table.renamed[0].to.as_str(),
            table.renamed[0].evidence
        ),
        ("net_gmv", "net_gmv_amount", RenameEvidence::SamePosition)
    );
    let [breaking] = plan.columns.breaking.as_slice() else {
        panic!("one breaking change: {:?}", plan.columns.breaking)
    };
    assert_eq!(breaking.kind, ColumnBreakingKind::Renamed);
    assert_eq!(breaking.column.as_deref(), Some("net_gmv"));
    assert_eq!(breaking.renamed_to.as_deref(), Some("net_gmv_amount"));
    let reader = &breaking.readers[0];
    assert_eq!(
        (reader.location(), reader.col, reader.task.as_str()),
        (format!("{READER}:3"), 8, "r.top")
    );
    assert_eq!(plan.summary.breaking_changes, 1);
    assert_eq!(plan.summary.tables_with_column_changes, 1);
    let text = text::render(&plan);
    assert!(
        text.contains(
            "Breaking changes:\n  ! dws.t.net_gmv renamed to net_gmv_amount?, but is still read at:\n      flows/r/top.sql:3 (r.top)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("      ~ net_gmv → net_gmv_amount? (renamed: same position and sources)"),
        "{text}"
    );
    assert!(
        text.ends_with("\nPlan: 1 table with column changes; 1 breaking change.\n"),
        "{text}"
    );
    let markdown = markdown::render(&plan);
    assert!(
        markdown.contains(
            "> [!WARNING]\n> **1 breaking change**: columns the head revision still reads are removed, renamed, retyped or reordered.\n>\n> - `dws.t.net_gmv` **renamed** to `net_gmv_amount`? — still read at `flows/r/top.sql:3` (`r.top`)\n"
        ),
        "{markdown}"
    );
    let json = json::render(&plan).expect("serialises");
    assert!(json.contains("\"kind\": \"renamed\""), "{json}");
    assert!(json.contains("\"path\": \"flows/r/top.sql\""), "{json}");
}

#[test]
fn a_reader_updated_in_the_same_change_is_not_broken() {
    let base = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv decimal(18,2)"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    let head = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv_amount decimal(18,2)"])
        .reader(TOP_FIXED, "dws.t", &["d.merchant_id", "d.net_gmv_amount"], &[]);
    let plan = plan(&base, &head);
    assert_eq!(plan.columns.tables.len(), 1);
    assert!(plan.columns.breaking.is_empty(), "{:?}", plan.columns.breaking);
    assert!(
        plan.columns.external.is_empty(),
        "the table is read: {:?}",
        plan.columns.external
    );
    assert_eq!(plan.summary.breaking_changes, 0);
}

#[test]
fn a_removed_column_read_downstream_is_breaking() {
    let base = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv", "fee"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    // No type, a different position and an unlike name: nothing to pair with.
    let head = Side::default().table("dws.t", &["merchant_id bigint", "fee"]).reader(
        TOP,
        "dws.t",
        &["d.merchant_id"],
        &["d.net_gmv"],
    );
    let plan = plan(&base, &head);
    assert_eq!(plan.columns.tables[0].removed[0].name, "net_gmv");
    assert_eq!(plan.columns.tables[0].removed[0].position, 2);
    let breaking = &plan.columns.breaking[0];
    assert_eq!(breaking.kind, ColumnBreakingKind::Removed);
    assert_eq!(breaking.readers[0].location(), "flows/r/top.sql:3");
    assert!(text::render(&plan).contains("  ! dws.t.net_gmv removed, but is still read at:\n"));
}

#[test]
fn a_removed_column_still_resolved_by_the_head_lineage_is_breaking() {
    let base =
        Side::default()
            .table("dws.t", &["merchant_id", "net_gmv", "x"])
            .reader(TOP, "dws.t", &["d.net_gmv"], &[]);
    // A lineage that records the read of a column its table lacks.
    let head = Side::default()
        .table("dws.t", &["merchant_id", "x"])
        .reader(TOP, "dws.t", &["d.net_gmv"], &[]);
    let plan = plan(&base, &head);
    assert_eq!(plan.columns.breaking[0].kind, ColumnBreakingKind::Removed);
    assert_eq!(plan.columns.breaking[0].readers.len(), 1);
}

#[test]
fn a_removed_column_of_a_table_nothing_reads_is_for_external_consumers() {
    let base = Side::default().table("ads.report", &["day", "gmv bigint", "fee"]);
    let head = Side::default().table("ads.report", &["day", "fee"]);
    let plan = plan(&base, &head);
    assert!(plan.columns.breaking.is_empty());
    let [external] = plan.columns.external.as_slice() else {
        panic!("{:?}", plan.columns.external)
    };
    assert_eq!(
        (external.kind, external.column.as_deref()),
        (ColumnBreakingKind::Removed, Some("gmv"))
    );
    assert!(external.readers.is_empty());
    assert_eq!(plan.summary.breaking_changes, 0);
    assert_eq!(plan.summary.external_column_changes, 1);
    let text = text::render(&plan);
    assert!(
        text.contains(
            "  for external consumers (nothing in the repository reads these tables):\n      ? ads.report.gmv removed\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("no breaking changes; 1 column change for external consumers."),
        "{text}"
    );
}

#[test]
fn a_removed_column_nobody_reads_of_a_table_that_is_read_is_only_listed() {
    let base = Side::default()
        .table("dws.t", &["merchant_id", "net_gmv", "unused"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    let head = Side::default().table("dws.t", &["merchant_id", "net_gmv"]).reader(
        TOP,
        "dws.t",
        &["d.merchant_id", "d.net_gmv"],
        &[],
    );
    let plan = plan(&base, &head);
    assert_eq!(plan.columns.tables[0].removed[0].name, "unused");
    assert!(plan.columns.breaking.is_empty() && plan.columns.external.is_empty());
}

#[test]
fn a_retyped_column_read_downstream_is_breaking() {
    let base = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv decimal(18,2)"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    let head = Side::default()
        .table("dws.t", &["merchant_id bigint", "net_gmv DOUBLE"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    let plan = plan(&base, &head);
    let retyped = &plan.columns.tables[0].retyped[0];
    assert_eq!(
        (retyped.column.as_str(), retyped.before.as_str(), retyped.after.as_str()),
        ("net_gmv", "decimal(18,2)", "DOUBLE")
    );
    let breaking = &plan.columns.breaking[0];
    assert_eq!(breaking.kind, ColumnBreakingKind::Retyped);
    assert_eq!(breaking.readers[0].location(), "flows/r/top.sql:3");
    assert!(text::render(&plan).contains("  ! dws.t.net_gmv retyped decimal(18,2) → DOUBLE, but is still read at:\n"));
    // A type written differently is the same type.
    let same = Side::default()
        .table("dws.t", &["merchant_id BIGINT", "net_gmv DECIMAL(18,2)"])
        .reader(TOP, "dws.t", &["d.merchant_id", "d.net_gmv"], &[]);
    assert!(super::super::breaking::columns::column_changes(&base.revision(), &same.revision()).is_empty());
}

/// `r.top` copies every column of `dws.t` through a `*`, in `dws.t`'s order.
fn star_reader(mut side: Side) -> Side {
    let sql = "insert into ads.copy\nselect * from dws.t";
    let file = side.sources.add("flows/r/copy.sql", sql);
    let star = u32::try_from(sql.find('*').expect("a star")).expect("small");
    let span = Span::new(file, star, star + 1);
    let names: Vec<String> = side.columns.schemas[&TableName::new("dws.t")]
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let columns = side.columns.tasks.entry(task("r.copy")).or_default();
    columns.outputs.push(TableOutput {
        table: TableName::new("ads.copy"),
        columns: names
            .iter()
            .map(|n| TargetColumn {
                name: n.clone(),
                data_type: None,
                sources: vec![ColumnName::new(TableName::new("dws.t"), n)],
                transformation: Transformation::Identity,
                span,
            })
            .collect(),
        static_partitions: Vec::new(),
        dynamic_partitions: Vec::new(),
        complete: true,
        by_name: false,
        span,
    });
    side.read_tables.push(TableName::new("dws.t"));
    side
}

#[test]
fn a_reordered_table_read_by_position_is_breaking() {
    let base = star_reader(Side::default().table("dws.t", &["a bigint", "b bigint", "c string"]));
    let mut head = star_reader(Side::default().table("dws.t", &["b bigint", "a bigint", "c string"]));
    let sync_file = head.sources.add("flows/x/flow.yaml", "  table: dws.t\n");
    head.sync_reads.push((
        task("x.export"),
        TableRef {
            name: TableName::new("dws.t"),
            span: Span::new(sync_file, 9, 14),
        },
    ));
    let plan = plan(&base, &head);
    let order = plan.columns.tables[0].reordered.as_ref().expect("reordered");
    assert_eq!(
        (order.before.join(","), order.after.join(",")),
        ("a,b,c".to_owned(), "b,a,c".to_owned())
    );
    let [breaking] = plan.columns.breaking.as_slice() else {
        panic!("{:?}", plan.columns.breaking)
    };
    assert_eq!(
        (breaking.kind, breaking.column.as_ref()),
        (ColumnBreakingKind::Reordered, None)
    );
    let found: Vec<(String, ReadKind)> = breaking.readers.iter().map(|r| (r.location(), r.how)).collect();
    assert_eq!(
        found,
        [
            ("flows/r/copy.sql:2".to_owned(), ReadKind::Wildcard),
            ("flows/x/flow.yaml:1".to_owned(), ReadKind::Sync)
        ]
    );
    let text = text::render(&plan);
    assert!(
        text.contains("  ! dws.t reordered, but is read by position at:\n      flows/r/copy.sql:2 (r.copy, by `*`)\n"),
        "{text}"
    );
}

#[test]
fn a_reordered_table_read_by_name_only_is_not_breaking() {
    let base = Side::default().table("dws.t", &["merchant_id", "net_gmv"]).reader(
        TOP,
        "dws.t",
        &["d.merchant_id", "d.net_gmv"],
        &[],
    );
    let head = Side::default().table("dws.t", &["net_gmv", "merchant_id"]).reader(
        TOP,
        "dws.t",
        &["d.merchant_id", "d.net_gmv"],
        &[],
    );
    let plan = plan(&base, &head);
    assert!(plan.columns.tables[0].reordered.is_some());
    assert!(plan.columns.breaking.is_empty() && plan.columns.external.is_empty());
}

#[test]
fn added_columns_only_are_not_breaking() {
    let base = star_reader(Side::default().table("dws.t", &["a", "b"]));
    let head = Side::default()
        .table("dws.t", &["a", "b", "c bigint"])
        .reader(TOP, "dws.t", &[], &[]);
    let plan = plan(&base, &head);
    let table = &plan.columns.tables[0];
    assert_eq!((table.added[0].name.as_str(), table.added[0].position), ("c", 3));
    assert!(table.removed.is_empty() && table.renamed.is_empty() && table.reordered.is_none());
    assert!(plan.columns.breaking.is_empty() && plan.columns.external.is_empty());
    assert!(text::render(&plan).contains("Columns:\n  ~ dws.t (written by w.write)\n      + c bigint, position 3\n"));
    assert!(markdown::render(&plan).contains("### Columns\n\n- `dws.t` (written by `w.write`)<br>`+` `c` at 3\n"));
}

#[test]
fn a_similar_name_at_another_position_is_a_suggested_rename() {
    let base = Side::default().table("ads.report", &["day", "gmv bigint", "fee bigint"]);
    let head = Side::default().table("ads.report", &["day", "fee bigint", "total_gmv bigint"]);
    let plan = plan(&base, &head);
    let table = &plan.columns.tables[0];
    assert_eq!(table.renamed.len(), 1, "{table:?}");
    assert_eq!(
        (
            table.renamed[0].from.as_str(),
            table.renamed[0].to.as_str(),
            table.renamed[0].evidence
        ),
        ("gmv", "total_gmv", RenameEvidence::SimilarName)
    );
    // Renamed in a table nothing reads: for external consumers.
    assert_eq!(
        plan.columns.external[0].describe(),
        "ads.report.gmv renamed to total_gmv?"
    );
    // Different known types never pair.
    let retyped = Side::default().table("ads.report", &["day", "fee bigint", "total_gmv string"]);
    let changes = super::super::breaking::columns::column_changes(&base.revision(), &retyped.revision());
    assert!(changes.tables[0].renamed.is_empty());
    assert_eq!(changes.tables[0].removed[0].name, "gmv");
}

#[test]
fn without_the_columns_of_both_revisions_nothing_is_compared() {
    let base = Side::default().table("ads.report", &["day", "gmv"]);
    let (old, old_files) = manifest(BASE);
    let revision = base.revision();
    let plan = plan_between((&old, &old_files), (&old, &old_files), Some(&revision), None);
    assert!(plan.columns.is_empty() && plan.is_empty());
}
