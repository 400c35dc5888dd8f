//! Tests of the voice menu's state machine on the shipped flows.

use super::*;
use proptest::prelude::*;
use speech::Part;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

/// A Wednesday at noon: open.
fn open() -> NaiveDateTime {
    at("2026-11-25 12:00")
}

/// A Wednesday evening: closed, opens tomorrow at 8.
fn closed() -> NaiveDateTime {
    at("2026-11-25 21:00")
}

fn flows() -> FlowSet {
    FlowSet::shipped().unwrap()
}

fn press(ivr: &mut Ivr, keys: &str, now: NaiveDateTime) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| ivr.handle(Input::Key(Key::from_char(c).unwrap()), now))
        .collect()
}

fn prompt_ids(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say(_, u) => Some(u),
            _ => None,
        })
        .flat_map(|u| u.parts.iter())
        .filter_map(|p| match p {
            Part::Prompt { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn texts(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say(_, u) => Some(u),
            _ => None,
        })
        .flat_map(|u| u.parts.iter())
        .filter_map(|p| match p {
            Part::Text(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn answers_in_danish_with_the_menu_and_9_for_english() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    let effects = ivr.start();
    assert!(matches!(&effects[0], Effect::Say(Lang::Da, _)));
    let ids = prompt_ids(&effects);
    assert_eq!(&ids[..2], ["phone-welcome", "phone-menu-intro"]);
    assert_eq!(
        ids[ids.len() - 2..],
        ["phone-hints", "phone-choose-language"]
    );
    assert_eq!(ids.iter().filter(|id| *id == "phone-menu-item").count(), 5);
    assert_eq!(effects.last(), Some(&Effect::Listen));

    // "For English, press 9" is said in English.
    assert!(matches!(
        &effects[effects.len() - 2],
        Effect::Say(Lang::En, _)
    ));

    let english = press(&mut ivr, "9", open());
    assert!(matches!(&english[0], Effect::Say(Lang::En, _)));
    // ...and "Tryk 9 for dansk" in Danish.
    assert!(matches!(
        &english[english.len() - 2],
        Effect::Say(Lang::Da, _)
    ));
    assert_eq!(ivr.lang(), Lang::En);
}

#[test]
fn walks_the_setup_flow_to_its_end() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let effects = press(&mut ivr, "1111111111", open());
    assert_eq!(ivr.ending(), Some(Ending::Resolved));
    assert_eq!(effects.last(), Some(&Effect::HangUp));
    assert_eq!(
        ivr.visited(),
        [
            "menu",
            "setup-reader/unpack",
            "setup-reader/headphones",
            "setup-reader/switch-on",
            "setup-reader/volume",
            "setup-reader/serial",
            "setup-reader/activation-code",
            "setup-reader/activate",
            "setup-reader/test-login",
            "setup-reader/done",
        ]
    );
    // Keys after the end do nothing.
    assert!(press(&mut ivr, "1", open()).is_empty());
}

#[test]
fn star_repeats_and_hash_goes_back() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let first = press(&mut ivr, "11", open());
    let again = press(&mut ivr, "*", open());
    assert_eq!(texts(&again), texts(&first[first.len() - 2..]));
    assert_eq!(ivr.place(), Some(Place::Step { flow: 0, step: 1 }));
    press(&mut ivr, "#", open());
    assert_eq!(ivr.place(), Some(Place::Step { flow: 0, step: 0 }));
    press(&mut ivr, "#", open());
    assert_eq!(ivr.place(), Some(Place::Menu));
    // Nowhere further back: the menu is said again.
    let menu = press(&mut ivr, "#", open());
    assert!(prompt_ids(&menu).contains(&"phone-menu-intro".to_owned()));
}

#[test]
fn invalid_keys_are_said_and_the_step_repeated() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let effects = press(&mut ivr, "7", open());
    assert_eq!(prompt_ids(&effects)[0], "phone-invalid-key");
    assert_eq!(ivr.place(), Some(Place::Menu));
    press(&mut ivr, "1", open());
    let effects = press(&mut ivr, "5", open());
    assert_eq!(prompt_ids(&effects)[0], "phone-invalid-key");
    assert_eq!(ivr.place(), Some(Place::Step { flow: 0, step: 0 }));
}

#[test]
fn zero_queues_when_open() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let effects = press(&mut ivr, "10", open());
    assert_eq!(effects.last(), Some(&Effect::Queue));
    assert_eq!(ivr.place(), Some(Place::Queue(Waiting::Holding)));
}

