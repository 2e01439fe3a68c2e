//! Run settings and failure alerts: the `defaults:` of `flowc.yaml`, and the alert
//! targets a task or a flow's deadline notifies.
//!
//! Each setting is inherited on its own: the task's value, else its flow's
//! (`defaults:` or the flow's own key), else the project's `defaults:`. A list of
//! alerts is one setting: a closer list replaces a farther one as a whole.

use serde::{Deserialize, Serialize};

use crate::model::{Duration, Spanned};

/// Who is told when a task fails. Connections are Airflow connection ids only.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Alert {
    /// A mail through the SMTP provider's `SmtpNotifier`.
    Email {
        /// Addresses mailed.
        to: Vec<String>,
        /// SMTP connection id; Airflow's default when `None`.
        #[serde(default)]
        connection: Option<String>,
    },
    /// A Slack message: a webhook connection (`SlackWebhookNotifier`), or an API
    /// connection posting to `channel` (`SlackNotifier`).
    Slack {
        /// Slack connection id.
        connection: String,
        /// The channel, for the API notifier.
        #[serde(default)]
        channel: Option<String>,
    },
    /// A DingTalk robot message through the dingding provider's hook.
    #[serde(rename = "dingtalk")]
    DingTalk {
        /// DingTalk connection id (its password holds the robot's token).
        connection: String,
        /// Mobile numbers @-mentioned.
        #[serde(default)]
        at_mobiles: Vec<String>,
        /// @-mention everyone.
        #[serde(default)]
        at_all: bool,
    },
}

impl Alert {
    /// `email`, `slack` or `dingtalk`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Alert::Email { .. } => "email",
            Alert::Slack { .. } => "slack",
            Alert::DingTalk { .. } => "dingtalk",
        }
    }

    /// The same alert with its connection id replaced by `map` (an environment's
    /// `airflow_connections`).
    #[must_use]
    pub fn with_connection(&self, map: impl Fn(&str) -> String) -> Self {
        let mut alert = self.clone();
        match &mut alert {
            Alert::Email { connection, .. } => {
                if let Some(id) = connection {
                    *id = map(id);
                }
            }
            Alert::Slack { connection, .. } | Alert::DingTalk { connection, .. } => *connection = map(connection),
        }
        alert
    }

    /// Whether Airflow 3 can call it from a deadline alert: only an official
    /// notifier class (the triggerer imports the callback by its module path).
    pub const fn has_notifier(&self) -> bool {
        !matches!(self, Alert::DingTalk { .. })
    }
}

/// `defaults:` of `flowc.yaml`: what every flow and task inherits unless it sets its
/// own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunDefaults {
    /// Retries of a task.
    pub retries: Option<u32>,
    /// Delay between retries.
    pub retry_delay: Option<Duration>,
    /// Execution timeout of one try.
    pub timeout: Option<Duration>,
    /// `depends_on_past` of a task.
    pub depends_on_past: Option<bool>,
    /// Failure alerts of a task.
    pub alerts: Option<Vec<Alert>>,
    /// Concurrent runs of a flow.
    pub max_active_runs: Option<u32>,
    /// How long a run may take.
    pub dagrun_timeout: Option<Duration>,
    /// How long after its scheduled time a run should be finished; the span is the
    /// value in `flowc.yaml`.
    pub sla: Option<Spanned<Duration>>,
}
