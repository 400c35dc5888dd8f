//! The rules, as pure functions of a device's counters, the typed code and the time:
//! TOTP ±1 step with drift following and replay refusal, HOTP look-ahead and resync,
//! MitID's block after the 3rd wrong code with growing back-off, and activation codes
//! (48 h on paper, 30 min by SMS, blocked after 3 wrong entries).
//!
//! Architecture invariant: nothing here does I/O or reads a clock.

use otp::{Code, CodeError, Hotp, Totp, Window};
use serde::{Deserialize, Serialize};

/// TOTP codes are accepted this many steps either side of the expected step.
pub const TOTP_WINDOW: u64 = 1;
/// HOTP codes are accepted this many counters ahead of the expected counter.
pub const HOTP_LOOK_AHEAD: u64 = 10;
/// HOTP resync: two consecutive codes this far ahead re-align the counter.
pub const HOTP_RESYNC_WINDOW: u64 = 100;
/// Consecutive wrong codes that block a device (MitID: the 3rd wrong code).
pub const MAX_FAILURES: u32 = 3;
/// The first block lasts this long; each further block doubles it, up to a day.
pub const FIRST_BLOCK_MS: i64 = 60_000;
pub const LONGEST_BLOCK_MS: i64 = 24 * 3600 * 1000;
/// Wrong entries that block an activation code.
pub const MAX_ACTIVATION_ATTEMPTS: u32 = 3;

/// How a device makes codes.
#[derive(Debug, Clone)]
pub enum Generator {
    Hotp(Hotp),
    Totp(Totp),
}

impl Generator {
    fn hotp(&self) -> &Hotp {
        match self {
            Generator::Hotp(hotp) => hotp,
            Generator::Totp(totp) => totp.hotp(),
        }
    }

    /// "totp" or "hotp".
    pub fn kind(&self) -> &'static str {
        match self {
            Generator::Hotp(_) => "hotp",
            Generator::Totp(_) => "totp",
        }
    }

    /// Checks the code's shape (digits only, the device's length).
    pub fn parse_code(&self, text: &str) -> Result<Code, CodeError> {
        self.hotp().parse_code(text)
    }
}

/// A device's moving state. Every field only moves forward except `failures`, which a
/// success, a block or an unlock resets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// HOTP: the next counter expected. TOTP: one past the last accepted step (0 = none).
    pub next: u64,
    /// TOTP: the device's clock offset in steps, followed on every success.
    pub drift: i64,
    /// Consecutive wrong codes since the last success or block.
    pub failures: u32,
    /// Blocked while the time is before this (ms since the epoch; 0 = not blocked).
    pub blocked_until_ms: i64,
    /// Blocks since the last success: sets the next block's length.
    pub blocks: u32,
    /// HOTP: a counter matched beyond the look-ahead, waiting for its successor.
    pub resync: Option<u64>,
    /// When a code was last accepted.
    pub last_used_ms: Option<i64>,
}

/// Why a well-formed code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongCode,
    Replayed,
    /// Blocked until `until_ms`, which is `remaining_ms` after the time of the check.
    Blocked {
        until_ms: i64,
        remaining_ms: i64,
    },
}

/// The outcome of checking one code, with the counters to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub verdict: Result<(), Refusal>,
    pub counters: Counters,
}

/// How long the `blocks`-th block (counted from 0) lasts.
pub fn block_length_ms(blocks: u32) -> i64 {
    FIRST_BLOCK_MS
        .saturating_mul(1i64 << blocks.min(20))
        .min(LONGEST_BLOCK_MS)
}

pub(crate) fn accept(counters: &Counters, next: u64, drift: i64, now_ms: i64) -> Checked {
    Checked {
        verdict: Ok(()),
        counters: Counters {
            next,
            drift,
            failures: 0,
            blocked_until_ms: 0,
            blocks: 0,
            resync: None,
            last_used_ms: Some(now_ms),
        },
    }
    .keep_forward(counters)
}

impl Checked {
    /// Guards the invariant that the counter never moves back.
    fn keep_forward(mut self, before: &Counters) -> Self {
        self.counters.next = self.counters.next.max(before.next);
        self
    }
}

