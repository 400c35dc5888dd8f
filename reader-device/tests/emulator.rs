//! The device program on a real Linux kernel: the arm64 image from
//! `reader-device/qemu/build-image.sh` (scripts/test builds it first) booted under
//! `qemu-system-aarch64 -M virt` and driven through QMP. A red-key press through the virtio
//! keyboard must put the code for the emulated RTC's time on virtio-gpu's screen (compared
//! with this crate's own rendering of that screen, pixel for pixel) and speech into the
//! WAV file QEMU writes for the HDA card; an HOTP device killed mid-run must come back from
//! its disk without showing a code twice.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reader_device::config::DeviceConfig;
use reader_device::hw::sim::{SimAudio, SimBattery, SimDisplay, SimHeadphones, SimKeypad, SimRtc};
use reader_device::hw::Hardware;
use reader_device::runtime::{Runtime, SpeechSynth};
use reader_device::store::{MemorySlots, StateStore};
use reader_device::{provision, Device, Edge, Event, Framebuffer, Key, Record};

/// The RTC's time at boot: 2026-06-01T12:00:00Z, the start of a TOTP window.
const RTC_BASE: &str = "2026-06-01T12:00:00";
const RTC_BASE_UNIX: u64 = 1_780_315_200;
/// Boot to "ready" takes 5–30 s under TCG on a loaded machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(240);

fn qemu_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("qemu");
    assert!(
        dir.join("initrd.cpio.gz").exists() && dir.join("state.img").exists(),
        "the emulated device's image is missing in {}: run reader-device/qemu/build-image.sh \
         (scripts/test does)",
        dir.display()
    );
    dir
}

/// One boot of the emulated device; killed when dropped.
struct Qemu {
    child: Child,
    qmp: BufReader<UnixStream>,
    serial: PathBuf,
    wav: PathBuf,
    started: Instant,
}

