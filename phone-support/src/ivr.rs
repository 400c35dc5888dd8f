//! The keypad voice menu as a pure state machine: keys and silences in, things to say and
//! call actions out, the Copenhagen local time passed in. Danish first, 9 for English; a
//! flow's choices move between steps; * repeats, # goes back, 0 asks for an agent (queued
//! while the line is open, otherwise the opening hours are told). A flow step ending in
//! `unlock` collects the serial number and two consecutive codes on the keypad (# ends an
//! entry, * starts it again) and asks the line to check them; nothing keyed is ever said
//! back or printed.

use std::fmt;
use std::time::Duration;

use chrono::NaiveDateTime;
use speech::{Lang, Utterance};

use crate::flow::{End, FlowSet};
use crate::queue::{self, PhoneNumber};
use crate::rules::hours::OpeningHours;

/// How long the menu waits for a key before asking again.
pub const NO_INPUT_TIMEOUT: Duration = Duration::from_secs(8);
/// After this many silences in a row the caller goes to an agent or is said goodbye.
pub const MAX_SILENCES: u8 = 3;

/// A keypad key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Digit(u8),
    Star,
    Hash,
}

impl Key {
    pub fn from_char(c: char) -> Option<Key> {
        match c {
            '0'..='9' => Some(Key::Digit(c as u8 - b'0')),
            '*' => Some(Key::Star),
            '#' => Some(Key::Hash),
            _ => None,
        }
    }

    pub fn to_char(self) -> char {
        match self {
            Key::Digit(d) => char::from(b'0' + d),
            Key::Star => '*',
            Key::Hash => '#',
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// What happened on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Key(Key),
    /// No key within [`NO_INPUT_TIMEOUT`].
    Silence,
    /// The answer to an [`Effect::Unlock`].
    Unlocked(UnlockResult),
    /// The caller's place in the agent queue: after [`Effect::Queue`], and again whenever
    /// the line decides to tell it (every minute or so while the caller holds).
    Queued(queue::Place),
    /// An agent has taken the call.
    AgentTook,
}

/// What the caller keyed for a self-service unlock. The codes are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct UnlockRequest {
    pub serial: String,
    pub first: String,
    pub second: String,
}

impl fmt::Debug for UnlockRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockRequest")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// How the service answered an unlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockResult {
    Unlocked,
    /// The codes were wrong or not consecutive (the device stays blocked).
    WrongCodes,
    UnknownSerial,
    /// The service could not be asked.
    Unavailable,
}

/// Where a keyed unlock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Serial,
    FirstCode,
    SecondCode,
    /// Waiting for the service's answer.
    Checking,
}

/// Wrong answers before the caller is handed to an agent.
pub const MAX_UNLOCK_ATTEMPTS: u8 = 2;
/// Silences allowed while keying (waiting for the device's next code takes up to 30 s).
pub const MAX_KEYING_SILENCES: u8 = 6;
/// The longest entry kept.
const MAX_ENTRY: usize = 32;

/// Digits being keyed; never printed.
#[derive(Clone, Default, PartialEq, Eq)]
struct Keyed(String);

impl fmt::Debug for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} digits>", self.0.len())
    }
}

/// A keyed unlock under way.
#[derive(Clone, Default, PartialEq, Eq)]
struct Unlocking {
    entry: Keyed,
    serial: String,
    first: Keyed,
    attempts: u8,
}

impl fmt::Debug for Unlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unlocking")
            .field("serial", &self.serial)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// What the line must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Say(Lang, Utterance),
    /// Wait for a key (up to [`NO_INPUT_TIMEOUT`]) and report it.
    Listen,
    /// Put the caller in the agent queue and answer with [`Input::Queued`]. A line
    /// without a queue hands the call on here, and the menu's part is over.
    Queue,
    /// Hold: wait for a key, the next [`Input::Queued`] or [`Input::AgentTook`]; silence
    /// is expected and not counted.
    Hold,
    /// Book a call-back to this number (the caller confirmed it); the call then ends.
    Callback(PhoneNumber),
    HangUp,
    /// Ask the service to lift the block; answer with [`Input::Unlocked`].
    Unlock(UnlockRequest),
}

/// Where the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Menu,
    Step {
        flow: usize,
        step: usize,
    },
    /// Keying the serial and codes, after a flow step that ends in `unlock`.
    Unlock(Stage),
    /// Waiting for an agent.
    Queue(Waiting),
}

