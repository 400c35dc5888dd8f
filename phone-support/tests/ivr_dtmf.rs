//! The voice menu driven by DTMF audio: tones are synthesized, played into an
//! [`AudioLine`], detected by the Goertzel detector, and the path and prompts are checked.

use chrono::NaiveDateTime;
use phone_support::dtmf::{self, Press};
use phone_support::flow::FlowSet;
use phone_support::ivr::{Ending, Ivr};
use phone_support::line::{run_call, AudioLine, CallRecord, TextSpeaker, VoiceSpeaker};
use speech::{Catalogue, Pcm, Voice};

const RATE: u32 = 8000;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

/// Plays `audio` into the menu at a fixed local time; returns the record and the transcript.
fn call(audio: Vec<i16>, now: NaiveDateTime) -> (CallRecord, String) {
    let flows = FlowSet::shipped().unwrap();
    let mut ivr = Ivr::new(&flows);
    let speaker = TextSpeaker::new(Catalogue::embedded().unwrap(), Vec::new());
    let mut line = AudioLine::new(audio.into_iter(), RATE, speaker);
    let record = run_call(&mut ivr, &mut line, || now).unwrap();
    let transcript = String::from_utf8(line.into_speaker().into_inner()).unwrap();
    (record, transcript)
}

/// Keys with a caller's thinking pause (1 s) before each.
fn caller_presses(keys: &str) -> Vec<i16> {
    let mut audio = Vec::new();
    for key in keys.chars() {
        audio.extend(dtmf::silence(RATE, 1000));
        audio.extend(dtmf::synthesize(&key.to_string(), RATE, Press::default()).unwrap());
    }
    audio
}

#[test]
fn dtmf_walks_the_setup_flow_to_its_end() {
    let (record, transcript) = call(caller_presses("1111111111"), at("2026-11-25 12:00"));
    assert_eq!(record.ending, Some(Ending::Resolved));
    assert_eq!(record.visited.len(), 10);
    assert_eq!(record.visited.last().unwrap(), "setup-reader/done");
    let lines: Vec<&str> = transcript.lines().collect();
    assert!(lines[0].starts_with("[da] Velkommen til support for MitID kodeoplæser."));
    assert!(lines[1].contains("Opsætning af en ny kodeoplæser: tryk 1."));
    assert!(transcript.contains("Tryk én gang på den røde tast nederst til højre."));
    assert!(transcript.contains("Tryk 1, hvis du hørte koden."));
    assert!(transcript.contains("En aktiveringskode på papir fra Borgerservice gælder i 48 timer."));
    assert!(lines.last().unwrap().ends_with(
        "Din kodeoplæser er klar til brug. Tak for i dag. || Tak for dit opkald. Farvel."
    ));
}

/// Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs (UPDATE_GOLDEN=1 rewrites it)",
        path.display()
    );
}

#[test]
fn setup_walks_say_exactly_the_golden_words() {
    let (_, danish) = call(caller_presses("1111111111"), at("2026-11-25 12:00"));
    golden("setup-walk-da.txt", &danish);
    let (_, english) = call(caller_presses("91111111111"), at("2026-11-25 12:00"));
    golden("setup-walk-en.txt", &english);
}

#[test]
fn english_back_repeat_and_a_wrong_turn() {
    // 9 English, 1 setup, 1 headphones, 1 switch-on, 2 no test phrase, # back, * repeat,
    // 1 heard it → volume.
    let (record, transcript) = call(caller_presses("91112#*1"), at("2026-11-25 12:00"));
    assert_eq!(record.lang, speech::Lang::En);
    assert_eq!(
        record.visited[3..],
        [
            "setup-reader/switch-on",
            "setup-reader/no-test-phrase",
            "setup-reader/switch-on",
            "setup-reader/volume"
        ]
    );
    assert!(transcript.contains("[en] Press the red key at the bottom right once."));
    // The caller stopped pressing: the stream ends, the caller hung up.
    assert_eq!(record.ending, None);
}

#[test]
fn silence_asks_three_times_then_queues_or_says_goodbye() {
    let silent = dtmf::silence(RATE, 30_000);
    let (record, transcript) = call(silent.clone(), at("2026-11-25 12:00"));
    assert_eq!(record.ending, Some(Ending::Queued));
    assert_eq!(transcript.matches("Jeg hørte ikke noget valg.").count(), 2);
    assert!(transcript.contains("Du bliver nu stillet i kø til en medarbejder."));

    let (record, transcript) = call(silent, at("2026-11-28 17:00"));
    assert_eq!(record.ending, Some(Ending::NoInput));
    assert!(transcript.contains("Vi åbner igen i morgen klokken 10."));
    assert!(transcript.contains("Ring igen på 33 98 00 10."));
}

