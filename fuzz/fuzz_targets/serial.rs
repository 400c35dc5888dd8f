//! Serial numbers: no panic; a bad character's position is inside the input and names that
//! character; a serial that parses is canonical (parsing it again gives itself) and keeps
//! the input's letters and digits, upper-cased, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otp::{Serial, SerialError};

fuzz_target!(|text: &str| {
    match Serial::parse(text) {
        Ok(serial) => {
            assert_eq!(Serial::parse(serial.as_str()).as_ref(), Ok(&serial), "{text:?}");
            let kept: String = text
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect();
            assert_eq!(serial.as_str(), kept, "{text:?}");
        }
        Err(SerialError::BadCharacter { found, position }) => {
            assert_eq!(text.chars().nth(position - 1), Some(found), "{text:?}");
        }
        Err(SerialError::Empty | SerialError::TooLong { .. }) => {}
    }
});
