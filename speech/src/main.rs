//! `speech`: say codes, serial numbers and prompts in Danish or English through espeak-ng
//! or a voice pack, to a WAV file or the sound card; list voices; print the words.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use speech::{
    playback, Catalogue, Grouping, Lang, Rate, Script, Settings, Utterance, Voice, WavSink,
};

#[derive(Parser)]
#[command(
    name = "speech",
    version,
    about = "Kodeoplæser speech: codes and prompts, spoken"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Speak prompts, a code and/or a serial number, in that order.
    Say(Say),
    /// Print the words that would be spoken, on one line (groups separated by " | ").
    Words(What),
    /// List espeak-ng's voices, the prompt ids and the output devices.
    Voices,
}

#[derive(Args)]
struct What {
    /// Language: da or en.
    #[arg(long, default_value = "da")]
    lang: Lang,
    /// Grouping of code digits: 3 (threes), 2 (pairs) or 1 (single).
    #[arg(long, default_value = "3")]
    grouping: Grouping,
    /// Speaking rate: slow, normal or fast.
    #[arg(long, default_value = "normal")]
    rate: Rate,
    /// A catalogue prompt id (repeatable), said first.
    #[arg(long = "prompt", value_name = "ID")]
    prompts: Vec<String>,
    /// A prompt argument NAME=VALUE (repeatable), for all prompts.
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    args: Vec<String>,
    /// A one-time code (6 to 10 digits), read digit by digit.
    #[arg(long)]
    code: Option<String>,
    /// A serial number (letters and digits; spaces and hyphens ignored), read slowly in
    /// groups, letters by name.
    #[arg(long)]
    serial: Option<String>,
    /// Free text, said last.
    #[arg(long)]
    text: Option<String>,
}

#[derive(Args)]
struct Say {
    #[command(flatten)]
    what: What,
    /// espeak (default) or pack:DIR for a voice pack (a broken pack falls back to espeak).
    #[arg(long, default_value = "espeak")]
    backend: String,
    /// espeak-ng voice to use instead of the language's (see `speech voices`).
    #[arg(long)]
    voice: Option<String>,
    /// espeak-ng words per minute at normal rate.
    #[arg(long)]
    wpm: Option<u32>,
    /// espeak-ng pitch, 0–100.
    #[arg(long)]
    pitch: Option<u8>,
    /// espeak-ng volume, 0–200.
    #[arg(long)]
    volume: Option<u8>,
    /// Write a WAV file.
    #[arg(
        long,
        value_name = "FILE.wav",
        conflicts_with = "play",
        required_unless_present = "play"
    )]
    out: Option<PathBuf>,
    /// Play on the sound card.
    #[arg(long)]
    play: bool,
    /// Output device name for --play (default device if absent).
    #[arg(long)]
    device: Option<String>,
}

/// Errors are one line (with their causes, never a backtrace, whatever `RUST_BACKTRACE`
/// says) and exit 2.
fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("speech: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Words(what) => {
            let script = render(&what)?;
            println!("{}", script.words_line());
        }
        Command::Say(say) => run_say(&say)?,
        Command::Voices => list_voices()?,
    }
    Ok(())
}

fn render(what: &What) -> Result<Script> {
    let catalogue = Catalogue::embedded().context("loading the prompt catalogue")?;
    let args: Vec<(String, String)> = what
        .args
        .iter()
        .map(|arg| {
            arg.split_once('=')
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .with_context(|| format!("--arg {arg:?} is not NAME=VALUE"))
        })
        .collect::<Result<_>>()?;
    let mut utterance = Utterance::default();
    for id in &what.prompts {
        utterance.parts.push(speech::Part::Prompt {
            id: id.clone(),
            args: args.clone(),
        });
    }
    // Checked here (not by clap) so that a mistake is one line naming the option.
    if let Some(code) = &what.code {
        let code = otp::Code::from_digits(code).with_context(|| format!("--code {code:?}"))?;
        utterance = utterance.then_code(code);
    }
    if let Some(serial) = &what.serial {
        let serial = otp::Serial::parse(serial).with_context(|| format!("--serial {serial:?}"))?;
        utterance = utterance.then_serial(&serial);
    }
    if let Some(text) = &what.text {
        utterance = utterance.then_text(text);
    }
    if utterance.parts.is_empty() {
        bail!("nothing to say: give --prompt, --code, --serial or --text");
    }
    let settings = Settings {
        lang: what.lang,
        grouping: what.grouping,
        rate: what.rate,
    };
    Ok(catalogue.render(&utterance, settings)?)
}

