//! Guided recording of a human voice pack: for each clip it shows the text, records a
//! take, trims leading and trailing silence, normalises loudness, lets the speaker redo it,
//! and ends by validating the pack. Input and output are plain streams, so a session can
//! be scripted in tests with a [`SimulatedMic`](crate::mic::SimulatedMic).

use std::io::{BufRead, Write};
use std::path::Path;

use rubato::{
    Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction,
};
use speech::audio::Pcm;
use speech::pack::{self, ClipEntry, Manifest, PackError, PACK_SAMPLE_RATE};
use speech::{Catalogue, Lang, VoicePack};

use crate::build::{write_manifest, BuildError, FADE_SAMPLES, TARGET_LUFS};
use crate::mic::{MicError, Microphone, Take};

/// Why a recording session failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Mic(#[from] MicError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("resampling the take: {0}")]
    Resample(String),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Sink(#[from] speech::SinkError),
    #[error(transparent)]
    Catalogue(#[from] speech::CatalogueError),
    #[error("the take is silent")]
    Silent,
    #[error("recording stopped by the speaker")]
    Quit,
}

/// Who speaks and under what licence (written to pack.toml).
#[derive(Debug, Clone)]
pub struct Credits {
    pub speaker: String,
    pub licence: String,
}

/// Turns a raw take into a clip: mono, 22050 Hz, trimmed, faded and normalised.
pub fn process_take(take: &Take) -> Result<Vec<i16>, RecordError> {
    let channels = usize::from(take.channels.max(1));
    let mono: Vec<f32> = take
        .samples
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / frame.len() as f32)
        .collect();
    let resampled = resample(&mono, take.sample_rate)?;
    let trimmed = trim(&resampled, PACK_SAMPLE_RATE);
    if trimmed.is_empty() {
        return Err(RecordError::Silent);
    }
    let mut clip: Vec<i16> = trimmed
        .iter()
        .map(|&s| (s * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let n = FADE_SAMPLES.min(clip.len() / 2);
    let len = clip.len();
    for i in 0..n {
        let gain = (i + 1) as f32 / (n + 1) as f32;
        clip[i] = (f32::from(clip[i]) * gain) as i16;
        clip[len - 1 - i] = (f32::from(clip[len - 1 - i]) * gain) as i16;
    }
    pack::normalise(&mut clip, PACK_SAMPLE_RATE, TARGET_LUFS);
    Ok(clip)
}

fn resample(mono: &[f32], from: u32) -> Result<Vec<f32>, RecordError> {
    if from == PACK_SAMPLE_RATE || mono.is_empty() {
        return Ok(mono.to_vec());
    }
    let params = SincInterpolationParameters {
        sinc_len: 128,
        f_cutoff: 0.95,
        interpolation: SincInterpolationType::Linear,
        oversampling_factor: 128,
        window: WindowFunction::BlackmanHarris2,
    };
    let ratio = f64::from(PACK_SAMPLE_RATE) / f64::from(from);
    let mut resampler = SincFixedIn::<f32>::new(ratio, 1.0, params, mono.len(), 1)
        .map_err(|e| RecordError::Resample(e.to_string()))?;
    let mut out = resampler
        .process(&[mono.to_vec()], None)
        .map_err(|e| RecordError::Resample(e.to_string()))?;
    Ok(out.pop().unwrap_or_default())
}

/// Cuts leading and trailing silence: 10 ms frames quieter than 1/20 of the loudest frame
/// (and than −50 dBFS), keeping 30 ms of margin on each side.
pub fn trim(samples: &[f32], sample_rate: u32) -> &[f32] {
    let frame = (sample_rate / 100).max(1) as usize;
    let levels: Vec<f32> = samples
        .chunks(frame)
        .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt())
        .collect();
    let loudest = levels.iter().copied().fold(0.0, f32::max);
    let threshold = (loudest / 20.0).max(0.003);
    let Some(first) = levels.iter().position(|&l| l > threshold) else {
        return &[];
    };
    let last = levels.iter().rposition(|&l| l > threshold).unwrap_or(first);
    let start = first.saturating_sub(3) * frame;
    let end = ((last + 1 + 3) * frame).min(samples.len());
    &samples[start..end]
}

/// Runs a guided session into `out`; returns the validation result of the finished pack.
pub fn record_pack(
    lang: Lang,
    out: &Path,
    credits: &Credits,
    mic: &mut dyn Microphone,
    input: &mut dyn BufRead,
    screen: &mut dyn Write,
) -> Result<Result<VoicePack, PackError>, RecordError> {
    let catalogue = Catalogue::embedded()?;
    std::fs::create_dir_all(out)?;
    let ids = pack::required_clip_ids();
    let mut clips = Vec::new();
    writeln!(
        screen,
        "Recording a {lang} voice pack into {} ({} clips). Speak each text clearly, at your normal pace.",
        out.display(),
        ids.len()
    )?;
    for (n, id) in ids.iter().enumerate() {
        let text = pack::expected_text(&catalogue, lang, id)
            .ok_or_else(|| BuildError::NoText { id: id.clone() })?;
        let file = format!("{id}.wav");
        let path = out.join(&file);
        writeln!(screen, "\n[{}/{}] {id} — say: «{text}»", n + 1, ids.len())?;
        loop {
            let keep_hint = if path.is_file() {
                ", s = keep the existing recording"
            } else {
                ""
            };
            match ask(
                input,
                screen,
                &format!("  Enter = start recording{keep_hint}, q = quit"),
            )?
            .as_str()
            {
                "q" => return Err(RecordError::Quit),
                "s" if path.is_file() => break,
                _ => {}
            }
            mic.start()?;
            ask(input, screen, "  recording… Enter = stop")?;
            let take = mic.stop()?;
            let raw_secs =
                take.samples.len() as f64 / f64::from(take.sample_rate) / f64::from(take.channels);
            let clip = match process_take(&take) {
                Ok(clip) => clip,
                Err(RecordError::Silent) => {
                    writeln!(
                        screen,
                        "  nothing was heard — check the microphone and try again"
                    )?;
                    continue;
                }
                Err(other) => return Err(other),
            };
            let loudness = pack::loudness_lufs(&clip, PACK_SAMPLE_RATE)
                .map_or("silent".to_owned(), |l| format!("{l:.1} LUFS"));
            writeln!(
                screen,
                "  {raw_secs:.2} s recorded, {:.2} s after trimming, loudness {loudness}",
                clip.len() as f64 / f64::from(PACK_SAMPLE_RATE)
            )?;
            match ask(input, screen, "  Enter = keep, r = redo, q = quit")?.as_str() {
                "r" => continue,
                "q" => return Err(RecordError::Quit),
                _ => {
                    Pcm {
                        sample_rate: PACK_SAMPLE_RATE,
                        samples: clip,
                    }
                    .write_wav(&path)?;
                    break;
                }
            }
        }
        clips.push(ClipEntry {
            id: id.clone(),
            file,
            text,
        });
    }
    let manifest = Manifest {
        language: lang.code().to_owned(),
        speaker: credits.speaker.clone(),
        licence: credits.licence.clone(),
        sample_rate: PACK_SAMPLE_RATE,
        loudness_lufs: TARGET_LUFS,
        clips,
    };
    write_manifest(out, &manifest)?;
    let result = VoicePack::load(out);
    match &result {
        Ok(_) => writeln!(screen, "\nThe pack is complete and valid.")?,
        Err(report) => writeln!(screen, "\n{report}")?,
    }
    Ok(result)
}

fn ask(
    input: &mut dyn BufRead,
    screen: &mut dyn Write,
    prompt: &str,
) -> Result<String, RecordError> {
    writeln!(screen, "{prompt}")?;
    screen.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Err(RecordError::Quit);
    }
    Ok(line.trim().to_ascii_lowercase())
}
