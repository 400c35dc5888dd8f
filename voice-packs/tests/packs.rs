//! The shipped packs, the builder's reproducibility, the validator's report on a broken
//! pack, the `voice-pack` binary, and a scripted recording session.

use std::path::{Path, PathBuf};
use std::process::Command;

use speech::pack::{required_clip_ids, Fault, PACK_SAMPLE_RATE};
use speech::{Lang, Pcm, VoicePack};
use voice_packs::mic::{SimulatedMic, Take};
use voice_packs::record::{process_take, record_pack, Credits};
use voice_packs::{build, compare, PackError};

fn shipped(lang: Lang) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(lang.code())
}

fn copy_pack(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn shipped_packs_validate_and_are_small() {
    for lang in Lang::ALL {
        let pack = VoicePack::load(&shipped(lang)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pack.lang, lang);
        for id in required_clip_ids() {
            assert!(pack.has_clip(&id), "{lang}: {id}");
        }
        let bytes: u64 = std::fs::read_dir(shipped(lang))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(bytes < 400_000, "{lang} pack is {bytes} bytes");
    }
}

/// The Piper-built English pack: valid, every clip present, small, and its licence and
/// voice named (the rebuild's byte check runs in scripts/intelligibility, which has Piper).
/// Its 110 group clips ("nine nine seven") are each under a second and a half and under
/// 5 MB together, so that the device program with both packs stays within its memory
/// budget (reader-device's latency bench measures it).
#[test]
fn the_piper_pack_validates_names_its_licence_and_is_small() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("en-joe");
    let pack = VoicePack::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pack.lang, Lang::En);
    assert!(
        pack.manifest.licence.starts_with("CC0-1.0"),
        "{}",
        pack.manifest.licence
    );
    assert!(pack.manifest.speaker.contains("en_US-joe-medium"));
    let sizes: Vec<(String, u64)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    let (groups, rest): (Vec<_>, Vec<_>) = sizes
        .iter()
        .partition(|(name, _)| name.starts_with("group-"));
    let rest: u64 = rest.iter().map(|(_, bytes)| bytes).sum();
    assert!(rest < 400_000, "en-joe without group clips is {rest} bytes");
    assert_eq!(groups.len(), speech::pack::repeat_group_clip_ids().len());
    let longest = 3 * u64::from(PACK_SAMPLE_RATE) / 2 * 2 + 44;
    for (name, bytes) in &groups {
        assert!(bytes < &longest, "{name} is {bytes} bytes");
    }
    let total: u64 = groups.iter().map(|(_, bytes)| bytes).sum();
    assert!(total < 5_000_000, "en-joe's group clips are {total} bytes");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".wav") && name != "pack.toml")
        .collect();
    assert!(files.is_empty(), "only clips and pack.toml ship: {files:?}");
}

/// espeak-ng carries state from one utterance to the next, so a pack is reproducible from a
/// fresh process (as `voice-pack build` runs), which is what this checks.
#[test]
fn building_again_gives_the_same_bytes() {
    for lang in Lang::ALL {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_voice-pack"))
            .args(["build", "--from", "espeak", "--lang", lang.code()])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut names: Vec<_> = std::fs::read_dir(shipped(lang))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        let mut built: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        built.sort();
        assert_eq!(names, built, "{lang}: file lists differ");
        for name in names {
            let a = std::fs::read(shipped(lang).join(&name)).unwrap();
            let b = std::fs::read(dir.path().join(&name)).unwrap();
            assert!(
                a == b,
                "{lang}/{}: rebuilt file differs (run `voice-pack build --from espeak --lang {lang} voice-packs/{lang}`)",
                name.to_string_lossy()
            );
        }
    }
}

fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();
}

