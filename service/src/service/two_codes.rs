//! Self-service unlock and resync by two consecutive codes (RFC 4226 §7.4: "resync with
//! 2–3 consecutive values"), for the support line's keypad: a caller whose device is
//! blocked types two codes the device made one after the other; if they follow each
//! other anywhere in the resync window, the block is lifted and the counter (HOTP) or the
//! clock drift (TOTP) re-aligned. Two codes that do not follow each other count as one
//! wrong code, as at the login page.

use otp::{CodeError, Window};

use crate::policy::{self, Checked, Counters, Generator, Refusal};

use super::{audit_entry, check_serial, result_name, Service, ServiceError, MAX_RETRIES};
use crate::store::{Device, DeviceState};

/// TOTP: the two codes may come from steps this far either side of the expected one (the
/// device's clock may have drifted while it was blocked).
pub const TWO_CODES_TOTP_WINDOW: u64 = 20;

/// Checks two codes typed one after the other against a device at `now_ms`; the pure
/// rule. A blocked device is checked all the same: lifting the block is the point.
pub fn check_two_codes(
    generator: &Generator,
    counters: &Counters,
    first: &str,
    second: &str,
    now_ms: i64,
) -> Result<Checked, CodeError> {
    generator.parse_code(first)?;
    generator.parse_code(second)?;
    let lifted = |checked: Checked| Checked {
        verdict: checked.verdict,
        counters: Counters {
            blocks: 0,
            ..checked.counters
        },
    };
    match generator {
        Generator::Totp(totp) => {
            let unix = u64::try_from(now_ms / 1000).unwrap_or(0);
            let step = totp.step_at(unix).unwrap_or(0);
            let expected = step.saturating_add_signed(counters.drift);
            let first_step = totp.verify(first, expected, Window::around(TWO_CODES_TOTP_WINDOW))?;
            if let Some(s) = first_step {
                if s >= counters.next && totp.verify(second, s + 1, Window::EXACT)?.is_some() {
                    let drift = i64::try_from(s + 1).unwrap_or(i64::MAX)
                        - i64::try_from(step).unwrap_or(i64::MAX);
                    return Ok(lifted(policy::accept(counters, s + 2, drift, now_ms)));
                }
            }
        }
        Generator::Hotp(hotp) => {
            if let Some(c) = hotp.verify(
                first,
                counters.next,
                Window::ahead(policy::HOTP_RESYNC_WINDOW),
            )? {
                if hotp.verify(second, c + 1, Window::EXACT)?.is_some() {
                    return Ok(lifted(policy::accept(counters, c + 2, 0, now_ms)));
                }
            }
        }
    }
    let mut wrong = policy::refuse(counters, None, now_ms);
    wrong.verdict = Err(Refusal::WrongCode);
    Ok(wrong)
}

