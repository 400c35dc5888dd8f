//! Keys from the caller: RFC 4733 telephone-events as a state machine (one key per event,
//! however many packets repeat it), and the joining of those keys with the keys the
//! in-band (Goertzel) detector hears, so that a press sent both ways counts once.

use std::time::Duration;

use crate::ivr::Key;

/// Why a telephone-event payload is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("telephone-event payload of {0} bytes, expected at least 4")]
    TooShort(usize),
}

/// One RFC 4733 event report (the first four bytes of the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventReport {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl EventReport {
    pub fn parse(payload: &[u8]) -> Result<EventReport, EventError> {
        let [event, flags, high, low, ..] = *payload else {
            return Err(EventError::TooShort(payload.len()));
        };
        Ok(EventReport {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([high, low]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let [high, low] = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3F),
            high,
            low,
        ]
    }

    /// The keypad key of the event: 0–9, 10 = *, 11 = #; A–D and tones are not keys.
    pub fn key(self) -> Option<Key> {
        match self.event {
            0..=9 => Some(Key::Digit(self.event)),
            10 => Some(Key::Star),
            11 => Some(Key::Hash),
            _ => None,
        }
    }
}

/// The event under way, by what identifies it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Current {
    ssrc: u32,
    timestamp: u32,
    event: u8,
    ended: bool,
    longest: u16,
}

/// Turns telephone-event packets into keys: a new event (another SSRC, another RTP
/// timestamp, another event code, or the same one starting over after its end) gives
/// its key once; repeated and retransmitted reports of the same event give nothing.
/// Sequence numbers are not trusted: senders restart them, and replayed recordings jump
/// back.
#[derive(Debug, Clone, Default)]
pub struct EventDecoder {
    current: Option<Current>,
}

impl EventDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one packet's identity and payload; the key when a new event starts.
    pub fn push(
        &mut self,
        ssrc: u32,
        timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<Key>, EventError> {
        let report = EventReport::parse(payload)?;
        let same = match self.current {
            Some(c) => {
                c.ssrc == ssrc
                    && c.timestamp == timestamp
                    && c.event == report.event
                    // After its end, an event only repeats its end; a report that is not an
                    // end and shorter than what was seen is the same press played again.
                    && !(c.ended && !report.end && report.duration < c.longest)
            }
            None => false,
        };
        if same {
            let c = self.current.as_mut().expect("checked above");
            c.ended |= report.end;
            c.longest = c.longest.max(report.duration);
            return Ok(None);
        }
        self.current = Some(Current {
            ssrc,
            timestamp,
            event: report.event,
            ended: report.end,
            longest: report.duration,
        });
        Ok(report.key())
    }
}

/// Where a key was heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// RFC 4733 telephone-event packets.
    Event,
    /// DTMF tones in the audio.
    InBand,
}

/// Keys from both sources closer than this, and the same key, are one press. A press is
/// at least 40 ms of tone and 40 ms of pause (Q.24), and the in-band detector reports
/// about 40 ms into the tone while the first event packet comes at its start.
pub const SAME_PRESS_WINDOW: Duration = Duration::from_millis(300);

/// Joins keys from both sources: a key heard by the other source within
/// [`SAME_PRESS_WINDOW`] of the same key is the same press and is dropped.
#[derive(Debug, Clone, Default)]
pub struct KeyJoiner {
    /// The last key let through, its source, when, and whether its twin has come.
    last: Option<(Key, Source, Duration, bool)>,
}

impl KeyJoiner {
    pub fn new() -> Self {
        Self::default()
    }

