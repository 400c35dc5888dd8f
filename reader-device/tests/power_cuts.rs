//! Fault injection: the power is cut at every write step of the state file, thousands of
//! times, with the real runtime and store. After every cut the state must load (a torn
//! slot is reported and the other used) and no HOTP code may ever be shown twice.

use std::collections::HashMap;

use otp::{Algorithm, Digits, Hotp, Secret};
use reader_device::hw::sim::{SimAudio, SimBattery, SimDisplay, SimHeadphones, SimKeypad, SimRtc};
use reader_device::hw::{AudioOut, Hardware};
use reader_device::runtime::{Runtime, Synthesizer};
use reader_device::store::{FaultySlots, StateStore};
use reader_device::{
    Config, Device, Edge, Event, Framebuffer, Key, Now, Record, Silence, Speech, Token, View,
};

/// Speech is not under test here: say nothing, quickly.
struct Quiet;

impl Synthesizer for Quiet {
    fn speak(&mut self, speech: &Speech, audio: &mut dyn AudioOut) -> Result<(), Silence> {
        audio
            .begin(speech.channel, 16_000)
            .map_err(|_| Silence::NoAudioDevice)
    }
}

fn hotp() -> Hotp {
    Hotp::new(
        &Secret::new(b"12345678901234567890".to_vec()),
        Algorithm::Sha1,
        Digits::SIX,
    )
}

struct Life {
    runtime: Runtime<Quiet, FaultySlots>,
    mono_ms: u64,
    rtc: SimRtc,
}

fn boot(medium: FaultySlots, rtc: SimRtc) -> Life {
    let (store, loaded) = StateStore::open(medium).expect("the state always loads after a cut");
    let record = loaded.record.unwrap_or(Record {
        hotp_next: Some(0),
        ..Record::default()
    });
    let device = Device::new(
        Config::default(),
        otp::Serial::parse("KR1").unwrap(),
        Some(Token::Hotp(hotp())),
        record,
    );
    let headphones = SimHeadphones::default();
    headphones.set(true);
    let hw = Hardware {
        keys: Box::new(SimKeypad::default()),
        display: Box::new(SimDisplay::default()),
        audio: Box::new(SimAudio::default()),
        headphones: Box::new(headphones),
        battery: Box::new(SimBattery::default()),
        rtc: Box::new(rtc.clone()),
    };
    let framebuffer = Framebuffer::new(128, 64).unwrap();
    let mut life = Life {
        runtime: Runtime::new(device, hw, Quiet, store, framebuffer),
        mono_ms: 0,
        rtc,
    };
    let now = life.now();
    life.runtime.poll_sensors(now);
    life.runtime.dispatch(Event::PowerOn, now);
    life
}

impl Life {
    fn now(&mut self) -> Now {
        self.runtime.now(self.mono_ms)
    }

    fn wait(&mut self, ms: u64) {
        self.mono_ms += ms;
        self.rtc.advance(ms);
        let now = self.now();
        self.runtime.dispatch(Event::Tick, now);
    }

    fn press(&mut self, key: Key) {
        let now = self.now();
        self.runtime.dispatch(Event::Key(key, Edge::Down), now);
        self.wait(100);
        let now = self.now();
        self.runtime.dispatch(Event::Key(key, Edge::Up), now);
        self.wait(200);
    }

    fn shown_code(&self) -> Option<String> {
        match self.runtime.device().screen().view {
            View::Code { code } => Some(code.to_string()),
            _ => None,
        }
    }
}

/// What one device life did.
struct Outcome {
    /// The HOTP counters of the codes shown, in order.
    shown: Vec<u64>,
    was_cut: bool,
    /// Write steps taken before the cut (or in all, without one).
    steps: u64,
}

/// One device life with a cut at `cut_at` (or none): presses for codes (and changes a
/// setting between them) until the power goes, reboots, and presses some more.
fn life_with_a_cut(
    chunk: usize,
    cut_at: Option<u64>,
    garbage: bool,
    counters: &HashMap<String, u64>,
) -> Outcome {
    let rtc = SimRtc::new(1_750_000_000_000);
    let mut life = boot(FaultySlots::new(chunk, cut_at, garbage), rtc.clone());
    let mut shown = Vec::new();
    let mut was_cut = false;
    let mut steps = 0;
    for round in 0..12 {
        if round % 3 == 2 {
            // Red + 6 (faster speech): a settings write between codes.
            let now = life.now();
            life.runtime
                .dispatch(Event::Key(Key::Function, Edge::Down), now);
            life.wait(100);
            life.press(Key::D6);
            let now = life.now();
            life.runtime
                .dispatch(Event::Key(Key::Function, Edge::Up), now);
            life.wait(200);
        } else {
            life.press(Key::D1);
            if let Some(code) = life.shown_code() {
                shown.push(counters[&code]);
            }
            life.wait(61_000);
        }
        let (device, hw, synth, store) = life.runtime.into_parts();
        steps = steps.max(store.medium().steps());
        if store.medium().is_cut() && !was_cut {
            was_cut = true;
            drop((device, hw, synth));
            life = boot(store.into_medium().reboot(), rtc.clone());
        } else {
            life.runtime =
                Runtime::new(device, hw, synth, store, Framebuffer::new(128, 64).unwrap());
        }
    }
    Outcome {
        shown,
        was_cut,
        steps,
    }
}

#[test]
fn no_hotp_code_is_ever_shown_twice_across_thousands_of_power_cuts() {
    let hotp = hotp();
    let counters: HashMap<String, u64> = (0..200)
        .map(|counter| (hotp.code(counter).to_string(), counter))
        .collect();
    assert_eq!(
        counters.len(),
        200,
        "the first 200 codes are distinct, so codes name counters"
    );
    let mut cuts = 0;
    for chunk in [1, 2, 4, 16, 64] {
        let uncut = life_with_a_cut(chunk, None, false, &counters);
        assert_eq!(uncut.shown.len(), 8);
        // A cut at every write step of a whole life, torn slots with and without garbage.
        for cut_at in 1..=uncut.steps {
            let garbage = cut_at % 2 == 0;
            let Outcome { shown, was_cut, .. } =
                life_with_a_cut(chunk, Some(cut_at), garbage, &counters);
            assert!(was_cut, "cut at step {cut_at} of {}", uncut.steps);
            cuts += 1;
            // Strictly increasing counters: no code shown twice, none reused after a cut.
            assert!(
                shown.windows(2).all(|pair| pair[0] < pair[1]),
                "a counter was reused (chunk {chunk}, cut at {cut_at}): {shown:?}"
            );
            assert!(!shown.is_empty(), "codes are still shown after the reboot");
        }
    }
    println!("{cuts} power cuts: one at every write step of a device life, for 5 write sizes");
    assert!(cuts >= 3_000, "only {cuts} lives were cut");
}
