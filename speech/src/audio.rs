//! Audio plumbing shared by both voices: mono 16-bit PCM, the [`Sink`]s it streams into
//! (memory, WAV file, player), and the [`Joiner`] that trims each spoken segment, fades its
//! edges (no clicks) and puts silences between segments.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Samples at or below this magnitude count as silence (about −50 dBFS).
pub const SILENCE_THRESHOLD: i16 = 100;

/// Mono 16-bit PCM in memory. Also a [`Sink`] that collects what it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pcm {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl Pcm {
    pub fn new(sample_rate: u32) -> Pcm {
        Pcm {
            sample_rate,
            samples: Vec::new(),
        }
    }

    /// Length in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }

    /// Reads a mono 16-bit WAV file.
    pub fn read_wav(path: &Path) -> Result<Pcm, hound::Error> {
        Pcm::decode_wav(std::io::BufReader::new(std::fs::File::open(path)?))
    }

    /// Decodes mono 16-bit WAV from any reader (a file, bytes already in memory).
    pub fn decode_wav(wav: impl std::io::Read) -> Result<Pcm, hound::Error> {
        let mut reader = hound::WavReader::new(wav)?;
        let spec = reader.spec();
        if spec.channels != 1 || spec.bits_per_sample != 16 {
            return Err(hound::Error::Unsupported);
        }
        let samples = reader.samples::<i16>().collect::<Result<_, _>>()?;
        Ok(Pcm {
            sample_rate: spec.sample_rate,
            samples,
        })
    }

    /// Writes a mono 16-bit WAV file.
    pub fn write_wav(&self, path: &Path) -> Result<(), SinkError> {
        let mut sink = WavSink::create(path, self.sample_rate)?;
        sink.write(&self.samples)?;
        sink.finish()
    }
}

/// Where synthesized audio goes, chunk by chunk, as soon as it exists.
pub trait Sink {
    /// Takes the next chunk. Returning [`SinkError::Stopped`] ends the utterance at once.
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError>;
}

impl Sink for Pcm {
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        self.samples.extend_from_slice(samples);
        Ok(())
    }
}

/// Why a sink would not take more audio.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The listener stopped speech (e.g. a key press); not a failure.
    #[error("speech was stopped")]
    Stopped,
    #[error("writing WAV file {path}: {source}")]
    Wav {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error(transparent)]
    Playback(#[from] crate::PlaybackError),
}

/// Streams audio into a mono 16-bit WAV file; call [`WavSink::finish`] to complete it.
pub struct WavSink {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
}

impl WavSink {
    pub fn create(path: &Path, sample_rate: u32) -> Result<WavSink, SinkError> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|source| SinkError::Wav {
            path: path.to_owned(),
            source,
        })?;
        Ok(WavSink {
            path: path.to_owned(),
            writer,
        })
    }

    /// Writes the header's final lengths and closes the file.
    pub fn finish(self) -> Result<(), SinkError> {
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| SinkError::Wav { path, source })
    }
}

impl Sink for WavSink {
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        let mut writer = self.writer.get_i16_writer(samples.len() as u32);
        for &sample in samples {
            writer.write_sample(sample);
        }
        writer.flush().map_err(|source| SinkError::Wav {
            path: self.path.clone(),
            source,
        })
    }
}

/// Where one piece of the output came from, in samples (for checks and captions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Index of the token in the script.
    pub token: usize,
    pub start: usize,
    pub end: usize,
}

/// Joins spoken segments into one stream: trims each segment's leading and trailing
/// silence, fades its first and last `fade` samples, and writes pauses as silence. Works
/// on the fly: audio is passed on as it arrives, holding back only the trailing silence
/// and the fade-out length.
pub struct Joiner<'a> {
    out: &'a mut dyn Sink,
    fade: usize,
    /// Samples of the current segment not yet passed on.
    held: Vec<i16>,
    /// Whether the current segment has produced sound yet (leading silence trimmed).
    started: bool,
    /// Samples of the current segment already passed on (for the fade-in).
    emitted_in_segment: usize,
    position: usize,
    segment_start: usize,
    spans: Vec<Span>,
}

