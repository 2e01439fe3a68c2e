//! The Spark SQL of one quality check.
//!
//! Input: a rule resolved against its task ([`CheckSpec`]). Output: the text of a SQL
//! file in the repository's own terms — production table names, `${bizdate}` for the
//! business date — so it goes through exactly the path a sparksql task's file does
//! (environment table mapping, then `${name}` → Jinja). Pure and deterministic.
//!
//! Every check is two statements:
//! 1. `INSERT INTO <results table>` one row: the rule, its table and partition, the
//!    observed value, the comparison and threshold, whether it passed, the Airflow
//!    `run_id` and the time;
//! 2. a `SELECT` of that row back, which prints a `flowc-dq` line naming rule, table,
//!    partition and counts — and, for a strong rule that did not pass, calls
//!    `raise_error` with that line, so spark-sql exits non-zero and the Airflow task
//!    fails. The row is written before the failure, so failures are recorded too. The
//!    newest row of the run is picked in a subquery before the report is computed: a
//!    cleared and re-run task keeps its `run_id`, and Spark evaluates a projection
//!    below an `ORDER BY … LIMIT`, so an older failed row would fail the re-run too.
//!
//! User text that is data (accepted values, regex patterns, range bounds) is written as
//! Spark string literals with `{` and `$` as `\u` escapes, so neither flowc's
//! `${name}` substitution nor Airflow's Jinja ever sees it. SQL expressions (`expression`,
//! `where`, `with_where`) are SQL like a task's own files: `${name}` is substituted.

use std::fmt::Write as _;

use crate::model::{
    CountBaseline, Literal, OtherTable, PartitionSpec, QualityCheck, QualityRule, Severity, Spanned, TableName,
};

/// Alias of the checked table in every check.
const ALIAS: &str = "t";
/// Alias of the other table of a comparison.
const OTHER_ALIAS: &str = "o";

/// A rule resolved against its task: everything its SQL is built from.
#[derive(Clone, Copy, Debug)]
pub struct CheckSpec<'a> {
    /// The flow's name.
    pub flow: &'a str,
    /// The task's name (without the flow).
    pub task: &'a str,
    /// The rule.
    pub rule: &'a QualityRule,
    /// The table checked.
    pub table: &'a TableName,
    /// Its partition checked; `None` for the whole table.
    pub partition: Option<&'a PartitionSpec>,
    /// The other table of a comparison and its partition.
    pub other: Option<(&'a TableName, Option<&'a PartitionSpec>)>,
    /// Where results are appended.
    pub results_table: &'a TableName,
}

/// The columns of the results table, in the order every check's `INSERT` writes them:
/// name, Spark type and comment. `flowc ddl` creates the table from this list, so the
/// two cannot drift apart (a unit test reads the INSERT back).
pub const RESULT_COLUMNS: &[(&str, &str, &str)] = &[
    ("flow", "string", "the flow of the checked task"),
    ("task", "string", "the checked task, without its flow"),
    ("rule", "string", "the rule's name"),
    ("dimension", "string", "the rule's quality dimension"),
    ("kind", "string", "the kind of check"),
    ("severity", "string", "strong (fails the task) or weak (warns)"),
    ("table_name", "string", "the checked table, as the repository names it"),
    (
        "checked_partition",
        "string",
        "the checked partition (`dt=2024-03-05`), or `all`",
    ),
    ("observed", "double", "the value measured"),
    (
        "comparison",
        "string",
        "how observed is compared with threshold: <= or >=",
    ),
    ("threshold", "double", "the value observed is compared with"),
    ("passed", "boolean", "whether the check passed"),
    ("run_id", "string", "the Airflow run id"),
    ("checked_at", "timestamp", "when the check ran"),
];

/// The partition column of the results table: every check writes the partition of its
/// business date.
pub const RESULT_PARTITION: (&str, &str, &str) = ("dt", "string", "the business date of the checked run");

/// How the observed value is compared with the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// `<=` or `>=`.
    pub comparison: &'static str,
    /// The threshold as SQL number text.
    pub threshold: String,
    /// Whether a null observation (nothing to compare with) passes.
    pub null_passes: bool,
    /// What the observed value counts, for the results table and logs.
    pub unit: &'static str,
}

