//! The Airflow task of one task of a flow: its operator by kind (sparksql, ml, kylin
//! and trigger here; sync in [`super::datax_task`]), pool, retries, params, tables
//! and page.

use std::collections::{BTreeMap, BTreeSet};

use super::bizdate::Bizdate;
use super::doc::task_doc;
use super::ids::{dag_id, sanitize_id, unique_var};
use super::jinja::{self, Substitutions};
use super::spark::{SparkSql, submit_conf};
use super::{Builder, DagParam, DagTask, Operator};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Flow, KylinTask, MlTask, PriorityLevel, SparkSqlTask, Task, TaskKind, TriggerTask, WaitFor};

/// What the operator of one task is built with.
struct TaskContext<'t> {
    flow: &'t Flow,
    task: &'t Task,
    /// The Airflow task id.
    task_id: &'t str,
    /// Spark job name, stable across runs: `<dag id>.<task id>`.
    job_name: &'t str,
    /// The task's priority level: pool, weight, queues.
    level: &'t PriorityLevel,
    /// What `${name}` becomes in the task's templated fields.
    subs: &'t Substitutions,
}

impl Builder<'_> {
    /// The Airflow task of `task`; `dag_params` are its DAG's, which the task's own
    /// params are kept only where they differ from. A task whose operator cannot be
    /// built (its error is reported) gets a placeholder.
    pub(super) fn task(
        &mut self,
        flow: &Flow,
        task: &Task,
        dag_params: &BTreeMap<String, DagParam>,
        vars: &mut BTreeSet<String>,
    ) -> DagTask {
        let level = self.project.priority_level(task.priority);
        let subs = self.substitutions(flow, task);
        let task_id = sanitize_id(task.id.task());
        let job_name = format!("{}.{}", dag_id(self.environment, flow.id.as_str()), task_id);
        let (mut reads, writes) = self.tables(task);
        let mut source_file = None;
        let cx = TaskContext {
            flow,
            task,
            task_id: &task_id,
            job_name: &job_name,
            level: &level,
            subs: &subs,
        };
        let operator = match &task.kind {
            TaskKind::SparkSql(spark) => {
                source_file = Some(spark.sql.value.clone());
                self.sparksql_operator(&cx, spark)
            }
            TaskKind::Sync(_) => self.datax_operator(flow, task, &task_id),
            TaskKind::Ml(ml) => {
                let (operator, application_file) = self.ml_operator(&cx, ml);
                source_file = application_file;
                Some(operator)
            }
            TaskKind::Kylin(kylin) => Some(self.kylin_operator(flow, kylin, &subs)),
            TaskKind::Trigger(trigger) => Some(self.trigger_operator(trigger, &subs, &mut reads)),
        };
        let Some(operator) = operator else {
            return placeholder_task(task, task_id, vars);
        };
        let params = own_params(task, dag_params);
        let var = unique_var(&task_id, vars);
        DagTask {
            name: task.id.to_string(),
            doc_md: task_doc(task, &reads, &writes, source_file.as_deref()),
            task_id,
            var,
            task_type: task.kind.type_name(),
            operator,
            pool: level.pool.clone(),
            pool_slots: 1,
            priority_weight: level.weight,
            weight_rule: level.weight_rule.clone(),
            queue: level.queue.clone(),
            priority: task.priority.as_str(),
            retries: task.retries.unwrap_or(0),
            retry_delay_seconds: task.retry_delay.map_or(300, |d| d.0),
            execution_timeout_seconds: task.timeout.map(|d| d.0),
            depends_on_past: task.depends_on_past,
            alerts: self.alerts(&task.alerts),
            params,
            outlets: self.outlets.get(&task.id).cloned().unwrap_or_default(),
            upstream: Vec::new(),
            reads,
            writes,
            source_file,
            quality: None,
            partition: None,
        }
    }

    /// The tables `task` reads and writes, as this environment names them, sorted.
    fn tables(&self, task: &Task) -> (Vec<String>, Vec<String>) {
        let io = self.input.task_io.get(&task.id);
        let env = self.environment;
        let mut reads: Vec<String> = io.map_or_else(Vec::new, |io| {
            io.reads
                .iter()
                .map(|t| env.table(&t.name).to_string())
                .chain(io.external_reads.iter().map(ToString::to_string))
                .collect()
        });
        let mut writes: Vec<String> = io.map_or_else(Vec::new, |io| {
            io.writes
                .iter()
                .map(|t| env.table(&t.name).to_string())
                .chain(io.external_writes.iter().map(ToString::to_string))
                .collect()
        });
        reads.sort();
        reads.dedup();
        writes.sort();
        writes.dedup();
        (reads, writes)
    }

    /// The operator of a sparksql task: its SQL file with the tables mapped for this
    /// environment, run the way its `operator` says. `None` when that needs a SQL
    /// runner and there is none (reported here).
    fn sparksql_operator(&mut self, cx: &TaskContext<'_>, spark: &SparkSqlTask) -> Option<Operator> {
        let task = cx.task;
        let text = self
            .input
            .sql_files
            .get(&task.id)
            .and_then(|&file| {
                let text = self.input.sources.file(file).text();
                let none = crate::sql::TableNames::default();
                let names = self.input.sql_names.get(&task.id).unwrap_or(&none);
                match crate::sql::rewrite::map_tables(text, names, self.environment) {
                    Ok(mapped) => self.render_sql.then(|| jinja::sql(file, &mapped, cx.subs)),
                    Err(problems) => {
                        self.diagnostics.extend(problems);
                        None
                    }
                }
            })
            .unwrap_or_default();
        let sql = SparkSql {
            flow: cx.flow,
            task_id: cx.task_id,
            text,
            conf: &spark.conf,
            level: cx.level,
            subs: cx.subs,
            job_name: cx.job_name.to_owned(),
        };
        let operator = self.spark_sql_operator(spark.operator, sql);
        if operator.is_none() {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::MissingSqlRunner,
                    format!("task `{}` uses `operator: spark_submit` but no SQL runner is set", task.id),
                )
                .at(spark.sql.span)
                .with_help("set `airflow.sql_runner` in flowc.yaml to the PySpark file or JAR that runs `--sql <text>`, or drop `operator: spark_submit`"),
            );
        }
        operator
    }

    /// The `SparkSubmitOperator` of an ml task, and the repository file it runs when
    /// its application is in the repository (copied next to the DAGs, under `apps/`).
    fn ml_operator(&mut self, cx: &TaskContext<'_>, ml: &MlTask) -> (Operator, Option<String>) {
        let mut source_file = None;
        let application = if let Some(path) = &ml.application_file {
            source_file = Some(path.clone());
            self.app_files.insert(format!("apps/{path}"), path.clone());
            format!("{{{{ dag.folder }}}}/../apps/{}", jinja::escape(path))
        } else {
            jinja::escape(&ml.application.value)
        };
        let operator = Operator::SparkSubmitOperator {
            application,
            java_class: ml.main_class.clone(),
            application_args: ml.args.iter().map(|a| jinja::value(a, cx.subs)).collect(),
            conf: submit_conf(&ml.conf, cx.subs, cx.level),
            conn_id: self.project.airflow.spark_conn_id.clone(),
            name: jinja::escape(cx.job_name),
        };
        (operator, source_file)
    }

    /// The `KylinCubeOperator` of a kylin task: it builds the segment of the business
    /// date, as epoch milliseconds.
    fn kylin_operator(&self, flow: &Flow, kylin: &KylinTask, subs: &Substitutions) -> Operator {
        let (bizdate, _) = Bizdate::of(flow).expressions(flow.timezone);
        let days = format!("((macros.datetime.strptime({bizdate}, '%Y-%m-%d') - macros.datetime(1970, 1, 1)).days");
        Operator::KylinCubeOperator {
            conn_id: self.project.airflow.kylin_conn_id.clone(),
            project: jinja::value(&kylin.project, subs),
            cube: jinja::value(&kylin.cube, subs),
            command: jinja::escape(&kylin.build_type),
            start_time: format!("{{{{ {days}) * 86400000 }}}}"),
            end_time: format!("{{{{ {days} + 1) * 86400000 }}}}"),
        }
    }

    /// The sensor of a trigger task; a partition it waits for is added to `reads`.
    fn trigger_operator(&self, trigger: &TriggerTask, subs: &Substitutions, reads: &mut Vec<String>) -> Operator {
        let airflow = &self.project.airflow;
        let poke_interval = trigger.poke_interval.unwrap_or(airflow.poke_interval).0;
        let timeout = trigger.timeout.unwrap_or(airflow.sensor_timeout).0;
        match &trigger.wait_for {
            WaitFor::Http { connection, endpoint } => Operator::HttpSensor {
                conn_id: self.environment.airflow_connection(connection).to_owned(),
                endpoint: jinja::value(endpoint, subs),
                poke_interval,
                timeout,
            },
            WaitFor::Sftp { connection, path } => Operator::SftpSensor {
                conn_id: self.environment.airflow_connection(connection).to_owned(),
                path: jinja::value(path, subs),
                poke_interval,
                timeout,
            },
            WaitFor::File { path } => Operator::FileSensor {
                conn_id: airflow.fs_conn_id.clone(),
                filepath: jinja::value(path, subs),
                poke_interval,
                timeout,
            },
            WaitFor::Partition { table, partition } => {
                let table = self.environment.table(table);
                reads.push(table.to_string());
                let spec: Vec<String> = partition
                    .split([',', '/'])
                    .map(|part| part.trim().replace(['\'', '"'], ""))
                    .filter(|part| !part.is_empty())
                    .collect();
                Operator::NamedHivePartitionSensor {
                    conn_id: airflow.metastore_conn_id.clone(),
                    partition_names: vec![jinja::value(&format!("{table}/{}", spec.join("/")), subs)],
                    poke_interval,
                    timeout,
                }
            }
        }
    }
}