impl<'a> Joiner<'a> {
    pub fn new(out: &'a mut dyn Sink, fade_samples: usize) -> Joiner<'a> {
        Joiner {
            out,
            fade: fade_samples,
            held: Vec::new(),
            started: false,
            emitted_in_segment: 0,
            position: 0,
            segment_start: 0,
            spans: Vec::new(),
        }
    }

    /// Starts a spoken segment.
    pub fn begin(&mut self) {
        self.held.clear();
        self.started = false;
        self.emitted_in_segment = 0;
        self.segment_start = self.position;
    }

    /// Adds audio of the current segment.
    pub fn push(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        let samples = if self.started {
            samples
        } else {
            match samples
                .iter()
                .position(|s| s.unsigned_abs() > SILENCE_THRESHOLD as u16)
            {
                Some(first) => {
                    self.started = true;
                    &samples[first..]
                }
                None => return Ok(()),
            }
        };
        self.held.extend_from_slice(samples);
        let end_of_sound = last_sound_end(&self.held);
        let ready = end_of_sound.saturating_sub(self.fade);
        if ready > 0 {
            let mut chunk: Vec<i16> = self.held.drain(..ready).collect();
            self.fade_in(&mut chunk);
            self.emit(&chunk)?;
        }
        Ok(())
    }

    /// Ends the current segment (fading out its last sound) and records its span.
    pub fn end(&mut self, token: usize) -> Result<(), SinkError> {
        let end_of_sound = last_sound_end(&self.held);
        let mut tail: Vec<i16> = self.held.drain(..end_of_sound).collect();
        self.held.clear();
        self.fade_in(&mut tail);
        let n = tail.len().min(self.fade);
        let start = tail.len() - n;
        for (i, sample) in tail[start..].iter_mut().enumerate() {
            *sample = scale(*sample, n - i, n + 1);
        }
        self.emit(&tail)?;
        self.spans.push(Span {
            token,
            start: self.segment_start,
            end: self.position,
        });
        Ok(())
    }

    /// Writes `samples` of silence for a pause token.
    pub fn pause(&mut self, token: usize, samples: usize) -> Result<(), SinkError> {
        let start = self.position;
        let silence = vec![0i16; samples.min(4096)];
        let mut left = samples;
        while left > 0 {
            let n = left.min(silence.len());
            self.emit(&silence[..n])?;
            left -= n;
        }
        self.spans.push(Span {
            token,
            start,
            end: self.position,
        });
        Ok(())
    }

    /// Where each token ended up in the output.
    pub fn into_spans(self) -> Vec<Span> {
        self.spans
    }

    fn fade_in(&mut self, chunk: &mut [i16]) {
        let already = self.emitted_in_segment;
        if already < self.fade {
            for (i, sample) in chunk.iter_mut().take(self.fade - already).enumerate() {
                *sample = scale(*sample, already + i + 1, self.fade + 1);
            }
        }
        self.emitted_in_segment += chunk.len();
    }

    fn emit(&mut self, chunk: &[i16]) -> Result<(), SinkError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.position += chunk.len();
        self.out.write(chunk)
    }
}

fn scale(sample: i16, num: usize, den: usize) -> i16 {
    (i64::from(sample) * num as i64 / den as i64) as i16
}

fn last_sound_end(samples: &[i16]) -> usize {
    samples
        .iter()
        .rposition(|s| s.unsigned_abs() > SILENCE_THRESHOLD as u16)
        .map_or(0, |i| i + 1)
}

