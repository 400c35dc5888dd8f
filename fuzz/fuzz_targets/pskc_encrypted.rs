//! PSKC encrypted with a pre-shared key (seeded with RFC 6030 Figure 6 and its key): no
//! panic, an error names a line of the input, and what decrypts has non-empty secrets.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// RFC 6030 Figure 6's pre-shared key, 12345678901234567890123456789012 in hex.
const PSK: [u8; 16] = [
    0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
];

fuzz_target!(|text: &str| {
    match otp::pskc::parse(text, Some(&PSK)) {
        Ok(packages) => {
            assert!(!packages.is_empty());
            assert!(packages
                .iter()
                .all(|p| !p.secret.is_empty() && !p.serial.is_empty()));
        }
        Err(error) => kode_fuzz::assert_line_in(error.line, text, &error),
    }
});