pub(crate) fn refuse(counters: &Counters, resync: Option<u64>, now_ms: i64) -> Checked {
    let mut after = counters.clone();
    after.resync = resync;
    after.failures += 1;
    if after.failures >= MAX_FAILURES {
        after.blocked_until_ms = now_ms.saturating_add(block_length_ms(after.blocks));
        after.blocks = after.blocks.saturating_add(1);
        after.failures = 0;
    }
    Checked {
        verdict: Err(Refusal::WrongCode),
        counters: after,
    }
}

/// Checks a typed code against a device at `now_ms`. A malformed code is an error and
/// changes nothing; a blocked device refuses without looking at the code.
pub fn check(
    generator: &Generator,
    counters: &Counters,
    code: &str,
    now_ms: i64,
) -> Result<Checked, CodeError> {
    generator.parse_code(code)?;
    if counters.blocked_until_ms > now_ms {
        return Ok(Checked {
            verdict: Err(Refusal::Blocked {
                until_ms: counters.blocked_until_ms,
                remaining_ms: counters.blocked_until_ms - now_ms,
            }),
            counters: counters.clone(),
        });
    }
    let unchanged = |refusal| Checked {
        verdict: Err(refusal),
        counters: counters.clone(),
    };
    match generator {
        Generator::Totp(totp) => {
            let unix = u64::try_from(now_ms / 1000).unwrap_or(0);
            let step = totp.step_at(unix).unwrap_or(0);
            let expected = step.saturating_add_signed(counters.drift);
            match totp.verify(code, expected, Window::around(TOTP_WINDOW))? {
                Some(matched) if matched < counters.next => Ok(unchanged(Refusal::Replayed)),
                Some(matched) => {
                    let drift = i64::try_from(matched).unwrap_or(i64::MAX)
                        - i64::try_from(step).unwrap_or(i64::MAX);
                    Ok(accept(counters, matched + 1, drift, now_ms))
                }
                None => Ok(refuse(counters, None, now_ms)),
            }
        }
        Generator::Hotp(hotp) => {
            let next = counters.next;
            if let Some(matched) = hotp.verify(code, next, Window::ahead(HOTP_LOOK_AHEAD))? {
                return Ok(accept(counters, matched + 1, 0, now_ms));
            }
            if next > 0 && hotp.verify(code, next - 1, Window::EXACT)?.is_some() {
                return Ok(unchanged(Refusal::Replayed));
            }
            match hotp.verify(code, next, Window::ahead(HOTP_RESYNC_WINDOW))? {
                Some(matched) if counters.resync == Some(matched.wrapping_sub(1)) => {
                    Ok(accept(counters, matched + 1, 0, now_ms))
                }
                Some(matched) => Ok(refuse(counters, Some(matched), now_ms)),
                None => Ok(refuse(counters, None, now_ms)),
            }
        }
    }
}

/// How an activation code reached the person, which sets how long it is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Handed out on paper at Borgerservice: valid 48 hours.
    Paper,
    /// Sent by SMS: valid 30 minutes.
    Sms,
}

