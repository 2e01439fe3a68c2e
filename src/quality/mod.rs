//! Data quality: each task's `quality:` rules resolved against what the task writes,
//! and compiled into the Spark SQL of their checks.
//!
//! Input: the model and every task's reads and writes (from SQL analysis, sync
//! resolution or the YAML). Output: one [`Check`] per rule — the table it checks, the
//! partitions it reads and its SQL in production names (see [`sql`]) — and the
//! problems found (`P510`–`P516`). Pure: no I/O. Runs only on a repository without
//! errors so far, so every task's reads and writes are known.
//!
//! Render turns each check into an Airflow task right after the task that writes the
//! table (`<task>__dq_<rule>`); see `render::plan`.

mod settings;
pub mod sql;

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, FileId};
use crate::graph::TaskIo;
use crate::model::{
    CountBaseline, Flow, PartitionChoice, PartitionSpec, QualityCheck, QualityRule, Repository, Spanned, TableName,
    Task, TaskId, TaskKind,
};
use crate::sql::{SparkDialect, SqlOptions, TableNames};

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
) -> (BTreeMap<TaskId, Vec<Check>>, Vec<Diagnostic>) {
    let mut checks: BTreeMap<TaskId, Vec<Check>> = BTreeMap::new();
    let mut found = Vec::new();
    let resolver = Resolver {
        repository,
        task_io,
        partitions: sync_partitions(repository, task_io),
    };
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

/// The partition each hive sync target is written with: what a check of that table
/// reads unless the rule says otherwise.
fn sync_partitions(repository: &Repository, task_io: &BTreeMap<TaskId, TaskIo>) -> BTreeMap<TableName, PartitionSpec> {
    let mut partitions = BTreeMap::new();
    for (_, task) in repository.tasks() {
        let TaskKind::Sync(sync) = &task.kind else {
            continue;
        };
        let (Some(partition), Some(io)) = (&sync.target.partition, task_io.get(&task.id)) else {
            continue;
        };
        if let Some(spec) = PartitionSpec::parse(&partition.value) {
            for write in &io.writes {
                partitions.insert(write.name.clone(), spec.clone());
            }
        }
    }
    partitions
}

struct Resolver<'a> {
    repository: &'a Repository,
    task_io: &'a BTreeMap<TaskId, TaskIo>,
    partitions: BTreeMap<TableName, PartitionSpec>,
}

