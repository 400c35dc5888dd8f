//! Unit and property tests of the device core, driven through `handle` only.

use super::*;
use otp::{Algorithm, Digits, Secret};
use proptest::prelude::*;

/// 2025-06-01T00:00:05Z, 5 s into a 30 s step.
const START_UNIX_MS: u64 = 1_748_736_005_000;

fn secret() -> Secret {
    Secret::new(b"12345678901234567890".to_vec())
}

fn totp() -> Totp {
    Totp::mitid(&secret())
}

/// RFC 4226's generator: counters 0, 1, 2 give 755224, 287082, 359152.
fn hotp() -> Hotp {
    Hotp::new(&secret(), Algorithm::Sha1, Digits::SIX)
}

/// A device with a simulated clock, recording effects.
struct Rig {
    device: Device,
    now: Now,
}

impl Rig {
    fn totp() -> Rig {
        Rig::with(Some(Token::Totp(totp())), Record::default())
    }

    /// An HOTP device whose next counter is 0.
    fn hotp() -> Rig {
        Rig::with(
            Some(Token::Hotp(hotp())),
            Record {
                hotp_next: Some(0),
                ..Record::default()
            },
        )
    }

    fn with(token: Option<Token>, record: Record) -> Rig {
        let serial = Serial::parse("KR12345678").unwrap();
        let device = Device::new(Config::default(), serial, token, record);
        Rig {
            device,
            now: Now {
                mono_ms: 1_000,
                unix_ms: START_UNIX_MS,
            },
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now.mono_ms += ms;
        self.now.unix_ms += ms;
    }

    fn send(&mut self, event: Event) -> Vec<Effect> {
        self.device.handle(event, self.now)
    }

    /// A clean press and release, 100 ms apart, then 200 ms of quiet.
    fn press(&mut self, key: Key) -> Vec<Effect> {
        let mut effects = self.send(Event::Key(key, Edge::Down));
        self.advance(100);
        effects.extend(self.send(Event::Key(key, Edge::Up)));
        self.advance(200);
        effects
    }

    /// Holds the red key, presses `key` with it (a chord), releases both.
    fn chord(&mut self, key: Key) -> Vec<Effect> {
        let mut effects = self.send(Event::Key(Key::Function, Edge::Down));
        self.advance(100);
        effects.extend(self.press(key));
        effects.extend(self.send(Event::Key(Key::Function, Edge::Up)));
        self.advance(200);
        effects
    }

    /// Holds the red key until it says "function", releases it (sticky function mode).
    fn latch(&mut self) -> Vec<Effect> {
        let mut effects = self.send(Event::Key(Key::Function, Edge::Down));
        self.advance(Config::default().function_hold_ms);
        effects.extend(self.send(Event::Tick));
        effects.extend(self.send(Event::Key(Key::Function, Edge::Up)));
        self.advance(200);
        effects
    }

    fn on(&mut self) -> Vec<Effect> {
        self.send(Event::PowerOn)
    }
}

fn spoken(effects: &[Effect]) -> Vec<(Vec<String>, Channel)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Say(speech) => Some((
                speech
                    .utterance
                    .parts
                    .iter()
                    .map(|part| match part {
                        Part::Prompt { id, args } => {
                            let args: Vec<_> =
                                args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                            if args.is_empty() {
                                id.clone()
                            } else {
                                format!("{id}({})", args.join(","))
                            }
                        }
                        Part::Code(code) => format!("code:{code}"),
                        Part::Serial(serial) => format!("serial:{serial}"),
                        #[allow(unreachable_patterns)]
                        _ => "other".into(),
                    })
                    .collect(),
                speech.channel,
            )),
            _ => None,
        })
        .collect()
}

fn ids(effects: &[Effect]) -> Vec<String> {
    assert_in_catalogue(effects);
    spoken(effects)
        .into_iter()
        .flat_map(|(parts, _)| parts)
        .collect()
}

fn current_code(rig: &Rig) -> String {
    totp().code_at(rig.now.unix_secs()).unwrap().to_string()
}