impl Channel {
    pub fn validity_ms(self) -> i64 {
        match self {
            Channel::Paper => 48 * 3600 * 1000,
            Channel::Sms => 30 * 60 * 1000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Channel::Paper => "paper",
            Channel::Sms => "sms",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "paper" => Some(Channel::Paper),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// Letters and digits that cannot be mistaken for each other when read aloud or typed.
const ACTIVATION_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh activation code, "XXXXX-XXXXX" (50 bits), from the given random bytes.
pub fn activation_code(random: [u8; 10]) -> String {
    let mut code = String::with_capacity(11);
    for (index, byte) in random.iter().enumerate() {
        if index == 5 {
            code.push('-');
        }
        code.push(char::from(ACTIVATION_ALPHABET[usize::from(byte % 32)]));
    }
    code
}

/// What a person typed, as it is hashed: case, spaces and dashes do not matter.
pub fn normalize_activation_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Why an activation code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationRefusal {
    Expired,
    Blocked,
    /// Wrong; the attempts to store (the code is blocked when it reaches the maximum).
    Wrong {
        attempts: u32,
    },
}

/// Checks a typed activation code against the stored one (`matches` is the hash
/// comparison the caller made).
pub fn check_activation(
    expires_at_ms: i64,
    attempts: u32,
    matches: bool,
    now_ms: i64,
) -> Result<(), ActivationRefusal> {
    if attempts >= MAX_ACTIVATION_ATTEMPTS {
        Err(ActivationRefusal::Blocked)
    } else if now_ms >= expires_at_ms {
        Err(ActivationRefusal::Expired)
    } else if !matches {
        Err(ActivationRefusal::Wrong {
            attempts: attempts + 1,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp::{Algorithm, Digits, Secret};
    use proptest::prelude::*;

    fn secret() -> Secret {
        Secret::new(b"12345678901234567890".to_vec())
    }

    fn totp() -> Generator {
        Generator::Totp(Totp::mitid(&secret()))
    }

    fn hotp() -> Generator {
        Generator::Hotp(Hotp::new(&secret(), Algorithm::Sha1, Digits::SIX))
    }

    fn totp_code(step: u64) -> String {
        Totp::mitid(&secret()).code_for_step(step).to_string()
    }

    const STEP: u64 = 50_000_000;
    const NOW: i64 = (STEP * 30 * 1000 + 5_000) as i64;

    #[test]
    fn totp_accepts_once_within_one_step() {
        let fresh = Counters::default();
        for step in [STEP - 1, STEP, STEP + 1] {
            let checked = check(&totp(), &fresh, &totp_code(step), NOW).unwrap();
            assert_eq!(checked.verdict, Ok(()), "step {step}");
            assert_eq!(checked.counters.next, step + 1);
            assert_eq!(checked.counters.last_used_ms, Some(NOW));
        }
        let after = check(&totp(), &fresh, &totp_code(STEP), NOW)
            .unwrap()
            .counters;
        let again = check(&totp(), &after, &totp_code(STEP), NOW).unwrap();
        assert_eq!(again.verdict, Err(Refusal::Replayed));
        assert_eq!(again.counters, after, "a replay changes nothing");
        // An earlier step than the last accepted one is a replay too.
        let older = check(&totp(), &after, &totp_code(STEP - 1), NOW).unwrap();
        assert_eq!(older.verdict, Err(Refusal::Replayed));
        for step in [STEP - 2, STEP + 2] {
            let checked = check(&totp(), &fresh, &totp_code(step), NOW).unwrap();
            assert_eq!(checked.verdict, Err(Refusal::WrongCode), "step {step}");
        }
    }

    #[test]
    fn totp_follows_a_drifting_clock() {
        // The device runs one step fast; each success re-centres the window on it.
        let mut counters = Counters::default();
        for n in 0..5u64 {
            let server = STEP + 10 * n;
            let device = server + 1 + n / 2;
            let now = (server * 30 * 1000) as i64;
            let checked = check(&totp(), &counters, &totp_code(device), now).unwrap();
            assert_eq!(checked.verdict, Ok(()), "round {n}");
            counters = checked.counters;
            assert_eq!(counters.drift, (device - server) as i64);
        }
        assert_eq!(counters.drift, 3);
    }

    #[test]
    fn third_wrong_code_blocks_with_growing_back_off() {
        let mut counters = Counters::default();
        let mut now = NOW;
        for block in 0..3u32 {
            for attempt in 0..3 {
                let checked = check(&totp(), &counters, "000000", now).unwrap();
                assert_eq!(
                    checked.verdict,
                    Err(Refusal::WrongCode),
                    "attempt {attempt}"
                );
                counters = checked.counters;
            }
            let length = block_length_ms(block);
            assert_eq!(counters.blocked_until_ms, now + length);
            assert_eq!(length, FIRST_BLOCK_MS << block);
            // While blocked even the right code is refused, and nothing changes.
            let right = totp_code((now / 30_000) as u64);
            let blocked = check(&totp(), &counters, &right, now + length - 1).unwrap();
            assert_eq!(
                blocked.verdict,
                Err(Refusal::Blocked {
                    until_ms: now + length,
                    remaining_ms: 1,
                })
            );
            assert_eq!(blocked.counters, counters);
            now += length;
        }
        let right = totp_code((now / 30_000) as u64);
        let checked = check(&totp(), &counters, &right, now).unwrap();
        assert_eq!(checked.verdict, Ok(()));
        assert_eq!(checked.counters.blocks, 0, "success resets the back-off");
        assert_eq!(block_length_ms(40), LONGEST_BLOCK_MS);
    }

    #[test]
    fn hotp_look_ahead_replay_and_resync() {
        let h = Hotp::new(&secret(), Algorithm::Sha1, Digits::SIX);
        let code = |c: u64| h.code(c).to_string();
        let fresh = Counters::default();
        let checked = check(&hotp(), &fresh, &code(10), 0).unwrap();
        assert_eq!((checked.verdict, checked.counters.next), (Ok(()), 11));
        assert_eq!(
            check(&hotp(), &checked.counters, &code(10), 0)
                .unwrap()
                .verdict,
            Err(Refusal::Replayed)
        );
        // 11 is beyond the look-ahead of 10 from 0: a resync needs 2 consecutive codes.
        let first = check(&hotp(), &fresh, &code(50), 0).unwrap();
        assert_eq!(first.verdict, Err(Refusal::WrongCode));
        assert_eq!(first.counters.resync, Some(50));
        let second = check(&hotp(), &first.counters, &code(51), 0).unwrap();
        assert_eq!((second.verdict, second.counters.next), (Ok(()), 52));
        // Non-consecutive codes do not resync.
        let skipped = check(&hotp(), &first.counters, &code(53), 0).unwrap();
        assert_eq!(skipped.verdict, Err(Refusal::WrongCode));
        // Beyond 100 there is no resync at all.
        let far = check(&hotp(), &fresh, &code(150), 0).unwrap();
        assert_eq!(far.counters.resync, None);
    }

    #[test]
    fn malformed_codes_change_nothing() {
        let counters = Counters::default();
        assert!(check(&totp(), &counters, "12345", NOW).is_err());
        assert!(check(&totp(), &counters, "12345a", NOW).is_err());
        assert!(check(&hotp(), &counters, "", NOW).is_err());
    }

    #[test]
    fn activation_codes_expire_and_block() {
        assert_eq!(Channel::Paper.validity_ms(), 172_800_000);
        assert_eq!(Channel::Sms.validity_ms(), 1_800_000);
        assert_eq!(check_activation(100, 0, true, 99), Ok(()));
        assert_eq!(
            check_activation(100, 0, true, 100),
            Err(ActivationRefusal::Expired)
        );
        assert_eq!(
            check_activation(100, 2, false, 0),
            Err(ActivationRefusal::Wrong { attempts: 3 })
        );
        assert_eq!(
            check_activation(100, 3, true, 0),
            Err(ActivationRefusal::Blocked)
        );
        let code = activation_code([0, 1, 2, 3, 4, 31, 32, 33, 34, 255]);
        assert_eq!(code, "ABCDE-9ABC9");
        assert_eq!(normalize_activation_code(" abcde 9abc9 "), "ABCDE9ABC9");
        assert_eq!(normalize_activation_code(&code), "ABCDE9ABC9");
    }

    proptest! {
        /// Whatever is typed and whenever, counters only move forward, a block never
        /// shortens, and an accepted code is one the device made.
        #[test]
        fn counters_only_move_forward(
            inputs in proptest::collection::vec((any::<bool>(), 0u64..40, 0i64..4_000_000), 1..40),
            use_hotp in any::<bool>(),
        ) {
            let generator = if use_hotp { hotp() } else { totp() };
            let h = Hotp::new(&secret(), Algorithm::Sha1, Digits::SIX);
            let mut counters = Counters::default();
            let mut now = NOW;
            for (right, offset, elapsed) in inputs {
                now += elapsed;
                let base = if use_hotp { counters.next } else { (now / 30_000) as u64 };
                let code = if right { h.code(base + offset % 3).to_string() } else { format!("{:06}", offset * 7919 % 1_000_000) };
                let checked = check(&generator, &counters, &code, now).unwrap();
                prop_assert!(checked.counters.next >= counters.next);
                prop_assert!(checked.counters.blocked_until_ms >= counters.blocked_until_ms || checked.verdict.is_ok());
                if checked.verdict.is_ok() {
                    let matched = checked.counters.next - 1;
                    prop_assert_eq!(h.code(matched).to_string(), code, "accepted a code the device did not make");
                    prop_assert!(checked.counters.next > counters.next || counters.next == 0);
                }
                counters = checked.counters;
            }
        }
    }
}
