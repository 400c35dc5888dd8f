//! The keypad — digit keys 0–9 and the red function key — and the filter that turns raw
//! switch edges into presses: debounce, no auto-repeat, and a double-strike window
//! (EN 301 549 5.7, 5.8).

use std::fmt;
use std::str::FromStr;

/// A key on the device. The layout is a calculator's: 7 8 9 / 4 5 6 / 1 2 3 / 0 and the
/// red function key bottom right. The 5 and the function key carry a raised dot (8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    D0,
    D1,
    D2,
    D3,
    D4,
    D5,
    D6,
    D7,
    D8,
    D9,
    /// The red key with a raised dot: switches on, opens function mode, held to switch off.
    Function,
}

/// Where a digit key sits: the left column turns the volume down, the right column up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Left,
    Middle,
    Right,
}

impl Key {
    pub const ALL: [Key; 11] = [
        Key::D0,
        Key::D1,
        Key::D2,
        Key::D3,
        Key::D4,
        Key::D5,
        Key::D6,
        Key::D7,
        Key::D8,
        Key::D9,
        Key::Function,
    ];

    /// The digit key for 0–9.
    pub fn from_digit(digit: u8) -> Option<Key> {
        Key::ALL
            .get(usize::from(digit))
            .copied()
            .filter(|key| *key != Key::Function)
    }

    /// The digit on the key, or `None` for the function key.
    pub fn digit(self) -> Option<u8> {
        match self {
            Key::Function => None,
            key => Some(key as u8),
        }
    }

    /// The column of a digit key on the calculator layout (0 counts as middle).
    pub fn column(self) -> Option<Column> {
        match self.digit()? {
            1 | 4 | 7 => Some(Column::Left),
            3 | 6 | 9 => Some(Column::Right),
            _ => Some(Column::Middle),
        }
    }

    /// The stable name used in config files and key-help prompts: "0"–"9" or "function".
    pub fn name(self) -> &'static str {
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "function"][self.index()]
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key name that is neither a digit nor "function".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key {0:?} (expected 0-9 or \"function\")")]
pub struct UnknownKey(pub String);

impl FromStr for Key {
    type Err = UnknownKey;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "function" | "f" | "red" => Ok(Key::Function),
            other => other
                .parse::<u8>()
                .ok()
                .and_then(Key::from_digit)
                .ok_or_else(|| UnknownKey(text.to_owned())),
        }
    }
}

/// A raw switch edge as the hardware reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Down,
    Up,
}

#[derive(Debug, Clone, Copy, Default)]
struct Track {
    /// The state the filter has accepted.
    down: bool,
    /// The state the hardware last reported, accepted or not: an edge dropped inside the
    /// debounce window is taken from here once the window has passed.
    raw_down: bool,
    /// The last edge taken (for debounce).
    last_edge_ms: Option<u64>,
    /// The last press acted on (for the double-strike window).
    last_press_ms: Option<u64>,
    /// This press fell in the double-strike window: its release is swallowed too.
    swallowed: bool,
}

/// Turns raw edges into clean presses and releases. Pure: time is passed in.
///
/// Invariant (tested by a property): after any sequence of raw edges and then a quiet
/// debounce window, [`KeyFilter::settle`] leaves every key's accepted state equal to its
/// physical state, so a very short tap never leaves a key "held".
#[derive(Debug, Clone)]
pub struct KeyFilter {
    debounce_ms: u64,
    double_strike_ms: u64,
    keys: [Track; 11],
}

impl KeyFilter {
    pub fn new(debounce_ms: u64, double_strike_ms: u64) -> Self {
        KeyFilter {
            debounce_ms,
            double_strike_ms,
            keys: [Track::default(); 11],
        }
    }

    /// The double-strike window: a second press of the same key within it is ignored.
    pub fn set_double_strike_ms(&mut self, window: u64) {
        self.double_strike_ms = window;
    }

    /// Whether the key is held down (as far as the filter has accepted).
    pub fn is_down(&self, key: Key) -> bool {
        self.keys[key.index()].down
    }

