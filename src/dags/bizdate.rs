//! How `${bizdate}` is computed in a flow's runs: the one date every task of a run
//! processes, and what a sensor matches the upstream run by.
//!
//! The business date of a scheduled or asset-scheduled run is the date, in the flow's
//! time zone, of the start of its data interval. In UTC that is Airflow's `ds`; in
//! another zone `ds` (always UTC) can be the day before, so the date is taken from
//! `data_interval_start` in the zone.

use crate::model::{CrossFlowMode, Flow, Schedule, TimeZone};

/// How `${bizdate}` is computed in a flow's runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bizdate {
    /// Scheduled: the date of the data interval's start (the logical date) in the
    /// flow's zone.
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
    pub(super) fn new(schedule: &Schedule, cross_flow: CrossFlowMode) -> Self {
        match (schedule, cross_flow) {
            (Schedule::Triggered, CrossFlowMode::Asset) => Bizdate::Assets,
            (Schedule::Triggered, CrossFlowMode::Sensor) => Bizdate::Param,
            _ => Bizdate::Scheduled,
        }
    }

    /// Jinja expressions of `bizdate` and `bizdate_nodash` in a flow of time zone
    /// `zone`.
    pub(super) fn expressions(self, zone: TimeZone) -> (String, String) {
        let (date, nodash) = match (self, zone.is_utc()) {
            (Bizdate::Scheduled, true) => ("ds", "ds_nodash"),
            (Bizdate::Param, _) => ("params.bizdate", "params.bizdate | replace('-', '')"),
            (Bizdate::Assets, true) => ("data_interval_start | ds", "data_interval_start | ds_nodash"),
            (Bizdate::Scheduled | Bizdate::Assets, false) => {
                // An IANA name is letters, digits and `/_+-`: nothing to escape in a
                // Jinja string literal.
                let local = format!("data_interval_start.in_timezone('{}')", zone.name());
                return (format!("{local} | ds"), format!("{local} | ds_nodash"));
            }
        };
        (date.to_owned(), nodash.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair((date, nodash): (String, String)) -> (&'static str, &'static str) {
        (date.leak(), nodash.leak())
    }

    fn shanghai() -> TimeZone {
        TimeZone::named("Asia/Shanghai").unwrap_or(TimeZone::UTC)
    }

    #[test]
    fn zoned_flows_take_the_local_date_of_the_interval_start() {
        for bizdate in [Bizdate::Scheduled, Bizdate::Assets] {
            assert_eq!(
                pair(bizdate.expressions(shanghai())),
                (
                    "data_interval_start.in_timezone('Asia/Shanghai') | ds",
                    "data_interval_start.in_timezone('Asia/Shanghai') | ds_nodash"
                )
            );
        }
    }

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
        assert_eq!(pair(Bizdate::Scheduled.expressions(TimeZone::UTC)), ("ds", "ds_nodash"));
    }

    #[test]
    fn triggered_flows_take_the_param_or_the_assets_interval() {
        let param = Bizdate::new(&Schedule::Triggered, CrossFlowMode::Sensor);
        assert_eq!(param, Bizdate::Param);
        assert_eq!(
            pair(param.expressions(shanghai())),
            ("params.bizdate", "params.bizdate | replace('-', '')")
        );
        let assets = Bizdate::new(&Schedule::Triggered, CrossFlowMode::Asset);
        assert_eq!(assets, Bizdate::Assets);
        assert_eq!(
            pair(assets.expressions(TimeZone::UTC)),
            ("data_interval_start | ds", "data_interval_start | ds_nodash")
        );
    }
}
