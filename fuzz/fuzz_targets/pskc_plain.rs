//! PSKC without a key: no panic; an error names a line of the input; what parses, written
//! back as PSKC, parses to the same key packages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match otp::pskc::parse(text, None) {
        Ok(packages) => {
            let written = kode_fuzz::write_pskc(&packages);
            let again = otp::pskc::parse(&written, None)
                .unwrap_or_else(|error| panic!("{error}\n{written}"));
            assert_eq!(again, packages, "{written}");
        }
        Err(error) => kode_fuzz::assert_line_in(error.line, text, &error),
    }
});
