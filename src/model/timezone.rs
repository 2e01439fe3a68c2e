//! The time zone a flow's schedule and business dates are in: an IANA name, checked
//! against the time-zone database compiled into flowc (chrono-tz), so the same
//! repository compiles the same on every machine.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone as _};
use chrono_tz::Tz;

use crate::diagnostic::suggest::closest;

/// An IANA time zone, e.g. `Asia/Shanghai`; `UTC` when a repository names none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    /// UTC, the zone of a repository without `timezone`.
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// The zone of an exact IANA name; `None` for a name the database does not hold.
    pub fn named(name: &str) -> Option<Self> {
        Tz::from_str(name).ok().map(TimeZone)
    }

    /// The name of a zone that `name` is a near miss of: the same name in other case
    /// (`asia/shanghai`), or a close spelling (`Asia/Shangai`).
    pub fn suggestion(name: &str) -> Option<&'static str> {
        if let Ok(zone) = Tz::from_str_insensitive(name) {
            return Some(zone.name());
        }
        closest(name, chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name()))
    }

    /// The `help:` of a name that is not a zone: the zone it is a near miss of, or
    /// what a zone name looks like.
    pub fn help_for(name: &str) -> String {
        Self::suggestion(name).map_or_else(
            || "write an IANA time zone name, e.g. `Asia/Shanghai`, `Europe/Berlin` or `UTC`".to_owned(),
            |zone| format!("did you mean `{zone}`?"),
        )
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Whether this is UTC itself (not a zone that happens to be at +00:00).
    pub fn is_utc(self) -> bool {
        self == Self::UTC
    }

    /// The instant, as seconds since the epoch, of the wall-clock time `time` on
    /// `date` in this zone, resolved the way Airflow's cron timetables resolve the
    /// time of a run: a time that occurs twice (the clocks go back) is the second
    /// one; a time the clocks skip is read with the offset before the jump (02:30
    /// on a day that jumps from 02:00 to 03:00 is 03:30 of the new offset).
    pub fn instant(self, date: NaiveDate, time: NaiveTime) -> i64 {
        let local = NaiveDateTime::new(date, time);
        match self.0.from_local_datetime(&local) {
            chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(_, at) => at.timestamp(),
            chrono::LocalResult::None => {
                // The offset in force a day before: the jump is never longer than that.
                let before = local - chrono::Duration::days(1);
                let offset = self
                    .0
                    .offset_from_local_datetime(&before)
                    .earliest()
                    .map_or(0, |o| i64::from(o.fix().local_minus_utc()));
                local.and_utc().timestamp() - offset
            }
        }
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    #[test]
    fn names_are_exact_iana_names() {
        assert_eq!(
            TimeZone::named("Asia/Shanghai").map(TimeZone::name),
            Some("Asia/Shanghai")
        );
        assert_eq!(TimeZone::named("UTC"), Some(TimeZone::UTC));
        assert!(TimeZone::UTC.is_utc());
        assert!(!TimeZone::named("Etc/UTC").is_some_and(TimeZone::is_utc));
        assert_eq!(TimeZone::named("asia/shanghai"), None);
        assert_eq!(TimeZone::named("Asia/Shangai"), None);
        assert_eq!(TimeZone::named("+08:00"), None);
    }

    #[test]
    fn near_misses_suggest_the_zone() {
        assert_eq!(TimeZone::suggestion("asia/shanghai"), Some("Asia/Shanghai"));
        assert_eq!(TimeZone::suggestion("Asia/Shangai"), Some("Asia/Shanghai"));
        assert_eq!(TimeZone::suggestion("Europe/Berln"), Some("Europe/Berlin"));
        assert_eq!(TimeZone::suggestion("Mars/Olympus_Mons"), None);
    }

    #[test]
    fn wall_times_resolve_like_airflow() {
        let shanghai = TimeZone::named("Asia/Shanghai").unwrap_or(TimeZone::UTC);
        // 2024-03-05 01:00 +08:00 is 2024-03-04 17:00 UTC.
        assert_eq!(shanghai.instant(day(2024, 3, 5), at(1, 0)), 1_709_571_600);
        let berlin = TimeZone::named("Europe/Berlin").unwrap_or(TimeZone::UTC);
        // Spring forward: 02:30 does not exist on 2024-03-31; it is 03:30 CEST (01:30 UTC).
        assert_eq!(berlin.instant(day(2024, 3, 31), at(2, 30)), 1_711_848_600);
        // Fall back: 02:30 happens twice on 2024-10-27; the second (CET, 01:30 UTC).
        assert_eq!(berlin.instant(day(2024, 10, 27), at(2, 30)), 1_729_992_600);
        // A day of 23 hours: 01:00 on 31 March to 01:00 on 1 April.
        let length = berlin.instant(day(2024, 4, 1), at(1, 0)) - berlin.instant(day(2024, 3, 31), at(1, 0));
        assert_eq!(length, 23 * 3600);
    }
}