/// The comparison a rule's check makes.
pub fn expectation(rule: &QualityRule) -> Expectation {
    let threshold = rule.threshold.as_ref().map_or_else(|| "0".to_owned(), number);
    let at_most = |unit| Expectation {
        comparison: "<=",
        threshold: threshold.clone(),
        null_passes: false,
        unit,
    };
    match &rule.check.value {
        QualityCheck::LandBy { .. } => Expectation {
            threshold: "0".to_owned(),
            ..at_most("minutes late")
        },
        QualityCheck::MaxLag { lag, .. } => Expectation {
            threshold: lag.0.to_string(),
            ..at_most("seconds of lag")
        },
        QualityCheck::MinRows(rows) => Expectation {
            comparison: ">=",
            threshold: rows.to_string(),
            null_passes: false,
            unit: "rows",
        },
        QualityCheck::RowCountChange {
            max_pct,
            compare: CountBaseline::PreviousPartition,
        } => Expectation {
            threshold: number(max_pct),
            null_passes: true,
            ..at_most("percent change")
        },
        // No count from the sync (DataX printed none) fails: nothing proves the load.
        QualityCheck::RowCountChange {
            max_pct,
            compare: CountBaseline::SyncSource,
        } => Expectation {
            threshold: number(max_pct),
            ..at_most("percent off the records read")
        },
        QualityCheck::Unique(_) => at_most("duplicated keys"),
        QualityCheck::EqualCount { .. } | QualityCheck::EqualSum { .. } | QualityCheck::Reconcile { .. } => {
            at_most("difference")
        }
        QualityCheck::NotNull(_)
        | QualityCheck::Expression(_)
        | QualityCheck::Range { .. }
        | QualityCheck::References { .. }
        | QualityCheck::AcceptedValues { .. }
        | QualityCheck::Regex { .. } => at_most("failing rows"),
    }
}

/// A number literal as SQL text (the schema only allows numbers where this is used).
fn number(literal: &Literal) -> String {
    match literal {
        Literal::Number(text) | Literal::Text(text) => text.clone(),
    }
}

/// A literal as SQL: numbers as written, text as a Spark string literal.
fn literal(value: &Literal) -> String {
    match value {
        Literal::Number(text) => text.clone(),
        Literal::Text(text) => string(text),
    }
}