impl Resolver<'_> {
    fn resolve(&self, flow: &Flow, task: &Task, rule: &QualityRule, found: &mut Vec<Diagnostic>) -> Option<Check> {
        let io = self.task_io.get(&task.id)?;
        let errors_before = found.len();
        let table = own_table(task, rule, io, found)?;
        let check = &rule.check.value;
        let partition = self.partition(&table, rule.partition.as_ref(), rule, found);
        if let QualityCheck::RowCountChange {
            compare: CountBaseline::SyncSource,
            ..
        } = check
            && !matches!(task.kind, TaskKind::Sync(_))
        {
            found.push(
                Diagnostic::error(
                    Code::SyncSourceCountUnavailable,
                    format!(
                        "quality rule `{}` compares `{table}` with the records its sync read, but task `{}` is not a sync task",
                        rule.name.value, task.id
                    ),
                )
                .at(rule.check.span)
                .with_label("no DataX job counts a source here")
                .with_help(
                    "put the rule on the sync task that loads the table, or compare with the previous partition (`compare: previous_partition`) or another table (`consistency.equal_count`)",
                ),
            );
        }
        if let QualityCheck::RowCountChange {
            compare: CountBaseline::PreviousPartition,
            ..
        } = check
        {
            let fits = match &partition {
                PartitionChoice::Spec(spec) => sql::previous_partition("t", spec).is_some(),
                PartitionChoice::Whole => false,
            };
            if !fits {
                found.push(
                    Diagnostic::error(
                        Code::QualityPartitionMismatch,
                        format!(
                            "quality rule `{}` compares with the previous partition, but `{table}` is not checked by business date",
                            rule.name.value
                        ),
                    )
                    .at(rule.check.span)
                    .with_label("needs a partition on `${bizdate}`")
                    .with_help("check a partition such as `dt=${bizdate}` (`partition:` of the rule), or use `min_rows` instead"),
                );
            }
        }
        self.check_columns(&table, check.columns(), rule, found);
        let other = check.other_table().map(|other| {
            let partition = self.partition(&other.table.value, other.partition.as_ref(), rule, found);
            if let Some(column) = &other.column {
                self.check_columns(&other.table.value, vec![column], rule, found);
            }
            (other.table.value.clone(), partition)
        });
        check_expressions(rule, found);
        let spec = |choice: PartitionChoice| match choice {
            PartitionChoice::Spec(spec) => Some(spec),
            PartitionChoice::Whole => None,
        };
        let partition = spec(partition);
        let other = other.map(|(table, partition)| (table, spec(partition)));
        let text = sql::check_sql(&CheckSpec {
            flow: flow.id.as_str(),
            task: task.id.task(),
            rule,
            table: &table,
            partition: partition.as_ref(),
            other: other.as_ref().map(|(t, p)| (t, p.as_ref())),
            results_table: &self.repository.project.quality.results_table.value,
        });
        let results = &self.repository.project.quality.results_table.value;
        let analysis = crate::sql::analyze(FileId::default(), &text, &SqlOptions::default());
        let reads: BTreeSet<TableName> = analysis
            .reads
            .into_iter()
            .map(|read| read.name)
            .filter(|read| read != &table && read != results)
            .collect();
        let names = analysis.names;
        if found.len() == errors_before {
            self.check_reads(task, rule, io, &reads, found);
        }
        Some(Check {
            task: task.id.clone(),
            rule: rule.clone(),
            table,
            partition,
            other,
            sql: text,
            reads: reads.into_iter().collect(),
            names,
        })
    }

    /// Which rows of `table` the rule reads: as written, the partition a sync writes,
    /// none for a table declared unpartitioned, or the project's default.
    fn partition(
        &self,
        table: &TableName,
        written: Option<&Spanned<PartitionChoice>>,
        rule: &QualityRule,
        found: &mut Vec<Diagnostic>,
    ) -> PartitionChoice {
        let declared = self.repository.table(table);
        let default = &self.repository.project.quality.partition;
        let (choice, span, origin) = match (written, self.partitions.get(table), declared) {
            (Some(written), _, _) => (written.value.clone(), written.span, "this partition"),
            (None, Some(spec), _) => return PartitionChoice::Spec(spec.clone()),
            (None, None, Some(d)) if d.partitioned_by.is_empty() => return PartitionChoice::Whole,
            (None, None, _) => (
                PartitionChoice::Spec(default.value.clone()),
                rule.name.span,
                "the default partition (`quality.partition` of flowc.yaml)",
            ),
        };
        if let (Some(declaration), PartitionChoice::Spec(spec)) = (declared, &choice) {
            let columns: Vec<&str> = spec.columns().collect();
            let expected: Vec<&str> = declaration.partitioned_by.iter().map(String::as_str).collect();
            if columns != expected {
                let what = if expected.is_empty() {
                    "is not partitioned".to_owned()
                } else {
                    format!("is partitioned by `{}`", expected.join("`, `"))
                };
                found.push(
                    Diagnostic::error(
                        Code::QualityPartitionMismatch,
                        format!(
                            "quality rule `{}` reads partition `{spec}` of `{table}`, which {what}",
                            rule.name.value
                        ),
                    )
                    .at(span)
                    .with_label(format!("{origin} does not fit the table"))
                    .with_secondary(declaration.name.span, "declared here")
                    .with_help(if expected.is_empty() {
                        "set `partition: none` on the rule to check the whole table".to_owned()
                    } else {
                        format!(
                            "set `partition:` on the rule to the table's partition, e.g. `{}`",
                            expected
                                .iter()
                                .map(|c| format!("{c}=${{bizdate}}"))
                                .collect::<Vec<_>>()
                                .join("/")
                        )
                    }),
                );
            }
        }
        choice
    }

    /// P510 for columns a declared table does not have.
    fn check_columns(
        &self,
        table: &TableName,
        columns: Vec<&Spanned<String>>,
        rule: &QualityRule,
        found: &mut Vec<Diagnostic>,
    ) {
        let Some(declaration) = self.repository.table(table) else {
            return;
        };
        let known: Vec<&str> = declaration
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(declaration.partitioned_by.iter().map(String::as_str))
            .collect();
        for column in columns {
            if known.contains(&column.value.as_str()) {
                continue;
            }
            let diagnostic = Diagnostic::error(
                Code::UnknownQualityColumn,
                format!(
                    "quality rule `{}` names column `{}`, which table `{table}` does not have",
                    rule.name.value, column.value
                ),
            )
            .at(column.span)
            .with_label("no such column")
            .with_secondary(declaration.name.span, "table declared here");
            found.push(match did_you_mean(&column.value, known.iter().copied()) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic.with_note(format!("its columns: {}", code_list(&known))),
            });
        }
    }

    /// P514 for tables the check reads that may not be ready when it runs.
    fn check_reads(
        &self,
        task: &Task,
        rule: &QualityRule,
        io: &TaskIo,
        tables_read: &BTreeSet<TableName>,
        found: &mut Vec<Diagnostic>,
    ) {
        let project = &self.repository.project;
        let ready: BTreeSet<&TableName> = io
            .reads
            .iter()
            .chain(&io.writes)
            .map(|t| &t.name)
            .chain(project.sources.iter().map(|s| &s.table))
            .collect();
        for read in tables_read {
            if ready.contains(read) {
                continue;
            }
            let span = rule
                .check
                .value
                .other_table()
                .filter(|o| o.table.value == *read)
                .map_or(rule.check.span, |o| o.table.span);
            found.push(
                Diagnostic::error(
                    Code::QualityTableNotReady,
                    format!(
                        "quality rule `{}` reads `{}`, which task `{}` neither reads nor writes",
                        rule.name.value, read, task.id
                    ),
                )
                .at(span)
                .with_label("may not be written yet when the check runs")
                .with_help(
                    "a check runs right after its task, so it may only compare with tables the task reads or writes, \
                     or with declared sources; put the rule on a task that reads this table",
                ),
            );
        }
    }
}

