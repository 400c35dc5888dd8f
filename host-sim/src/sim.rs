//! A device on a virtual clock: the reader-device program itself — its core, runtime,
//! speech and crash-safe state store — on simulated hardware, with every effect logged
//! with its time. Scripts, the terminal UI and the demo all drive the device through here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reader_device::hw::sim::{SimBattery, SimDisplay, SimHeadphones, SimKeypad, SimRtc};
use reader_device::hw::Hardware;
use reader_device::runtime::{Runtime, SpeechSynth};
use reader_device::store::{MemorySlots, StateStore};
use reader_device::{
    Channel, Config, Device, Edge, Event, Framebuffer, Key, Record, Screen, Token,
};
use speech::{Catalogue, Part, Voice};

use crate::audio::{AudioMode, SimAudioOut};

/// How often simulated time sends the core a tick (the device program does the same).
pub const TICK: Duration = Duration::from_millis(100);
/// How long a scripted `press` holds a key down.
pub const PRESS: Duration = Duration::from_millis(120);
/// The pause after a scripted `press`, so that two presses are two presses.
pub const SETTLE: Duration = Duration::from_millis(200);
/// The pause after a scripted `down` or `up`: longer than the debounce, as a finger is.
pub const EDGE_GAP: Duration = Duration::from_millis(60);
/// The simulated panel: an ST7789 at 320x240, as on the Pi.
pub const PANEL: (u32, u32) = (320, 240);

/// What the device was built with: its fixed config, serial number and secret.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub serial: otp::Serial,
    pub token: Option<Token>,
    /// What a fresh device starts from (e.g. an HOTP device's first counter).
    pub record: Record,
    /// Voice packs, at most one per language; espeak-ng speaks the other languages (and
    /// any language whose pack is missing or broken).
    pub voice_packs: Vec<std::path::PathBuf>,
}

/// One thing the device did, as the log, `--json` and the terminal UI show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Entry {
    Screen {
        t_ms: u64,
        screen: String,
    },
    Say {
        t_ms: u64,
        say: String,
        lang: String,
        channel: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        wav: Option<String>,
        /// The code's digits as a listener hears them (read back from the words).
        #[serde(skip)]
        heard_digits: String,
    },
    Power {
        t_ms: u64,
        power: &'static str,
    },
    Silent {
        t_ms: u64,
        silent: String,
    },
}

/// The log, shared with the speech captions and the audio output.
pub type Log = Arc<Mutex<Vec<Entry>>>;

fn lock(log: &Log) -> MutexGuard<'_, Vec<Entry>> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Headphones => "headphones",
        Channel::Speaker => "speaker",
    }
}

/// The digits of the code in an utterance's words ("Din kode er || fire otte to | …"),
/// read back the way a listener would; empty when the utterance holds no code.
fn heard_digits(words: &str, speech: &reader_device::Speech) -> String {
    if !speech
        .utterance
        .parts
        .iter()
        .any(|part| matches!(part, Part::Code(_)))
    {
        return String::new();
    }
    let digit_words = speech.lang.digit_words();
    let code_words = words.rsplit(" || ").next().unwrap_or_default();
    code_words
        .split_whitespace()
        .filter_map(|word| digit_words.iter().position(|w| *w == word))
        .map(|digit| char::from(b'0' + digit as u8))
        .collect()
}

/// A simulated device and everything around it.
pub struct Simulator {
    setup: Setup,
    /// The running program; `None` only while power is cut.
    runtime: Option<Runtime<SpeechSynth, MemorySlots>>,
    /// Storage while power is cut (it keeps what was saved).
    medium: Option<MemorySlots>,
    parts: Option<(Hardware, SpeechSynth)>,
    display: SimDisplay,
    headphones: SimHeadphones,
    battery: SimBattery,
    rtc: SimRtc,
    start_unix_ms: u64,
    elapsed_ms: Arc<AtomicU64>,
    log: Log,
    frames_seen: u64,
    asleep_seen: bool,
}

