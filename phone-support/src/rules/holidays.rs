//! Danish public holidays (helligdage), computed from the Gregorian Easter date.

use chrono::{Datelike, Days, NaiveDate};

/// The first and last years the holiday rules are computed for (the Gregorian calendar in
/// Denmark starts in 1700; chrono's dates end at 262143).
pub const YEARS: std::ops::RangeInclusive<i32> = 1700..=9999;

/// A Danish public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holiday {
    NewYearsDay,
    MaundyThursday,
    GoodFriday,
    EasterSunday,
    EasterMonday,
    /// Store bededag, E+26; abolished from 2024.
    GreatPrayerDay,
    AscensionDay,
    WhitSunday,
    WhitMonday,
    ChristmasDay,
    SecondDayOfChristmas,
}

impl Holiday {
    /// The Danish name, as said on the line.
    pub fn name_da(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "Nytårsdag",
            Holiday::MaundyThursday => "Skærtorsdag",
            Holiday::GoodFriday => "Langfredag",
            Holiday::EasterSunday => "Påskedag",
            Holiday::EasterMonday => "2. påskedag",
            Holiday::GreatPrayerDay => "Store bededag",
            Holiday::AscensionDay => "Kristi himmelfartsdag",
            Holiday::WhitSunday => "Pinsedag",
            Holiday::WhitMonday => "2. pinsedag",
            Holiday::ChristmasDay => "Juledag",
            Holiday::SecondDayOfChristmas => "2. juledag",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "New Year's Day",
            Holiday::MaundyThursday => "Maundy Thursday",
            Holiday::GoodFriday => "Good Friday",
            Holiday::EasterSunday => "Easter Sunday",
            Holiday::EasterMonday => "Easter Monday",
            Holiday::GreatPrayerDay => "Great Prayer Day",
            Holiday::AscensionDay => "Ascension Day",
            Holiday::WhitSunday => "Whit Sunday",
            Holiday::WhitMonday => "Whit Monday",
            Holiday::ChristmasDay => "Christmas Day",
            Holiday::SecondDayOfChristmas => "Second Day of Christmas",
        }
    }
}

/// A year the holiday rules are not computed for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("year {0} is outside the supported range 1700–9999")]
pub struct YearOutOfRange(pub i32);

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, also known as
/// Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Result<NaiveDate, YearOutOfRange> {
    if !YEARS.contains(&year) {
        return Err(YearOutOfRange(year));
    }
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The algorithm only yields 22 March – 25 April, always a real date.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).ok_or(YearOutOfRange(year))
}

/// Every public holiday of `year`, in date order.
pub fn holidays(year: i32) -> Result<Vec<(NaiveDate, Holiday)>, YearOutOfRange> {
    let easter = easter_sunday(year)?;
    let from_easter = |offset: i64| {
        if offset < 0 {
            easter - Days::new(offset.unsigned_abs())
        } else {
            easter + Days::new(offset as u64)
        }
    };
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day).ok_or(YearOutOfRange(year));
    let mut days = vec![
        (fixed(1, 1)?, Holiday::NewYearsDay),
        (from_easter(-3), Holiday::MaundyThursday),
        (from_easter(-2), Holiday::GoodFriday),
        (easter, Holiday::EasterSunday),
        (from_easter(1), Holiday::EasterMonday),
        (from_easter(39), Holiday::AscensionDay),
        (from_easter(49), Holiday::WhitSunday),
        (from_easter(50), Holiday::WhitMonday),
        (fixed(12, 25)?, Holiday::ChristmasDay),
        (fixed(12, 26)?, Holiday::SecondDayOfChristmas),
    ];
    if year <= 2023 {
        days.push((from_easter(26), Holiday::GreatPrayerDay));
    }
    days.sort_by_key(|(date, _)| *date);
    Ok(days)
}

/// The holiday falling on `date`, if any.
pub fn holiday_on(date: NaiveDate) -> Option<Holiday> {
    holidays(date.year())
        .ok()?
        .into_iter()
        .find(|(day, _)| *day == date)
        .map(|(_, holiday)| holiday)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn easter_sundays_match_published_dates() {
        for (year, expected) in [
            (1818, "1818-03-22"), // earliest possible
            (1943, "1943-04-25"), // latest possible
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2023, "2023-04-09"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year).unwrap(), date(expected), "{year}");
        }
    }

    #[test]
    fn holidays_2023_include_great_prayer_day_and_2024_does_not() {
        let y2023 = holidays(2023).unwrap();
        assert!(y2023.contains(&(date("2023-05-05"), Holiday::GreatPrayerDay)));
        assert_eq!(y2023.len(), 11);
        let y2024 = holidays(2024).unwrap();
        assert!(y2024.iter().all(|(_, h)| *h != Holiday::GreatPrayerDay));
        assert_eq!(y2024.len(), 10);
        assert_eq!(holiday_on(date("2024-04-26")), None);
    }

    #[test]
    fn holidays_2024_in_full() {
        let expected = [
            ("2024-01-01", Holiday::NewYearsDay),
            ("2024-03-28", Holiday::MaundyThursday),
            ("2024-03-29", Holiday::GoodFriday),
            ("2024-03-31", Holiday::EasterSunday),
            ("2024-04-01", Holiday::EasterMonday),
            ("2024-05-09", Holiday::AscensionDay),
            ("2024-05-19", Holiday::WhitSunday),
            ("2024-05-20", Holiday::WhitMonday),
            ("2024-12-25", Holiday::ChristmasDay),
            ("2024-12-26", Holiday::SecondDayOfChristmas),
        ]
        .map(|(d, h)| (date(d), h));
        assert_eq!(holidays(2024).unwrap(), expected);
    }

    #[test]
    fn easter_based_holidays_cross_month_boundaries() {
        // 2025: Easter 20 April, Ascension 29 May, Whit Monday 9 June.
        assert_eq!(holiday_on(date("2025-05-29")), Some(Holiday::AscensionDay));
        assert_eq!(holiday_on(date("2025-06-09")), Some(Holiday::WhitMonday));
        // 2008: Easter 23 March, Maundy Thursday 20 March, Whit Monday 12 May.
        assert_eq!(
            holiday_on(date("2008-03-20")),
            Some(Holiday::MaundyThursday)
        );
        assert_eq!(holiday_on(date("2008-05-12")), Some(Holiday::WhitMonday));
        // 2026: Easter 5 April, Maundy Thursday 2 April, Great Prayer Day gone.
        assert_eq!(
            holiday_on(date("2026-04-02")),
            Some(Holiday::MaundyThursday)
        );
        assert_eq!(holiday_on(date("2026-05-01")), None);
    }

    #[test]
    fn not_holidays() {
        for day in ["2024-06-05", "2024-12-24", "2024-12-31", "2025-12-27"] {
            assert_eq!(holiday_on(date(day)), None, "{day}");
        }
    }

    #[test]
    fn years_outside_range_are_errors() {
        assert_eq!(holidays(1699), Err(YearOutOfRange(1699)));
        assert_eq!(holidays(10000), Err(YearOutOfRange(10000)));
        assert!(holidays(1700).is_ok());
        assert!(holidays(9999).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1700i32..=9999) {
            let easter = easter_sunday(year).unwrap();
            proptest::prop_assert_eq!(easter.weekday(), chrono::Weekday::Sun);
            let earliest = NaiveDate::from_ymd_opt(year, 3, 22).unwrap();
            let latest = NaiveDate::from_ymd_opt(year, 4, 25).unwrap();
            proptest::prop_assert!(earliest <= easter && easter <= latest);
        }
    }
}
