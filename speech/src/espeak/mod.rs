//! espeak-ng, the synthesizer behind the default voice and the voice-pack builder. Built
//! with the `espeak` feature (links Debian's libespeak-ng in-process, module `enabled`);
//! without it the same API answers [`EspeakError::NotBuilt`] (module `disabled`), so the
//! simulator and voice packs build and run on a machine without the C library.

#[cfg(feature = "espeak")]
mod enabled;
#[cfg(feature = "espeak")]
pub use enabled::Espeak;

#[cfg(not(feature = "espeak"))]
mod disabled;
#[cfg(not(feature = "espeak"))]
pub use disabled::Espeak;

use crate::Rate;

/// What went wrong in espeak-ng.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EspeakError {
    #[error("espeak-ng could not start (is the espeak-ng-data package installed?)")]
    Init,
    #[error("espeak-ng has no voice {0:?} (see `speech voices`)")]
    NoVoice(String),
    #[error("espeak-ng failed to synthesize {text:?} (error {code})")]
    Synth { text: String, code: i32 },
    #[error("text for espeak-ng contains a NUL character")]
    Nul,
    #[error("espeak-ng is not re-entrant: it cannot be used from inside its own synthesis (a chunk handler that speaks)")]
    Reentrant,
    #[error("this build has no espeak-ng (rebuild with the `espeak` feature, which needs libespeak-ng-dev); use a voice pack")]
    NotBuilt,
}

/// One espeak-ng voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceInfo {
    /// Name to select it by (e.g. "da", "en", "en-us").
    pub name: String,
    /// Its human name (e.g. "Danish").
    pub description: String,
    /// The languages it speaks, best first.
    pub languages: Vec<String>,
}

/// Speaking parameters for espeak-ng.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspeakParams {
    /// Words per minute at normal rate (slow and fast scale it); espeak-ng allows 80–450.
    pub wpm: u32,
    /// Base pitch, 0–100 (espeak-ng's default is 50).
    pub pitch: u8,
    /// Volume, 0–200 (100 is normal).
    pub volume: u8,
    /// A voice name to use instead of the listener's language (any `speech voices` name).
    pub voice: Option<String>,
}

impl Default for EspeakParams {
    fn default() -> Self {
        EspeakParams {
            wpm: 165,
            pitch: 50,
            volume: 100,
            voice: None,
        }
    }
}

impl EspeakParams {
    /// Words per minute at a listener's rate.
    pub fn wpm_at(&self, rate: Rate) -> u32 {
        ((self.wpm as f32 / rate.stretch()).round() as u32).clamp(80, 450)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slower_rate_means_fewer_words_per_minute() {
        let params = EspeakParams::default();
        assert!(params.wpm_at(Rate::Slow) < params.wpm_at(Rate::Normal));
        assert!(params.wpm_at(Rate::Fast) > params.wpm_at(Rate::Normal));
    }
}
