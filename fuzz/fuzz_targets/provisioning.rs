//! The device's provisioning file (an otpauth URI or a PSKC container): no panic; a PSKC
//! error names a line of the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use reader_device::provision::{parse, ProvisionError};

fuzz_target!(|text: &str| {
    if let Err(ProvisionError::Pskc { cause, .. }) =
        parse(
        text,
        Path::new("device.secret"),
        &otp::Serial::parse("1234567890").expect("a valid serial"),
        None,
    )
    {
        // The PSKC is the trimmed text: its lines start where the text's first line does.
        let trimmed = text.trim();
        kode_fuzz::assert_line_in(cause.line, trimmed, &cause);
    }
});
