//! HOTP (RFC 4226): counter-based codes, the base that TOTP and every code in the product use.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::Secret;

/// The HMAC hash. SHA-1 is RFC 4226's and MitID's; RFC 6238 adds SHA-256 and SHA-512.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The name as otpauth URIs and PSKC files write it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown hash name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm {0:?} (expected SHA1, SHA256 or SHA512)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts `SHA1`, `sha-256`, `HmacSHA512` and the like, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name = text.to_ascii_uppercase().replace('-', "");
        match name.strip_prefix("HMAC").unwrap_or(&name) {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(UnknownAlgorithm(text.to_owned())),
        }
    }
}

/// Number of digits in a code: 6 to 10 (RFC 4226 §5.3 asks for at least 6; 10 is the
/// most a 31-bit truncated value can fill).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digits(u8);

/// A digit count outside 6..=10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} digits is not supported (6 to 10)")]
pub struct BadDigits(pub u32);

impl Digits {
    /// Six digits: MitID's and the product's default.
    pub const SIX: Digits = Digits(6);

    pub fn new(count: u32) -> Result<Self, BadDigits> {
        match count {
            6..=10 => Ok(Digits(count as u8)),
            _ => Err(BadDigits(count)),
        }
    }

    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    fn modulus(self) -> u64 {
        10u64.pow(self.get())
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

/// A one-time code: a number shown with leading zeros to its digit count.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    value: u64,
    digits: Digits,
}

impl Code {
    pub fn digits(&self) -> Digits {
        self.digits
    }

    /// The code's digits, most significant first (0–9 each), for screens and speech.
    pub fn digit_values(&self) -> Vec<u8> {
        self.to_string().bytes().map(|b| b - b'0').collect()
    }

    /// A code typed or given as text: 6 to 10 ASCII digits, leading zeros kept.
    pub fn from_digits(text: &str) -> Result<Code, CodeError> {
        if let Some(index) = text.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(CodeError::NotDigit {
                position: text[..index].chars().count() + 1,
            });
        }
        let count = u32::try_from(text.len()).unwrap_or(u32::MAX);
        let digits = Digits::new(count).map_err(|_| CodeError::WrongLength {
            found: text.len(),
            expected: if count < 6 { 6 } else { 10 },
        })?;
        let value = text.parse().map_err(|_| CodeError::WrongLength {
            found: text.len(),
            expected: digits.get(),
        })?;
        Ok(Code { value, digits })
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:0width$}",
            self.value,
            width = self.digits.get() as usize
        )
    }
}

/// Codes are short-lived secrets too: debug output shows only their length.
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code([redacted; {} digits])", self.digits.get())
    }
}

/// Why a typed-in code cannot be checked at all (as opposed to simply not matching).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("code has {found} digits, expected {expected}")]
    WrongLength { found: usize, expected: u32 },
    #[error("code has a non-digit at position {position}")]
    NotDigit { position: usize },
}

/// Which counters a verification tries, relative to the one it starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How many counters before the start are tried (TOTP clock drift; 0 for HOTP).
    pub behind: u64,
    /// How many counters after the start are tried (HOTP look-ahead, TOTP drift).
    pub ahead: u64,
}

impl Window {
    /// Only the start counter itself.
    pub const EXACT: Window = Window {
        behind: 0,
        ahead: 0,
    };

    /// HOTP look-ahead: the start and the next `n` counters.
    pub fn ahead(n: u64) -> Self {
        Window {
            behind: 0,
            ahead: n,
        }
    }

    /// TOTP drift: `n` steps either side of the start.
    pub fn around(n: u64) -> Self {
        Window {
            behind: n,
            ahead: n,
        }
    }

    /// The counters to try, nearest first (start, +1, −1, +2, −2 …), as oathtool orders
    /// them; counters that would leave the u64 range are skipped.
    fn candidates(self, start: u64) -> impl Iterator<Item = u64> {
        let reach = self.behind.max(self.ahead);
        (0..=reach).flat_map(move |distance| {
            let after = (distance <= self.ahead)
                .then(|| start.checked_add(distance))
                .flatten();
            let before = (distance > 0 && distance <= self.behind)
                .then(|| start.checked_sub(distance))
                .flatten();
            after.into_iter().chain(before)
        })
    }
}

