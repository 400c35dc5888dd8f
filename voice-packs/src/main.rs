//! `voice-pack`: build a pack from espeak-ng or Piper, record one from a human voice,
//! validate one, or compare a rebuilt pack with a shipped one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use speech::Lang;
use voice_packs::record::{record_pack, Credits};
use voice_packs::{build, compare, mic, PackError, VoicePack};

#[derive(Parser)]
#[command(
    name = "voice-pack",
    version,
    about = "Build, record and validate Kodeoplæser voice packs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a pack by synthesizing every clip (reproducible: espeak-ng gives the same
    /// bytes; Piper the same bytes on one CPU, within rounding on another — see `compare`).
    Build {
        /// Where the clips come from: `espeak` (needs --lang) or `piper` (needs --voice).
        #[arg(long, default_value = "espeak")]
        from: String,
        /// Language of an espeak-ng pack (a Piper voice's name gives its language).
        #[arg(long)]
        lang: Option<Lang>,
        /// Piper voice, e.g. en_US-joe-medium (shipped in a PyPI package; see voice-packs/README.md).
        #[arg(long)]
        voice: Option<String>,
        /// Python with piper-tts and the voice's package (speech/intelligibility/venv.sh makes one).
        #[arg(long, default_value = "python3")]
        python: PathBuf,
        out: PathBuf,
    },
    /// Check a pack and report every fault at once; exits non-zero if it is broken.
    Validate { dir: PathBuf },
    /// Compare a rebuilt pack with a shipped one: the same files, `pack.toml` byte for
    /// byte, each clip's sample rate and length, and its samples within the tolerance (another
    /// CPU's rounding); exits 1 and lists every difference beyond it.
    Compare {
        /// Largest sample difference accepted, in steps of 16-bit audio (32 = −60 dBFS).
        #[arg(long, default_value_t = compare::DEFAULT_TOLERANCE)]
        tolerance: u16,
        first: PathBuf,
        second: PathBuf,
    },
    /// Record a pack from a human voice, clip by clip, then validate it.
    Record {
        #[arg(long)]
        lang: Lang,
        /// Input device name (default input if absent).
        #[arg(long)]
        device: Option<String>,
        /// The speaker's name, for pack.toml.
        #[arg(long, default_value = "unnamed speaker")]
        speaker: String,
        /// Licence of the recordings, for pack.toml.
        #[arg(long, default_value = "CC-BY-4.0")]
        licence: String,
        /// Use recorded WAV files as the microphone, one per take in order (repeatable),
        /// to rehearse or test a session without a sound card.
        #[arg(long, value_name = "FILE.wav")]
        take_wav: Vec<PathBuf>,
        out: PathBuf,
    },
}

/// Exits 0 when done, 1 when a pack is broken (every fault listed), 2 on an error (one
/// line with its causes, never a backtrace, whatever `RUST_BACKTRACE` says).
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("voice-pack: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Build {
            from,
            lang,
            voice,
            python,
            out,
        } => {
            let manifest = match (from.as_str(), lang, voice) {
                ("espeak", Some(lang), None) => build::build_from_espeak(lang, &out)
                    .with_context(|| format!("building the {lang} pack in {}", out.display()))?,
                ("espeak", _, _) => bail!("--from espeak needs --lang and no --voice"),
                ("piper", lang, Some(voice)) => {
                    let voice_lang = build::piper_voice_lang(&voice)?;
                    if lang.is_some_and(|lang| lang != voice_lang) {
                        bail!("--lang does not match the Piper voice {voice:?} ({voice_lang})");
                    }
                    build::build_from_piper(&voice, &python, &out).with_context(|| {
                        format!("building the {voice} pack in {}", out.display())
                    })?
                }
                ("piper", _, None) => bail!("--from piper needs --voice (e.g. en_US-joe-medium)"),
                (other, _, _) => bail!(
                    "--from {other:?}: `espeak` or `piper` can build a pack (use `record` for a human voice)"
                ),
            };
            let lang = &manifest.language;
            println!(
                "built {} clips for {lang} in {}",
                manifest.clips.len(),
                out.display()
            );
            Ok(report(VoicePack::load(&out)))
        }
        Command::Validate { dir } => Ok(report(VoicePack::load(&dir))),
        Command::Compare {
            tolerance,
            first,
            second,
        } => {
            let found = compare::compare_packs(&first, &second, tolerance)?;
            let largest = match &found.largest {
                Some((file, size)) => format!(" (largest ±{size}, {file})"),
                None => String::new(),
            };
            println!(
                "{} files in both packs: {} identical, {} clips within ±{tolerance}{largest}, {} beyond",
                found.files,
                found.identical,
                found.within_tolerance,
                found.differences.len()
            );
            for difference in &found.differences {
                println!("  {difference}");
            }
            Ok(if found.same() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Record {
            lang,
            device,
            speaker,
            licence,
            take_wav,
            out,
        } => {
            let mut mic: Box<dyn mic::Microphone> = if take_wav.is_empty() {
                Box::new(mic::CpalMic::open(device.as_deref()).context("opening the microphone")?)
            } else {
                Box::new(mic::WavFilesMic::new(take_wav))
            };
            let stdin = std::io::stdin();
            let result = record_pack(
                lang,
                &out,
                &Credits { speaker, licence },
                mic.as_mut(),
                &mut stdin.lock(),
                &mut std::io::stdout(),
            )?;
            Ok(if result.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn report(result: Result<VoicePack, PackError>) -> ExitCode {
    match result {
        Ok(pack) => {
            println!(
                "voice pack {} is valid: language {}, {} clips, speaker {:?}",
                pack.dir.display(),
                pack.lang,
                pack.manifest.clips.len(),
                pack.manifest.speaker
            );
            ExitCode::SUCCESS
        }
        Err(error @ PackError::NoManifest { .. }) => {
            eprintln!("voice-pack: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
