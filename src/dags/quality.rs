//! The Airflow tasks of data quality checks.
//!
//! Each rule of a task becomes a check task `<task>__dq_<rule>` right after it, run
//! through the same Spark path as the task's SQL would be (see
//! [`Builder::spark_sql_operator`]). A task with strong rules also gets a gate,
//! `<task>__dq` (an `EmptyOperator` after its strong checks): everything that waited for
//! the task — its downstream tasks in the flow, the sensors of other flows, the assets it
//! updates — waits for the gate instead, so a failing strong check leaves all of it
//! `upstream_failed`. Weak checks are leaves: nothing waits for them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::ids::{check_task_id, dag_id, gate_task_id, unique_var};
use super::jinja;
use super::spark::SparkSql;
use super::{Builder, DagParam, DagTask, Operator, QualityTask};
use crate::diagnostic::{Code, Diagnostic, FileId};
use crate::model::{Flow, Severity, SparkSqlOperator, Task, TaskId, TaskKind};
use crate::quality::Check;

/// The checks of one task, and its gate when it has strong rules.
pub(super) struct QualityTasks {
    /// One per rule, in rule order.
    pub(super) checks: Vec<(Severity, DagTask)>,
    /// The `EmptyOperator` after the strong checks.
    pub(super) gate: Option<DagTask>,
}

/// The tasks with a strong rule: what waits for them waits for their gate.
pub(super) fn gated(quality: &BTreeMap<TaskId, Vec<Check>>) -> BTreeSet<TaskId> {
    quality
        .iter()
        .filter(|(_, checks)| checks.iter().any(|c| c.rule.severity == Severity::Strong))
        .map(|(task, _)| task.clone())
        .collect()
}

impl Builder<'_> {
    /// The check tasks of `task` (whose dag_task is `writer`), and its gate.
    pub(super) fn quality_tasks(
        &mut self,
        flow: &Flow,
        task: &Task,
        writer: &DagTask,
        vars: &mut BTreeSet<String>,
    ) -> QualityTasks {
        let Some(checks) = self.input.quality.get(&task.id) else {
            return QualityTasks {
                checks: Vec::new(),
                gate: None,
            };
        };
        let check_tasks: Vec<(Severity, DagTask)> = checks
            .iter()
            .filter_map(|check| {
                let dag_task = self.check_task(flow, task, writer, check, vars)?;
                Some((check.rule.severity, dag_task))
            })
            .collect();
        let gate = checks
            .iter()
            .any(|c| c.rule.severity == Severity::Strong)
            .then(|| gate_task(task, writer, vars));
        QualityTasks {
            checks: check_tasks,
            gate,
        }
    }

    fn check_task(
        &mut self,
        flow: &Flow,
        task: &Task,
        writer: &DagTask,
        check: &Check,
        vars: &mut BTreeSet<String>,
    ) -> Option<DagTask> {
        let env = self.environment;
        let rule = &check.rule;
        let task_id = check_task_id(&writer.task_id, &rule.name.value);
        let subs = self.substitutions(flow, task);
        let level = self.project.priority_level(task.priority);
        // The same path as a sparksql task's file: tables mapped for the environment,
        // then `${name}` → Jinja.
        let Ok(mapped) = crate::sql::rewrite::map_tables(&check.sql, &check.names, env) else {
            // The generated SQL names tables plainly; only a templated table name in
            // the rule's own SQL expressions cannot be mapped.
            self.diagnostics.push(
                Diagnostic::error(
                    Code::UnmappableTableName,
                    format!(
                        "quality rule `{}` names a table through a template placeholder, which environment `{}` cannot map",
                        rule.name.value, env.name
                    ),
                )
                .at(rule.check.span)
                .with_help("write the table name in the rule's SQL without placeholders"),
            );
            return None;
        };
        let text = if self.render_sql {
            jinja::sql(FileId::default(), &mapped, &subs)
        } else {
            String::new()
        };
        let conf = match &task.kind {
            TaskKind::SparkSql(spark) => spark.conf.clone(),
            TaskKind::Ml(ml) => ml.conf.clone(),
            _ => BTreeMap::new(),
        };
        let kind = match &task.kind {
            TaskKind::SparkSql(spark) => spark.operator,
            _ => SparkSqlOperator::SparkSql,
        };
        let job_name = format!("{}.{task_id}", dag_id(env, flow.id.as_str()));
        // Without a SQL runner the writing task is already reported (R603).
        let operator = self.spark_sql_operator(
            kind,
            SparkSql {
                flow,
                task_id: &task_id,
                text,
                conf: &conf,
                level: &level,
                subs: &subs,
                job_name,
            },
        )?;
        let expectation = crate::quality::expectation(rule);
        let table = env.table(&check.table).to_string();
        let mut reads = vec![table.clone()];
        if let Some((other, _)) = &check.other {
            reads.push(env.table(other).to_string());
        }
        reads.sort();
        reads.dedup();
        let results = env
            .table(&self.repository.project.quality.results_table.value)
            .to_string();
        let partition = check.partition.as_ref().map(ToString::to_string);
        let check_dimension = rule.check.value.dimension().as_str();
        let check_kind = rule.check.value.kind();
        let mut doc_md = format!(
            "**{}.{task_id}** (data quality check, {})",
            flow.id,
            rule.severity.as_str()
        );
        if let Some(description) = &rule.description {
            doc_md.push_str("\n\n");
            doc_md.push_str(description);
        }
        let _ = write!(
            doc_md,
            "\n\n- Rule: `{}` ({check_dimension}.{check_kind})\n- Checks: `{table}`, partition `{}`\n- Passes when: {} {} {}\n- {}\n- Results: `{results}`",
            rule.name.value,
            partition.as_deref().unwrap_or("all"),
            expectation.unit,
            expectation.comparison,
            expectation.threshold,
            match rule.severity {
                Severity::Strong =>
                    "Strong: when it does not pass, this task fails and nothing downstream of the table runs",
                Severity::Weak => "Weak: the result is recorded and logged (`flowc-dq WARN`); downstream runs",
            },
        );
        Some(DagTask {
            // A check that fails on the data fails the same way on a retry: the
            // writer's retries are not inherited.
            retries: rule.retries.unwrap_or(self.project.quality.retries),
            execution_timeout_seconds: writer.execution_timeout_seconds,
            params: writer.params.clone(),
            reads,
            quality: Some(QualityTask {
                rule: rule.name.value.clone(),
                task: task.id.to_string(),
                dimension: check_dimension,
                kind: check_kind,
                severity: rule.severity.as_str(),
                table,
                partition,
                results_table: results,
                comparison: expectation.comparison,
                threshold: expectation.threshold,
                description: rule.description.clone(),
                settings: crate::quality::settings(rule, |table| env.table(table).to_string()),
            }),
            ..after_writer(writer, flow.id.as_str(), task_id, "quality", operator, doc_md, vars)
        })
    }
}