/// The table a rule checks: the one it names, or the task's only table. P512/P513
/// when that does not work out.
fn own_table(task: &Task, rule: &QualityRule, io: &TaskIo, found: &mut Vec<Diagnostic>) -> Option<TableName> {
    let writes: Vec<&TableName> = io.writes.iter().map(|t| &t.name).collect();
    let names = || writes.iter().map(|t| t.as_str()).collect::<Vec<_>>();
    match (&rule.table, writes.as_slice()) {
        (Some(table), _) if writes.contains(&&table.value) => Some(table.value.clone()),
        (Some(table), _) => {
            let diagnostic = Diagnostic::error(
                Code::QualityTableNotWritten,
                format!(
                    "quality rule `{}` checks `{}`, which task `{}` does not write",
                    rule.name.value, table.value, task.id
                ),
            )
            .at(table.span)
            .with_label("not written by this task");
            found.push(match did_you_mean(table.value.as_str(), names()) {
                Some(help) => diagnostic.with_help(help),
                None if writes.is_empty() => diagnostic.with_help(no_table_help(task)),
                None => diagnostic.with_help(format!(
                    "put the rule on the task that writes it; this task writes {}",
                    code_list(&names())
                )),
            });
            None
        }
        (None, [only]) => Some((*only).clone()),
        (None, []) => {
            found.push(
                Diagnostic::error(
                    Code::QualityTableNotWritten,
                    format!(
                        "quality rule `{}` is on task `{}`, which writes no warehouse table",
                        rule.name.value, task.id
                    ),
                )
                .at(rule.name.span)
                .with_label("nothing to check")
                .with_help(no_table_help(task)),
            );
            None
        }
        (None, _) => {
            found.push(
                Diagnostic::error(
                    Code::AmbiguousQualityTable,
                    format!(
                        "quality rule `{}` names no table, and task `{}` writes {} tables",
                        rule.name.value,
                        task.id,
                        writes.len()
                    ),
                )
                .at(rule.name.span)
                .with_label("which table?")
                .with_help(format!("add `table:` with one of {}", code_list(&names()))),
            );
            None
        }
    }
}

fn no_table_help(task: &Task) -> &'static str {
    match task.kind {
        TaskKind::Sync(_) => "only tables in the warehouse can be checked; put the rule on a task that writes one",
        _ => "put the rule on the task that writes the table",
    }
}

fn code_list(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// P515 for SQL expressions that are not exactly one expression.
fn check_expressions(rule: &QualityRule, found: &mut Vec<Diagnostic>) {
    let check = &rule.check.value;
    let mut expressions: Vec<(&Spanned<String>, &str)> = Vec::new();
    if let QualityCheck::Expression(expression) = check {
        expressions.push((expression, "expression"));
    }
    if let Some(filter) = &rule.filter {
        expressions.push((filter, "where"));
    }
    if let Some(filter) = check.other_table().and_then(|o| o.filter.as_ref()) {
        expressions.push((filter, "with_where"));
    }
    for (expression, key) in expressions {
        if let Err(problem) = parse_expression(&expression.value) {
            found.push(
                Diagnostic::error(
                    Code::InvalidQualityExpression,
                    format!("`{key}` of quality rule `{}` is not a SQL expression", rule.name.value),
                )
                .at(expression.span)
                .with_label(problem)
                .with_help("write one boolean Spark SQL expression over the table's columns, e.g. `amount >= 0`"),
            );
        }
    }
}

/// Parses `text` as exactly one Spark SQL expression (placeholders allowed).
fn parse_expression(text: &str) -> Result<(), String> {
    let sanitized = crate::sql::placeholder::sanitize(FileId::default(), text);
    if !sanitized.diagnostics.is_empty() {
        return Err("a placeholder is not closed".to_owned());
    }
    let dialect = SparkDialect::default();
    let mut parser = Parser::new(&dialect)
        .try_with_sql(&sanitized.text)
        .map_err(|e| lowercase_message(&e.to_string()))?;
    parser.parse_expr().map_err(|e| lowercase_message(&e.to_string()))?;
    match parser.peek_token().token {
        Token::EOF => Ok(()),
        other => Err(format!("unexpected `{other}` after the expression")),
    }
}

/// sqlparser's message without its error kind prefix and position.
fn lowercase_message(message: &str) -> String {
    let message = message
        .strip_prefix("sql parser error: ")
        .or_else(|| message.strip_prefix("SQL parser error: "))
        .unwrap_or(message);
    let message = message.split(" at Line: ").next().unwrap_or(message);
    let mut chars = message.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_lowercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::{CheckReport, check};
    use crate::load::MemoryTree;

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
}