/// Where a caller waiting for an agent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Holding; 1 asks for a call-back.
    Holding,
    /// Asked to confirm the number to call back (1 yes, 2 another number).
    Confirm,
    /// Keying the number to call back, ended by #.
    KeyNumber,
}

/// How the menu's part of the call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A flow reached a final step that resolved the call.
    Resolved,
    /// Handed to an agent (taken from the queue, or by a line without a queue).
    Queued,
    /// Booked a call-back and hung up.
    CallbackBooked,
    /// Wanted an agent while the line was closed.
    ClosedToldHours,
    /// Said nothing three times while the line was closed.
    NoInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    At(Place),
    Ended(Ending),
}

/// One call through the voice menu.
#[derive(Debug, Clone)]
pub struct Ivr<'f> {
    flows: &'f FlowSet,
    lang: Lang,
    state: State,
    back: Vec<Place>,
    silences: u8,
    visited: Vec<String>,
    unlocking: Unlocking,
    languages: Vec<Lang>,
    caller: Option<PhoneNumber>,
    callback: Option<PhoneNumber>,
    hours: OpeningHours,
}

impl<'f> Ivr<'f> {
    pub fn new(flows: &'f FlowSet) -> Self {
        Ivr {
            flows,
            lang: Lang::Da,
            state: State::At(Place::Menu),
            back: Vec::new(),
            silences: 0,
            visited: vec!["menu".to_owned()],
            unlocking: Unlocking::default(),
            languages: Lang::ALL.to_vec(),
            caller: None,
            callback: None,
            hours: OpeningHours::default(),
        }
    }

    /// The line's opening hours (default: the published ones).
    pub fn with_hours(mut self, hours: OpeningHours) -> Self {
        self.hours = hours;
        self
    }

    /// The languages the menu offers, the first one spoken first; an empty list keeps
    /// both. With one language, 9 does not switch and is not offered.
    pub fn with_languages(mut self, languages: &[Lang]) -> Self {
        if let Some(first) = languages.first() {
            self.lang = *first;
            self.languages = languages.to_vec();
        }
        self
    }

    /// The number the call came from (the SIP From header), offered for a call-back.
    pub fn with_caller(mut self, caller: Option<PhoneNumber>) -> Self {
        self.caller = caller;
        self
    }

    /// A line without a queue hands the caller on at [`Effect::Queue`]: the menu's part
    /// ends there, as [`Ending::Queued`].
    pub fn hand_on(&mut self) {
        if let State::At(Place::Queue(_)) = self.state {
            self.state = State::Ended(Ending::Queued);
        }
    }

    /// What the caller did so far, for the agent who takes the call.
    pub fn context(&self) -> queue::Context {
        let flow = self
            .visited
            .iter()
            .rev()
            .find_map(|place| place.split_once('/').map(|(flow, _)| flow))
            .filter(|flow| *flow != "unlock" && *flow != "queue")
            .map(str::to_owned);
        queue::Context {
            lang: self.lang,
            flow,
            steps: self.visited.clone(),
            serial: self.serial_keyed().map(str::to_owned),
            caller: self.caller.clone(),
        }
    }

    fn other_language(&self) -> Option<Lang> {
        self.languages.iter().copied().find(|l| *l != self.lang)
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Where the caller is, or `None` once the menu's part is over.
    pub fn place(&self) -> Option<Place> {
        match self.state {
            State::At(place) => Some(place),
            State::Ended(_) => None,
        }
    }

    pub fn ending(&self) -> Option<Ending> {
        match self.state {
            State::Ended(ending) => Some(ending),
            State::At(_) => None,
        }
    }

    /// The serial number the caller keyed, if any (for the agent's hand-over).
    pub fn serial_keyed(&self) -> Option<&str> {
        Some(self.unlocking.serial.as_str()).filter(|s| !s.is_empty())
    }

    /// The places visited, as "menu", "flow-id/step-id" or "unlock/stage", in order.
    pub fn visited(&self) -> &[String] {
        &self.visited
    }

    /// The call is answered: welcome, then the main menu, ending with "For English, press
    /// 9" said in English.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut effects = vec![Effect::Say(self.lang, Utterance::prompt("phone-welcome"))];
        effects.extend(self.present());
        effects
    }