fn run_say(say: &Say) -> Result<()> {
    let script = render(&say.what)?;
    let mut voice = match say.backend.as_str() {
        "espeak" => Voice::espeak().context("starting espeak-ng")?,
        other => {
            let Some(dir) = other.strip_prefix("pack:") else {
                bail!("--backend {other:?}: expected espeak or pack:DIR");
            };
            let (voice, refused) =
                Voice::pack_or_espeak(dir.as_ref()).context("starting espeak-ng")?;
            if let Some(refused) = refused {
                eprintln!("{refused}\nspeaking with espeak-ng instead");
            }
            if let Voice::Pack { packs, .. } = &voice {
                for pack in packs.iter().filter(|pack| pack.lang != say.what.lang) {
                    eprintln!(
                        "the pack in {dir} is {}, not {}: speaking with espeak-ng instead",
                        pack.lang, say.what.lang
                    );
                }
            }
            voice
        }
    };
    if let Voice::Espeak(espeak)
    | Voice::Pack {
        fallback: Some(espeak),
        ..
    } = &mut voice
    {
        if let Some(name) = &say.voice {
            espeak.params.voice = Some(name.clone());
        }
        if let Some(wpm) = say.wpm {
            espeak.params.wpm = wpm;
        }
        if let Some(pitch) = say.pitch {
            espeak.params.pitch = pitch;
        }
        if let Some(volume) = say.volume {
            espeak.params.volume = volume;
        }
    }
    if let Some(path) = &say.out {
        let mut sink = WavSink::create(path, voice.sample_rate())?;
        voice.speak(&script, &mut sink)?;
        sink.finish()?;
    } else {
        let player =
            playback::Player::open(say.device.as_deref()).context("opening the sound device")?;
        let mut playing = player.start(voice.sample_rate())?;
        if std::io::stdin().is_terminal() {
            // Like a key press on the device: Enter cuts speech off at once.
            eprintln!("(press Enter to stop)");
            let stopper = playing.stopper();
            std::thread::spawn(move || {
                let mut line = String::new();
                if std::io::stdin().read_line(&mut line).is_ok() {
                    stopper.stop();
                }
            });
        }
        voice.speak(&script, &mut playing)?;
        playing.wait();
    }
    Ok(())
}

fn list_voices() -> Result<()> {
    let espeak = speech::Espeak::new()?;
    println!("espeak-ng voices (use with --voice NAME):");
    for voice in espeak.voices()? {
        println!(
            "  {:<14} {:<28} {}",
            voice.name,
            voice.description,
            voice.languages.join(", ")
        );
    }
    let catalogue = Catalogue::embedded()?;
    println!("prompts (da and en, use with --prompt ID):");
    for (id, info) in catalogue.messages() {
        let args = if info.args.is_empty() {
            String::new()
        } else {
            format!(" (--arg {})", info.args.join("=… --arg "))
        };
        println!("  {id:<24} {}{args}", info.file);
    }
    match playback::output_devices() {
        Ok(devices) if devices.is_empty() => println!("output devices: none"),
        Ok(devices) => println!("output devices: {}", devices.join(", ")),
        Err(error) => println!("output devices: {error}"),
    }
    Ok(())
}
