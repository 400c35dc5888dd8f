//! Speech for Kodeoplæser: codes and prompts → words and pauses → audio (espeak-ng or a
//! voice pack) → WAV or live playback.
//!
//! This file holds the shared vocabulary that the device, the simulator and phone support
//! use to ask for speech ([`Utterance`], [`Part`], [`Lang`], [`Grouping`], [`Rate`]);
//! the stages that turn it into sound live in the modules below.

use std::fmt;
use std::str::FromStr;

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

/// Speaking rate, a user setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rate {
    Slow,
    #[default]
    Normal,
    Fast,
}

/// One piece of something to say, before it becomes words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A catalogue prompt by its stable id (e.g. "your-code-is"), with named arguments.
    Prompt {
        id: String,
        args: Vec<(String, String)>,
    },
    /// A one-time code, read digit by digit in the listener's grouping.
    Code(String),
    /// A serial number, read slowly in groups.
    Serial(String),
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
    pub fn then_code(mut self, digits: &str) -> Self {
        self.parts.push(Part::Code(digits.to_owned()));
        self
    }

    /// Appends a serial number, read in groups.
    pub fn then_serial(mut self, serial: &str) -> Self {
        self.parts.push(Part::Serial(serial.to_owned()));
        self
    }
}
