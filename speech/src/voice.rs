//! Stage 3: a [`Script`] → audio in a [`Sink`], by espeak-ng or a voice pack. Both voices
//! say each token as one segment, joined by the [`Joiner`] with the pauses of [`Timing`].

use std::path::Path;

use crate::audio::{Joiner, Sink, SinkError, Span};
use crate::espeak::{Espeak, EspeakError, EspeakParams};
use crate::pack::{PackError, VoicePack, PACK_SAMPLE_RATE};
use crate::words::{group_clip_id, Pause, Script, Token};
use crate::Rate;

/// Pause lengths at normal rate (slow and fast scale them by [`Rate::stretch`]) and the
/// fade at each joint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub digit_ms: u32,
    pub group_ms: u32,
    pub serial_digit_ms: u32,
    pub serial_group_ms: u32,
    pub part_ms: u32,
    pub fade_ms: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            digit_ms: 180,
            group_ms: 600,
            serial_digit_ms: 300,
            serial_group_ms: 900,
            part_ms: 450,
            fade_ms: 5,
        }
    }
}

impl Timing {
    /// Length of a pause in milliseconds at a rate.
    pub fn pause_ms(&self, pause: Pause, rate: Rate) -> u32 {
        let base = match pause {
            Pause::Digit => self.digit_ms,
            Pause::Group => self.group_ms,
            Pause::SerialDigit => self.serial_digit_ms,
            Pause::SerialGroup => self.serial_group_ms,
            Pause::Part => self.part_ms,
        };
        (base as f32 * rate.stretch()).round() as u32
    }

    fn samples(ms: u32, sample_rate: u32) -> usize {
        (u64::from(ms) * u64::from(sample_rate) / 1000) as usize
    }
}

/// Why speech failed (a stop by the listener is not a failure: see [`Spoken`]).
#[derive(Debug, thiserror::Error)]
pub enum SpeakError {
    #[error(transparent)]
    Espeak(#[from] EspeakError),
    #[error("writing speech: {0}")]
    Sink(SinkError),
    #[error("the voice pack has no clips for {missing:?} and espeak-ng is not available")]
    NotInPack { missing: Vec<String> },
}

/// How an utterance went: where each token landed, and whether it was said to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoken {
    pub spans: Vec<Span>,
    pub finished: bool,
}

/// espeak-ng with its parameters.
#[derive(Debug, Clone)]
pub struct EspeakVoice {
    pub espeak: Espeak,
    pub params: EspeakParams,
    pub timing: Timing,
}

/// Something that can say a [`Script`].
#[derive(Debug, Clone)]
pub enum Voice {
    Espeak(EspeakVoice),
    /// Recorded packs, at most one per language; an utterance is said by the pack of its
    /// language. Utterances no pack can fully say (another language, free text, prompts
    /// with arguments or without a clip) are said whole by the espeak-ng fallback, so one
    /// utterance never mixes voices.
    Pack {
        packs: Vec<VoicePack>,
        timing: Timing,
        fallback: Option<EspeakVoice>,
    },
}

impl Voice {
    /// espeak-ng with default parameters.
    pub fn espeak() -> Result<Voice, EspeakError> {
        Ok(Voice::Espeak(EspeakVoice {
            espeak: Espeak::new()?,
            params: EspeakParams::default(),
            timing: Timing::default(),
        }))
    }

    /// The pack in `dir` (validated) with espeak-ng as fallback for what it lacks.
    pub fn pack(dir: &Path) -> Result<Voice, PackError> {
        Ok(Voice::with_packs(vec![VoicePack::load(dir)?]))
    }

    /// The packs in `dirs` (each validated; at most one per language) with espeak-ng as
    /// fallback for what they lack, e.g. a Danish and an English pack.
    pub fn packs<P: AsRef<Path>>(dirs: &[P]) -> Result<Voice, PackError> {
        let mut packs: Vec<VoicePack> = Vec::new();
        for dir in dirs {
            let pack = VoicePack::load(dir.as_ref())?;
            refuse_second_pack(&packs, &pack)?;
            packs.push(pack);
        }
        Ok(Voice::with_packs(packs))
    }

    fn with_packs(packs: Vec<VoicePack>) -> Voice {
        let fallback = Espeak::new().ok().map(|espeak| EspeakVoice {
            espeak,
            params: EspeakParams::default(),
            timing: Timing::default(),
        });
        Voice::Pack {
            packs,
            timing: Timing::default(),
            fallback,
        }
    }

    /// The pack in `dir` if it validates, else espeak-ng together with the reason the
    /// pack was refused (to show or log: the code is still spoken).
    pub fn pack_or_espeak(dir: &Path) -> Result<(Voice, Option<PackError>), EspeakError> {
        let (voice, mut refused) = Voice::packs_or_espeak(&[dir])?;
        Ok((voice, refused.pop()))
    }