#[test]
fn power_on_says_ready_and_a_digit_shows_and_speaks_the_code() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    let effects = rig.on();
    assert_eq!(ids(&effects), ["ready"]);
    assert_eq!(rig.device.screen().view, View::Ready);
    let code = current_code(&rig);
    let effects = rig.press(Key::D1);
    assert_eq!(
        effects[0],
        Effect::StopSpeaking,
        "a key press stops speech first"
    );
    assert_eq!(
        spoken(&effects),
        [(
            vec!["your-code-is".into(), format!("code:{code}")],
            Channel::Headphones
        )]
    );
    assert_eq!(
        rig.device.screen().main_lines(),
        [format!("{} {}", &code[..3], &code[3..])]
    );
    // Pressing again while the code shows repeats it.
    assert_eq!(
        ids(&rig.press(Key::D7)),
        ["repeating", "your-code-is", &format!("code:{code}")]
    );
}

#[test]
fn one_press_of_the_red_key_switches_on_and_says_the_code() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    assert!(!rig.device.is_on());
    assert!(
        ids(&rig.press(Key::D3)).is_empty(),
        "digits do nothing when off"
    );
    let code = current_code(&rig);
    let effects = rig.press(Key::Function);
    assert!(rig.device.is_on());
    assert_eq!(
        spoken(&effects),
        [(
            vec!["your-code-is".into(), format!("code:{code}")],
            Channel::Headphones
        )],
        "no 'ready' step, no second key"
    );
    assert_eq!(
        rig.device.screen().main_lines(),
        [format!("{} {}", &code[..3], &code[3..])]
    );
    // The red key again says it again.
    assert_eq!(
        ids(&rig.press(Key::Function)),
        ["repeating", "your-code-is", &format!("code:{code}")]
    );
    // Once its step has passed, a fresh one.
    let into_step = rig.now.unix_ms % 30_000;
    rig.advance(30_000 - into_step + 1_000);
    let fresh = current_code(&rig);
    let said = ids(&rig.press(Key::Function));
    assert_eq!(said.last().unwrap(), &format!("code:{fresh}"), "{said:?}");
    assert!(!said.contains(&"repeating".to_owned()));
}

#[test]
fn the_switch_on_press_never_switches_off_or_opens_functions() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.send(Event::Key(Key::Function, Edge::Down));
    for _ in 0..30 {
        rig.advance(100);
        assert!(!ids(&rig.send(Event::Tick)).contains(&"powering-off".to_owned()));
    }
    assert!(ids(&rig.send(Event::Key(Key::Function, Edge::Up))).is_empty());
    assert!(rig.device.is_on());
}

#[test]
fn without_headphones_the_first_press_offers_and_the_second_reads_aloud() {
    let mut rig = Rig::totp();
    let code = current_code(&rig);
    let effects = rig.press(Key::Function);
    assert_eq!(
        spoken(&effects),
        [(vec!["code-on-screen".into()], Channel::Speaker)],
        "no digit on the speaker"
    );
    assert!(matches!(rig.device.screen().view, View::Code { .. }));
    assert_eq!(rig.device.screen().notice, Some(Notice::ConnectHeadphones));
    // Red + 0 repeats the last message, still privately.
    assert_eq!(
        spoken(&rig.chord(Key::D0)),
        [(vec!["code-on-screen".into()], Channel::Speaker)]
    );
    // A digit key does not take the offer: only the red key, as the offer says.
    assert_eq!(
        spoken(&rig.press(Key::D4)),
        [(vec!["code-on-screen".into()], Channel::Speaker)]
    );
    // The red key again: the code, aloud.
    assert_eq!(
        spoken(&rig.press(Key::Function)),
        [(
            vec!["your-code-is".into(), format!("code:{code}")],
            Channel::Speaker
        )]
    );
    assert!(rig.device.speaker_on(), "chosen for this session");
    // After a power cycle it asks again (the choice was not "always").
    rig.send(Event::PowerOff);
    rig.press(Key::Function);
    assert!(!rig.device.speaker_on());
}

#[test]
fn always_read_aloud_is_one_press_through_the_speaker_and_is_kept() {
    let mut rig = Rig::totp();
    rig.on();
    assert_eq!(ids(&rig.chord(Key::D8)), ["menu"]);
    let effects = rig.press(Key::D2);
    assert_eq!(ids(&effects), ["always-aloud-on"]);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Persist(r) if r.settings.always_aloud)));
    rig.send(Event::PowerOff);
    let record = rig.device.record();
    let mut rebooted = Rig::with(Some(Token::Totp(totp())), record);
    rebooted.now = rig.now;
    let code = current_code(&rebooted);
    assert_eq!(
        spoken(&rebooted.press(Key::Function)),
        [(
            vec!["your-code-is".into(), format!("code:{code}")],
            Channel::Speaker
        )]
    );
    // Headphones still win: private whenever they are in.
    rebooted.send(Event::Headphones(true));
    assert_eq!(
        spoken(&rebooted.press(Key::Function))[0].1,
        Channel::Headphones
    );
}

