//! Telephone lines the voice menu runs over, and the loop that drives a call. A [`Line`]
//! says utterances, listens for keys and queues or hangs up; [`AudioLine`] hears keys as
//! DTMF tones in an audio stream, [`LocalLine`] reads them from a keyboard. What is said goes
//! to a [`Speaker`]: text, or synthesized audio into a WAV file or the speakers.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDateTime;
use speech::{Catalogue, Lang, Settings, Sink, Utterance, Voice};

use crate::dtmf::Detector;
use crate::ivr::{Effect, Ending, Input, Ivr, Key, UnlockRequest, UnlockResult, NO_INPUT_TIMEOUT};

/// Why a line stopped working.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("the caller hung up")]
    CallerHungUp,
    #[error("cannot render prompt: {0}")]
    Render(#[from] speech::RenderError),
    #[error("cannot speak: {0}")]
    Speak(#[from] speech::SpeakError),
    #[error("cannot play audio: {0}")]
    Playback(String),
    #[error("line I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Whether the caller heard an utterance to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    ToTheEnd,
    /// The caller pressed a key while it was being said (barge-in); the key is the next
    /// one [`Line::listen`] returns.
    Interrupted,
}

/// A telephone line as the voice menu sees it.
pub trait Line {
    fn say(&mut self, lang: Lang, words: &Utterance) -> Result<Said, LineError>;
    /// Waits up to `timeout` for a key; `None` when none came.
    fn listen(&mut self, timeout: Duration) -> Result<Option<Key>, LineError>;
    /// Hands the caller to the agent queue.
    fn queue(&mut self) -> Result<(), LineError>;
    fn hang_up(&mut self) -> Result<(), LineError>;
    /// Asks the service to lift a device's block with two keyed codes. Lines without a
    /// service answer [`UnlockResult::Unavailable`].
    fn unlock(&mut self, _request: &UnlockRequest) -> Result<UnlockResult, LineError> {
        Ok(UnlockResult::Unavailable)
    }
}

/// Where what the menu says ends up.
pub trait Speaker {
    /// Says an utterance and returns how long it takes to hear (zero for text).
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError>;
}

/// Passes audio on and counts it.
struct Counting<'a> {
    inner: &'a mut dyn Sink,
    samples: u64,
}

impl Sink for Counting<'_> {
    fn write(&mut self, samples: &[i16]) -> Result<(), speech::SinkError> {
        self.samples += samples.len() as u64;
        self.inner.write(samples)
    }
}

/// Speaks a script into a sink; returns the audio's length.
fn speak_into(
    voice: &mut Voice,
    script: &speech::Script,
    sink: &mut dyn Sink,
) -> Result<Duration, LineError> {
    let rate = voice.sample_rate();
    let mut counting = Counting {
        inner: sink,
        samples: 0,
    };
    voice.speak(script, &mut counting)?;
    Ok(Duration::from_secs_f64(
        counting.samples as f64 / f64::from(rate),
    ))
}

/// Writes each utterance as a line of text (`[da] …`), rendered through the catalogue:
/// for screen readers, logs and tests.
pub struct TextSpeaker<W: Write> {
    catalogue: Catalogue,
    out: W,
}