    /// Handles one input at Copenhagen local time `now`.
    pub fn handle(&mut self, input: Input, now: NaiveDateTime) -> Vec<Effect> {
        let State::At(place) = self.state else {
            // The call has left the menu: nothing more to do.
            return Vec::new();
        };
        if let Input::Key(_) = input {
            self.silences = 0;
        }
        if let Place::Unlock(stage) = place {
            return self.handle_keying(stage, input, now);
        }
        if let Place::Queue(waiting) = place {
            return self.handle_waiting(waiting, input, now);
        }
        match (place, input) {
            // Answers nothing asked for.
            (_, Input::Unlocked(_) | Input::Queued(_) | Input::AgentTook) => Vec::new(),
            // Silence: ask again, and after the third time hand over or say goodbye.
            (_, Input::Silence) => {
                self.silences += 1;
                if self.silences < MAX_SILENCES {
                    let mut effects = vec![self.say(Utterance::prompt("phone-no-input"))];
                    effects.extend(self.present());
                    effects
                } else {
                    self.agent_or_goodbye(now, Ending::NoInput)
                }
            }
            // * repeats wherever the caller is.
            (_, Input::Key(Key::Star)) => self.present(),
            // 0 asks for an agent; when closed, the caller hears the hours and stays.
            (_, Input::Key(Key::Digit(0))) => {
                if self.hours.status_at(now).open {
                    self.queue(now)
                } else {
                    let mut effects = vec![self.say(closed_message(&self.hours, now))];
                    effects.extend(self.present());
                    effects
                }
            }
            // # goes back one place; in the main menu there is nowhere back to.
            (_, Input::Key(Key::Hash)) => match self.back.pop() {
                Some(previous) => self.go(previous, now),
                None => self.present(),
            },
            // 9 in the main menu switches language.
            (Place::Menu, Input::Key(Key::Digit(9))) if self.other_language().is_some() => {
                self.lang = self.other_language().unwrap_or(self.lang);
                self.present()
            }
            // A digit in the main menu starts the flow with that menu key.
            (Place::Menu, Input::Key(key)) => match self.flows.by_menu_key(key.to_char()) {
                Some(flow) => {
                    self.back.push(place);
                    self.go(Place::Step { flow, step: 0 }, now)
                }
                None => self.invalid(),
            },
            // A digit in a step follows its choice.
            (Place::Step { flow, step }, Input::Key(key)) => {
                match self.flows.flows[flow].steps[step].choice(key.to_char()) {
                    Some(choice) => {
                        self.back.push(place);
                        self.go(
                            Place::Step {
                                flow,
                                step: choice.next,
                            },
                            now,
                        )
                    }
                    None => self.invalid(),
                }
            }
            (Place::Unlock(_) | Place::Queue(_), Input::Key(_)) => {
                unreachable!("handled by handle_keying and handle_waiting")
            }
        }
    }

    /// Keying the serial and two codes: digits are collected silently, # ends an entry,
    /// * starts it again; silence asks again (up to [`MAX_KEYING_SILENCES`]).
    fn handle_keying(&mut self, stage: Stage, input: Input, now: NaiveDateTime) -> Vec<Effect> {
        match (stage, input) {
            // The service's answer.
            (Stage::Checking, Input::Unlocked(result)) => self.unlock_answer(result, now),
            // Keys while the service is asked are ignored.
            (Stage::Checking, _) => Vec::new(),
            (_, Input::Unlocked(_) | Input::Queued(_) | Input::AgentTook) => Vec::new(),
            (_, Input::Silence) => {
                self.silences += 1;
                if self.silences >= MAX_KEYING_SILENCES {
                    self.agent_or_goodbye(now, Ending::NoInput)
                } else {
                    let mut effects = vec![self.say(Utterance::prompt("phone-no-input"))];
                    effects.extend(self.present());
                    effects
                }
            }
            // * starts the entry again.
            (_, Input::Key(Key::Star)) => {
                self.unlocking.entry = Keyed::default();
                self.present()
            }
            // A digit: kept, nothing said.
            (_, Input::Key(Key::Digit(d))) => {
                if self.unlocking.entry.0.len() >= MAX_ENTRY {
                    self.unlocking.entry = Keyed::default();
                    return self.invalid();
                }
                self.unlocking.entry.0.push(char::from(b'0' + d));
                vec![Effect::Listen]
            }
            // # ends the entry.
            (Stage::Serial, Input::Key(Key::Hash)) => {
                let entry = std::mem::take(&mut self.unlocking.entry);
                if entry.0.is_empty() {
                    return self.invalid();
                }
                self.unlocking.serial = entry.0;
                self.go(Place::Unlock(Stage::FirstCode), now)
            }
            (Stage::FirstCode, Input::Key(Key::Hash)) => {
                let entry = std::mem::take(&mut self.unlocking.entry);
                if !(6..=10).contains(&entry.0.len()) {
                    return self.code_length();
                }
                self.unlocking.first = entry;
                self.go(Place::Unlock(Stage::SecondCode), now)
            }
            (Stage::SecondCode, Input::Key(Key::Hash)) => {
                let entry = std::mem::take(&mut self.unlocking.entry);
                if !(6..=10).contains(&entry.0.len()) {
                    return self.code_length();
                }
                let first = std::mem::take(&mut self.unlocking.first);
                self.go(Place::Unlock(Stage::Checking), now);
                vec![
                    self.say(Utterance::prompt("phone-unlock-checking")),
                    Effect::Unlock(UnlockRequest {
                        serial: self.unlocking.serial.clone(),
                        first: first.0,
                        second: entry.0,
                    }),
                ]
            }
        }
    }

