//! The imperative shell around the core: feeds hardware events into [`Device::handle`]
//! and carries out its effects on the hardware, the speech engine and the state store.
//! Storage and audio results go back into the core as events.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::core::{Device, Effect, Event, Now, Speech};
use crate::framebuffer::Framebuffer;
use crate::hw::{AudioOut, Hardware, HwError};
use crate::keys::{Edge, Key};
use crate::screen::{Silence, View};
use crate::store::{SlotMedium, StateStore};

/// Turns a [`Speech`] into audio on an [`AudioOut`].
pub trait Synthesizer {
    /// Says `speech`, streaming samples into `audio` as they are made. Stopped speech is
    /// not an error; a device or voice that cannot speak is, with the reason.
    fn speak(&mut self, speech: &Speech, audio: &mut dyn AudioOut) -> Result<(), Silence>;
}

/// The speech crate's catalogue and voice (espeak-ng or a voice pack), with the volume
/// applied as gain: 3 dB per step below the maximum.
pub struct SpeechSynth {
    catalogue: speech::Catalogue,
    /// `None` when no voice could be loaded: the device shows codes and says why it is silent.
    voice: Option<speech::Voice>,
    max_volume: u8,
    captions: Option<Captions>,
}

/// Receives each utterance's words as it is said (for a text terminal; never a log, as
/// the words may hold a code).
pub type Captions = Box<dyn FnMut(&Speech, &str) + Send>;

impl std::fmt::Debug for SpeechSynth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechSynth").finish_non_exhaustive()
    }
}

impl SpeechSynth {
    pub fn new(catalogue: speech::Catalogue, voice: Option<speech::Voice>, max_volume: u8) -> Self {
        SpeechSynth {
            catalogue,
            voice,
            max_volume,
            captions: None,
        }
    }

    /// Also hands each utterance's words to `captions`.
    pub fn with_captions(mut self, captions: Captions) -> Self {
        self.captions = Some(captions);
        self
    }
}

/// Scales samples by the volume and hands them to the audio output.
struct GainSink<'a> {
    audio: &'a mut dyn AudioOut,
    gain: f32,
    failure: Option<HwError>,
}

impl speech::Sink for GainSink<'_> {
    fn write(&mut self, samples: &[i16]) -> Result<(), speech::SinkError> {
        let scaled: Vec<i16> = samples
            .iter()
            .map(|sample| (f32::from(*sample) * self.gain) as i16)
            .collect();
        match self.audio.write(&scaled) {
            Ok(()) => Ok(()),
            Err(HwError::Stopped) => Err(speech::SinkError::Stopped),
            Err(error) => {
                self.failure = Some(error);
                Err(speech::SinkError::Stopped)
            }
        }
    }
}

/// The gain for a volume step: the maximum is 0 dB, each step below is −3 dB.
pub fn volume_gain(volume: u8, max_volume: u8) -> f32 {
    let steps_down = f32::from(max_volume.saturating_sub(volume));
    10f32.powf(-3.0 * steps_down / 20.0)
}

impl Synthesizer for SpeechSynth {
    fn speak(&mut self, speech: &Speech, audio: &mut dyn AudioOut) -> Result<(), Silence> {
        let settings = speech::Settings {
            lang: speech.lang,
            grouping: speech.grouping,
            rate: speech.rate,
        };
        let script = self
            .catalogue
            .render(&speech.utterance, settings)
            .map_err(|error| {
                // Render errors name prompts, never a code (codes cannot fail to render).
                tracing::error!("cannot render speech: {error}");
                Silence::VoiceBroken
            })?;
        if let Some(captions) = &mut self.captions {
            captions(speech, &script.words_line());
        }
        let Some(voice) = &mut self.voice else {
            return Err(Silence::VoiceBroken);
        };
        audio
            .begin(speech.channel, voice.sample_rate())
            .map_err(|error| {
                tracing::warn!("{error}");
                Silence::NoAudioDevice
            })?;
        let mut sink = GainSink {
            audio,
            gain: volume_gain(speech.volume, self.max_volume),
            failure: None,
        };
        let result = voice.speak(&script, &mut sink);
        if let Some(error) = sink.failure {
            tracing::warn!("{error}");
            return Err(Silence::NoAudioDevice);
        }
        match result {
            Ok(_) | Err(speech::SpeakError::Sink(speech::SinkError::Stopped)) => Ok(()),
            Err(speech::SpeakError::NotInPack { missing }) => {
                // The missing clips may be a code's digits: count them, do not name them.
                tracing::error!(
                    "cannot speak: the voice pack lacks {} clip(s) and espeak-ng is not available",
                    missing.len()
                );
                Err(Silence::VoiceBroken)
            }
            Err(speech::SpeakError::Espeak(speech::EspeakError::Synth { code, .. })) => {
                // The text may hold a code: give only espeak-ng's error number.
                tracing::error!("cannot speak: espeak-ng failed (error {code})");
                Err(Silence::VoiceBroken)
            }
            Err(error) => {
                tracing::error!("cannot speak: {error}");
                Err(Silence::VoiceBroken)
            }
        }
    }
}

