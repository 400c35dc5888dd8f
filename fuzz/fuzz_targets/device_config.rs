//! The device's config file: no panic; a TOML error's span lies inside the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use reader_device::config::{ConfigError, DeviceConfig};

fuzz_target!(|text: &str| {
    if let Err(ConfigError::Parse { cause, .. }) =
        DeviceConfig::parse(text, Path::new("/etc/kode/device.toml"))
    {
        if let Some(span) = cause.span() {
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{span:?}: {cause}"
            );
        }
    }
});