    fn code_length(&self) -> Vec<Effect> {
        let mut effects = vec![self.say(Utterance::prompt("phone-unlock-code-length"))];
        effects.extend(self.present());
        effects
    }

    fn unlock_answer(&mut self, result: UnlockResult, now: NaiveDateTime) -> Vec<Effect> {
        match result {
            UnlockResult::Unlocked => {
                self.state = State::Ended(Ending::Resolved);
                let words = Utterance::prompt("phone-unlock-done").then_prompt("phone-goodbye");
                vec![self.say(words), Effect::HangUp]
            }
            UnlockResult::WrongCodes | UnlockResult::UnknownSerial => {
                self.unlocking.attempts += 1;
                let (prompt, again) = if result == UnlockResult::WrongCodes {
                    ("phone-unlock-wrong", Stage::FirstCode)
                } else {
                    ("phone-unlock-unknown-serial", Stage::Serial)
                };
                let mut effects = vec![self.say(Utterance::prompt(prompt))];
                if self.unlocking.attempts >= MAX_UNLOCK_ATTEMPTS {
                    effects.extend(self.agent_or_goodbye(now, Ending::ClosedToldHours));
                } else {
                    effects.extend(self.go(Place::Unlock(again), now));
                }
                effects
            }
            UnlockResult::Unavailable => {
                let mut effects = vec![self.say(Utterance::prompt("phone-unlock-unavailable"))];
                effects.extend(self.agent_or_goodbye(now, Ending::ClosedToldHours));
                effects
            }
        }
    }

    fn say(&self, utterance: Utterance) -> Effect {
        Effect::Say(self.lang, utterance)
    }

    fn invalid(&self) -> Vec<Effect> {
        let mut effects = vec![self.say(Utterance::prompt("phone-invalid-key"))];
        effects.extend(self.present());
        effects
    }

    /// Moves to a place and presents it; a final step ends the call its way.
    fn go(&mut self, place: Place, now: NaiveDateTime) -> Vec<Effect> {
        self.state = State::At(place);
        self.visited.push(match place {
            Place::Menu => "menu".to_owned(),
            Place::Unlock(stage) => format!(
                "unlock/{}",
                match stage {
                    Stage::Serial => "serial",
                    Stage::FirstCode => "first-code",
                    Stage::SecondCode => "second-code",
                    Stage::Checking => "checking",
                }
            ),
            Place::Step { flow, step } => {
                let flow = &self.flows.flows[flow];
                format!("{}/{}", flow.id, flow.steps[step].id)
            }
            Place::Queue(waiting) => format!(
                "queue/{}",
                match waiting {
                    Waiting::Holding => "holding",
                    Waiting::Confirm => "callback-confirm",
                    Waiting::KeyNumber => "callback-number",
                }
            ),
        });
        if let Place::Step { flow, step } = place {
            let step = &self.flows.flows[flow].steps[step];
            match step.end {
                Some(End::Done) => {
                    self.state = State::Ended(Ending::Resolved);
                    let words = Utterance::default()
                        .then_text(step.say.get(self.lang))
                        .then_prompt("phone-goodbye");
                    return vec![self.say(words), Effect::HangUp];
                }
                Some(End::Agent) => {
                    let mut effects =
                        vec![self.say(Utterance::default().then_text(step.say.get(self.lang)))];
                    effects.extend(self.agent_or_goodbye(now, Ending::ClosedToldHours));
                    return effects;
                }
                Some(End::Unlock) => {
                    let mut effects =
                        vec![self.say(Utterance::default().then_text(step.say.get(self.lang)))];
                    self.unlocking = Unlocking::default();
                    effects.extend(self.go(Place::Unlock(Stage::Serial), now));
                    return effects;
                }
                None => {}
            }
        }
        self.present()
    }

