//! Live playback to a named or the default output device, stoppable at once (a key press
//! cuts speech off). Built with the `playback` feature (rodio/cpal); without it the same
//! API returns [`PlaybackError::NotBuilt`]. No sound device is a typed error, never a panic.

#[cfg(feature = "playback")]
mod enabled;
#[cfg(feature = "playback")]
pub use enabled::{output_devices, Player, Playing, Stopper};

#[cfg(not(feature = "playback"))]
mod disabled;
#[cfg(not(feature = "playback"))]
pub use disabled::{output_devices, Player, Playing, Stopper};

/// Why audio cannot be played.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaybackError {
    #[error("no sound output device found (connect headphones or a speaker)")]
    NoDevice,
    #[error("no sound output device named {name:?} (available: {available:?})")]
    NoSuchDevice {
        name: String,
        available: Vec<String>,
    },
    #[error("the sound device failed: {0}")]
    Device(String),
    #[error("this build has no live playback (rebuild speech with the `playback` feature)")]
    NotBuilt,
}
