//! Key-down to first audio sample: the time from a digit's key-down event entering the
//! runtime until the first sample of "Din kode er …" / "Your code is …" reaches the audio
//! sink, over 1 000 presses, for each shipped voice: the Danish pack (`voice-packs/da`),
//! the English default (`voice-packs/en-joe`, Piper-built) and espeak-ng in both
//! languages. Also the peak RSS of the running `reader-device` program with speech loaded.
//!
//! Run: `cargo bench -p reader-device --bench latency` (`KODEOPLAESER_PACK=<dir>` adds
//! another pack, measured in its own language). Figures are printed as milliseconds
//! and as ratios against a baseline measured in the same run: the core alone deciding
//! what to do with the same press. "Press handled" is until the runtime is ready for the
//! next key: the whole utterance synthesised and queued, and the screen drawn.

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use otp::{Secret, Totp};
use reader_device::hw::sim::{SimBattery, SimDisplay, SimHeadphones, SimKeypad, SimRtc};
use reader_device::hw::{AudioOut, Hardware, HwError};
use reader_device::runtime::{Runtime, SpeechSynth};
use reader_device::store::{MemorySlots, StateStore};
use reader_device::{Channel, Config, Device, Edge, Event, Framebuffer, Key, Now, Record, Token};

const PRESSES: usize = 1_000;

/// When the first sample, and the first audible (non-zero) sample, of an utterance arrived.
#[derive(Default)]
struct Arrivals {
    first: Cell<Option<Instant>>,
    audible: Cell<Option<Instant>>,
}

/// An audio sink that notes when samples arrive.
struct FirstSample(Rc<Arrivals>);

impl AudioOut for FirstSample {
    fn begin(&mut self, _channel: Channel, _sample_rate: u32) -> Result<(), HwError> {
        Ok(())
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        let now = Instant::now();
        if !samples.is_empty() && self.0.first.get().is_none() {
            self.0.first.set(Some(now));
        }
        if samples.iter().any(|sample| *sample != 0) && self.0.audible.get().is_none() {
            self.0.audible.set(Some(now));
        }
        Ok(())
    }

    fn stop(&mut self) -> Result<(), HwError> {
        Ok(())
    }
}

