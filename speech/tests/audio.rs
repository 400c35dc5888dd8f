//! Checks on real synthesized audio, for both voices: every digit is audible and of a
//! plausible length, group pauses sit exactly where the tokens put them, the rate changes
//! the length, audio streams in chunks, and a stop cuts speech off at once.

use std::path::PathBuf;

use speech::audio::{rms, silent_runs, Sink, SinkError, Span};
use speech::words::{Pause, Token};
use speech::{Catalogue, Grouping, Lang, Pcm, Rate, Script, Settings, Utterance, Voice};

fn pack_dir(lang: Lang) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../voice-packs")
        .join(lang.code())
}

/// Both voices for a language: espeak-ng and the shipped pack.
fn voices(lang: Lang) -> Vec<(&'static str, Voice)> {
    vec![
        ("espeak", Voice::espeak().unwrap()),
        ("pack", Voice::pack(&pack_dir(lang)).unwrap()),
    ]
}

/// One digit alone, as a code's digit token (codes have 6 to 10 digits; a clip is one).
fn digit_script(digit: u8, lang: Lang) -> Script {
    Script {
        settings: Settings {
            lang,
            grouping: Grouping::Threes,
            rate: Rate::Normal,
        },
        tokens: vec![Token::Digit {
            digit,
            word: lang.digit_words()[usize::from(digit)],
        }],
    }
}

fn code(digits: &str) -> otp::Code {
    otp::Code::from_digits(digits).unwrap()
}

/// "Your code is" and a code in threes, as the device says it.
fn your_code_is(digits: &str, lang: Lang, rate: Rate) -> Script {
    render(
        &Utterance::prompt("your-code-is").then_code(code(digits)),
        lang,
        Grouping::Threes,
        rate,
    )
}

/// The shipped English default pack.
fn en_joe_dir() -> PathBuf {
    pack_dir(Lang::En).with_file_name("en-joe")
}

fn render(utterance: &Utterance, lang: Lang, grouping: Grouping, rate: Rate) -> Script {
    Catalogue::embedded()
        .unwrap()
        .render(
            utterance,
            Settings {
                lang,
                grouping,
                rate,
            },
        )
        .unwrap()
}

fn speak(voice: &mut Voice, script: &Script) -> (Pcm, Vec<Span>) {
    let mut pcm = Pcm::new(voice.sample_rate());
    let spoken = voice.speak(script, &mut pcm).unwrap();
    assert!(spoken.finished);
    (pcm, spoken.spans)
}

#[test]
fn every_digit_is_audible_and_plausibly_long() {
    for lang in Lang::ALL {
        for (name, mut voice) in voices(lang) {
            for digit in 0..10 {
                let script = digit_script(digit, lang);
                let (pcm, _) = speak(&mut voice, &script);
                let secs = pcm.duration_secs();
                assert!(
                    (0.12..1.0).contains(&secs),
                    "{name} {lang} digit {digit}: {secs:.3} s"
                );
                assert!(
                    rms(&pcm.samples) > 0.02,
                    "{name} {lang} digit {digit} is (nearly) silent: rms {}",
                    rms(&pcm.samples)
                );
            }
        }
    }
}

#[test]
fn group_pauses_are_where_the_tokens_say() {
    let code = "4820791";
    for lang in Lang::ALL {
        for (name, mut voice) in voices(lang) {
            for grouping in [Grouping::Threes, Grouping::Pairs, Grouping::Single] {
                let script = render(
                    &Utterance::prompt("your-code-is")
                        .then_code(otp::Code::from_digits(code).unwrap()),
                    lang,
                    grouping,
                    Rate::Normal,
                );
                let (pcm, spans) = speak(&mut voice, &script);
                let rate = pcm.sample_rate as usize;
                // Gaps longer than any pause but the group pause (600 ms): 540 ms.
                let runs = silent_runs(&pcm.samples, rate * 540 / 1000);
                let group_spans: Vec<&Span> = spans
                    .iter()
                    .filter(|s| script.tokens[s.token] == Token::Pause(Pause::Group))
                    .collect();
                assert_eq!(
                    runs.len(),
                    group_spans.len(),
                    "{name} {lang} {grouping:?}: long silences {runs:?}, group pauses {group_spans:?}"
                );
                for (run, span) in runs.iter().zip(&group_spans) {
                    // The silence covers the pause token's span (and at most the fades).
                    assert!(
                        run.0 <= span.start && run.1 >= span.end,
                        "{name} {lang} {grouping:?}: silence {run:?} vs pause {span:?}"
                    );
                    assert!(run.1 - run.0 < span.end - span.start + rate / 10);
                }
                // No clicks: at every joint the waveform steps by little (fades, no jumps).
                for span in &spans {
                    for edge in [span.start, span.end] {
                        if edge > 0 && edge < pcm.samples.len() {
                            let step = (i32::from(pcm.samples[edge])
                                - i32::from(pcm.samples[edge - 1]))
                            .abs();
                            assert!(
                                step < 600,
                                "{name} {lang} {grouping:?}: step of {step} at joint {edge}"
                            );
                        }
                    }
                }
                // Each digit token produced sound in its own span.
                let digits = spans
                    .iter()
                    .filter(|s| matches!(script.tokens[s.token], Token::Digit { .. }))
                    .filter(|s| rms(&pcm.samples[s.start..s.end]) > 0.02)
                    .count();
                assert_eq!(digits, code.len(), "{name} {lang} {grouping:?}");
            }
        }
    }
}