/// A Spark string literal of data: backslashes escaped, and quotes and the `{` or `$`
/// that opens a placeholder (`${`, `{{`, `{%`, `{#`) as `\u` escapes — the openers so
/// no template engine reads a placeholder in it, a quote the same way for one escape
/// form throughout.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let opens = matches!((c, chars.peek()), ('{', Some('{' | '%' | '#')) | ('$', Some('{')));
        match c {
            '\'' => out.push_str("\\u0027"),
            '\\' => out.push_str("\\\\"),
            '{' if opens => out.push_str("\\u007B"),
            '$' if opens => out.push_str("\\u0024"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A partition value as a SQL string literal; `${name}` in it stays a placeholder.
fn partition_value(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\u0027"))
}

/// `alias.col = 'value' AND …` for a partition, or nothing for the whole table.
fn partition_predicates(alias: &str, partition: Option<&PartitionSpec>) -> Vec<String> {
    partition.map_or_else(Vec::new, |spec| {
        spec.0
            .iter()
            .map(|(column, value)| format!("{alias}.{column} = {}", partition_value(value)))
            .collect()
    })
}

/// The predicates that select the day before's partition: each `${bizdate}` or
/// `${bizdate_nodash}` value moved one day back. `None` when no value is the business
/// date (there is no previous partition to compare with).
pub fn previous_partition(alias: &str, partition: &PartitionSpec) -> Option<Vec<String>> {
    let day_before = "date_sub(to_date('${bizdate}'), 1)";
    let mut moved = false;
    let predicates = partition
        .0
        .iter()
        .map(|(column, value)| {
            let expression = match value.as_str() {
                "${bizdate}" => {
                    moved = true;
                    format!("date_format({day_before}, 'yyyy-MM-dd')")
                }
                "${bizdate_nodash}" => {
                    moved = true;
                    format!("date_format({day_before}, 'yyyyMMdd')")
                }
                other => partition_value(other),
            };
            format!("{alias}.{column} = {expression}")
        })
        .collect();
    moved.then_some(predicates)
}

/// `WHERE a AND b` over several lines, or nothing.
fn where_clause(predicates: &[String], indent: &str) -> String {
    match predicates {
        [] => String::new(),
        [first, rest @ ..] => {
            let mut out = format!("\n{indent}WHERE {first}");
            for predicate in rest {
                let _ = write!(out, "\n{indent}  AND {predicate}");
            }
            out
        }
    }
}

/// A column of the checked table.
fn column(name: &str) -> String {
    format!("{ALIAS}.{name}")
}

/// The condition of a value below `min` or above `max`.
fn outside_range(column: &str, min: Option<&Literal>, max: Option<&Literal>) -> String {
    let mut outside = Vec::new();
    if let Some(min) = min {
        outside.push(format!("{column} < {}", literal(min)));
    }
    if let Some(max) = max {
        outside.push(format!("{column} > {}", literal(max)));
    }
    format!("({})", outside.join(" OR "))
}

impl CheckSpec<'_> {
    /// The rows of the checked table the rule looks at.
    fn scope(&self) -> Vec<String> {
        let mut predicates = partition_predicates(ALIAS, self.partition);
        if let Some(filter) = &self.rule.filter {
            predicates.push(format!("({})", filter.value.trim()));
        }
        predicates
    }

    /// The rows of the other table a comparison looks at.
    fn other_scope(&self) -> Vec<String> {
        let check = &self.rule.check.value;
        let mut predicates = partition_predicates(OTHER_ALIAS, self.other.and_then(|(_, p)| p));
        if let Some(filter) = check.other_table().and_then(|o| o.filter.as_ref()) {
            predicates.push(format!("({})", filter.value.trim()));
        }
        predicates
    }

    fn other_table(&self) -> String {
        self.other.map_or_else(String::new, |(table, _)| table.to_string())
    }

    /// `SELECT … AS observed` for the rule's check, indented by four spaces.
    fn metric(&self) -> String {
        match &self.rule.check.value {
            QualityCheck::LandBy { time } => format!(
                "    SELECT (unix_timestamp(current_timestamp())\n            \
                 - unix_timestamp(concat(CAST(date_add(to_date('${{bizdate}}'), 1) AS STRING), ' {time}:00'))) / 60.0 AS observed"
            ),
            QualityCheck::MaxLag { column: c, .. } => format!(
                "    SELECT CAST(unix_timestamp(CAST(date_add(to_date('${{bizdate}}'), 1) AS TIMESTAMP))\n            \
                 - unix_timestamp(MAX({})) AS DOUBLE) AS observed\n    FROM {} {ALIAS}{}",
                column(&c.value),
                self.table,
                where_clause(&self.scope(), "    ")
            ),
            QualityCheck::MinRows(_) => format!(
                "    SELECT CAST(COUNT(*) AS DOUBLE) AS observed\n    FROM {} {ALIAS}{}",
                self.table,
                where_clause(&self.scope(), "    ")
            ),
            QualityCheck::RowCountChange {
                compare: CountBaseline::SyncSource,
                ..
            } => self.change_from_records_read(),
            QualityCheck::RowCountChange {
                compare: CountBaseline::PreviousPartition,
                ..
            } => self.change_from_previous_day(),
            QualityCheck::NotNull(columns) => self.failing_rows(format!(
                "({})",
                columns
                    .iter()
                    .map(|c| format!("{} IS NULL", column(&c.value)))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            )),
            QualityCheck::Expression(expression) => {
                self.failing_rows(format!("NOT COALESCE(({}), false)", expression.value.trim()))
            }
            QualityCheck::Range { column: c, min, max } => {
                self.failing_rows(outside_range(&column(&c.value), min.as_ref(), max.as_ref()))
            }
            QualityCheck::AcceptedValues { column: c, values } => self.failing_rows(format!(
                "{} IS NOT NULL AND {} NOT IN ({})",
                column(&c.value),
                column(&c.value),
                values.iter().map(literal).collect::<Vec<_>>().join(", ")
            )),
            QualityCheck::Regex { column: c, pattern } => self.failing_rows(format!(
                "{} IS NOT NULL AND NOT (CAST({} AS STRING) RLIKE {})",
                column(&c.value),
                column(&c.value),
                string(pattern)
            )),
            QualityCheck::Unique(columns) => self.duplicated_keys(columns),
            QualityCheck::References { column: c, with } => self.failing_rows(self.no_reference(&c.value, with)),
            QualityCheck::EqualCount { .. } => self.compare_totals("COUNT(*)", "COUNT(*)"),
            QualityCheck::EqualSum { column: c, with } | QualityCheck::Reconcile { column: c, with } => {
                let theirs = with.column.as_ref().map_or("", |k| k.value.as_str());
                self.compare_totals(
                    &format!("SUM({})", column(&c.value)),
                    &format!("SUM({OTHER_ALIAS}.{theirs})"),
                )
            }
        }
    }

    /// The rows in scope that meet `condition`, counted.
    fn failing_rows(&self, condition: String) -> String {
        let mut scope = self.scope();
        scope.push(condition);
        format!(
            "    SELECT CAST(COUNT(*) AS DOUBLE) AS observed\n    FROM {} {ALIAS}{}",
            self.table,
            where_clause(&scope, "    ")
        )
    }

    /// How far `mine` over the rows in scope is from `theirs` over the other table's.
    fn compare_totals(&self, mine: &str, theirs: &str) -> String {
        format!(
            "    SELECT CAST(ABS(COALESCE(mine.total, 0) - COALESCE(theirs.total, 0)) AS DOUBLE) AS observed\n    \
             FROM (\n        SELECT {mine} AS total\n        FROM {} {ALIAS}{}\n    ) mine\n    \
             CROSS JOIN (\n        SELECT {theirs} AS total\n        FROM {} {OTHER_ALIAS}{}\n    ) theirs",
            self.table,
            where_clause(&self.scope(), "        "),
            self.other_table(),
            where_clause(&self.other_scope(), "        "),
        )
    }

    /// The percentage the rows landed differ from the records the sync task read.
    fn change_from_records_read(&self) -> String {
        // The sync task's launcher prints the records DataX read as its last
        // output line, which Airflow keeps as the task's XCom; anything but
        // digits there becomes NULL. The task id is a name (`[a-z0-9_]`).
        let read = format!("ti.xcom_pull(task_ids='{}')", self.task);
        format!(
            "    SELECT CASE WHEN records_read.total IS NULL THEN NULL\n                \
             WHEN records_read.total = 0 THEN CASE WHEN landed.total = 0 THEN 0.0 ELSE 100.0 END\n                \
             ELSE ABS(landed.total - records_read.total) * 100.0 / records_read.total END AS observed\n    \
             FROM (\n        SELECT COUNT(*) AS total\n        FROM {} {ALIAS}{}\n    ) landed\n    \
             CROSS JOIN (\n        SELECT CAST({{{{ {read} if ({read} | string).isdigit() else 'NULL' }}}} AS BIGINT) AS total\n    \
             ) records_read",
            self.table,
            where_clause(&self.scope(), "        "),
        )
    }

    /// The percentage the rows in scope differ from the day before's.
    fn change_from_previous_day(&self) -> String {
        let mut previous_scope = self
            .partition
            .and_then(|p| previous_partition(ALIAS, p))
            .unwrap_or_default();
        if let Some(filter) = &self.rule.filter {
            previous_scope.push(format!("({})", filter.value.trim()));
        }
        format!(
            "    SELECT CASE WHEN previous_day.total = 0 THEN NULL\n                \
             ELSE ABS(this_day.total - previous_day.total) * 100.0 / previous_day.total END AS observed\n    \
             FROM (\n        SELECT COUNT(*) AS total\n        FROM {table} {ALIAS}{}\n    ) this_day\n    \
             CROSS JOIN (\n        SELECT COUNT(*) AS total\n        FROM {table} {ALIAS}{}\n    ) previous_day",
            where_clause(&self.scope(), "        "),
            where_clause(&previous_scope, "        "),
            table = self.table,
        )
    }

    /// The keys that occur more than once in scope, counted.
    fn duplicated_keys(&self, columns: &[Spanned<String>]) -> String {
        let key = columns.iter().map(|c| column(&c.value)).collect::<Vec<_>>().join(", ");
        format!(
            "    SELECT CAST(COUNT(*) AS DOUBLE) AS observed\n    FROM (\n        SELECT {key}\n        \
             FROM {} {ALIAS}{}\n        GROUP BY {key}\n        HAVING COUNT(*) > 1\n    ) duplicated_keys",
            self.table,
            where_clause(&self.scope(), "        ")
        )
    }

    /// The condition of a row whose `name` is set but found in no row of the other table.
    fn no_reference(&self, name: &str, with: &OtherTable) -> String {
        let key = with.column.as_ref().map_or("", |k| k.value.as_str());
        let mut other = self.other_scope();
        other.push(format!("{OTHER_ALIAS}.{key} = {}", column(name)));
        format!(
            "{} IS NOT NULL\n      AND NOT EXISTS (\n        SELECT 1\n        FROM {} {OTHER_ALIAS}{}\n      )",
            column(name),
            self.other_table(),
            where_clause(&other, "        ")
        )
    }

    /// The partition as recorded in results and logs: `dt=${bizdate}` (the business
    /// date once rendered), or `all` for the whole table.
    fn partition_text(&self) -> String {
        self.partition.map_or_else(|| "all".to_owned(), ToString::to_string)
    }
}

/// The SQL file of one check.
pub fn check_sql(spec: &CheckSpec<'_>) -> String {
    let rule = spec.rule;
    let check = &rule.check.value;
    let expectation = expectation(rule);
    let results = spec.results_table;
    let passed = format!(
        "COALESCE(observed {} {}, {})",
        expectation.comparison, expectation.threshold, expectation.null_passes
    );
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- flowc data quality check `{}` of flow `{}`: {}.{} ({}), on `{}` written by task `{}`.",
        rule.name.value,
        spec.flow,
        check.dimension().as_str(),
        check.kind(),
        rule.severity.as_str(),
        spec.table,
        spec.task,
    );
    let _ = writeln!(
        sql,
        "-- Observed: {}; passes when observed {} {}.",
        expectation.unit, expectation.comparison, expectation.threshold
    );
    sql.push_str("-- 1. Record the result.\n");
    let _ = write!(
        sql,
        "INSERT INTO TABLE {results} PARTITION (dt = '${{bizdate}}')\n\
         SELECT\n    \
         {flow} AS flow,\n    \
         {task} AS task,\n    \
         {name} AS rule,\n    \
         '{dimension}' AS dimension,\n    \
         '{kind}' AS kind,\n    \
         '{severity}' AS severity,\n    \
         '{table}' AS table_name,\n    \
         {partition} AS checked_partition,\n    \
         observed,\n    \
         '{comparison}' AS comparison,\n    \
         CAST({threshold} AS DOUBLE) AS threshold,\n    \
         {passed} AS passed,\n    \
         '{{{{ run_id }}}}' AS run_id,\n    \
         current_timestamp() AS checked_at\n\
         FROM (\n{metric}\n) metric;\n",
        flow = string(spec.flow),
        task = string(spec.task),
        name = string(&rule.name.value),
        dimension = check.dimension().as_str(),
        kind = check.kind(),
        severity = rule.severity.as_str(),
        table = spec.table,
        partition = partition_value(&spec.partition_text()),
        comparison = expectation.comparison,
        threshold = expectation.threshold,
        metric = spec.metric(),
    );
    let line = format!(
        "concat('rule={}.{} table={} partition=', r.checked_partition, ' severity={} observed=', \
         coalesce(CAST(r.observed AS STRING), 'null'), ' ({}) expected {} ', CAST(r.threshold AS STRING))",
        spec.flow,
        rule.name.value,
        spec.table,
        rule.severity.as_str(),
        expectation.unit,
        expectation.comparison,
    );
    let report = match rule.severity {
        Severity::Strong => {
            sql.push_str("-- 2. Report it; a strong rule that did not pass fails the task.\n");
            format!(
                "CASE WHEN r.passed THEN concat('flowc-dq PASS ', {line})\n            \
                 ELSE raise_error(concat('flowc-dq FAIL ', {line})) END"
            )
        }
        Severity::Weak => {
            sql.push_str("-- 2. Report it; a weak rule never fails the task.\n");
            format!("concat(CASE WHEN r.passed THEN 'flowc-dq PASS ' ELSE 'flowc-dq WARN ' END, {line})")
        }
    };
    let _ = write!(
        sql,
        "SELECT {report} AS flowc_dq\n\
         FROM (\n    \
         SELECT *\n    \
         FROM {results}\n    \
         WHERE dt = '${{bizdate}}'\n      \
         AND flow = {flow}\n      \
         AND rule = {name}\n      \
         AND run_id = '{{{{ run_id }}}}'\n    \
         ORDER BY checked_at DESC\n    \
         LIMIT 1\n\
         ) r;\n",
        flow = string(spec.flow),
        name = string(&rule.name.value),
    );
    sql
}
