//! Danish CPR numbers (DDMMYY-SSSS): parsing, the birth date with its century, and age.
//! The modulus-11 check is deliberately not applied: numbers issued since 2007 may fail it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A CPR number whose date part is a real date. Displayed as `DDMMYY-SSSS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpr {
    birth_date: NaiveDate,
    sequence: u16,
}

/// What is wrong with a CPR number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    #[error("CPR number {0:?} must be ten digits as DDMMYY-SSSS")]
    Format(String),
    #[error("CPR number {text:?}: {day:02}-{month:02}-{year} is not a real date")]
    NoSuchDate {
        text: String,
        day: u32,
        month: u32,
        year: i32,
    },
}

impl Cpr {
    /// The holder's date of birth, with the century from the 7th digit.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The holder's age in whole years on `date` (a person born on 29 February turns a year
    /// older on 1 March in common years). Zero for dates before birth.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        date.years_since(self.birth_date).unwrap_or(0)
    }
}

/// The century of a CPR birth year (cpr.dk): from the 7th digit and the two-digit year.
fn century(seventh_digit: u32, yy: u32) -> i32 {
    match (seventh_digit, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (_, 0..=57) => 2000,
        (_, _) => 1800,
    }
}

impl FromStr for Cpr {
    type Err = CprError;

    /// Accepts `DDMMYY-SSSS` and `DDMMYYSSSS`, surrounding spaces ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if !trimmed.is_ascii() {
            return Err(CprError::Format(text.to_owned()));
        }
        let digits: String = match trimmed.len() {
            11 if trimmed.as_bytes()[6] == b'-' => [&trimmed[..6], &trimmed[7..]].concat(),
            10 => trimmed.to_owned(),
            _ => return Err(CprError::Format(text.to_owned())),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CprError::Format(text.to_owned()));
        }
        let number = |range: std::ops::Range<usize>| -> u32 {
            digits[range].parse().expect("checked to be ASCII digits")
        };
        let (day, month, yy) = (number(0..2), number(2..4), number(4..6));
        let year = century(number(6..7), yy) + yy as i32;
        let birth_date =
            NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| CprError::NoSuchDate {
                text: text.to_owned(),
                day,
                month,
                year,
            })?;
        Ok(Cpr {
            birth_date,
            sequence: number(6..10) as u16,
        })
    }
}

impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.birth_date;
        write!(
            f,
            "{:02}{:02}{:02}-{:04}",
            d.day(),
            d.month(),
            d.year().rem_euclid(100),
            self.sequence
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn century_table_edges() {
        // (CPR, birth date) along every edge of the cpr.dk table.
        for (cpr, born) in [
            ("010100-0000", "1900-01-01"),
            ("010199-3999", "1999-01-01"),
            ("010136-4000", "2036-01-01"),
            ("010137-4000", "1937-01-01"),
            ("010199-4000", "1999-01-01"),
            ("010136-9999", "2036-01-01"),
            ("010137-9999", "1937-01-01"),
            ("010157-5000", "2057-01-01"),
            ("010158-5000", "1858-01-01"),
            ("010100-8999", "2000-01-01"),
            ("311299-8999", "1899-12-31"),
            ("010157-8000", "2057-01-01"),
        ] {
            assert_eq!(
                cpr.parse::<Cpr>().unwrap().birth_date(),
                date(born),
                "{cpr}"
            );
        }
    }

    #[test]
    fn dates_must_be_real() {
        assert!(matches!(
            "290201-4000".parse::<Cpr>(),
            Err(CprError::NoSuchDate { year: 2001, .. })
        ));
        assert_eq!(
            "290200-4000".parse::<Cpr>().unwrap().birth_date(),
            date("2000-02-29")
        );
        // 1900 was not a leap year.
        assert!("290200-1000".parse::<Cpr>().is_err());
        assert!("320190-1234".parse::<Cpr>().is_err());
        assert!("011390-1234".parse::<Cpr>().is_err());
        assert!("000190-1234".parse::<Cpr>().is_err());
    }

    #[test]
    fn formats() {
        assert!("0101901234".parse::<Cpr>().is_ok());
        assert!(" 010190-1234 ".parse::<Cpr>().is_ok());
        for bad in [
            "",
            "010190-123",
            "010190+1234",
            "01019O-1234",
            "010190-12345",
            "0101901-234",
        ] {
            assert!(
                matches!(bad.parse::<Cpr>(), Err(CprError::Format(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn modulus_11_failures_are_accepted() {
        // 010190-1235 fails the modulus-11 check; the number is still valid.
        assert!("010190-1235".parse::<Cpr>().is_ok());
    }

    #[test]
    fn ages_at_birthdays() {
        let cpr: Cpr = "150608-4123".parse().unwrap(); // born 2008-06-15
        assert_eq!(cpr.age_on(date("2026-06-14")), 17);
        assert_eq!(cpr.age_on(date("2026-06-15")), 18);
        assert_eq!(cpr.age_on(date("2000-01-01")), 0);
        let leapling: Cpr = "290208-4123".parse().unwrap();
        assert_eq!(leapling.age_on(date("2026-02-28")), 17);
        assert_eq!(leapling.age_on(date("2026-03-01")), 18);
        assert_eq!(leapling.age_on(date("2028-02-29")), 20);
    }

    proptest::proptest! {
        #[test]
        fn display_round_trips(day in 0u64..80_000, seq in 0u16..10_000) {
            let birth = NaiveDate::from_ymd_opt(1858, 1, 1).unwrap() + chrono::Days::new(day);
            proptest::prop_assume!(birth.year() <= 2057);
            let seventh = seq / 1000;
            let yy = birth.year().rem_euclid(100) as u32;
            proptest::prop_assume!(century(u32::from(seventh), yy) + yy as i32 == birth.year());
            let cpr = Cpr { birth_date: birth, sequence: seq };
            proptest::prop_assert_eq!(cpr.to_string().parse::<Cpr>().unwrap(), cpr);
        }

        #[test]
        fn never_panics(text in "\\PC{0,14}") {
            let _ = text.parse::<Cpr>();
        }
    }
}
