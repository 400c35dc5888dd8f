//! A deterministic simulation of the whole device program: the real runtime, the real
//! speech synthesis (voice pack, espeak-ng fallback) and simulated hardware with faults
//! injected — the audio device disappearing and coming back, headphones pulled, the clock
//! jumping — over random key sequences on a virtual clock.

use std::sync::{Arc, Mutex};

use otp::{Secret, Totp};
use proptest::prelude::*;
use reader_device::hw::sim::{SimAudio, SimBattery, SimDisplay, SimHeadphones, SimKeypad, SimRtc};
use reader_device::hw::Hardware;
use reader_device::runtime::{Runtime, SpeechSynth};
use reader_device::store::{MemorySlots, StateStore};
use reader_device::{
    Channel, Config, Device, Edge, Event, Framebuffer, Key, Record, Silence, Token, View,
};
use speech::Part;

#[derive(Debug, Clone)]
enum Action {
    Press(Key),
    Hold(Key, u64),
    Headphones(bool),
    AudioLost(bool),
    ClockJump(i64),
    Wait(u64),
}

fn action() -> impl Strategy<Value = Action> {
    let key = (0usize..11).prop_map(|i| Key::ALL[i]);
    prop_oneof![
        10 => key.clone().prop_map(Action::Press),
        1 => (key, 0u64..3000).prop_map(|(k, ms)| Action::Hold(k, ms)),
        2 => any::<bool>().prop_map(Action::Headphones),
        1 => any::<bool>().prop_map(Action::AudioLost),
        1 => (-120i64..120).prop_map(|s| Action::ClockJump(s * 1000)),
        2 => (0u64..40_000).prop_map(Action::Wait),
    ]
}

/// What the synthesizer was asked to say: channel and whether it held a code.
type Said = Arc<Mutex<Vec<(Channel, bool)>>>;

struct Sim {
    runtime: Runtime<SpeechSynth, MemorySlots>,
    headphones: SimHeadphones,
    audio: SimAudio,
    display: SimDisplay,
    rtc: SimRtc,
    mono: u64,
    said: Said,
}

fn voice() -> speech::Voice {
    let pack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice-packs/da");
    speech::Voice::pack(&pack)
        .or_else(|_| speech::Voice::espeak())
        .expect("a voice pack or espeak-ng (apt install espeak-ng-data libespeak-ng-dev)")
}

impl Sim {
    fn new() -> Sim {
        let (headphones, audio, display) = (
            SimHeadphones::default(),
            SimAudio::default(),
            SimDisplay::default(),
        );
        let rtc = SimRtc::new(1_750_000_000_000);
        let said: Said = Arc::default();
        let log = Arc::clone(&said);
        let synth = SpeechSynth::new(speech::Catalogue::embedded().unwrap(), Some(voice()), 10)
            .with_captions(Box::new(move |speech, _words| {
                let code = speech
                    .utterance
                    .parts
                    .iter()
                    .any(|part| matches!(part, Part::Code(_)));
                log.lock().unwrap().push((speech.channel, code));
            }));
        let hw = Hardware {
            keys: Box::new(SimKeypad::default()),
            display: Box::new(display.clone()),
            audio: Box::new(audio.clone()),
            headphones: Box::new(headphones.clone()),
            battery: Box::new(SimBattery::default()),
            rtc: Box::new(rtc.clone()),
        };
        let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let device = Device::new(
            Config::default(),
            "1234567890".into(),
            Some(Token::Totp(Totp::mitid(&secret))),
            Record::default(),
        );
        let (store, _) = StateStore::open(MemorySlots::default()).unwrap();
        let runtime = Runtime::new(
            device,
            hw,
            synth,
            store,
            Framebuffer::new(240, 240).unwrap(),
        );
        let mut sim = Sim {
            runtime,
            headphones,
            audio,
            display,
            rtc,
            mono: 0,
            said,
        };
        sim.event(Event::PowerOn);
        sim
    }

    fn event(&mut self, event: Event) {
        let now = self.runtime.now(self.mono);
        self.runtime.poll_sensors(now);
        self.runtime.dispatch(event, now);
    }

    fn wait(&mut self, ms: u64) {
        self.mono += ms;
        self.rtc.advance(ms);
        self.event(Event::Tick);
    }

    fn act(&mut self, action: &Action) {
        match action {
            Action::Press(key) => {
                self.event(Event::Key(*key, Edge::Down));
                self.wait(90);
                self.event(Event::Key(*key, Edge::Up));
                self.wait(150);
            }
            Action::Hold(key, ms) => {
                self.event(Event::Key(*key, Edge::Down));
                for _ in 0..ms / 100 {
                    self.wait(100);
                }
                self.event(Event::Key(*key, Edge::Up));
                self.wait(150);
            }
            Action::Headphones(plugged) => {
                self.headphones.set(*plugged);
                self.wait(50);
            }
            Action::AudioLost(lost) => self
                .audio
                .set_unavailable(lost.then_some("unplugged USB sound card")),
            Action::ClockJump(ms) => {
                let now = self.runtime.now(self.mono).unix_ms;
                self.rtc.set(now.saturating_add_signed(*ms));
                self.wait(10);
            }
            Action::Wait(ms) => self.wait(*ms),
        }
    }
}

fn current_code(unix_ms: u64) -> String {
    let secret = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    Totp::mitid(&secret)
        .code_at(unix_ms / 1000)
        .unwrap()
        .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_program_keeps_codes_private_current_and_visible(actions in proptest::collection::vec(action(), 1..120)) {
        let mut sim = Sim::new();
        for action in &actions {
            sim.act(action);
            // Codes reach the speaker only after the user chose it; headphones only when in.
            for (channel, code) in sim.said.lock().unwrap().drain(..) {
                if code {
                    match channel {
                        Channel::Speaker => prop_assert!(sim.runtime.device().speaker_on(), "code on the speaker after {action:?}"),
                        Channel::Headphones => prop_assert!(sim.runtime.device().headphones(), "code to unplugged headphones after {action:?}"),
                    }
                }
            }
            // What the panel shows is the device's screen, and a shown code is current.
            let screen = sim.display.screen();
            prop_assert_eq!(screen.as_ref(), Some(&sim.runtime.device().screen()));
            if let Some(View::Code { digits }) = screen.map(|s| s.view) {
                let unix_ms = sim.runtime.now(sim.mono).unix_ms;
                prop_assert_eq!(digits, current_code(unix_ms));
            }
        }
    }
}

#[test]
fn losing_the_audio_device_shows_why_and_keeps_the_code() {
    let mut sim = Sim::new();
    sim.headphones.set(true);
    sim.wait(10);
    sim.audio.set_unavailable(Some("no sound card"));
    sim.act(&Action::Press(Key::D1));
    let screen = sim.display.screen().unwrap();
    assert!(matches!(screen.view, View::Code { .. }));
    assert_eq!(screen.status.silence, Some(Silence::NoAudioDevice));
    // The sound card comes back: the next utterance clears the status.
    sim.audio.set_unavailable(None);
    sim.act(&Action::Press(Key::D1));
    assert_eq!(sim.display.screen().unwrap().status.silence, None);
    let played = sim.audio.played();
    // After "ready" (said before the headphones went in) everything went to the headphones.
    assert!(
        played
            .iter()
            .skip(1)
            .all(|p| p.channel == Channel::Headphones),
        "{:?}",
        played.iter().map(|p| p.channel).collect::<Vec<_>>()
    );
    assert!(
        played.iter().any(|p| !p.samples.is_empty()),
        "speech was really synthesised"
    );
}