impl Qemu {
    fn boot(dir: &Path, disk: &Path, append: &str) -> Qemu {
        let serial = dir.join(format!("serial-{}.log", disk_name(disk)));
        let wav = dir.join(format!("speech-{}.wav", disk_name(disk)));
        let socket = dir.join("qmp.sock");
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(&serial);
        let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("qemu/run.sh");
        let started = Instant::now();
        let child = Command::new(run)
            .arg("--exec")
            .args(["--disk".as_ref(), disk.as_os_str()])
            .args(["--serial".as_ref(), serial.as_os_str()])
            .args(["--wav".as_ref(), wav.as_os_str()])
            .args(["--qmp".as_ref(), socket.as_os_str()])
            .args(["--rtc", RTC_BASE, "--append", append])
            .stdin(Stdio::null())
            .spawn()
            .expect("starting qemu-system-aarch64 through reader-device/qemu/run.sh");
        let mut qemu = Qemu {
            child,
            qmp: connect(&socket),
            serial,
            wav,
            started,
        };
        let mut greeting = String::new();
        qemu.qmp.read_line(&mut greeting).unwrap();
        assert!(greeting.contains("\"QMP\""), "{greeting}");
        qemu.command(r#"{"execute":"qmp_capabilities"}"#);
        qemu
    }

    fn command(&mut self, json: &str) -> serde_json::Value {
        writeln!(self.qmp.get_mut(), "{json}").unwrap();
        loop {
            let mut line = String::new();
            assert!(self.qmp.read_line(&mut line).unwrap() > 0, "QMP closed");
            let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(error) = answer.get("error") {
                panic!("QMP {json}: {error}");
            }
            if let Some(result) = answer.get("return") {
                return result.clone();
            }
        }
    }

    /// The guest's console log (kernel and reader-device).
    fn log(&self) -> String {
        std::fs::read_to_string(&self.serial).unwrap_or_default()
    }

    /// Waits until the console log has `needle` `count` times.
    fn wait_for(&mut self, needle: &str, count: usize) {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        while self.log().matches(needle).count() < count {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("QEMU ended ({status}) before {needle:?}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} after {BOOT_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn press_red(&mut self) {
        self.command(
            r#"{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"kp_enter"}],"hold-time":100}}"#,
        );
    }

    /// The screen as QEMU shows it: light or dark pixels, from a PPM screendump.
    fn screen(&mut self, dir: &Path) -> (u32, u32, Vec<bool>) {
        std::thread::sleep(Duration::from_millis(300));
        let path = dir.join("screen.ppm");
        let json = serde_json::json!({"execute":"screendump","arguments":{"filename":path}});
        self.command(&json.to_string());
        let bytes = std::fs::read(&path).unwrap();
        let mut fields = bytes.splitn(4, |b| *b == b'\n');
        assert_eq!(fields.next(), Some(&b"P6"[..]));
        let size = std::str::from_utf8(fields.next().unwrap()).unwrap();
        let (width, height) = size.split_once(' ').unwrap();
        let (width, height): (u32, u32) = (width.parse().unwrap(), height.parse().unwrap());
        assert_eq!(fields.next(), Some(&b"255"[..]));
        let rgb = fields.next().unwrap();
        let light = rgb
            .chunks(3)
            .map(|px| u32::from(px[0]) + u32::from(px[1]) + u32::from(px[2]) > 384)
            .collect();
        (width, height, light)
    }

    /// The screen once it equals one of `expected` (polled: fbdev emulation sends written
    /// pages to the host after a delay, and a loaded machine runs the guest slowly), or
    /// the last screen after 20 s; with how many pixels it differs from the closest.
    fn screen_matching(
        &mut self,
        dir: &Path,
        expected: &[Framebuffer],
    ) -> ((u32, u32, Vec<bool>), usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let shown = self.screen(dir);
            let best = expected
                .iter()
                .map(|frame| differing(&shown, frame))
                .min()
                .unwrap_or(usize::MAX);
            if best == 0 || Instant::now() > deadline {
                return (shown, best);
            }
        }
    }

    /// Power cut: SIGKILL, as a pulled plug.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn disk_name(disk: &Path) -> String {
    disk.file_stem().unwrap().to_string_lossy().into_owned()
}

fn connect(socket: &Path) -> BufReader<UnixStream> {
    for _ in 0..600 {
        if let Ok(stream) = UnixStream::connect(socket) {
            return BufReader::new(stream);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no QMP socket at {}", socket.display());
}

/// The screen the device shows after one red-key press at `unix_ms`, rendered by this
/// crate: the same core, runtime and voice pack on simulated parts set as in the image
/// (headphones plugged, mains power), in the order `main` feeds them.
fn expected_screen(
    config_file: &str,
    record: impl FnOnce(&mut Record),
    unix_ms: u64,
) -> Framebuffer {
    let qemu = Path::new(env!("CARGO_MANIFEST_DIR")).join("qemu");
    let config = DeviceConfig::load(&qemu.join(config_file)).unwrap();
    let uri_file = config.provisioning.file_name().unwrap();
    let uri = std::fs::read_to_string(qemu.join(uri_file)).unwrap();
    let provisioned = provision::from_uri(&otp::KeyUri::parse(uri.trim()).unwrap()).unwrap();
    let mut fresh = Record::fresh(&config.device);
    fresh.hotp_next = provisioned.hotp_start;
    record(&mut fresh);
    let (display, headphones, battery) = (
        SimDisplay::default(),
        SimHeadphones::default(),
        SimBattery::default(),
    );
    headphones.set(true);
    battery.set(100);
    let rtc = SimRtc::new(unix_ms);
    let hw = Hardware {
        keys: Box::new(SimKeypad::default()),
        display: Box::new(display.clone()),
        audio: Box::new(SimAudio::default()),
        headphones: Box::new(headphones),
        battery: Box::new(battery),
        rtc: Box::new(rtc),
    };
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice-packs/da");
    let voice = speech::Voice::pack(&pack).unwrap();
    let synth = SpeechSynth::new(
        speech::Catalogue::embedded().unwrap(),
        Some(voice),
        config.device.max_volume,
    );
    let (store, _) = StateStore::open(MemorySlots::default()).unwrap();
    let device = Device::new(
        config.device.clone(),
        config.serial.clone(),
        Some(provisioned.token),
        fresh,
    );
    let (width, height) = match &config.hardware {
        reader_device::config::HardwareConfig::Linux(linux) => (linux.width, linux.height),
        other => panic!("{other:?}"),
    };
    let mut runtime = Runtime::new(
        device,
        hw,
        synth,
        store,
        Framebuffer::new(width, height).unwrap(),
    );
    let now = runtime.now(0);
    runtime.poll_sensors(now);
    runtime.dispatch(Event::PowerOn, now);
    let now = runtime.now(5_000);
    runtime.dispatch(Event::Key(Key::Function, Edge::Down), now);
    let now = runtime.now(5_100);
    runtime.dispatch(Event::Key(Key::Function, Edge::Up), now);
    display.frame().expect("a screen was drawn")
}

/// How many pixels differ (the sizes must match).
fn differing(shown: &(u32, u32, Vec<bool>), expected: &Framebuffer) -> usize {
    assert_eq!(
        (shown.0, shown.1),
        (expected.width(), expected.height()),
        "screen size"
    );
    shown
        .2
        .iter()
        .zip(expected.pixels())
        .filter(|(a, b)| a != b)
        .count()
}

/// Seconds of sound (20 ms frames above -60 dBFS; silence from QEMU is digital zero) in QEMU's WAV file. QEMU fixes the
/// header's sizes only on a clean exit, so the data are read from byte 44 on.
fn audible_seconds(wav: &Path) -> f64 {
    let bytes = std::fs::read(wav).unwrap();
    assert!(
        bytes.len() > 44 && &bytes[..4] == b"RIFF",
        "{} is no WAV",
        wav.display()
    );
    let channels = usize::from(u16::from_le_bytes([bytes[22], bytes[23]]));
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]) as usize;
    assert_eq!(
        u16::from_le_bytes([bytes[34], bytes[35]]),
        16,
        "16-bit samples"
    );
    let samples: Vec<i16> = bytes[44..]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let frame = rate / 50 * channels;
    let loud = samples
        .chunks(frame)
        .filter(|chunk| {
            let power =
                chunk.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / chunk.len() as f64;
            power.sqrt() > 32768.0 * 0.001
        })
        .count();
    loud as f64 / 50.0
}

fn fresh_disk(dir: &Path, name: &str) -> PathBuf {
    let disk = dir.join(format!("{name}.img"));
    std::fs::copy(qemu_dir().join("state.img"), &disk).unwrap();
    disk
}

#[test]
fn the_red_key_shows_and_says_the_code_for_the_rtc_time() {
    let dir = tempfile::tempdir().unwrap();
    let disk = fresh_disk(dir.path(), "totp");
    let mut qemu = Qemu::boot(dir.path(), &disk, "");
    qemu.wait_for("ready for the red key", 1);
    let waited = qemu.started.elapsed().as_secs();
    qemu.press_red();
    qemu.wait_for("first audio sample", 1);
    // The guest's RTC started at RTC_BASE when QEMU did; the press fell in one of these
    // 30-second windows.
    let windows = (RTC_BASE_UNIX / 30)..=((RTC_BASE_UNIX + waited + 10) / 30);
    let expected: Vec<Framebuffer> = windows
        .clone()
        .map(|window| expected_screen("device.toml", |_| {}, window * 30_000 + 15_000))
        .collect();
    let (shown, best) = qemu.screen_matching(dir.path(), &expected);
    assert_eq!(
        best,
        0,
        "the screen matches no code of windows {windows:?}; log:\n{}",
        qemu.log()
    );
    // A different code must not match: the comparison can fail.
    let wrong = expected_screen("device.toml", |_| {}, (windows.end() + 5) * 30_000);
    assert!(differing(&shown, &wrong) > 100);

    // "Din kode er … fire ni seks … en nul fem": seconds of speech, not a click or a loop.
    // QEMU writes the card's output as the guest plays it, in real time: wait for it to
    // grow past 2 s of sound and then to stop growing (at most 60 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = -1.0;
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let seconds = audible_seconds(&qemu.wav);
        if (seconds >= 2.0 && seconds == last) || Instant::now() > deadline {
            break;
        }
        last = seconds;
    }
    qemu.command(r#"{"execute":"quit"}"#);
    let _ = qemu.child.wait();
    let seconds = audible_seconds(&qemu.wav);
    assert!(
        (2.0..20.0).contains(&seconds),
        "{seconds:.2} s of sound in {}",
        qemu.wav.display()
    );
}

#[test]
fn after_a_power_cut_an_hotp_device_never_shows_a_code_twice() {
    let dir = tempfile::tempdir().unwrap();
    let disk = fresh_disk(dir.path(), "hotp");
    let mut qemu = Qemu::boot(dir.path(), &disk, "kode=hotp");
    qemu.wait_for("ready for the red key", 1);
    qemu.press_red();
    // The counter is saved before the code is shown, and the code before it is said.
    qemu.wait_for("first audio sample", 1);
    let counter_0 = expected_screen("device-hotp.toml", |_| {}, RTC_BASE_UNIX * 1000);
    let counter_1 = expected_screen(
        "device-hotp.toml",
        |r| r.hotp_next = Some(1),
        RTC_BASE_UNIX * 1000,
    );
    let (_, best) = qemu.screen_matching(dir.path(), std::slice::from_ref(&counter_0));
    assert_eq!(best, 0, "755 224 is not shown");
    qemu.kill();

    let mut qemu = Qemu::boot(dir.path(), &disk, "kode=hotp");
    qemu.wait_for("ready for the red key", 1);
    let log = qemu.log();
    assert!(!log.contains("torn or corrupt"), "{log}");
    qemu.press_red();
    qemu.wait_for("first audio sample", 1);
    let (second, _) = qemu.screen_matching(dir.path(), &[counter_0.clone(), counter_1.clone()]);
    assert!(
        differing(&second, &counter_0) > 100,
        "755 224 was shown again"
    );
    assert_eq!(
        differing(&second, &counter_1),
        0,
        "after the power cut the device does not show 287 082; log:\n{}",
        qemu.log()
    );
}