#[test]
fn a_deployment_can_make_new_devices_read_aloud() {
    let config = Config {
        always_aloud: true,
        ..Config::default()
    };
    assert!(Record::fresh(&config).settings.always_aloud);
    assert!(!Record::fresh(&Config::default()).settings.always_aloud);
}

#[test]
fn unplugging_headphones_stops_speech() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.press(Key::D1);
    let effects = rig.send(Event::Headphones(false));
    assert_eq!(effects[0], Effect::StopSpeaking);
    assert_eq!(
        spoken(&effects),
        [(vec!["headphones-disconnected".into()], Channel::Speaker)]
    );
}

#[test]
fn chords_and_sticky_function_mode_change_the_volume() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    assert_eq!(rig.device.volume(), 4);
    // Held together: red + 3 (right-hand key) turns it up; releasing red does nothing more.
    rig.send(Event::Key(Key::Function, Edge::Down));
    rig.advance(100);
    let effects = rig.press(Key::D3);
    assert_eq!(ids(&effects), ["volume-up", "volume-level(level=5)"]);
    assert!(ids(&rig.send(Event::Key(Key::Function, Edge::Up))).is_empty());
    rig.advance(200);
    // Several presses under one hold, past the switch-off time: each counts, no switch-off.
    rig.send(Event::Key(Key::Function, Edge::Down));
    for level in 6..=8 {
        rig.advance(900);
        rig.send(Event::Tick);
        assert_eq!(
            ids(&rig.press(Key::D3)),
            [
                "volume-up".to_owned(),
                format!("volume-level(level={level})")
            ]
        );
    }
    rig.advance(1000);
    rig.send(Event::Tick);
    assert!(rig.device.is_on());
    rig.send(Event::Key(Key::Function, Edge::Up));
    rig.advance(200);
    // Without pressing two keys at once (5.9): hold red until "function", release, press.
    assert_eq!(ids(&rig.latch()), ["function-mode"]);
    assert_eq!(rig.device.screen().view, View::Function);
    assert_eq!(
        ids(&rig.press(Key::D1)),
        ["volume-down", "volume-level(level=7)"]
    );
    // Left-hand keys turn it down, to the minimum and no further.
    for _ in 0..6 {
        rig.chord(Key::D1);
    }
    assert_eq!(rig.device.volume(), 1);
    assert_eq!(
        ids(&rig.chord(Key::D1)),
        ["volume-min", "volume-level(level=1)"]
    );
    // Sticky mode is left by the red key.
    rig.latch();
    assert_eq!(ids(&rig.press(Key::Function)), ["function-cancelled"]);
    // Volume resets at power on (5.1.3.13).
    rig.send(Event::PowerOff);
    rig.on();
    assert_eq!(rig.device.volume(), Config::default().default_volume);
}

#[test]
fn every_chord_has_its_function() {
    // Right-hand keys up, left-hand keys down; the rest as the key help says.
    let table = [
        (Key::D0, Function::Repeat),
        (Key::D1, Function::Volume(false)),
        (Key::D3, Function::Volume(true)),
        (Key::D4, Function::Rate(false)),
        (Key::D6, Function::Rate(true)),
        (Key::D7, Function::Language(false)),
        (Key::D9, Function::Language(true)),
        (Key::D2, Function::Grouping),
        (Key::D5, Function::KeyHelp),
        (Key::D8, Function::Menu),
    ];
    for (key, function) in table {
        assert_eq!(function_of(key), Some(function), "red + {key}");
    }
    assert_eq!(function_of(Key::Function), None);
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    assert_eq!(ids(&rig.chord(Key::D6)), ["rate-fast"]);
    assert_eq!(ids(&rig.chord(Key::D6)), ["rate-fastest"]);
    assert_eq!(ids(&rig.chord(Key::D4)), ["rate-normal"]);
    assert_eq!(ids(&rig.chord(Key::D4)), ["rate-slow"]);
    assert_eq!(ids(&rig.chord(Key::D4)), ["rate-slowest"]);
    assert_eq!(ids(&rig.chord(Key::D9)), ["language-set"]);
    assert_eq!(rig.device.settings().lang, Lang::En);
    assert_eq!(ids(&rig.chord(Key::D7)), ["language-set"]);
    assert_eq!(rig.device.settings().lang, Lang::Da);
    assert_eq!(ids(&rig.chord(Key::D2)), ["grouping-pairs"]);
    assert_eq!(ids(&rig.chord(Key::D0)), ["grouping-pairs"], "repeat");
    assert_eq!(ids(&rig.chord(Key::D8)), ["menu"]);
    rig.press(Key::Function);
    assert_eq!(ids(&rig.chord(Key::D5)), ["key-help-on"]);
}

