//! DTMF keypad tones: synthesis (for tests and test calls) and detection with the Goertzel
//! algorithm, timed after ITU-T Q.24: a tone of 40 ms or more is a key, one of 20 ms or
//! less is not, and a pause of 40 ms separates two presses.

use crate::ivr::Key;

/// Row (low group) frequencies in Hz.
pub const LOW: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// Column (high group) frequencies in Hz; the fourth column holds A–D, not on phones.
pub const HIGH: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

const KEYPAD: [[Option<Key>; 4]; 4] = [
    [
        Some(Key::Digit(1)),
        Some(Key::Digit(2)),
        Some(Key::Digit(3)),
        None,
    ],
    [
        Some(Key::Digit(4)),
        Some(Key::Digit(5)),
        Some(Key::Digit(6)),
        None,
    ],
    [
        Some(Key::Digit(7)),
        Some(Key::Digit(8)),
        Some(Key::Digit(9)),
        None,
    ],
    [Some(Key::Star), Some(Key::Digit(0)), Some(Key::Hash), None],
];

/// The (low, high) frequencies of a key.
pub fn frequencies(key: Key) -> (f32, f32) {
    for (row, keys) in KEYPAD.iter().enumerate() {
        for (column, k) in keys.iter().enumerate() {
            if *k == Some(key) {
                return (LOW[row], HIGH[column]);
            }
        }
    }
    unreachable!("every Key is on the keypad")
}

/// How a synthesized key press sounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Press {
    pub tone_ms: u32,
    pub pause_ms: u32,
    /// Peak amplitude of each of the two sines, 0–1 of full scale.
    pub amplitude: f32,
    /// Frequency error applied to both tones, e.g. 0.015 for +1.5 %.
    pub offset: f32,
    /// High-group level relative to the low group, in dB.
    pub twist_db: f32,
}

impl Default for Press {
    fn default() -> Self {
        Press {
            tone_ms: 70,
            pause_ms: 70,
            amplitude: 0.25,
            offset: 0.0,
            twist_db: 0.0,
        }
    }
}

/// Samples of silence.
pub fn silence(rate: u32, ms: u32) -> Vec<i16> {
    vec![0; (rate as u64 * ms as u64 / 1000) as usize]
}

/// One key's tone followed by its pause.
pub fn synthesize_key(key: Key, rate: u32, press: Press) -> Vec<i16> {
    let (low, high) = frequencies(key);
    let (low, high) = (low * (1.0 + press.offset), high * (1.0 + press.offset));
    let high_gain = 10f32.powf(press.twist_db / 20.0);
    let n = (rate as u64 * press.tone_ms as u64 / 1000) as usize;
    let mut samples: Vec<i16> = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let value = press.amplitude
                * ((std::f32::consts::TAU * low * t).sin()
                    + high_gain * (std::f32::consts::TAU * high * t).sin());
            (value.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16
        })
        .collect();
    samples.extend(silence(rate, press.pause_ms));
    samples
}

/// A sequence of keys ("1*#"); characters that are not keys are an error.
pub fn synthesize(keys: &str, rate: u32, press: Press) -> Result<Vec<i16>, NotAKey> {
    let mut samples = Vec::new();
    for c in keys.chars() {
        let key = Key::from_char(c).ok_or(NotAKey(c))?;
        samples.extend(synthesize_key(key, rate, press));
    }
    Ok(samples)
}

/// A character that is not a keypad key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a keypad key (0–9, * or #)")]
pub struct NotAKey(pub char);

