//! Stage 7, quality: each task's `quality:` rules resolved against what the task
//! writes, and compiled into the Spark SQL of their checks.
//!
//! Input: the model and every task's reads and writes (from SQL analysis, sync
//! resolution or the YAML). Output: one [`Check`] per rule — the table it checks, the
//! partitions it reads and its SQL in production names (see [`sql`]) — and the
//! problems found (`P510`, `P512`–`P517`). Pure: no I/O. Runs only on a repository
//! without errors so far, so every task's reads and writes are known.
//!
//! `resolver` resolves each rule against its task, [`sql`] writes a check's SQL, and
//! [`settings()`] lists what a rule is given, for the manifest and `flowc plan`.
//!
//! The DAG model turns each check into an Airflow task right after the task that writes the
//! table (`<task>__dq_<rule>`); see [`crate::dags`].

mod resolver;
mod settings;
pub mod sql;

use std::collections::BTreeMap;

use resolver::Resolver;

use crate::columns::RepositoryColumns;
use crate::diagnostic::Diagnostic;
use crate::graph::TaskIo;
use crate::model::{PartitionSpec, QualityRule, Repository, TableName, TaskId};
use crate::sql::TableNames;

pub use settings::settings;
pub use sql::{CheckSpec, Expectation, check_sql, expectation};

/// One rule, ready to run.
#[derive(Clone, Debug)]
pub struct Check {
    /// The task whose output it checks.
    pub task: TaskId,
    /// The rule as written.
    pub rule: QualityRule,
    /// The table checked.
    pub table: TableName,
    /// Its partition checked; `None` for the whole table.
    pub partition: Option<PartitionSpec>,
    /// The other table of a comparison, and its partition.
    pub other: Option<(TableName, Option<PartitionSpec>)>,
    /// The check's SQL, in production table names with `${bizdate}` placeholders.
    pub sql: String,
    /// The tables that SQL reads besides the checked table and the results table
    /// (the compared table, subqueries of its expressions), sorted.
    pub reads: Vec<TableName>,
    /// Where that SQL names its tables, for environment rewrites (parsed once here).
    pub names: TableNames,
}

