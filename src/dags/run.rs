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
