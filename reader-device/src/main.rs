//! `reader-device`: runs the audio code reader on its hardware — a Raspberry Pi (built
//! with `--features rpi`), any Linux board through the kernel's interfaces (`--features
//! linux`) or a text terminal — until SIGTERM, SIGINT or `quit`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use reader_device::config::{DeviceConfig, HardwareConfig};
use reader_device::hw::sim::{SimBattery, SimHeadphones};
use reader_device::hw::terminal::{StartedRtc, SystemRtc, TerminalKeypad, TextDisplay, WavAudio};
use reader_device::hw::Hardware;
use reader_device::runtime::{Captions, Runtime, SpeechSynth};
use reader_device::store::{FileSlots, StateStore};
use reader_device::{provision, Channel, Device, Event, Framebuffer};

#[derive(Debug, Parser)]
#[command(version, about = "The Kodeoplæser audio code reader")]
struct Args {
    /// The device config (TOML); see config/pi.toml and config/terminal.toml.
    #[arg(long)]
    config: PathBuf,
    /// Check the config, the provisioning file and the state, then exit.
    #[arg(long)]
    check: bool,
}

/// How often the core gets a tick and the sensors are read.
const TICK: Duration = Duration::from_millis(100);

/// Errors are one line (with their causes, never a backtrace, whatever `RUST_BACKTRACE`
/// says) and exit 2.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("reader-device: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let launched = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = DeviceConfig::load(&args.config)?;

    let pskc_key = match &config.pskc_key_file {
        Some(path) => {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading PSKC key file {}", path.display()))?,
            );
            Some(zeroize::Zeroizing::new(
                decode_hex(text.trim())
                    .with_context(|| format!("PSKC key file {}", path.display()))?,
            ))
        }
        None => None,
    };
    // Without a secret the device still runs: it shows and says that it is not activated.
    let provisioned = provision::load(
        &config.provisioning,
        &config.serial,
        pskc_key.as_deref().map(Vec::as_slice),
    )
    .map_err(|error| tracing::error!("{error}"))
    .ok();

    let slots = FileSlots::new(&config.state_dir)?;
    let (store, loaded) = StateStore::open(slots).context("opening the state store")?;
    if !loaded.corrupt.is_empty() {
        tracing::warn!(
            "state slot(s) {:?} in {} were torn or corrupt; using the newest good copy",
            loaded.corrupt,
            config.state_dir.display()
        );
    }
    let mut record = loaded
        .record
        .unwrap_or_else(|| reader_device::core::Record::fresh(&config.device));
    if record.hotp_next.is_none() {
        record.hotp_next = provisioned.as_ref().and_then(|p| p.hotp_start);
    }
    if args.check {
        println!(
            "config {} is valid; {}; state {}",
            args.config.display(),
            if provisioned.is_some() {
                "secret loaded"
            } else {
                "NOT provisioned"
            },
            if loaded.record.is_some() {
                "loaded"
            } else {
                "fresh"
            }
        );
        return if provisioned.is_some() {
            Ok(())
        } else {
            bail!("the device is not provisioned")
        };
    }

    let catalogue = speech::Catalogue::embedded().context("loading the prompt catalogue")?;
    let voice = speech::Voice::packs_or_espeak(&config.voice_packs)
        .map(|(voice, _refused)| voice)
        .map_err(|error| tracing::error!("no voice: {error}; the device will show codes silently"))
        .ok();

    let quit = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&quit))?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&quit))?;

    let max_volume = config.device.max_volume;
    let (hw, (width, height), captions) = hardware(&config.hardware, &quit)?;
    let mut synth = SpeechSynth::new(catalogue, voice, max_volume);
    if let Some(captions) = captions {
        synth = synth.with_captions(captions);
    }
    let device = Device::new(
        config.device.clone(),
        config.serial.clone(),
        provisioned.map(|p| p.token),
        record,
    );
    let framebuffer = Framebuffer::new(width, height)?;
    let mut runtime = Runtime::new(device, hw, synth, store, framebuffer);

    let start = Instant::now();
    let mono_ms = || start.elapsed().as_millis() as u64;
    let now = runtime.now(mono_ms());
    runtime.poll_sensors(now);
    runtime.dispatch(Event::PowerOn, now);
    // The benchmark (reader-device/qemu/bench.sh) reads this line.
    tracing::info!(
        "ready for the red key ({} ms after start)",
        launched.elapsed().as_millis()
    );
    let mut last_tick = Instant::now();
    while !quit.load(Ordering::SeqCst) {
        if let Some((key, edge)) = runtime.next_key(TICK) {
            let now = runtime.now(mono_ms());
            runtime.dispatch(Event::Key(key, edge), now);
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            let now = runtime.now(mono_ms());
            runtime.poll_sensors(now);
            runtime.dispatch(Event::Tick, now);
        }
    }
    let now = runtime.now(mono_ms());
    runtime.dispatch(Event::PowerOff, now);
    Ok(())
}