/// Every task's checks, in rule order, and the problems found.
pub fn resolve(
    repository: &Repository,
    task_io: &BTreeMap<TaskId, TaskIo>,
    columns: Option<&RepositoryColumns>,
) -> (BTreeMap<TaskId, Vec<Check>>, Vec<Diagnostic>) {
    let mut checks: BTreeMap<TaskId, Vec<Check>> = BTreeMap::new();
    let mut found = Vec::new();
    let resolver = Resolver::new(repository, task_io, columns);
    for flow in &repository.flows {
        for task in &flow.tasks {
            for rule in &task.quality {
                if let Some(check) = resolver.resolve(flow, task, rule, &mut found) {
                    checks.entry(task.id.clone()).or_default().push(check);
                }
            }
        }
    }
    (checks, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::{CheckReport, check};
    use crate::diagnostic::{Code, FileId};
    use crate::load::MemoryTree;
    use crate::model::QualityCheck;
    use crate::sql::SqlOptions;

    const PROJECT: &str = "project: t\nenvironments: {dev: {databases: {dwd: dev_dwd, dq: dev_dq}, airflow_connections: {kylin_default: kylin_dev}}, prod: {}}\nteams: {data: {}}\nsources:\n  - table: ods.raw\n  - table: dim.merchant\n";

    /// A flow whose kylin task `build` reads `ods.raw` and `dim.merchant` and writes
    /// `dwd.orders` (and `extra` tables), with `rules` as its `quality:` list.
    fn flow(rules: &str, extra: &[&str]) -> String {
        let mut writes = vec!["dwd.orders"];
        writes.extend_from_slice(extra);
        format!(
            "name: pay\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: build\n    type: kylin\n    cube: c\n    project: p\n    reads: [ods.raw, dim.merchant]\n    writes: [{}]\n    quality:\n{rules}",
            writes.join(", ")
        )
    }

    fn run(flow: &str) -> CheckReport {
        let tree = MemoryTree::new()
            .with("flowc.yaml", PROJECT)
            .with("flows/pay/flow.yaml", flow);
        check(&tree).unwrap()
    }

    fn codes(report: &CheckReport) -> Vec<Code> {
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    /// One rule of every kind, both severities.
    const EVERY_KIND: &str = r#"      - {name: lands_early, severity: weak, timeliness: {land_by: "06:30"}}
      - {name: fresh, severity: weak, timeliness: {max_lag: {column: paid_at, lag: 2h}}}
      - {name: enough_rows, severity: strong, completeness: {min_rows: 1000}}
      - {name: ids_present, severity: strong, completeness: {not_null: [order_id, user_id]}, threshold: 5}
      - {name: steady_volume, severity: weak, completeness: {row_count_change: {max_pct: 30}}}
      - {name: fee_below_amount, severity: strong, accuracy: {expression: "fee <= amount AND '${bizdate}' >= '2024-01-01'"}, where: "status = 'S'"}
      - {name: amount_range, severity: weak, accuracy: {range: {column: amount, min: 0, max: 1000000}}}
      - {name: amount_reconciles, severity: strong, accuracy: {reconcile: {sum: amount, with: ods.raw.amount, with_where: "kind <> 'test'"}}, threshold: 0.01}
      - {name: count_matches_raw, severity: strong, consistency: {equal_count: {with: ods.raw, with_partition: "ds=${bizdate_nodash}"}}}
      - {name: sum_matches_raw, severity: weak, consistency: {equal_sum: {column: amount, with: ods.raw.amount}}}
      - {name: known_merchant, severity: strong, consistency: {references: {column: merchant_id, table: dim.merchant, key: id, with_partition: none}}}
      - {name: known_status, severity: strong, validity: {accepted_values: {column: status, values: [S, F, "it's", 3]}}}
      - {name: ip_form, severity: weak, validity: {regex: {column: client_ip, pattern: '^\d{1,3}(\.\d{1,3}){3}$|${x}'}}}
      - {name: one_row_per_order, severity: strong, validity: {unique: [order_id]}, partition: "dt=${bizdate}"}
"#;

    #[test]
    fn every_kind_compiles_to_its_sql() {
        let report = run(&flow(EVERY_KIND, &[]));
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let checks = &report.quality[&TaskId::new(crate::model::FlowId::new("pay"), "build")];
        assert_eq!(checks.len(), 14);
        for check in checks {
            // Every check parses, and reads no table it should not.
            let analysis = crate::sql::analyze(FileId::default(), &check.sql, &SqlOptions::default());
            assert!(
                analysis.diagnostics.is_empty(),
                "{}: {:?}",
                check.rule.name.value,
                analysis.diagnostics
            );
            let writes: Vec<&str> = analysis.writes.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(writes, ["dq.results"], "{}", check.rule.name.value);
            insta::assert_snapshot!(format!("check_{}", check.rule.name.value), check.sql);
        }
    }

    #[test]
    fn every_check_inserts_the_results_table_columns_in_order() {
        let report = run(&flow(EVERY_KIND, &[]));
        let checks = &report.quality[&TaskId::new(crate::model::FlowId::new("pay"), "build")];
        let expected: Vec<&str> = super::sql::RESULT_COLUMNS.iter().map(|(name, _, _)| *name).collect();
        for check in checks {
            let insert = check.sql.split("INSERT INTO TABLE ").nth(1).expect("an INSERT");
            assert!(
                insert.starts_with(&format!("dq.results PARTITION ({} = ", super::sql::RESULT_PARTITION.0)),
                "{insert}"
            );
            let items = insert
                .split_once("SELECT\n")
                .and_then(|(_, rest)| rest.split_once("\nFROM ("))
                .expect("items")
                .0;
            let names: Vec<&str> = items
                .split(",\n")
                .map(|item| item.trim().rsplit(' ').next().unwrap_or_default())
                .collect();
            assert_eq!(names, expected, "{}", check.rule.name.value);
        }
    }

    #[test]
    fn a_rule_on_a_table_the_task_does_not_write_is_reported() {
        let report = run(&flow(
            "      - {name: r, table: dwd.order, severity: weak, completeness: {min_rows: 1}}\n",
            &[],
        ));
        assert_eq!(codes(&report), [Code::QualityTableNotWritten]);
        assert_eq!(
            report.diagnostics.iter().next().unwrap().help.as_deref(),
            Some("did you mean `dwd.orders`?")
        );
    }

    #[test]
    fn a_rule_without_table_on_a_task_writing_several_is_ambiguous() {
        let rules = "      - {name: r, severity: weak, completeness: {min_rows: 1}}\n      - {name: s, table: dwd.items, severity: weak, completeness: {min_rows: 1}}\n";
        let report = run(&flow(rules, &["dwd.items"]));
        assert_eq!(codes(&report), [Code::AmbiguousQualityTable]);
    }

    #[test]
    fn comparing_with_a_table_the_task_does_not_read_is_reported() {
        let rules = "      - {name: r, severity: strong, consistency: {equal_count: {with: dws.other}}}\n      - {name: s, severity: strong, accuracy: {expression: \"id IN (SELECT id FROM dws.elsewhere)\"}}\n";
        let report = run(&flow(rules, &[]));
        assert_eq!(codes(&report), [Code::QualityTableNotReady, Code::QualityTableNotReady]);
    }

    #[test]
    fn expressions_must_be_one_expression() {
        let rules = "      - {name: r, severity: strong, accuracy: {expression: \"a > 0) OR (1 = 1\"}}\n      - {name: s, severity: strong, completeness: {min_rows: 1}, where: \"a >\"}\n";
        let report = run(&flow(rules, &[]));
        assert_eq!(
            codes(&report),
            [Code::InvalidQualityExpression, Code::InvalidQualityExpression]
        );
    }

    #[test]
    fn row_count_change_needs_a_business_date_partition() {
        let rules = "      - {name: r, severity: weak, partition: none, completeness: {row_count_change: {max_pct: 5}}}\n      - {name: s, severity: weak, partition: \"region=cn\", completeness: {row_count_change: {max_pct: 5}}}\n";
        let report = run(&flow(rules, &[]));
        assert_eq!(
            codes(&report),
            [Code::QualityPartitionMismatch, Code::QualityPartitionMismatch]
        );
    }

    #[test]
    fn duplicate_rule_names_are_reported() {
        let rules = "      - {name: r, severity: weak, completeness: {min_rows: 1}}\n      - {name: r, severity: weak, completeness: {min_rows: 2}}\n";
        let report = run(&flow(rules, &[]));
        assert_eq!(codes(&report), [Code::DuplicateQualityRule]);
    }

    #[test]
    fn threshold_is_refused_where_the_check_has_its_own_limit() {
        let rules = "      - {name: r, severity: weak, completeness: {min_rows: 1}, threshold: 3}\n      - {name: s, severity: weak, completeness: {not_null: [a]}, threshold: 3}\n";
        let report = run(&flow(rules, &[]));
        assert_eq!(codes(&report), [Code::UnknownKey]);
        let message = &report.diagnostics.iter().next().unwrap().message;
        assert_eq!(message, "key `threshold` does not apply to quality rule `r`");
    }

    /// A project with a MySQL source and the warehouse, and a flow whose sync task
    /// `land` loads `shop.t_order` into `ods.orders` and whose sparksql task `copy`
    /// copies it, each with `rules` (for `land`) and `copy_rules`.
    fn sync_tree(rules: &str, copy_rules: &str) -> MemoryTree {
        let project = "project: t\nenvironments: {dev: {databases: {ods: dev_ods, dwd: dev_dwd, dq: dev_dq}, connections: {shop: shop_dev}}, prod: {}}\n\
                       teams: {data: {}}\nconnections:\n  warehouse: {type: hive, default_fs: \"hdfs://ns1\", warehouse_dir: /warehouse}\n\
                       \x20 shop: {type: mysql, host: shop, port: 3306, database: shop, airflow_conn_id: shop_ro}\n\
                       \x20 shop_dev: {type: mysql, host: shop-dev, port: 3306, database: shop, airflow_conn_id: shop_dev_ro}\n";
        let flow = format!(
            "name: pay\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: land\n    type: sync\n\
             \x20   source: {{connection: shop, table: t_order, columns: [id, amount]}}\n\
             \x20   target: {{table: ods.orders, partition: \"dt=${{bizdate}}\"}}\n    quality:\n{rules}\
             \x20 - name: copy\n    type: sparksql\n    sql: copy.sql\n    quality:\n{copy_rules}\
             tables:\n  - name: ods.orders\n    partitioned_by: [dt]\n    columns: [{{name: id, type: bigint}}, {{name: amount, type: double}}]\n"
        );
        MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/pay/flow.yaml", flow)
            .with(
                "flows/pay/copy.sql",
                "INSERT OVERWRITE TABLE dwd.orders PARTITION (dt = '${bizdate}')\nSELECT id, amount FROM ods.orders WHERE dt = '${bizdate}';\n",
            )
    }

    #[test]
    fn a_sync_task_compares_the_rows_landed_with_the_records_read() {
        let rules = "      - {name: all_landed, severity: strong, completeness: {row_count_change: {max_pct: 0.5, compare: sync_source}}}\n";
        let copy_rules = "      - {name: steady, severity: weak, completeness: {row_count_change: {max_pct: 30}}}\n";
        let report = check(&sync_tree(rules, copy_rules)).unwrap();
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let task = report
            .quality
            .keys()
            .find(|t| t.task() == "land")
            .expect("land has rules");
        let [check] = &report.quality[task][..] else {
            panic!("one rule")
        };
        assert_eq!(check.table.as_str(), "ods.orders");
        assert_eq!(
            check.partition.as_ref().map(ToString::to_string).as_deref(),
            Some("dt=${bizdate}")
        );
        // The count comes from the sync task's XCom, used only when it is digits.
        assert!(
            check.sql.contains(
                "CAST({{ ti.xcom_pull(task_ids='land') if (ti.xcom_pull(task_ids='land') | string).isdigit() else 'NULL' }} AS BIGINT)"
            ),
            "{}",
            check.sql
        );
        insta::assert_snapshot!("check_all_landed", check.sql);
        // A count that is unknown fails (null does not pass), unlike a missing previous day.
        let expectation = expectation(&check.rule);
        assert_eq!(
            (
                expectation.comparison,
                expectation.threshold.as_str(),
                expectation.null_passes
            ),
            ("<=", "0.5", false)
        );
        let steady = &report.quality[report
            .quality
            .keys()
            .find(|t| t.task() == "copy")
            .expect("copy has rules")][0];
        assert!(expectation_of(steady).null_passes);
    }

    fn expectation_of(check: &Check) -> Expectation {
        expectation(&check.rule)
    }

    #[test]
    fn comparing_with_the_sync_source_needs_a_sync_task() {
        let copy_rules = "      - {name: all_landed, severity: strong, completeness: {row_count_change: {max_pct: 0, compare: sync_source}}}\n";
        let report = check(&sync_tree(
            "      - {name: some, severity: weak, completeness: {min_rows: 1}}\n",
            copy_rules,
        ))
        .unwrap();
        assert_eq!(codes(&report), [Code::SyncSourceCountUnavailable]);
        let diagnostic = report.diagnostics.iter().next().unwrap();
        assert_eq!(
            diagnostic.message,
            "quality rule `all_landed` compares `dwd.orders` with the records its sync read, but task `pay.copy` is not a sync task"
        );
    }

    #[test]
    fn a_primary_key_is_a_not_null_and_a_unique_check() {
        let rules = "      - {name: order_pk, severity: strong, primary_key: [order_id, line_no], threshold: 1}\n";
        let report = run(&flow(rules, &[]));
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let checks = &report.quality[&TaskId::new(crate::model::FlowId::new("pay"), "build")];
        let found: Vec<(&str, &QualityCheck)> = checks
            .iter()
            .map(|check| (check.rule.name.value.as_str(), &check.rule.check.value))
            .collect();
        let columns = |check: &QualityCheck| match check {
            QualityCheck::NotNull(columns) | QualityCheck::Unique(columns) => {
                columns.iter().map(|c| c.value.clone()).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        };
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "order_pk_not_null");
        assert!(matches!(found[0].1, QualityCheck::NotNull(_)));
        assert_eq!(found[1].0, "order_pk_unique");
        assert!(matches!(found[1].1, QualityCheck::Unique(_)));
        for (_, check) in &found {
            assert_eq!(columns(check), ["order_id", "line_no"]);
        }
        // Two checks in one rule: the help says to split it.
        let report = run(&flow(
            "      - {name: pk, severity: strong, completeness: {not_null: [order_id]}, validity: {unique: [order_id]}}\n",
            &[],
        ));
        let help = report
            .diagnostics
            .iter()
            .find_map(|d| d.help.as_deref())
            .unwrap_or_default();
        assert!(help.contains("split it into two rules"), "{:?}", report.diagnostics);
        assert!(help.contains("primary_key"), "{help}");
    }

    #[test]
    fn a_column_missing_from_the_inferred_schema_is_reported() {
        use crate::columns::{Column, RepositoryColumns, SchemaOrigin, TableSchema};
        let rules = "      - {name: r, severity: strong, completeness: {not_null: [order_id, amuont]}}\n";
        let report = run(&flow(rules, &[]));
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let repository = report.repository.as_ref().unwrap();
        let writer = repository.tasks().next().unwrap().1.id.clone();
        let span = repository.flows[0].name_span;
        let column = |name: &str| Column {
            name: name.to_owned(),
            data_type: None,
            description: None,
            classifications: Vec::new(),
            span: Some(span),
        };
        let table = TableName::new("dwd.orders");
        let mut columns = RepositoryColumns::default();
        columns.schemas.insert(
            table.clone(),
            TableSchema {
                table,
                columns: vec![column("order_id"), column("amount")],
                partition_columns: Vec::new(),
                origin: SchemaOrigin::Inferred(writer.clone()),
                writer: Some(writer),
            },
        );
        let (_, found) = resolve(repository, &report.task_io, Some(&columns));
        let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::UnknownQualityColumn]);
        assert_eq!(found[0].help.as_deref(), Some("did you mean `amount`?"));
        assert_eq!(
            found[0].labels[0].message,
            "columns inferred from the query that writes it"
        );
        // Without a known schema, nothing is said.
        assert!(resolve(repository, &report.task_io, None).1.is_empty());
    }
}
