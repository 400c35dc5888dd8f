//! The `phone-support` binary end to end: flow checks, hours, holidays, witness and
//! document checks, and a voice-menu call from a DTMF recording.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::run_with_input;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phone-support"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn check_passes_every_shipped_flow_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    let args: Vec<&str> = std::iter::once("check")
        .chain(files.iter().map(String::as_str))
        .collect();
    let output = run(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout(&output)
            .lines()
            .filter(|l| l.starts_with("ok "))
            .count(),
        5
    );
}

#[test]
fn check_names_file_line_and_step_of_each_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        "id = \"b\"\nmenu_key = \"1\"\ntitle = { da = \"B\", en = \"B\" }\n\n[[step]]\nid = \"a\"\nsay = { da = \"x\" }\n[[step.choice]]\nkey = \"1\"\nlabel = { da = \"y\", en = \"y\" }\nnext = \"nowhere\"\n",
    )
    .unwrap();
    let output = run(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let name = file.display();
    assert!(
        stderr.contains(&format!(
            "{name}:7: step \"a\": say has no translation in en"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{name}:11: step \"a\": choice leads to \"nowhere\""
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
}

#[test]
fn hours_first_line_is_open_or_closed() {
    for (at, first) in [
        ("2026-11-25 07:59", "closed"),
        ("2026-11-25 08:00", "open"),
        ("2026-11-25 20:00", "closed"),
        ("2026-12-26 10:00", "open"),
        ("2026-12-26 16:00", "closed"),
    ] {
        let output = run(&["hours", "--at", at]);
        assert!(output.status.success());
        let text = stdout(&output);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .starts_with(&format!("{first} ")),
            "{at}: {text}"
        );
    }
    let text = stdout(&run(&["hours", "--at", "2026-12-31 20:00"]));
    assert_eq!(text.lines().nth(1), Some("opens Friday 2027-01-01 10:00"));
    let bad = run(&["hours", "--at", "tomorrow"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--at \"tomorrow\" must be"));
}

#[test]
fn holidays_one_a_line() {
    let text = stdout(&run(&["holidays", "2024"]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], "2024-01-01 Nytårsdag");
    assert_eq!(lines[3], "2024-03-31 Påskedag");
    assert_eq!(lines[9], "2024-12-26 2. juledag");
    assert!(stdout(&run(&["holidays", "2023"])).contains("2023-05-05 Store bededag"));
    assert_eq!(run(&["holidays", "1500"]).status.code(), Some(2));
}

#[test]
fn witness_check_prints_verdict_then_every_reason() {
    let output = run(&[
        "witness-check",
        "--cpr",
        "010180-1234",
        "--mitid-since",
        "2026-01-01",
        "--witnessed",
        "2026-01-05,2026-02-01",
        "--on",
        "2026-02-01",
    ]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "eligible");
    assert_eq!(lines.len(), 5, "{text}");
    let output = run(&[
        "witness-check",
        "--cpr",
        "010180-1234",
        "--mitid-since",
        "2026-01-02",
        "--on",
        "2026-02-01",
    ]);
    assert!(stdout(&output).starts_with("not eligible\n"));
    let bad = run(&[
        "witness-check",
        "--cpr",
        "300280-1234",
        "--mitid-since",
        "2026-01-02",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a real date"));
}

#[test]
fn documents_check() {
    let text = stdout(&run(&[
        "documents-check",
        "--have",
        "passport",
        "--on",
        "2026-11-25",
    ]));
    assert!(text.starts_with("enough: a passport"));
    let bad = run(&["documents-check", "--have", "library-card"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn ivr_from_a_dtmf_recording_walks_setup_and_writes_speech() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.wav");
    let speech = dir.path().join("speech.wav");
    assert!(
        run(&["dtmf", "1111111111", "--out", keys.to_str().unwrap()])
            .status
            .success()
    );
    let output = run(&[
        "ivr",
        "--dtmf-wav",
        keys.to_str().unwrap(),
        "--wav-out",
        speech.to_str().unwrap(),
        "--at",
        "2026-11-25 12:00",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout(&output);
    assert!(
        text.contains("path: menu > setup-reader/unpack > "),
        "{text}"
    );
    assert!(
        text.contains("setup-reader/test-login > setup-reader/done\nending: Resolved"),
        "{text}"
    );
    let wav = hound::WavReader::open(&speech).unwrap();
    let seconds = wav.duration() as f64 / f64::from(wav.spec().sample_rate);
    assert!(
        seconds > 30.0,
        "the walk through setup is spoken: {seconds} s"
    );
}

#[test]
fn ivr_on_the_keyboard_in_text_mode() {
    // English, the power-of-attorney flow, a key that is not a key, then 1 1.
    let output = run_with_input(
        &["ivr", "--text-only", "--at", "2026-11-28 21:00"],
        &[],
        "9\n5 x 1\n1\n",
    );
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("[en] MitID is personal. Nobody may use someone else's MitID"),
        "{text}"
    );
    assert!(text.contains("path: menu > someone-else/personal > someone-else/power-of-attorney > someone-else/goodbye"), "{text}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("'x' is not a key"));
}
