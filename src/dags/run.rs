//! A DAG's run settings: what goes into its `default_args` (the alerts and
//! `depends_on_past` every task shares), its `dagrun_timeout`, and its SLA — the
//! `sla` of every task on Airflow 2.10, a deadline alert on the run on Airflow 3.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Builder, DagTask};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{AirflowVersion, Alert, Flow};

/// What a failure alert says. Airflow renders it with the failed task's context.
pub(super) const FAILURE_TEXT: &str = "flowc: task {{ ti.task_id }} of DAG {{ ti.dag_id }} failed (run {{ run_id }}, try {{ ti.try_number }}). Log: {{ ti.log_url }}";

/// The run settings of one DAG, as rendered.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunSettings {
    /// `dagrun_timeout` in seconds.
    pub dagrun_timeout_seconds: Option<u64>,
    /// The flow's SLA in seconds: `sla` of every task on 2.10, the deadline's
    /// interval on 3.
    pub sla_seconds: Option<u64>,
    /// Alerts a missed SLA calls on Airflow 3 (a deadline alert each); empty on 2.10.
    pub deadline_alerts: Vec<Alert>,
    /// What a deadline alert says.
    pub deadline_text: String,
    /// `depends_on_past` in `default_args`, when every task shares it.
    pub default_depends_on_past: Option<bool>,
    /// `on_failure_callback` in `default_args`, when every task shares it.
    pub default_alerts: Option<Vec<Alert>>,
    /// What a failure alert says.
    pub failure_text: &'static str,
    /// Notifier classes to import, and `FlowcDingTalkAlert` when a DingTalk alert is
    /// rendered.
    pub notifiers: BTreeSet<&'static str>,
}

/// The value every task shares, if any.
fn shared<T: PartialEq + Clone>(tasks: &[DagTask], value: impl Fn(&DagTask) -> &T) -> Option<T> {
    let first = value(tasks.first()?);
    tasks.iter().all(|t| value(t) == first).then(|| first.clone())
}

/// The class that sends `alert`.
pub(super) const fn notifier_class(alert: &Alert) -> &'static str {
    match alert {
        Alert::Email { .. } => "SmtpNotifier",
        Alert::Slack { channel: None, .. } => "SlackWebhookNotifier",
        Alert::Slack { channel: Some(_), .. } => "SlackNotifier",
        Alert::DingTalk { .. } => "FlowcDingTalkAlert",
    }
}

