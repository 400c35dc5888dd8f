//! TOTP (RFC 6238): HOTP over time steps. Time is always passed in as Unix seconds.

use crate::{Algorithm, Code, CodeError, Digits, Hotp, Secret, Window};

/// MitID's audio code reader: 30-second steps counted from the Unix epoch.
pub const DEFAULT_PERIOD: u64 = 30;

/// Why a time has no time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("time step of 0 seconds")]
    ZeroPeriod,
    #[error("time {unix} is before the start time T0 = {t0}")]
    BeforeStart { unix: u64, t0: u64 },
}

/// A TOTP generator: a HOTP generator plus the step length X and start time T0.
#[derive(Debug, Clone)]
pub struct Totp {
    hotp: Hotp,
    period: u64,
    t0: u64,
}

impl Totp {
    /// `period` is X in seconds (must not be 0), `t0` the Unix time that step 0 starts.
    pub fn new(
        secret: &Secret,
        algorithm: Algorithm,
        digits: Digits,
        period: u64,
        t0: u64,
    ) -> Result<Self, TotpError> {
        if period == 0 {
            return Err(TotpError::ZeroPeriod);
        }
        Ok(Totp {
            hotp: Hotp::new(secret, algorithm, digits),
            period,
            t0,
        })
    }

    /// The product's default: SHA-1, 6 digits, 30 s, T0 = 0.
    pub fn mitid(secret: &Secret) -> Self {
        Totp {
            hotp: Hotp::new(secret, Algorithm::Sha1, Digits::SIX),
            period: DEFAULT_PERIOD,
            t0: 0,
        }
    }

    pub fn period(&self) -> u64 {
        self.period
    }

    pub fn hotp(&self) -> &Hotp {
        &self.hotp
    }

    /// The time step T = floor((unix − T0) / X).
    pub fn step_at(&self, unix: u64) -> Result<u64, TotpError> {
        unix.checked_sub(self.t0)
            .map(|elapsed| elapsed / self.period)
            .ok_or(TotpError::BeforeStart { unix, t0: self.t0 })
    }

    /// The Unix time at which `step` ends (the first second of the next step).
    pub fn step_end(&self, step: u64) -> u64 {
        step.saturating_add(1)
            .saturating_mul(self.period)
            .saturating_add(self.t0)
    }

    /// The code of a time step.
    pub fn code_for_step(&self, step: u64) -> Code {
        self.hotp.code(step)
    }

    /// The code valid at `unix`.
    pub fn code_at(&self, unix: u64) -> Result<Code, TotpError> {
        Ok(self.hotp.code(self.step_at(unix)?))
    }

    /// Which time step in `window` around `step` produced `code` (see [`Hotp::verify`]).
    pub fn verify(&self, code: &str, step: u64, window: Window) -> Result<Option<u64>, CodeError> {
        self.hotp.verify(code, step, window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(algorithm: Algorithm) -> Secret {
        let len = match algorithm {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        };
        Secret::new(b"1234567890".iter().copied().cycle().take(len).collect())
    }

    /// RFC 6238 Appendix B, all rows and all three hashes (with the erratum's seeds).
    #[test]
    fn rfc6238_appendix_b() {
        let table: [(u64, u64, [&str; 3]); 6] = [
            (59, 0x1, ["94287082", "46119246", "90693936"]),
            (1111111109, 0x23523EC, ["07081804", "68084774", "25091201"]),
            (1111111111, 0x23523ED, ["14050471", "67062674", "99943326"]),
            (1234567890, 0x273EF07, ["89005924", "91819424", "93441116"]),
            (2000000000, 0x3F940AA, ["69279037", "90698825", "38618901"]),
            (
                20000000000,
                0x27BC86AA,
                ["65353130", "77737706", "47863826"],
            ),
        ];
        let algorithms = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
        for (unix, step, codes) in table {
            for (algorithm, code) in algorithms.iter().zip(codes) {
                let totp = Totp::new(
                    &seed(*algorithm),
                    *algorithm,
                    Digits::new(8).unwrap(),
                    30,
                    0,
                )
                .unwrap();
                assert_eq!(totp.step_at(unix), Ok(step), "{unix}");
                assert_eq!(
                    totp.code_at(unix).unwrap().to_string(),
                    code,
                    "{unix} {algorithm}"
                );
            }
        }
    }

    #[test]
    fn steps_and_their_ends() {
        let totp = Totp::mitid(&seed(Algorithm::Sha1));
        assert_eq!(totp.step_at(29), Ok(0));
        assert_eq!(totp.step_at(30), Ok(1));
        assert_eq!(totp.step_end(0), 30);
        assert_eq!(totp.step_end(u64::MAX), u64::MAX);
        let late = Totp::new(
            &seed(Algorithm::Sha1),
            Algorithm::Sha1,
            Digits::SIX,
            60,
            100,
        )
        .unwrap();
        assert_eq!(late.step_at(160), Ok(1));
        assert_eq!(late.step_end(1), 220);
        assert_eq!(
            late.step_at(99),
            Err(TotpError::BeforeStart { unix: 99, t0: 100 })
        );
        assert!(Totp::new(&seed(Algorithm::Sha1), Algorithm::Sha1, Digits::SIX, 0, 0).is_err());
    }

    #[test]
    fn verify_accepts_drift_within_the_window() {
        let totp = Totp::mitid(&seed(Algorithm::Sha1));
        let now = totp.step_at(1_234_567_890).unwrap();
        let previous = totp.code_for_step(now - 1).to_string();
        assert_eq!(
            totp.verify(&previous, now, Window::around(1)),
            Ok(Some(now - 1))
        );
        assert_eq!(totp.verify(&previous, now, Window::EXACT), Ok(None));
    }
}
