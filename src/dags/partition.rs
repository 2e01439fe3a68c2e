//! The Hive partition a sync task writes, registered before it runs.
//!
//! DataX's hdfswriter writes files into the partition's directory, but refuses to run
//! when that directory does not exist, and never tells the metastore about the
//! partition: without a step before it, the sync fails, or Spark reads no rows of a
//! partition only HDFS knows. So every sync into a partitioned table gets a task
//! `<sync>__partition` right before it that runs
//! ``ALTER TABLE `<db>`.`<table>` ADD IF NOT EXISTS PARTITION (…) LOCATION '<dir>'``:
//!
//! - through the same Spark path as the quality checks (`SparkSqlOperator` on a SQL
//!   template, the project's Spark SQL connection): the warehouse is already reached
//!   that way, so no Hive provider, connection or CLI is needed on the workers;
//! - with the table as the environment names it and the directory hdfswriter writes
//!   (both from the sync's DataX job as resolved for the environment), so the
//!   partition registered is the directory written, whatever the table's location;
//! - idempotent (`IF NOT EXISTS`): a re-run or a retry changes nothing, and
//!   `overwrite` (hdfswriter's `truncate`, which deletes the files of its prefix in
//!   that directory) and `append` keep their meaning.
//!
//! The partition task takes over what the sync waited for (sensors, `depends_on`),
//! so the partition appears only when the sync is about to write it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::ids::{dag_id, partition_task_id};
use super::jinja::{self, Substitutions};
use super::quality::after_writer;
use super::spark::SparkSql;
use super::{Builder, DagTask, Links, PartitionTask};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{Flow, SparkSqlOperator, Task, TaskKind};
use crate::sync::HivePartition;

impl Builder<'_> {
    /// The partition task of each of the flow's tasks (`own`, in order): `Some` for a
    /// sync into a partitioned table. Their ids are claimed in `task_ids`.
    pub(super) fn partition_tasks(
        &mut self,
        flow: &Flow,
        own: &[DagTask],
        vars: &mut BTreeSet<String>,
        task_ids: &mut BTreeMap<String, Span>,
    ) -> Vec<Option<DagTask>> {
        flow.tasks
            .iter()
            .zip(own)
            .map(|(task, sync)| {
                let partition = self.partition_task(flow, task, sync, vars)?;
                if let Some(other) = task_ids.get(&partition.task_id) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::IdCollision,
                            format!(
                                "task `{}` is the id flowc gives the Hive partition step of `{}`",
                                partition.task_id, task.id
                            ),
                        )
                        .at(*other)
                        .with_secondary(task.name_span, "the sync task")
                        .with_help(
                            "rename this task; `<task>__partition` registers the partition a sync `<task>` writes",
                        ),
                    );
                    return None;
                }
                task_ids.insert(partition.task_id.clone(), task.name_span);
                Some(partition)
            })
            .collect()
    }

    /// The task registering the partition `sync_task` (the Airflow task of `task`)
    /// writes, when it is a sync into a partitioned table.
    fn partition_task(
        &mut self,
        flow: &Flow,
        task: &Task,
        sync_task: &DagTask,
        vars: &mut BTreeSet<String>,
    ) -> Option<DagTask> {
        if !matches!(task.kind, TaskKind::Sync(_)) {
            return None;
        }
        let partition = self.datax_jobs.get(&task.id)?.partition.clone()?;
        let task_id = partition_task_id(&sync_task.task_id);
        let subs = self.substitutions(flow, task);
        let text = if self.render_sql {
            statement(&partition, &business_dates(&subs))
        } else {
            String::new()
        };
        let level = self.project.priority_level(task.priority);
        let operator = self.spark_sql_operator(
            SparkSqlOperator::SparkSql,
            SparkSql {
                flow,
                task_id: &task_id,
                text,
                conf: &BTreeMap::new(),
                level: &level,
                subs: &subs,
                job_name: format!("{}.{task_id}", dag_id(self.environment, flow.id.as_str())),
            },
        )?;
        let entry = PartitionTask {
            task: task.id.to_string(),
            table: partition.table.to_string(),
            partition: spec_text(&partition),
            location: partition.location.clone(),
        };
        let doc_md = doc(&entry, &task_id, flow.id.as_str());
        Some(DagTask {
            // Registering is idempotent: a metastore hiccup is retried like the sync.
            retries: sync_task.retries,
            execution_timeout_seconds: sync_task.execution_timeout_seconds,
            partition: Some(entry),
            ..after_writer(
                sync_task,
                flow.id.as_str(),
                task_id,
                "partition",
                operator,
                doc_md,
                vars,
            )
        })
    }
}

