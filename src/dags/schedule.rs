//! Schedules as Airflow sees them, and how the runs of two flows line up.
//!
//! Every scheduled flow is rendered with `CronDataIntervalTimetable` in the flow's
//! time zone, so on Airflow 2.10 and 3.x alike a run's logical date is the start of
//! its data interval, and the business date (`${bizdate}`) is that start's date in
//! the flow's zone. Two runs belong together when they have the same business date,
//! each in its own flow's zone; the sensor of a cross-flow dependency waits for the
//! upstream run of its own run's business date.
//!
//! When the two runs of every business date lie a fixed time apart, the sensor takes
//! an `execution_delta`. Across a daylight-saving switch (a DST zone on either side,
//! with a switch between the two times of day), or between zones whose offsets
//! differ by season, they do not: the sensor then works the upstream run out from
//! the business date, at the upstream flow's wall-clock time in its zone.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use crate::model::{Schedule, TimeZone};

/// The five fields of a cron expression, presets expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cron {
    minute: String,
    hour: String,
    day_of_month: String,
    month: String,
    day_of_week: String,
}

impl Cron {
    /// A schedule's cron fields; `None` for triggered flows and `@once`.
    pub(crate) fn of(schedule: &Schedule) -> Option<Self> {
        let text = match schedule {
            Schedule::Triggered => return None,
            Schedule::Preset(preset) => match preset.as_str() {
                "@hourly" => "0 * * * *",
                "@daily" => "0 0 * * *",
                "@weekly" => "0 0 * * 0",
                "@monthly" => "0 0 1 * *",
                "@quarterly" => "0 0 1 */3 *",
                "@yearly" | "@annually" => "0 0 1 1 *",
                _ => return None,
            },
            Schedule::Cron(cron) => cron.as_str(),
        };
        let mut fields = text.split_whitespace().map(str::to_owned);
        let cron = Self {
            minute: fields.next()?,
            hour: fields.next()?,
            day_of_month: fields.next()?,
            month: fields.next()?,
            day_of_week: fields.next()?,
        };
        fields.next().is_none().then_some(cron)
    }

    /// The expression, five fields.
    pub(crate) fn expression(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.minute, self.hour, self.day_of_month, self.month, self.day_of_week
        )
    }

    /// Minutes after midnight when the schedule fires at one fixed time of day.
    pub(crate) fn time_of_day(&self) -> Option<i64> {
        let minute: i64 = self.minute.parse().ok()?;
        let hour: i64 = self.hour.parse().ok()?;
        (minute < 60 && hour < 24).then_some(hour * 60 + minute)
    }

    fn runs_every_day(&self) -> bool {
        self.day_of_month == "*" && self.month == "*" && self.day_of_week == "*"
    }

    fn same_days(&self, other: &Self) -> bool {
        self.day_of_month == other.day_of_month && self.month == other.month && self.day_of_week == other.day_of_week
    }
}

/// Which upstream run a sensor waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alignment {
    /// The upstream run whose logical date is this run's minus `seconds` (negative
    /// when the upstream flow runs later in the day).
    Delta {
        /// `execution_delta` in seconds.
        seconds: i64,
    },
    /// This flow is triggered with a `bizdate` param: the upstream run of that date,
    /// which starts at `minute_of_day` (UTC).
    TriggeredBizdate {
        /// Minutes after midnight of the upstream run's logical date.
        minute_of_day: i64,
    },
    /// The upstream run of this run's business date starts at `minute_of_day` of that
    /// date in `zone`, and no fixed delta finds it every day.
    ZonedRun {
        /// Minutes after midnight, wall-clock time in `zone`.
        minute_of_day: i64,
        /// The upstream flow's zone.
        zone: TimeZone,
        /// This flow's zone, where its business date is the date of its data
        /// interval's start; `None` when it is triggered with a `bizdate` param.
        own_zone: Option<TimeZone>,
    },
}

/// When a flow runs: its schedule, in its time zone, from its first day.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing<'a> {
    /// The schedule.
    pub(crate) schedule: &'a Schedule,
    /// The zone it is in.
    pub(crate) zone: TimeZone,
    /// The first business date, when the flow has a start date.
    pub(crate) start: Option<NaiveDate>,
}