    /// Feeds one raw edge at monotonic time `mono_ms`; returns the edge if it is a real
    /// press or release, `None` for bounce, auto-repeat and double strikes.
    pub fn feed(&mut self, key: Key, edge: Edge, mono_ms: u64) -> Option<Edge> {
        let track = &mut self.keys[key.index()];
        track.raw_down = edge == Edge::Down;
        let bouncing = track
            .last_edge_ms
            .is_some_and(|last| mono_ms.saturating_sub(last) < self.debounce_ms);
        match edge {
            // Already down: hardware auto-repeat or a lost release; never repeat.
            Edge::Down if track.down => None,
            Edge::Up if !track.down => None,
            // Inside the window: remembered in `raw_down`, taken by `settle` later.
            _ if bouncing => None,
            edge => Self::take(track, edge, mono_ms, self.double_strike_ms),
        }
    }

    /// The edges held back by the debounce window whose window has now passed: where a
    /// key's physical state differs from the accepted one, the difference is taken as an
    /// edge (in key order). Call it with every event, ticks included.
    pub fn settle(&mut self, mono_ms: u64) -> Vec<(Key, Edge)> {
        let mut settled = Vec::new();
        for key in Key::ALL {
            let track = &mut self.keys[key.index()];
            let quiet = track
                .last_edge_ms
                .is_none_or(|last| mono_ms.saturating_sub(last) >= self.debounce_ms);
            if track.raw_down != track.down && quiet {
                let edge = if track.raw_down { Edge::Down } else { Edge::Up };
                if let Some(edge) = Self::take(track, edge, mono_ms, self.double_strike_ms) {
                    settled.push((key, edge));
                }
            }
        }
        settled
    }

    /// Accepts `edge` as the key's new state; returns it unless a double strike swallows it.
    fn take(track: &mut Track, edge: Edge, mono_ms: u64, double_strike_ms: u64) -> Option<Edge> {
        track.last_edge_ms = Some(mono_ms);
        match edge {
            Edge::Down => {
                track.down = true;
                let double = track
                    .last_press_ms
                    .is_some_and(|last| mono_ms.saturating_sub(last) < double_strike_ms);
                track.swallowed = double;
                if double {
                    None
                } else {
                    track.last_press_ms = Some(mono_ms);
                    Some(Edge::Down)
                }
            }
            Edge::Up => {
                track.down = false;
                if std::mem::take(&mut track.swallowed) {
                    None
                } else {
                    Some(Edge::Up)
                }
            }
        }
    }