    /// A key from `source` at `now` (time since the call began); the key if it is a new press.
    pub fn push(&mut self, key: Key, source: Source, now: Duration) -> Option<Key> {
        if let Some((last_key, last_source, at, twinned)) = &mut self.last {
            if *last_key == key
                && *last_source != source
                && !*twinned
                && now.saturating_sub(*at) <= SAME_PRESS_WINDOW
            {
                *twinned = true;
                return None;
            }
        }
        self.last = Some((key, source, now, false));
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report(event: u8, end: bool, duration: u16) -> [u8; 4] {
        EventReport {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    /// The packets of sipp's dtmf_2833_1.pcap: 7 reports, then 3 identical ends.
    fn sipp_press(event: u8) -> Vec<[u8; 4]> {
        let mut packets: Vec<[u8; 4]> = (0..7).map(|i| report(event, false, i * 320)).collect();
        packets.extend([report(event, true, 2240); 3]);
        packets
    }

    #[test]
    fn one_key_per_event_and_repeated_ends_count_once() {
        let mut decoder = EventDecoder::new();
        let keys: Vec<Option<Key>> = sipp_press(1)
            .iter()
            .map(|p| decoder.push(0xE05384E, 13280, p).unwrap())
            .collect();
        assert_eq!(keys[0], Some(Key::Digit(1)));
        assert!(keys[1..].iter().all(Option::is_none));
    }

    #[test]
    fn the_same_recording_played_twice_is_two_presses() {
        // sipp replays one pcap per key: same SSRC, timestamp and sequence numbers.
        let mut decoder = EventDecoder::new();
        let mut keys = Vec::new();
        for _ in 0..2 {
            for p in sipp_press(1) {
                keys.extend(decoder.push(7, 13280, &p).unwrap());
            }
        }
        assert_eq!(keys, [Key::Digit(1), Key::Digit(1)]);
    }

    #[test]
    fn a_lost_start_still_gives_the_key_once() {
        let mut decoder = EventDecoder::new();
        assert_eq!(
            decoder.push(1, 500, &report(11, true, 800)).unwrap(),
            Some(Key::Hash)
        );
        assert_eq!(decoder.push(1, 500, &report(11, true, 800)).unwrap(), None);
        assert_eq!(
            decoder.push(1, 900, &report(10, false, 0)).unwrap(),
            Some(Key::Star)
        );
    }

    #[test]
    fn a_new_ssrc_is_a_new_event_and_non_keys_are_ignored() {
        let mut decoder = EventDecoder::new();
        assert_eq!(
            decoder.push(1, 0, &report(5, false, 0)).unwrap(),
            Some(Key::Digit(5))
        );
        assert_eq!(
            decoder.push(2, 0, &report(5, false, 160)).unwrap(),
            Some(Key::Digit(5))
        );
        assert_eq!(decoder.push(2, 160, &report(12, false, 0)).unwrap(), None); // "A"
        assert_eq!(decoder.push(2, 160, &[1, 2]), Err(EventError::TooShort(2)));
    }

    #[test]
    fn a_press_heard_both_ways_counts_once() {
        let mut joiner = KeyJoiner::new();
        let ms = Duration::from_millis;
        assert_eq!(
            joiner.push(Key::Digit(1), Source::Event, ms(1000)),
            Some(Key::Digit(1))
        );
        assert_eq!(joiner.push(Key::Digit(1), Source::InBand, ms(1050)), None);
        // The next press of the same key, by both again.
        assert_eq!(
            joiner.push(Key::Digit(1), Source::InBand, ms(1200)),
            Some(Key::Digit(1))
        );
        assert_eq!(joiner.push(Key::Digit(1), Source::Event, ms(1210)), None);
        // Two quick presses from one source are two.
        assert_eq!(
            joiner.push(Key::Digit(2), Source::Event, ms(2000)),
            Some(Key::Digit(2))
        );
        assert_eq!(
            joiner.push(Key::Digit(2), Source::Event, ms(2100)),
            Some(Key::Digit(2))
        );
        // Too far apart: two presses.
        assert_eq!(
            joiner.push(Key::Digit(2), Source::InBand, ms(2500)),
            Some(Key::Digit(2))
        );
        // A different key is never dropped.
        assert_eq!(
            joiner.push(Key::Digit(3), Source::Event, ms(2510)),
            Some(Key::Digit(3))
        );
    }

    fn any_key() -> impl Strategy<Value = u8> {
        0u8..12
    }

    proptest! {
        /// However a sender numbers, repeats and restarts its streams, each press gives
        /// its key exactly once.
        #[test]
        fn each_press_gives_its_key_once(
            presses in proptest::collection::vec(
                (any_key(), 1u16..12, 1usize..5, any::<bool>(), 0u32..4000),
                1..20,
            ),
            first_ssrc in any::<u32>(),
        ) {
            let mut decoder = EventDecoder::new();
            let mut ssrc = first_ssrc;
            let mut timestamp = 1000u32;
            let mut heard = Vec::new();
            let mut expected = Vec::new();
            for (event, reports, ends, new_ssrc, gap) in presses {
                if new_ssrc {
                    ssrc = ssrc.wrapping_add(1);
                }
                timestamp = timestamp.wrapping_add(160 + gap);
                let mut packets: Vec<[u8; 4]> =
                    (0..reports).map(|i| report(event, false, i * 160)).collect();
                packets.extend(std::iter::repeat_n(report(event, true, reports * 160), ends));
                for p in packets {
                    heard.extend(decoder.push(ssrc, timestamp, &p).unwrap());
                }
                expected.extend(EventReport { event, end: false, volume: 0, duration: 0 }.key());
            }
            prop_assert_eq!(heard, expected);
        }

        #[test]
        fn garbage_never_panics(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..50)) {
            let mut decoder = EventDecoder::new();
            for p in payloads {
                let _ = decoder.push(1, 2, &p);
            }
        }

        /// Keys from one source alone always all pass.
        #[test]
        fn one_source_alone_is_never_thinned(keys in proptest::collection::vec((any_key(), 0u64..400), 0..40)) {
            let mut joiner = KeyJoiner::new();
            let mut now = Duration::ZERO;
            for (k, gap) in keys {
                now += Duration::from_millis(gap);
                let key = EventReport { event: k, end: false, volume: 0, duration: 0 }.key().unwrap();
                prop_assert_eq!(joiner.push(key, Source::Event, now), Some(key));
            }
        }
    }
}