/// How many days of runs are compared to decide that two flows' runs lie a fixed
/// time apart: twenty years from the downstream flow's start.
const ALIGNMENT_HORIZON_DAYS: u64 = 20 * 366;

/// Why two schedules cannot be aligned, for the diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Misalignment {
    /// The upstream flow has no fixed runs (triggered or `@once`).
    UpstreamUnscheduled,
    /// The upstream flow does not run on every day the downstream one does.
    MissingDays {
        /// The upstream cron.
        upstream: String,
        /// The downstream cron.
        downstream: String,
    },
    /// One of them runs more than once a day and they differ.
    SeveralRunsPerDay {
        /// The upstream cron.
        upstream: String,
        /// The downstream cron.
        downstream: String,
    },
    /// One of them runs more than once a day, and they are in different time zones:
    /// the local days of their runs do not line up.
    SeveralRunsPerDayAcrossZones {
        /// The upstream cron and zone.
        upstream: String,
        /// The downstream cron and zone.
        downstream: String,
    },
}

/// How far a wall-clock time of day in a zone lies from the same time in UTC on each
/// day of the horizon from a start date, as the days it changes on: zones change their
/// offset a few times a year at most, so a profile is short, and it is computed once
/// per zone, time and start however many pairs of flows compare it.
#[derive(Debug, Default)]
pub(crate) struct Offsets {
    /// By zone name, minute of the day and start.
    profiles: BTreeMap<(String, i64, NaiveDate), Vec<(u64, i64)>>,
}

impl Offsets {
    /// The profile of `minute` of the day in `zone` from `start`: (day number, seconds
    /// the instant lies after the same wall-clock time in UTC) where it changes, the
    /// first at day 0; `None` for a minute past the day.
    fn profile(&mut self, zone: TimeZone, minute: i64, start: NaiveDate) -> Option<&[(u64, i64)]> {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(minute * 60).ok()?, 0)?;
        let profile = self
            .profiles
            .entry((zone.to_string(), minute, start))
            .or_insert_with(|| {
                let mut changes: Vec<(u64, i64)> = Vec::new();
                for n in 0..ALIGNMENT_HORIZON_DAYS {
                    let Some(day) = start.checked_add_days(Days::new(n)) else {
                        break;
                    };
                    let shift = zone.instant(day, time) - NaiveDateTime::new(day, time).and_utc().timestamp();
                    if changes.last().is_none_or(|(_, last)| *last != shift) {
                        changes.push((n, shift));
                    }
                }
                changes
            });
        Some(profile)
    }
}

/// How a run of `downstream` finds the run of `upstream` with the same business date.
#[cfg(test)]
pub(crate) fn align(upstream: Timing<'_>, downstream: Timing<'_>) -> Result<Alignment, Misalignment> {
    align_with(upstream, downstream, &mut Offsets::default())
}