impl Simulator {
    /// A device that is switched off, with headphones plugged in and a full battery, at
    /// the wall time `start_unix_ms`, speaking to `audio`.
    pub fn new(setup: Setup, start_unix_ms: u64, audio: &AudioMode) -> anyhow::Result<Self> {
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let elapsed_ms = Arc::new(AtomicU64::new(0));
        let (audio_out, problem) = SimAudioOut::open(audio, Arc::clone(&log));
        if let Some(silent) = problem {
            lock(&log).push(Entry::Silent { t_ms: 0, silent });
        }
        // Speech is synthesized even for `--audio none`, so the device behaves as it would.
        let voice = match Voice::packs_or_espeak(&setup.voice_packs) {
            Ok((voice, _refused)) => Some(voice),
            Err(error) => {
                lock(&log).push(Entry::Silent {
                    t_ms: 0,
                    silent: format!("no voice: {error}"),
                });
                None
            }
        };
        let captions_log = Arc::clone(&log);
        let captions_clock = Arc::clone(&elapsed_ms);
        let synth = SpeechSynth::new(Catalogue::embedded()?, voice, setup.config.max_volume)
            .with_captions(Box::new(move |speech, words| {
                lock(&captions_log).push(Entry::Say {
                    t_ms: captions_clock.load(Ordering::SeqCst),
                    say: words.to_owned(),
                    lang: speech.lang.code().to_owned(),
                    channel: channel_name(speech.channel),
                    wav: None,
                    heard_digits: heard_digits(words, speech),
                });
            }));
        let (display, headphones, battery, rtc) = (
            SimDisplay::default(),
            SimHeadphones::default(),
            SimBattery::default(),
            SimRtc::new(start_unix_ms),
        );
        headphones.set(true);
        let hardware = Hardware {
            keys: Box::new(SimKeypad::default()),
            display: Box::new(display.clone()),
            audio: Box::new(audio_out),
            headphones: Box::new(headphones.clone()),
            battery: Box::new(battery.clone()),
            rtc: Box::new(rtc.clone()),
        };
        let mut simulator = Simulator {
            setup,
            runtime: None,
            medium: Some(MemorySlots::default()),
            parts: Some((hardware, synth)),
            display,
            headphones,
            battery,
            rtc,
            start_unix_ms,
            elapsed_ms,
            log,
            frames_seen: 0,
            asleep_seen: false,
        };
        simulator.boot()?;
        Ok(simulator)
    }

    /// Starts the device program on what storage holds; the device is off until the red
    /// key (or a power-on) switches it on.
    fn boot(&mut self) -> anyhow::Result<()> {
        let (hardware, synth) = self.parts.take().expect("parts are kept while off");
        let medium = self.medium.take().expect("storage is kept while off");
        let (store, loaded) = StateStore::open(medium)?;
        let record = loaded.record.unwrap_or(self.setup.record);
        let device = Device::new(
            self.setup.config.clone(),
            self.setup.serial.clone(),
            self.setup.token.clone(),
            record,
        );
        let framebuffer = Framebuffer::new(PANEL.0, PANEL.1)?;
        let mut runtime = Runtime::new(device, hardware, synth, store, framebuffer);
        let now = runtime.now(self.elapsed_ms());
        runtime.poll_sensors(now);
        self.runtime = Some(runtime);
        self.note_display();
        Ok(())
    }

    /// Milliseconds since the simulation started.
    pub fn elapsed_ms(&self) -> u64 {
        self.elapsed_ms.load(Ordering::SeqCst)
    }

    /// The wall time now, in Unix milliseconds.
    pub fn unix_ms(&self) -> u64 {
        self.start_unix_ms + self.elapsed_ms()
    }

    /// What the screen shows now; `None` while power is cut.
    pub fn screen(&self) -> Option<Screen> {
        self.runtime
            .as_ref()
            .map(|runtime| runtime.device().screen())
    }

    /// The screen as text; empty when it is dark.
    pub fn screen_text(&self) -> String {
        self.screen()
            .map(|screen| screen.text())
            .unwrap_or_default()
    }

    /// The last frame drawn on the panel.
    pub fn framebuffer(&self) -> Option<&Framebuffer> {
        self.runtime.as_ref().map(Runtime::framebuffer)
    }

