//! Voice packs: a folder with `pack.toml` and one mono 16-bit WAV clip per id. Loading
//! validates the whole pack and refuses a broken one with a report naming every fault, so
//! the caller can fall back to espeak-ng; `voice-pack validate` prints the same report.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audio::SILENCE_THRESHOLD;
use crate::words::{digit_clip_id, group_clip_digits, group_clip_id, is_group_clip_id};
use crate::{Catalogue, Lang, Rate};

/// The sample rate every pack uses (espeak-ng's, so the two voices can share a sink).
pub const PACK_SAMPLE_RATE: u32 = 22050;
/// Prompts every pack must hold besides the digits: what is said around codes and serials.
pub const REQUIRED_PROMPTS: [&str; 3] = ["your-code-is", "repeating", "serial-number-is"];
/// How far (in LU) a clip's loudness may be from the pack's target.
pub const LOUDNESS_TOLERANCE_LU: f64 = 6.0;
/// Shortest and longest plausible clip.
pub const MIN_CLIP_MS: u32 = 80;
pub const MAX_CLIP_MS: u32 = 6000;

/// `pack.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `da` or `en`.
    pub language: String,
    /// Who (or what) speaks, e.g. "espeak-ng 1.51, voice da, 165 wpm".
    pub speaker: String,
    /// Licence of the recordings.
    pub licence: String,
    pub sample_rate: u32,
    /// Integrated loudness every clip is normalised to, in LUFS (EBU R128).
    pub loudness_lufs: f64,
    #[serde(rename = "clip", default)]
    pub clips: Vec<ClipEntry>,
}

/// One clip of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipEntry {
    /// `digit-0` … `digit-9` or a catalogue prompt id.
    pub id: String,
    /// WAV file name inside the pack folder.
    pub file: String,
    /// What the clip says (shown to the speaker when recording).
    pub text: String,
}

/// The group clips a built pack has ([`group_clip_id`]): each group of two or three digits
/// that starts with a digit twice ("nine nine seven"), 110 in all. Joined from digit clips,
/// such a group was heard with the digit three or four times in 5 of the 7 codes Whisper
/// missed of 200 (issue 16); said as one clip from whole-group synthesis it is not.
pub fn repeat_group_clip_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for digit in 0..10 {
        ids.push(group_clip_id(&[digit, digit]));
        for last in 0..10 {
            ids.push(group_clip_id(&[digit, digit, last]));
        }
    }
    ids
}

/// The clip ids every pack must have: the ten digits and [`REQUIRED_PROMPTS`].
pub fn required_clip_ids() -> Vec<String> {
    (0..10)
        .map(digit_clip_id)
        .chain(REQUIRED_PROMPTS.iter().map(|id| (*id).to_owned()))
        .collect()
}

/// What a clip must say in a language: the digit word or the catalogue text.
pub fn expected_text(catalogue: &Catalogue, lang: Lang, id: &str) -> Option<String> {
    if let Some(digit) = id
        .strip_prefix("digit-")
        .and_then(|d| d.parse::<usize>().ok())
    {
        return lang.digit_words().get(digit).map(|w| (*w).to_owned());
    }
    if let Some(digits) = group_clip_digits(id) {
        let words = lang.digit_words();
        let said: Vec<&str> = digits.iter().map(|&d| words[usize::from(d)]).collect();
        return Some(said.join(" "));
    }
    catalogue.format(lang, id, &[]).ok()
}