/// The `EmptyOperator` after the strong checks of `task`.
fn gate_task(task: &Task, writer: &DagTask, vars: &mut BTreeSet<String>) -> DagTask {
    let doc_md = format!(
        "**{}** passed its strong data quality checks: what reads its tables waits for this task.",
        task.id
    );
    let task_id = gate_task_id(&writer.task_id);
    after_writer(
        writer,
        task.id.flow().as_str(),
        task_id,
        "quality_gate",
        Operator::EmptyOperator,
        doc_md,
        vars,
    )
}

/// A task flowc adds to flow `flow` next to `writer` (its checks and gate after it,
/// the partition it registers before it), in its pool, queue and priority, with its
/// alerts, without retries, timeout, params, tables or outlets of its own.
pub(super) fn after_writer(
    writer: &DagTask,
    flow: &str,
    task_id: String,
    task_type: &'static str,
    operator: Operator,
    doc_md: String,
    vars: &mut BTreeSet<String>,
) -> DagTask {
    DagTask {
        name: format!("{flow}.{task_id}"),
        var: unique_var(&task_id, vars),
        task_id,
        task_type,
        operator,
        pool: writer.pool.clone(),
        pool_slots: 1,
        priority_weight: writer.priority_weight,
        weight_rule: writer.weight_rule.clone(),
        queue: writer.queue.clone(),
        priority: writer.priority,
        retries: 0,
        retry_delay_seconds: writer.retry_delay_seconds,
        execution_timeout_seconds: None,
        depends_on_past: false,
        alerts: writer.alerts.clone(),
        params: BTreeMap::<String, DagParam>::new(),
        outlets: Vec::new(),
        doc_md,
        upstream: Vec::new(),
        reads: Vec::new(),
        writes: Vec::new(),
        source_file: None,
        quality: None,
        partition: None,
    }
}