#[test]
fn zero_when_closed_tells_the_hours_and_stays() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let effects = press(&mut ivr, "0", closed());
    let Effect::Say(_, first) = &effects[0] else {
        panic!("says something first")
    };
    assert_eq!(
        first.parts,
        Utterance::default()
            .then_prompt_with(
                "phone-closed",
                &[
                    ("weekday_open", "8"),
                    ("weekday_close", "20"),
                    ("weekend_open", "10"),
                    ("weekend_close", "16")
                ]
            )
            .then_prompt_with("phone-opens-tomorrow", &[("hour", "8")])
            .parts
    );
    assert_eq!(ivr.place(), Some(Place::Menu));
    // Early morning on a Saturday: opens today at 10.
    let effects = press(&mut ivr, "0", at("2026-11-28 07:00"));
    assert!(prompt_ids(&effects).contains(&"phone-opens-today".to_owned()));
}

#[test]
fn three_silences_then_agent_or_goodbye() {
    let flows = flows();
    for (now, ending, last) in [
        (open(), None, Effect::Queue),
        (closed(), Some(Ending::NoInput), Effect::HangUp),
    ] {
        let mut ivr = Ivr::new(&flows);
        ivr.start();
        for _ in 0..2 {
            let effects = ivr.handle(Input::Silence, now);
            assert_eq!(prompt_ids(&effects)[0], "phone-no-input");
            assert_eq!(effects.last(), Some(&Effect::Listen));
        }
        let effects = ivr.handle(Input::Silence, now);
        assert_eq!(effects.last(), Some(&last));
        assert_eq!(ivr.ending(), ending);
    }
}

#[test]
fn a_key_resets_the_silence_count() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    ivr.handle(Input::Silence, open());
    ivr.handle(Input::Silence, open());
    press(&mut ivr, "*", open());
    ivr.handle(Input::Silence, open());
    let effects = ivr.handle(Input::Silence, open());
    assert_eq!(effects.last(), Some(&Effect::Listen));
}

#[test]
fn agent_step_when_closed_says_hours_and_goodbye() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    // code-refused → blocked (an agent step).
    let effects = press(&mut ivr, "32", closed());
    assert_eq!(ivr.ending(), Some(Ending::ClosedToldHours));
    let ids = prompt_ids(&effects);
    assert!(ids.ends_with(&[
        "phone-closed".to_owned(),
        "phone-opens-tomorrow".to_owned(),
        "phone-call-again".to_owned(),
        "phone-goodbye".to_owned()
    ]));
    assert_eq!(effects.last(), Some(&Effect::HangUp));
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        Just(Input::Silence),
        prop_oneof![
            Just(UnlockResult::Unlocked),
            Just(UnlockResult::WrongCodes),
            Just(UnlockResult::UnknownSerial),
            Just(UnlockResult::Unavailable),
        ]
        .prop_map(Input::Unlocked),
        (1u32..30, 1u32..90)
            .prop_map(|(position, minutes)| Input::Queued(queue::Place { position, minutes })),
        Just(Input::AgentTook),
        "[0-9*#]".prop_map(|s| Input::Key(Key::from_char(s.chars().next().unwrap()).unwrap())),
    ]
}

proptest! {
    #[test]
    fn every_prompt_said_is_in_the_catalogue_and_every_turn_ends_sensibly(
        inputs in proptest::collection::vec(input(), 0..40),
        minute in 0u32..(7 * 24 * 60),
    ) {
        let catalogue = speech::Catalogue::embedded().unwrap();
        let flows = flows();
        let now = at("2026-11-23 00:00") + chrono::Duration::minutes(i64::from(minute));
        let mut ivr = Ivr::new(&flows).with_caller(PhoneNumber::parse("+4533980010"));
        let mut turns = vec![ivr.start()];
        for input in inputs {
            turns.push(ivr.handle(input, now));
        }
        for effects in &turns {
            for id in prompt_ids(effects) {
                prop_assert!(catalogue.contains(&id), "{id} missing from phone.ftl");
            }
            for effect in effects {
                if let Effect::Say(lang, utterance) = effect {
                    for part in &utterance.parts {
                        if let Part::Prompt { id, args } = part {
                            prop_assert!(catalogue.format(*lang, id, args).is_ok());
                        }
                    }
                }
            }
            // A turn waits for a key or the service's answer, ends the call, or (after
            // the end, or while the service is asked, or a stray answer) is empty.
            match effects.last() {
                None => {}
                Some(Effect::Say(_, words)) => prop_assert_eq!(
                    words,
                    &Utterance::prompt("phone-agent-connecting")
                ),
                Some(last) => prop_assert!(matches!(
                    last,
                    Effect::Listen | Effect::Hold | Effect::Queue | Effect::HangUp | Effect::Unlock(_)
                )),
            }
        }
    }
}

/// The keys of a self-service unlock after the menu: flow 3, choice 4, then the serial,
/// the first and the second code, each ended by #.
fn unlock_keys(serial: &str, first: &str, second: &str) -> String {
    format!("34{serial}#{first}#{second}#")
}

