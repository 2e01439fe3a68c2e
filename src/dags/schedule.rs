//! Schedules as Airflow sees them, and how the runs of two flows line up.
//!
//! Every scheduled flow is rendered with `CronDataIntervalTimetable`, so on Airflow
//! 2.10 and 3.x alike a run's logical date is the start of its data interval and
//! `{{ ds }}` — the business date, `${bizdate}` — is the same. Two runs belong
//! together when they have the same business date; the sensor of a cross-flow
//! dependency waits for the upstream run of its own run's business date.

use crate::model::Schedule;

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
    fn time_of_day(&self) -> Option<i64> {
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
}

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
}

/// How a run of `downstream` finds the run of `upstream` with the same business date.
pub(crate) fn align(upstream: &Schedule, downstream: &Schedule) -> Result<Alignment, Misalignment> {
    let Some(up) = Cron::of(upstream) else {
        return Err(Misalignment::UpstreamUnscheduled);
    };
    let Some(down) = Cron::of(downstream) else {
        // A triggered downstream: match the upstream run of its `bizdate` param.
        return match up.time_of_day() {
            Some(minute_of_day) if up.runs_every_day() => Ok(Alignment::TriggeredBizdate { minute_of_day }),
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
    if up == down {
        return Ok(Alignment::Delta { seconds: 0 });
    }
    match (up.time_of_day(), down.time_of_day()) {
        (Some(up_minute), Some(down_minute)) => {
            if up.runs_every_day() || up.same_days(&down) {
                Ok(Alignment::Delta {
                    seconds: (down_minute - up_minute) * 60,
                })
            } else {
                Err(Misalignment::MissingDays {
                    upstream: up.expression(),
                    downstream: down.expression(),
                })
            }
        }
        _ => Err(Misalignment::SeveralRunsPerDay {
            upstream: up.expression(),
            downstream: down.expression(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            align(&cron("0 1 * * *"), &cron("30 2 * * *")),
            Ok(Alignment::Delta { seconds: 5400 })
        );
        // The upstream runs later in the day: the sensor looks forward.
        assert_eq!(
            align(&cron("0 4 * * *"), &cron("@daily")),
            Ok(Alignment::Delta { seconds: -14_400 })
        );
        assert_eq!(
            align(&cron("15 * * * *"), &cron("15 * * * *")),
            Ok(Alignment::Delta { seconds: 0 })
        );
        // A weekly flow may wait for a daily one.
        assert_eq!(
            align(&cron("0 1 * * *"), &cron("0 6 * * 1")),
            Ok(Alignment::Delta { seconds: 18_000 })
        );
    }

    #[test]
    fn triggered_flows_wait_for_the_run_of_their_bizdate() {
        assert_eq!(
            align(&cron("30 2 * * *"), &cron("none")),
            Ok(Alignment::TriggeredBizdate { minute_of_day: 150 })
        );
    }

    #[test]
    fn schedules_that_cannot_line_up_are_refused() {
        assert_eq!(
            align(&cron("none"), &cron("0 1 * * *")),
            Err(Misalignment::UpstreamUnscheduled)
        );
        assert!(matches!(
            align(&cron("0 1 * * 1"), &cron("0 2 * * *")),
            Err(Misalignment::MissingDays { .. })
        ));
        assert!(matches!(
            align(&cron("0 * * * *"), &cron("0 2 * * *")),
            Err(Misalignment::SeveralRunsPerDay { .. })
        ));
        assert!(matches!(
            align(&cron("0 1,13 * * *"), &cron("0 2 * * *")),
            Err(Misalignment::SeveralRunsPerDay { .. })
        ));
    }
}