/// One fault in a pack.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    UnknownLanguage(String),
    WrongPackSampleRate(u32),
    /// A required clip not listed in pack.toml, or a listed clip whose file is absent.
    MissingClip {
        id: String,
        file: String,
    },
    DuplicateClip(String),
    UnknownClip(String),
    WrongText {
        id: String,
        text: String,
        expected: String,
    },
    Unreadable {
        file: String,
        error: String,
    },
    WrongSampleRate {
        file: String,
        found: u32,
    },
    WrongChannels {
        file: String,
        found: u16,
    },
    WrongFormat {
        file: String,
        bits: u16,
    },
    Truncated {
        file: String,
        why: String,
    },
    Clipping {
        file: String,
        samples: usize,
    },
    SilenceOnly {
        file: String,
    },
    Duration {
        file: String,
        ms: u32,
    },
    Loudness {
        file: String,
        lufs: f64,
        target: f64,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::UnknownLanguage(lang) => {
                write!(f, "pack.toml: language {lang:?} is not da or en")
            }
            Fault::WrongPackSampleRate(rate) => write!(
                f,
                "pack.toml: sample_rate {rate} Hz, packs must be {PACK_SAMPLE_RATE} Hz"
            ),
            Fault::MissingClip { id, file } => write!(f, "missing clip {id:?} ({file})"),
            Fault::DuplicateClip(id) => write!(f, "pack.toml: clip {id:?} is listed twice"),
            Fault::UnknownClip(id) => write!(
                f,
                "pack.toml: clip {id:?} is neither a digit nor a catalogue prompt"
            ),
            Fault::WrongText { id, text, expected } => write!(
                f,
                "pack.toml: clip {id:?} has text {text:?}, the catalogue says {expected:?}"
            ),
            Fault::Unreadable { file, error } => write!(f, "{file}: cannot read: {error}"),
            Fault::WrongSampleRate { file, found } => write!(
                f,
                "{file}: sample rate {found} Hz, packs are {PACK_SAMPLE_RATE} Hz"
            ),
            Fault::WrongChannels { file, found } => {
                write!(f, "{file}: {found} channels, clips must be mono")
            }
            Fault::WrongFormat { file, bits } => {
                write!(f, "{file}: {bits}-bit, clips must be 16-bit integer PCM")
            }
            Fault::Truncated { file, why } => write!(f, "{file}: truncated: {why}"),
            Fault::Clipping { file, samples } => {
                write!(f, "{file}: clipping ({samples} samples at full scale)")
            }
            Fault::SilenceOnly { file } => write!(f, "{file}: silence only"),
            Fault::Duration { file, ms } => write!(
                f,
                "{file}: {ms} ms long, a clip must last {MIN_CLIP_MS}–{MAX_CLIP_MS} ms"
            ),
            Fault::Loudness { file, lufs, target } => write!(
                f,
                "{file}: loudness {lufs:.1} LUFS, {:.1} LU from the pack's target {target:.1} LUFS (tolerance {LOUDNESS_TOLERANCE_LU} LU)",
                (lufs - target).abs()
            ),
        }
    }
}

/// Every fault found in a pack.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PackReport {
    pub dir: PathBuf,
    pub faults: Vec<Fault>,
}

impl fmt::Display for PackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "voice pack {} is broken ({} fault(s)):",
            self.dir.display(),
            self.faults.len()
        )?;
        for fault in &self.faults {
            write!(f, "\n  - {fault}")?;
        }
        Ok(())
    }
}

/// Why a pack was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackError {
    #[error("voice pack {}: cannot read pack.toml: {error}", dir.display())]
    NoManifest { dir: PathBuf, error: String },
    #[error("voice pack {}: pack.toml is not valid: {error}", dir.display())]
    BadManifest { dir: PathBuf, error: String },
    #[error(transparent)]
    Broken(#[from] PackReport),
    #[error("voice pack {}: a second {lang} pack (the first is {})", dir.display(), first.display())]
    SecondForLanguage {
        dir: PathBuf,
        lang: Lang,
        first: PathBuf,
    },
}

/// A validated pack with every clip in memory.
#[derive(Debug, Clone)]
pub struct VoicePack {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub lang: Lang,
    clips: HashMap<String, Vec<i16>>,
    stretched: HashMap<(String, Rate), Vec<i16>>,
}