fn said_anything(effects: &[Effect]) -> String {
    let mut all = prompt_ids(effects).join(" ");
    all.push_str(&texts(effects).join(" "));
    for effect in effects {
        if let Effect::Say(_, u) = effect {
            for part in &u.parts {
                if let Part::Prompt { args, .. } = part {
                    for (_, value) in args {
                        all.push_str(value);
                    }
                }
            }
        }
    }
    all
}

#[test]
fn keyed_unlock_asks_the_service_and_never_says_a_code() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    let effects = press(
        &mut ivr,
        &unlock_keys("20261125", "482079", "913375"),
        open(),
    );
    let Some(Effect::Unlock(request)) = effects.last() else {
        panic!("no unlock asked: {effects:?}");
    };
    assert_eq!(
        (
            request.serial.as_str(),
            request.first.as_str(),
            request.second.as_str()
        ),
        ("20261125", "482079", "913375")
    );
    assert_eq!(ivr.place(), Some(Place::Unlock(Stage::Checking)));
    assert_eq!(ivr.serial_keyed(), Some("20261125"));
    // Neither code is said, nor printed by Debug (of the effects or of the menu).
    let said = said_anything(&effects);
    let printed = format!("{effects:?} {ivr:?}");
    for code in ["482079", "913375"] {
        assert!(!said.contains(code), "{said}");
        assert!(!printed.contains(code), "{printed}");
    }
    assert!(ivr.visited().ends_with(&[
        "code-refused/self-unlock".to_owned(),
        "unlock/serial".to_owned(),
        "unlock/first-code".to_owned(),
        "unlock/second-code".to_owned(),
        "unlock/checking".to_owned(),
    ]));
    // Keys while the service is asked do nothing; its yes ends the call resolved.
    assert!(press(&mut ivr, "5", open()).is_empty());
    let effects = ivr.handle(Input::Unlocked(UnlockResult::Unlocked), open());
    assert_eq!(prompt_ids(&effects), ["phone-unlock-done", "phone-goodbye"]);
    assert_eq!(effects.last(), Some(&Effect::HangUp));
    assert_eq!(ivr.ending(), Some(Ending::Resolved));
}

#[test]
fn wrong_codes_twice_go_to_an_agent_and_star_clears_an_entry() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    // "99*" is cleared by the star; a 5-digit code is refused with its length said.
    let effects = press(&mut ivr, "3499*7#12345#", open());
    assert!(prompt_ids(&effects).contains(&"phone-unlock-code-length".to_owned()));
    let effects = press(&mut ivr, "111111#222222#", open());
    let Some(Effect::Unlock(request)) = effects.last() else {
        panic!()
    };
    assert_eq!(request.serial, "7");
    let effects = ivr.handle(Input::Unlocked(UnlockResult::WrongCodes), open());
    assert_eq!(
        prompt_ids(&effects),
        ["phone-unlock-wrong", "phone-unlock-first"]
    );
    assert_eq!(ivr.place(), Some(Place::Unlock(Stage::FirstCode)));
    press(&mut ivr, "333333#444444#", open());
    let effects = ivr.handle(Input::Unlocked(UnlockResult::WrongCodes), open());
    assert_eq!(effects.last(), Some(&Effect::Queue));
    assert_eq!(ivr.place(), Some(Place::Queue(Waiting::Holding)));
    // The agent sees the serial as keyed, and no code.
    let context = ivr.context();
    assert_eq!(context.serial.as_deref(), Some("7"));
    assert!(context.steps.iter().any(|s| s == "unlock/second-code"));
    // What the agents' console gets carries none of the codes keyed.
    let mut board = queue::Board::default();
    let id = board.arrive(context.clone(), 0);
    let shown = format!(
        "{:?} {}",
        context,
        serde_json::to_string(&board.view(id, 0)).unwrap()
    );
    for code in ["111111", "222222", "333333", "444444", "12345"] {
        assert!(
            !shown.contains(code),
            "{code} reached the hand-over: {shown}"
        );
    }
}

fn queued(ivr: &mut Ivr, position: u32, minutes: u32) -> Vec<Effect> {
    ivr.handle(Input::Queued(queue::Place { position, minutes }), open())
}

