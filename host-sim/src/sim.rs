//! A device on a virtual clock: the reader-device core with simulated power, headphones,
//! battery and storage, logging every effect with its time. Scripts, the terminal UI and
//! the demo all drive the device through this one type.

use std::time::Duration;

use reader_device::core::{Channel, Config, Device, Effect, Event, Now, Record, Token};
use reader_device::keys::{Edge, Key};
use reader_device::screen::{Screen, Silence};
use speech::{Catalogue, Script};

use crate::audio::Audio;

/// How often simulated time sends the core a tick (the Pi's shell does the same).
pub const TICK: Duration = Duration::from_millis(100);
/// How long a scripted `press` holds a key down.
pub const PRESS: Duration = Duration::from_millis(120);
/// The pause after a scripted `press`, so that two presses are two presses.
pub const SETTLE: Duration = Duration::from_millis(200);
/// The pause after a scripted `down` or `up`: longer than the debounce, as a finger is.
pub const EDGE_GAP: Duration = Duration::from_millis(60);

/// What the device was built with: its fixed config, serial number and secret.
#[derive(Debug, Clone)]
pub struct Setup {
    pub config: Config,
    pub serial: String,
    pub token: Option<Token>,
    /// What storage holds when the simulation starts (e.g. an HOTP device's first counter).
    pub record: Record,
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
        /// The digits a listener hears (the code or serial read back from the words).
        #[serde(skip)]
        heard_digits: String,
    },
    Stop {
        t_ms: u64,
        stop: bool,
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

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Headphones => "headphones",
        Channel::Speaker => "speaker",
    }
}

/// A simulated device and everything around it.
pub struct Simulator {
    setup: Setup,
    device: Device,
    /// What survived in storage: the last record the core asked to persist.
    stored: Record,
    start_unix_ms: u64,
    elapsed_ms: u64,
    powered: bool,
    headphones: bool,
    battery: u8,
    catalogue: Catalogue,
    audio: Audio,
    log: Vec<Entry>,
    screen: Screen,
}

impl Simulator {
    /// A device that is switched off, with headphones plugged in and a full battery, at
    /// the wall time `start_unix_ms`.
    pub fn new(
        setup: Setup,
        start_unix_ms: u64,
        audio: Audio,
    ) -> Result<Self, speech::CatalogueError> {
        let device = Device::new(
            setup.config.clone(),
            setup.serial.clone(),
            setup.token.clone(),
            setup.record,
        );
        let screen = device.screen();
        let mut simulator = Simulator {
            stored: setup.record,
            setup,
            device,
            start_unix_ms,
            elapsed_ms: 0,
            powered: true,
            headphones: true,
            battery: 100,
            catalogue: Catalogue::embedded()?,
            audio,
            log: Vec::new(),
            screen,
        };
        if let Some(problem) = simulator.audio.problem() {
            let silent = problem.to_owned();
            simulator.log.push(Entry::Silent { t_ms: 0, silent });
        }
        simulator.report_hardware();
        Ok(simulator)
    }

    /// Milliseconds since the simulation started.
    pub fn elapsed_ms(&self) -> u64 {
        self.elapsed_ms
    }

    /// The wall time now, in Unix milliseconds.
    pub fn unix_ms(&self) -> u64 {
        self.start_unix_ms + self.elapsed_ms
    }

