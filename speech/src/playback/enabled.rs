//! Playback through rodio (cpal underneath): each chunk is queued as it is synthesized.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rodio::cpal::traits::{DeviceTrait, HostTrait};

use super::PlaybackError;
use crate::audio::{Sink, SinkError};

/// Names of the output devices of the default audio host.
pub fn output_devices() -> Result<Vec<String>, PlaybackError> {
    let host = rodio::cpal::default_host();
    let devices = host
        .output_devices()
        .map_err(|e| PlaybackError::Device(e.to_string()))?;
    Ok(devices.filter_map(|device| device.name().ok()).collect())
}

/// An open output device. Keep it alive while playing (it is not `Send`).
pub struct Player {
    _stream: rodio::OutputStream,
    handle: rodio::OutputStreamHandle,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Player")
    }
}

impl Player {
    /// Opens the named output device, or the default one.
    pub fn open(device: Option<&str>) -> Result<Player, PlaybackError> {
        let (stream, handle) = match device {
            None => rodio::OutputStream::try_default().map_err(stream_error)?,
            Some(name) => {
                let host = rodio::cpal::default_host();
                let devices: Vec<_> = host
                    .output_devices()
                    .map_err(|e| PlaybackError::Device(e.to_string()))?
                    .collect();
                let found = devices
                    .iter()
                    .find(|d| d.name().is_ok_and(|n| n == name))
                    .ok_or_else(|| PlaybackError::NoSuchDevice {
                        name: name.to_owned(),
                        available: devices.iter().filter_map(|d| d.name().ok()).collect(),
                    })?;
                rodio::OutputStream::try_from_device(found).map_err(stream_error)?
            }
        };
        Ok(Player {
            _stream: stream,
            handle,
        })
    }

    /// Starts an utterance: write chunks into the returned [`Playing`] (a [`Sink`]).
    pub fn start(&self, sample_rate: u32) -> Result<Playing, PlaybackError> {
        let sink =
            rodio::Sink::try_new(&self.handle).map_err(|e| PlaybackError::Device(e.to_string()))?;
        Ok(Playing {
            sink: Arc::new(sink),
            stopped: Arc::new(AtomicBool::new(false)),
            sample_rate,
        })
    }
}

fn stream_error(error: rodio::StreamError) -> PlaybackError {
    use rodio::cpal::{BuildStreamError, DefaultStreamConfigError};
    match error {
        rodio::StreamError::NoDevice
        | rodio::StreamError::BuildStreamError(BuildStreamError::DeviceNotAvailable)
        | rodio::StreamError::DefaultStreamConfigError(
            DefaultStreamConfigError::DeviceNotAvailable,
        ) => PlaybackError::NoDevice,
        other => PlaybackError::Device(other.to_string()),
    }
}

/// An utterance being played; a [`Sink`] that queues each chunk at once.
pub struct Playing {
    sink: Arc<rodio::Sink>,
    stopped: Arc<AtomicBool>,
    sample_rate: u32,
}

impl Playing {
    /// A handle that stops this utterance from any thread.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            sink: Arc::clone(&self.sink),
            stopped: Arc::clone(&self.stopped),
        }
    }

    /// Blocks until everything queued has been heard (or it was stopped).
    pub fn wait(&self) {
        self.sink.sleep_until_end();
    }
}

impl Sink for Playing {
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(SinkError::Stopped);
        }
        self.sink.append(rodio::buffer::SamplesBuffer::new(
            1,
            self.sample_rate,
            samples.to_vec(),
        ));
        Ok(())
    }
}

/// Stops an utterance at once: what is queued is dropped and further chunks are refused.
#[derive(Clone)]
pub struct Stopper {
    sink: Arc<rodio::Sink>,
    stopped: Arc<AtomicBool>,
}

impl std::fmt::Debug for Stopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stopper")
    }
}

impl Stopper {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.sink.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The device's key handler stops speech from another thread than the player's.
    #[test]
    fn stopper_can_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Stopper>();
    }

    /// This machine has no sound card: opening must fail with a typed error, not panic
    /// or hang. (On a machine with sound, opening works and this checks nothing more.)
    #[test]
    fn no_device_is_a_typed_error() {
        match Player::open(Some("no such device")) {
            Err(PlaybackError::NoSuchDevice { name, .. }) => assert_eq!(name, "no such device"),
            Err(PlaybackError::Device(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
        if let Err(error) = Player::open(None) {
            assert!(matches!(
                error,
                PlaybackError::NoDevice | PlaybackError::Device(_)
            ));
        }
    }
}