/// What a serial as entered (typed, or keyed on a telephone keypad) names.
pub(crate) enum Entry {
    /// A device, with its canonical serial.
    Device(String, Box<Device>),
    /// No device: the serial to report and the audit reason (`unknown_serial`, or
    /// `ambiguous_keyed_serial` when the keyed form is shared by several serials).
    Unknown(String, &'static str),
}

impl Service {
    /// The device a serial as entered names: the serial itself, or else, for an all-digit
    /// entry, the one serial with letters keyed that way on a telephone keypad
    /// ([`otp::Serial::keypad`]: `KP2026000001` is keyed `572026000001`). The keypad
    /// look-up scans the serials of the entry's length, so it runs only after the direct
    /// read found nothing (a rare path: callers whose serial has letters). Used by every
    /// support action that takes a serial from a caller.
    pub(crate) async fn find_entry(&self, entry: String) -> Result<Entry, ServiceError> {
        if let Some(device) = self.store.device(&entry).await? {
            return Ok(Entry::Device(entry, Box::new(device)));
        }
        if !entry.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Entry::Unknown(entry, "unknown_serial"));
        }
        let mut matches: Vec<String> = self
            .store
            .serials_of_length(entry.len())
            .await?
            .into_iter()
            .filter(|serial| {
                otp::Serial::parse(serial).is_ok_and(|serial| serial.keypad() == entry)
            })
            .collect();
        let found = match matches.len() {
            0 => return Ok(Entry::Unknown(entry, "unknown_serial")),
            1 => matches.remove(0),
            count => {
                tracing::info!("keyed serial matches {count} devices");
                return Ok(Entry::Unknown(entry, "ambiguous_keyed_serial"));
            }
        };
        Ok(match self.store.device(&found).await? {
            Some(device) => Entry::Device(found, Box::new(device)),
            None => Entry::Unknown(entry, "unknown_serial"),
        })
    }

    /// Lifts a device's block when two consecutive codes from it are typed (the support
    /// line's keypad self-service). Neither code is logged or audited, only the result.
    pub async fn unlock_with_codes(
        &self,
        serial: &str,
        first: &str,
        second: &str,
        actor: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now_ms();
        let unknown =
            |serial: &str, reason| audit_entry(now, actor, "unlock_with_codes", serial, reason);
        let (serial, device) = match self.find_entry(check_serial(serial)?).await? {
            Entry::Device(serial, device) => (serial, device),
            Entry::Unknown(serial, reason) => {
                self.store.audit(&unknown(&serial, reason)).await?;
                return Err(ServiceError::UnknownSerial(serial));
            }
        };
        // The first attempt uses the device just read; a lost update reads it again.
        let mut read = Some(*device);
        for _ in 0..=MAX_RETRIES {
            let device = match read.take() {
                Some(device) => device,
                None => match self.store.device(&serial).await? {
                    Some(device) => device,
                    None => {
                        self.store
                            .audit(&unknown(&serial, "unknown_serial"))
                            .await?;
                        return Err(ServiceError::UnknownSerial(serial));
                    }
                },
            };
            let serial = serial.as_str();
            if device.state != DeviceState::Active {
                self.store
                    .audit(&audit_entry(
                        now,
                        actor,
                        "unlock_with_codes",
                        serial,
                        "not_active",
                    ))
                    .await?;
                return Err(ServiceError::Invalid {
                    field: "serial",
                    message: format!("device {serial} is not active"),
                });
            }
            let generator = self.generator(&device)?;
            let checked = match check_two_codes(&generator, &device.counters, first, second, now) {
                Ok(checked) => checked,
                Err(error) => {
                    let error = ServiceError::from(error);
                    self.store
                        .audit(&audit_entry(
                            now,
                            actor,
                            "unlock_with_codes",
                            serial,
                            error.reason(),
                        ))
                        .await?;
                    return Err(error);
                }
            };
            let result = checked.verdict.map_err(ServiceError::from);
            let audit = audit_entry(
                now,
                actor,
                "unlock_with_codes",
                serial,
                result_name(&result),
            );
            if self
                .store
                .update_counters(serial, device.version, &checked.counters, &audit)
                .await?
            {
                self.cache.clear();
                return result;
            }
        }
        Err(ServiceError::Contention)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp::{Algorithm, Digits, Hotp, Secret, Totp};

    fn secret() -> Secret {
        Secret::new(b"12345678901234567890".to_vec())
    }

    const STEP: u64 = 50_000_000;
    const NOW: i64 = (STEP * 30 * 1000 + 5_000) as i64;

    fn blocked() -> Counters {
        Counters {
            next: 10,
            blocked_until_ms: NOW + 3_600_000,
            blocks: 2,
            failures: 0,
            ..Counters::default()
        }
    }

    #[test]
    fn two_consecutive_hotp_codes_lift_the_block_and_resync() {
        let hotp = Hotp::new(&secret(), Algorithm::Sha1, Digits::SIX);
        let generator = Generator::Hotp(hotp.clone());
        let code = |c| hotp.code(c).to_string();
        let checked = check_two_codes(&generator, &blocked(), &code(60), &code(61), NOW).unwrap();
        assert_eq!(checked.verdict, Ok(()));
        assert_eq!(checked.counters.next, 62);
        assert_eq!(
            (checked.counters.blocked_until_ms, checked.counters.blocks),
            (0, 0)
        );
        // Not consecutive, or reversed: one wrong code, still blocked.
        for (a, b) in [(60, 62), (61, 60), (5, 6)] {
            let checked = check_two_codes(&generator, &blocked(), &code(a), &code(b), NOW).unwrap();
            assert_eq!(checked.verdict, Err(Refusal::WrongCode), "{a},{b}");
            assert!(checked.counters.blocked_until_ms > NOW);
            assert_eq!(checked.counters.failures, 1);
        }
    }

    #[test]
    fn two_consecutive_totp_codes_follow_the_drift() {
        let totp = Totp::mitid(&secret());
        let generator = Generator::Totp(totp.clone());
        let code = |s| totp.code_for_step(s).to_string();
        // The device runs 5 steps (2.5 min) fast.
        let checked = check_two_codes(
            &generator,
            &blocked(),
            &code(STEP + 5),
            &code(STEP + 6),
            NOW,
        )
        .unwrap();
        assert_eq!(checked.verdict, Ok(()));
        assert_eq!(checked.counters.drift, 6);
        assert_eq!(checked.counters.next, STEP + 7);
        assert_eq!(checked.counters.blocked_until_ms, 0);
        // Not one after the other: refused.
        let gap = check_two_codes(
            &generator,
            &blocked(),
            &code(STEP + 5),
            &code(STEP + 7),
            NOW,
        )
        .unwrap();
        assert_eq!(gap.verdict, Err(Refusal::WrongCode));
        // Far outside the window, or already used: refused.
        let far = check_two_codes(
            &generator,
            &blocked(),
            &code(STEP + 40),
            &code(STEP + 41),
            NOW,
        )
        .unwrap();
        assert_eq!(far.verdict, Err(Refusal::WrongCode));
        let used = Counters {
            next: STEP + 7,
            ..blocked()
        };
        let replay =
            check_two_codes(&generator, &used, &code(STEP + 5), &code(STEP + 6), NOW).unwrap();
        assert_eq!(replay.verdict, Err(Refusal::WrongCode));
    }

    #[test]
    fn malformed_codes_change_nothing() {
        let generator = Generator::Totp(Totp::mitid(&secret()));
        assert!(check_two_codes(&generator, &blocked(), "12a456", "123456", NOW).is_err());
        assert!(check_two_codes(&generator, &blocked(), "123456", "12345", NOW).is_err());
    }
}