/// The params of `task` that differ from its DAG's.
fn own_params(task: &Task, dag_params: &BTreeMap<String, DagParam>) -> BTreeMap<String, DagParam> {
    task.params
        .iter()
        .filter(|(name, value)| {
            dag_params
                .get(*name)
                .is_none_or(|p| p.default.as_ref() != Some(&value.to_json()))
        })
        .map(|(name, value)| (name.clone(), DagParam::of_value(&value.to_json())))
        .collect()
}

/// A stand-in for a task whose operator could not be built; its error is already
/// reported, so it is never rendered.
fn placeholder_task(task: &Task, task_id: String, vars: &mut BTreeSet<String>) -> DagTask {
    DagTask {
        name: task.id.to_string(),
        var: unique_var(&task_id, vars),
        task_id,
        task_type: task.kind.type_name(),
        operator: Operator::BashOperator {
            bash_command: String::new(),
            env: BTreeMap::new(),
            datax_channels: 0,
            datax_bytes_per_second: 0,
            datax_job: String::new(),
            column_lineage: Vec::new(),
            credential_variables: Vec::new(),
        },
        pool: String::new(),
        pool_slots: 1,
        priority_weight: 1,
        weight_rule: String::new(),
        queue: None,
        priority: task.priority.as_str(),
        retries: 0,
        retry_delay_seconds: 0,
        execution_timeout_seconds: None,
        depends_on_past: false,
        alerts: Vec::new(),
        params: BTreeMap::new(),
        outlets: Vec::new(),
        doc_md: String::new(),
        upstream: Vec::new(),
        reads: Vec::new(),
        writes: Vec::new(),
        source_file: None,
        quality: None,
        partition: None,
    }
}
