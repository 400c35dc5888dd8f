//! Support-line flow files (TOML): no panic; every error names a line of the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(errors) = phone_support::flow::parse_flow(Path::new("fuzz.toml"), text) {
        assert!(!errors.0.is_empty());
        for error in &errors.0 {
            kode_fuzz::assert_line_in(error.line, text, error);
        }
    }
});
