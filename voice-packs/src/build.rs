//! Builds a pack from espeak-ng: every required clip synthesized, trimmed, faded at the
//! edges and normalised to the pack's loudness target. Same input, same bytes.

use std::path::Path;

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
    let body = toml::to_string(manifest).expect("a manifest always serializes");
    let text = format!(
        "# Kodeoplæser voice pack. Rebuild with `voice-pack build --from espeak --lang {} DIR`\n\
         # or record with `voice-pack record --lang {} DIR`; check with `voice-pack validate DIR`.\n\n{body}",
        manifest.language, manifest.language
    );
    let path = out.join("pack.toml");
    std::fs::write(&path, text).map_err(|source| BuildError::Io {
        path: path.display().to_string(),
        source,
    })
}