/// The HMAC keyed once with the secret. Cloning the keyed state per counter skips the
/// key schedule (two hash blocks) that a fresh `Hmac::new` would redo for every code.
#[derive(Clone)]
enum KeyedMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl KeyedMac {
    fn new(secret: &Secret, algorithm: Algorithm) -> Self {
        let key = secret.expose();
        // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
        match algorithm {
            Algorithm::Sha1 => KeyedMac::Sha1(Hmac::new_from_slice(key).expect("any key length")),
            Algorithm::Sha256 => {
                KeyedMac::Sha256(Hmac::new_from_slice(key).expect("any key length"))
            }
            Algorithm::Sha512 => {
                KeyedMac::Sha512(Hmac::new_from_slice(key).expect("any key length"))
            }
        }
    }

    /// RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, then dynamic truncation.
    fn truncated(&self, counter: u64) -> u32 {
        let message = counter.to_be_bytes();
        match self {
            KeyedMac::Sha1(mac) => dynamic_truncation(&finish(mac.clone(), &message)),
            KeyedMac::Sha256(mac) => dynamic_truncation(&finish(mac.clone(), &message)),
            KeyedMac::Sha512(mac) => dynamic_truncation(&finish(mac.clone(), &message)),
        }
    }
}

fn finish<M: Mac>(mut mac: M, message: &[u8]) -> impl AsRef<[u8]> {
    mac.update(message);
    mac.finalize().into_bytes()
}

/// RFC 4226 §5.3: the low 4 bits of the last byte pick 4 bytes; the top bit is dropped.
fn dynamic_truncation(hash: &impl AsRef<[u8]>) -> u32 {
    let hash = hash.as_ref();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let bytes = [
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ];
    u32::from_be_bytes(bytes) & 0x7fff_ffff
}

