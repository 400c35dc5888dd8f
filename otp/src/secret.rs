//! The shared secret of a token: parsed from base32 or hex, zeroized on drop, never shown.

use std::fmt;

use data_encoding::{BASE32_NOPAD, HEXLOWER_PERMISSIVE};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why a secret could not be parsed. Positions count characters from 1, as a person would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("empty secret")]
    Empty,
    #[error("not base32 at position {position}")]
    NotBase32 { position: usize },
    #[error("base32 padding '=' at position {position} is not at the end")]
    MisplacedPadding { position: usize },
    #[error("base32 of {symbols} symbols cannot encode whole bytes")]
    Base32Length { symbols: usize },
    #[error("not hex at position {position}")]
    NotHex { position: usize },
    #[error("hex of {digits} digits is not a whole number of bytes")]
    HexLength { digits: usize },
}

/// Key bytes for HMAC. The bytes are wiped when the value is dropped, and neither `Debug`
/// nor `Display` shows them; use [`Secret::expose`] where the bytes are really needed.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of raw key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(Zeroizing::new(bytes))
    }

    /// Parses RFC 4648 base32: any case, spaces allowed, with or without `=` padding.
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        let mut padding_from = None;
        for (index, c) in text.chars().enumerate() {
            let position = index + 1;
            match c {
                c if c.is_whitespace() => {}
                '=' => {
                    padding_from.get_or_insert(position);
                }
                'a'..='z' | 'A'..='Z' | '2'..='7' => {
                    if let Some(position) = padding_from {
                        return Err(SecretError::MisplacedPadding { position });
                    }
                    clean.push(c.to_ascii_uppercase());
                }
                _ => return Err(SecretError::NotBase32 { position }),
            }
        }
        if clean.is_empty() {
            return Err(SecretError::Empty);
        }
        BASE32_NOPAD
            .decode(clean.as_bytes())
            .map(Secret::new)
            .map_err(|_| SecretError::Base32Length {
                symbols: clean.len(),
            })
    }

    /// Parses hex (any case, spaces allowed), as oathtool takes its KEY.
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        for (index, c) in text.chars().enumerate() {
            match c {
                c if c.is_whitespace() => {}
                c if c.is_ascii_hexdigit() => clean.push(c),
                _ => {
                    return Err(SecretError::NotHex {
                        position: index + 1,
                    })
                }
            }
        }
        if clean.is_empty() {
            return Err(SecretError::Empty);
        }
        HEXLOWER_PERMISSIVE
            .decode(clean.as_bytes())
            .map(Secret::new)
            .map_err(|_| SecretError::HexLength {
                digits: clean.len(),
            })
    }

    /// Base32 without padding, as otpauth URIs carry it. The returned string wipes itself.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The key bytes. Named so that every use is easy to find in review.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length of the key in bytes (RFC 4226 §4 asks for at least 16, recommends 20).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a zero-length key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Constant-time comparison, so that equality checks leak nothing about the key.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.0.len())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted secret]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn base32_accepts_case_spaces_and_padding() {
        for text in [
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
        ] {
            assert_eq!(
                Secret::from_base32(text).unwrap().expose(),
                RFC_KEY,
                "{text}"
            );
        }
        // 5 bytes → 8 symbols, no padding; 1 byte → 2 symbols + 6 '='.
        assert_eq!(Secret::from_base32("ME======").unwrap().expose(), b"a");
        assert_eq!(Secret::from_base32("ME").unwrap().expose(), b"a");
    }

    #[test]
    fn base32_errors_name_the_position() {
        assert_eq!(
            Secret::from_base32("GEZDGN1V").unwrap_err(),
            SecretError::NotBase32 { position: 7 }
        );
        assert_eq!(
            Secret::from_base32("ME=A").unwrap_err(),
            SecretError::MisplacedPadding { position: 3 }
        );
        assert_eq!(
            Secret::from_base32("MEZ").unwrap_err(),
            SecretError::Base32Length { symbols: 3 }
        );
        assert_eq!(Secret::from_base32("  ").unwrap_err(), SecretError::Empty);
        assert_eq!(
            SecretError::NotBase32 { position: 7 }.to_string(),
            "not base32 at position 7"
        );
    }

    #[test]
    fn hex_parses_and_reports() {
        assert_eq!(
            Secret::from_hex("3132333435363738393031323334353637383930")
                .unwrap()
                .expose(),
            RFC_KEY
        );
        assert_eq!(Secret::from_hex("AbCd").unwrap().expose(), &[0xab, 0xcd]);
        assert_eq!(
            Secret::from_hex("abx").unwrap_err(),
            SecretError::NotHex { position: 3 }
        );
        assert_eq!(
            Secret::from_hex("abc").unwrap_err(),
            SecretError::HexLength { digits: 3 }
        );
    }

    #[test]
    fn never_shows_the_key() {
        let secret = Secret::new(RFC_KEY.to_vec());
        let shown = format!("{secret:?} {secret} {secret:#?}");
        assert!(!shown.contains("1234"), "{shown}");
        assert!(!shown.contains("GEZD"), "{shown}");
        assert!(shown.contains("20 bytes"));
    }

    #[test]
    fn base32_round_trips() {
        let secret = Secret::new(RFC_KEY.to_vec());
        assert_eq!(*secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(Secret::from_base32(&secret.to_base32()).unwrap(), secret);
    }
}
