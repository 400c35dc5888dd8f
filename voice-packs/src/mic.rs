//! Microphones for guided recording: the real one through cpal's input (feature `record`)
//! and a simulated one that plays back prepared takes, so the session is tested without
//! a sound card.

use std::collections::VecDeque;

/// One take as the device delivered it: interleaved f32 frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<f32>,
}

/// Why the microphone failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MicError {
    #[error("no microphone (sound input device) found")]
    NoDevice,
    #[error("no input device named {0:?}")]
    NoSuchDevice(String),
    #[error("the microphone failed: {0}")]
    Device(String),
    #[error("this build cannot record (rebuild voice-packs with the `record` feature)")]
    NotBuilt,
    #[error("the simulated microphone has no more takes")]
    OutOfTakes,
}

/// A microphone: `start` begins a take, `stop` ends it and returns the audio.
pub trait Microphone {
    fn start(&mut self) -> Result<(), MicError>;
    fn stop(&mut self) -> Result<Take, MicError>;
}

/// Plays back prepared takes in order, one per start/stop.
#[derive(Debug, Default)]
pub struct SimulatedMic {
    takes: VecDeque<Take>,
    recording: bool,
}

impl SimulatedMic {
    pub fn new(takes: impl IntoIterator<Item = Take>) -> SimulatedMic {
        SimulatedMic {
            takes: takes.into_iter().collect(),
            recording: false,
        }
    }
}

impl Microphone for SimulatedMic {
    fn start(&mut self) -> Result<(), MicError> {
        self.recording = true;
        Ok(())
    }

    fn stop(&mut self) -> Result<Take, MicError> {
        self.recording = false;
        self.takes.pop_front().ok_or(MicError::OutOfTakes)
    }
}

/// Recorded WAV files standing in for the microphone: each take is the next file, as
/// recorded (any sample rate and channel count, 16-bit integer or 32-bit float), so a
/// recording session can be rehearsed or tested end to end without a sound card
/// (`voice-pack record --take-wav FILE ...`).
#[derive(Debug)]
pub struct WavFilesMic {
    files: VecDeque<std::path::PathBuf>,
}

impl WavFilesMic {
    pub fn new(files: impl IntoIterator<Item = std::path::PathBuf>) -> WavFilesMic {
        WavFilesMic {
            files: files.into_iter().collect(),
        }
    }
}

impl Microphone for WavFilesMic {
    fn start(&mut self) -> Result<(), MicError> {
        Ok(())
    }

    fn stop(&mut self) -> Result<Take, MicError> {
        let path = self.files.pop_front().ok_or(MicError::OutOfTakes)?;
        let fail = |e: hound::Error| MicError::Device(format!("{}: {e}", path.display()));
        let mut reader = hound::WavReader::open(&path).map_err(fail)?;
        let spec = reader.spec();
        let samples = match spec.sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
            hound::SampleFormat::Int => {
                let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|s| s as f32 / scale))
                    .collect::<Result<_, _>>()
            }
        }
        .map_err(fail)?;
        Ok(Take {
            sample_rate: spec.sample_rate,
            channels: spec.channels,
            samples,
        })
    }
}

#[cfg(feature = "record")]
pub use real::CpalMic;

#[cfg(not(feature = "record"))]
pub use disabled::CpalMic;

#[cfg(feature = "record")]
mod real {
    use std::sync::{Arc, Mutex};

    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

    use super::{MicError, Microphone, Take};

    /// The default (or a named) input device through cpal.
    pub struct CpalMic {
        device: cpal::Device,
        config: cpal::SupportedStreamConfig,
        buffer: Arc<Mutex<Vec<f32>>>,
        stream: Option<cpal::Stream>,
    }

    impl CpalMic {
        pub fn open(name: Option<&str>) -> Result<CpalMic, MicError> {
            let host = cpal::default_host();
            let device = match name {
                None => host.default_input_device().ok_or(MicError::NoDevice)?,
                Some(name) => host
                    .input_devices()
                    .map_err(|e| MicError::Device(e.to_string()))?
                    .find(|d| d.name().is_ok_and(|n| n == name))
                    .ok_or_else(|| MicError::NoSuchDevice(name.to_owned()))?,
            };
            let config = device.default_input_config().map_err(|e| match e {
                cpal::DefaultStreamConfigError::DeviceNotAvailable => MicError::NoDevice,
                other => MicError::Device(other.to_string()),
            })?;
            Ok(CpalMic {
                device,
                config,
                buffer: Arc::new(Mutex::new(Vec::new())),
                stream: None,
            })
        }
    }

    impl Microphone for CpalMic {
        fn start(&mut self) -> Result<(), MicError> {
            self.buffer.lock().expect("mic buffer").clear();
            let buffer = Arc::clone(&self.buffer);
            let config: cpal::StreamConfig = self.config.clone().into();
            let on_error = |e| eprintln!("microphone: {e}");
            let device_error = |e: cpal::BuildStreamError| MicError::Device(e.to_string());
            let stream = match self.config.sample_format() {
                cpal::SampleFormat::F32 => self.device.build_input_stream(
                    &config,
                    move |data: &[f32], _| buffer.lock().expect("mic buffer").extend(data),
                    on_error,
                    None,
                ),
                cpal::SampleFormat::I16 => self.device.build_input_stream(
                    &config,
                    move |data: &[i16], _| {
                        buffer
                            .lock()
                            .expect("mic buffer")
                            .extend(data.iter().map(|&s| f32::from(s) / 32768.0))
                    },
                    on_error,
                    None,
                ),
                other => {
                    return Err(MicError::Device(format!(
                        "unsupported sample format {other}"
                    )))
                }
            }
            .map_err(device_error)?;
            stream.play().map_err(|e| MicError::Device(e.to_string()))?;
            self.stream = Some(stream);
            Ok(())
        }

        fn stop(&mut self) -> Result<Take, MicError> {
            self.stream = None;
            let samples = std::mem::take(&mut *self.buffer.lock().expect("mic buffer"));
            Ok(Take {
                sample_rate: self.config.sample_rate().0,
                channels: self.config.channels(),
                samples,
            })
        }
    }
}

#[cfg(not(feature = "record"))]
mod disabled {
    use super::{MicError, Microphone, Take};

    /// The real microphone, absent from this build.
    pub struct CpalMic {
        never: std::convert::Infallible,
    }

    impl CpalMic {
        pub fn open(_name: Option<&str>) -> Result<CpalMic, MicError> {
            Err(MicError::NotBuilt)
        }
    }

    impl Microphone for CpalMic {
        fn start(&mut self) -> Result<(), MicError> {
            match self.never {}
        }
        fn stop(&mut self) -> Result<Take, MicError> {
            match self.never {}
        }
    }
}