#[test]
fn slower_rate_takes_longer_in_both_voices() {
    for lang in Lang::ALL {
        for (name, mut voice) in voices(lang) {
            let length = |voice: &mut Voice, rate| {
                let script = your_code_is("482079", lang, rate);
                speak(voice, &script).0.duration_secs()
            };
            let slow = length(&mut voice, Rate::Slow);
            let normal = length(&mut voice, Rate::Normal);
            let fast = length(&mut voice, Rate::Fast);
            assert!(
                slow > normal * 1.2 && normal > fast * 1.2,
                "{name} {lang}: slow {slow:.2} s, normal {normal:.2} s, fast {fast:.2} s"
            );
        }
    }
}

/// Counts chunks and asks to stop after a number of them.
struct StopAfter {
    chunks: usize,
    limit: usize,
    samples: usize,
}

impl Sink for StopAfter {
    fn write(&mut self, samples: &[i16]) -> Result<(), SinkError> {
        if self.chunks == self.limit {
            return Err(SinkError::Stopped);
        }
        self.chunks += 1;
        self.samples += samples.len();
        Ok(())
    }
}

#[test]
fn audio_streams_in_chunks_and_a_stop_cuts_it_off() {
    for lang in Lang::ALL {
        for (name, mut voice) in voices(lang) {
            let script = your_code_is("482079", lang, Rate::Normal);
            let (whole, _) = speak(&mut voice, &script);
            let mut counting = StopAfter {
                chunks: 0,
                limit: usize::MAX,
                samples: 0,
            };
            voice.speak(&script, &mut counting).unwrap();
            assert!(
                counting.chunks > script.tokens.len(),
                "{name} {lang}: {} chunks, expected streaming",
                counting.chunks
            );
            let mut stopping = StopAfter {
                chunks: 0,
                limit: 3,
                samples: 0,
            };
            let spoken = voice.speak(&script, &mut stopping).unwrap();
            assert!(!spoken.finished, "{name} {lang}");
            assert_eq!(stopping.chunks, 3);
            assert!(stopping.samples < whole.samples.len() / 2);
        }
    }
}

#[test]
fn a_pack_hands_what_it_cannot_say_to_espeak() {
    let mut voice = Voice::pack(&pack_dir(Lang::Da)).unwrap();
    let script = render(
        &Utterance::prompt("your-code-is").then_text("hej"),
        Lang::Da,
        Grouping::Threes,
        Rate::Normal,
    );
    let (pcm, _) = speak(&mut voice, &script);
    assert!(rms(&pcm.samples) > 0.02);
    // English utterance with the Danish pack: said by espeak in English, not Danish clips.
    let en = digit_script(1, Lang::En);
    let (from_da_pack, _) = speak(&mut voice, &en);
    let (from_espeak, _) = speak(&mut Voice::espeak().unwrap(), &en);
    let (da_one, _) = speak(&mut voice, &digit_script(1, Lang::Da));
    let close = |a: &Pcm, b: &Pcm| a.samples.len().abs_diff(b.samples.len()) < 500;
    assert!(
        close(&from_da_pack, &from_espeak),
        "English espeak expected"
    );
    assert!(
        from_da_pack != da_one,
        "the Danish clip was used for English"
    );
}

#[test]
fn packs_for_two_languages_each_say_their_own() {
    let en_joe = en_joe_dir();
    let mut both = Voice::packs(&[pack_dir(Lang::Da), en_joe.clone()]).unwrap();
    let script = |lang| your_code_is("482079", lang, Rate::Normal);
    for (lang, dir) in [(Lang::Da, pack_dir(Lang::Da)), (Lang::En, en_joe.clone())] {
        let (from_both, _) = speak(&mut both, &script(lang));
        let (from_one, _) = speak(&mut Voice::pack(&dir).unwrap(), &script(lang));
        assert!(
            from_both.samples == from_one.samples,
            "{lang}: not the {lang} pack"
        );
    }
    // A second pack for a language is refused, naming both; the first one speaks.
    let error = Voice::packs(&[en_joe.clone(), pack_dir(Lang::En)]).unwrap_err();
    assert!(
        matches!(&error, speech::PackError::SecondForLanguage { lang: Lang::En, first, .. } if *first == en_joe),
        "{error}"
    );
    let (mut voice, refused) =
        Voice::packs_or_espeak(&[en_joe.clone(), pack_dir(Lang::En)]).unwrap();
    assert_eq!(refused, [error]);
    let (kept, _) = speak(&mut voice, &script(Lang::En));
    let (joe, _) = speak(&mut Voice::pack(&en_joe).unwrap(), &script(Lang::En));
    assert!(kept.samples == joe.samples, "the first English pack speaks");
}

