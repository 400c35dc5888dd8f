//! Opening hours of the support line 33 98 00 10, in Copenhagen local time: Monday–Friday
//! 08–20; Saturdays, Sundays and public holidays 10–16.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Europe::Copenhagen;

use super::holidays::{holiday_on, Holiday};

/// The support line's phone number, as printed.
pub const PHONE_NUMBER: &str = "33 98 00 10";

/// What kind of day sets the opening hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Weekday,
    Saturday,
    Sunday,
    Holiday(Holiday),
}

/// The hours the line is open on one day: from `opens` up to (not including) `closes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// Whether the line is open at a moment, why, and when that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineStatus {
    pub open: bool,
    /// Today's hours.
    pub today: DayHours,
    /// When the line next opens (if closed) or closes (if open), local time.
    pub next_change: NaiveDateTime,
}

/// When the line is open, in whole hours from opening up to closing: one span for
/// Monday–Friday and one for Saturdays, Sundays and public holidays. The default is the
/// line's published hours (08–20 and 10–16); an operator may set others in the line's
/// config, and the spoken "closed" message says whichever are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    pub weekdays: (u32, u32),
    pub weekends: (u32, u32),
}

impl Default for OpeningHours {
    fn default() -> Self {
        OpeningHours {
            weekdays: (8, 20),
            weekends: (10, 16),
        }
    }
}

/// Opening hours that cannot be: the span named, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{span} {text:?}: {problem}")]
pub struct HoursError {
    pub span: &'static str,
    pub text: String,
    pub problem: &'static str,
}

/// Parses "8-20": whole hours, opening before closing, within 0–23 (closing may be 24).
pub fn parse_span(span: &'static str, text: &str) -> Result<(u32, u32), HoursError> {
    let error = |problem| HoursError {
        span,
        text: text.to_owned(),
        problem,
    };
    let (open, close) = text
        .split_once('-')
        .ok_or_else(|| error("expected OPEN-CLOSE in whole hours, like 8-20"))?;
    let open: u32 = open
        .trim()
        .parse()
        .map_err(|_| error("the opening hour is not a whole hour"))?;
    let close: u32 = close
        .trim()
        .parse()
        .map_err(|_| error("the closing hour is not a whole hour"))?;
    if open > 23 || close > 24 {
        return Err(error("hours run from 0 to 24"));
    }
    if open >= close {
        return Err(error("the line must open before it closes"));
    }
    Ok((open, close))
}

fn time(hour: u32) -> NaiveTime {
    // 24 is the end of the day: the last representable moment of it.
    NaiveTime::from_hms_opt(hour, 0, 0)
        .or_else(|| NaiveTime::from_hms_milli_opt(23, 59, 59, 999))
        .expect("whole hours 0–24 are valid times")
}

impl OpeningHours {
    /// The opening hours of `date`.
    pub fn hours_on(&self, date: NaiveDate) -> DayHours {
        let kind = match (holiday_on(date), date.weekday()) {
            (Some(holiday), _) => DayKind::Holiday(holiday),
            (None, Weekday::Sat) => DayKind::Saturday,
            (None, Weekday::Sun) => DayKind::Sunday,
            (None, _) => DayKind::Weekday,
        };
        let (opens, closes) = match kind {
            DayKind::Weekday => self.weekdays,
            DayKind::Saturday | DayKind::Sunday | DayKind::Holiday(_) => self.weekends,
        };
        DayHours {
            date,
            kind,
            opens: time(opens),
            closes: time(closes),
        }
    }

    /// The line's status at a Copenhagen local time.
    pub fn status_at(&self, local: NaiveDateTime) -> LineStatus {
        let today = self.hours_on(local.date());
        let now = local.time();
        let (open, next_change) = if now < today.opens {
            (false, local.date().and_time(today.opens))
        } else if now < today.closes {
            (true, local.date().and_time(today.closes))
        } else {
            let tomorrow = self.hours_on(local.date() + Days::new(1));
            (false, tomorrow.date.and_time(tomorrow.opens))
        };
        LineStatus {
            open,
            today,
            next_change,
        }
    }
}

/// The opening hours of `date`, on the line's published hours.
pub fn hours_on(date: NaiveDate) -> DayHours {
    OpeningHours::default().hours_on(date)
}

/// The line's status at a Copenhagen local time, on the line's published hours.
pub fn status_at(local: NaiveDateTime) -> LineStatus {
    OpeningHours::default().status_at(local)
}

/// Copenhagen local time at a UTC instant (CET/CEST, daylight saving from chrono-tz).
pub fn copenhagen_local(utc: DateTime<Utc>) -> NaiveDateTime {
    Copenhagen.from_utc_datetime(&utc.naive_utc()).naive_local()
}

