//! Audio through cpal to ALSA devices by name (features `rpi` and `linux`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::{failed, unavailable};
use super::{AudioOut, HwError};
use crate::config::AudioConfig;
use crate::core::Channel;

#[derive(Default)]
struct Queue {
    samples: VecDeque<f32>,
}

/// Audio through cpal to the ALSA device configured for each channel. A stream is opened
/// when an utterance needs a device or rate it does not have yet, or when the open one
/// reported an error (cpal's ALSA stream does not recover from every underrun).
pub struct CpalAudio {
    config: AudioConfig,
    queue: Arc<Mutex<Queue>>,
    broken: Arc<AtomicBool>,
    stream: Option<(String, u32, cpal::Stream)>,
    stopped: bool,
}

impl CpalAudio {
    pub fn new(config: AudioConfig) -> Self {
        CpalAudio {
            config,
            queue: Arc::default(),
            broken: Arc::default(),
            stream: None,
            stopped: true,
        }
    }

    fn open(&self, name: &str, sample_rate: u32) -> Result<cpal::Stream, HwError> {
        let part = "audio output";
        let host = cpal::default_host();
        // "default" is ALSA's default PCM, which need not be listed among the hints.
        let device = if name == "default" {
            host.default_output_device()
        } else {
            host.output_devices()
                .map_err(|e| unavailable(part)(e.to_string()))?
                .find(|device| device.name().is_ok_and(|found| found == name))
        }
        .ok_or_else(|| unavailable(part)(format!("no ALSA device named {name:?}")))?;
        let channels = device
            .default_output_config()
            .map(|config| config.channels())
            .unwrap_or(2);
        let config = cpal::StreamConfig {
            channels,
            sample_rate: cpal::SampleRate(sample_rate),
            buffer_size: cpal::BufferSize::Default,
        };
        let queue = Arc::clone(&self.queue);
        let broken = Arc::clone(&self.broken);
        broken.store(false, Ordering::SeqCst);
        let stream = device
            .build_output_stream(
                &config,
                move |data: &mut [f32], _| {
                    let mut queue = queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    for frame in data.chunks_mut(usize::from(channels)) {
                        let sample = queue.samples.pop_front().unwrap_or(0.0);
                        frame.iter_mut().for_each(|out| *out = sample);
                    }
                },
                move |error| {
                    if !broken.swap(true, Ordering::SeqCst) {
                        tracing::warn!("audio stream: {error}");
                    }
                },
                None,
            )
            .map_err(|e| failed(part)(e.to_string()))?;
        stream.play().map_err(|e| failed(part)(e.to_string()))?;
        Ok(stream)
    }
}

impl AudioOut for CpalAudio {
    fn begin(&mut self, channel: Channel, sample_rate: u32) -> Result<(), HwError> {
        let name = match channel {
            Channel::Headphones => self.config.headphones_device.clone(),
            Channel::Speaker => self.config.speaker_device.clone(),
        };
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .samples
            .clear();
        let current = self
            .stream
            .as_ref()
            .is_some_and(|(open, rate, _)| *open == name && *rate == sample_rate)
            && !self.broken.load(Ordering::SeqCst);
        if !current {
            self.stream = None;
            let stream = self.open(&name, sample_rate)?;
            self.stream = Some((name, sample_rate, stream));
        }
        self.stopped = false;
        Ok(())
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        if self.stopped {
            return Err(HwError::Stopped);
        }
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queue
            .samples
            .extend(samples.iter().map(|sample| f32::from(*sample) / 32768.0));
        Ok(())
    }

    fn stop(&mut self) -> Result<(), HwError> {
        self.stopped = true;
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .samples
            .clear();
        Ok(())
    }
}
