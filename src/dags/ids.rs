//! Airflow ids and Python variable names: what DAGs, tasks and their variables are
//! called, and the id shapes flowc reserves for the tasks it adds.
//!
//! Ids keep only what Airflow allows, so two names can end up with one id; the
//! builders report such collisions. Variables are checked Python identifiers, never
//! user text as is (see [`super::python`]).

use std::collections::BTreeSet;

use super::python;
use crate::model::{Environment, TaskId};

/// Names a task variable may not take: what the DAG file itself defines or imports.
const RESERVED_NAMES: &[&str] = &[
    "dag",
    "DAG",
    "Param",
    "Asset",
    "Dataset",
    "CronDataIntervalTimetable",
    "datetime",
    "timedelta",
    "timezone",
    "flowc_bizdate_run",
    "flowc_zoned_run",
    "pendulum",
    "SparkSqlOperator",
    "SparkSubmitOperator",
    "BashOperator",
    "KylinCubeOperator",
    "HttpSensor",
    "FileSensor",
    "SFTPSensor",
    "NamedHivePartitionSensor",
    "ExternalTaskSensor",
    "EmptyOperator",
];

/// The variable names a DAG file starts with: all of [`RESERVED_NAMES`], taken.
pub(super) fn reserved_vars() -> BTreeSet<String> {
    RESERVED_NAMES.iter().map(|s| (*s).to_owned()).collect()
}

/// Characters Airflow allows in DAG and task ids.
pub(super) fn sanitize_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The Airflow DAG id of a flow in an environment.
pub fn dag_id(environment: &Environment, flow: &str) -> String {
    sanitize_id(&format!("{}{flow}", environment.dag_prefix))
}

/// The task id of the sensor that waits for `upstream`.
pub(super) fn sensor_task_id(upstream: &TaskId) -> String {
    sanitize_id(&format!("wait__{}__{}", upstream.flow(), upstream.task()))
}

/// The Airflow DAG id of the flow of `task`.
pub(super) fn dag_id_of(environment: &Environment, task: &TaskId) -> String {
    dag_id(environment, task.flow().as_str())
}

/// The Airflow task id of the check of `rule` on the task whose id is `task_id`.
pub(super) fn check_task_id(task_id: &str, rule: &str) -> String {
    sanitize_id(&format!("{task_id}__dq_{rule}"))
}

/// The Airflow task id of the gate after a task's strong checks.
pub(super) fn gate_task_id(task_id: &str) -> String {
    sanitize_id(&format!("{task_id}__dq"))
}

/// The Airflow task id of the task that registers the Hive partition a sync task,
/// whose id is `task_id`, writes.
pub(super) fn partition_task_id(task_id: &str) -> String {
    sanitize_id(&format!("{task_id}__partition"))
}

/// A Python variable for `name`, unique in the file.
pub(super) fn unique_var(name: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    let base = if python::is_identifier(&base) && !taken.contains(&base) {
        base
    } else {
        format!("task_{base}")
    };
    let mut var = base.clone();
    let mut n = 2;
    while taken.contains(&var) || !python::is_identifier(&var) {
        var = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(var.clone());
    var
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_letters_digits_underscores_dashes_and_dots() {
        assert_eq!(sanitize_id("load_orders-v2.daily"), "load_orders-v2.daily");
        assert_eq!(sanitize_id("a b/c:d"), "a_b_c_d");
        // One `_` per character, not per byte.
        assert_eq!(sanitize_id("订单"), "__");
    }

    #[test]
    fn flowc_ids_are_sanitized_too() {
        assert_eq!(check_task_id("load", "no nulls"), "load__dq_no_nulls");
        assert_eq!(gate_task_id("load"), "load__dq");
        assert_eq!(partition_task_id("sync orders"), "sync_orders__partition");
    }

    #[test]
    fn variables_are_identifiers_unique_in_the_file() {
        let mut taken = reserved_vars();
        assert_eq!(unique_var("load", &mut taken), "load");
        assert_eq!(unique_var("load-orders", &mut taken), "load_orders");
        // Taken, reserved, keywords and what cannot start an identifier get a prefix…
        assert_eq!(unique_var("load", &mut taken), "task_load");
        assert_eq!(unique_var("dag", &mut taken), "task_dag");
        assert_eq!(unique_var("class", &mut taken), "task_class");
        assert_eq!(unique_var("1st", &mut taken), "task_1st");
        assert_eq!(unique_var("", &mut taken), "task_");
        // …and a number when the prefixed name is taken as well.
        assert_eq!(unique_var("load", &mut taken), "task_load_2");
        assert_eq!(unique_var("load", &mut taken), "task_load_3");
        assert!(taken.contains("task_load_3"));
    }
}
