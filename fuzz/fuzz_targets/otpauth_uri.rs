//! otpauth:// Key URIs: no panic; what parses, written back with `to_uri`, parses to the
//! same key (the round trip `KeyUri` promises).
#![no_main]

use libfuzzer_sys::fuzz_target;
use otp::KeyUri;

fuzz_target!(|text: &str| {
    if let Ok(key) = KeyUri::parse(text) {
        let written = key.to_uri();
        let again = KeyUri::parse(&written).unwrap_or_else(|error| panic!("{error}: {written}"));
        assert_eq!(again, key, "{written}");
    }
});
