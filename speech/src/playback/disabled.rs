//! Playback when the `playback` feature is off: the same API, always [`PlaybackError::NotBuilt`].

use super::PlaybackError;
use crate::audio::{Sink, SinkError};

/// Names of the output devices (none in this build).
pub fn output_devices() -> Result<Vec<String>, PlaybackError> {
    Err(PlaybackError::NotBuilt)
}

/// An open output device (never, in this build).
#[derive(Debug)]
pub struct Player {
    _never: std::convert::Infallible,
}

impl Player {
    pub fn open(_device: Option<&str>) -> Result<Player, PlaybackError> {
        Err(PlaybackError::NotBuilt)
    }

    pub fn start(&self, _sample_rate: u32) -> Result<Playing, PlaybackError> {
        match self._never {}
    }
}

/// An utterance being played (never, in this build).
#[derive(Debug)]
pub struct Playing {
    _never: std::convert::Infallible,
}

impl Playing {
    pub fn stopper(&self) -> Stopper {
        match self._never {}
    }
    pub fn wait(&self) {
        match self._never {}
    }
}

impl Sink for Playing {
    fn write(&mut self, _samples: &[i16]) -> Result<(), SinkError> {
        match self._never {}
    }
}

/// Stops playback from another thread (never, in this build).
#[derive(Debug, Clone)]
pub struct Stopper {
    _never: std::sync::Arc<std::convert::Infallible>,
}

impl Stopper {
    pub fn stop(&self) {
        match *self._never {}
    }
}
