//! The device's hardware as small fallible traits: keys, screen, audio out, headphone
//! detect, battery and real-time clock (storage is [`crate::store::SlotMedium`]). Each has
//! a simulated implementation in [`sim`], a Raspberry Pi one in `rpi` (feature `rpi`, rppal)
//! and one on the Linux kernel's standard interfaces in `linux` (feature `linux`).

use std::time::Duration;

use crate::core::Channel;
use crate::framebuffer::Framebuffer;
use crate::keys::{Edge, Key};
use crate::screen::Screen;

pub mod sim;
pub mod terminal;

#[cfg(any(feature = "rpi", feature = "linux"))]
pub mod alsa;
#[cfg(feature = "linux")]
pub mod linux;
#[cfg(feature = "rpi")]
pub mod rpi;

/// A hardware failure, naming the part.
#[derive(Debug, thiserror::Error)]
pub enum HwError {
    #[error("{part} is not available: {reason}")]
    Unavailable { part: &'static str, reason: String },
    #[error("{part}: {message}")]
    Failed { part: &'static str, message: String },
    /// The listener stopped speech; not a failure.
    #[error("speech was stopped")]
    Stopped,
}

/// A [`HwError::Failed`] of `part`, from a message (for `map_err`).
#[cfg(any(feature = "rpi", feature = "linux"))]
fn failed(part: &'static str) -> impl Fn(String) -> HwError {
    move |message| HwError::Failed { part, message }
}

/// A [`HwError::Unavailable`] of `part`, from a reason (for `map_err`).
#[cfg(any(feature = "rpi", feature = "linux"))]
fn unavailable(part: &'static str) -> impl Fn(String) -> HwError {
    move |reason| HwError::Unavailable { part, reason }
}

/// The keypad: raw edges, as they happen.
pub trait Keypad {
    /// The next edge, waiting at most `timeout`.
    fn next_edge(&mut self, timeout: Duration) -> Result<Option<(Key, Edge)>, HwError>;
}

/// The screen. Panels draw the framebuffer; a text terminal prints the screen's text.
pub trait Display {
    fn show(&mut self, screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError>;
    /// Backlight and panel off (`true`) or on.
    fn sleep(&mut self, asleep: bool) -> Result<(), HwError>;
}

/// Audio output: one utterance at a time, streamed in as it is synthesised.
pub trait AudioOut {
    /// Starts a new utterance (dropping any still playing) on `channel` at `sample_rate`.
    fn begin(&mut self, channel: Channel, sample_rate: u32) -> Result<(), HwError>;
    /// Queues mono samples; [`HwError::Stopped`] once [`AudioOut::stop`] was called.
    fn write(&mut self, samples: &[i16]) -> Result<(), HwError>;
    /// Stops at once and drops what is queued.
    fn stop(&mut self) -> Result<(), HwError>;
}

/// The 3.5 mm jack's detect switch.
pub trait HeadphoneDetect {
    fn plugged(&mut self) -> Result<bool, HwError>;
}

/// The battery gauge.
pub trait Battery {
    fn percent(&mut self) -> Result<u8, HwError>;
}

/// Mains power: a device without a battery is always full.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mains;

impl Battery for Mains {
    fn percent(&mut self) -> Result<u8, HwError> {
        Ok(100)
    }
}

/// The real-time clock.
pub trait Rtc {
    /// Wall time in Unix milliseconds.
    fn unix_ms(&mut self) -> Result<u64, HwError>;
}

/// All the parts of one device.
pub struct Hardware {
    pub keys: Box<dyn Keypad>,
    pub display: Box<dyn Display>,
    pub audio: Box<dyn AudioOut>,
    pub headphones: Box<dyn HeadphoneDetect>,
    pub battery: Box<dyn Battery>,
    pub rtc: Box<dyn Rtc>,
}

impl std::fmt::Debug for Hardware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hardware")
    }
}
