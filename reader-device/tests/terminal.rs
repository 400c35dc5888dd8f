//! End to end: the real `reader-device` binary in terminal mode, driven through stdin,
//! with espeak-ng speaking into WAV files (needs espeak-ng and espeak-ng-data).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

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

/// Where the device's clock starts: 10 s into a 30-second step, so that the few seconds
/// a run takes stay inside it.
const START: u64 = 1_800_000_010;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("device.toml"),
        format!(
            "serial = \"1234 5678 90\"\nprovisioning = \"secret.uri\"\nstate_dir = \"state\"\n\
             [hardware]\nkind = \"terminal\"\nwav_dir = \"wav\"\nstart = {START}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("secret.uri"), SECRET_URI).unwrap();
    dir
}

/// The code of the step the device's clock starts in, as the screen shows it.
fn code_on_screen() -> String {
    let totp = Totp::mitid(&Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap());
    let code = totp.code_at(START).unwrap().to_string();
    format!("screen| {} {}", &code[..3], &code[3..])
}

#[test]
fn shows_and_speaks_the_code_through_headphones_only() {
    let dir = setup();
    let out = run(
        dir.path(),
        "1\nwait 300\nheadphones on\nwait 300\n2\nwait 300\nquit\n",
    );
    assert!(
        out.contains(&code_on_screen()),
        "no current code on screen:\n{out}"
    );
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
        format!(
            "serial = \"1234567890\"\nprovisioning = \"secret.uri\"\nstate_dir = \"state\"\n\
             [hardware]\nkind = \"terminal\"\nstart = {START}\n"
        ),
    )
    .unwrap();
    let out = run(dir.path(), "headphones on\nwait 200\n1\nwait 300\nquit\n");
    assert!(out.contains("[ingen lyd: lydenhed mangler]"), "{out}");
    assert!(out.contains(&code_on_screen()), "{out}");
}