/// A copy of the Danish pack with one fault of every kind.
fn broken_pack(dir: &Path) {
    copy_pack(&shipped(Lang::Da), dir);
    let clip = |id: &str| {
        Pcm::read_wav(&dir.join(format!("{id}.wav")))
            .unwrap()
            .samples
    };
    // Missing file (listed in pack.toml).
    std::fs::remove_file(dir.join("digit-0.wav")).unwrap();
    // Wrong sample rate.
    write_wav(&dir.join("digit-1.wav"), 16000, 1, &clip("digit-1"));
    // Stereo.
    let stereo: Vec<i16> = clip("digit-2").iter().flat_map(|&s| [s, s]).collect();
    write_wav(&dir.join("digit-2.wav"), PACK_SAMPLE_RATE, 2, &stereo);
    // Silence only.
    write_wav(&dir.join("digit-3.wav"), PACK_SAMPLE_RATE, 1, &[0; 8000]);
    // Clipping (and far too loud).
    let loud: Vec<i16> = clip("digit-4")
        .iter()
        .map(|&s| s.saturating_mul(20))
        .collect();
    write_wav(&dir.join("digit-4.wav"), PACK_SAMPLE_RATE, 1, &loud);
    // Truncated: the data chunk is cut short of what the header says.
    let bytes = std::fs::read(dir.join("digit-5.wav")).unwrap();
    std::fs::write(dir.join("digit-5.wav"), &bytes[..bytes.len() * 2 / 3]).unwrap();
    // Cut off mid-sound.
    let cut = clip("digit-6");
    write_wav(
        &dir.join("digit-6.wav"),
        PACK_SAMPLE_RATE,
        1,
        &cut[..cut.len() / 2],
    );
    // Far too quiet.
    let quiet: Vec<i16> = clip("digit-7").iter().map(|&s| s / 20).collect();
    write_wav(&dir.join("digit-7.wav"), PACK_SAMPLE_RATE, 1, &quiet);
    // A required clip dropped from pack.toml.
    let manifest = std::fs::read_to_string(dir.join("pack.toml")).unwrap();
    let manifest = manifest.replace(
        "[[clip]]\nid = \"repeating\"\nfile = \"repeating.wav\"\ntext = \"Jeg gentager\"\n\n",
        "",
    );
    std::fs::write(dir.join("pack.toml"), manifest).unwrap();
}

#[test]
fn a_broken_pack_is_refused_with_every_fault_named() {
    let dir = tempfile::tempdir().unwrap();
    broken_pack(dir.path());
    let Err(PackError::Broken(report)) = VoicePack::load(dir.path()) else {
        panic!("the broken pack loaded");
    };
    let has = |wanted: &dyn Fn(&Fault) -> bool, what: &str| {
        assert!(report.faults.iter().any(wanted), "no {what} in:\n{report}");
    };
    has(
        &|f| matches!(f, Fault::MissingClip { id, file } if id == "digit-0" && file == "digit-0.wav"),
        "missing digit-0",
    );
    has(
        &|f| matches!(f, Fault::MissingClip { id, file } if id == "repeating" && file == "repeating.wav"),
        "missing repeating",
    );
    has(
        &|f| matches!(f, Fault::WrongSampleRate { file, found: 16000 } if file == "digit-1.wav"),
        "wrong rate",
    );
    has(
        &|f| matches!(f, Fault::WrongChannels { file, found: 2 } if file == "digit-2.wav"),
        "stereo",
    );
    has(
        &|f| matches!(f, Fault::SilenceOnly { file } if file == "digit-3.wav"),
        "silence",
    );
    has(
        &|f| matches!(f, Fault::Clipping { file, .. } if file == "digit-4.wav"),
        "clipping",
    );
    has(
        &|f| matches!(f, Fault::Truncated { file, .. } if file == "digit-5.wav"),
        "truncated data",
    );
    has(
        &|f| matches!(f, Fault::Truncated { file, .. } if file == "digit-6.wav"),
        "cut-off sound",
    );
    has(
        &|f| matches!(f, Fault::Loudness { file, .. } if file == "digit-7.wav"),
        "too quiet",
    );
    // Untouched clips are not blamed.
    assert!(!report.to_string().contains("digit-8"), "{report}");
}