/// Silent stretches of at least `min_len` samples, as `(start, end)` sample ranges.
pub fn silent_runs(samples: &[i16], min_len: usize) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, sample) in samples.iter().enumerate() {
        let silent = sample.unsigned_abs() <= SILENCE_THRESHOLD as u16;
        match (silent, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= min_len {
                    runs.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        if samples.len() - s >= min_len {
            runs.push((s, samples.len()));
        }
    }
    runs
}

/// Root-mean-square level of the samples, 0.0–1.0 of full scale.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|&s| (f64::from(s) / 32768.0).powi(2))
        .sum();
    (sum / samples.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A segment: silence, sound, silence, delivered in chunks of a given size; or a pause.
    #[derive(Debug, Clone)]
    enum Piece {
        Segment {
            lead: usize,
            sound: Vec<i16>,
            trail: usize,
            chunk: usize,
        },
        Pause(usize),
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            (
                0..50usize,
                proptest::collection::vec(prop_oneof![-30000i16..-200, 200i16..30000], 1..60),
                0..50usize,
                1..40usize
            )
                .prop_map(|(lead, sound, trail, chunk)| Piece::Segment {
                    lead,
                    sound,
                    trail,
                    chunk
                }),
            (0..80usize).prop_map(Piece::Pause),
        ]
    }

    proptest! {
        /// However the audio is chunked: each segment keeps exactly its sound (trimmed of
        /// silence), faded but never amplified; pauses are exact; spans tile the output.
        #[test]
        fn joiner_keeps_sound_trims_silence_and_tiles_spans(
            pieces in proptest::collection::vec(piece(), 0..8),
            fade in 0..10usize,
        ) {
            let mut out = Pcm::new(1000);
            let mut joiner = Joiner::new(&mut out, fade);
            let mut expected_len = 0;
            let mut originals = Vec::new();
            for (index, piece) in pieces.iter().enumerate() {
                match piece {
                    Piece::Segment { lead, sound, trail, chunk } => {
                        let mut all = vec![0i16; *lead];
                        all.extend(sound);
                        all.extend(vec![0i16; *trail]);
                        joiner.begin();
                        for part in all.chunks(*chunk) {
                            joiner.push(part).unwrap();
                        }
                        joiner.end(index).unwrap();
                        expected_len += sound.len();
                        originals.extend(sound.iter().copied());
                    }
                    Piece::Pause(n) => {
                        joiner.pause(index, *n).unwrap();
                        expected_len += n;
                        originals.extend(std::iter::repeat_n(0, *n));
                    }
                }
            }
            let spans = joiner.into_spans();
            prop_assert_eq!(out.samples.len(), expected_len);
            prop_assert_eq!(spans.len(), pieces.len());
            let mut at = 0;
            for span in &spans {
                prop_assert_eq!(span.start, at);
                at = span.end;
            }
            prop_assert_eq!(at, expected_len);
            for (got, original) in out.samples.iter().zip(&originals) {
                prop_assert!(got.unsigned_abs() <= original.unsigned_abs());
                prop_assert!(*got == 0 || got.signum() == original.signum());
            }
        }
    }

    fn tone(len: usize, amplitude: i16) -> Vec<i16> {
        (0..len)
            .map(|i| if i % 2 == 0 { amplitude } else { -amplitude })
            .collect()
    }

    #[test]
    fn joiner_trims_fades_and_pauses() {
        let mut out = Pcm::new(1000);
        let mut joiner = Joiner::new(&mut out, 4);
        joiner.begin();
        let mut segment = vec![0; 10];
        segment.extend(tone(20, 10_000));
        segment.extend(vec![0; 30]);
        // Delivered in small chunks, as espeak-ng does.
        for chunk in segment.chunks(7) {
            joiner.push(chunk).unwrap();
        }
        joiner.end(0).unwrap();
        joiner.pause(1, 50).unwrap();
        joiner.begin();
        joiner.push(&tone(20, 10_000)).unwrap();
        joiner.end(2).unwrap();
        let spans = joiner.into_spans();
        assert_eq!(
            spans,
            [
                Span {
                    token: 0,
                    start: 0,
                    end: 20
                },
                Span {
                    token: 1,
                    start: 20,
                    end: 70
                },
                Span {
                    token: 2,
                    start: 70,
                    end: 90
                },
            ]
        );
        assert_eq!(out.samples.len(), 90);
        // Fades: the edges ramp, the middle is untouched.
        assert_eq!(out.samples[0], 2000);
        assert_eq!(out.samples[10], 10_000);
        assert_eq!(out.samples[19].unsigned_abs(), 2000);
        assert!(out.samples[20..70].iter().all(|&s| s == 0));
        assert_eq!(silent_runs(&out.samples, 40), [(20, 70)]);
    }

    #[test]
    fn a_silent_segment_adds_nothing() {
        let mut out = Pcm::new(1000);
        let mut joiner = Joiner::new(&mut out, 4);
        joiner.begin();
        joiner.push(&[0; 100]).unwrap();
        joiner.end(0).unwrap();
        assert!(out.samples.is_empty());
    }

    #[test]
    fn wav_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let pcm = Pcm {
            sample_rate: 22050,
            samples: tone(500, 1234),
        };
        pcm.write_wav(&path).unwrap();
        assert_eq!(Pcm::read_wav(&path).unwrap(), pcm);
    }

    #[test]
    fn rms_of_full_scale_square_is_one() {
        assert!((rms(&tone(100, i16::MAX)) - 1.0).abs() < 0.001);
        assert_eq!(rms(&[]), 0.0);
    }
}
