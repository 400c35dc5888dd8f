//! `voice-pack`: build a pack from espeak-ng, record one from a human voice, or validate one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use speech::Lang;
use voice_packs::record::{record_pack, Credits};
use voice_packs::{build, mic, PackError, VoicePack};

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
    /// Build a pack by synthesizing every clip (reproducible: same input, same bytes).
    Build {
        /// Where the clips come from; only `espeak` is supported.
        #[arg(long, default_value = "espeak")]
        from: String,
        #[arg(long)]
        lang: Lang,
        out: PathBuf,
    },
    /// Check a pack and report every fault at once; exits non-zero if it is broken.
    Validate { dir: PathBuf },
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
        Command::Build { from, lang, out } => {
            if from != "espeak" {
                bail!("--from {from:?}: only `espeak` can build a pack (use `record` for a human voice)");
            }
            let manifest = build::build_from_espeak(lang, &out)
                .with_context(|| format!("building the {lang} pack in {}", out.display()))?;
            println!(
                "built {} clips for {lang} in {}",
                manifest.clips.len(),
                out.display()
            );
            Ok(report(VoicePack::load(&out)))
        }
        Command::Validate { dir } => Ok(report(VoicePack::load(&dir))),
        Command::Record {
            lang,
            device,
            speaker,
            licence,
            out,
        } => {
            let mut mic =
                mic::CpalMic::open(device.as_deref()).context("opening the microphone")?;
            let stdin = std::io::stdin();
            let result = record_pack(
                lang,
                &out,
                &Credits { speaker, licence },
                &mut mic,
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