#[test]
fn agent_key_when_closed_tells_hours_then_continues() {
    // Saturday 07:00: closed, opens today at 10. Then 5 (someone else), 1, 1 → done.
    let (record, transcript) = call(caller_presses("0511"), at("2026-11-28 07:00"));
    assert!(transcript.contains("Vi åbner igen i dag klokken 10."));
    assert_eq!(record.ending, Some(Ending::Resolved));
    assert_eq!(record.visited.last().unwrap(), "someone-else/goodbye");
}

#[test]
fn prompts_are_synthesized_and_take_time_on_the_line() {
    let flows = FlowSet::shipped().unwrap();
    let mut ivr = Ivr::new(&flows);
    let voice = Voice::espeak().expect("espeak-ng is installed (apt: libespeak-ng-dev)");
    let sink = Pcm::new(voice.sample_rate());
    let speaker = VoiceSpeaker::new(Catalogue::embedded().unwrap(), voice, sink);
    // A silent caller for two minutes: three prompts of silence, then the queue.
    let mut line = AudioLine::new(dtmf::silence(RATE, 120_000).into_iter(), RATE, speaker);
    let record = run_call(&mut ivr, &mut line, || at("2026-11-25 12:00")).unwrap();
    assert_eq!(record.ending, Some(Ending::Queued));
    let position = line.position;
    let pcm = line.into_speaker().into_sink();
    // The line's clock ran through every prompt plus three 8 s waits.
    let line_seconds = position as f64 / f64::from(RATE);
    assert!(pcm.duration_secs() > 20.0, "{} s", pcm.duration_secs());
    assert!(
        (line_seconds - (pcm.duration_secs() + 24.0)).abs() < 0.5,
        "line {line_seconds} s, speech {} s",
        pcm.duration_secs()
    );
}

#[test]
fn a_key_pressed_during_a_prompt_interrupts_it() {
    let flows = FlowSet::shipped().unwrap();
    let mut ivr = Ivr::new(&flows);
    let voice = Voice::espeak().expect("espeak-ng is installed (apt: libespeak-ng-dev)");
    let audio = VoiceSpeaker::new(Catalogue::embedded().unwrap(), voice, Pcm::new(22_050));
    let text = TextSpeaker::new(Catalogue::embedded().unwrap(), Vec::new());
    // 1 pressed 1 s into the welcome, then silence until the caller hangs up.
    let mut caller = dtmf::silence(RATE, 1000);
    caller.extend(dtmf::synthesize("1", RATE, Press::default()).unwrap());
    let mut line = AudioLine::new(caller.into_iter(), RATE, (text, audio));
    let record = run_call(&mut ivr, &mut line, || at("2026-11-25 12:00")).unwrap();
    assert_eq!(record.visited, ["menu", "setup-reader/unpack"]);
    let (text, _) = line.into_speaker();
    let transcript = String::from_utf8(text.into_inner()).unwrap();
    let lines: Vec<&str> = transcript.lines().collect();
    // The welcome was cut short, the main menu never said, the first step said next.
    assert_eq!(
        lines[0],
        "[da] Velkommen til support for MitID kodeoplæser."
    );
    assert!(
        lines[1].starts_with("[da] Vi sætter din nye kodeoplæser op sammen."),
        "{transcript}"
    );
}

#[test]
fn the_menus_own_speech_is_not_mistaken_for_keys() {
    // Talk-off: every prompt of a walk through setup, synthesized, holds no DTMF key.
    let flows = FlowSet::shipped().unwrap();
    let mut ivr = Ivr::new(&flows);
    let voice = Voice::espeak().expect("espeak-ng is installed (apt: libespeak-ng-dev)");
    let rate = voice.sample_rate();
    let speaker = VoiceSpeaker::new(Catalogue::embedded().unwrap(), voice, Pcm::new(rate));
    let mut line = AudioLine::new(caller_presses("1111111111").into_iter(), RATE, speaker);
    run_call(&mut ivr, &mut line, || at("2026-11-25 12:00")).unwrap();
    let pcm = line.into_speaker().into_sink();
    assert!(pcm.duration_secs() > 60.0, "{} s", pcm.duration_secs());
    assert_eq!(dtmf::detect_all(&pcm.samples, rate), []);
}