fn device(lang: speech::Lang) -> Device {
    let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let mut record = Record::default();
    record.settings.lang = lang;
    Device::new(
        Config::default(),
        otp::Serial::parse("KP2026000001").unwrap(),
        Some(Token::Totp(Totp::mitid(&secret))),
        record,
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Key-down → first sample and → first audible sample for each press, making a fresh
/// code every time.
fn measure(
    voice: speech::Voice,
    lang: speech::Lang,
) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let first = Rc::new(Arrivals::default());
    let headphones = SimHeadphones::default();
    headphones.set(true);
    let rtc = SimRtc::new(1_750_000_000_000);
    let hw = Hardware {
        keys: Box::new(SimKeypad::default()),
        display: Box::new(SimDisplay::default()),
        audio: Box::new(FirstSample(Rc::clone(&first))),
        headphones: Box::new(headphones),
        battery: Box::new(SimBattery::default()),
        rtc: Box::new(rtc.clone()),
    };
    let synth = SpeechSynth::new(speech::Catalogue::embedded().unwrap(), Some(voice), 10);
    let (store, _) = StateStore::open(MemorySlots::default()).unwrap();
    let mut runtime = Runtime::new(
        device(lang),
        hw,
        synth,
        store,
        Framebuffer::new(240, 240).unwrap(),
    );
    let mut mono = 0;
    let mut latencies = Vec::with_capacity(PRESSES);
    let mut audible = Vec::with_capacity(PRESSES);
    let mut handled = Vec::with_capacity(PRESSES);
    let advance = |mono: &mut u64, ms: u64| {
        *mono += ms;
        rtc.advance(ms);
    };
    let now = runtime.now(mono);
    runtime.dispatch(Event::Headphones(true), now);
    for _ in 0..PRESSES {
        // The red key while off: switch on, show and say the code, in one press.
        let key = Key::Function;
        first.first.set(None);
        first.audible.set(None);
        advance(&mut mono, 500);
        let now = runtime.now(mono);
        let start = Instant::now();
        runtime.dispatch(Event::Key(key, Edge::Down), now);
        handled.push(start.elapsed());
        latencies.push(first.first.get().expect("the press was spoken") - start);
        audible.push(first.audible.get().expect("the press was audible") - start);
        advance(&mut mono, 100);
        let now = runtime.now(mono);
        runtime.dispatch(Event::Key(key, Edge::Up), now);
        // Off again (as the automatic switch-off does), a step later: a new code next time.
        advance(&mut mono, 31_000);
        let now = runtime.now(mono);
        runtime.dispatch(Event::PowerOff, now);
    }
    latencies.sort();
    audible.sort();
    handled.sort();
    (latencies, audible, handled)
}

/// The core alone: the same press, without drawing or speaking.
fn baseline() -> Vec<Duration> {
    let mut device = device(speech::Lang::Da);
    let mut now = Now {
        mono_ms: 0,
        unix_ms: 1_750_000_000_000,
    };
    device.handle(Event::Headphones(true), now);
    let mut latencies = Vec::with_capacity(PRESSES);
    for _ in 0..PRESSES {
        let key = Key::Function;
        now.mono_ms += 500;
        now.unix_ms += 500;
        let start = Instant::now();
        let effects = device.handle(Event::Key(key, Edge::Down), now);
        latencies.push(start.elapsed());
        assert!(!effects.is_empty());
        now.mono_ms += 31_100;
        now.unix_ms += 31_100;
        device.handle(Event::Key(key, Edge::Up), now);
        device.handle(Event::PowerOff, now);
    }
    latencies.sort();
    latencies
}

fn report(name: &str, latencies: &[Duration], base: &[Duration]) {
    let (p50, p99) = (percentile(latencies, 0.50), percentile(latencies, 0.99));
    let (b50, b99) = (percentile(base, 0.50), percentile(base, 0.99));
    println!(
        "{name:<32} p50 {:>9.1} µs  p99 {:>9.1} µs  max {:>9.1} µs  (p50 {:.0}x, p99 {:.0}x the core alone){}",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        latencies[latencies.len() - 1].as_secs_f64() * 1e6,
        p50.as_secs_f64() / b50.as_secs_f64().max(1e-9),
        p99.as_secs_f64() / b99.as_secs_f64().max(1e-9),
        if p99 <= Duration::from_millis(20) { "  [target p99 <= 20 ms: met]" } else { "  [target p99 <= 20 ms: MISSED]" }
    );
}

/// Peak resident memory (VmHWM) of the device program after it has spoken a few codes.
fn peak_rss(packs: &[&Path]) -> Option<u64> {
    let dir = tempfile::tempdir().ok()?;
    let mut config = String::from(
        "serial = \"1234567890\"\nprovisioning = \"secret.uri\"\nstate_dir = \"state\"\n",
    );
    let packs: Vec<String> = packs.iter().map(|p| p.display().to_string()).collect();
    config.push_str(&format!("voice_packs = {packs:?}\n"));
    config.push_str("[hardware]\nkind = \"terminal\"\nwav_dir = \"wav\"\n");
    std::fs::write(dir.path().join("device.toml"), config).ok()?;
    std::fs::write(
        dir.path().join("secret.uri"),
        "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    )
    .ok()?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_reader-device"))
        .arg("--config")
        .arg(dir.path().join("device.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    stdin
        .write_all(b"headphones on\n1\nwait 300\n2\nwait 300\nf\n3\nwait 300\nf\nf\n3\nwait 500\n")
        .ok()?;
    std::thread::sleep(Duration::from_millis(3_000));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let _ = stdin.write_all(b"quit\n");
    drop(stdin);
    let _ = child.wait();
    status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

fn main() {
    let packs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice-packs");
    let mut pack_dirs = vec![packs.join("da"), packs.join("en-joe")];
    pack_dirs.extend(std::env::var_os("KODEOPLAESER_PACK").map(PathBuf::from));
    let base = baseline();
    report("core alone (baseline)", &base, &base);
    for dir in &pack_dirs {
        let name = format!(
            "pack {}",
            dir.file_name().unwrap_or_default().to_string_lossy()
        );
        match speech::Voice::pack(dir) {
            Ok(voice) => {
                let lang = match &voice {
                    speech::Voice::Pack { packs, .. } => packs[0].lang,
                    speech::Voice::Espeak(_) => unreachable!("Voice::pack gives a pack"),
                };
                let (first, audible, handled) = measure(voice, lang);
                report(&format!("{name}: first sample"), &first, &base);
                report(&format!("{name}: first audible"), &audible, &base);
                report(&format!("{name}: press handled"), &handled, &base);
            }
            Err(error) => println!("{name}: {error}"),
        }
    }
    for lang in [speech::Lang::Da, speech::Lang::En] {
        match speech::Voice::espeak() {
            Ok(voice) => {
                let (first, audible, handled) = measure(voice, lang);
                report(&format!("espeak-ng {lang}: first sample"), &first, &base);
                report(&format!("espeak-ng {lang}: first audible"), &audible, &base);
                report(&format!("espeak-ng {lang}: press handled"), &handled, &base);
            }
            Err(error) => println!("espeak-ng: {error}"),
        }
    }
    // The shipped Pi config's packs (Danish and English) against espeak-ng alone.
    let shipped: Vec<&Path> = pack_dirs[..2].iter().map(PathBuf::as_path).collect();
    for (name, packs) in [("espeak-ng", &[][..]), ("packs da + en-joe", &shipped[..])] {
        match peak_rss(packs) {
            Some(kb) => println!(
                "peak RSS of reader-device with {name:<17}: {:.1} MB{}",
                kb as f64 / 1024.0,
                if kb <= 20 * 1024 {
                    "  [target <= 20 MB: met]"
                } else {
                    "  [target <= 20 MB: MISSED]"
                }
            ),
            None => println!("peak RSS of reader-device with {name}: could not be measured"),
        }
    }
}
