//! espeak-ng when the `espeak` feature is off: the same API, always
//! [`EspeakError::NotBuilt`].

use super::{EspeakError, EspeakParams, VoiceInfo};

/// A handle on espeak-ng (never, in this build).
#[derive(Debug, Clone)]
pub struct Espeak {
    never: std::convert::Infallible,
}

impl Espeak {
    pub fn new() -> Result<Espeak, EspeakError> {
        Err(EspeakError::NotBuilt)
    }

    pub fn sample_rate(&self) -> u32 {
        match self.never {}
    }

    pub fn synthesize(
        &self,
        _voice: &str,
        _wpm: u32,
        _params: &EspeakParams,
        _text: &str,
        _on_chunk: &mut dyn FnMut(&[i16]) -> bool,
    ) -> Result<bool, EspeakError> {
        match self.never {}
    }

    pub fn voices(&self) -> Result<Vec<VoiceInfo>, EspeakError> {
        match self.never {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_clearly_that_this_build_has_no_espeak() {
        let error = Espeak::new().unwrap_err();
        assert_eq!(error, EspeakError::NotBuilt);
        assert!(error.to_string().contains("`espeak` feature"), "{error}");
    }
}
