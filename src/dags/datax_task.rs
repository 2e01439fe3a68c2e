//! The operator of a sync task: its DataX job as resolved for the environment (its
//! databases, connections), run by a `BashOperator` through the launcher
//! `flowc_datax.py` with the credentials the job reads from Airflow connections.

use super::bizdate::Bizdate;
use super::jinja::{self, Substitutions};
use super::{Builder, Operator};
use crate::model::{Flow, Task};
use crate::sync::CredentialSource;

impl Builder<'_> {
    /// The `BashOperator` that runs the DataX job of `task`, whose Airflow task id is
    /// `task_id`, in this environment; its job is kept for the job file. `None` when
    /// the job did not resolve for the environment: the compiler reported why.
    pub(super) fn datax_operator(&mut self, flow: &Flow, task: &Task, task_id: &str) -> Option<Operator> {
        let resolved = self.input.datax_jobs.get(&task.id)?.clone();
        let airflow = &self.project.airflow;
        let sync = self.datax_jobs.entry(task.id.clone()).or_insert(resolved);
        let datax_job = format!("datax/{}/{}.json", flow.id, task_id);
        let command = datax_bash_command(flow, task_id, &airflow.datax_job_root, &airflow.datax_command);
        let env = sync
            .credentials
            .iter()
            .filter_map(|credential| match &credential.source {
                CredentialSource::AirflowConnection { conn_id, field } => Some((
                    credential.variable.clone(),
                    format!("{{{{ conn.get('{}').{field} }}}}", jinja::escape(conn_id)),
                )),
                CredentialSource::Worker => None,
            })
            .collect();
        Some(Operator::BashOperator {
            bash_command: command,
            env,
            datax_channels: sync.setting.channel,
            datax_bytes_per_second: sync.setting.byte.unwrap_or_default(),
            datax_job,
            column_lineage: sync.columns.clone(),
            credential_variables: sync.credentials.iter().map(|c| c.variable.clone()).collect(),
        })
    }
}

/// The `bash_command` (Jinja) that runs the DataX job of task `task_id` of `flow`
/// through the launcher: job files under `root` (Jinja, as the workers see them),
/// `datax_command` (text) run with the business date's variables.
pub fn datax_bash_command(flow: &Flow, task_id: &str, root: &str, datax_command: &str) -> String {
    let (bizdate, nodash) = Bizdate::of(flow).expressions(flow.timezone);
    format!(
        "python3 \"{root}/flowc_datax.py\" \"{root}/{}/{}.json\" -- {} -p \"-Dbizdate={{{{ {bizdate} }}}} -Dbizdate_nodash={{{{ {nodash} }}}}\"",
        flow.id,
        task_id,
        jinja::value(datax_command, &Substitutions::default()),
    )
}
