//! Where the simulator's speech goes: nowhere (text only), one WAV file per utterance, or
//! the desktop's speakers. A missing sound card or voice is reported once, as a reason the
//! device shows for being silent; the simulation goes on with text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use reader_device::screen::Silence;
use speech::playback::Stopper;
use speech::{Player, Script, Voice, WavSink};

/// The `--audio` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioMode {
    /// Text only.
    None,
    /// Each utterance as `DIR/NNN.wav`.
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
    None,
    Wav {
        dir: PathBuf,
        voice: Voice,
        count: usize,
    },
    Speakers {
        voice: Voice,
        player: Player,
        playing: Option<Stopper>,
    },
    /// Audio was asked for but cannot be had: why, for the device's status bar.
    Broken {
        reason: Silence,
        why: String,
    },
}

/// The simulator's audio output.
pub struct Audio {
    output: Output,
}

impl Audio {
    /// Opens the output. It never fails: a problem becomes [`Audio::silence`] and
    /// [`Audio::problem`], and the simulation goes on with text.
    pub fn open(mode: &AudioMode) -> Audio {
        let output = match mode {
            AudioMode::None => Output::None,
            AudioMode::Wav(dir) => match (std::fs::create_dir_all(dir), Voice::espeak()) {
                (Err(error), _) => Output::Broken {
                    reason: Silence::NoAudioDevice,
                    why: format!("cannot create {}: {error}", dir.display()),
                },
                (_, Err(error)) => Output::Broken {
                    reason: Silence::VoiceBroken,
                    why: format!("no voice: {error}"),
                },
                (Ok(()), Ok(voice)) => Output::Wav {
                    dir: dir.clone(),
                    voice,
                    count: 0,
                },
            },
            AudioMode::Speakers => match (Player::open(None), Voice::espeak()) {
                (Err(error), _) => Output::Broken {
                    reason: Silence::NoAudioDevice,
                    why: format!("{error}; speech is shown as text only"),
                },
                (_, Err(error)) => Output::Broken {
                    reason: Silence::VoiceBroken,
                    why: format!("no voice: {error}"),
                },
                (Ok(player), Ok(voice)) => Output::Speakers {
                    voice,
                    player,
                    playing: None,
                },
            },
        };
        Audio { output }
    }

    /// Why the device is silent, if audio was asked for and cannot be had.
    pub fn silence(&self) -> Option<Silence> {
        match &self.output {
            Output::Broken { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The same, in words for the tester.
    pub fn problem(&self) -> Option<&str> {
        match &self.output {
            Output::Broken { why, .. } => Some(why),
            _ => None,
        }
    }

    /// Says a script; returns the WAV file written, if any, or why it could not be said.
    pub fn say(&mut self, script: &Script) -> Result<Option<PathBuf>, (Silence, String)> {
        self.stop();
        match &mut self.output {
            Output::None | Output::Broken { .. } => Ok(None),
            Output::Wav { dir, voice, count } => {
                *count += 1;
                let path = dir.join(format!("{count:03}.wav"));
                write_wav(voice, script, &path)
                    .map(|()| Some(path))
                    .map_err(|why| (Silence::VoiceBroken, why))
            }
            Output::Speakers {
                voice,
                player,
                playing,
            } => {
                let mut sink = player
                    .start(voice.sample_rate())
                    .map_err(|e| (Silence::NoAudioDevice, e.to_string()))?;
                *playing = Some(sink.stopper());
                voice
                    .speak(script, &mut sink)
                    .map(|_| None)
                    .map_err(|e| (Silence::VoiceBroken, e.to_string()))
            }
        }
    }

    /// Cuts off what is being said.
    pub fn stop(&mut self) {
        if let Output::Speakers { playing, .. } = &mut self.output {
            if let Some(stopper) = playing.take() {
                stopper.stop();
            }
        }
    }
}

fn write_wav(voice: &mut Voice, script: &Script, path: &Path) -> Result<(), String> {
    let mut sink = WavSink::create(path, voice.sample_rate())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    voice
        .speak(script, &mut sink)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    sink.finish()
        .map_err(|e| format!("{}: {e}", path.display()))
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