    /// Every pack in `dirs` that validates (the first per language), with espeak-ng for
    /// the rest; espeak-ng alone when none does. Also the reasons packs were refused (to
    /// show or log: codes are still spoken).
    pub fn packs_or_espeak<P: AsRef<Path>>(
        dirs: &[P],
    ) -> Result<(Voice, Vec<PackError>), EspeakError> {
        let mut packs: Vec<VoicePack> = Vec::new();
        let mut refused = Vec::new();
        for dir in dirs {
            match VoicePack::load(dir.as_ref())
                .and_then(|pack| refuse_second_pack(&packs, &pack).map(|()| pack))
            {
                Ok(pack) => packs.push(pack),
                Err(error) => {
                    tracing::warn!("{error}; falling back to espeak-ng");
                    refused.push(error);
                }
            }
        }
        if packs.is_empty() {
            return Ok((Voice::espeak()?, refused));
        }
        Ok((Voice::with_packs(packs), refused))
    }

    /// The sample rate of everything this voice produces.
    pub fn sample_rate(&self) -> u32 {
        match self {
            Voice::Espeak(voice) => voice.espeak.sample_rate(),
            Voice::Pack { .. } => PACK_SAMPLE_RATE,
        }
    }

    /// Says the script into `sink`, chunk by chunk as it is made. A sink that answers
    /// [`SinkError::Stopped`] ends speech at once (`finished: false`).
    pub fn speak(&mut self, script: &Script, sink: &mut dyn Sink) -> Result<Spoken, SpeakError> {
        let outcome = match self {
            Voice::Espeak(voice) => speak_espeak(voice, script, sink),
            Voice::Pack {
                packs,
                timing,
                fallback,
            } => {
                let lang = script.settings.lang;
                let pack = packs.iter_mut().find(|pack| pack.lang == lang);
                let missing = match &pack {
                    Some(pack) => missing_clips(pack, script),
                    None => vec![format!("a {lang} voice pack")],
                };
                if let (true, Some(pack)) = (missing.is_empty(), pack) {
                    speak_pack(pack, *timing, script, sink)
                } else if let Some(voice) = fallback {
                    tracing::debug!(?missing, "pack lacks clips; using espeak-ng");
                    speak_espeak(voice, script, sink)
                } else {
                    return Err(SpeakError::NotInPack { missing });
                }
            }
        };
        match outcome {
            Ok(spans) => Ok(Spoken {
                spans,
                finished: true,
            }),
            Err(Failure::Stopped(spans)) => Ok(Spoken {
                spans,
                finished: false,
            }),
            Err(Failure::Error(error)) => Err(error),
        }
    }
}

enum Failure {
    Stopped(Vec<Span>),
    Error(SpeakError),
}

fn sink_failure(error: SinkError, joiner: Joiner<'_>) -> Failure {
    match error {
        SinkError::Stopped => Failure::Stopped(joiner.into_spans()),
        other => Failure::Error(SpeakError::Sink(other)),
    }
}

/// Refuses `pack` when `packs` already hold one in its language.
fn refuse_second_pack(packs: &[VoicePack], pack: &VoicePack) -> Result<(), PackError> {
    match packs.iter().find(|other| other.lang == pack.lang) {
        Some(first) => Err(PackError::SecondForLanguage {
            dir: pack.dir.clone(),
            lang: pack.lang,
            first: first.dir.clone(),
        }),
        None => Ok(()),
    }
}

/// What the pack cannot say of `script`, as a sorted set of descriptions that never spell
/// a code or serial: digit and letter clips are named by kind, not one by one in order.
fn missing_clips(pack: &VoicePack, script: &Script) -> Vec<String> {
    let other_lang = pack.lang != script.settings.lang;
    let mut missing = std::collections::BTreeSet::new();
    for token in &script.tokens {
        let Some(id) = token.clip_id() else {
            match token {
                Token::Text(_) => missing.insert("free text".to_owned()),
                Token::Prompt { id, .. } => missing.insert(format!("{id} (arguments)")),
                _ => false, // a pause
            };
            continue;
        };
        if other_lang || !pack.has_clip(&id) {
            // Digits and letters by kind: their ids in order would spell the code.
            missing.insert(match token {
                Token::Digit { .. } => "digits".to_owned(),
                Token::Letter { .. } => "letters".to_owned(),
                _ => id.into_owned(),
            });
        }
    }
    missing.into_iter().collect()
}