/// The current Copenhagen local time: the clock read by the binary's shell, never by the
/// rules themselves.
pub fn copenhagen_now() -> NaiveDateTime {
    copenhagen_local(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    /// (moment, open?, next change)
    const EDGES: &[(&str, bool, &str)] = &[
        // Wednesday 2026-11-25: weekday 08–20.
        ("2026-11-25 07:59", false, "2026-11-25 08:00"),
        ("2026-11-25 08:00", true, "2026-11-25 20:00"),
        ("2026-11-25 19:59", true, "2026-11-25 20:00"),
        ("2026-11-25 20:00", false, "2026-11-26 08:00"),
        // Friday evening → Saturday 10:00.
        ("2026-11-27 20:00", false, "2026-11-28 10:00"),
        ("2026-11-28 09:59", false, "2026-11-28 10:00"),
        ("2026-11-28 10:00", true, "2026-11-28 16:00"),
        ("2026-11-28 15:59", true, "2026-11-28 16:00"),
        ("2026-11-28 16:00", false, "2026-11-29 10:00"),
        // Sunday evening → Monday 08:00.
        ("2026-11-29 16:00", false, "2026-11-30 08:00"),
        // A weekday holiday: Maundy Thursday 2026-04-02 opens at 10, not 8.
        ("2026-04-02 08:00", false, "2026-04-02 10:00"),
        ("2026-04-02 10:00", true, "2026-04-02 16:00"),
        // Easter Monday 2026-04-06 → Tuesday 08:00.
        ("2026-04-06 16:00", false, "2026-04-07 08:00"),
        // Wednesday before Maundy Thursday: next opening is 10:00 the holiday.
        ("2026-04-01 20:00", false, "2026-04-02 10:00"),
        // New Year across years: 31 Dec (a Thursday in 2026) → 1 Jan 2027 10:00.
        ("2026-12-31 20:00", false, "2027-01-01 10:00"),
        ("2027-01-01 09:59", false, "2027-01-01 10:00"),
        // Great Prayer Day: a holiday in 2023, a weekday in 2024.
        ("2023-05-05 08:30", false, "2023-05-05 10:00"),
        ("2024-04-26 08:30", true, "2024-04-26 20:00"),
        // Christmas Eve is an ordinary weekday.
        ("2025-12-24 08:00", true, "2025-12-24 20:00"),
        ("2025-12-24 20:00", false, "2025-12-25 10:00"),
        // Midnight.
        ("2026-11-25 00:00", false, "2026-11-25 08:00"),
        ("2026-11-25 23:59", false, "2026-11-26 08:00"),
    ];

    #[test]
    fn opening_and_closing_minutes() {
        for (moment, open, next) in EDGES {
            let status = status_at(at(moment));
            assert_eq!(status.open, *open, "{moment}");
            assert_eq!(status.next_change, at(next), "{moment}");
        }
    }

    #[test]
    fn opening_minutes_in_utc_across_daylight_saving() {
        let utc = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        for (instant, open) in [
            // Winter (CET, UTC+1): Monday 2026-03-23 opens 07:00 UTC.
            ("2026-03-23T06:59:00Z", false),
            ("2026-03-23T07:00:00Z", true),
            ("2026-03-23T18:59:00Z", true),
            ("2026-03-23T19:00:00Z", false),
            // Summer (CEST, UTC+2) from Sunday 2026-03-29: Monday opens 06:00 UTC.
            ("2026-03-30T05:59:00Z", false),
            ("2026-03-30T06:00:00Z", true),
            ("2026-03-30T17:59:00Z", true),
            ("2026-03-30T18:00:00Z", false),
            // The switch-over Sunday itself opens 10:00 CEST = 08:00 UTC.
            ("2026-03-29T07:59:00Z", false),
            ("2026-03-29T08:00:00Z", true),
            // Back to CET on Sunday 2026-10-25: 10:00 CET = 09:00 UTC.
            ("2026-10-25T08:59:00Z", false),
            ("2026-10-25T09:00:00Z", true),
        ] {
            assert_eq!(
                status_at(copenhagen_local(utc(instant))).open,
                open,
                "{instant}"
            );
        }
        assert_eq!(
            copenhagen_local(utc("2026-03-29T01:00:00Z")),
            at("2026-03-29 03:00")
        );
    }

    #[test]
    fn day_kinds() {
        let date = |t: &str| t.parse::<NaiveDate>().unwrap();
        assert_eq!(hours_on(date("2026-11-25")).kind, DayKind::Weekday);
        assert_eq!(hours_on(date("2026-11-28")).kind, DayKind::Saturday);
        assert_eq!(hours_on(date("2026-11-29")).kind, DayKind::Sunday);
        // Christmas Day on a Friday is a holiday, not a weekday.
        assert_eq!(
            hours_on(date("2026-12-25")).kind,
            DayKind::Holiday(Holiday::ChristmasDay)
        );
        // Easter Sunday is reported as the holiday, not as Sunday.
        assert_eq!(
            hours_on(date("2026-04-05")).kind,
            DayKind::Holiday(Holiday::EasterSunday)
        );
    }

    proptest::proptest! {
        #[test]
        fn next_change_is_in_the_future_and_flips_the_status(
            days in 0u64..20_000, minute in 0u32..(24 * 60)
        ) {
            let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Days::new(days);
            let moment = start.and_hms_opt(minute / 60, minute % 60, 0).unwrap();
            let status = status_at(moment);
            proptest::prop_assert!(status.next_change > moment);
            proptest::prop_assert_ne!(status_at(status.next_change).open, status.open);
            let just_before = status.next_change - chrono::Duration::minutes(1);
            proptest::prop_assert_eq!(status_at(just_before).open, status.open);
        }
    }
}
