//! Running a SQL text through Spark: the operator of a sparksql task and of a data
//! quality check, either `SparkSqlOperator` on a template file or
//! `SparkSubmitOperator` with the project's SQL runner.

use std::collections::BTreeMap;

use super::jinja::{self, Substitutions};
use super::{Builder, Operator};
use crate::model::{Flow, PriorityLevel, SparkSqlOperator};

/// A SQL text to run through Spark, and what its operator is built from.
pub(super) struct SparkSql<'a> {
    /// The flow it runs in.
    pub(super) flow: &'a Flow,
    /// The Airflow task id; the SQL template is `sql/<flow>/<task id>.sql`.
    pub(super) task_id: &'a str,
    /// The SQL as an Airflow template (tables mapped, `${name}` substituted).
    pub(super) text: String,
    /// The Spark conf of the task (of the checked task, for a quality check).
    pub(super) conf: &'a BTreeMap<String, String>,
    /// Its priority level: the YARN queue.
    pub(super) level: &'a PriorityLevel,
    /// What `${name}` becomes in the conf's values.
    pub(super) subs: &'a Substitutions,
    /// Spark job name, stable across runs.
    pub(super) job_name: String,
}

impl Builder<'_> {
    /// The operator that runs a SQL text the way `kind` runs a sparksql task's file:
    /// `SparkSqlOperator` on a template file next to the DAG, or `SparkSubmitOperator`
    /// with the project's SQL runner (`None` when there is none).
    pub(super) fn spark_sql_operator(&mut self, kind: SparkSqlOperator, sql: SparkSql<'_>) -> Option<Operator> {
        let airflow = &self.project.airflow;
        Some(match kind {
            SparkSqlOperator::SparkSql => {
                let path = format!("sql/{}/{}.sql", sql.flow.id, sql.task_id);
                self.sql_files.insert(path.clone(), sql.text);
                Operator::SparkSqlOperator {
                    sql: path,
                    conf: sql.conf.clone(),
                    yarn_queue: sql.level.yarn_queue.clone(),
                    conn_id: airflow.spark_sql_conn_id.clone(),
                    name: sql.job_name,
                }
            }
            SparkSqlOperator::SparkSubmit => Operator::SparkSubmitOperator {
                application: jinja::escape(airflow.sql_runner.as_ref()?),
                java_class: None,
                application_args: vec!["--sql".to_owned(), sql.text],
                conf: submit_conf(sql.conf, sql.subs, sql.level),
                conn_id: airflow.spark_conn_id.clone(),
                name: jinja::escape(&sql.job_name),
            },
        })
    }
}

/// The templated `conf` of a `SparkSubmitOperator`: the task's Spark conf with
/// `${name}` substituted, plus the priority level's YARN queue.
pub(super) fn submit_conf(
    conf: &BTreeMap<String, String>,
    subs: &Substitutions,
    level: &PriorityLevel,
) -> BTreeMap<String, String> {
    let mut conf: BTreeMap<String, String> = conf
        .iter()
        .map(|(key, value)| (key.clone(), jinja::value(value, subs)))
        .collect();
    conf.insert("spark.yarn.queue".to_owned(), level.yarn_queue.clone());
    conf
}
