//! Where the simulator's speech goes: nowhere (text only), one WAV file per utterance, or
//! the desktop's speakers — as the device's [`AudioOut`]. A missing sound card makes the
//! output fail like a board without one, so the device shows why it is silent, and the
//! simulation goes on with text.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use reader_device::hw::terminal::WavAudio;
use reader_device::hw::{AudioOut, HwError};
use reader_device::Channel;
use speech::{Player, Playing, Sink};

use crate::sim::{Entry, Log};

/// The `--audio` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioMode {
    /// Text only.
    None,
    /// Each utterance as a WAV file in this folder.
    Wav(PathBuf),
    /// Live through the default output device.
    Speakers,
}

/// An `--audio` value that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audio output {0:?} (expected speakers, none or wav:DIR)")]
pub struct BadAudioMode(String);

impl FromStr for AudioMode {
    type Err = BadAudioMode;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(AudioMode::None),
            "speakers" => Ok(AudioMode::Speakers),
            _ => match text.strip_prefix("wav:") {
                Some(dir) if !dir.is_empty() => Ok(AudioMode::Wav(PathBuf::from(dir))),
                _ => Err(BadAudioMode(text.to_owned())),
            },
        }
    }
}

impl fmt::Display for AudioMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioMode::None => f.write_str("none"),
            AudioMode::Speakers => f.write_str("speakers"),
            AudioMode::Wav(dir) => write!(f, "wav:{}", dir.display()),
        }
    }
}

enum Output {
    Discard,
    Wav(WavAudio),
    Speakers {
        player: Player,
        playing: Option<Playing>,
    },
    /// Audio was asked for but cannot be had; every utterance fails with this reason.
    Broken(String),
}

/// The simulator's audio output; it notes in the log where each utterance went.
pub struct SimAudioOut {
    output: Output,
    log: Log,
}

impl SimAudioOut {
    /// Opens the output. It never fails: a problem is returned as text (to tell the tester
    /// once) and makes every utterance fail, as on a device without a sound card.
    pub fn open(mode: &AudioMode, log: Log) -> (SimAudioOut, Option<String>) {
        let output = match mode {
            AudioMode::None => Output::Discard,
            AudioMode::Wav(dir) => match WavAudio::new(Some(dir)) {
                Ok(wav) => Output::Wav(wav),
                Err(error) => Output::Broken(error.to_string()),
            },
            AudioMode::Speakers => match Player::open(None) {
                Ok(player) => Output::Speakers {
                    player,
                    playing: None,
                },
                Err(error) => Output::Broken(format!("{error}; speech is shown as text only")),
            },
        };
        let problem = match &output {
            Output::Broken(why) => Some(why.clone()),
            _ => None,
        };
        (SimAudioOut { output, log }, problem)
    }
}

impl AudioOut for SimAudioOut {
    fn begin(&mut self, channel: Channel, sample_rate: u32) -> Result<(), HwError> {
        match &mut self.output {
            Output::Discard => Ok(()),
            Output::Wav(wav) => {
                wav.begin(channel, sample_rate)?;
                let file = wav.last_file().map(|path| path.display().to_string());
                let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(Entry::Say { wav, .. }) = log
                    .iter_mut()
                    .rev()
                    .find(|e| matches!(e, Entry::Say { .. }))
                {
                    *wav = file;
                }
                Ok(())
            }
            Output::Speakers { player, playing } => {
                if let Some(old) = playing.take() {
                    old.stopper().stop();
                }
                *playing =
                    Some(
                        player
                            .start(sample_rate)
                            .map_err(|error| HwError::Unavailable {
                                part: "speakers",
                                reason: error.to_string(),
                            })?,
                    );
                Ok(())
            }
            Output::Broken(why) => Err(HwError::Unavailable {
                part: "audio output",
                reason: why.clone(),
            }),
        }
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        match &mut self.output {
            Output::Discard => Ok(()),
            Output::Wav(wav) => wav.write(samples),
            Output::Speakers { playing, .. } => match playing {
                Some(playing) => playing.write(samples).map_err(|_| HwError::Stopped),
                None => Err(HwError::Stopped),
            },
            Output::Broken(_) => Err(HwError::Stopped),
        }
    }

    fn stop(&mut self) -> Result<(), HwError> {
        match &mut self.output {
            Output::Wav(wav) => wav.stop(),
            Output::Speakers { playing, .. } => {
                if let Some(playing) = playing.take() {
                    playing.stopper().stop();
                }
                Ok(())
            }
            Output::Discard | Output::Broken(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!("none".parse(), Ok(AudioMode::None));
        assert_eq!("speakers".parse(), Ok(AudioMode::Speakers));
        assert_eq!("wav:out".parse(), Ok(AudioMode::Wav("out".into())));
        assert_eq!(
            "wav:".parse::<AudioMode>().unwrap_err().to_string(),
            "unknown audio output \"wav:\" (expected speakers, none or wav:DIR)"
        );
    }
}
