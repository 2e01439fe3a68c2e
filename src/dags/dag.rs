//! One flow's DAG, built in steps: its params, its own tasks, the partitions its syncs
//! register, their quality checks,
//! the links inside the flow and to other flows, the chains and upstream ids those
//! links give, its schedule, and its page.

use std::collections::{BTreeMap, BTreeSet};

use super::bizdate::Bizdate;
use super::doc::dag_doc;
use super::ids::{dag_id, reserved_vars};
use super::partition::link_partitions;
use super::schedule::Cron;
use super::{Builder, Chain, Dag, DagParam, DagSchedule, DagTask, Links};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::model::{CrossFlowMode, Flow, Schedule, ScheduleOverride, Severity, Task};

/// The checks and gate added after each task of a flow, in task order, and the gates
/// by task name: what waits for such a task waits for its gate.
type QualityOf<'f> = (Vec<Vec<DagTask>>, Vec<(&'f str, String)>);

impl Builder<'_> {
    /// The DAG of `flow`.
    pub(super) fn dag(&mut self, flow: &Flow) -> Dag {
        let bizdate = Bizdate::of(flow);
        let params = dag_params(flow, bizdate);
        let mut vars = reserved_vars();
        let mut task_ids: BTreeMap<String, Span> = BTreeMap::new();
        let mut sources = BTreeSet::from([
            "flowc.yaml".to_owned(),
            self.input.sources.file(flow.file).path().to_owned(),
        ]);
        // The flow's own tasks first, so their variables keep their names.
        let mut own: Vec<DagTask> = Vec::new();
        for task in &flow.tasks {
            let dag_task = self.task(flow, task, &params, &mut vars);
            if let Some(file) = &dag_task.source_file {
                sources.insert(file.clone());
            }
            task_ids.insert(dag_task.task_id.clone(), task.name_span);
            own.push(dag_task);
        }
        let var_of: BTreeMap<&str, String> = flow
            .tasks
            .iter()
            .zip(&own)
            .map(|(task, dag_task)| (task.id.task(), dag_task.var.clone()))
            .collect();
        let mut links = Links::new();
        let partition_of = self.partition_tasks(flow, &own, &mut vars, &mut task_ids);
        let (quality_of, gates) = self.quality_checks(flow, &mut own, &mut vars, &mut task_ids, &mut links);
        let mut exit_var_of = var_of.clone();
        exit_var_of.extend(gates);
        self.link_in_flow(flow, &var_of, &exit_var_of, &mut links);
        // Cross-flow dependencies: a sensor per upstream task, or assets.
        let upstreams = self.upstreams(flow, &var_of);
        let (mut tasks, helpers) = self.sensor_tasks(flow, &upstreams, &task_ids, &mut vars, &mut links);
        link_partitions(&own, &partition_of, &mut links);
        for ((dag_task, checks), partition) in own.into_iter().zip(quality_of).zip(partition_of) {
            tasks.extend(partition);
            tasks.push(dag_task);
            tasks.extend(checks);
        }
        let chains = chains(&mut tasks, &links);
        let schedule = self.schedule(flow, bizdate, upstreams.assets);
        let operators = tasks.iter().map(|t| t.operator.class()).collect();
        let doc_md = dag_doc(flow, &sources);
        let dag_id = dag_id(self.environment, flow.id.as_str());
        let run = self.run_settings(flow, &dag_id, &tasks);
        Dag {
            flow: flow.id.to_string(),
            dag_id,
            owner: flow.owner.value.clone(),
            description: flow.description.clone(),
            doc_md,
            schedule,
            timezone: flow.timezone.name(),
            start_date: self.start_date(flow),
            catchup: flow.catchup,
            paused_upon_creation: (self.environment.schedule == ScheduleOverride::Paused).then_some(true),
            tags: {
                let mut tags = flow.tags.clone();
                tags.sort();
                tags.dedup();
                tags
            },
            max_active_runs: flow.max_active_runs,
            max_active_tasks: flow.max_active_tasks,
            run,
            params,
            tasks,
            chains,
            operators,
            needs_bizdate_run: helpers.bizdate_run,
            needs_zoned_run: helpers.zoned_run,
            sources: sources.into_iter().collect(),
        }
    }

    /// The quality checks of each of the flow's tasks (`own`, in order) right after
    /// it, and its gate after its strong checks, which takes over the task's outlets.
    fn quality_checks<'f>(
        &mut self,
        flow: &'f Flow,
        own: &mut [DagTask],
        vars: &mut BTreeSet<String>,
        task_ids: &mut BTreeMap<String, Span>,
        links: &mut Links,
    ) -> QualityOf<'f> {
        let mut quality_of: Vec<Vec<DagTask>> = Vec::with_capacity(own.len());
        let mut gates = Vec::new();
        for (task, dag_task) in flow.tasks.iter().zip(own.iter_mut()) {
            let quality = self.quality_tasks(flow, task, dag_task, vars);
            let mut added = Vec::new();
            for (severity, check) in quality.checks {
                links.entry(dag_task.var.clone()).or_default().insert(check.var.clone());
                if let (Severity::Strong, Some(gate)) = (severity, &quality.gate) {
                    links.entry(check.var.clone()).or_default().insert(gate.var.clone());
                }
                added.push(check);
            }
            if let Some(mut gate) = quality.gate {
                gate.outlets = std::mem::take(&mut dag_task.outlets);
                gates.push((task.id.task(), gate.var.clone()));
                added.push(gate);
            }
            self.claim_quality_ids(task, &added, task_ids);
            quality_of.push(added);
        }
        (quality_of, gates)
    }

    /// Takes the ids of the checks and gate of `task`, reporting those a task of the
    /// flow already has.
    fn claim_quality_ids(&mut self, task: &Task, added: &[DagTask], task_ids: &mut BTreeMap<String, Span>) {
        for check in added {
            let span = check
                .quality
                .as_ref()
                .and_then(|q| task.quality.iter().find(|r| r.name.value == q.rule))
                .map_or(task.name_span, |rule| rule.name.span);
            if let Some(other) = task_ids.get(&check.task_id) {
                let (what, label) = if check.quality.is_some() {
                    ("a quality check", "the rule")
                } else {
                    ("the gate after the strong quality checks", "the task")
                };
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::IdCollision,
                        format!("task `{}` is the id flowc gives {what} of `{}`", check.task_id, task.id),
                    )
                    .at(*other)
                    .with_secondary(span, label)
                    .with_help("rename this task; `<task>__dq` and `<task>__dq_<rule>` ids are the checks of `<task>`"),
                );
            } else {
                task_ids.insert(check.task_id.clone(), span);
            }
        }
    }

    /// `upstream >> downstream` for each edge inside `flow`; `exit_var_of` gives what
    /// waits for a task stand for: the task, or its gate.
    fn link_in_flow(
        &self,
        flow: &Flow,
        var_of: &BTreeMap<&str, String>,
        exit_var_of: &BTreeMap<&str, String>,
        links: &mut Links,
    ) {
        for &(upstream, downstream, edge) in self.edges_into.get(flow.id.as_str()).into_iter().flatten() {
            if edge.cross_flow {
                continue;
            }
            if let (Some(down_var), Some(up_var)) = (var_of.get(downstream.task()), exit_var_of.get(upstream.task())) {
                links.entry(up_var.clone()).or_default().insert(down_var.clone());
            }
        }
    }

    /// When `flow` runs in this environment; `assets` are the URIs it waits for when
    /// it is asset-scheduled.
    fn schedule(&mut self, flow: &Flow, bizdate: Bizdate, assets: BTreeSet<String>) -> DagSchedule {
        let schedule = match (&flow.schedule.value, bizdate) {
            (_, Bizdate::Assets) => {
                self.asset_zones(flow);
                if assets.is_empty() {
                    self.diagnostics.push(
                        Diagnostic::error(
                            Code::ScheduleMisaligned,
                            format!(
                                "flow `{}` is scheduled by assets but reads nothing from another flow",
                                flow.id
                            ),
                        )
                        .at(flow.schedule.span)
                        .with_help(
                            "give it a cron schedule, or use `cross_flow: sensor` so `schedule: none` means triggered",
                        ),
                    );
                }
                DagSchedule::Assets {
                    uris: assets.into_iter().collect(),
                }
            }
            (Schedule::Triggered, _) => DagSchedule::Triggered,
            (schedule, _) => match Cron::of(schedule) {
                Some(cron) => DagSchedule::Cron {
                    cron: cron.expression(),
                },
                None => DagSchedule::Once,
            },
        };
        // An environment that runs nothing on its own keeps only asset schedules: those
        // follow runs someone started upstream.
        let schedule = match (self.environment.schedule, schedule) {
            (ScheduleOverride::Manual, DagSchedule::Cron { .. } | DagSchedule::Once) => DagSchedule::Triggered,
            (_, schedule) => schedule,
        };
        if flow.cross_flow == CrossFlowMode::Asset && !matches!(flow.schedule.value, Schedule::Triggered) {
            self.diagnostics.push(
                Diagnostic::error(
                    Code::ScheduleMisaligned,
                    format!(
                        "flow `{}` uses `cross_flow: asset` but also has a time schedule",
                        flow.id
                    ),
                )
                .at(flow.schedule.span)
                .with_help("an asset-scheduled flow runs when its upstream tables are updated: set `schedule: none`"),
            );
        }
        schedule
    }

    /// `(year, month, day)` of the first logical date: the flow's `start_date`, or for
    /// an asset-scheduled flow, its upstream flows' earliest.
    fn start_date(&self, flow: &Flow) -> Option<(u32, u32, u32)> {
        flow.start_date
            .as_deref()
            .and_then(parse_date)
            .or_else(|| self.asset_start_date(flow))
    }

    /// An asset-scheduled flow without `start_date` starts with its earliest upstream
    /// flow (Airflow 2.10 refuses a dataset-scheduled DAG without one).
    fn asset_start_date(&self, flow: &Flow) -> Option<(u32, u32, u32)> {
        if flow.cross_flow != CrossFlowMode::Asset {
            return None;
        }
        self.edges_into
            .get(flow.id.as_str())?
            .iter()
            .filter(|(_, _, edge)| edge.cross_flow)
            .filter_map(|(upstream, _, _)| {
                let up = self.repository.flows.iter().find(|f| &f.id == upstream.flow())?;
                up.start_date.as_deref().and_then(parse_date)
            })
            .min()
    }
}