    /// Says the current place with its choices and hints, then listens.
    fn present(&self) -> Vec<Effect> {
        let mut words = Utterance::default();
        match self.state {
            State::At(Place::Menu) => {
                words = words.then_prompt("phone-menu-intro");
                for flow in &self.flows.flows {
                    let key = flow.menu_key.to_string();
                    words = words.then_prompt_with(
                        "phone-menu-item",
                        &[("title", flow.title.get(self.lang)), ("key", &key)],
                    );
                }
            }
            State::At(Place::Step { flow, step }) => {
                let step = &self.flows.flows[flow].steps[step];
                words = words.then_text(step.say.get(self.lang));
                for choice in &step.choices {
                    let key = choice.key.to_string();
                    words = words.then_prompt_with(
                        "phone-press",
                        &[("key", &key), ("label", choice.label.get(self.lang))],
                    );
                }
            }
            State::At(Place::Unlock(stage)) => {
                let id = match stage {
                    Stage::Serial => "phone-unlock-serial",
                    Stage::FirstCode => "phone-unlock-first",
                    Stage::SecondCode => "phone-unlock-second",
                    Stage::Checking => return Vec::new(),
                };
                return vec![self.say(Utterance::prompt(id)), Effect::Listen];
            }
            State::At(Place::Queue(waiting)) => return self.present_waiting(waiting),
            State::Ended(_) => return Vec::new(),
        }
        words = words.then_prompt("phone-hints");
        let mut effects = vec![self.say(words)];
        if let (State::At(Place::Menu), Some(other)) = (self.state, self.other_language()) {
            // The way to the other language is said in that language, by its own voice.
            effects.push(Effect::Say(
                other,
                Utterance::prompt("phone-choose-language"),
            ));
        }
        effects.push(Effect::Listen);
        effects
    }

    fn queue(&mut self, now: NaiveDateTime) -> Vec<Effect> {
        self.go(Place::Queue(Waiting::Holding), now);
        vec![self.say(Utterance::prompt("phone-queue")), Effect::Queue]
    }

