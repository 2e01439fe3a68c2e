//! The run of a flow that processes one business date, as Airflow would start it:
//! what `flowc run --date` fills the DAG's templates in for.
//!
//! A scheduled flow's run of business date `D` is the run whose data interval starts
//! on `D` in the flow's zone (see [`super::bizdate`]): its logical date is the first
//! time the schedule fires on `D` there, and its data interval ends at the next. A
//! flow triggered with a `bizdate` param gets `D` as that param; an asset-scheduled
//! flow, and a schedule that does not fire on `D`, the interval of the day `D` in the
//! zone.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::bizdate::Bizdate;
use super::schedule::Cron;
use crate::model::{CrossFlowMode, Flow, Schedule, TimeZone};

/// The run of a flow for one business date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDate {
    /// The business date, `${bizdate}`.
    pub bizdate: NaiveDate,
    /// The flow's time zone.
    pub zone: TimeZone,
    /// The logical date (the start of the data interval), UTC.
    pub logical_date: DateTime<Utc>,
    /// The end of the data interval, UTC.
    pub data_interval_end: DateTime<Utc>,
    /// Whether the DAG takes the business date from its `bizdate` param.
    pub bizdate_param: bool,
}

/// The run of `flow` whose business date is `bizdate`.
pub fn run_date(flow: &Flow, bizdate: NaiveDate) -> RunDate {
    run_date_of(&flow.schedule.value, flow.cross_flow, flow.timezone, bizdate)
}

/// The run of business date `bizdate` of a flow with this schedule, cross-flow mode
/// and zone.
fn run_date_of(schedule: &Schedule, cross_flow: CrossFlowMode, zone: TimeZone, bizdate: NaiveDate) -> RunDate {
    let how = Bizdate::new(schedule, cross_flow);
    let at = |local: NaiveDateTime| DateTime::from_timestamp(zone.instant(local.date(), local.time()), 0);
    let midnight = bizdate.and_time(NaiveTime::MIN);
    let next_day = bizdate
        .checked_add_days(Days::new(1))
        .unwrap_or(bizdate)
        .and_time(NaiveTime::MIN);
    let day = (at(midnight), at(next_day));
    let (start, end) = match how {
        Bizdate::Param => {
            let start = midnight.and_utc();
            (Some(start), Some(start))
        }
        Bizdate::Assets => day,
        Bizdate::Scheduled => scheduled(schedule, midnight).map_or(day, |(start, end)| (at(start), at(end))),
    };
    let start = start.unwrap_or_else(|| midnight.and_utc());
    RunDate {
        bizdate,
        zone,
        logical_date: start,
        data_interval_end: end.unwrap_or(start),
        bizdate_param: how == Bizdate::Param,
    }
}

/// The first time a flow's schedule fires on the local day starting at `midnight`,
/// and the next time after it; `None` when it does not fire that day.
fn scheduled(schedule: &Schedule, midnight: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let cron = Cron::of(schedule)?;
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    let cron = parser.parse(&cron.expression()).ok()?;
    let first = cron.find_next_occurrence(&midnight, true).ok()?;
    if first.date() != midnight.date() {
        return None;
    }
    let next = cron.find_next_occurrence(&first, false).ok()?;
    Some((first, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(schedule: &Schedule, zone: &str, bizdate: &str) -> RunDate {
        let zone = TimeZone::named(zone).unwrap_or(TimeZone::UTC);
        run_date_of(schedule, CrossFlowMode::Sensor, zone, date(bizdate))
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_zoned_daily_run_starts_on_the_business_date_in_its_zone() {
        let run = run(&Schedule::Cron("30 2 * * *".into()), "Asia/Shanghai", "2024-03-05");
        assert_eq!(run.logical_date.to_rfc3339(), "2024-03-04T18:30:00+00:00");
        assert_eq!(run.data_interval_end.to_rfc3339(), "2024-03-05T18:30:00+00:00");
        assert!(!run.bizdate_param);
    }

    #[test]
    fn a_utc_preset_runs_at_midnight() {
        let run = run(&Schedule::Preset("@daily".into()), "UTC", "2024-03-05");
        assert_eq!(run.logical_date.to_rfc3339(), "2024-03-05T00:00:00+00:00");
        assert_eq!(run.data_interval_end.to_rfc3339(), "2024-03-06T00:00:00+00:00");
    }

    #[test]
    fn triggered_flows_take_the_date_as_their_param() {
        let run = run(&Schedule::Triggered, "Asia/Shanghai", "2024-03-05");
        assert!(run.bizdate_param);
        assert_eq!(run.logical_date.to_rfc3339(), "2024-03-05T00:00:00+00:00");
    }

    #[test]
    fn a_day_the_schedule_skips_gets_the_whole_day() {
        // Sundays only; 2024-03-05 is a Tuesday.
        let run = run(&Schedule::Cron("0 3 * * 0".into()), "UTC", "2024-03-05");
        assert_eq!(run.logical_date.to_rfc3339(), "2024-03-05T00:00:00+00:00");
        assert_eq!(run.data_interval_end.to_rfc3339(), "2024-03-06T00:00:00+00:00");
    }
}
