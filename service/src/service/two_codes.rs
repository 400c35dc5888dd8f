//! Self-service unlock and resync by two consecutive codes (RFC 4226 §7.4: "resync with
//! 2–3 consecutive values"), for the support line's keypad: a caller whose device is
//! blocked types two codes the device made one after the other; if they follow each
//! other anywhere in the resync window, the block is lifted and the counter (HOTP) or the
//! clock drift (TOTP) re-aligned. Two codes that do not follow each other count as one
//! wrong code, as at the login page.

use otp::{CodeError, Window};

use crate::policy::{self, Checked, Counters, Generator, Refusal};

use super::{audit_entry, check_serial, result_name, Service, ServiceError, MAX_RETRIES};
use crate::store::DeviceState;

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

/// Which device a serial keyed on a telephone keypad names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum KeyedSerial {
    One(String),
    None,
    Several(usize),
}

impl Service {
    /// The device an all-digit entry names when it is a serial with letters keyed on a
    /// telephone keypad ([`otp::Serial::keypad`]: `KP2026000001` is keyed
    /// `572026000001`). Callers ask only after the entry named no device directly; the
    /// look-up scans the serials of its length (a rare path: callers whose serial has
    /// letters).
    pub(crate) async fn serial_keyed_as(&self, keyed: &str) -> Result<KeyedSerial, ServiceError> {
        if !keyed.chars().all(|c| c.is_ascii_digit()) {
            return Ok(KeyedSerial::None);
        }
        let mut matches: Vec<String> = self
            .store
            .serials_of_length(keyed.len())
            .await?
            .into_iter()
            .filter(|serial| {
                otp::Serial::parse(serial).is_ok_and(|serial| serial.keypad() == keyed)
            })
            .collect();
        Ok(match matches.len() {
            0 => KeyedSerial::None,
            1 => KeyedSerial::One(matches.remove(0)),
            n => KeyedSerial::Several(n),
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
        let mut serial = check_serial(serial)?;
        let mut keypad_tried = false;
        for _ in 0..=MAX_RETRIES {
            let Some(device) = self.store.device(&serial).await? else {
                // No device has the entry as its serial: it may be one keyed on a keypad.
                if !keypad_tried {
                    keypad_tried = true;
                    match self.serial_keyed_as(&serial).await? {
                        KeyedSerial::One(found) => {
                            serial = found;
                            continue;
                        }
                        KeyedSerial::Several(count) => {
                            self.store
                                .audit(&audit_entry(
                                    now,
                                    actor,
                                    "unlock_with_codes",
                                    &serial,
                                    "ambiguous_keyed_serial",
                                ))
                                .await?;
                            tracing::info!("keyed serial matches {count} devices");
                            return Err(ServiceError::UnknownSerial(serial));
                        }
                        KeyedSerial::None => {}
                    }
                }
                self.store
                    .audit(&audit_entry(
                        now,
                        actor,
                        "unlock_with_codes",
                        &serial,
                        "unknown_serial",
                    ))
                    .await?;
                return Err(ServiceError::UnknownSerial(serial));
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
