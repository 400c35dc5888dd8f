//! Simulated hardware for tests and the desktop simulator. Each part is a cheap handle
//! (clone it to keep one for the test): push key edges, plug headphones, set the battery
//! and the clock, and read back what was drawn and played.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{AudioOut, Battery, Display, HeadphoneDetect, HwError, Keypad, Rtc};
use crate::core::Channel;
use crate::framebuffer::Framebuffer;
use crate::keys::{Edge, Key};
use crate::screen::Screen;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Key edges pushed by the test or the simulator's keyboard; never waits.
#[derive(Debug, Clone, Default)]
pub struct SimKeypad(Arc<Mutex<VecDeque<(Key, Edge)>>>);

impl SimKeypad {
    pub fn push(&self, key: Key, edge: Edge) {
        lock(&self.0).push_back((key, edge));
    }
}

impl Keypad for SimKeypad {
    fn next_edge(&mut self, _timeout: Duration) -> Result<Option<(Key, Edge)>, HwError> {
        Ok(lock(&self.0).pop_front())
    }
}

#[derive(Debug, Default)]
struct DisplayState {
    screen: Option<Screen>,
    frame: Option<Framebuffer>,
    asleep: bool,
    frames: u64,
}

/// Keeps the last frame shown.
#[derive(Debug, Clone, Default)]
pub struct SimDisplay(Arc<Mutex<DisplayState>>);

impl SimDisplay {
    /// The last screen shown, as a value.
    pub fn screen(&self) -> Option<Screen> {
        lock(&self.0).screen.clone()
    }

    pub fn frame(&self) -> Option<Framebuffer> {
        lock(&self.0).frame.clone()
    }

    pub fn asleep(&self) -> bool {
        lock(&self.0).asleep
    }

    /// How many frames were shown.
    pub fn frames(&self) -> u64 {
        lock(&self.0).frames
    }
}

impl Display for SimDisplay {
    fn show(&mut self, screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError> {
        let mut state = lock(&self.0);
        state.screen = Some(screen.clone());
        state.frame = Some(framebuffer.clone());
        state.frames += 1;
        Ok(())
    }

    fn sleep(&mut self, asleep: bool) -> Result<(), HwError> {
        lock(&self.0).asleep = asleep;
        Ok(())
    }
}

/// One utterance as played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    pub channel: Channel,
    pub sample_rate: u32,
    pub samples: Vec<i16>,
    /// Cut short by a stop.
    pub stopped: bool,
}

#[derive(Debug, Default)]
struct AudioState {
    played: Vec<Played>,
    unavailable: Option<String>,
}

/// An in-memory audio sink; can be made unavailable like a missing sound card.
#[derive(Debug, Clone, Default)]
pub struct SimAudio(Arc<Mutex<AudioState>>);

impl SimAudio {
    /// Audio that fails like a device without a sound card.
    pub fn unavailable(reason: &str) -> Self {
        let audio = SimAudio::default();
        lock(&audio.0).unavailable = Some(reason.to_owned());
        audio
    }

    /// Loses the audio device (`Some(reason)`) or gets it back (`None`).
    pub fn set_unavailable(&self, reason: Option<&str>) {
        lock(&self.0).unavailable = reason.map(str::to_owned);
    }

    /// Everything played so far, oldest first.
    pub fn played(&self) -> Vec<Played> {
        lock(&self.0).played.clone()
    }
}

impl AudioOut for SimAudio {
    fn begin(&mut self, channel: Channel, sample_rate: u32) -> Result<(), HwError> {
        let mut state = lock(&self.0);
        if let Some(reason) = &state.unavailable {
            return Err(HwError::Unavailable {
                part: "audio output",
                reason: reason.clone(),
            });
        }
        state.played.push(Played {
            channel,
            sample_rate,
            samples: Vec::new(),
            stopped: false,
        });
        Ok(())
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        let mut state = lock(&self.0);
        match state.played.last_mut() {
            Some(played) if !played.stopped => {
                played.samples.extend_from_slice(samples);
                Ok(())
            }
            _ => Err(HwError::Stopped),
        }
    }

    fn stop(&mut self) -> Result<(), HwError> {
        if let Some(played) = lock(&self.0).played.last_mut() {
            played.stopped = true;
        }
        Ok(())
    }
}

/// The headphone jack: plug and unplug from the test.
#[derive(Debug, Clone, Default)]
pub struct SimHeadphones(Arc<Mutex<bool>>);

impl SimHeadphones {
    pub fn set(&self, plugged: bool) {
        *lock(&self.0) = plugged;
    }

    pub fn is_plugged(&self) -> bool {
        *lock(&self.0)
    }
}

impl HeadphoneDetect for SimHeadphones {
    fn plugged(&mut self) -> Result<bool, HwError> {
        Ok(*lock(&self.0))
    }
}

/// A battery at a level the test sets (100% to start).
#[derive(Debug, Clone)]
pub struct SimBattery(Arc<Mutex<u8>>);

impl Default for SimBattery {
    fn default() -> Self {
        SimBattery(Arc::new(Mutex::new(100)))
    }
}

impl SimBattery {
    pub fn set(&self, percent: u8) {
        *lock(&self.0) = percent.min(100);
    }

    pub fn level(&self) -> u8 {
        *lock(&self.0)
    }
}

impl Battery for SimBattery {
    fn percent(&mut self) -> Result<u8, HwError> {
        Ok(*lock(&self.0))
    }
}

/// A clock the test moves by hand.
#[derive(Debug, Clone, Default)]
pub struct SimRtc(Arc<Mutex<u64>>);

impl SimRtc {
    pub fn new(unix_ms: u64) -> Self {
        SimRtc(Arc::new(Mutex::new(unix_ms)))
    }

    pub fn set(&self, unix_ms: u64) {
        *lock(&self.0) = unix_ms;
    }

    pub fn advance(&self, ms: u64) {
        *lock(&self.0) += ms;
    }
}

impl Rtc for SimRtc {
    fn unix_ms(&mut self) -> Result<u64, HwError> {
        Ok(*lock(&self.0))
    }
}