/// [`align`], with the zones' offset profiles kept in `offsets` for the next pair.
pub(crate) fn align_with(
    upstream: Timing<'_>,
    downstream: Timing<'_>,
    offsets: &mut Offsets,
) -> Result<Alignment, Misalignment> {
    let Some(up) = Cron::of(upstream.schedule) else {
        return Err(Misalignment::UpstreamUnscheduled);
    };
    let Some(down) = Cron::of(downstream.schedule) else {
        // A triggered downstream: match the upstream run of its `bizdate` param.
        return match up.time_of_day() {
            Some(minute_of_day) if up.runs_every_day() && upstream.zone.is_utc() => {
                Ok(Alignment::TriggeredBizdate { minute_of_day })
            }
            Some(minute_of_day) if up.runs_every_day() => Ok(Alignment::ZonedRun {
                minute_of_day,
                zone: upstream.zone,
                own_zone: None,
            }),
            Some(_) => Err(Misalignment::MissingDays {
                upstream: up.expression(),
                downstream: "none (triggered, any day)".to_owned(),
            }),
            None => Err(Misalignment::SeveralRunsPerDay {
                upstream: up.expression(),
                downstream: "none (triggered)".to_owned(),
            }),
        };
    };
    if up == down && upstream.zone == downstream.zone {
        return Ok(Alignment::Delta { seconds: 0 });
    }
    match (up.time_of_day(), down.time_of_day()) {
        (Some(up_minute), Some(down_minute)) => {
            if up.runs_every_day() || up.same_days(&down) {
                let start = downstream
                    .start
                    .or(upstream.start)
                    .or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1))
                    .unwrap_or_default();
                Ok(
                    match fixed_delta(
                        offsets,
                        (upstream.zone, up_minute),
                        (downstream.zone, down_minute),
                        start,
                    ) {
                        Some(seconds) => Alignment::Delta { seconds },
                        None => Alignment::ZonedRun {
                            minute_of_day: up_minute,
                            zone: upstream.zone,
                            own_zone: Some(downstream.zone),
                        },
                    },
                )
            } else {
                Err(Misalignment::MissingDays {
                    upstream: up.expression(),
                    downstream: down.expression(),
                })
            }
        }
        _ if upstream.zone != downstream.zone => Err(Misalignment::SeveralRunsPerDayAcrossZones {
            upstream: format!("{} in {}", up.expression(), upstream.zone),
            downstream: format!("{} in {}", down.expression(), downstream.zone),
        }),
        _ => Err(Misalignment::SeveralRunsPerDay {
            upstream: up.expression(),
            downstream: down.expression(),
        }),
    }
}