/// Makes each partition task (`partitions`, one per task of `own`) take over what its
/// sync task waited for, and run right before it.
pub(super) fn link_partitions(own: &[DagTask], partitions: &[Option<DagTask>], links: &mut Links) {
    for (sync, partition) in own.iter().zip(partitions) {
        let Some(partition) = partition else {
            continue;
        };
        for downstream in links.values_mut() {
            if downstream.remove(&sync.var) {
                downstream.insert(partition.var.clone());
            }
        }
        links.entry(partition.var.clone()).or_default().insert(sync.var.clone());
    }
}

/// `col=value[/col=value]`.
fn spec_text(partition: &HivePartition) -> String {
    let pairs: Vec<String> = partition.spec.iter().map(|(c, v)| format!("{c}={v}")).collect();
    pairs.join("/")
}

/// Only the business-date expressions of a task's substitutions: the DataX job has
/// every other `${name}` filled in already, and what DataX fills in at run time is
/// what the partition must be given.
fn business_dates(subs: &Substitutions) -> Substitutions {
    Substitutions {
        expressions: subs
            .expressions
            .iter()
            .filter(|(name, _)| crate::sync::RUNTIME_VARIABLES.contains(&name.as_str()))
            .map(|(name, expression)| (name.clone(), expression.clone()))
            .collect(),
        literals: BTreeMap::new(),
    }
}

/// The `ALTER TABLE … ADD IF NOT EXISTS PARTITION` statement as an Airflow template:
/// values and location are SQL string literals whose `${bizdate}` and
/// `${bizdate_nodash}` become the business-date expressions of `subs`; everything else
/// renders as written.
fn statement(partition: &HivePartition, subs: &Substitutions) -> String {
    let literal = |text: &str| {
        let escaped = text.replace('\\', "\\\\").replace('\'', "\\'");
        format!("'{}'", jinja::value(&escaped, subs))
    };
    let spec: Vec<String> = partition
        .spec
        .iter()
        .map(|(column, value)| format!("{} = {}", quoted(column), literal(value)))
        .collect();
    let table: Vec<String> = partition.table.as_str().split('.').map(quoted).collect();
    format!(
        "ALTER TABLE {} ADD IF NOT EXISTS PARTITION ({})\nLOCATION {}\n",
        table.join("."),
        spec.join(", "),
        literal(&partition.location)
    )
}

/// An identifier in backticks: generated SQL must not depend on which words the
/// cluster's Spark reserves (`order`, and more with ANSI mode on).
fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The partition task's page.
fn doc(entry: &PartitionTask, task_id: &str, flow: &str) -> String {
    let sync = entry.task.rsplit('.').next().unwrap_or(&entry.task);
    let mut doc = format!(
        "**{flow}.{task_id}** (Hive partition, added by flowc)\n\nRegisters the partition `{sync}` writes before it runs: DataX's hdfswriter needs the directory to exist and never adds the partition to the metastore.\n"
    );
    let _ = write!(
        doc,
        "\n- Table: `{}`\n- Partition: `{}`\n- Location: `{}`\n- `IF NOT EXISTS`: a re-run or retry changes nothing",
        entry.table, entry.partition, entry.location
    );
    doc
}

#[cfg(test)]
mod tests {
    use super::super::bizdate::Bizdate;
    use super::*;
    use crate::model::TableName;

    fn subs() -> Substitutions {
        let (bizdate, nodash) = Bizdate::Scheduled.expressions(crate::model::TimeZone::UTC);
        business_dates(&Substitutions {
            expressions: BTreeMap::from([
                ("bizdate".to_owned(), bizdate),
                ("bizdate_nodash".to_owned(), nodash),
                ("days".to_owned(), "params.days".to_owned()),
            ]),
            literals: BTreeMap::from([("env".to_owned(), "dev".to_owned())]),
        })
    }

    fn partition(spec: &[(&str, &str)], location: &str) -> HivePartition {
        HivePartition {
            table: TableName::new("dev_ods.orders"),
            spec: spec.iter().map(|(c, v)| ((*c).to_owned(), (*v).to_owned())).collect(),
            location: location.to_owned(),
        }
    }

    #[test]
    fn statements_fill_in_the_business_date_and_name_the_directory() {
        let p = partition(
            &[("dt", "${bizdate}"), ("src", "bank")],
            "hdfs://ns/w/dev_ods.db/orders/dt=${bizdate}/src=bank",
        );
        assert_eq!(
            statement(&p, &subs()),
            "ALTER TABLE `dev_ods`.`orders` ADD IF NOT EXISTS PARTITION (`dt` = '{{ ds }}', `src` = 'bank')\nLOCATION 'hdfs://ns/w/dev_ods.db/orders/dt={{ ds }}/src=bank'\n"
        );
        assert_eq!(spec_text(&p), "dt=${bizdate}/src=bank");
    }