#[test]
fn the_queue_tells_the_place_and_the_wait_and_offers_a_call_back() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows).with_caller(PhoneNumber::parse("+4533980010"));
    ivr.start();
    press(&mut ivr, "0", open());
    let effects = queued(&mut ivr, 2, 4);
    let Effect::Say(Lang::Da, words) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        words,
        &Utterance::default()
            .then_prompt_with("phone-queue-place", &[("position", "2"), ("minutes", "4")])
            .then_prompt("phone-callback-offer")
    );
    assert_eq!(effects.last(), Some(&Effect::Hold));
    // Silence and other keys: still holding, nothing said.
    assert_eq!(ivr.handle(Input::Silence, open()), [Effect::Hold]);
    assert_eq!(press(&mut ivr, "5", open()), [Effect::Hold]);
    // 1: the number is read back digit by digit and must be confirmed.
    let effects = press(&mut ivr, "1", open());
    assert_eq!(
        prompt_ids(&effects),
        ["phone-callback-confirm", "phone-callback-confirm-keys"]
    );
    assert_eq!(texts(&effects), ["4, 5. 3, 3. 9, 8. 0, 0. 1, 0"]);
    assert_eq!(effects.last(), Some(&Effect::Listen));
    let effects = press(&mut ivr, "1", open());
    assert_eq!(
        effects.first(),
        Some(&Effect::Callback(
            PhoneNumber::parse("+4533980010").unwrap()
        ))
    );
    assert_eq!(effects.last(), Some(&Effect::HangUp));
    assert_eq!(ivr.ending(), Some(Ending::CallbackBooked));
}

#[test]
fn a_call_back_number_can_be_keyed_and_star_keeps_the_place() {
    let flows = flows();
    // No number from the network: the caller keys one.
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    press(&mut ivr, "0", open());
    queued(&mut ivr, 1, 1);
    let effects = press(&mut ivr, "1", open());
    assert_eq!(prompt_ids(&effects), ["phone-callback-key-number"]);
    // Too short: said, and asked again.
    let effects = press(&mut ivr, "12#", open());
    assert_eq!(
        prompt_ids(&effects),
        ["phone-invalid-key", "phone-callback-key-number"]
    );
    press(&mut ivr, "33980010#", open());
    assert_eq!(ivr.place(), Some(Place::Queue(Waiting::Confirm)));
    // * goes back to holding, in the same place; an announcement is said again.
    let effects = press(&mut ivr, "*", open());
    assert_eq!(prompt_ids(&effects), ["phone-queue-still"]);
    assert_eq!(ivr.place(), Some(Place::Queue(Waiting::Holding)));
    // 2 while confirming keys another number.
    press(&mut ivr, "1", open());
    press(&mut ivr, "33980010#", open());
    press(&mut ivr, "2", open());
    assert_eq!(ivr.place(), Some(Place::Queue(Waiting::KeyNumber)));
    press(&mut ivr, "70101010#", open());
    let effects = press(&mut ivr, "1", open());
    assert_eq!(
        effects.first(),
        Some(&Effect::Callback(PhoneNumber::parse("70101010").unwrap()))
    );
}

#[test]
fn an_agent_taking_the_call_ends_the_menu() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    press(&mut ivr, "0", open());
    let effects = ivr.handle(Input::AgentTook, open());
    assert_eq!(prompt_ids(&effects), ["phone-agent-connecting"]);
    assert_eq!(ivr.ending(), Some(Ending::Queued));
    assert!(ivr.handle(Input::Silence, open()).is_empty());
}

#[test]
fn one_language_is_not_offered_another() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows).with_languages(&[Lang::En]);
    let effects = ivr.start();
    assert!(effects
        .iter()
        .all(|e| !matches!(e, Effect::Say(Lang::Da, _))));
    assert!(!prompt_ids(&effects).contains(&"phone-choose-language".to_owned()));
    let effects = press(&mut ivr, "9", open());
    assert_eq!(prompt_ids(&effects)[0], "phone-invalid-key");
    assert_eq!(ivr.lang(), Lang::En);
}

#[test]
fn the_hand_over_names_the_flow_and_steps() {
    let flows = flows();
    let mut ivr = Ivr::new(&flows);
    ivr.start();
    press(&mut ivr, "9", open());
    press(&mut ivr, "3", open());
    let context = ivr.context();
    assert_eq!(context.lang, Lang::En);
    let flow = context.flow.expect("in a flow");
    assert!(context
        .steps
        .last()
        .unwrap()
        .starts_with(&format!("{flow}/")));
}

#[test]
fn the_configured_hours_decide_and_are_said() {
    let flows = flows();
    let hours = OpeningHours {
        weekdays: (9, 15),
        weekends: (11, 13),
    };
    let mut ivr = Ivr::new(&flows).with_hours(hours);
    ivr.start();
    // Wednesday 16:00: open on the published hours, closed on these.
    let effects = press(&mut ivr, "0", at("2026-11-25 16:00"));
    let Effect::Say(_, words) = &effects[0] else {
        panic!("{effects:?}")
    };
    let Part::Prompt { id, args } = &words.parts[0] else {
        panic!("{words:?}")
    };
    assert_eq!(id, "phone-closed");
    assert!(args.contains(&("weekday_close".to_owned(), "15".to_owned())));
    assert!(args.contains(&("weekend_open".to_owned(), "11".to_owned())));
    assert!(prompt_ids(&effects).contains(&"phone-opens-tomorrow".to_owned()));
    assert_eq!(ivr.place(), Some(Place::Menu));
}
