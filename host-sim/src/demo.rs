//! The demo, the README's first command: a service on SQLite in a temporary folder, one
//! device imported and activated for a demo user, the device simulator and the login host.
//! Headless it runs start to end and prints one line per step; otherwise it opens the
//! terminal simulator with the login host beside the device.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use reader_device::keys::Key;

use crate::audio::AudioMode;
use crate::host::{Checker, Verdict};
use crate::setup::{demo_world, device_from_uri, DemoWorld};
use crate::sim::{Entry, Simulator};
use crate::tui;

/// The device was activated this long before the demo's "now", so the code used for
/// activation has expired and the login uses a fresh one (a code is accepted only once).
const ACTIVATED_AGO: Duration = Duration::from_secs(35);

/// Prints the device's log entries made since `from` as `device:` lines.
fn print_device(sim: &Simulator, from: usize) -> usize {
    sim.with_log(|log| {
        print_entries(&log[from..]);
        log.len()
    })
}

fn print_entries(entries: &[Entry]) {
    for entry in entries {
        match entry {
            Entry::Screen { screen, .. } if !screen.is_empty() => {
                println!(
                    "device: screen shows {:?}",
                    screen.lines().next().unwrap_or_default()
                )
            }
            Entry::Say {
                say, channel, wav, ..
            } => println!(
                "device: says through the {channel}: {say}{}",
                wav.as_deref()
                    .map(|w| format!(" (audio: {w})"))
                    .unwrap_or_default()
            ),
            Entry::Silent { silent, .. } => println!("device: silent: {silent}"),
            Entry::Power { power, .. } => println!("device: power {power}"),
            Entry::Screen { .. } => {}
        }
    }
}

/// One press of the red key: it switches the device on (when off) and shows and says the
/// code, as MitID's does; returns the digits it spoke.
fn get_code(sim: &mut Simulator, seen: &mut usize) -> Result<String> {
    if sim.screen_text().is_empty() {
        println!("device: red key pressed (switch on, show and say the code)");
    } else {
        println!("device: red key pressed (say the code)");
    }
    sim.press(Key::Function);
    *seen = print_device(sim, *seen);
    sim.last_heard_code()
        .context("the device did not speak a code")
}

/// Builds the world and activates the device, as support and the citizen would have done
/// half a minute before "now". Returns the world and the device, switched off, at `now_ms`.
async fn prepare(
    audio: Option<AudioMode>,
    headless: bool,
    now_ms: u64,
) -> Result<(DemoWorld, Simulator)> {
    let then_ms = now_ms - ACTIVATED_AGO.as_millis() as u64;
    let world = demo_world(then_ms).await?;
    // Headless, speech goes to WAV files in the demo folder unless told otherwise.
    let audio = audio.unwrap_or_else(|| {
        if headless {
            AudioMode::Wav(world.dir.path().join("speech"))
        } else {
            AudioMode::Speakers
        }
    });
    println!("demo: working folder {}", world.dir.path().display());
    println!(
        "service: SQLite database {}",
        world.dir.path().join("kode.db").display()
    );
    println!(
        "service: imported device {} (TOTP, SHA-1, 6 digits, 30 s)",
        world.serial
    );
    println!(
        "service: activation code {} issued on paper for user {} (valid 48 h)",
        world.activation_code, world.user
    );
    let mut sim = Simulator::new(device_from_uri(&world.uri, &world.serial)?, then_ms, &audio)?;
    let mut seen = print_device(&sim, 0);
    let code = get_code(&mut sim, &mut seen)?;
    world.clock.set_ms(sim.unix_ms() as i64);
    world
        .service
        .activate(
            world.serial.as_str(),
            &world.user,
            &world.activation_code,
            &code,
        )
        .await
        .context("activating the demo device with the code it spoke")?;
    println!(
        "service: device {} activated for user {} with the code it spoke",
        world.serial, world.user
    );
    let off = sim.with_log(<[Entry]>::len);
    sim.hold(Key::Function, Duration::from_millis(2_500));
    print_device(&sim, off);
    sim.wait(Duration::from_millis(now_ms.saturating_sub(sim.unix_ms())));
    Ok((world, sim))
}

/// Runs the demo. Exit 0 only when the host accepted the code.
pub async fn run(audio: Option<AudioMode>, headless: bool, now_ms: u64) -> Result<ExitCode> {
    let (world, mut sim) = prepare(audio, headless, now_ms).await?;
    let checker = Checker::Embedded(world.service.clone());
    if !headless {
        let host = tui::HostPanel {
            checker,
            user: world.user.clone(),
            clock: world.clock.clone(),
        };
        tui::run(sim, Some(host)).await?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "demo: {} s later, the citizen logs in",
        ACTIVATED_AGO.as_secs()
    );
    let mut seen = sim.with_log(<[Entry]>::len);
    let heard = get_code(&mut sim, &mut seen)?;
    println!(
        "host: user {} types the code they heard: {heard}",
        world.user
    );
    world.clock.set_ms(sim.unix_ms() as i64);
    let verdict = checker.check(&world.user, &heard).await?;
    let kept = world.dir.keep();
    println!("demo: files kept in {} (remove with rm -r)", kept.display());
    println!("host: {verdict} (user {})", world.user);
    Ok(if verdict == Verdict::Accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