fn speak_espeak(
    voice: &EspeakVoice,
    script: &Script,
    sink: &mut dyn Sink,
) -> Result<Vec<Span>, Failure> {
    let rate = script.settings.rate;
    let sample_rate = voice.espeak.sample_rate();
    let name = voice
        .params
        .voice
        .clone()
        .unwrap_or_else(|| script.settings.lang.code().to_owned());
    let wpm = voice.params.wpm_at(rate);
    let mut joiner = Joiner::new(sink, Timing::samples(voice.timing.fade_ms, sample_rate));
    for (index, token) in script.tokens.iter().enumerate() {
        if let Token::Pause(pause) = token {
            let samples = Timing::samples(voice.timing.pause_ms(*pause, rate), sample_rate);
            if let Err(error) = joiner.pause(index, samples) {
                return Err(sink_failure(error, joiner));
            }
            continue;
        }
        let text = token.espeak_text().expect("only pauses have no text");
        joiner.begin();
        let mut sink_error = None;
        let result = voice
            .espeak
            .synthesize(
                &name,
                wpm,
                &voice.params,
                &text,
                &mut |chunk| match joiner.push(chunk) {
                    Ok(()) => true,
                    Err(error) => {
                        sink_error = Some(error);
                        false
                    }
                },
            );
        if let Some(error) = sink_error {
            return Err(sink_failure(error, joiner));
        }
        if let Err(error) = result {
            return Err(Failure::Error(error.into()));
        }
        if let Err(error) = joiner.end(index) {
            return Err(sink_failure(error, joiner));
        }
    }
    Ok(joiner.into_spans())
}

fn speak_pack(
    pack: &mut VoicePack,
    timing: Timing,
    script: &Script,
    sink: &mut dyn Sink,
) -> Result<Vec<Span>, Failure> {
    let rate = script.settings.rate;
    let mut joiner = Joiner::new(sink, Timing::samples(timing.fade_ms, PACK_SAMPLE_RATE));
    let mut index = 0;
    while let Some(token) = script.tokens.get(index) {
        let (len, result) = match token {
            Token::Pause(pause) => (
                1,
                joiner.pause(
                    index,
                    Timing::samples(timing.pause_ms(*pause, rate), PACK_SAMPLE_RATE),
                ),
            ),
            _ => {
                // A whole group of a code is one clip when the pack has it; a token in the
                // middle of a group (after a digit pause) never starts one.
                let starts_group =
                    index == 0 || !matches!(script.tokens[index - 1], Token::Pause(Pause::Digit));
                let (len, id) = starts_group
                    .then(|| code_group(&script.tokens[index..]))
                    .flatten()
                    .filter(|(_, id)| pack.has_clip(id))
                    .unwrap_or_else(|| {
                        let id = token.clip_id().expect("checked by missing_clips");
                        (1, id.into_owned())
                    });
                let clip = pack
                    .clip(&id, rate)
                    .expect("checked by missing_clips or has_clip");
                joiner.begin();
                (len, joiner.push(&clip).and_then(|()| joiner.end(index)))
            }
        };
        if let Err(error) = result {
            return Err(sink_failure(error, joiner));
        }
        index += len;
    }
    Ok(joiner.into_spans())
}

/// When `tokens` start with a whole group of a code (digits joined by digit pauses, up to
/// a group or part pause or the end), how many tokens it spans and the clip id that says
/// it as one: [`group_clip_id`].
fn code_group(tokens: &[Token]) -> Option<(usize, String)> {
    let mut digits = Vec::new();
    let mut len = 0;
    for token in tokens {
        match token {
            Token::Digit { digit, .. } if len % 2 == 0 => digits.push(*digit),
            Token::Pause(Pause::Digit) if len % 2 == 1 => {}
            Token::Pause(Pause::Group | Pause::Part) if len % 2 == 1 => break,
            _ => return None,
        }
        len += 1;
    }
    (digits.len() > 1 && len % 2 == 1).then(|| (len, group_clip_id(&digits)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{code_tokens, serial_tokens};
    use crate::{Grouping, Lang, Settings};

    fn tokens(code: &str, grouping: Grouping) -> Vec<Token> {
        let settings = Settings {
            lang: Lang::En,
            grouping,
            rate: Rate::Normal,
        };
        code_tokens(&otp::Code::from_digits(code).unwrap(), settings)
    }

    #[test]
    fn a_code_group_spans_its_digits_and_the_pauses_between() {
        let threes = tokens("997910", Grouping::Threes);
        assert_eq!(code_group(&threes), Some((5, "group-997".to_owned())));
        // From the group pause on there is no group; from the second group there is.
        assert_eq!(code_group(&threes[5..]), None);
        assert_eq!(code_group(&threes[6..]), Some((5, "group-910".to_owned())));
        let pairs = tokens("99791011", Grouping::Pairs);
        assert_eq!(code_group(&pairs), Some((3, "group-99".to_owned())));
        // One digit is not a group.
        assert_eq!(code_group(&tokens("997910", Grouping::Single)), None);
    }

    #[test]
    fn a_serial_has_no_code_groups() {
        let settings = Settings::default();
        let serial = serial_tokens(&otp::Serial::parse("99900001").unwrap(), settings);
        assert!((0..serial.len()).all(|i| code_group(&serial[i..]).is_none()));
    }
}
