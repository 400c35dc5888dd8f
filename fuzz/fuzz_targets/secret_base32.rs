//! Base32 secrets: no panic; a bad character's position is inside the input; a secret
//! that decodes encodes back to text that decodes to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otp::{Secret, SecretError};

fuzz_target!(|text: &str| {
    match Secret::from_base32(text) {
        Ok(secret) => {
            let written = secret.to_base32();
            assert_eq!(Secret::from_base32(&written).unwrap(), secret, "{text:?}");
        }
        Err(SecretError::NotBase32 { position } | SecretError::MisplacedPadding { position }) => {
            assert!(
                (1..=text.chars().count()).contains(&position),
                "{position} in {text:?}"
            );
        }
        Err(_) => {}
    }
});