/// A HOTP generator for one secret.
#[derive(Clone)]
pub struct Hotp {
    mac: KeyedMac,
    algorithm: Algorithm,
    digits: Digits,
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

impl Hotp {
    pub fn new(secret: &Secret, algorithm: Algorithm, digits: Digits) -> Self {
        Hotp {
            mac: KeyedMac::new(secret, algorithm),
            algorithm,
            digits,
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn digits(&self) -> Digits {
        self.digits
    }

    /// The code for one counter value.
    pub fn code(&self, counter: u64) -> Code {
        Code {
            value: u64::from(self.mac.truncated(counter)) % self.digits.modulus(),
            digits: self.digits,
        }
    }

    /// Checks that `text` is exactly this generator's number of ASCII digits.
    pub fn parse_code(&self, text: &str) -> Result<Code, CodeError> {
        let expected = self.digits.get();
        if let Some(index) = text.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(CodeError::NotDigit {
                position: text[..index].chars().count() + 1,
            });
        }
        if text.len() != expected as usize {
            return Err(CodeError::WrongLength {
                found: text.len(),
                expected,
            });
        }
        Ok(Code {
            value: text.parse().map_err(|_| CodeError::WrongLength {
                found: text.len(),
                expected,
            })?,
            digits: self.digits,
        })
    }

    /// Which counter in `window` around `start` produced `code`, if any. Every candidate
    /// is computed and compared in constant time, so timing does not tell which matched;
    /// when two counters share a code, the nearest one (oathtool's order) wins.
    pub fn verify(&self, code: &str, start: u64, window: Window) -> Result<Option<u64>, CodeError> {
        let wanted = self.parse_code(code)?;
        let mut found = subtle::Choice::from(0);
        let mut matched = 0u64;
        for counter in window.candidates(start) {
            let hit = self.code(counter).value.ct_eq(&wanted.value) & !found;
            matched.conditional_assign(&counter, hit);
            found |= hit;
        }
        Ok(bool::from(found).then_some(matched))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_hotp() -> Hotp {
        Hotp::new(
            &Secret::new(b"12345678901234567890".to_vec()),
            Algorithm::Sha1,
            Digits::SIX,
        )
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let hotp = rfc_hotp();
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp.code(counter as u64).to_string(),
                *code,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn verify_reports_the_matching_counter() {
        let hotp = rfc_hotp();
        assert_eq!(hotp.verify("969429", 0, Window::ahead(3)), Ok(Some(3)));
        assert_eq!(hotp.verify("969429", 0, Window::ahead(2)), Ok(None));
        assert_eq!(hotp.verify("755224", 3, Window::around(3)), Ok(Some(0)));
        assert_eq!(hotp.verify("755224", 3, Window::ahead(3)), Ok(None));
        assert_eq!(hotp.verify("287082", 1, Window::EXACT), Ok(Some(1)));
    }

    #[test]
    fn verify_rejects_malformed_codes_without_panicking() {
        let hotp = rfc_hotp();
        assert_eq!(
            hotp.verify("75522", 0, Window::EXACT),
            Err(CodeError::WrongLength {
                found: 5,
                expected: 6
            })
        );
        assert_eq!(
            hotp.verify("75x224", 0, Window::EXACT),
            Err(CodeError::NotDigit { position: 3 })
        );
        assert_eq!(
            hotp.verify("+75224", 0, Window::EXACT),
            Err(CodeError::NotDigit { position: 1 })
        );
        assert_eq!(
            hotp.verify("7552é4", 0, Window::EXACT),
            Err(CodeError::NotDigit { position: 5 })
        );
        assert_eq!(
            hotp.verify("", 0, Window::EXACT).unwrap_err().to_string(),
            "code has 0 digits, expected 6"
        );
    }

    #[test]
    fn windows_at_the_ends_of_the_counter_range_do_not_overflow() {
        let hotp = rfc_hotp();
        let last = hotp.code(u64::MAX).to_string();
        assert_eq!(
            hotp.verify(&last, u64::MAX - 1, Window::ahead(5)),
            Ok(Some(u64::MAX))
        );
        let first = hotp.code(0).to_string();
        assert_eq!(hotp.verify(&first, 1, Window::around(5)), Ok(Some(0)));
    }

    #[test]
    fn candidates_are_nearest_first() {
        let order: Vec<u64> = Window::around(2).candidates(10).collect();
        assert_eq!(order, [10, 11, 9, 12, 8]);
        let order: Vec<u64> = Window {
            behind: 1,
            ahead: 3,
        }
        .candidates(10)
        .collect();
        assert_eq!(order, [10, 11, 9, 12, 13]);
    }

    #[test]
    fn digits_and_algorithms_parse() {
        assert!(Digits::new(5).is_err());
        assert!(Digits::new(11).is_err());
        assert_eq!(Digits::new(10).unwrap().get(), 10);
        assert_eq!("sha-256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("HmacSHA512".parse::<Algorithm>(), Ok(Algorithm::Sha512));
        assert!("md5".parse::<Algorithm>().is_err());
    }

    #[test]
    fn ten_digit_codes_are_padded() {
        let hotp = Hotp::new(
            &Secret::new(b"12345678901234567890".to_vec()),
            Algorithm::Sha1,
            Digits::new(10).unwrap(),
        );
        // RFC 4226 Appendix D, counter 0: truncated value 1284755224.
        assert_eq!(hotp.code(0).to_string(), "1284755224");
        assert_eq!(hotp.code(0).digit_values(), [1, 2, 8, 4, 7, 5, 5, 2, 2, 4]);
        let typed = Code::from_digits("0123456").unwrap();
        assert_eq!(typed.to_string(), "0123456");
        assert_eq!(typed.digits().get(), 7);
        assert_eq!(
            Code::from_digits("12a456"),
            Err(CodeError::NotDigit { position: 3 })
        );
        assert!(Code::from_digits("12345").is_err());
        assert!(Code::from_digits("12345678901").is_err());
    }

    #[test]
    fn debug_hides_codes_and_keys() {
        let hotp = rfc_hotp();
        let shown = format!("{:?} {:?}", hotp, hotp.code(0));
        assert!(!shown.contains("755224"), "{shown}");
    }
}