impl<W: Write> TextSpeaker<W> {
    pub fn new(catalogue: Catalogue, out: W) -> Self {
        TextSpeaker { catalogue, out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Speaker for TextSpeaker<W> {
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError> {
        let text = render_text(&self.catalogue, lang, words)?;
        writeln!(self.out, "[{lang}] {text}")?;
        self.out.flush()?;
        Ok(Duration::ZERO)
    }
}

/// The words of an utterance as one line of text.
pub fn render_text(
    catalogue: &Catalogue,
    lang: Lang,
    words: &Utterance,
) -> Result<String, LineError> {
    let settings = Settings {
        lang,
        ..Settings::default()
    };
    Ok(catalogue.render(words, settings)?.words_line())
}

/// Synthesizes each utterance with a speech voice into a sink (a WAV file, memory, or
/// live playback).
pub struct VoiceSpeaker<S: Sink> {
    catalogue: Catalogue,
    voice: Voice,
    sink: S,
}

impl<S: Sink> VoiceSpeaker<S> {
    pub fn new(catalogue: Catalogue, voice: Voice, sink: S) -> Self {
        VoiceSpeaker {
            catalogue,
            voice,
            sink,
        }
    }

    pub fn into_sink(self) -> S {
        self.sink
    }
}

impl<S: Sink> Speaker for VoiceSpeaker<S> {
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError> {
        let settings = Settings {
            lang,
            ..Settings::default()
        };
        let script = self.catalogue.render(words, settings)?;
        speak_into(&mut self.voice, &script, &mut self.sink)
    }
}

/// Speaks each utterance through the speakers and waits until it has been heard (keys
/// typed meanwhile are kept for the next listen).
pub struct PlaybackSpeaker {
    catalogue: Catalogue,
    voice: Voice,
    player: speech::Player,
}

impl PlaybackSpeaker {
    /// Opens the default (or named) output device.
    pub fn open(
        catalogue: Catalogue,
        voice: Voice,
        device: Option<&str>,
    ) -> Result<Self, speech::PlaybackError> {
        Ok(PlaybackSpeaker {
            catalogue,
            voice,
            player: speech::Player::open(device)?,
        })
    }
}

impl Speaker for PlaybackSpeaker {
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError> {
        let settings = Settings {
            lang,
            ..Settings::default()
        };
        let script = self.catalogue.render(words, settings)?;
        let mut playing = self
            .player
            .start(self.voice.sample_rate())
            .map_err(|e| LineError::Playback(e.to_string()))?;
        let duration = speak_into(&mut self.voice, &script, &mut playing)?;
        playing.wait();
        Ok(duration)
    }
}

/// A speaker lent to a line, so the caller keeps it (e.g. to finish a WAV file).
impl<S: Speaker + ?Sized> Speaker for &mut S {
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError> {
        (**self).speak(lang, words)
    }
}

/// Both a text log and audio, e.g. a transcript next to a WAV.
impl<A: Speaker, B: Speaker> Speaker for (A, B) {
    fn speak(&mut self, lang: Lang, words: &Utterance) -> Result<Duration, LineError> {
        let a = self.0.speak(lang, words)?;
        let b = self.1.speak(lang, words)?;
        Ok(a.max(b))
    }
}

/// A line whose caller side is an audio stream (e.g. a WAV recording or a phone
/// gateway's samples): keys are DTMF tones found by [`Detector`]. Time on this line is the
/// stream's own: listening for 8 s consumes 8 s of samples, and saying a 3 s prompt lets
/// 3 s of the caller's audio pass, so runs are deterministic. A key pressed while a prompt
/// is said interrupts it (barge-in; the speaker has already received the whole prompt).
/// The stream ending means the caller hung up.
pub struct AudioLine<I: Iterator<Item = i16>, S: Speaker> {
    samples: I,
    rate: u32,
    detector: Detector,
    speaker: S,
    /// A key heard while a prompt was said.
    pending: Option<Key>,
    /// Samples consumed so far (the line's clock).
    pub position: u64,
}

impl<I: Iterator<Item = i16>, S: Speaker> AudioLine<I, S> {
    pub fn new(samples: I, rate: u32, speaker: S) -> Self {
        AudioLine {
            samples,
            rate,
            detector: Detector::new(rate),
            speaker,
            pending: None,
            position: 0,
        }
    }

    pub fn into_speaker(self) -> S {
        self.speaker
    }

    /// Lets `span` of the caller's audio pass; the first key heard, if any.
    fn hear(&mut self, span: Duration) -> Result<Option<Key>, LineError> {
        let budget = (span.as_secs_f64() * f64::from(self.rate)) as u64;
        for _ in 0..budget {
            let sample = self.samples.next().ok_or(LineError::CallerHungUp)?;
            self.position += 1;
            if let Some(key) = self.detector.push(sample) {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }
}

impl<I: Iterator<Item = i16>, S: Speaker> Line for AudioLine<I, S> {
    fn say(&mut self, lang: Lang, words: &Utterance) -> Result<Said, LineError> {
        let duration = self.speaker.speak(lang, words)?;
        match self.hear(duration)? {
            Some(key) => {
                self.pending = Some(key);
                Ok(Said::Interrupted)
            }
            None => Ok(Said::ToTheEnd),
        }
    }

    fn listen(&mut self, timeout: Duration) -> Result<Option<Key>, LineError> {
        match self.pending.take() {
            Some(key) => Ok(Some(key)),
            None => self.hear(timeout),
        }
    }

    fn queue(&mut self) -> Result<(), LineError> {
        Ok(())
    }

    fn hang_up(&mut self) -> Result<(), LineError> {
        Ok(())
    }
}

/// A line on this computer: keys typed on the keyboard (0–9, * and #, Enter sends them),
/// speech to the given speaker. End of input means the caller hung up.
pub struct LocalLine<S: Speaker, W: Write> {
    keys: mpsc::Receiver<Option<char>>,
    speaker: S,
    status: W,
}

impl<S: Speaker, W: Write> LocalLine<S, W> {
    /// Reads keys from `input` on a thread of its own; `status` receives notes such as
    /// "queued for an agent".
    pub fn new(input: impl BufRead + Send + 'static, speaker: S, status: W) -> Self {
        let (sender, keys) = mpsc::channel();
        std::thread::spawn(move || {
            for line in input.lines() {
                let Ok(line) = line else { break };
                for c in line.chars().filter(|c| !c.is_whitespace()) {
                    if sender.send(Some(c)).is_err() {
                        return;
                    }
                }
            }
            let _ = sender.send(None);
        });
        LocalLine {
            keys,
            speaker,
            status,
        }
    }
}

impl<S: Speaker, W: Write> Line for LocalLine<S, W> {
    /// Keys typed while a prompt plays are kept for the next listen; the prompt is not cut.
    fn say(&mut self, lang: Lang, words: &Utterance) -> Result<Said, LineError> {
        self.speaker.speak(lang, words)?;
        Ok(Said::ToTheEnd)
    }

    fn listen(&mut self, timeout: Duration) -> Result<Option<Key>, LineError> {
        loop {
            match self.keys.recv_timeout(timeout) {
                Ok(Some(c)) => match Key::from_char(c) {
                    Some(key) => return Ok(Some(key)),
                    None => writeln!(self.status, "({c:?} is not a key: use 0–9, * or #)")?,
                },
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(LineError::CallerHungUp)
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return Ok(None),
            }
        }
    }

    fn queue(&mut self) -> Result<(), LineError> {
        writeln!(self.status, "(the call is now in the agent queue)")?;
        Ok(())
    }

    fn hang_up(&mut self) -> Result<(), LineError> {
        writeln!(self.status, "(the menu hung up)")?;
        Ok(())
    }
}

/// What happened in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// "menu" and "flow/step" places, in order.
    pub visited: Vec<String>,
    /// `None` when the caller hung up first.
    pub ending: Option<Ending>,
    pub lang: Lang,
}

/// Drives one call: performs the menu's effects on the line and feeds back keys and
/// silences, reading Copenhagen local time from `clock` at each input.
pub fn run_call(
    ivr: &mut Ivr<'_>,
    line: &mut dyn Line,
    mut clock: impl FnMut() -> NaiveDateTime,
) -> Result<CallRecord, LineError> {
    match drive(ivr, line, &mut clock) {
        Ok(()) | Err(LineError::CallerHungUp) => Ok(CallRecord {
            visited: ivr.visited().to_vec(),
            ending: ivr.ending(),
            lang: ivr.lang(),
        }),
        Err(error) => Err(error),
    }
}

fn drive(
    ivr: &mut Ivr<'_>,
    line: &mut dyn Line,
    clock: &mut impl FnMut() -> NaiveDateTime,
) -> Result<(), LineError> {
    let mut effects = ivr.start();
    loop {
        let mut listen = false;
        let mut interrupted = false;
        let mut answer = None;
        for effect in effects {
            match effect {
                // The caller has already answered: the rest of this turn's words are skipped.
                Effect::Say(..) if interrupted => {}
                Effect::Say(lang, words) => {
                    interrupted = line.say(lang, &words)? == Said::Interrupted;
                }
                Effect::Listen => listen = true,
                // This line has no queue: the caller is handed on, and the menu's part ends.
                Effect::Queue => {
                    line.queue()?;
                    ivr.hand_on();
                    return Ok(());
                }
                // Only after a place in a queue, which this line never gives.
                Effect::Hold | Effect::Callback(_) => {}
                Effect::HangUp => line.hang_up()?,
                Effect::Unlock(request) => answer = Some(line.unlock(&request)?),
            }
        }
        if let Some(result) = answer {
            effects = ivr.handle(Input::Unlocked(result), clock());
            continue;
        }
        if !listen {
            return Ok(());
        }
        let input = match line.listen(NO_INPUT_TIMEOUT)? {
            Some(key) => Input::Key(key),
            None => Input::Silence,
        };
        effects = ivr.handle(input, clock());
    }
}