    /// A sync into a partitioned table with its own `location`, a trigger of its flow
    /// and one of another flow waiting for that partition, compiled for `dev`.
    fn compiled_dev() -> crate::dags::EnvironmentDags {
        use crate::compiler::{CompileRequest, Compiled, compile};
        use crate::load::MemoryTree;
        let project = "project: t\nenvironments: {dev: {databases: {ods: dev_ods}}, prod: {}}\nteams: {data: {}}\nconnections:\n  warehouse: {type: hive, default_fs: \"hdfs://ns\"}\n  db: {type: mysql, host: h, database: pay, airflow_conn_id: db_ro}\n";
        let ingest = "name: ingest\nowner: data\nschedule: \"0 1 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: pull\n    type: sync\n    source: {connection: db, table: pay.t_order, columns: [id]}\n    target: {table: ods.orders, partition: \"dt=${bizdate}/src=${source}\"}\n    params: {source: bank}\n  - name: landed\n    type: trigger\n    wait_for: {kind: partition, table: ods.orders, partition: \"dt=${bizdate}/src=bank\"}\ntables:\n  - {name: ods.orders, location: \"/lake/${env}/orders\", partitioned_by: [dt, src], columns: [{name: id, type: bigint}]}\n";
        let report = "name: report\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: landed\n    type: trigger\n    wait_for: {kind: partition, table: ods.orders, partition: \"dt=${bizdate}/src=bank\"}\n";
        let tree = MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/ingest/flow.yaml", ingest)
            .with("flows/report/flow.yaml", report);
        let request = CompileRequest {
            environments: vec!["dev".to_owned()],
            airflow_version: None,
        };
        match compile(&tree, &request).unwrap() {
            Compiled::Done { mut environments, .. } => environments.remove(0).dags,
            other => panic!("{other:?}"),
        }
    }

    fn task<'d>(dags: &'d crate::dags::EnvironmentDags, flow: &str, id: &str) -> &'d DagTask {
        let dag = dags.dags.iter().find(|d| d.flow == flow).unwrap();
        dag.tasks.iter().find(|t| t.task_id == id).unwrap()
    }

    #[test]
    fn the_partition_step_runs_before_the_sync_and_triggers_on_its_table_after_it() {
        let dags = compiled_dev();
        let step = task(&dags, "ingest", "pull__partition");
        let entry = step.partition.as_ref().unwrap();
        assert_eq!(
            (entry.task.as_str(), entry.table.as_str(), entry.partition.as_str()),
            ("ingest.pull", "dev_ods.orders", "dt=${bizdate}/src=bank")
        );
        // The table's own location, as the environment names it, like the DataX job.
        assert_eq!(entry.location, "hdfs://ns/lake/dev/orders/dt=${bizdate}/src=bank");
        assert_eq!(
            dags.sql_files["sql/ingest/pull__partition.sql"],
            "ALTER TABLE `dev_ods`.`orders` ADD IF NOT EXISTS PARTITION (`dt` = '{{ ds }}', `src` = 'bank')\nLOCATION 'hdfs://ns/lake/dev/orders/dt={{ ds }}/src=bank'\n"
        );
        assert!(step.upstream.is_empty(), "{:?}", step.upstream);
        assert_eq!(task(&dags, "ingest", "pull").upstream, ["pull__partition"]);
        // A partition sensor waits for the sync, not only for the partition to exist.
        assert_eq!(task(&dags, "ingest", "landed").upstream, ["pull"]);
        assert_eq!(task(&dags, "report", "landed").upstream, ["wait__ingest__pull"]);
    }

    #[test]
    fn only_the_business_dates_are_substituted() {
        let subs = subs();
        assert_eq!(
            subs.expressions.keys().collect::<Vec<_>>(),
            ["bizdate", "bizdate_nodash"]
        );
        assert!(subs.literals.is_empty());
    }

    #[test]
    fn locations_are_sql_literals_that_jinja_renders_as_written() {
        let p = partition(&[("dt", "${bizdate_nodash}")], "/w/it's\\{{x}}/dt=${bizdate_nodash}");
        assert_eq!(
            statement(&p, &subs()),
            "ALTER TABLE `dev_ods`.`orders` ADD IF NOT EXISTS PARTITION (`dt` = '{{ ds_nodash }}')\nLOCATION '/w/it\\'s\\\\{{ '{' }}{x}}/dt={{ ds_nodash }}'\n"
        );
    }
}
