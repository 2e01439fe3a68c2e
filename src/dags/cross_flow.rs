//! Dependencies on other flows' tasks: a sensor per upstream task for a flow that
//! waits with sensors, or the assets an asset-scheduled flow is scheduled by, and
//! the outlets by which upstream tasks update those assets.

use std::collections::{BTreeMap, BTreeSet};

use super::ids::{dag_id_of, gate_task_id, sanitize_id, sensor_task_id, unique_var};
use super::operator::UpstreamRun;
use super::schedule::{Alignment, Misalignment, Timing, align_with};
use super::{Builder, DagTask, Links, Operator};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::{DependencyGraph, EdgeReason};
use crate::model::{CrossFlowMode, Environment, Flow, Priority, Repository, TaskId};

/// The asset URI of what an edge carries.
pub(super) fn asset_uri(environment: &Environment, upstream: &TaskId, reason: &EdgeReason) -> String {
    match reason {
        EdgeReason::Table(table) => format!("flowc://{}/table/{table}", environment.name),
        EdgeReason::Manual => format!("flowc://{}/task/{upstream}", environment.name),
    }
}

/// The assets each task updates for asset-scheduled flows downstream of it.
pub(super) fn outlets(
    repository: &Repository,
    graph: &DependencyGraph,
    environment: &Environment,
) -> BTreeMap<TaskId, Vec<String>> {
    let asset_flows: BTreeSet<&str> = repository
        .flows
        .iter()
        .filter(|f| f.cross_flow == CrossFlowMode::Asset)
        .map(|f| f.id.as_str())
        .collect();
    let mut outlets: BTreeMap<TaskId, BTreeSet<String>> = BTreeMap::new();
    for (upstream, downstream, edge) in graph.edges() {
        if edge.cross_flow && asset_flows.contains(downstream.flow().as_str()) {
            outlets
                .entry(upstream.clone())
                .or_default()
                .insert(asset_uri(environment, upstream, &edge.reason));
        }
    }
    outlets.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

/// The helper functions a DAG file needs for its sensors.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Helpers {
    /// `flowc_bizdate_run`: a triggered flow's upstream run in UTC.
    pub(super) bizdate_run: bool,
    /// `flowc_zoned_run`: the upstream run by time zone.
    pub(super) zoned_run: bool,
}

/// When `flow` runs, for lining its runs up with another flow's.
fn timing(flow: &Flow) -> Timing<'_> {
    Timing {
        schedule: &flow.schedule.value,
        zone: flow.timezone,
        start: flow
            .start_date
            .as_deref()
            .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()),
    }
}

/// What a flow waits for in other flows.
#[derive(Default)]
pub(super) struct Upstreams {
    /// The asset URIs it is scheduled by, when it is asset-scheduled.
    pub(super) assets: BTreeSet<String>,
    /// The upstream tasks its sensors wait for, otherwise.
    sensors: BTreeMap<TaskId, Waiters>,
}

/// The tasks of a flow that wait for one upstream task.
struct Waiters {
    /// The id of the sensor they wait behind.
    task_id: String,
    /// The most important of their priorities: the sensor's.
    priority: Priority,
    /// Their variables.
    vars: Vec<String>,
}

