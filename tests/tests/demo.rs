//! The README's first command ends in `host-sim demo`: run it headless, start to end, and
//! check that the spoken code was accepted and that the speech really is audio.

use std::path::PathBuf;
use std::process::Command;

use tests::{binary, run, stderr, stdout};

#[test]
fn headless_demo_speaks_a_code_that_the_host_accepts() {
    let output = run(Command::new(binary("host-sim", "host-sim")).args(["demo", "--headless"]));
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "demo failed:\n{text}\n{}",
        stderr(&output)
    );

    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("host: accepted"),
        "last line: {last:?}\n{text}"
    );

    // The code typed into the host is the one the device spoke, read back from its words.
    let spoken = text
        .lines()
        .rfind(|line| line.contains("says through the headphones: Din kode er"))
        .expect("the device spoke a code");
    let typed = text
        .lines()
        .find_map(|line| line.strip_prefix("host: user demo types the code they heard: "))
        .expect("the host was given a code");
    let digits = [
        "nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni",
    ];
    let heard: String = spoken
        .split_whitespace()
        .filter_map(|word| digits.iter().position(|d| *d == word))
        .map(|d| char::from(b'0' + d as u8))
        .collect();
    assert_eq!(heard, typed);

    // Every utterance is a WAV file with sound in it.
    let folder: PathBuf = text
        .lines()
        .find_map(|line| line.strip_prefix("demo: files kept in "))
        .and_then(|rest| rest.split(" (").next())
        .expect("the demo names its folder")
        .into();
    let mut wavs: Vec<PathBuf> = std::fs::read_dir(folder.join("speech"))
        .expect("the speech folder")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    wavs.sort();
    assert!(wavs.len() >= 4, "{wavs:?}");
    for wav in &wavs {
        let mut reader = hound::WavReader::open(wav).expect("a readable WAV file");
        assert_eq!(reader.spec().channels, 1);
        let peak = reader
            .samples::<i16>()
            .map(|s| s.expect("a sample").unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(peak > 1000, "{} is silent (peak {peak})", wav.display());
    }
    std::fs::remove_dir_all(&folder).expect("removing the demo folder");
}