/// The DAG params of `flow`: its own, and `bizdate` (required) when it is triggered
/// with one.
fn dag_params(flow: &Flow, bizdate: Bizdate) -> BTreeMap<String, DagParam> {
    let mut params: BTreeMap<String, DagParam> = flow
        .params
        .iter()
        .map(|(name, value)| (name.clone(), DagParam::of_value(&value.to_json())))
        .collect();
    if bizdate == Bizdate::Param {
        params.insert(
            "bizdate".to_owned(),
            DagParam {
                default: None,
                json_type: "string",
                format: Some("date"),
                description: Some("Business date this run processes, YYYY-MM-DD (required).".to_owned()),
            },
        );
    }
    params
}

/// Sets each task's upstream task ids from `links`, and returns the links as chains,
/// both sides in task order.
fn chains(tasks: &mut [DagTask], links: &Links) -> Vec<Chain> {
    let id_of: BTreeMap<String, String> = tasks.iter().map(|t| (t.var.clone(), t.task_id.clone())).collect();
    let mut upstream_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (up, downs) in links {
        for down in downs {
            if let Some(id) = id_of.get(up) {
                upstream_of.entry(down.clone()).or_default().insert(id.clone());
            }
        }
    }
    for task in tasks.iter_mut() {
        task.upstream = upstream_of.remove(&task.var).unwrap_or_default().into_iter().collect();
    }
    let order: BTreeMap<&str, usize> = tasks.iter().enumerate().map(|(i, t)| (t.var.as_str(), i)).collect();
    let mut chains: Vec<Chain> = links
        .iter()
        .map(|(up, downs)| {
            let mut downstream: Vec<String> = downs.iter().cloned().collect();
            downstream.sort_by_key(|d| order.get(d.as_str()).copied().unwrap_or(usize::MAX));
            Chain {
                upstream: up.clone(),
                downstream,
            }
        })
        .collect();
    chains.sort_by_key(|c| order.get(c.upstream.as_str()).copied().unwrap_or(usize::MAX));
    chains
}

/// `(year, month, day)` of a `YYYY-MM-DD` date.
fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.splitn(3, '-').map(str::parse::<u32>);
    Some((parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_three_numbers() {
        assert_eq!(parse_date("2024-01-31"), Some((2024, 1, 31)));
        assert_eq!(parse_date("2024-1-5"), Some((2024, 1, 5)));
        assert_eq!(parse_date("2024-01"), None);
        assert_eq!(parse_date("2024-01-31T00:00"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}