/// The configured hardware, the screen size, and captions for a text terminal.
fn hardware(
    config: &HardwareConfig,
    quit: &Arc<AtomicBool>,
) -> anyhow::Result<(Hardware, (u32, u32), Option<Captions>)> {
    match config {
        HardwareConfig::Terminal {
            width,
            height,
            wav_dir,
            draw_pixels,
            start,
        } => {
            let headphones = SimHeadphones::default();
            let battery = SimBattery::default();
            let hw = Hardware {
                keys: Box::new(TerminalKeypad::stdin(
                    headphones.clone(),
                    battery.clone(),
                    Arc::clone(quit),
                )),
                display: Box::new(TextDisplay::new(*draw_pixels)),
                audio: Box::new(WavAudio::new(wav_dir.as_deref())?),
                headphones: Box::new(headphones),
                battery: Box::new(battery),
                rtc: match start {
                    Some(start) => Box::new(StartedRtc::at_unix(*start)),
                    None => Box::new(SystemRtc),
                },
            };
            let captions: Captions = Box::new(|speech, words| {
                let channel = match speech.channel {
                    Channel::Headphones => "headphones",
                    Channel::Speaker => "speaker",
                };
                println!("say[{channel}]| {words}");
            });
            Ok((hw, (*width, *height), Some(captions)))
        }
        HardwareConfig::Pi(pi) => pi_hardware(pi),
        HardwareConfig::Linux(linux) => linux_hardware(linux),
    }
}

#[cfg(feature = "linux")]
fn linux_hardware(
    linux: &reader_device::config::LinuxConfig,
) -> anyhow::Result<(Hardware, (u32, u32), Option<Captions>)> {
    let hw = reader_device::hw::linux::open(linux).context("opening the Linux devices")?;
    Ok((hw, (linux.width, linux.height), None))
}

#[cfg(not(feature = "linux"))]
fn linux_hardware(
    _linux: &reader_device::config::LinuxConfig,
) -> anyhow::Result<(Hardware, (u32, u32), Option<Captions>)> {
    bail!("this build has no Linux device support: rebuild with `cargo build -p reader-device --features linux`")
}

#[cfg(feature = "rpi")]
fn pi_hardware(
    pi: &reader_device::config::PiConfig,
) -> anyhow::Result<(Hardware, (u32, u32), Option<Captions>)> {
    let hw = reader_device::hw::rpi::open(pi).context("opening the Raspberry Pi hardware")?;
    Ok((hw, pi.screen.size(), None))
}

#[cfg(not(feature = "rpi"))]
fn pi_hardware(
    _pi: &reader_device::config::PiConfig,
) -> anyhow::Result<(Hardware, (u32, u32), Option<Captions>)> {
    bail!("this build has no Raspberry Pi support: rebuild with `cargo build -p reader-device --features rpi`")
}

fn decode_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    if text.len() % 2 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the key must be hexadecimal with an even number of digits");
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).context("hex digit"))
        .collect()
}
