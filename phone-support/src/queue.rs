//! The agent queue as a plain value: the calls on the line, what each caller did in the
//! voice menu (the hand-over an agent sees), who waits in which order, the expected wait,
//! and who asked to be called back. Times are milliseconds on a clock the caller passes
//! in; nothing here does I/O. The SIP line keeps one [`Board`] behind a lock and serves
//! its [`CallView`]s to the agents' console.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use speech::Lang;

/// The first guess of how long each caller ahead adds to the wait, until waits have been
/// seen (Asterisk's app_queue likewise starts from nothing and averages what it sees).
pub const DEFAULT_WAIT_PER_CALLER_MS: u64 = 120_000;

/// A caller's telephone number, as the SIP From header or the keypad gives it: 3 to 15
/// digits (E.164's longest), an optional leading `+`. Shown to agents, read back to the
/// caller digit by digit for a call-back; never a code.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// A number from a SIP URI's user part or from keyed digits; `None` for anything else
    /// ("anonymous", names, too short or long).
    pub fn parse(text: &str) -> Option<PhoneNumber> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        let ok = (3..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| PhoneNumber(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits as a synthesizer reads them one by one, in pairs as Danish numbers are
    /// written (`4, 5. 1, 2. 3`): commas keep espeak-ng from reading a number.
    pub fn spoken(&self) -> String {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        digits
            .chunks(2)
            .map(|pair| {
                pair.iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
            .join(". ")
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a call is, as the agents see it (the web console reads it back from the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// In the voice menu.
    Menu,
    /// On the line, waiting for an agent.
    Queued,
    /// Hung up after booking a call-back; waits for an agent to ring.
    Callback,
    /// An agent has it.
    WithAgent,
}

/// What the caller did in the menu: everything an agent needs so a caller need not say
/// it again. Keys pressed and codes are not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    pub lang: Lang,
    /// The flow the caller was last in (its id).
    pub flow: Option<String>,
    /// The places visited, as the voice menu names them ("menu", "flow/step").
    pub steps: Vec<String>,
    /// The serial number keyed, as keyed (digits).
    pub serial: Option<String>,
    /// The number the call came from.
    pub caller: Option<PhoneNumber>,
}

/// One call as the agents' console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallView {
    pub id: String,
    pub state: CallState,
    pub lang: &'static str,
    pub flow: Option<String>,
    pub steps: Vec<String>,
    pub serial: Option<String>,
    pub caller: Option<PhoneNumber>,
    pub callback: Option<PhoneNumber>,
    pub in_call_secs: u64,
    pub waited_secs: Option<u64>,
    pub position: Option<u32>,
    pub agent: Option<String>,
}

/// A waiting caller's place: position (1 = next) and the expected wait in whole minutes
/// (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub position: u32,
    pub minutes: u32,
}

/// Why an agent cannot take or finish a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    #[error("no call {0} on the line")]
    Unknown(u64),
    #[error("call {0} is not waiting for an agent")]
    NotWaiting(u64),
}

#[derive(Debug, Clone)]
struct Entry {
    state: CallState,
    context: Context,
    arrived_ms: u64,
    queued_ms: Option<u64>,
    /// Position when the caller joined the queue (to learn the wait per caller ahead).
    joined_at: u32,
    callback: Option<PhoneNumber>,
    agent: Option<String>,
}

/// The calls on the line and the queue for agents.
#[derive(Debug, Clone)]
pub struct Board {
    entries: BTreeMap<u64, Entry>,
    next_id: u64,
    wait_per_caller_ms: u64,
    version: u64,
}

impl Default for Board {
    fn default() -> Self {
        Board::new(DEFAULT_WAIT_PER_CALLER_MS)
    }
}

impl Board {
    /// An empty board that guesses `wait_per_caller_ms` per caller ahead until it has seen
    /// agents take calls.
    pub fn new(wait_per_caller_ms: u64) -> Self {
        Board {
            entries: BTreeMap::new(),
            next_id: 1,
            wait_per_caller_ms: wait_per_caller_ms.max(1_000),
            version: 0,
        }
    }

    /// Grows by one on every change (for watchers that push updates).
    pub fn version(&self) -> u64 {
        self.version
    }

    fn changed(&mut self) {
        self.version += 1;
    }

    /// A call was answered; it starts in the menu.
    pub fn arrive(&mut self, context: Context, now_ms: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.insert(
            id,
            Entry {
                state: CallState::Menu,
                context,
                arrived_ms: now_ms,
                queued_ms: None,
                joined_at: 0,
                callback: None,
                agent: None,
            },
        );
        self.changed();
        id
    }

    /// The caller moved in the menu.
    pub fn update(&mut self, id: u64, context: Context) {
        if let Some(entry) = self.entries.get_mut(&id) {
            if entry.context != context {
                entry.context = context;
                self.changed();
            }
        }
    }

    /// The caller joins the queue (once; later calls keep the first place).
    pub fn enqueue(&mut self, id: u64, now_ms: u64) -> Option<Place> {
        let entry = self.entries.get_mut(&id)?;
        if entry.state == CallState::Menu {
            entry.state = CallState::Queued;
            entry.queued_ms = Some(now_ms);
            let place = self.place(id)?;
            self.entries.get_mut(&id)?.joined_at = place.position;
            self.changed();
        }
        self.place(id)
    }

    /// A waiting caller's place in the queue: callers and call-backs are served in the
    /// order they joined.
    pub fn place(&self, id: u64) -> Option<Place> {
        let entry = self.entries.get(&id)?;
        if !matches!(entry.state, CallState::Queued | CallState::Callback) {
            return None;
        }
        let joined = entry.queued_ms?;
        let ahead = self
            .entries
            .iter()
            .filter(|(other, e)| {
                **other != id
                    && matches!(e.state, CallState::Queued | CallState::Callback)
                    && e.queued_ms.is_some_and(|q| (q, **other) < (joined, id))
            })
            .count();
        let position = u32::try_from(ahead + 1).unwrap_or(u32::MAX);
        let wait_ms = u64::from(position).saturating_mul(self.wait_per_caller_ms);
        let minutes = u32::try_from(wait_ms.div_ceil(60_000)).unwrap_or(u32::MAX);
        Some(Place {
            position,
            minutes: minutes.max(1),
        })
    }

    /// The caller hung up after confirming `number` for a call-back; the entry stays in
    /// the queue, in its place, until an agent takes it.
    pub fn book_callback(&mut self, id: u64, number: PhoneNumber) {
        if let Some(entry) = self.entries.get_mut(&id) {
            if entry.state == CallState::Queued {
                entry.state = CallState::Callback;
                entry.callback = Some(number);
                self.changed();
            }
        }
    }

    /// An agent takes a waiting call or call-back. The wait it had teaches the estimate
    /// (weighted like app_queue's hold time: three parts old, one part new).
    pub fn take(&mut self, id: u64, agent: &str, now_ms: u64) -> Result<CallView, BoardError> {
        let entry = self.entries.get_mut(&id).ok_or(BoardError::Unknown(id))?;
        if !matches!(entry.state, CallState::Queued | CallState::Callback) {
            return Err(BoardError::NotWaiting(id));
        }
        entry.state = CallState::WithAgent;
        entry.agent = Some(agent.to_owned());
        if let Some(queued) = entry.queued_ms {
            let per_caller = now_ms.saturating_sub(queued) / u64::from(entry.joined_at.max(1));
            self.wait_per_caller_ms = ((self.wait_per_caller_ms * 3 + per_caller) / 4).max(1_000);
        }
        self.changed();
        Ok(self.view(id, now_ms).expect("the entry was just updated"))
    }

    /// The agent is done with a call or call-back: it leaves the board.
    pub fn done(&mut self, id: u64) -> Result<(), BoardError> {
        self.entries.remove(&id).ok_or(BoardError::Unknown(id))?;
        self.changed();
        Ok(())
    }

    /// The caller hung up (or the call ended). A booked call-back stays; a call an agent
    /// has stays until the agent is done with it; anything else leaves.
    pub fn hung_up(&mut self, id: u64) {
        let keep = self
            .entries
            .get(&id)
            .is_some_and(|e| matches!(e.state, CallState::Callback | CallState::WithAgent));
        if !keep && self.entries.remove(&id).is_some() {
            self.changed();
        }
    }

    /// The agent who took the call, if one has.
    pub fn agent(&self, id: u64) -> Option<&str> {
        self.entries.get(&id).and_then(|e| e.agent.as_deref())
    }

    /// One call as agents see it.
    pub fn view(&self, id: u64, now_ms: u64) -> Option<CallView> {
        let entry = self.entries.get(&id)?;
        let context = &entry.context;
        Some(CallView {
            id: id.to_string(),
            state: entry.state,
            lang: context.lang.code(),
            flow: context.flow.clone(),
            steps: context.steps.clone(),
            serial: context.serial.clone(),
            caller: context.caller.clone(),
            callback: entry.callback.clone(),
            in_call_secs: now_ms.saturating_sub(entry.arrived_ms) / 1000,
            waited_secs: entry
                .queued_ms
                .map(|q| now_ms.saturating_sub(q) / 1000)
                .filter(|_| entry.state != CallState::Menu),
            position: self.place(id).map(|p| p.position),
            agent: entry.agent.clone(),
        })
    }

    /// Every call, oldest first.
    pub fn views(&self, now_ms: u64) -> Vec<CallView> {
        self.entries
            .keys()
            .filter_map(|id| self.view(*id, now_ms))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn context(serial: Option<&str>) -> Context {
        Context {
            lang: Lang::Da,
            flow: Some("unlock".into()),
            steps: vec!["menu".into(), "unlock/start".into()],
            serial: serial.map(str::to_owned),
            caller: PhoneNumber::parse("+4512345678"),
        }
    }

    #[test]
    fn phone_numbers_from_sip_and_keypad() {
        assert_eq!(
            PhoneNumber::parse("+4512345678").unwrap().as_str(),
            "+4512345678"
        );
        assert!(PhoneNumber::parse("33980010").is_some());
        for bad in ["anonymous", "12", "+", "1234567890123456", "45 12", ""] {
            assert_eq!(PhoneNumber::parse(bad), None, "{bad}");
        }
        assert_eq!(
            PhoneNumber::parse("+4512345").unwrap().spoken(),
            "4, 5. 1, 2. 3, 4. 5"
        );
    }

    #[test]
    fn callers_wait_in_the_order_they_joined_and_call_backs_keep_their_place() {
        let mut board = Board::new(60_000);
        let a = board.arrive(context(None), 0);
        let b = board.arrive(context(None), 1_000);
        let c = board.arrive(context(None), 2_000);
        assert_eq!(board.place(a), None, "in the menu: no place yet");
        assert_eq!(
            board.enqueue(b, 10_000),
            Some(Place {
                position: 1,
                minutes: 1
            })
        );
        assert_eq!(board.enqueue(a, 11_000).unwrap().position, 2);
        assert_eq!(board.enqueue(c, 12_000).unwrap().position, 3);
        assert_eq!(board.place(c).unwrap().minutes, 3);
        // b books a call-back and hangs up: still first, and still ahead of a and c.
        board.book_callback(b, PhoneNumber::parse("33980010").unwrap());
        board.hung_up(b);
        assert_eq!(board.place(b).unwrap().position, 1);
        assert_eq!(board.place(c).unwrap().position, 3);
        // a hangs up while waiting: gone, c moves up.
        board.hung_up(a);
        assert_eq!(board.view(a, 13_000), None);
        assert_eq!(board.place(c).unwrap().position, 2);
        // An agent takes the call-back, then is done with it.
        let view = board.take(b, "anna", 70_000).unwrap();
        assert_eq!(
            (
                view.state,
                view.agent.as_deref(),
                view.callback.unwrap().as_str()
            ),
            (CallState::WithAgent, Some("anna"), "33980010")
        );
        assert_eq!(board.take(b, "bo", 70_000), Err(BoardError::NotWaiting(b)));
        assert_eq!(board.place(c).unwrap().position, 1);
        board.done(b).unwrap();
        assert_eq!(board.done(b), Err(BoardError::Unknown(b)));
    }

    #[test]
    fn the_expected_wait_learns_from_the_waits_seen() {
        let mut board = Board::new(60_000);
        for n in 0..4 {
            let id = board.arrive(Context::default(), 0);
            board.enqueue(id, 0);
            // Each first caller is taken after 5 minutes.
            board.take(id, "anna", 300_000 * (n + 1)).unwrap();
            board.done(id).unwrap();
        }
        let id = board.arrive(Context::default(), 0);
        let place = board.enqueue(id, 1_300_000).unwrap();
        assert!(place.minutes >= 3, "{place:?}");
    }

    #[test]
    fn the_hand_over_shows_the_menu_path_and_waits() {
        let mut board = Board::default();
        let id = board.arrive(context(None), 0);
        board.update(id, context(Some("572026000001")));
        board.enqueue(id, 30_000);
        let view = board.view(id, 95_000).unwrap();
        assert_eq!(view.lang, "da");
        assert_eq!(view.serial.as_deref(), Some("572026000001"));
        assert_eq!((view.in_call_secs, view.waited_secs), (95, Some(65)));
        assert_eq!(view.steps, ["menu", "unlock/start"]);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["state"], "queued");
        assert_eq!(json["caller"], "+4512345678");
        assert_eq!(json["position"], 1);
    }

    proptest! {
        /// Whatever happens, the waiting callers' positions are exactly 1..=n.
        #[test]
        fn positions_are_one_to_n(ops in proptest::collection::vec((0u8..5, 0usize..8), 0..60)) {
            let mut board = Board::default();
            let mut ids = Vec::new();
            for (step, (op, pick)) in ops.into_iter().enumerate() {
                let now = step as u64 * 1_000;
                let id = ids.get(pick % ids.len().max(1)).copied();
                match (op, id) {
                    (0, _) | (_, None) => ids.push(board.arrive(Context::default(), now)),
                    (1, Some(id)) => { board.enqueue(id, now); }
                    (2, Some(id)) => board.book_callback(id, PhoneNumber::parse("33980010").unwrap()),
                    (3, Some(id)) => { let _ = board.take(id, "a", now); }
                    (_, Some(id)) => board.hung_up(id),
                }
                let mut positions: Vec<u32> = board
                    .views(now)
                    .iter()
                    .filter_map(|v| v.position)
                    .collect();
                positions.sort_unstable();
                let expected: Vec<u32> = (1..=positions.len() as u32).collect();
                prop_assert_eq!(positions, expected);
            }
        }
    }
}
