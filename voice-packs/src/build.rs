//! Builds a pack by synthesis, from espeak-ng (linked in-process) or from a Piper voice
//! (run offline through Python, see [`build_from_piper`]): every required clip synthesized,
//! trimmed, faded at the edges and normalised to the pack's loudness target. Same input,
//! same bytes (for Piper on one CPU; another may round a few samples differently, which
//! [`crate::compare`] allows for).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use speech::audio::{Joiner, Pcm};
use speech::espeak::{Espeak, EspeakParams};
use speech::pack::{self, ClipEntry, Manifest, PACK_SAMPLE_RATE};
use speech::{Catalogue, Lang, Rate};

/// Loudness every built or recorded clip is normalised to.
pub const TARGET_LUFS: f64 = -20.0;
/// Fade at each end of a clip, in samples (5 ms).
pub const FADE_SAMPLES: usize = PACK_SAMPLE_RATE as usize / 200;

/// Why a pack could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Catalogue(#[from] speech::CatalogueError),
    #[error(transparent)]
    Espeak(#[from] speech::EspeakError),
    #[error("espeak-ng produces {0} Hz, packs are {PACK_SAMPLE_RATE} Hz")]
    SampleRate(u32),
    #[error("clip {id:?}: no text in the catalogue")]
    NoText { id: String },
    #[error("espeak-ng said nothing for clip {id:?}")]
    Silent { id: String },
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Sink(#[from] speech::SinkError),
    #[error("Piper voice {voice:?}: {message}")]
    Piper { voice: String, message: String },
    #[error("reading the synthesized clip {path}: {source}")]
    Wav {
        path: String,
        #[source]
        source: hound::Error,
    },
}

/// The Python program that runs Piper; embedded so the built tool needs no source tree.
const PIPER_SYNTHESIZE: &str = include_str!("../piper/synthesize.py");

/// What the Piper program reports about the voice it used.
#[derive(Debug, serde::Deserialize)]
struct PiperVoiceInfo {
    voice: String,
    sample_rate: u32,
    model_sha256: String,
    licence: String,
}

/// Synthesizes the English pack from the Piper voice `voice` (for example
/// `en_US-joe-medium`) with `python`, an interpreter that has `piper-tts` and the voice's
/// package installed (speech/intelligibility/requirements.txt pins both). Nothing is
/// fetched: the model comes from its PyPI package. Only the clips and `pack.toml` are
/// written to `out`; Piper (GPL) and the model stay on the build machine.
pub fn build_from_piper(voice: &str, python: &Path, out: &Path) -> Result<Manifest, BuildError> {
    let lang = piper_voice_lang(voice)?;
    let catalogue = Catalogue::embedded()?;
    let piper_error = |message: String| BuildError::Piper {
        voice: voice.to_owned(),
        message,
    };
    let raw = tempfile_dir(out)?;
    let mut clips = Vec::new();
    let mut script = String::new();
    let groups = pack::repeat_group_clip_ids();
    for id in pack::required_clip_ids().into_iter().chain(groups) {
        let text = pack::expected_text(&catalogue, lang, &id)
            .ok_or_else(|| BuildError::NoText { id: id.clone() })?;
        script.push_str(&format!("{id}\t{text}\n"));
        clips.push(ClipEntry {
            file: format!("{id}.wav"),
            id,
            text,
        });
    }
    let mut child = Command::new(python)
        .arg("-c")
        .arg(PIPER_SYNTHESIZE)
        .arg(voice)
        .arg(&raw)
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| piper_error(format!("starting {}: {e}", python.display())))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(script.as_bytes())
        .map_err(|e| piper_error(format!("writing the clip list: {e}")))?;
    let output = child
        .wait_with_output()
        .map_err(|e| piper_error(format!("waiting for {}: {e}", python.display())))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&raw);
        return Err(piper_error(format!(
            "{} exited with {}: {}",
            python.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let info: PiperVoiceInfo = serde_json::from_slice(&output.stdout)
        .map_err(|e| piper_error(format!("unreadable report from the synthesizer: {e}")))?;
    if info.sample_rate != PACK_SAMPLE_RATE {
        let _ = std::fs::remove_dir_all(&raw);
        return Err(BuildError::SampleRate(info.sample_rate));
    }
    for clip in &clips {
        let path = raw.join(&clip.file);
        let pcm = Pcm::read_wav(&path).map_err(|source| BuildError::Wav {
            path: path.display().to_string(),
            source,
        })?;
        finish_clip(&clip.id, &pcm.samples, &out.join(&clip.file))?;
    }
    let _ = std::fs::remove_dir_all(&raw);
    let manifest = Manifest {
        language: lang.code().to_owned(),
        speaker: format!(
            "Piper voice {} (model SHA-256 {}), noise 0",
            info.voice, info.model_sha256
        ),
        licence: format!(
            "{}; clips synthesized with piper-tts, which does not ship",
            info.licence
        ),
        sample_rate: PACK_SAMPLE_RATE,
        loudness_lufs: TARGET_LUFS,
        clips,
    };
    write_manifest_with(
        out,
        &manifest,
        &format!("voice-pack build --from piper --voice {voice} DIR"),
    )?;
    Ok(manifest)
}

/// The language of a Piper voice name such as `en_US-joe-medium`; only English packs can
/// be built from Piper voices here.
pub fn piper_voice_lang(voice: &str) -> Result<Lang, BuildError> {
    match voice.split('_').next() {
        Some("en") => Ok(Lang::En),
        Some("da") => Ok(Lang::Da),
        _ => Err(BuildError::Piper {
            voice: voice.to_owned(),
            message: "not a Piper voice name (LANG_REGION-NAME-QUALITY)".to_owned(),
        }),
    }
}

/// A scratch folder beside `out` for the synthesizer's raw clips.
fn tempfile_dir(out: &Path) -> Result<std::path::PathBuf, BuildError> {
    let io = |path: &Path, source| BuildError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let raw = out.join(".piper-raw");
    if raw.exists() {
        std::fs::remove_dir_all(&raw).map_err(|e| io(&raw, e))?;
    }
    std::fs::create_dir_all(&raw).map_err(|e| io(&raw, e))?;
    Ok(raw)
}

/// Trims, fades and normalises one synthesized clip and writes it to `path`.
fn finish_clip(id: &str, samples: &[i16], path: &Path) -> Result<(), BuildError> {
    let mut pcm = Pcm::new(PACK_SAMPLE_RATE);
    let mut joiner = Joiner::new(&mut pcm, FADE_SAMPLES);
    joiner.begin();
    joiner.push(samples)?;
    joiner.end(0)?;
    if pcm.samples.is_empty() {
        return Err(BuildError::Silent { id: id.to_owned() });
    }
    pack::normalise(&mut pcm.samples, PACK_SAMPLE_RATE, TARGET_LUFS);
    pcm.write_wav(path)?;
    Ok(())
}

/// Synthesizes the pack for `lang` into `out` (created if needed) and returns its manifest.
pub fn build_from_espeak(lang: Lang, out: &Path) -> Result<Manifest, BuildError> {
    let catalogue = Catalogue::embedded()?;
    let espeak = Espeak::new()?;
    if espeak.sample_rate() != PACK_SAMPLE_RATE {
        return Err(BuildError::SampleRate(espeak.sample_rate()));
    }
    let params = EspeakParams::default();
    std::fs::create_dir_all(out).map_err(|source| BuildError::Io {
        path: out.display().to_string(),
        source,
    })?;

    let mut clips = Vec::new();
    for id in pack::required_clip_ids() {
        let text = pack::expected_text(&catalogue, lang, &id)
            .ok_or_else(|| BuildError::NoText { id: id.clone() })?;
        // Digits are given as numerals so the voice's number rules pronounce them.
        let spoken = match id.strip_prefix("digit-") {
            Some(digit) => digit.to_owned(),
            None => text.clone(),
        };
        let mut pcm = Pcm::new(PACK_SAMPLE_RATE);
        let mut joiner = Joiner::new(&mut pcm, FADE_SAMPLES);
        joiner.begin();
        let mut failed = None;
        espeak.synthesize(
            lang.code(),
            params.wpm_at(Rate::Normal),
            &params,
            &spoken,
            &mut |chunk| match joiner.push(chunk) {
                Ok(()) => true,
                Err(error) => {
                    failed = Some(error);
                    false
                }
            },
        )?;
        if let Some(error) = failed {
            return Err(error.into());
        }
        joiner.end(0)?;
        if pcm.samples.is_empty() {
            return Err(BuildError::Silent { id });
        }
        pack::normalise(&mut pcm.samples, PACK_SAMPLE_RATE, TARGET_LUFS);
        let file = format!("{id}.wav");
        pcm.write_wav(&out.join(&file))?;
        clips.push(ClipEntry { id, file, text });
    }

    let manifest = Manifest {
        language: lang.code().to_owned(),
        speaker: format!(
            "espeak-ng voice {}, {} wpm, pitch {}",
            lang.code(),
            params.wpm,
            params.pitch
        ),
        licence: "MIT OR Apache-2.0 (synthesized with espeak-ng)".to_owned(),
        sample_rate: PACK_SAMPLE_RATE,
        loudness_lufs: TARGET_LUFS,
        clips,
    };
    write_manifest(out, &manifest)?;
    Ok(manifest)
}

/// Writes `pack.toml`, with a header saying how the pack was made.
pub fn write_manifest(out: &Path, manifest: &Manifest) -> Result<(), BuildError> {
    let rebuild = format!(
        "voice-pack build --from espeak --lang {} DIR",
        manifest.language
    );
    write_manifest_with(out, manifest, &rebuild)
}

/// Writes `pack.toml` with a header naming `rebuild`, the command that makes it again.
fn write_manifest_with(out: &Path, manifest: &Manifest, rebuild: &str) -> Result<(), BuildError> {
    let body = toml::to_string(manifest).expect("a manifest always serializes");
    let text = format!(
        "# Kodeoplæser voice pack. Rebuild with `{rebuild}`\n\
         # or record with `voice-pack record --lang {} DIR`; check with `voice-pack validate DIR`.\n\n{body}",
        manifest.language
    );
    let path = out.join("pack.toml");
    std::fs::write(&path, text).map_err(|source| BuildError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piper_voice_names_give_their_language() {
        assert_eq!(piper_voice_lang("en_US-joe-medium").unwrap(), Lang::En);
        assert_eq!(
            piper_voice_lang("da_DK-talesyntese-medium").unwrap(),
            Lang::Da
        );
        let err = piper_voice_lang("de_DE-thorsten-medium").unwrap_err();
        assert!(err.to_string().contains("de_DE-thorsten-medium"), "{err}");
    }

    #[test]
    fn a_missing_python_is_named() {
        let out = tempfile::tempdir().unwrap();
        let err = build_from_piper(
            "en_US-joe-medium",
            Path::new("/nonexistent/python"),
            out.path(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/python"), "{err}");
    }
}
