//! Whether a person may be a witness when someone gets MitID at Borgerservice: 18 or
//! older, MitID for more than 30 days, at most 3 people witnessed within any 120 days, and
//! they must bring valid photo ID and their MitID.

use chrono::{Days, NaiveDate};

use super::cpr::Cpr;

/// The most people one witness may vouch for within [`WINDOW_DAYS`].
pub const MAX_WITNESSED: usize = 3;
/// The length of the rolling window, in days, counting the day of the new witnessing.
pub const WINDOW_DAYS: u64 = 120;
/// A witness must have had MitID for more than this many days.
pub const MITID_MIN_DAYS: i64 = 30;
/// A witness must be at least this old.
pub const MIN_AGE: u32 = 18;

/// The facts about a would-be witness, as told on the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessFacts {
    pub cpr: Cpr,
    pub mitid_since: NaiveDate,
    /// The dates they have witnessed for someone before.
    pub witnessed: Vec<NaiveDate>,
}

/// One rule and how the facts fare against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Age {
        age: u32,
        ok: bool,
        /// The day they turn 18, when they are younger.
        turns_18: Option<NaiveDate>,
    },
    MitidAge {
        days: i64,
        ok: bool,
        /// The first day they have had MitID for more than 30 days.
        ok_from: NaiveDate,
    },
    Witnessed {
        within_window: usize,
        ok: bool,
        /// The first day they may witness again, when at the limit.
        ok_from: Option<NaiveDate>,
    },
    /// Dates given that lie after the day of the check.
    FutureDates(Vec<NaiveDate>),
    /// Not checkable on the phone; always told to the caller.
    BringPhotoIdAndMitid,
}

impl Reason {
    /// Whether this reason allows the person to witness.
    pub fn ok(&self) -> bool {
        match self {
            Reason::Age { ok, .. } | Reason::MitidAge { ok, .. } | Reason::Witnessed { ok, .. } => {
                *ok
            }
            Reason::FutureDates(_) => false,
            Reason::BringPhotoIdAndMitid => true,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok() { "ok" } else { "NOT OK" };
        match self {
            Reason::Age { age, turns_18, .. } => {
                write!(f, "{mark}: age {age} (must be {MIN_AGE} or older)")?;
                if let Some(day) = turns_18 {
                    write!(f, "; turns {MIN_AGE} on {day}")?;
                }
                Ok(())
            }
            Reason::MitidAge { days, ok_from, ok } => {
                write!(
                    f,
                    "{mark}: has had MitID for {days} days (must be more than {MITID_MIN_DAYS})"
                )?;
                if !ok {
                    write!(f, "; long enough from {ok_from}")?;
                }
                Ok(())
            }
            Reason::Witnessed {
                within_window,
                ok_from,
                ..
            } => {
                let people = if *within_window == 1 {
                    "person"
                } else {
                    "people"
                };
                write!(
                    f,
                    "{mark}: has witnessed for {within_window} {people} within the last \
                     {WINDOW_DAYS} days (at most {MAX_WITNESSED})"
                )?;
                if let Some(day) = ok_from {
                    write!(f, "; may witness again from {day}")?;
                }
                Ok(())
            }
            Reason::FutureDates(days) => {
                let list: Vec<String> = days.iter().map(|d| d.to_string()).collect();
                write!(
                    f,
                    "{mark}: dates after the day of the check: {}",
                    list.join(", ")
                )
            }
            Reason::BringPhotoIdAndMitid => {
                write!(
                    f,
                    "reminder: the witness must bring valid photo ID and their MitID"
                )
            }
        }
    }
}

/// The verdict: eligible when every reason is ok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessVerdict {
    pub reasons: Vec<Reason>,
}

impl WitnessVerdict {
    pub fn eligible(&self) -> bool {
        self.reasons.iter().all(Reason::ok)
    }
}