#[test]
fn settings_are_spoken_back_and_persisted() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    let effects = rig.chord(Key::D6);
    assert_eq!(ids(&effects), ["rate-fast"]);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Persist(r) if r.settings.rate == Rate::Fast)));
    assert_eq!(ids(&rig.chord(Key::D2)), ["grouping-pairs"]);
    rig.chord(Key::D8);
    assert_eq!(ids(&rig.press(Key::D1)), ["language-set"]);
    let effects = rig.press(Key::D1);
    let Some(Effect::Say(speech)) = effects.iter().find(|e| matches!(e, Effect::Say(_))) else {
        panic!("no speech")
    };
    assert_eq!(
        (speech.lang, speech.grouping, speech.rate),
        (Lang::En, Grouping::Pairs, Rate::Fast)
    );
    let code = current_code(&rig);
    assert_eq!(
        rig.device.screen().main_lines(),
        [format!("{} {} {}", &code[..2], &code[2..4], &code[4..])]
    );
}

#[test]
fn double_strike_window_is_adjustable_to_a_second() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    for expected in [250, 500, 750, 1000] {
        // With the window on, presses of the same key must be further apart.
        rig.advance(1000);
        rig.chord(Key::D8);
        let effects = rig.press(Key::D4);
        assert_eq!(ids(&effects), [format!("double-strike(ms={expected})")]);
    }
    assert_eq!(rig.device.settings().double_strike_ms, 1000);
    rig.advance(2000);
    rig.press(Key::D1);
    // A second press 300 ms after the first is ignored entirely.
    assert!(rig.press(Key::D1).is_empty());
    rig.advance(1000);
    assert_eq!(ids(&rig.press(Key::D1))[0], "repeating");
}

#[test]
fn key_bounce_makes_one_press() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    let mut effects = Vec::new();
    for (edge, delta) in [
        (Edge::Down, 0),
        (Edge::Up, 4),
        (Edge::Down, 3),
        (Edge::Up, 120),
        (Edge::Down, 5),
    ] {
        rig.advance(delta);
        effects.extend(rig.send(Event::Key(Key::D2, edge)));
    }
    assert_eq!(
        ids(&effects)
            .iter()
            .filter(|id| *id == "your-code-is")
            .count(),
        1
    );
}

#[test]
fn a_very_short_red_tap_never_leaves_the_key_held() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    // Down, and up again 10 ms later, inside the 30 ms debounce window.
    rig.send(Event::Key(Key::Function, Edge::Down));
    rig.advance(10);
    rig.send(Event::Key(Key::Function, Edge::Up));
    rig.advance(100);
    let effects = rig.send(Event::Tick);
    assert_eq!(
        ids(&effects),
        [
            "your-code-is".to_owned(),
            format!("code:{}", current_code(&rig))
        ],
        "the release is taken when the window ends: a tap"
    );
    rig.advance(3_000);
    let effects = rig.send(Event::Tick);
    assert!(!effects.contains(&Effect::PowerOff), "not held");
    assert!(rig.device.is_on());
}

#[test]
fn a_code_clears_when_its_step_passes_and_the_device_says_so() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.press(Key::D1);
    let step = rig.device.shown_step().unwrap();
    rig.advance(24_000);
    assert!(rig.send(Event::Tick).is_empty(), "still the same step");
    rig.advance(1_000);
    let effects = rig.send(Event::Tick);
    assert_eq!(totp().step_at(rig.now.unix_secs()).unwrap(), step + 1);
    assert_eq!(ids(&effects), ["code-expired"]);
    assert_eq!(rig.device.screen().view, View::Ready);
    // Red + 0 now repeats the expiry, never the old code.
    assert_eq!(ids(&rig.chord(Key::D0)), ["code-expired"]);
}