    fn now(&self) -> Now {
        Now {
            mono_ms: self.elapsed_ms,
            unix_ms: self.unix_ms(),
        }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Every effect so far, in order.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    pub fn is_powered(&self) -> bool {
        self.powered
    }

    pub fn headphones(&self) -> bool {
        self.headphones
    }

    pub fn battery(&self) -> u8 {
        self.battery
    }

    /// Tells the core what the hardware looks like (after start or a power cut).
    fn report_hardware(&mut self) {
        self.send(Event::Headphones(self.headphones));
        self.send(Event::Battery(self.battery));
        if let Some(reason) = self.audio.silence() {
            self.send(Event::Audio(Some(reason)));
        }
    }

    /// Hands one event to the core (if it has power) and carries out the effects.
    pub fn send(&mut self, event: Event) {
        if !self.powered {
            return;
        }
        let mut pending = vec![event];
        while let Some(event) = pending.pop() {
            let effects = self.device.handle(event, self.now());
            for effect in effects {
                if let Some(reply) = self.apply(effect) {
                    pending.push(reply);
                }
            }
        }
    }

    /// Carries out one effect; storage answers with an event for the core.
    fn apply(&mut self, effect: Effect) -> Option<Event> {
        let t_ms = self.elapsed_ms;
        match effect {
            Effect::Draw(screen) => {
                let text = screen.text();
                self.screen = screen;
                self.log.push(Entry::Screen { t_ms, screen: text });
                None
            }
            Effect::Say(speech) => {
                let settings = speech::Settings {
                    lang: speech.lang,
                    grouping: speech.grouping,
                    rate: speech.rate,
                };
                match self.catalogue.render(&speech.utterance, settings) {
                    Ok(script) => self.say(t_ms, &script, speech.channel),
                    Err(error) => {
                        self.log.push(Entry::Silent {
                            t_ms,
                            silent: format!("cannot render speech: {error}"),
                        });
                        Some(Event::Audio(Some(Silence::VoiceBroken)))
                    }
                }
            }
            Effect::StopSpeaking => {
                self.audio.stop();
                self.log.push(Entry::Stop { t_ms, stop: true });
                None
            }
            Effect::Persist(record) => {
                self.stored = record;
                Some(Event::Saved)
            }
            Effect::PowerOff => {
                self.log.push(Entry::Power { t_ms, power: "off" });
                None
            }
        }
    }

    fn say(&mut self, t_ms: u64, script: &Script, channel: Channel) -> Option<Event> {
        let heard_digits = speech::words::digits_of(&script.tokens, script.settings.lang);
        let (wav, problem) = match self.audio.say(script) {
            Ok(wav) => (wav, None),
            Err(silence) => (None, Some(silence)),
        };
        self.log.push(Entry::Say {
            t_ms,
            say: script.words_line(),
            lang: script.settings.lang.code().to_owned(),
            channel: channel_name(channel),
            wav: wav.map(|path| path.display().to_string()),
            heard_digits,
        });
        problem.map(|(reason, why)| {
            self.log.push(Entry::Silent { t_ms, silent: why });
            Event::Audio(Some(reason))
        })
    }

    /// Lets simulated time pass, ticking the core as the real shell does.
    pub fn wait(&mut self, duration: Duration) {
        let end = self.elapsed_ms + duration.as_millis() as u64;
        while self.elapsed_ms < end {
            let step = (TICK.as_millis() as u64).min(end - self.elapsed_ms);
            self.elapsed_ms += step;
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

    pub fn set_headphones(&mut self, plugged: bool) {
        self.headphones = plugged;
        self.send(Event::Headphones(plugged));
    }

    pub fn set_battery(&mut self, percent: u8) {
        self.battery = percent;
        self.send(Event::Battery(percent));
    }

    /// Power is lost without warning: the core's memory is gone, storage keeps what it has.
    pub fn power_cut(&mut self) {
        self.audio.stop();
        self.powered = false;
        self.device = Device::new(
            self.setup.config.clone(),
            self.setup.serial.clone(),
            self.setup.token.clone(),
            self.stored,
        );
        self.screen = self.device.screen();
        self.log.push(Entry::Power {
            t_ms: self.elapsed_ms,
            power: "cut",
        });
    }

    /// Power returns: the device boots from what storage kept.
    pub fn power_on(&mut self) {
        if self.powered {
            return;
        }
        self.powered = true;
        self.log.push(Entry::Power {
            t_ms: self.elapsed_ms,
            power: "on",
        });
        self.report_hardware();
        self.send(Event::PowerOn);
    }

    /// The last code the device said, as the digits a listener heard.
    pub fn last_heard_code(&self) -> Option<&str> {
        self.log.iter().rev().find_map(|entry| match entry {
            Entry::Say { heard_digits, .. } if !heard_digits.is_empty() => {
                Some(heard_digits.as_str())
            }
            _ => None,
        })
    }
}