impl Builder<'_> {
    /// `alerts` with their connections as this environment names them.
    pub(super) fn alerts(&self, alerts: &[Alert]) -> Vec<Alert> {
        alerts
            .iter()
            .map(|a| a.with_connection(|id| self.environment.airflow_connection(id).to_owned()))
            .collect()
    }

    /// The run settings of the DAG of `flow`, whose tasks are `tasks`; reports an SLA
    /// that Airflow 3 cannot alert on.
    pub(super) fn run_settings(&mut self, flow: &Flow, dag_id: &str, tasks: &[DagTask]) -> RunSettings {
        let mut notifiers: BTreeSet<&'static str> = tasks.iter().flat_map(|t| &t.alerts).map(notifier_class).collect();
        let sla = flow.sla.as_ref();
        let mut deadline_alerts = Vec::new();
        if let (Some(sla), AirflowVersion::V3) = (sla, self.version) {
            deadline_alerts = self
                .alerts(&flow.alerts)
                .into_iter()
                .filter(Alert::has_notifier)
                .collect();
            let skipped: Vec<&str> = flow
                .alerts
                .iter()
                .filter(|a| !a.has_notifier())
                .map(Alert::kind)
                .collect();
            if deadline_alerts.is_empty() {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::SlaNotAlerted,
                        format!("the `sla` of flow `{}` cannot be checked on Airflow 3", flow.id),
                    )
                    .at(sla.span)
                    .with_label("Airflow 3 has no task SLA: a missed deadline calls an alert")
                    .with_help("give the flow an `email` or `slack` alert (`defaults.alerts` of the flow or of flowc.yaml): Airflow 3's deadline alerts call the providers' notifiers, and DingTalk has none; or remove `sla`"),
                );
            } else if !skipped.is_empty() {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::SlaNotAlerted,
                        format!(
                            "a missed `sla` of flow `{}` is not sent to its {} alerts on Airflow 3",
                            flow.id,
                            skipped.join(", ")
                        ),
                    )
                    .at(sla.span)
                    .with_help("Airflow 3's deadline alerts call the providers' notifiers, and DingTalk has none: the flow's email and slack alerts are called"),
                );
            }
            notifiers.extend(deadline_alerts.iter().map(notifier_class));
        }
        RunSettings {
            dagrun_timeout_seconds: flow.dagrun_timeout.map(|d| d.0),
            sla_seconds: sla.map(|s| s.value.0),
            deadline_text: format!(
                "flowc: a run of DAG {dag_id} is not finished {} after it was queued (its sla)",
                sla.map(|s| s.value.to_string()).unwrap_or_default()
            ),
            deadline_alerts,
            default_depends_on_past: shared(tasks, |t| &t.depends_on_past),
            default_alerts: shared(tasks, |t| &t.alerts),
            failure_text: FAILURE_TEXT,
            notifiers,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compiler::{CompileRequest, Compiled, compile};
    use crate::dags::{Dag, DagTask, EnvironmentDags};
    use crate::diagnostic::{Code, Severity};
    use crate::load::MemoryTree;
    use crate::model::{AirflowVersion, Alert};

    const PROJECT: &str = "project: t
environments:
  dev: {dag_prefix: dev__, databases: {dws: dev_dws, dq: dev_dq}, airflow_connections: {ding_oncall: ding_dev}}
  prod: {}
teams: {data: {}}
sources: [{table: ods.raw, columns: [{name: id, type: bigint}]}]
defaults:
  retries: 4
  depends_on_past: true
  dagrun_timeout: 3h
  max_active_runs: 2
  alerts: [{kind: dingtalk, connection: ding_oncall}]
";

    const FLOW: &str = "name: pay
owner: data
schedule: \"0 2 * * *\"
start_date: \"2024-01-01\"
defaults:
  retries: 1
  alerts: [{kind: slack, connection: slack_data}]
tasks:
  - name: quiet
    type: sparksql
    sql: quiet.sql
    alerts: []
    depends_on_past: false
    retries: 3
    quality:
      - {name: has_rows, severity: strong, completeness: {min_rows: 1}}
      - {name: ids, severity: strong, retries: 1, completeness: {not_null: [id]}}
  - name: plain
    type: sparksql
    sql: plain.sql
";

    /// The DAGs of `environment`, compiled for `version` from `project` and `flow`.
    fn compiled(
        project: &str,
        flow: &str,
        environment: &str,
        version: AirflowVersion,
    ) -> (EnvironmentDags, Vec<(Code, Severity)>) {
        let tree = MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/pay/flow.yaml", flow)
            .with(
                "flows/pay/quiet.sql",
                "insert overwrite table dws.quiet select id from ods.raw",
            )
            .with(
                "flows/pay/plain.sql",
                "insert overwrite table dws.plain select id from ods.raw",
            );
        let request = CompileRequest {
            environments: vec![environment.to_owned()],
            airflow_version: Some(version),
        };
        match compile(&tree, &request).expect("compiles") {
            Compiled::Done {
                report,
                mut environments,
            } => (
                environments.remove(0).dags,
                report.diagnostics.iter().map(|d| (d.code, d.severity)).collect(),
            ),
            other => panic!("not compiled: {other:?}"),
        }
    }

    fn task<'d>(dag: &'d Dag, task_id: &str) -> &'d DagTask {
        dag.tasks.iter().find(|t| t.task_id == task_id).expect("the task")
    }

    #[test]
    fn each_setting_is_the_tasks_else_the_flows_else_the_projects() {
        let (dags, _) = compiled(PROJECT, FLOW, "prod", AirflowVersion::V2_10);
        let dag = &dags.dags[0];
        let (quiet, plain) = (task(dag, "quiet"), task(dag, "plain"));
        assert_eq!(
            (quiet.retries, quiet.depends_on_past, quiet.alerts.len()),
            (3, false, 0)
        );
        assert_eq!((plain.retries, plain.depends_on_past), (1, true));
        assert_eq!(
            plain.alerts,
            [Alert::Slack {
                connection: "slack_data".to_owned(),
                channel: None
            }]
        );
        assert_eq!(dag.run.dagrun_timeout_seconds, Some(10_800));
        assert_eq!(dag.max_active_runs, Some(2));
        // Not shared by every task: each task carries its own.
        assert_eq!(
            (dag.run.default_alerts.as_ref(), dag.run.default_depends_on_past),
            (None, None)
        );
    }

    #[test]
    fn quality_checks_do_not_inherit_the_writers_retries() {
        let (dags, _) = compiled(PROJECT, FLOW, "prod", AirflowVersion::V2_10);
        let dag = &dags.dags[0];
        assert_eq!(task(dag, "quiet__dq_has_rows").retries, 0);
        assert_eq!(task(dag, "quiet__dq_ids").retries, 1);
        let project = PROJECT.replace("defaults:", "quality: {retries: 2}\ndefaults:");
        let (dags, _) = compiled(&project, FLOW, "prod", AirflowVersion::V2_10);
        assert_eq!(task(&dags.dags[0], "quiet__dq_has_rows").retries, 2);
    }

    #[test]
    fn alerts_use_the_environments_connections() {
        let flow = FLOW.replace("  alerts: [{kind: slack, connection: slack_data}]\n", "");
        let (dags, _) = compiled(PROJECT, &flow, "dev", AirflowVersion::V2_10);
        let plain = task(&dags.dags[0], "plain");
        assert_eq!(
            plain.alerts,
            [Alert::DingTalk {
                connection: "ding_dev".to_owned(),
                at_mobiles: Vec::new(),
                at_all: false
            }]
        );
    }

    #[test]
    fn an_sla_on_airflow_3_calls_only_alerts_with_a_notifier() {
        let flow = FLOW
            .replace("start_date: \"2024-01-01\"\n", "start_date: \"2024-01-01\"\nsla: 2h\n")
            .replace(
                "  alerts: [{kind: slack, connection: slack_data}]",
                "  alerts: [{kind: slack, connection: slack_data}, {kind: dingtalk, connection: ding_oncall}]",
            );
        let (dags, diagnostics) = compiled(PROJECT, &flow, "prod", AirflowVersion::V3);
        assert_eq!(diagnostics, [(Code::SlaNotAlerted, Severity::Warning)]);
        let run = &dags.dags[0].run;
        assert_eq!(run.sla_seconds, Some(7200));
        assert_eq!(
            run.deadline_alerts.iter().map(Alert::kind).collect::<Vec<_>>(),
            ["slack"]
        );
        let (dags, diagnostics) = compiled(PROJECT, &flow, "prod", AirflowVersion::V2_10);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(dags.dags[0].run.deadline_alerts.is_empty());
    }
}