/// The seconds from the upstream run to the downstream run of the same business date
/// (the upstream at `up_minute` of the day in `up_zone`, the downstream at
/// `down_minute` in `down_zone`), when it is the same on every day of the horizon
/// from `start`.
fn fixed_delta(
    offsets: &mut Offsets,
    (up_zone, up_minute): (TimeZone, i64),
    (down_zone, down_minute): (TimeZone, i64),
    start: NaiveDate,
) -> Option<i64> {
    let wall = (down_minute - up_minute) * 60;
    if up_zone.is_utc() && down_zone.is_utc() {
        return Some(wall);
    }
    // delta(day) = wall + down's shift(day) - up's shift(day): fixed when the
    // difference of the two profiles is the same on every day.
    let up = offsets.profile(up_zone, up_minute, start)?.to_vec();
    let down = offsets.profile(down_zone, down_minute, start)?;
    let shift_on = |profile: &[(u64, i64)], day: u64| {
        profile
            .iter()
            .take_while(|(from, _)| *from <= day)
            .last()
            .map_or(0, |(_, shift)| *shift)
    };
    let mut days: Vec<u64> = up.iter().chain(down.iter()).map(|(day, _)| *day).collect();
    days.sort_unstable();
    days.dedup();
    let differences: Vec<i64> = days
        .iter()
        .map(|day| shift_on(down, *day) - shift_on(&up, *day))
        .collect();
    let first = *differences.first()?;
    differences.iter().all(|d| *d == first).then_some(wall + first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Timing<'static> {
        zoned(text, TimeZone::UTC)
    }

    fn zoned(text: &str, zone: TimeZone) -> Timing<'static> {
        Timing {
            schedule: Box::leak(Box::new(cron(text))),
            zone,
            start: NaiveDate::from_ymd_opt(2024, 1, 1),
        }
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::named(name).unwrap_or(TimeZone::UTC)
    }

    fn cron(text: &str) -> Schedule {
        if text.starts_with('@') {
            Schedule::Preset(text.to_owned())
        } else if text == "none" {
            Schedule::Triggered
        } else {
            Schedule::Cron(text.to_owned())
        }
    }

    #[test]
    fn daily_flows_align_on_the_same_business_date() {
        assert_eq!(
            align(utc("0 1 * * *"), utc("30 2 * * *")),
            Ok(Alignment::Delta { seconds: 5400 })
        );
        // The upstream runs later in the day: the sensor looks forward.
        assert_eq!(
            align(utc("0 4 * * *"), utc("@daily")),
            Ok(Alignment::Delta { seconds: -14_400 })
        );
        assert_eq!(
            align(utc("15 * * * *"), utc("15 * * * *")),
            Ok(Alignment::Delta { seconds: 0 })
        );
        // A weekly flow may wait for a daily one.
        assert_eq!(
            align(utc("0 1 * * *"), utc("0 6 * * 1")),
            Ok(Alignment::Delta { seconds: 18_000 })
        );
    }

    #[test]
    fn triggered_flows_wait_for_the_run_of_their_bizdate() {
        assert_eq!(
            align(utc("30 2 * * *"), utc("none")),
            Ok(Alignment::TriggeredBizdate { minute_of_day: 150 })
        );
    }

    #[test]
    fn schedules_that_cannot_line_up_are_refused() {
        assert_eq!(
            align(utc("none"), utc("0 1 * * *")),
            Err(Misalignment::UpstreamUnscheduled)
        );
        assert!(matches!(
            align(utc("0 1 * * 1"), utc("0 2 * * *")),
            Err(Misalignment::MissingDays { .. })
        ));
        assert!(matches!(
            align(utc("0 * * * *"), utc("0 2 * * *")),
            Err(Misalignment::SeveralRunsPerDay { .. })
        ));
        assert!(matches!(
            align(utc("0 1,13 * * *"), utc("0 2 * * *")),
            Err(Misalignment::SeveralRunsPerDay { .. })
        ));
    }

    #[test]
    fn fixed_offset_zones_keep_a_fixed_delta() {
        // 01:00 in Shanghai is 17:00 UTC the day before: 10 h before 03:00 UTC.
        assert_eq!(
            align(zoned("0 1 * * *", zone("Asia/Shanghai")), utc("0 3 * * *")),
            Ok(Alignment::Delta { seconds: 36_000 })
        );
        assert_eq!(
            align(
                zoned("0 1 * * *", zone("Asia/Shanghai")),
                zoned("30 2 * * *", zone("Asia/Shanghai"))
            ),
            Ok(Alignment::Delta { seconds: 5400 })
        );
        // A DST zone keeps a fixed delta when no switch falls between the two times.
        assert_eq!(
            align(
                zoned("0 4 * * *", zone("Europe/Berlin")),
                zoned("0 6 * * *", zone("Europe/Berlin"))
            ),
            Ok(Alignment::Delta { seconds: 7200 })
        );
    }

    #[test]
    fn a_switch_between_the_runs_finds_the_upstream_run_by_date() {
        let berlin = zone("Europe/Berlin");
        // The 02:00 → 03:00 jump falls between 01:00 and 03:00: one day a year they
        // are 1 h apart, one day 3 h.
        assert_eq!(
            align(zoned("0 1 * * *", berlin), zoned("0 3 * * *", berlin)),
            Ok(Alignment::ZonedRun {
                minute_of_day: 60,
                zone: berlin,
                own_zone: Some(berlin)
            })
        );
        // Shanghai has no DST, London has: 9 h apart in summer, 10 h in winter.
        let (shanghai, london) = (zone("Asia/Shanghai"), zone("Europe/London"));
        assert_eq!(
            align(zoned("0 1 * * *", shanghai), zoned("0 3 * * *", london)),
            Ok(Alignment::ZonedRun {
                minute_of_day: 60,
                zone: shanghai,
                own_zone: Some(london)
            })
        );
        // A triggered flow waiting for a zoned flow.
        assert_eq!(
            align(zoned("0 1 * * *", shanghai), utc("none")),
            Ok(Alignment::ZonedRun {
                minute_of_day: 60,
                zone: shanghai,
                own_zone: None
            })
        );
    }

    #[test]
    fn several_runs_a_day_need_one_zone() {
        assert_eq!(
            align(utc("0 * * * *"), zoned("0 * * * *", zone("Asia/Shanghai"))),
            Err(Misalignment::SeveralRunsPerDayAcrossZones {
                upstream: "0 * * * * in UTC".to_owned(),
                downstream: "0 * * * * in Asia/Shanghai".to_owned(),
            })
        );
        assert_eq!(
            align(
                zoned("0 * * * *", zone("Asia/Shanghai")),
                zoned("0 * * * *", zone("Asia/Shanghai"))
            ),
            Ok(Alignment::Delta { seconds: 0 })
        );
    }
}