#[test]
fn code_expired_waits_until_the_code_has_been_said() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    // 2 s before the step ends.
    rig.advance(23_000);
    rig.press(Key::D1);
    rig.advance(2_000);
    let effects = rig.send(Event::Tick);
    assert!(ids(&effects).is_empty(), "the code is still being said");
    assert_eq!(
        rig.device.screen().view,
        View::Ready,
        "but it is off the screen at once"
    );
    assert_eq!(rig.device.screen().notice, Some(Notice::CodeExpired));
    rig.advance(6_000);
    assert_eq!(ids(&rig.send(Event::Tick)), ["code-expired"]);
    // A key press before then cancels the announcement, which can still be repeated.
    let into_step = rig.now.unix_ms % 30_000;
    rig.advance(30_000 - into_step + 27_000);
    rig.press(Key::D1);
    rig.advance(3_000);
    assert!(ids(&rig.send(Event::Tick)).is_empty());
    assert_eq!(rig.device.screen().view, View::Ready);
    assert_eq!(ids(&rig.chord(Key::D0)), ["code-expired"]);
    rig.advance(10_000);
    assert!(
        ids(&rig.send(Event::Tick)).is_empty(),
        "said once, not again later"
    );
}

#[test]
fn hotp_codes_clear_after_the_timeout() {
    let mut rig = Rig::hotp();
    rig.send(Event::Headphones(true));
    rig.on();
    let effects = rig.press(Key::D1);
    assert!(
        ids(&effects).is_empty(),
        "nothing shown before the counter is saved"
    );
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Persist(r) if r.hotp_next == Some(1))));
    assert_eq!(rig.device.screen().view, View::Working);
    assert_eq!(
        ids(&rig.send(Event::Saved)),
        ["your-code-is", "code:755224"]
    );
    rig.advance(Config::default().code_timeout_s * 1000);
    assert_eq!(ids(&rig.send(Event::Tick)), ["code-cleared"]);
    rig.press(Key::D1);
    assert_eq!(
        ids(&rig.send(Event::Saved)),
        ["your-code-is", "code:287082"]
    );
    // A failed save shows no code.
    rig.advance(Config::default().code_timeout_s * 1000);
    rig.send(Event::Tick);
    rig.press(Key::D1);
    assert_eq!(ids(&rig.send(Event::SaveFailed)), ["storage-failed"]);
    assert_eq!(rig.device.screen().view, View::Fault(Fault::StorageFailed));
}

#[test]
fn a_clock_from_before_2024_blocks_codes() {
    let mut rig = Rig::totp();
    rig.now.unix_ms = 946_684_800_000; // 2000-01-01, an RTC that lost power
    rig.send(Event::Headphones(true));
    assert_eq!(ids(&rig.on()), ["clock-wrong"]);
    assert_eq!(ids(&rig.press(Key::D1)), ["clock-wrong"]);
    assert!(rig
        .device
        .screen()
        .text()
        .starts_with("Uret er forkert\nRing til support"));
}

#[test]
fn hotp_devices_do_not_need_the_clock() {
    let mut rig = Rig::hotp();
    rig.now.unix_ms = 946_684_800_000;
    rig.send(Event::Headphones(true));
    assert_eq!(ids(&rig.on()), ["ready"]);
    rig.press(Key::D1);
    assert_eq!(
        ids(&rig.send(Event::Saved)),
        ["your-code-is", "code:755224"]
    );
}

#[test]
fn a_clock_jumping_backwards_clears_the_code_and_blocks_codes() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.press(Key::D1);
    rig.now.unix_ms -= 60_000;
    let effects = rig.send(Event::Tick);
    assert_eq!(ids(&effects), ["clock-wrong"]);
    assert_eq!(rig.device.screen().view, View::Fault(Fault::ClockWrong));
    // After a reboot the clock is still behind the saved mark.
    let record = rig.device.record();
    assert!(record.clock_mark > rig.now.unix_secs());
    let mut rebooted = Rig::with(Some(Token::Totp(totp())), record);
    rebooted.now = rig.now;
    assert_eq!(ids(&rebooted.on()), ["clock-wrong"]);
}