/// Checks a would-be witness on day `on` (the day they would witness).
pub fn check_witness(facts: &WitnessFacts, on: NaiveDate) -> WitnessVerdict {
    let age = facts.cpr.age_on(on);
    let turns_18 = (age < MIN_AGE).then(|| {
        // 29 February + 18 years lands on 28 February in a common year, a day too early.
        let birthday = facts.cpr.birth_date() + chrono::Months::new(12 * MIN_AGE);
        if facts.cpr.age_on(birthday) < MIN_AGE {
            birthday + Days::new(1)
        } else {
            birthday
        }
    });
    let days = (on - facts.mitid_since).num_days();
    let mitid_ok_from = facts.mitid_since + Days::new(MITID_MIN_DAYS as u64 + 1);

    let future: Vec<NaiveDate> = facts
        .witnessed
        .iter()
        .copied()
        .filter(|day| *day > on)
        .collect();
    let mut recent: Vec<NaiveDate> = facts
        .witnessed
        .iter()
        .copied()
        .filter(|day| *day <= on && (on - *day).num_days() < WINDOW_DAYS as i64)
        .collect();
    recent.sort();
    let witnessed_ok = recent.len() < MAX_WITNESSED;
    // Drop the oldest until fewer than MAX remain: the window must then start after the
    // (len - MAX)-th oldest date.
    let witnessed_ok_from =
        (!witnessed_ok).then(|| recent[recent.len() - MAX_WITNESSED] + Days::new(WINDOW_DAYS));

    let mut reasons = vec![
        Reason::Age {
            age,
            ok: age >= MIN_AGE,
            turns_18,
        },
        Reason::MitidAge {
            days,
            ok: days > MITID_MIN_DAYS,
            ok_from: mitid_ok_from,
        },
        Reason::Witnessed {
            within_window: recent.len(),
            ok: witnessed_ok,
            ok_from: witnessed_ok_from,
        },
    ];
    if !future.is_empty() {
        reasons.push(Reason::FutureDates(future));
    }
    reasons.push(Reason::BringPhotoIdAndMitid);
    WitnessVerdict { reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn facts(cpr: &str, since: &str, witnessed: &[&str]) -> WitnessFacts {
        WitnessFacts {
            cpr: cpr.parse().unwrap(),
            mitid_since: date(since),
            witnessed: witnessed.iter().map(|d| date(d)).collect(),
        }
    }

    #[test]
    fn the_day_someone_turns_18() {
        // Born 2008-06-15 (7th digit 4, YY 08 → 2000s).
        let f = facts("150608-4123", "2020-01-01", &[]);
        let before = check_witness(&f, date("2026-06-14"));
        assert!(!before.eligible());
        assert_eq!(
            before.reasons[0],
            Reason::Age {
                age: 17,
                ok: false,
                turns_18: Some(date("2026-06-15"))
            }
        );
        assert!(check_witness(&f, date("2026-06-15")).eligible());
    }

    #[test]
    fn leapling_turns_18_on_1_march() {
        let f = facts("290208-4123", "2020-01-01", &[]);
        let verdict = check_witness(&f, date("2026-02-28"));
        assert_eq!(
            verdict.reasons[0],
            Reason::Age {
                age: 17,
                ok: false,
                turns_18: Some(date("2026-03-01"))
            }
        );
        assert!(check_witness(&f, date("2026-03-01")).eligible());
    }

    #[test]
    fn day_30_and_31_of_mitid() {
        let f = facts("010180-1234", "2026-01-01", &[]);
        // 30 days after 1 January is 31 January: not more than 30.
        let day30 = check_witness(&f, date("2026-01-31"));
        assert!(!day30.eligible());
        assert_eq!(
            day30.reasons[1],
            Reason::MitidAge {
                days: 30,
                ok: false,
                ok_from: date("2026-02-01")
            }
        );
        assert!(check_witness(&f, date("2026-02-01")).eligible());
        // MitID issued in the future (a typing error) is not ok.
        assert!(!check_witness(&f, date("2025-12-31")).eligible());
    }

    #[test]
    fn the_120th_day() {
        // Witnessed three times; the oldest on 2026-01-01. Day 120 of the window that
        // starts on 2026-01-01 is 2026-04-30; from 2026-05-01 it has dropped out.
        let f = facts(
            "010180-1234",
            "2020-01-01",
            &["2026-01-01", "2026-02-01", "2026-03-01"],
        );
        let on_day_120 = check_witness(&f, date("2026-04-30"));
        assert!(!on_day_120.eligible());
        assert_eq!(
            on_day_120.reasons[2],
            Reason::Witnessed {
                within_window: 3,
                ok: false,
                ok_from: Some(date("2026-05-01"))
            }
        );
        let day_121 = check_witness(&f, date("2026-05-01"));
        assert!(day_121.eligible());
        assert_eq!(
            day_121.reasons[2],
            Reason::Witnessed {
                within_window: 2,
                ok: true,
                ok_from: None
            }
        );
    }

    #[test]
    fn two_recent_witnessings_are_fine_and_four_wait_for_the_second_oldest() {
        let two = facts("010180-1234", "2020-01-01", &["2026-03-01", "2026-03-02"]);
        assert!(check_witness(&two, date("2026-03-03")).eligible());
        let four = facts(
            "010180-1234",
            "2020-01-01",
            &["2026-03-04", "2026-03-01", "2026-03-03", "2026-03-02"],
        );
        let verdict = check_witness(&four, date("2026-03-05"));
        // Fewer than 3 in the window once 03-01 and 03-02 have dropped out.
        assert_eq!(
            verdict.reasons[2],
            Reason::Witnessed {
                within_window: 4,
                ok: false,
                ok_from: Some(date("2026-06-30"))
            }
        );
        assert!(check_witness(&four, date("2026-06-30")).eligible());
        assert!(!check_witness(&four, date("2026-06-29")).eligible());
    }

    #[test]
    fn future_witness_dates_are_flagged() {
        let f = facts("010180-1234", "2020-01-01", &["2026-12-01"]);
        let verdict = check_witness(&f, date("2026-11-25"));
        assert!(!verdict.eligible());
        assert!(verdict
            .reasons
            .contains(&Reason::FutureDates(vec![date("2026-12-01")])));
    }

    #[test]
    fn every_verdict_reminds_of_photo_id_and_mitid() {
        let f = facts("010180-1234", "2020-01-01", &[]);
        let verdict = check_witness(&f, date("2026-11-25"));
        assert!(verdict.eligible());
        assert_eq!(verdict.reasons.last(), Some(&Reason::BringPhotoIdAndMitid));
    }

    proptest::proptest! {
        #[test]
        fn ok_from_is_the_first_day_the_limit_allows(
            offsets in proptest::collection::vec(0u64..400, 0..8),
        ) {
            let base = date("2025-01-01");
            let f = WitnessFacts {
                cpr: "010180-1234".parse().unwrap(),
                mitid_since: base,
                witnessed: offsets.iter().map(|o| base + Days::new(*o)).collect(),
            };
            let limit_ok = |on: NaiveDate| {
                check_witness(&f, on)
                    .reasons
                    .iter()
                    .any(|r| matches!(r, Reason::Witnessed { ok: true, .. }))
            };
            let on = base + Days::new(400);
            for reason in check_witness(&f, on).reasons {
                if let Reason::Witnessed { ok: false, ok_from, .. } = reason {
                    let day = ok_from.expect("a date is given when at the limit");
                    proptest::prop_assert!(limit_ok(day));
                    proptest::prop_assert!(!limit_ok(day - Days::new(1)));
                }
            }
        }
    }
}