    /// Reads every effect so far, in order, without copying the log.
    pub fn with_log<R>(&self, read: impl FnOnce(&[Entry]) -> R) -> R {
        read(&lock(&self.log))
    }

    pub fn is_powered(&self) -> bool {
        self.runtime.is_some()
    }

    pub fn headphones(&self) -> bool {
        self.headphones.is_plugged()
    }

    pub fn battery(&self) -> u8 {
        self.battery.level()
    }

    /// Logs what the display did since the last look: a new frame, or sleep.
    fn note_display(&mut self) {
        let t_ms = self.elapsed_ms();
        let mut log = lock(&self.log);
        if self.display.frames() != self.frames_seen {
            self.frames_seen = self.display.frames();
            let screen = self.display.screen().map(|s| s.text()).unwrap_or_default();
            log.push(Entry::Screen { t_ms, screen });
        }
        if self.display.asleep() != self.asleep_seen {
            self.asleep_seen = self.display.asleep();
            if self.asleep_seen {
                log.push(Entry::Power { t_ms, power: "off" });
            }
        }
    }

    /// Hands one event to the device program (if it has power).
    pub fn send(&mut self, event: Event) {
        let mono_ms = self.elapsed_ms();
        if let Some(runtime) = &mut self.runtime {
            let now = runtime.now(mono_ms);
            runtime.dispatch(event, now);
            runtime.poll_sensors(now);
        }
        self.note_display();
    }

    /// Lets simulated time pass, ticking the device as its program does.
    pub fn wait(&mut self, duration: Duration) {
        let end = self.elapsed_ms() + duration.as_millis() as u64;
        while self.elapsed_ms() < end {
            let step = (TICK.as_millis() as u64).min(end - self.elapsed_ms());
            self.elapsed_ms.fetch_add(step, Ordering::SeqCst);
            self.rtc.set(self.unix_ms());
            self.send(Event::Tick);
        }
    }

    pub fn key_down(&mut self, key: Key) {
        self.send(Event::Key(key, Edge::Down));
    }

    pub fn key_up(&mut self, key: Key) {
        self.send(Event::Key(key, Edge::Up));
    }

    /// A press as a person makes it: down, a short hold, up, a short pause.
    pub fn press(&mut self, key: Key) {
        self.key_down(key);
        self.wait(PRESS);
        self.key_up(key);
        self.wait(SETTLE);
    }

    /// Holds a key down for `duration`.
    pub fn hold(&mut self, key: Key, duration: Duration) {
        self.key_down(key);
        self.wait(duration);
        self.key_up(key);
    }

    /// Plugs headphones in or pulls them out; the device notices at its next look.
    pub fn set_headphones(&mut self, plugged: bool) {
        self.headphones.set(plugged);
        self.send(Event::Tick);
    }

    /// Sets the battery gauge; the device notices at its next look.
    pub fn set_battery(&mut self, percent: u8) {
        self.battery.set(percent);
        self.send(Event::Tick);
    }

    /// Power is lost without warning: the program's memory is gone, storage keeps what was
    /// saved (through the same crash-safe store the device uses).
    pub fn power_cut(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        let (_device, mut hardware, synth, store) = runtime.into_parts();
        let _ = hardware.audio.stop();
        self.medium = Some(store.into_medium());
        self.parts = Some((hardware, synth));
        lock(&self.log).push(Entry::Power {
            t_ms: self.elapsed_ms(),
            power: "cut",
        });
    }

    /// Power returns: the program boots from storage and switches the device on.
    pub fn power_on(&mut self) -> anyhow::Result<()> {
        if self.runtime.is_some() {
            return Ok(());
        }
        lock(&self.log).push(Entry::Power {
            t_ms: self.elapsed_ms(),
            power: "on",
        });
        self.boot()?;
        self.send(Event::PowerOn);
        Ok(())
    }

    /// The last code the device said, as the digits a listener heard.
    pub fn last_heard_code(&self) -> Option<String> {
        lock(&self.log).iter().rev().find_map(|entry| match entry {
            Entry::Say { heard_digits, .. } if !heard_digits.is_empty() => {
                Some(heard_digits.clone())
            }
            _ => None,
        })
    }
}