#[test]
fn key_help_describes_keys_and_chords_until_red_and_5() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    assert_eq!(ids(&rig.chord(Key::D5)), ["key-help-on"]);
    assert_eq!(
        ids(&rig.press(Key::D9)),
        ["key-help-key(key=9,function=language-next)"]
    );
    assert_eq!(rig.device.volume(), 4, "nothing is acted on");
    assert_eq!(
        ids(&rig.chord(Key::D3)),
        [
            "key-help-key(key=function,function=function)",
            "key-help-chord(key=3,function=volume-up)"
        ]
    );
    assert_eq!(rig.device.volume(), 4, "nor a chord");
    assert_eq!(
        ids(&rig.press(Key::D5)),
        ["key-help-key(key=5,function=key-help)"]
    );
    // One key at a time: red, then 5.
    assert_eq!(
        ids(&rig.press(Key::Function)),
        ["key-help-key(key=function,function=function)"]
    );
    assert_eq!(ids(&rig.press(Key::D5)), ["key-help-off"]);
    assert!(matches!(rig.device.screen().view, View::Ready));
    // Or together: red + 5.
    rig.chord(Key::D5);
    assert_eq!(
        ids(&rig.chord(Key::D5)),
        [
            "key-help-key(key=function,function=function)",
            "key-help-off"
        ]
    );
}

#[test]
fn activation_menu_repeats_the_serial_until_left() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.chord(Key::D8);
    let expected = ["activation-menu", "serial-number-is", "serial:KR12345678"];
    assert_eq!(ids(&rig.press(Key::D3)), expected);
    assert_eq!(rig.device.screen().main_lines()[1], "KR1 234 56 78");
    assert_eq!(ids(&rig.press(Key::D0)), expected);
    assert_eq!(ids(&rig.press(Key::Function)), ["menu-closed"]);
}

#[test]
fn menu_reports_a_key_that_is_not_a_choice() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.chord(Key::D8);
    assert_eq!(ids(&rig.press(Key::D7)), ["not-a-choice", "menu"]);
    assert_eq!(ids(&rig.press(Key::Function)), ["menu-closed"]);
}

#[test]
fn holding_the_red_key_switches_off() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.send(Event::Key(Key::Function, Edge::Down));
    rig.advance(500);
    assert!(ids(&rig.send(Event::Tick)).is_empty());
    rig.advance(500);
    assert_eq!(ids(&rig.send(Event::Tick)), ["function-mode"]);
    rig.advance(1000);
    let effects = rig.send(Event::Tick);
    assert_eq!(ids(&effects), ["powering-off"]);
    assert!(effects.contains(&Effect::PowerOff));
    assert_eq!(rig.device.screen().view, View::Off);
}

#[test]
fn auto_off_warns_first_and_a_key_extends() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.advance(150_000);
    assert_eq!(
        ids(&rig.send(Event::Tick)),
        ["auto-off-warning(seconds=30)"]
    );
    rig.chord(Key::D8);
    rig.press(Key::Function); // leave the menu: activity
    rig.advance(100_000);
    assert!(rig.send(Event::Tick).iter().all(|e| *e != Effect::PowerOff));
    rig.advance(80_000);
    let effects = rig.send(Event::Tick);
    assert!(effects.contains(&Effect::PowerOff));
}

#[test]
fn battery_warns_once_and_switches_off_when_critical() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    assert_eq!(
        ids(&rig.send(Event::Battery(14))),
        ["battery-low(percent=14)"]
    );
    assert!(ids(&rig.send(Event::Battery(12))).is_empty());
    let effects = rig.send(Event::Battery(3));
    assert_eq!(ids(&effects), ["battery-critical"]);
    assert!(effects.contains(&Effect::PowerOff));
}

#[test]
fn a_silent_device_still_shows_the_code_and_why() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.send(Event::Audio(Some(Silence::NoAudioDevice)));
    rig.press(Key::D1);
    let text = rig.device.screen().text();
    let code = current_code(&rig);
    assert!(
        text.starts_with(&format!("{} {}", &code[..3], &code[3..])),
        "{text}"
    );
    assert!(text.contains("ingen lyd"), "{text}");
}

#[test]
fn debug_output_never_holds_the_code() {
    let mut rig = Rig::totp();
    rig.send(Event::Headphones(true));
    rig.on();
    rig.press(Key::D1);
    let debug = format!("{:?}", rig.device);
    assert!(!debug.contains(&current_code(&rig)), "{debug}");
    assert!(debug.contains("code_shown: true"), "{debug}");
}