#[test]
fn a_broken_pack_falls_back_to_espeak_with_the_report() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(pack_dir(Lang::Da)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::remove_file(dir.path().join("digit-3.wav")).unwrap();
    let (mut voice, refused) = Voice::pack_or_espeak(dir.path()).unwrap();
    let refused = refused.expect("the pack is refused").to_string();
    assert!(
        refused.contains("missing clip \"digit-3\" (digit-3.wav)"),
        "{refused}"
    );
    assert!(matches!(voice, Voice::Espeak(_)));
    let script = your_code_is("333333", Lang::Da, Rate::Normal);
    let (pcm, _) = speak(&mut voice, &script);
    assert!(pcm.duration_secs() > 1.0);
}

#[test]
fn wav_output_is_mono_16_bit_at_the_voice_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.wav");
    let mut voice = Voice::espeak().unwrap();
    let script = render(
        &Utterance::default().then_code(code("482079")),
        Lang::Da,
        Grouping::Threes,
        Rate::Normal,
    );
    let mut sink = speech::WavSink::create(&path, voice.sample_rate()).unwrap();
    voice.speak(&script, &mut sink).unwrap();
    sink.finish().unwrap();
    let pcm = Pcm::read_wav(&path).unwrap();
    assert_eq!(pcm.sample_rate, 22050);
    let again = speak(&mut voice, &script).0;
    assert!(
        pcm.samples.len().abs_diff(again.samples.len()) < 500,
        "{} vs {} samples",
        pcm.samples.len(),
        again.samples.len()
    );
}

#[test]
fn a_group_that_starts_with_a_doubled_digit_is_said_by_its_group_clip() {
    let en_joe = en_joe_dir();
    let mut voice = Voice::pack(&en_joe).unwrap();
    let script = your_code_is("997910", Lang::En, Rate::Normal);
    let (_, spans) = speak(&mut voice, &script);
    let digits: Vec<usize> = (0..script.tokens.len())
        .filter(|&i| matches!(script.tokens[i], Token::Digit { .. }))
        .collect();
    let span_of = |token: usize| spans.iter().find(|span| span.token == token);
    // "nine nine seven" is one clip, spoken from the group's first digit on.
    let group = span_of(digits[0]).expect("the group is spoken");
    assert!(span_of(digits[1]).is_none() && span_of(digits[2]).is_none());
    let clip = Pcm::read_wav(&en_joe.join("group-997.wav")).unwrap();
    let said = group.end - group.start;
    assert!(
        said.abs_diff(clip.samples.len()) < clip.samples.len() / 10,
        "group span {said} samples, clip {}",
        clip.samples.len()
    );
    // "nine one zero" has no repeat and no group clip: digit by digit.
    assert!(digits[3..].iter().all(|&digit| span_of(digit).is_some()));

    // A serial number's "00" is not a code's group: digit by digit, slowly.
    let serial = render(
        &Utterance::prompt("serial-number-is")
            .then_serial(&otp::Serial::parse("KP2026000001").unwrap()),
        Lang::En,
        Grouping::Threes,
        Rate::Normal,
    );
    let (_, spans) = speak(&mut voice, &serial);
    let letters_and_digits = serial
        .tokens
        .iter()
        .filter(|token| matches!(token, Token::Digit { .. } | Token::Letter { .. }))
        .count();
    let spoken_symbols = spans
        .iter()
        .filter(|span| {
            matches!(
                serial.tokens[span.token],
                Token::Digit { .. } | Token::Letter { .. }
            )
        })
        .count();
    assert_eq!(spoken_symbols, letters_and_digits);
}

#[test]
fn group_clips_follow_the_rate_like_every_clip() {
    let en_joe = en_joe_dir();
    let mut voice = Voice::pack(&en_joe).unwrap();
    let length = |voice: &mut Voice, rate| {
        let script = render(
            &Utterance::default().then_code(code("997997")),
            Lang::En,
            Grouping::Threes,
            rate,
        );
        speak(voice, &script).0.duration_secs()
    };
    let (slow, normal, fast) = (
        length(&mut voice, Rate::Slow),
        length(&mut voice, Rate::Normal),
        length(&mut voice, Rate::Fast),
    );
    assert!(
        slow > normal * 1.2 && normal > fast * 1.2,
        "slow {slow:.2} s, normal {normal:.2} s, fast {fast:.2} s"
    );
    // Said twice at a slow rate, the same samples: stretched anew, not cached, but alike.
    assert_eq!(length(&mut voice, Rate::Slow), slow);
}
