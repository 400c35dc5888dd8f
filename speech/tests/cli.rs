//! End-to-end: the `speech` binary as a user runs it.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn speech(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_speech"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Never hang: a stuck sound device must not block the caller.
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "speech {args:?} hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn words_prints_the_groups_on_one_line() {
    let out = speech(&["words", "--lang", "da", "--code", "482079"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "fire otte to | nul syv ni\n");
    let out = speech(&[
        "words",
        "--lang",
        "en",
        "--code",
        "482079",
        "--grouping",
        "2",
    ]);
    assert_eq!(stdout(&out), "four eight | two zero | seven nine\n");
    let out = speech(&[
        "words",
        "--lang",
        "da",
        "--prompt",
        "your-code-is",
        "--code",
        "4820791",
    ]);
    assert_eq!(
        stdout(&out),
        "Din kode er || fire otte to | nul syv | ni en\n"
    );
}

#[test]
fn bad_input_is_named_and_fails() {
    let out = speech(&["words", "--code", "48a079"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--code \"48a079\": code has a non-digit at position 3"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let out = speech(&["words", "--serial", "KP20,26"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("serial number has ',' at position 5"),
        "{}",
        stderr(&out)
    );
    let out = speech(&["words", "--lang", "en", "--serial", "KP2026000001"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "kay pee two zero | two six zero zero | zero zero zero one"
    );
    let out = speech(&["words", "--lang", "de", "--code", "123456"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown language \"de\""),
        "{}",
        stderr(&out)
    );
    let out = speech(&["say", "--prompt", "no-such-prompt", "--out", "/dev/null"]);
    assert!(
        stderr(&out).contains("no prompt \"no-such-prompt\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn say_writes_a_wav_through_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let packs = concat!(env!("CARGO_MANIFEST_DIR"), "/../voice-packs");
    for lang in ["da", "en"] {
        for backend in ["espeak".to_owned(), format!("pack:{packs}/{lang}")] {
            let path = dir.path().join(format!("{lang}.wav"));
            let out = speech(&[
                "say",
                "--lang",
                lang,
                "--prompt",
                "your-code-is",
                "--code",
                "482079",
                "--rate",
                "slow",
                "--backend",
                &backend,
                "--out",
                path.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "{backend}: {}", stderr(&out));
            assert!(stderr(&out).is_empty(), "{backend}: {}", stderr(&out));
            let pcm = speech::Pcm::read_wav(&path).unwrap();
            assert_eq!(pcm.sample_rate, 22050);
            assert!(
                (3.0..12.0).contains(&pcm.duration_secs()),
                "{backend} {lang}: {} s",
                pcm.duration_secs()
            );
        }
    }
}

#[test]
fn a_broken_pack_is_reported_and_espeak_speaks_instead() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    let out = speech(&[
        "say",
        "--code",
        "111111",
        "--backend",
        &format!("pack:{}", dir.path().display()),
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("cannot read pack.toml"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("speaking with espeak-ng instead"));
    assert!(speech::Pcm::read_wav(&path).unwrap().duration_secs() > 0.1);
}

#[test]
fn play_without_a_sound_card_is_a_clear_error() {
    let out = speech(&["say", "--code", "111111", "--play"]);
    if !out.status.success() {
        let err = stderr(&out);
        assert!(err.contains("opening the sound device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn voices_lists_espeak_voices_and_prompts() {
    let out = speech(&["voices"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("da ")),
        "{text}"
    );
    assert!(text.contains("your-code-is"));
}