/// The device program: core + hardware + speech + storage.
pub struct Runtime<S, M> {
    device: Device,
    hw: Hardware,
    synth: S,
    store: StateStore<M>,
    framebuffer: Framebuffer,
    silence: Option<Silence>,
    headphones: Option<bool>,
    battery: Option<u8>,
    asleep: bool,
    /// When the last key edge came (the red key acts on release, digits on press), until
    /// the speech it led to starts.
    key_at: Option<Instant>,
}

impl<S, M> std::fmt::Debug for Runtime<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl<S: Synthesizer, M: SlotMedium> Runtime<S, M> {
    pub fn new(
        device: Device,
        hw: Hardware,
        synth: S,
        store: StateStore<M>,
        framebuffer: Framebuffer,
    ) -> Self {
        Runtime {
            device,
            hw,
            synth,
            store,
            framebuffer,
            silence: None,
            headphones: None,
            battery: None,
            asleep: false,
            key_at: None,
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn framebuffer(&self) -> &Framebuffer {
        &self.framebuffer
    }

    /// Hands back the parts (after a simulated power cut, to reboot on the same storage).
    pub fn into_parts(self) -> (Device, Hardware, S, StateStore<M>) {
        (self.device, self.hw, self.synth, self.store)
    }

    /// The time now, from the monotonic clock given and the RTC. An RTC that cannot be
    /// read twice in a row reads as 0, which the core treats as a wrong clock.
    pub fn now(&mut self, mono_ms: u64) -> Now {
        let first = self.hw.rtc.unix_ms();
        let reading = first.or_else(|_| self.hw.rtc.unix_ms());
        let unix_ms = reading.unwrap_or_else(|error| {
            tracing::error!("{error}");
            0
        });
        Now { mono_ms, unix_ms }
    }

    /// The next key edge from the keypad, waiting at most `timeout`.
    pub fn next_key(&mut self, timeout: Duration) -> Option<(Key, Edge)> {
        self.hw.keys.next_edge(timeout).unwrap_or_else(|error| {
            tracing::error!("{error}");
            None
        })
    }

    /// Reads headphones and battery and reports changes to the core.
    pub fn poll_sensors(&mut self, now: Now) {
        match self.hw.headphones.plugged() {
            Ok(plugged) if self.headphones != Some(plugged) => {
                self.headphones = Some(plugged);
                self.dispatch(Event::Headphones(plugged), now);
            }
            Ok(_) => {}
            Err(error) => tracing::warn!("{error}"),
        }
        match self.hw.battery.percent() {
            Ok(percent) if self.battery != Some(percent) => {
                self.battery = Some(percent);
                self.dispatch(Event::Battery(percent), now);
            }
            Ok(_) => {}
            Err(error) => tracing::warn!("{error}"),
        }
    }

    /// Handles one event and everything it leads to (storage and audio results).
    pub fn dispatch(&mut self, event: Event, now: Now) {
        if let Event::Key(..) = event {
            self.key_at = Some(Instant::now());
        }
        let mut queue = VecDeque::from([event]);
        while let Some(event) = queue.pop_front() {
            for effect in self.device.handle(event, now) {
                self.apply(effect, &mut queue);
            }
        }
    }

    fn apply(&mut self, effect: Effect, queue: &mut VecDeque<Event>) {
        match effect {
            Effect::Draw(screen) => {
                if screen.view != View::Off && self.asleep {
                    self.asleep = false;
                    log(self.hw.display.sleep(false));
                }
                self.framebuffer.draw(&screen);
                let shown = self.hw.display.show(&screen, &self.framebuffer);
                log(shown);
            }
            Effect::Say(speech) => {
                let mut audio = FirstSampleLog {
                    audio: self.hw.audio.as_mut(),
                    key_at: self.key_at.take(),
                };
                let result = self.synth.speak(&speech, &mut audio);
                let silence = result.err();
                if silence != self.silence {
                    self.silence = silence;
                    queue.push_back(Event::Audio(silence));
                }
            }
            Effect::StopSpeaking => {
                let stopped = self.hw.audio.stop();
                log(stopped);
            }
            Effect::Persist(record) => match self.store.save(&record) {
                Ok(()) => queue.push_back(Event::Saved),
                Err(error) => {
                    tracing::error!("saving state: {error}");
                    queue.push_back(Event::SaveFailed);
                }
            },
            Effect::PowerOff => {
                self.asleep = true;
                let slept = self.hw.display.sleep(true);
                log(slept);
            }
        }
    }
}

/// Logs how long after the key edge that asked for it the first sample of speech reached
/// the audio output (the benchmark reader-device/qemu/bench.sh reads the line).
struct FirstSampleLog<'a> {
    audio: &'a mut dyn AudioOut,
    key_at: Option<Instant>,
}

impl AudioOut for FirstSampleLog<'_> {
    fn begin(&mut self, channel: crate::core::Channel, sample_rate: u32) -> Result<(), HwError> {
        self.audio.begin(channel, sample_rate)
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        let result = self.audio.write(samples);
        if !samples.is_empty() {
            if let Some(key) = self.key_at.take() {
                tracing::info!(
                    "first audio sample {:.1} ms after the key",
                    key.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
        result
    }

    fn stop(&mut self) -> Result<(), HwError> {
        self.audio.stop()
    }
}

/// Hardware trouble outside speech is logged; the device carries on.
fn log(result: Result<(), HwError>) {
    if let Err(error) = result {
        tracing::warn!("{error}");
    }
}