impl Builder<'_> {
    /// The cross-flow edges into `flow`, as assets or sensors by its cross-flow mode.
    /// `var_of` gives the variable of each of its tasks by name.
    pub(super) fn upstreams(&self, flow: &Flow, var_of: &BTreeMap<&str, String>) -> Upstreams {
        let mut upstreams = Upstreams::default();
        for &(upstream, downstream, edge) in self.edges_into.get(flow.id.as_str()).into_iter().flatten() {
            let Some(down_var) = var_of.get(downstream.task()) else {
                continue;
            };
            if !edge.cross_flow {
                continue;
            }
            if flow.cross_flow == CrossFlowMode::Asset {
                upstreams
                    .assets
                    .insert(asset_uri(self.environment, upstream, &edge.reason));
                continue;
            }
            let priority = flow
                .tasks
                .iter()
                .find(|t| &t.id == downstream)
                .map_or(flow.priority, |t| t.priority);
            let waiters = upstreams.sensors.entry(upstream.clone()).or_insert_with(|| Waiters {
                task_id: sensor_task_id(upstream),
                priority,
                vars: Vec::new(),
            });
            waiters.priority = waiters.priority.min(priority);
            waiters.vars.push(down_var.clone());
        }
        upstreams
    }

    /// The sensors of `flow`, each linked to the tasks that wait for it, and which
    /// helpers they need: the one that finds a triggered run's upstream run (UTC), the
    /// one that finds it by time zone. A sensor whose runs do not line up with the
    /// upstream flow's, or whose id a task of the flow already has, is reported
    /// instead.
    pub(super) fn sensor_tasks(
        &mut self,
        flow: &Flow,
        upstreams: &Upstreams,
        task_ids: &BTreeMap<String, Span>,
        vars: &mut BTreeSet<String>,
        links: &mut Links,
    ) -> (Vec<DagTask>, Helpers) {
        let mut sensors = Vec::new();
        let mut helpers = Helpers::default();
        for (upstream, waiters) in &upstreams.sensors {
            let Some(up_flow) = self.repository.flows.iter().find(|f| &f.id == upstream.flow()) else {
                continue;
            };
            let offsets = &mut self.offsets;
            let alignment = self
                .alignments
                .entry((up_flow.id.to_string(), flow.id.to_string()))
                .or_insert_with(|| align_with(timing(up_flow), timing(flow), offsets))
                .clone();
            let alignment = match alignment {
                Ok(alignment) => alignment,
                Err(problem) => {
                    self.misaligned(flow, up_flow, upstream, &problem);
                    continue;
                }
            };
            match alignment {
                Alignment::TriggeredBizdate { .. } => helpers.bizdate_run = true,
                Alignment::ZonedRun { .. } => helpers.zoned_run = true,
                Alignment::Delta { .. } => {}
            }
            let task_id = &waiters.task_id;
            if let Some(span) = task_ids.get(task_id) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::IdCollision,
                        format!("task name `{task_id}` is the id flowc gives the sensor that waits for `{upstream}`"),
                    )
                    .at(*span)
                    .with_help("rename this task; `wait__<flow>__<task>` ids are reserved for cross-flow sensors"),
                );
                continue;
            }
            let var = unique_var(task_id, vars);
            let mut downstream = waiters.vars.clone();
            downstream.sort();
            downstream.dedup();
            links.entry(var.clone()).or_default().extend(downstream);
            let mut sensor = self.sensor_task(upstream, waiters, var, alignment);
            // A sensor that times out means the upstream data is late: the flow's
            // alerts tell.
            sensor.alerts = self.alerts(&flow.alerts);
            sensors.push(sensor);
        }
        (sensors, helpers)
    }

    /// The `ExternalTaskSensor` that waits for `upstream`'s run of the same business
    /// date, or for its gate when it has strong quality checks.
    fn sensor_task(&self, upstream: &TaskId, waiters: &Waiters, var: String, alignment: Alignment) -> DagTask {
        let (delta, minute_of_day, upstream_run) = match alignment {
            Alignment::Delta { seconds } => (Some(seconds), None, None),
            Alignment::TriggeredBizdate { minute_of_day } => (None, Some(minute_of_day), None),
            Alignment::ZonedRun {
                minute_of_day,
                zone,
                own_zone,
            } => (
                None,
                None,
                Some(UpstreamRun {
                    hour: minute_of_day / 60,
                    minute: minute_of_day % 60,
                    zone: zone.name().to_owned(),
                    own_zone: own_zone.map(|z| z.name().to_owned()),
                }),
            ),
        };
        let level = self.project.priority_level(waiters.priority);
        DagTask {
            name: upstream.to_string(),
            task_id: waiters.task_id.clone(),
            var,
            task_type: "wait",
            operator: Operator::ExternalTaskSensor {
                external_dag_id: dag_id_of(self.environment, upstream),
                external_task_id: if self.gated.contains(upstream) {
                    gate_task_id(&sanitize_id(upstream.task()))
                } else {
                    sanitize_id(upstream.task())
                },
                execution_delta_seconds: delta,
                bizdate_minute_of_day: minute_of_day,
                upstream_run,
                poke_interval: self.project.airflow.poke_interval.0,
                timeout: self.project.airflow.sensor_timeout.0,
            },
            pool: level.pool.clone(),
            pool_slots: 1,
            priority_weight: level.weight,
            weight_rule: level.weight_rule.clone(),
            queue: level.queue.clone(),
            priority: waiters.priority.as_str(),
            retries: 0,
            retry_delay_seconds: 300,
            execution_timeout_seconds: None,
            depends_on_past: false,
            alerts: Vec::new(),
            params: BTreeMap::new(),
            outlets: Vec::new(),
            doc_md: format!(
                "Waits for `{upstream}` (DAG `{}`) of the same business date: this flow reads what it writes.",
                dag_id_of(self.environment, upstream)
            ),
            upstream: Vec::new(),
            reads: Vec::new(),
            writes: Vec::new(),
            source_file: None,
            quality: None,
            partition: None,
        }
    }

    /// Reports each flow an asset-scheduled `flow` follows that is in another time
    /// zone: its runs' interval starts, read in `flow`'s zone, can fall on another
    /// date than their business date.
    pub(super) fn asset_zones(&mut self, flow: &Flow) {
        let mut reported = BTreeSet::new();
        for &(upstream, _, edge) in self.edges_into.get(flow.id.as_str()).into_iter().flatten() {
            let Some(up_flow) = self.repository.flows.iter().find(|f| &f.id == upstream.flow()) else {
                continue;
            };
            if !edge.cross_flow || up_flow.timezone == flow.timezone || !reported.insert(up_flow.id.as_str()) {
                continue;
            }
            self.diagnostics.push(
                Diagnostic::error(
                    Code::ScheduleMisaligned,
                    format!(
                        "flow `{}` (in {}) is scheduled by tables of flow `{}`, which is in {}: the business date of a run would not be its upstream run's",
                        flow.id, flow.timezone, up_flow.id, up_flow.timezone
                    ),
                )
                .at(flow.schedule.span)
                .with_label("this schedule")
                .with_help(format!(
                    "give flow `{}` `timezone: {}`, or use `cross_flow: sensor` with a schedule",
                    flow.id, up_flow.timezone
                )),
            );
        }
    }

    /// Reports that the runs of `flow` do not line up with those of `up_flow`, whose
    /// task `upstream` it waits for.
    fn misaligned(&mut self, flow: &Flow, up_flow: &Flow, upstream: &TaskId, problem: &Misalignment) {
        let (message, help) = match problem {
            Misalignment::UpstreamUnscheduled => (
                format!(
                    "`{}` waits for `{upstream}`, but flow `{}` has no fixed runs to wait for",
                    flow.id, up_flow.id
                ),
                "schedule both flows, or make this flow asset-scheduled (`cross_flow: asset`, `schedule: none`) so it runs when the upstream tables are updated".to_owned(),
            ),
            Misalignment::MissingDays { upstream: up, downstream: down } => (
                format!(
                    "flow `{}` (`{down}`) waits for `{upstream}`, but flow `{}` (`{up}`) does not run on every day it does",
                    flow.id, up_flow.id
                ),
                "run the upstream flow daily, give both flows the same days, or use `cross_flow: asset`".to_owned(),
            ),
            Misalignment::SeveralRunsPerDayAcrossZones { upstream: up, downstream: down } => (
                format!(
                    "flow `{}` (`{down}`) waits for `{upstream}`, but flow `{}` (`{up}`) is in another time zone and one of them runs several times a day, so their runs share no business date",
                    flow.id, up_flow.id
                ),
                "give both flows the same `timezone`, or run both once a day".to_owned(),
            ),
            Misalignment::SeveralRunsPerDay { upstream: up, downstream: down } => (
                format!(
                    "flow `{}` (`{down}`) waits for `{upstream}`, but flow `{}` (`{up}`) runs at other times of day, so no single run has the same business date",
                    flow.id, up_flow.id
                ),
                "give both flows the same schedule, run the upstream flow once a day, or use `cross_flow: asset`".to_owned(),
            ),
        };
        self.diagnostics.push(
            Diagnostic::error(Code::ScheduleMisaligned, message)
                .at(flow.schedule.span)
                .with_label("this schedule")
                .with_help(help),
        );
    }
}
