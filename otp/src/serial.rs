//! A device's serial number, as printed on its back and typed by a person: letters and
//! digits (`KP2026000001`), grouped for print with spaces or hyphens that carry no meaning.
//!
//! The one place a serial is validated: the device, speech, the service, import and the
//! support tools all parse through [`Serial::parse`] and compare canonical forms.

use std::fmt;
use std::str::FromStr;

/// The longest serial number accepted, without its grouping spaces and hyphens.
pub const MAX_SERIAL_LEN: usize = 32;

/// A valid serial number in canonical form: 1–32 ASCII letters (upper case) and digits.
///
/// Parsing ignores spaces and hyphens (`"kp20-2600 0001"` is `KP20260000001`'s print form)
/// and folds letters to upper case, so two prints of one serial compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

/// Why text is not a serial number; positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("serial number is empty")]
    Empty,
    #[error("serial number has {found} letters and digits; at most {MAX_SERIAL_LEN} are allowed")]
    TooLong { found: usize },
    #[error("serial number has {found:?} at position {position}; only letters A-Z, digits, spaces and hyphens are allowed")]
    BadCharacter { found: char, position: usize },
}

impl Serial {
    /// Parses a serial as a person or a file gives it. See the type's docs.
    pub fn parse(text: &str) -> Result<Serial, SerialError> {
        let mut canonical = String::with_capacity(text.len());
        for (index, c) in text.chars().enumerate() {
            match c {
                ' ' | '-' => {}
                c if c.is_ascii_alphanumeric() => canonical.push(c.to_ascii_uppercase()),
                found => {
                    return Err(SerialError::BadCharacter {
                        found,
                        position: index + 1,
                    })
                }
            }
        }
        if canonical.is_empty() {
            Err(SerialError::Empty)
        } else if canonical.len() > MAX_SERIAL_LEN {
            Err(SerialError::TooLong {
                found: canonical.len(),
            })
        } else {
            Ok(Serial(canonical))
        }
    }

    /// The canonical form: upper-case letters and digits, no separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The serial's characters in order (each an ASCII upper-case letter or digit).
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.0.chars()
    }

    /// The serial as keyed on a telephone keypad: digits as they are, each letter as the
    /// key that carries it (ITU-T E.161: ABC 2, DEF 3, GHI 4, JKL 5, MNO 6, PQRS 7, TUV 8,
    /// WXYZ 9), so `KP2026000001` is keyed `572026000001`. Several serials can share a
    /// keypad form; whoever looks one up by it must handle that.
    pub fn keypad(&self) -> String {
        self.0.chars().map(keypad_key).collect()
    }
}

/// The telephone key (E.161) that carries an upper-case letter or digit.
fn keypad_key(c: char) -> char {
    match c {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        digit => digit,
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Serial {
    type Err = SerialError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Serial::parse(text)
    }
}

impl AsRef<str> for Serial {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn print_forms_of_one_serial_are_equal() {
        let a = Serial::parse("KP2026000001").unwrap();
        assert_eq!(Serial::parse("kp20-2600 0001").unwrap(), a);
        assert_eq!(a.as_str(), "KP2026000001");
        assert_eq!(a.to_string(), "KP2026000001");
        assert_eq!(
            Serial::parse("1234-5678-90").unwrap().as_str(),
            "1234567890"
        );
    }

    #[test]
    fn bad_serials_name_what_and_where() {
        assert_eq!(Serial::parse(""), Err(SerialError::Empty));
        assert_eq!(Serial::parse(" - "), Err(SerialError::Empty));
        assert_eq!(
            Serial::parse("KP20,26"),
            Err(SerialError::BadCharacter {
                found: ',',
                position: 5
            })
        );
        assert_eq!(
            Serial::parse("KPÆ1").unwrap_err().to_string(),
            "serial number has 'Æ' at position 3; only letters A-Z, digits, spaces and hyphens are allowed"
        );
        assert_eq!(
            Serial::parse(&"1".repeat(33)),
            Err(SerialError::TooLong { found: 33 })
        );
        assert!(Serial::parse(&"1".repeat(32)).is_ok());
    }

    #[test]
    fn letters_are_keyed_on_the_keys_that_carry_them() {
        let kp = Serial::parse("KP2026000001").unwrap();
        assert_eq!(kp.keypad(), "572026000001");
        let all = Serial::parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ").unwrap();
        assert_eq!(all.keypad(), "22233344455566677778889999");
        assert_eq!(Serial::parse("1234567890").unwrap().keypad(), "1234567890");
    }

    proptest! {
        #[test]
        fn keypad_form_is_digits_of_the_same_length(text in "[A-Za-z0-9]{1,32}") {
            let serial = Serial::parse(&text).unwrap();
            let keyed = serial.keypad();
            prop_assert_eq!(keyed.len(), serial.as_str().len());
            prop_assert!(keyed.chars().all(|c| c.is_ascii_digit()));
        }

        #[test]
        fn parse_never_panics_and_canonical_form_parses_to_itself(text in ".{0,40}") {
            if let Ok(serial) = Serial::parse(&text) {
                prop_assert_eq!(Serial::parse(serial.as_str()), Ok(serial.clone()));
                prop_assert!(serial.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
            }
        }
    }
}
