//! Hex secrets: no panic; a bad character's position is inside the input; a secret that
//! decodes is the bytes the hex digits spell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otp::{Secret, SecretError};

fuzz_target!(|text: &str| {
    match Secret::from_hex(text) {
        Ok(secret) => {
            let hex: String = secret.expose().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(Secret::from_hex(&hex).unwrap(), secret, "{text:?}");
            let digits: String = text.chars().filter(char::is_ascii_hexdigit).collect();
            assert_eq!(digits.to_ascii_lowercase(), hex, "{text:?}");
        }
        Err(SecretError::NotHex { position }) => {
            assert!(
                (1..=text.chars().count()).contains(&position),
                "{position} in {text:?}"
            );
        }
        Err(_) => {}
    }
});