    /// Forgets held keys (after power off), keeping the windows.
    pub fn reset(&mut self) {
        self.keys = [Track::default(); 11];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip() {
        for key in Key::ALL {
            assert_eq!(key.name().parse::<Key>(), Ok(key));
        }
        assert_eq!(Key::from_digit(7), Some(Key::D7));
        assert_eq!(Key::from_digit(10), None);
        assert!("11".parse::<Key>().is_err());
        assert_eq!(Key::D3.column(), Some(Column::Right));
        assert_eq!(Key::D7.column(), Some(Column::Left));
        assert_eq!(Key::Function.column(), None);
    }

    #[test]
    fn bounce_inside_the_debounce_window_is_ignored() {
        let mut filter = KeyFilter::new(30, 0);
        assert_eq!(filter.feed(Key::D1, Edge::Down, 1000), Some(Edge::Down));
        assert_eq!(filter.feed(Key::D1, Edge::Up, 1005), None);
        assert_eq!(filter.feed(Key::D1, Edge::Down, 1010), None);
        assert_eq!(filter.feed(Key::D1, Edge::Up, 1100), Some(Edge::Up));
        assert_eq!(
            filter.feed(Key::D1, Edge::Down, 1110),
            None,
            "release bounce"
        );
        assert_eq!(filter.feed(Key::D1, Edge::Down, 1200), Some(Edge::Down));
    }

    #[test]
    fn holding_a_key_never_repeats() {
        let mut filter = KeyFilter::new(30, 0);
        assert_eq!(filter.feed(Key::D5, Edge::Down, 0), Some(Edge::Down));
        for t in 1..50 {
            assert_eq!(filter.feed(Key::D5, Edge::Down, t * 100), None);
        }
        assert!(filter.is_down(Key::D5));
    }

    #[test]
    fn double_strike_window_swallows_press_and_release() {
        let mut filter = KeyFilter::new(30, 500);
        assert_eq!(filter.feed(Key::D2, Edge::Down, 0), Some(Edge::Down));
        assert_eq!(filter.feed(Key::D2, Edge::Up, 100), Some(Edge::Up));
        assert_eq!(filter.feed(Key::D2, Edge::Down, 300), None);
        assert_eq!(filter.feed(Key::D2, Edge::Up, 400), None);
        assert_eq!(
            filter.feed(Key::D3, Edge::Down, 420),
            Some(Edge::Down),
            "other keys pass"
        );
        assert_eq!(filter.feed(Key::D2, Edge::Down, 600), Some(Edge::Down));
    }

    #[test]
    fn a_release_inside_the_window_is_taken_when_the_window_ends() {
        // A very short tap: down, then up 10 ms later (inside the 30 ms window).
        let mut filter = KeyFilter::new(30, 0);
        assert_eq!(
            filter.feed(Key::Function, Edge::Down, 1000),
            Some(Edge::Down)
        );
        assert_eq!(filter.feed(Key::Function, Edge::Up, 1010), None);
        assert!(filter.is_down(Key::Function), "held back by the window");
        assert!(filter.settle(1020).is_empty(), "window not over yet");
        assert_eq!(filter.settle(1030), [(Key::Function, Edge::Up)]);
        assert!(!filter.is_down(Key::Function));
        assert!(filter.settle(2000).is_empty(), "settled once");
    }

    proptest! {
        /// After any edges and a quiet window, the accepted state is the physical state.
        #[test]
        fn settles_on_the_physical_state(
            edges in proptest::collection::vec((0usize..11, any::<bool>(), 0u64..60), 0..300),
            window in 0u64..1000,
            debounce in 0u64..50,
        ) {
            let mut filter = KeyFilter::new(debounce, window);
            let mut now = 0;
            let mut physical = [false; 11];
            for (index, down, delta) in edges {
                now += delta;
                let key = Key::ALL[index];
                filter.settle(now);
                filter.feed(key, if down { Edge::Down } else { Edge::Up }, now);
                physical[index] = down;
            }
            filter.settle(now + debounce);
            for key in Key::ALL {
                prop_assert_eq!(filter.is_down(key), physical[key.index()], "{}", key);
            }
        }

        /// Whatever the edges, accepted presses and releases alternate per key, and no two
        /// accepted presses of one key are closer than the double-strike window.
        #[test]
        fn accepted_edges_alternate(
            edges in proptest::collection::vec((0usize..11, any::<bool>(), 0u64..200), 0..300),
            window in 0u64..1000,
        ) {
            let mut filter = KeyFilter::new(30, window);
            let mut now = 0;
            let mut state = [false; 11];
            let mut last_press = [None::<u64>; 11];
            for (index, down, delta) in edges {
                now += delta;
                let key = Key::ALL[index];
                let edge = if down { Edge::Down } else { Edge::Up };
                let mut taken_edges: Vec<(usize, Edge)> = filter
                    .settle(now)
                    .into_iter()
                    .map(|(key, edge)| (key.index(), edge))
                    .collect();
                taken_edges.extend(filter.feed(key, edge, now).map(|edge| (index, edge)));
                for (index, taken) in taken_edges {
                    prop_assert_eq!(taken == Edge::Down, !state[index]);
                    state[index] = taken == Edge::Down;
                    if taken == Edge::Down {
                        if let Some(last) = last_press[index] {
                            prop_assert!(now - last >= window);
                        }
                        last_press[index] = Some(now);
                    }
                }
            }
        }
    }
}