/// Goertzel power of one frequency over a window.
fn goertzel(window: &[f32], freq: f32, rate: f32) -> f32 {
    let coefficient = 2.0 * (std::f32::consts::TAU * freq / rate).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for x in window {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

/// Streaming DTMF detector: push samples, get each key once per press.
#[derive(Debug, Clone)]
pub struct Detector {
    rate: u32,
    window: Vec<f32>,
    window_len: usize,
    hop: usize,
    since_hop: usize,
    /// What the last analysed windows held (see [`Detector::analyse`]) and how many
    /// windows in a row.
    seen: Option<Option<Key>>,
    run: usize,
    /// Whether the current press has been reported (wait for a pause before the next).
    reported: bool,
    quiet_run: usize,
}

/// Windows in a row (10 ms apart, 25.6 ms long) that make a key.
const KEY_WINDOWS: usize = 2;
/// Windows in a row without a tone that end a press (a 40 ms pause).
const PAUSE_WINDOWS: usize = 2;
/// The two tones must hold this share of the window's energy (a tone 1.5 % off its
/// nominal frequency still holds about half at a 205-sample window).
const MIN_TONE_SHARE: f32 = 0.4;
/// Relative frequency error that Q.24 says must not be recognised.
const REJECT_OFFSET: f32 = 0.035;
/// Quietest accepted signal, as RMS of full scale (about −40 dBFS).
const MIN_RMS: f32 = 0.01;
/// Each tone must be this many times stronger than the next in its group (≈ 8 dB).
const MIN_PEAK_RATIO: f32 = 6.0;
/// Accepted twist: the high tone from 8 dB below to 4 dB above the low tone, with 1 dB of
/// margin for the window's leakage.
const TWIST_DB: (f32, f32) = (-9.0, 5.0);
/// A window counts only when its quieter half holds at least this share of its louder
/// half's energy, i.e. the tone fills about 3/4 of it or more; so 20 ms tones (never 2
/// windows in a row) are rejected and 40 ms tones (always 2 or more) accepted.
const MIN_HALF_BALANCE: f32 = 0.5;

impl Detector {
    /// A detector for a sample rate (8000 Hz on phone lines; others work too).
    pub fn new(rate: u32) -> Self {
        let window_len = (rate as usize * 205 / 8000).max(32);
        Detector {
            rate,
            window: Vec::with_capacity(window_len),
            window_len,
            hop: (rate as usize / 100).max(1),
            since_hop: 0,
            seen: None,
            run: 0,
            reported: false,
            quiet_run: PAUSE_WINDOWS,
        }
    }

    /// Feeds one sample; returns a key when a new press is recognised.
    pub fn push(&mut self, sample: i16) -> Option<Key> {
        let x = f32::from(sample) / f32::from(i16::MAX);
        if self.window.len() == self.window_len {
            self.window.remove(0);
        }
        self.window.push(x);
        self.since_hop += 1;
        if self.window.len() < self.window_len || self.since_hop < self.hop {
            return None;
        }
        self.since_hop = 0;
        let key = self.analyse();
        if key.is_some() {
            self.quiet_run = 0;
        } else {
            self.quiet_run += 1;
            if self.quiet_run >= PAUSE_WINDOWS {
                self.reported = false;
            }
        }
        if self.seen == key {
            self.run += 1;
        } else {
            self.seen = key;
            self.run = 1;
        }
        match key {
            Some(Some(key)) if self.run >= KEY_WINDOWS && !self.reported => {
                self.reported = true;
                Some(key)
            }
            _ => None,
        }
    }

    /// The key of the current window: `None` for no tone, `Some(None)` for a valid tone
    /// pair that is not a phone key (A–D).
    fn analyse(&self) -> Option<Option<Key>> {
        let n = self.window.len() as f32;
        let energy: f32 = self.window.iter().map(|x| x * x).sum();
        if (energy / n).sqrt() < MIN_RMS {
            return None;
        }
        let (first, second) = self.window.split_at(self.window.len() / 2);
        let half_energy = |half: &[f32]| half.iter().map(|x| x * x).sum::<f32>();
        let (a, b) = (half_energy(first), half_energy(second));
        if a.min(b) < MIN_HALF_BALANCE * a.max(b) {
            return None;
        }
        let rate = self.rate as f32;
        let low: Vec<f32> = LOW
            .iter()
            .map(|f| goertzel(&self.window, *f, rate))
            .collect();
        let high: Vec<f32> = HIGH
            .iter()
            .map(|f| goertzel(&self.window, *f, rate))
            .collect();
        let strongest = |powers: &[f32]| -> (usize, f32, f32) {
            let (best, power) = powers
                .iter()
                .copied()
                .enumerate()
                .fold((0, 0.0), |acc, (i, p)| if p > acc.1 { (i, p) } else { acc });
            let second = powers
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != best)
                .map(|(_, p)| *p)
                .fold(0.0, f32::max);
            (best, power, second)
        };
        let (row, low_power, low_second) = strongest(&low);
        let (column, high_power, high_second) = strongest(&high);
        // A pure sine of amplitude A gives power (A·N/2)²; the window energy is N·A²/2.
        let share = (low_power + high_power) / (energy * n / 2.0);
        let twist = 10.0 * (high_power / low_power.max(f32::MIN_POSITIVE)).log10();
        // Q.24's frequency tolerance: ±1.5 % is a key, ±3.5 % is not. A tone nearer the
        // ±3.5 % probes than its nominal frequency is rejected.
        let on_frequency = |nominal: f32, power: f32| {
            [1.0 - REJECT_OFFSET, 1.0 + REJECT_OFFSET]
                .iter()
                .all(|k| goertzel(&self.window, nominal * k, rate) <= power)
        };
        let valid = share >= MIN_TONE_SHARE
            && on_frequency(LOW[row], low_power)
            && on_frequency(HIGH[column], high_power)
            && low_power >= MIN_PEAK_RATIO * low_second
            && high_power >= MIN_PEAK_RATIO * high_second
            && (TWIST_DB.0..=TWIST_DB.1).contains(&twist);
        valid.then_some(KEYPAD[row][column])
    }
}

/// Every key in a recording, in order.
pub fn detect_all(samples: &[i16], rate: u32) -> Vec<Key> {
    let mut detector = Detector::new(rate);
    samples.iter().filter_map(|s| detector.push(*s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RATE: u32 = 8000;

    fn keys(text: &str) -> Vec<Key> {
        text.chars().map(|c| Key::from_char(c).unwrap()).collect()
    }

    #[test]
    fn every_key_round_trips() {
        let all = "0123456789*#";
        let audio = synthesize(all, RATE, Press::default()).unwrap();
        assert_eq!(detect_all(&audio, RATE), keys(all));
    }

    #[test]
    fn q24_timing_edges() {
        let tone = |ms| Press {
            tone_ms: ms,
            ..Press::default()
        };
        // 40 ms tones are keys; 20 ms tones are not.
        assert_eq!(
            detect_all(&synthesize("5", RATE, tone(40)).unwrap(), RATE),
            keys("5")
        );
        assert!(detect_all(&synthesize("5", RATE, tone(20)).unwrap(), RATE).is_empty());
        // At every alignment against the 10 ms analysis steps, and off-frequency too.
        for lead in 0..80 {
            for offset in [-0.015, 0.0, 0.015] {
                let press = |ms| Press {
                    tone_ms: ms,
                    offset,
                    ..Press::default()
                };
                let mut audio = silence(RATE, 0);
                audio.resize(lead, 0);
                let mut short = audio.clone();
                audio.extend(synthesize("5", RATE, press(40)).unwrap());
                short.extend(synthesize("5", RATE, press(20)).unwrap());
                assert_eq!(
                    detect_all(&audio, RATE),
                    keys("5"),
                    "40 ms, lead {lead}, {offset}"
                );
                assert!(
                    detect_all(&short, RATE).is_empty(),
                    "20 ms, lead {lead}, {offset}"
                );
            }
        }
        // A 40 ms pause separates two presses of the same key.
        let press = Press {
            tone_ms: 50,
            pause_ms: 40,
            ..Press::default()
        };
        assert_eq!(
            detect_all(&synthesize("55", RATE, press).unwrap(), RATE),
            keys("55")
        );
        // A long tone is one press.
        assert_eq!(
            detect_all(&synthesize("7", RATE, tone(1500)).unwrap(), RATE),
            keys("7")
        );
    }

    #[test]
    fn frequency_tolerance_and_twist() {
        for offset in [-0.015, 0.015] {
            let press = Press {
                offset,
                ..Press::default()
            };
            assert_eq!(
                detect_all(&synthesize("159#", RATE, press).unwrap(), RATE),
                keys("159#"),
                "{offset}"
            );
        }
        for offset in [-0.035, 0.035, -0.05, 0.05] {
            let press = Press {
                offset,
                ..Press::default()
            };
            assert!(
                detect_all(&synthesize("159#", RATE, press).unwrap(), RATE).is_empty(),
                "{offset}"
            );
        }
        for (twist_db, heard) in [(4.0, true), (-8.0, true), (10.0, false), (-14.0, false)] {
            let press = Press {
                twist_db,
                amplitude: 0.2,
                ..Press::default()
            };
            let found = detect_all(&synthesize("2", RATE, press).unwrap(), RATE);
            assert_eq!(!found.is_empty(), heard, "twist {twist_db} dB");
        }
    }

    #[test]
    fn single_tones_noise_and_quiet_are_not_keys() {
        let sine: Vec<i16> = (0..4000)
            .map(|i| ((std::f32::consts::TAU * 770.0 * i as f32 / 8000.0).sin() * 8000.0) as i16)
            .collect();
        assert!(detect_all(&sine, RATE).is_empty());
        // Deterministic white-ish noise from a linear congruential generator.
        let mut state = 12345u32;
        let noise: Vec<i16> = (0..8000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((state >> 16) as i16) / 4
            })
            .collect();
        assert!(detect_all(&noise, RATE).is_empty());
        let quiet = Press {
            amplitude: 0.002,
            ..Press::default()
        };
        assert!(detect_all(&synthesize("1", RATE, quiet).unwrap(), RATE).is_empty());
    }

    #[test]
    fn other_sample_rates() {
        for rate in [16_000, 44_100] {
            let audio = synthesize("42#", rate, Press::default()).unwrap();
            assert_eq!(detect_all(&audio, rate), keys("42#"), "{rate}");
        }
    }

    #[test]
    fn not_a_key() {
        assert_eq!(synthesize("1a", RATE, Press::default()), Err(NotAKey('a')));
    }

    proptest! {
        #[test]
        fn random_key_strings_round_trip(
            text in "[0-9*#]{1,12}",
            tone_ms in 45u32..120,
            pause_ms in 45u32..120,
            amplitude in 0.05f32..0.45,
        ) {
            let press = Press { tone_ms, pause_ms, amplitude, ..Press::default() };
            let audio = synthesize(&text, RATE, press).unwrap();
            prop_assert_eq!(detect_all(&audio, RATE), keys(&text));
        }
    }
}