impl VoicePack {
    /// Loads and validates the pack in `dir`; a broken pack is refused with every fault.
    pub fn load(dir: &Path) -> Result<VoicePack, PackError> {
        let manifest = read_manifest(dir)?;
        let mut faults = Vec::new();
        let lang = match manifest.language.parse::<Lang>() {
            Ok(lang) => Some(lang),
            Err(_) => {
                faults.push(Fault::UnknownLanguage(manifest.language.clone()));
                None
            }
        };
        if manifest.sample_rate != PACK_SAMPLE_RATE {
            faults.push(Fault::WrongPackSampleRate(manifest.sample_rate));
        }

        let catalogue = Catalogue::embedded().ok();
        let mut listed = BTreeMap::new();
        for clip in &manifest.clips {
            if listed.insert(clip.id.clone(), clip).is_some() {
                faults.push(Fault::DuplicateClip(clip.id.clone()));
            }
        }
        for id in required_clip_ids() {
            if !listed.contains_key(&id) {
                faults.push(Fault::MissingClip {
                    file: format!("{id}.wav"),
                    id,
                });
            }
        }

        let mut clips = HashMap::new();
        let mut seen_files = BTreeSet::new();
        for clip in listed.values() {
            if let (Some(catalogue), Some(lang)) = (&catalogue, lang) {
                match expected_text(catalogue, lang, &clip.id) {
                    None => faults.push(Fault::UnknownClip(clip.id.clone())),
                    Some(expected) if expected != clip.text => faults.push(Fault::WrongText {
                        id: clip.id.clone(),
                        text: clip.text.clone(),
                        expected,
                    }),
                    Some(_) => {}
                }
            }
            seen_files.insert(clip.file.clone());
            let path = dir.join(&clip.file);
            if !path.is_file() {
                faults.push(Fault::MissingClip {
                    id: clip.id.clone(),
                    file: clip.file.clone(),
                });
                continue;
            }
            let before = faults.len();
            let samples = check_clip(&path, &clip.file, manifest.loudness_lufs, &mut faults);
            if faults.len() == before {
                if let Some(samples) = samples {
                    clips.insert(clip.id.clone(), samples);
                }
            }
        }

        if !faults.is_empty() {
            return Err(PackError::Broken(PackReport {
                dir: dir.to_owned(),
                faults,
            }));
        }
        Ok(VoicePack {
            dir: dir.to_owned(),
            lang: lang.expect("no faults means the language parsed"),
            manifest,
            clips,
            stretched: HashMap::new(),
        })
    }

    /// Whether the pack has a clip with this id.
    pub fn has_clip(&self, id: &str) -> bool {
        self.clips.contains_key(id)
    }

    /// A clip's samples at a speaking rate (time-stretched, same pitch). Stretched clips are
    /// cached, except group clips: a pack may have a hundred of them, and cached they
    /// would hold megabytes more after a day's use; one is stretched while the prompt
    /// before it plays.
    pub fn clip(&mut self, id: &str, rate: Rate) -> Option<Cow<'_, [i16]>> {
        if rate == Rate::Normal {
            return self
                .clips
                .get(id)
                .map(|clip| Cow::Borrowed(clip.as_slice()));
        }
        let stretch =
            |normal: &[i16]| crate::stretch::stretch(normal, rate.stretch(), PACK_SAMPLE_RATE);
        if is_group_clip_id(id) {
            return self.clips.get(id).map(|normal| Cow::Owned(stretch(normal)));
        }
        let key = (id.to_owned(), rate);
        if !self.stretched.contains_key(&key) {
            let stretched = stretch(self.clips.get(id)?);
            self.stretched.insert(key.clone(), stretched);
        }
        self.stretched
            .get(&key)
            .map(|clip| Cow::Borrowed(clip.as_slice()))
    }
}

/// Reads `pack.toml` from a pack folder.
pub fn read_manifest(dir: &Path) -> Result<Manifest, PackError> {
    let path = dir.join("pack.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| PackError::NoManifest {
        dir: dir.to_owned(),
        error: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| PackError::BadManifest {
        dir: dir.to_owned(),
        error: e.to_string(),
    })
}