    /// Waiting for an agent: the place in the queue is said when the line tells it, 1
    /// offers a call-back to the caller's number (confirmed by keypad, or keyed), and an
    /// agent taking the call ends the menu's part.
    fn handle_waiting(
        &mut self,
        waiting: Waiting,
        input: Input,
        now: NaiveDateTime,
    ) -> Vec<Effect> {
        match (waiting, input) {
            (_, Input::AgentTook) => {
                self.state = State::Ended(Ending::Queued);
                vec![self.say(Utterance::prompt("phone-agent-connecting"))]
            }
            (Waiting::Holding, Input::Queued(place)) => {
                let (position, minutes) = (place.position.to_string(), place.minutes.to_string());
                let words = Utterance::default()
                    .then_prompt_with(
                        "phone-queue-place",
                        &[("position", &position), ("minutes", &minutes)],
                    )
                    .then_prompt("phone-callback-offer");
                vec![self.say(words), Effect::Hold]
            }
            // Told while confirming or keying: said at the next announcement instead.
            (_, Input::Queued(_)) | (_, Input::Unlocked(_)) => Vec::new(),
            (Waiting::Holding, Input::Key(Key::Digit(1))) => match self.caller.clone() {
                Some(number) => {
                    self.callback = Some(number);
                    self.wait_at(Waiting::Confirm, now)
                }
                None => self.wait_at(Waiting::KeyNumber, now),
            },
            (Waiting::Holding, Input::Key(_) | Input::Silence) => vec![Effect::Hold],
            (Waiting::Confirm, Input::Key(Key::Digit(1))) => {
                let Some(number) = self.callback.clone() else {
                    return self.wait_at(Waiting::KeyNumber, now);
                };
                self.state = State::Ended(Ending::CallbackBooked);
                vec![
                    Effect::Callback(number),
                    self.say(
                        Utterance::prompt("phone-callback-booked").then_prompt("phone-goodbye"),
                    ),
                    Effect::HangUp,
                ]
            }
            (Waiting::Confirm, Input::Key(Key::Digit(2))) => self.wait_at(Waiting::KeyNumber, now),
            (Waiting::KeyNumber, Input::Key(Key::Digit(d))) => {
                if self.unlocking.entry.0.len() >= MAX_ENTRY {
                    self.unlocking.entry = Keyed::default();
                    return self.invalid();
                }
                self.unlocking.entry.0.push(char::from(b'0' + d));
                vec![Effect::Listen]
            }
            (Waiting::KeyNumber, Input::Key(Key::Hash)) => {
                let entry = std::mem::take(&mut self.unlocking.entry);
                match PhoneNumber::parse(&entry.0) {
                    Some(number) => {
                        self.callback = Some(number);
                        self.wait_at(Waiting::Confirm, now)
                    }
                    None => {
                        let mut effects = vec![self.say(Utterance::prompt("phone-invalid-key"))];
                        effects.extend(self.present());
                        effects
                    }
                }
            }
            // * (or silence, or another key) while confirming or keying: back to holding,
            // in the same place.
            (Waiting::Confirm | Waiting::KeyNumber, _) => {
                self.unlocking.entry = Keyed::default();
                self.state = State::At(Place::Queue(Waiting::Holding));
                vec![
                    self.say(Utterance::prompt("phone-queue-still")),
                    Effect::Hold,
                ]
            }
        }
    }

    fn wait_at(&mut self, waiting: Waiting, now: NaiveDateTime) -> Vec<Effect> {
        self.unlocking.entry = Keyed::default();
        self.go(Place::Queue(waiting), now)
    }

    fn present_waiting(&self, waiting: Waiting) -> Vec<Effect> {
        match waiting {
            Waiting::Holding => vec![Effect::Hold],
            Waiting::Confirm => {
                let number = self
                    .callback
                    .as_ref()
                    .map(PhoneNumber::spoken)
                    .unwrap_or_default();
                let words = Utterance::prompt("phone-callback-confirm")
                    .then_text(&number)
                    .then_prompt("phone-callback-confirm-keys");
                vec![self.say(words), Effect::Listen]
            }
            Waiting::KeyNumber => vec![
                self.say(Utterance::prompt("phone-callback-key-number")),
                Effect::Listen,
            ],
        }
    }

    /// An agent when the line is open; otherwise the hours and goodbye.
    fn agent_or_goodbye(&mut self, now: NaiveDateTime, closed: Ending) -> Vec<Effect> {
        if self.hours.status_at(now).open {
            return self.queue(now);
        }
        self.state = State::Ended(closed);
        let words = closed_message(&self.hours, now)
            .then_prompt("phone-call-again")
            .then_prompt("phone-goodbye");
        vec![self.say(words), Effect::HangUp]
    }
}

/// "The line is closed", the hours, and when it opens next (always today or tomorrow,
/// since it opens every day).
fn closed_message(hours: &OpeningHours, now: NaiveDateTime) -> Utterance {
    let status = hours.status_at(now);
    let hour = status.next_change.format("%-H").to_string();
    let id = if status.next_change.date() == now.date() {
        "phone-opens-today"
    } else {
        "phone-opens-tomorrow"
    };
    let span = |(open, close): (u32, u32)| (open.to_string(), close.to_string());
    let (weekday_open, weekday_close) = span(hours.weekdays);
    let (weekend_open, weekend_close) = span(hours.weekends);
    Utterance::default()
        .then_prompt_with(
            "phone-closed",
            &[
                ("weekday_open", &weekday_open),
                ("weekday_close", &weekday_close),
                ("weekend_open", &weekend_open),
                ("weekend_close", &weekend_close),
            ],
        )
        .then_prompt_with(id, &[("hour", &hour)])
}

#[cfg(test)]
mod tests;