#[test]
fn validate_binary_reports_and_exits_non_zero() {
    let bin = env!("CARGO_BIN_EXE_voice-pack");
    let ok = Command::new(bin)
        .args(["validate", shipped(Lang::En).to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("is valid: language en, 13 clips"));

    let dir = tempfile::tempdir().unwrap();
    broken_pack(dir.path());
    let bad = Command::new(bin)
        .args(["validate", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    for expected in [
        "missing clip \"digit-0\" (digit-0.wav)",
        "missing clip \"repeating\" (repeating.wav)",
        "digit-1.wav: sample rate 16000 Hz",
        "digit-2.wav: 2 channels",
        "digit-3.wav: silence only",
        "digit-4.wav: clipping",
        "digit-5.wav: truncated",
        "digit-6.wav: truncated",
        "digit-7.wav: loudness",
    ] {
        assert!(err.contains(expected), "{expected:?} not in:\n{err}");
    }

    let none = Command::new(bin)
        .args(["validate", "/nonexistent/pack"])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("cannot read pack.toml"));
}

/// Rewrites one sample of a pack's clip, moved by `by`.
fn nudge_sample(path: &Path, at: usize, by: i16) {
    edit_clip(path, |samples| samples[at] = samples[at].saturating_add(by));
}

/// Rewrites a pack's clip with its samples changed by `edit`; returns how many it had.
fn edit_clip(path: &Path, edit: impl FnOnce(&mut Vec<i16>)) -> usize {
    let mut pcm = Pcm::read_wav(path).unwrap();
    let before = pcm.samples.len();
    edit(&mut pcm.samples);
    pcm.write_wav(path).unwrap();
    before
}

/// A rebuilt Piper pack passes when its clips moved only by another CPU's rounding, and
/// fails on any real change: a sample moved further, a clip cut short, a file missing, a
/// different pack.toml.
#[test]
fn compare_accepts_rounding_and_refuses_real_changes() {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("en-joe");
    let copy = || {
        let dir = tempfile::tempdir().unwrap();
        copy_pack(&shipped, dir.path());
        dir
    };
    let tolerance = compare::DEFAULT_TOLERANCE;

    let same = copy();
    let found = compare::compare_packs(&shipped, same.path(), tolerance).unwrap();
    assert!(found.same(), "{found:?}");
    assert_eq!(found.identical, found.files);

    let rounded = copy();
    nudge_sample(&rounded.path().join("group-997.wav"), 2512, 7);
    nudge_sample(&rounded.path().join("digit-3.wav"), 100, -2);
    let found = compare::compare_packs(&shipped, rounded.path(), tolerance).unwrap();
    assert!(found.same(), "{found:?}");
    assert_eq!(found.within_tolerance, 2);
    assert_eq!(found.largest, Some(("group-997.wav".into(), 7)));

    let changed = copy();
    nudge_sample(&changed.path().join("digit-5.wav"), 1000, 200);
    std::fs::remove_file(changed.path().join("group-00.wav")).unwrap();
    let mut manifest = std::fs::read_to_string(changed.path().join("pack.toml")).unwrap();
    manifest.push_str("# edited\n");
    std::fs::write(changed.path().join("pack.toml"), manifest).unwrap();
    let length = edit_clip(&changed.path().join("digit-7.wav"), |samples| {
        samples.pop();
    });
    let found = compare::compare_packs(&shipped, changed.path(), tolerance).unwrap();
    assert!(!found.same());
    let said: Vec<String> = found.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        said,
        [
            "digit-5.wav: samples differ by up to 200 (first at sample 1000)".to_owned(),
            format!("digit-7.wav: {length} samples against {}", length - 1),
            "group-00.wav: only in the first pack".to_owned(),
            "pack.toml: the bytes differ".to_owned(),
        ]
    );

    // The binary: exit 0 and a summary when the same, 1 and every difference when not,
    // 2 with the folder named when a pack cannot be read.
    let bin = env!("CARGO_BIN_EXE_voice-pack");
    let run = |second: &Path| {
        Command::new(bin)
            .args([
                "compare",
                shipped.to_str().unwrap(),
                second.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let ok = run(rounded.path());
    assert_eq!(ok.status.code(), Some(0));
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("2 clips within ±32 (largest ±7, group-997.wav), 0 beyond"),
        "{out}"
    );
    let bad = run(changed.path());
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("4 beyond"), "{out}");
    assert!(out.contains("pack.toml: the bytes differ"), "{out}");
    let none = run(Path::new("/nonexistent/pack"));
    assert_eq!(none.status.code(), Some(2));
    let err = String::from_utf8_lossy(&none.stderr);
    assert_eq!(
        err.matches("No such file").count(),
        1,
        "the cause said once: {err}"
    );
    assert!(
        err.contains("reading the folder /nonexistent/pack"),
        "{err}"
    );
}

#[test]
fn build_binary_rejects_unknown_sources() {
    let out = Command::new(env!("CARGO_BIN_EXE_voice-pack"))
        .args(["build", "--from", "tape", "--lang", "da", "/tmp/x"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`espeak` or `piper` can build a pack"));
}

#[test]
fn build_binary_needs_a_voice_for_piper() {
    let out = Command::new(env!("CARGO_BIN_EXE_voice-pack"))
        .args(["build", "--from", "piper", "/tmp/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from piper needs --voice"));
}

/// A take as a 44.1 kHz stereo microphone would give it: the clip with half a second of
/// faint noise before and after.
fn take_of(samples: &[i16]) -> Take {
    let noise = |i: usize| ((i * 7919 % 200) as f32 - 100.0) / 100_000.0;
    let mut mono: Vec<f32> = (0..22050).map(noise).collect();
    mono.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
    mono.extend((0..22050).map(noise));
    // 22050 → 44100 by repeating samples, then duplicate into two channels.
    let samples = mono.iter().flat_map(|&s| [s, s, s, s]).collect();
    Take {
        sample_rate: 44100,
        channels: 2,
        samples,
    }
}

#[test]
fn processing_a_take_trims_resamples_and_normalises() {
    let clip = Pcm::read_wav(&shipped(Lang::Da).join("digit-4.wav")).unwrap();
    let processed = process_take(&take_of(&clip.samples)).unwrap();
    let secs = processed.len() as f64 / f64::from(PACK_SAMPLE_RATE);
    let original = clip.duration_secs();
    assert!(
        secs > original && secs < original + 0.15,
        "{secs} s from a {original} s clip with 1 s of padding"
    );
    let lufs = speech::pack::loudness_lufs(&processed, PACK_SAMPLE_RATE).unwrap();
    assert!((lufs - build::TARGET_LUFS).abs() < 1.0, "{lufs}");
    let silent = Take {
        sample_rate: 48000,
        channels: 1,
        samples: vec![0.0; 48000],
    };
    assert!(process_take(&silent).is_err());
}

#[test]
fn a_scripted_recording_session_produces_a_valid_pack() {
    let source = shipped(Lang::En);
    let mut takes = Vec::new();
    let mut script = String::new();
    for (n, id) in required_clip_ids().iter().enumerate() {
        let clip = Pcm::read_wav(&source.join(format!("{id}.wav"))).unwrap();
        if n == 0 {
            // First clip: a silent take (retried), then a take the speaker redoes.
            takes.push(Take {
                sample_rate: 44100,
                channels: 2,
                samples: vec![0.0; 44100],
            });
            script.push_str("\n\n");
            takes.push(take_of(&clip.samples));
            script.push_str("\n\nr\n");
        }
        takes.push(take_of(&clip.samples));
        script.push_str("\n\n\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut mic = SimulatedMic::new(takes);
    let mut screen = Vec::new();
    let credits = Credits {
        speaker: "test speaker".into(),
        licence: "CC0-1.0".into(),
    };
    let result = record_pack(
        Lang::En,
        dir.path(),
        &credits,
        &mut mic,
        &mut script.as_bytes(),
        &mut screen,
    )
    .unwrap();
    let screen = String::from_utf8(screen).unwrap();
    let pack = result.unwrap_or_else(|e| panic!("{e}\n{screen}"));
    assert_eq!(pack.manifest.speaker, "test speaker");
    assert!(screen.contains("[1/13] digit-0 — say: «zero»"), "{screen}");
    assert!(screen.contains("nothing was heard"), "{screen}");
    assert!(
        screen.contains("The pack is complete and valid."),
        "{screen}"
    );
}

/// The `voice-pack record` binary end to end, with recorded WAV files (44.1 kHz stereo,
/// half a second of room noise around each word) standing in for the microphone and the
/// speaker's key presses on stdin: one take redone, the rest kept.
#[test]
fn record_binary_makes_a_valid_pack_from_recorded_wavs() {
    use std::io::Write as _;
    let source = shipped(Lang::Da);
    let takes_dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut keys = String::new();
    for (n, id) in required_clip_ids().iter().enumerate() {
        let clip = Pcm::read_wav(&source.join(format!("{id}.wav"))).unwrap();
        let take = take_of(&clip.samples);
        let path = takes_dir.path().join(format!("{n:02}-{id}.wav"));
        let spec = hound::WavSpec {
            channels: take.channels,
            sample_rate: take.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for s in &take.samples {
            writer.write_sample((s * 32767.0) as i16).unwrap();
        }
        writer.finalize().unwrap();
        if n == 1 {
            // The speaker redoes the second clip: the same file is offered twice.
            files.push(path.clone());
            keys.push_str("\n\nr\n");
        }
        files.push(path);
        keys.push_str("\n\n\n");
    }
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_voice-pack"))
        .args([
            "record",
            "--lang",
            "da",
            "--speaker",
            "Frivillig",
            "--licence",
            "CC0-1.0",
        ])
        .args(
            files
                .iter()
                .flat_map(|f| [std::ffi::OsStr::new("--take-wav"), f.as_os_str()]),
        )
        .arg(out.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(keys.as_bytes())
        .unwrap();
    let done = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{screen}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(screen.contains("[1/13] digit-0 — say: «nul»"), "{screen}");
    assert!(
        screen.contains("The pack is complete and valid."),
        "{screen}"
    );
    let pack = VoicePack::load(out.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pack.lang, Lang::Da);
    assert_eq!(pack.manifest.speaker, "Frivillig");
    assert_eq!(pack.manifest.licence, "CC0-1.0");
    // Each clip is its own take (trimmed): the files went in in order.
    for id in required_clip_ids() {
        let said = Pcm::read_wav(&out.path().join(format!("{id}.wav"))).unwrap();
        let meant = Pcm::read_wav(&source.join(format!("{id}.wav"))).unwrap();
        let (said, meant) = (said.duration_secs(), meant.duration_secs());
        assert!(
            (said - meant).abs() < 0.15,
            "{id}: {said} s recorded from a {meant} s take"
        );
    }
}

#[test]
fn quitting_a_session_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut mic = SimulatedMic::new([]);
    let err = record_pack(
        Lang::Da,
        dir.path(),
        &Credits {
            speaker: "x".into(),
            licence: "x".into(),
        },
        &mut mic,
        &mut "q\n".as_bytes(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(err, voice_packs::record::RecordError::Quit));
}
