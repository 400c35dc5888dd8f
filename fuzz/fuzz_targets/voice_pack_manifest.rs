//! Voice-pack manifests (`pack.toml`): no panic; an error's span lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(error) = toml::from_str::<speech::pack::Manifest>(text) {
        if let Some(span) = error.span() {
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "{span:?}: {error}"
            );
        }
    }
});
