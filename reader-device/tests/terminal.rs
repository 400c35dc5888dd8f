//! End to end: the real `reader-device` binary in terminal mode, driven through stdin,
//! with espeak-ng speaking into WAV files (needs espeak-ng and espeak-ng-data).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use otp::{Secret, Totp};

const SECRET_URI: &str =
    "otpauth://totp/MitID:1234567890?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=MitID";

fn run(dir: &Path, input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reader-device"))
        .arg("--config")
        .arg(dir.join("device.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("reader-device starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("device.toml"),
        "serial = \"1234 5678 90\"\nprovisioning = \"secret.uri\"\nstate_dir = \"state\"\n\
         [hardware]\nkind = \"terminal\"\nwav_dir = \"wav\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("secret.uri"), SECRET_URI).unwrap();
    dir
}

/// Waits, if need be, until a new 30-second step has begun, so that a run of a few
/// seconds stays inside one step: a code shown during it does not expire before the test
/// asks for it again.
fn wait_for_a_fresh_step() {
    let into_step = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 30_000;
    if into_step > 25_000 {
        std::thread::sleep(Duration::from_millis((30_000 - into_step) as u64 + 100));
    }
}

/// The codes valid around now (the run may cross a step boundary).
fn codes_now() -> Vec<String> {
    let totp = Totp::mitid(&Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (0..3)
        .map(|back| {
            totp.code_at(now.saturating_sub(back * 5).max(1))
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn shows_and_speaks_the_code_through_headphones_only() {
    let dir = setup();
    wait_for_a_fresh_step();
    let out = run(
        dir.path(),
        "1\nwait 300\nheadphones on\nwait 300\n2\nwait 300\nquit\n",
    );
    let codes = codes_now();
    codes
        .iter()
        .find(|code| out.contains(&format!("screen| {} {}", &code[..3], &code[3..])))
        .unwrap_or_else(|| panic!("no current code on screen:\n{out}"));
    // Without headphones the speaker only offers; the code is not in any speaker line.
    assert!(
        out.contains("say[speaker]| Koden står på skærmen. Tilslut høretelefoner"),
        "{out}"
    );
    for line in out.lines().filter(|line| line.starts_with("say[speaker]")) {
        assert!(!line.contains("Din kode"), "code on the speaker: {line}");
    }
    assert!(
        out.contains("say[headphones]| Jeg gentager || Din kode er"),
        "{out}"
    );
    assert!(out.contains("screen| [høretelefoner]"), "{out}");
    // Speech landed in WAV files, one per utterance, named by channel.
    let wavs: Vec<_> = std::fs::read_dir(dir.path().join("wav"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        wavs.iter()
            .any(|name| name.to_string_lossy().ends_with("headphones.wav")),
        "{wavs:?}"
    );
    // The secret file was made private.
    let mode = std::fs::metadata(dir.path().join("secret.uri"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn settings_survive_a_restart_and_volume_resets() {
    let dir = setup();
    let out = run(
        dir.path(),
        "headphones on\nwait 200\nf+3\nwait 200\nf+9\nwait 300\nquit\n",
    );
    assert!(out.contains("Lydstyrke 5"), "{out}");
    assert!(out.contains("say[headphones]| English speech."), "{out}");
    let out = run(dir.path(), "headphones on\nwait 300\nquit\n");
    assert!(
        out.contains("say[speaker]| Ready. Press the red key for your code."),
        "language kept:\n{out}"
    );
    assert!(
        out.contains("volume 4"),
        "volume back to the safe default:\n{out}"
    );
}

#[test]
fn without_a_secret_it_says_it_is_not_activated() {
    let dir = setup();
    std::fs::remove_file(dir.path().join("secret.uri")).unwrap();
    let out = run(dir.path(), "1\nwait 200\nquit\n");
    assert!(out.contains("screen| Ikke aktiveret"), "{out}");
    assert!(
        out.contains("Kodeoplæseren er ikke aktiveret. Ring til support."),
        "{out}"
    );
}

#[test]
fn without_an_audio_device_the_code_is_still_shown_with_the_reason() {
    let dir = setup();
    std::fs::write(
        dir.path().join("device.toml"),
        "serial = \"1234567890\"\nprovisioning = \"secret.uri\"\nstate_dir = \"state\"\n[hardware]\nkind = \"terminal\"\n",
    )
    .unwrap();
    let out = run(dir.path(), "headphones on\nwait 200\n1\nwait 300\nquit\n");
    assert!(out.contains("[ingen lyd: lydenhed mangler]"), "{out}");
    assert!(
        codes_now().iter().any(|code| out.contains(&format!(
            "screen| {} {}",
            &code[..3],
            &code[3..]
        ))),
        "{out}"
    );
}