/// Checks one clip file, adding its faults; returns its samples when it could be read.
fn check_clip(path: &Path, file: &str, target: f64, faults: &mut Vec<Fault>) -> Option<Vec<i16>> {
    let reader = match hound::WavReader::open(path) {
        Ok(reader) => reader,
        Err(e) => {
            faults.push(Fault::Unreadable {
                file: file.to_owned(),
                error: e.to_string(),
            });
            return None;
        }
    };
    let spec = reader.spec();
    let declared = reader.len() as usize;
    if spec.sample_rate != PACK_SAMPLE_RATE {
        faults.push(Fault::WrongSampleRate {
            file: file.to_owned(),
            found: spec.sample_rate,
        });
    }
    if spec.channels != 1 {
        faults.push(Fault::WrongChannels {
            file: file.to_owned(),
            found: spec.channels,
        });
    }
    if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        faults.push(Fault::WrongFormat {
            file: file.to_owned(),
            bits: spec.bits_per_sample,
        });
        return None;
    }
    let mut samples = Vec::with_capacity(declared);
    for sample in reader.into_samples::<i16>() {
        match sample {
            Ok(sample) => samples.push(sample),
            Err(_) => break,
        }
    }
    if samples.len() < declared {
        faults.push(Fault::Truncated {
            file: file.to_owned(),
            why: format!(
                "the header promises {declared} samples, the file holds {}",
                samples.len()
            ),
        });
    }
    // Interleaved multi-channel audio: judge the first channel only.
    if spec.channels > 1 {
        samples = samples
            .iter()
            .step_by(usize::from(spec.channels))
            .copied()
            .collect();
    }
    let ms = (samples.len() as u64 * 1000 / u64::from(spec.sample_rate.max(1))) as u32;
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if peak <= SILENCE_THRESHOLD as u16 {
        faults.push(Fault::SilenceOnly {
            file: file.to_owned(),
        });
        return Some(samples);
    }
    if !(MIN_CLIP_MS..=MAX_CLIP_MS).contains(&ms) {
        faults.push(Fault::Duration {
            file: file.to_owned(),
            ms,
        });
    }
    let full_scale = samples
        .iter()
        .filter(|&&s| s == i16::MAX || s == i16::MIN)
        .count();
    if full_scale >= 3 {
        faults.push(Fault::Clipping {
            file: file.to_owned(),
            samples: full_scale,
        });
    }
    // A whole clip fades out to (near) silence (shipped clips: under 2% of the peak in
    // their last millisecond); one cut mid-word still has sound there.
    let tail = &samples[samples
        .len()
        .saturating_sub(spec.sample_rate as usize / 1000)..];
    let tail_rms = crate::audio::rms(tail) * 32768.0;
    if samples.len() >= declared && tail_rms > f64::from(peak) * 0.03 {
        faults.push(Fault::Truncated {
            file: file.to_owned(),
            why: "the sound stops abruptly at the end".to_owned(),
        });
    }
    if let Some(lufs) = loudness_lufs(&samples, spec.sample_rate) {
        if (lufs - target).abs() > LOUDNESS_TOLERANCE_LU {
            faults.push(Fault::Loudness {
                file: file.to_owned(),
                lufs,
                target,
            });
        }
    }
    Some(samples)
}

/// Integrated loudness (EBU R128) of a clip, in LUFS. Clips shorter than the 400 ms
/// gating block are measured looped to three seconds, which keeps their level. `None`
/// for silence.
pub fn loudness_lufs(samples: &[i16], sample_rate: u32) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut meter = ebur128::EbuR128::new(1, sample_rate, ebur128::Mode::I).ok()?;
    let target = sample_rate as usize * 3;
    let mut fed = 0;
    while fed < target.max(samples.len()) {
        meter.add_frames_i16(samples).ok()?;
        fed += samples.len();
    }
    let lufs = meter.loudness_global().ok()?;
    lufs.is_finite().then_some(lufs)
}

/// Scales `samples` to `target` LUFS, lowering the gain if the peak would pass −1 dBFS.
pub fn normalise(samples: &mut [i16], sample_rate: u32, target: f64) {
    let Some(lufs) = loudness_lufs(samples, sample_rate) else {
        return;
    };
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    let mut gain = 10f64.powf((target - lufs) / 20.0);
    let ceiling = 32767.0 * 10f64.powf(-1.0 / 20.0);
    if f64::from(peak) * gain > ceiling {
        gain = ceiling / f64::from(peak);
    }
    for sample in samples.iter_mut() {
        *sample = (f64::from(*sample) * gain)
            .round()
            .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16;
    }
}

#[cfg(test)]
mod group_clip_tests {
    use super::*;

    #[test]
    fn built_group_clips_are_the_groups_that_start_with_a_doubled_digit() {
        let ids = repeat_group_clip_ids();
        assert_eq!(ids.len(), 110);
        let catalogue = Catalogue::embedded().unwrap();
        for id in &ids {
            let digits = group_clip_digits(id).expect("a group clip id");
            assert_eq!(digits[0], digits[1], "{id}");
            assert!(expected_text(&catalogue, Lang::En, id).is_some(), "{id}");
        }
        assert_eq!(
            expected_text(&catalogue, Lang::En, "group-997").as_deref(),
            Some("nine nine seven")
        );
        assert_eq!(
            expected_text(&catalogue, Lang::Da, "group-007").as_deref(),
            Some("nul nul syv")
        );
        // Groups have two or three digits.
        for id in ["group-9", "group-9997", "group-9a7", "group-"] {
            assert_eq!(expected_text(&catalogue, Lang::En, id), None, "{id}");
        }
    }
}
