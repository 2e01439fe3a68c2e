//! How `${bizdate}` is computed in a flow's runs: the one date every task of a run
//! processes, and what a sensor matches the upstream run by.

use crate::model::{CrossFlowMode, Flow, Schedule};

/// How `${bizdate}` is computed in a flow's runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bizdate {
    /// Scheduled: the logical date, `ds`.
    Scheduled,
    /// Triggered: the `bizdate` param of the trigger's conf.
    Param,
    /// Asset-scheduled: the start of the data interval of the triggering runs.
    Assets,
}

impl Bizdate {
    /// How `flow` computes it.
    pub(super) fn of(flow: &Flow) -> Self {
        Self::new(&flow.schedule.value, flow.cross_flow)
    }

    /// How a flow with this schedule and cross-flow mode computes it.
    fn new(schedule: &Schedule, cross_flow: CrossFlowMode) -> Self {
        match (schedule, cross_flow) {
            (Schedule::Triggered, CrossFlowMode::Asset) => Bizdate::Assets,
            (Schedule::Triggered, CrossFlowMode::Sensor) => Bizdate::Param,
            _ => Bizdate::Scheduled,
        }
    }

    /// Jinja expressions of `bizdate` and `bizdate_nodash`.
    pub(super) fn expressions(self) -> (&'static str, &'static str) {
        match self {
            Bizdate::Scheduled => ("ds", "ds_nodash"),
            Bizdate::Param => ("params.bizdate", "params.bizdate | replace('-', '')"),
            Bizdate::Assets => ("data_interval_start | ds", "data_interval_start | ds_nodash"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_flows_use_the_logical_date_whatever_their_cross_flow_mode() {
        for schedule in [
            Schedule::Preset("@daily".to_owned()),
            Schedule::Cron("0 2 * * *".to_owned()),
        ] {
            for mode in [CrossFlowMode::Sensor, CrossFlowMode::Asset] {
                assert_eq!(Bizdate::new(&schedule, mode), Bizdate::Scheduled);
            }
        }
        assert_eq!(Bizdate::Scheduled.expressions(), ("ds", "ds_nodash"));
    }

    #[test]
    fn triggered_flows_take_the_param_or_the_assets_interval() {
        let param = Bizdate::new(&Schedule::Triggered, CrossFlowMode::Sensor);
        assert_eq!(param, Bizdate::Param);
        assert_eq!(
            param.expressions(),
            ("params.bizdate", "params.bizdate | replace('-', '')")
        );
        let assets = Bizdate::new(&Schedule::Triggered, CrossFlowMode::Asset);
        assert_eq!(assets, Bizdate::Assets);
        assert_eq!(
            assets.expressions(),
            ("data_interval_start | ds", "data_interval_start | ds_nodash")
        );
    }
}