#[test]
fn without_a_secret_it_says_so() {
    let mut rig = Rig::with(None, Record::default());
    assert_eq!(ids(&rig.on()), ["not-provisioned"]);
    assert_eq!(ids(&rig.press(Key::D1)), ["not-provisioned"]);
}

thread_local! {
    static CATALOGUE: speech::Catalogue = speech::Catalogue::embedded().expect("catalogue loads");
}

/// Every prompt the core says exists in the catalogue and formats in both languages.
fn assert_in_catalogue(effects: &[Effect]) {
    CATALOGUE.with(|catalogue| {
        for effect in effects {
            let Effect::Say(speech) = effect else {
                continue;
            };
            for part in &speech.utterance.parts {
                if let Part::Prompt { id, args } = part {
                    for lang in Lang::ALL {
                        if let Err(error) = catalogue.format(lang, id, args) {
                            panic!("prompt {id} ({lang}): {error}");
                        }
                    }
                }
            }
        }
    });
}

/// A random event, with the milliseconds before it.
fn arb_step() -> impl Strategy<Value = (Event, u64)> {
    let key = (0usize..11).prop_map(|index| Key::ALL[index]);
    let edge = any::<bool>().prop_map(|down| if down { Edge::Down } else { Edge::Up });
    let event = prop_oneof![
        8 => (key, edge).prop_map(|(key, edge)| Event::Key(key, edge)),
        3 => Just(Event::Tick),
        1 => any::<bool>().prop_map(Event::Headphones),
        1 => (0u8..=100).prop_map(Event::Battery),
        1 => Just(Event::PowerOn),
        1 => Just(Event::PowerOff),
        1 => Just(Event::Saved),
        1 => Just(Event::SaveFailed),
        1 => proptest::option::of(Just(Silence::NoAudioDevice)).prop_map(Event::Audio),
    ];
    let delay = prop_oneof![4 => 0u64..400, 1 => 0u64..40_000];
    (event, delay)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Over random event sequences the core never panics, never speaks a code through the
    /// speaker without the user's opt-in (nor through unplugged headphones), and never
    /// shows a code for any time step but the current one.
    #[test]
    fn random_sequences_keep_codes_private_and_current(
        steps in proptest::collection::vec((arb_step(), 0u8..20), 1..400),
        hotp in any::<bool>(),
    ) {
        let token = if hotp {
            Token::Hotp(self::hotp())
        } else {
            Token::Totp(totp())
        };
        let mut rig = Rig::with(Some(token), Record { hotp_next: Some(0), ..Record::default() });
        // HOTP: how many counters have been handed to storage; a code may be shown only
        // once its counter is spent (a power cut must not let it be shown again).
        let mut hotp_spent = 0;
        for ((event, delay), jump) in steps {
            rig.advance(delay);
            // Now and then the wall clock jumps backwards.
            if jump == 0 {
                rig.now.unix_ms -= 45_000;
            }
            let speaker_allowed = rig.device.speaker_on();
            let headphones = rig.device.headphones();
            let effects = rig.send(event);
            assert_in_catalogue(&effects);
            for effect in &effects {
                match effect {
                    Effect::Say(speech) if speech.utterance.parts.iter().any(|p| matches!(p, Part::Code(_))) => {
                        match speech.channel {
                            Channel::Speaker => prop_assert!(speaker_allowed || rig.device.speaker_on()),
                            Channel::Headphones => prop_assert!(headphones || rig.device.headphones()),
                        }
                    }
                    Effect::Draw(Screen { view: View::Code { code }, .. }) if !hotp => {
                        prop_assert_eq!(code.to_string(), current_code(&rig));
                    }
                    Effect::Persist(record) if hotp => {
                        hotp_spent = hotp_spent.max(record.hotp_next.unwrap_or(0));
                    }
                    Effect::Draw(Screen { view: View::Code { code }, .. }) if hotp => {
                        // An HOTP code is shown only for a counter already persisted as spent.
                        let counter = (0..hotp_spent).find(|&c| self::hotp().code(c) == *code);
                        prop_assert!(
                            counter.is_some(),
                            "an HOTP code shown, but only counters below {} were persisted",
                            hotp_spent
                        );
                    }
                    _ => {}
                }
            }
            if let (View::Code { code }, false) = (rig.device.screen().view, hotp) {
                prop_assert_eq!(code.to_string(), current_code(&rig));
            }
        }
    }
}
