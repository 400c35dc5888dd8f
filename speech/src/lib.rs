//! Speech for Kodeoplæser: codes and prompts → words and pauses → audio (espeak-ng or a
//! voice pack) → WAV or live playback.
//!
//! This file holds the shared vocabulary that the device, the simulator and phone support
//! use to ask for speech ([`Utterance`], [`Part`], [`Lang`], [`Grouping`], [`Rate`]);
//! the stages that turn it into sound live in the modules below, one stage each:
//!
//! 1. [`catalogue`]: every prompt, in Danish and English, as Fluent messages embedded at
//!    build time; loading fails when a message is missing in one language.
//! 2. [`words`]: an [`Utterance`] + [`Settings`] → a [`Script`] of [`Token`]s (digit
//!    words, prompt texts, pauses). Pure; this is what `speech words` prints.
//! 3. [`voice`]: a [`Script`] → mono 16-bit PCM, streamed chunk by chunk into a
//!    [`Sink`], by a [`Voice`]: espeak-ng in-process ([`espeak`]) or a recorded voice
//!    pack ([`pack`]), both joined by [`audio`] (trimmed clips, fades, pauses).
//! 4. Outputs: [`WavSink`] (always), [`Pcm`] in memory, and live [`Player`] playback
//!    (cargo feature `playback`, stoppable at once).
//!
//! The whole API a caller needs:
//!
//! ```
//! use speech::{Catalogue, Pcm, Settings, Utterance, Voice};
//! let catalogue = Catalogue::embedded()?;
//! let utterance = Utterance::prompt("your-code-is").then_code(otp::Code::from_digits("482079").unwrap());
//! let script = catalogue.render(&utterance, Settings::default())?;
//! assert_eq!(script.words_line(), "Din kode er || fire otte to | nul syv ni");
//! // A pack if it validates, else espeak-ng; the report says why the pack was refused.
//! let (mut voice, refused) = Voice::pack_or_espeak("../voice-packs/da".as_ref())?;
//! assert!(refused.is_none());
//! let mut pcm = Pcm::new(voice.sample_rate());
//! let spoken = voice.speak(&script, &mut pcm)?;    // or a WavSink, or Player::start(…)
//! assert!(spoken.finished && pcm.duration_secs() > 2.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Architecture invariant: [`words`] and [`catalogue`] do no I/O; audio only moves through
//! [`Sink`]s, so everything but live playback is tested without a sound card.

use std::fmt;
use std::str::FromStr;

pub mod audio;
pub mod catalogue;
pub mod espeak;
pub mod pack;
pub mod playback;
pub mod stretch;
pub mod voice;
pub mod words;

pub use audio::{Pcm, Sink, SinkError, WavSink};
pub use catalogue::{Catalogue, CatalogueError, PromptError};
pub use espeak::{Espeak, EspeakError};
pub use pack::{PackError, PackReport, VoicePack};
pub use playback::{PlaybackError, Player, Playing};
pub use voice::{SpeakError, Voice};
pub use words::{RenderError, Script, Settings, Token};

/// A language the product speaks. Danish is the default (5.1.3.14: the display's language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Da,
    En,
}

impl Lang {
    /// The BCP 47 code, also espeak-ng's voice name.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub const ALL: [Lang; 2] = [Lang::Da, Lang::En];

    /// The words for the digits 0–9, in order.
    pub fn digit_words(self) -> [&'static str; 10] {
        match self {
            Lang::Da => [
                "nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni",
            ],
            Lang::En => [
                "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            ],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code the product has no catalogue for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?} (expected da or en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "da" | "dansk" | "danish" => Ok(Lang::Da),
            "en" | "engelsk" | "english" => Ok(Lang::En),
            _ => Err(UnknownLang(text.to_owned())),
        }
    }
}

/// How the digits of a code are grouped when read aloud (and shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Grouping {
    /// "482 079": two groups of three (the default for 6 digits).
    #[default]
    Threes,
    /// "48 20 79".
    Pairs,
    /// Every digit on its own, evenly spaced.
    Single,
}

/// A grouping name the product does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown grouping {0:?} (expected 3/threes, 2/pairs or 1/single)")]
pub struct UnknownGrouping(pub String);

impl FromStr for Grouping {
    type Err = UnknownGrouping;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "3" | "threes" => Ok(Grouping::Threes),
            "2" | "pairs" => Ok(Grouping::Pairs),
            "1" | "0" | "single" | "none" => Ok(Grouping::Single),
            _ => Err(UnknownGrouping(text.to_owned())),
        }
    }
}

/// Speaking rate, a user setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rate {
    Slow,
    #[default]
    Normal,
    Fast,
}

impl Rate {
    /// How much longer than normal pauses and clips last at this rate.
    pub fn stretch(self) -> f32 {
        match self {
            Rate::Slow => 1.5,
            Rate::Normal => 1.0,
            Rate::Fast => 0.7,
        }
    }
}

/// A rate name the product does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rate {0:?} (expected slow, normal or fast)")]
pub struct UnknownRate(pub String);

impl FromStr for Rate {
    type Err = UnknownRate;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "slow" | "langsom" => Ok(Rate::Slow),
            "normal" => Ok(Rate::Normal),
            "fast" | "hurtig" => Ok(Rate::Fast),
            _ => Err(UnknownRate(text.to_owned())),
        }
    }
}

/// One piece of something to say, before it becomes words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A catalogue prompt by its stable id (e.g. "your-code-is"), with named arguments.
    Prompt {
        id: String,
        args: Vec<(String, String)>,
    },
    /// A one-time code, read digit by digit in the listener's grouping. Its `Debug` is
    /// redacted, so an utterance never prints a code.
    Code(otp::Code),
    /// A serial number, read slowly in groups, letters by name.
    Serial(otp::Serial),
    /// Free text already in the listener's language (e.g. a phone-support flow step).
    /// Only a synthesizer can say it; a voice pack hands such utterances to espeak-ng.
    Text(String),
}

/// Something to say: prompts, codes and serials in order. The language, grouping and rate
/// are the listener's settings and are given when the utterance is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Utterance {
    pub parts: Vec<Part>,
}

impl Utterance {
    /// A single prompt without arguments.
    pub fn prompt(id: &str) -> Self {
        Utterance::default().then_prompt(id)
    }

    /// Appends a prompt without arguments.
    pub fn then_prompt(mut self, id: &str) -> Self {
        self.parts.push(Part::Prompt {
            id: id.to_owned(),
            args: Vec::new(),
        });
        self
    }

    /// Appends a prompt with named arguments (e.g. `("level", "5")`).
    pub fn then_prompt_with(mut self, id: &str, args: &[(&str, &str)]) -> Self {
        self.parts.push(Part::Prompt {
            id: id.to_owned(),
            args: args
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        });
        self
    }

    /// Appends a code, read digit by digit.
    pub fn then_code(mut self, code: otp::Code) -> Self {
        self.parts.push(Part::Code(code));
        self
    }

    /// Appends a serial number, read in groups.
    pub fn then_serial(mut self, serial: &otp::Serial) -> Self {
        self.parts.push(Part::Serial(serial.clone()));
        self
    }

    /// Appends free text, spoken as written.
    pub fn then_text(mut self, text: &str) -> Self {
        self.parts.push(Part::Text(text.to_owned()));
        self
    }
}
