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
                let found = named(&devices, name, |d| d.name().ok())?;
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

/// The device called `name` among `devices`, or [`PlaybackError::NoSuchDevice`] listing
/// the names there are.
fn named<'a, D>(
    devices: &'a [D],
    name: &str,
    name_of: impl Fn(&D) -> Option<String>,
) -> Result<&'a D, PlaybackError> {
    devices
        .iter()
        .find(|d| name_of(d).is_some_and(|n| n == name))
        .ok_or_else(|| PlaybackError::NoSuchDevice {
            name: name.to_owned(),
            available: devices.iter().filter_map(&name_of).collect(),
        })
}

/// What opening a stream failed with: a missing or unavailable device is
/// [`PlaybackError::NoDevice`].
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

    /// No device, a device gone and a wrong name are typed errors, whatever sound this
    /// machine has (cpal's answers are fed in, not asked of the machine).
    #[test]
    fn no_device_is_a_typed_error() {
        use rodio::cpal::{BuildStreamError, DefaultStreamConfigError};
        assert_eq!(
            stream_error(rodio::StreamError::NoDevice),
            PlaybackError::NoDevice
        );
        assert_eq!(
            stream_error(rodio::StreamError::BuildStreamError(
                BuildStreamError::DeviceNotAvailable
            )),
            PlaybackError::NoDevice
        );
        assert_eq!(
            stream_error(rodio::StreamError::DefaultStreamConfigError(
                DefaultStreamConfigError::DeviceNotAvailable
            )),
            PlaybackError::NoDevice
        );
        assert!(matches!(
            stream_error(rodio::StreamError::BuildStreamError(
                BuildStreamError::StreamIdOverflow
            )),
            PlaybackError::Device(_)
        ));
        let devices = ["hdmi", "headphones"];
        let name_of = |d: &&str| Some(d.to_string());
        assert_eq!(named(&devices, "headphones", name_of), Ok(&"headphones"));
        assert_eq!(
            named(&devices, "speaker", name_of),
            Err(PlaybackError::NoSuchDevice {
                name: "speaker".into(),
                available: vec!["hdmi".into(), "headphones".into()],
            })
        );
        assert_eq!(
            named(&[] as &[&str], "speaker", name_of),
            Err(PlaybackError::NoSuchDevice {
                name: "speaker".into(),
                available: vec![],
            })
        );
    }

    /// On this machine (any sound or none), opening answers without a panic or a hang.
    #[test]
    fn opening_the_default_device_answers() {
        match Player::open(None) {
            Ok(_) | Err(PlaybackError::NoDevice | PlaybackError::Device(_)) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
}
