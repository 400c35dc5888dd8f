//! The device core: a pure state machine. Events (keys, ticks, headphones, battery,
//! power, storage and audio results) go in with the time; effects (draw, say, stop,
//! persist, power off) come out. It never touches hardware, clocks or files.
//!
//! Architecture invariant: a code is only shown for the time step it belongs to, and only
//! spoken through headphones unless the user chose the speaker (EN 301 549 5.1.3.9): by a
//! second press of the red key after the device offered it, or by the persisted "always
//! read aloud" setting.
//!
//! The keys, as on MitID's audio code reader:
//! - the red key, from off: switch on, show the code and say it, in one press;
//! - the red key, tapped while on: say the code again (a fresh one once its step passed);
//!   without headphones the first press only says that headphones can be connected or
//!   that another press reads the code aloud, and that press reads it on the speaker;
//! - a digit key alone: show and say the code, like the red key;
//! - hold the red key and press a digit (a chord): right-hand keys up, left-hand keys
//!   down — 1/3 volume, 4/6 speed, 7/9 language — 0 repeat, 2 grouping, 5 key help,
//!   8 settings menu;
//! - without pressing two keys at once (EN 301 549 5.9): hold the red key until it says
//!   "function" (`function_hold_ms`), release it, then press the digit;
//! - hold the red key alone for `power_off_hold_ms`: switch off.

use otp::{Code, Hotp, Serial, Totp};
use speech::{Grouping, Lang, Part, Rate, Utterance};

use crate::keys::{Column, Edge, Key, KeyFilter};
use crate::screen::{Fault, Notice, Screen, Silence, Status, View};

/// 2024-01-01T00:00:00Z: an RTC that reads earlier than this has lost its time.
pub const EARLIEST_TRUSTED_UNIX: u64 = 1_704_067_200;

/// The choices of the double-strike window the menu cycles through, in milliseconds.
pub const DOUBLE_STRIKE_STEPS: [u64; 5] = [0, 250, 500, 750, 1000];

/// The time, passed into every call: a monotonic clock for key timing and timeouts, and
/// the wall clock (from the RTC) for codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    pub mono_ms: u64,
    pub unix_ms: u64,
}

impl Now {
    pub fn unix_secs(self) -> u64 {
        self.unix_ms / 1000
    }
}

/// Fixed behaviour, from the config file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Edges of one key closer than this are switch bounce (default 30 ms).
    pub debounce_ms: u64,
    /// A shown code is cleared after this many seconds even if its step lasts longer
    /// (and HOTP codes, which have no step, always).
    pub code_timeout_s: u64,
    /// Switch off after this many seconds without a key press; `None` never (WCAG 2.2.1).
    pub auto_off_s: Option<u64>,
    /// Warn this many seconds before the automatic switch-off (WCAG 2.2.1: at least 20).
    pub auto_off_warning_s: u64,
    /// Holding the red key alone this long announces function mode; released then, the
    /// next digit is a function (the one-key way to every function, EN 301 549 5.9).
    pub function_hold_ms: u64,
    /// Holding the red key alone this long switches the device off.
    pub power_off_hold_ms: u64,
    /// A new device reads codes aloud through the speaker without asking ("always read
    /// aloud"), as MitID's does; the user can change it in the menu, and it is kept.
    pub always_aloud: bool,
    /// The volume at every power on (5.1.3.13), 1..=`max_volume`.
    pub default_volume: u8,
    pub max_volume: u8,
    pub battery_low_percent: u8,
    /// At or below this the device says so and switches off before the power fails.
    pub battery_critical_percent: u8,
    /// A wall clock that falls behind the monotonic clock by more than this is untrusted.
    pub clock_jump_tolerance_s: u64,
    /// How long saying a code takes at most: "code expired" waits until then after the
    /// code was last said, so it never cuts the code off (the screen clears at once).
    pub code_speech_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            debounce_ms: 30,
            code_timeout_s: 60,
            auto_off_s: Some(180),
            auto_off_warning_s: 30,
            function_hold_ms: 800,
            power_off_hold_ms: 2000,
            always_aloud: false,
            default_volume: 4,
            max_volume: 10,
            battery_low_percent: 15,
            battery_critical_percent: 3,
            clock_jump_tolerance_s: 5,
            code_speech_ms: 8000,
        }
    }
}

/// The user's choices, kept across power cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub lang: Lang,
    pub grouping: Grouping,
    pub rate: Rate,
    /// The double-strike window (5.8), one of [`DOUBLE_STRIKE_STEPS`].
    pub double_strike_ms: u64,
    pub invert: bool,
    /// Codes are read aloud through the speaker without headphones, with no second press:
    /// the user's explicit, persisted choice (EN 301 549 5.1.3.9).
    pub always_aloud: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lang: Lang::Da,
            grouping: Grouping::Threes,
            rate: Rate::Normal,
            double_strike_ms: 0,
            invert: false,
            always_aloud: false,
        }
    }
}

/// Everything that must survive a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub settings: Settings,
    /// HOTP devices: the next counter not yet used. A code is shown only after the
    /// record with the counter past it is saved.
    pub hotp_next: Option<u64>,
    /// The latest wall time (Unix seconds) the device has trusted; an RTC reading earlier
    /// than this means the clock went backwards.
    pub clock_mark: u64,
}

impl Record {
    /// The record of a device that has never saved one: default settings, with "always
    /// read aloud" as the deployment's config chooses.
    pub fn fresh(config: &Config) -> Record {
        Record {
            settings: Settings {
                always_aloud: config.always_aloud,
                ..Settings::default()
            },
            ..Record::default()
        }
    }
}

/// The one-time-code generator the device was provisioned with.
#[derive(Debug, Clone)]
pub enum Token {
    Totp(Totp),
    Hotp(Hotp),
}

/// Something that happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Power came on (boot).
    PowerOn,
    /// Power is going away (shutdown requested by the system).
    PowerOff,
    /// A raw key edge; the core debounces it.
    Key(Key, Edge),
    /// Time passes; the shell sends this a few times a second.
    Tick,
    /// Headphones plugged in (`true`) or out.
    Headphones(bool),
    /// The battery's charge in percent.
    Battery(u8),
    /// The last [`Effect::Persist`] reached storage.
    Saved,
    /// The last [`Effect::Persist`] failed.
    SaveFailed,
    /// Audio works again (`None`) or why it does not.
    Audio(Option<Silence>),
}

/// Where speech goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Private listening through the 3.5 mm jack.
    Headphones,
    /// The built-in speaker: never codes unless the user chose it.
    Speaker,
}

/// An utterance with the listener's settings, ready for the speech crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    pub utterance: Utterance,
    pub channel: Channel,
    pub lang: Lang,
    pub grouping: Grouping,
    pub rate: Rate,
    /// 1..=max volume.
    pub volume: u8,
}

/// Something the shell must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Draw(Screen),
    /// Stop what is being said and say this instead.
    Say(Speech),
    StopSpeaking,
    /// Write this record crash-safely, then send [`Event::Saved`] or [`Event::SaveFailed`].
    Persist(Record),
    /// Switch the screen and audio off (after this speech has been said).
    PowerOff,
}

/// What the keys do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    /// On; the red key (tapped) or a digit says the code.
    Idle,
    /// Sticky function mode (EN 301 549 5.9): the red key was held until it said
    /// "function" and released; the next digit is a function, the red key cancels.
    Function,
    /// The settings menu (red + 8).
    Menu,
    /// Keys say what they do instead of doing it; `armed` after the red key, so that 5
    /// next leaves key help (as does red + 5 held together).
    KeyHelp {
        armed: bool,
    },
    /// The serial number is shown and spoken; digits repeat it.
    Activation,
    /// Waiting for storage to confirm that HOTP `counter` is used up.
    Reserving {
        counter: u64,
    },
}

/// The red key while it is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RedPress {
    since_ms: u64,
    /// The press already did its job (switched on, left a menu, made a chord): its release
    /// and its hold do nothing more.
    used: bool,
    /// Held past `function_hold_ms` and "function" was said: released, function mode.
    latched: bool,
}

/// How the user asked for the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// The red key: a second press after the offer reads the code on the speaker.
    Red,
    /// A digit key.
    Digit,
}

/// A code on the screen. Its digits leave memory with it (`Code` is a plain value that
/// redacts itself in `Debug`).
struct Shown {
    code: Code,
    /// The TOTP step it belongs to (HOTP codes have none).
    step: Option<u64>,
    shown_mono_ms: u64,
    /// Without headphones the speaker offered to read this code aloud on a second press of
    /// the red key.
    aloud_offered: bool,
}

/// The audio code reader's brain. See the module docs.
pub struct Device {
    config: Config,
    token: Option<Token>,
    serial: Serial,
    record: Record,
    mode: Mode,
    red: Option<RedPress>,
    keys: KeyFilter,
    volume: u8,
    speaker_on: bool,
    headphones: bool,
    battery: Option<u8>,
    battery_warned: bool,
    silence: Option<Silence>,
    clock_wrong: bool,
    storage_failed: bool,
    /// The last wall/monotonic reading, to see the wall clock jump backwards.
    last_now: Option<Now>,
    shown: Option<Shown>,
    notice: Option<Notice>,
    last_message: Option<Utterance>,
    /// When a code was last said (monotonic ms).
    code_said_ms: Option<u64>,
    /// The monotonic time of the event being handled.
    event_ms: u64,
    /// An announcement waiting for the code being said to finish, and when it is due.
    pending: Option<(Utterance, u64)>,
    last_activity_ms: u64,
    auto_off_warned: bool,
    drawn: Option<Screen>,
}

/// Debug output never holds a code (nor the last message, which may).
impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("mode", &self.mode)
            .field("settings", &self.record.settings)
            .field("volume", &self.volume)
            .field("headphones", &self.headphones)
            .field("speaker_on", &self.speaker_on)
            .field("code_shown", &self.shown.is_some())
            .field("clock_wrong", &self.clock_wrong)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// A device that is switched off; send [`Event::PowerOn`] (or press the red key).
    pub fn new(config: Config, serial: Serial, token: Option<Token>, record: Record) -> Self {
        let keys = KeyFilter::new(config.debounce_ms, record.settings.double_strike_ms);
        let volume = config.default_volume;
        Device {
            config,
            token,
            serial,
            record,
            mode: Mode::Off,
            red: None,
            keys,
            volume,
            speaker_on: false,
            headphones: false,
            battery: None,
            battery_warned: false,
            silence: None,
            clock_wrong: false,
            storage_failed: false,
            last_now: None,
            shown: None,
            notice: None,
            last_message: None,
            code_said_ms: None,
            event_ms: 0,
            pending: None,
            last_activity_ms: 0,
            auto_off_warned: false,
            drawn: None,
        }
    }

    pub fn is_on(&self) -> bool {
        self.mode != Mode::Off
    }

    pub fn settings(&self) -> Settings {
        self.record.settings
    }

    pub fn record(&self) -> Record {
        self.record
    }

    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// Whether codes go to the speaker now: the user chose it for this session (a second
    /// press of the red key) or for good ("always read aloud").
    pub fn speaker_on(&self) -> bool {
        self.speaker_on
    }

    pub fn headphones(&self) -> bool {
        self.headphones
    }

    /// What the screen shows now.
    pub fn screen(&self) -> Screen {
        let view = match self.mode {
            Mode::Off => View::Off,
            Mode::Function => View::Function,
            Mode::Menu => View::Menu,
            Mode::KeyHelp { .. } => View::KeyHelp,
            Mode::Activation => View::Activation {
                serial: self.serial.clone(),
            },
            Mode::Reserving { .. } => View::Working,
            Mode::Idle => match (&self.shown, self.fault()) {
                (Some(shown), _) => View::Code { code: shown.code },
                (None, Some(fault)) => View::Fault(fault),
                (None, None) => View::Ready,
            },
        };
        Screen {
            view,
            notice: self.notice.filter(|_| self.is_on()),
            status: Status {
                headphones: self.headphones,
                speaker_on: self.speaker_on,
                battery_percent: self.battery,
                volume: self.volume,
                silence: self.silence,
            },
            lang: self.record.settings.lang,
            grouping: self.record.settings.grouping,
            invert: self.record.settings.invert,
        }
    }

    /// Handles one event at time `now` and returns what the shell must do, in order.
    pub fn handle(&mut self, event: Event, now: Now) -> Vec<Effect> {
        let mut out = Vec::new();
        self.event_ms = now.mono_ms;
        if self.is_on() {
            self.check_clock(now, &mut out);
            self.expire_code(now, &mut out);
        }
        // Edges the debounce held back are taken once their window has passed, so the
        // device always ends up agreeing with the keys as they physically are.
        for (key, edge) in self.keys.settle(now.mono_ms) {
            self.key_taken(edge, now, &mut out);
            self.dispatch(Event::Key(key, edge), now, &mut out);
        }
        match event {
            Event::Key(key, edge) => {
                if let Some(edge) = self.keys.feed(key, edge, now.mono_ms) {
                    self.key_taken(edge, now, &mut out);
                    self.dispatch(Event::Key(key, edge), now, &mut out);
                }
            }
            other => self.dispatch(other, now, &mut out),
        }
        self.finish(out)
    }

    /// One debounced event in the current mode.
    fn dispatch(&mut self, event: Event, now: Now, out: &mut Vec<Effect>) {
        let red_down = self.red.is_some();
        match (self.mode, event) {
            // Switched off, the red key: switch on and give the code, in one press.
            (Mode::Off, Event::Key(Key::Function, Edge::Down)) => {
                self.power_on(now, out);
                // A battery too low to stay on switched it off again at once.
                if self.is_on() {
                    self.red = Some(RedPress {
                        since_ms: now.mono_ms,
                        used: true,
                        latched: false,
                    });
                    self.request_code(Ask::Red, now, out);
                }
            }
            // Switched off, the power supply (boot): switch on and wait for the red key.
            (Mode::Off, Event::PowerOn) => {
                self.power_on(now, out);
                if self.is_on() && self.fault().is_none() {
                    self.say(Utterance::prompt("ready"), out);
                }
            }
            // Switched off: the battery level is noted.
            (Mode::Off, Event::Battery(percent)) => self.battery = Some(percent),
            // Switched off: headphones are noted so the first code after power on is private.
            (Mode::Off, Event::Headphones(plugged)) => self.headphones = plugged,
            // Switched off: nothing else matters.
            (Mode::Off, _) => {}
            // The system is shutting down.
            (_, Event::PowerOff) => self.power_off(None, out),
            // Already on; a second power-on report changes nothing.
            (_, Event::PowerOn) => {}
            // Time passes: the red key held, announcements due, automatic switch-off.
            (_, Event::Tick) => self.tick(now, out),
            // Headphones in or out; unplugging stops speech so it never moves to the speaker.
            (_, Event::Headphones(plugged)) => self.headphones_changed(plugged, out),
            // Battery level: warn once when low, switch off safely when critical.
            (_, Event::Battery(percent)) => self.battery_changed(percent, out),
            // The HOTP counter is safely used up: now the code may be shown.
            (Mode::Reserving { counter }, Event::Saved) => self.show_hotp(counter, now, out),
            // The HOTP counter could not be saved: no code, say why.
            (Mode::Reserving { .. }, Event::SaveFailed) => {
                self.storage_failed = true;
                self.mode = Mode::Idle;
                self.say(Utterance::prompt("storage-failed"), out);
            }
            // A settings save landed.
            (_, Event::Saved) => {}
            // A settings save failed: the change holds until power off; say so.
            (_, Event::SaveFailed) => {
                self.notice = Some(Notice::SettingsNotSaved);
                self.say(Utterance::prompt("settings-not-saved"), out);
            }
            // Audio lost or back: the status bar says why the device is silent.
            (_, Event::Audio(silence)) => self.silence = silence,
            // The red key released: a tap asks for the code; a latched hold opens function
            // mode; a press that already did something does nothing more.
            (mode, Event::Key(Key::Function, Edge::Up)) => self.red_released(mode, now, out),
            // Digit releases mean nothing.
            (_, Event::Key(_, Edge::Up)) => {}
            // Busy reserving an HOTP counter: keys wait (speech was stopped); a red press
            // is spent so its release asks for nothing.
            (Mode::Reserving { .. }, Event::Key(key, Edge::Down)) => {
                if key == Key::Function {
                    self.red = Some(RedPress {
                        since_ms: now.mono_ms,
                        used: true,
                        latched: false,
                    });
                }
            }
            // The red key goes down while on: what it does is decided on release, on a
            // digit pressed with it, or when it has been held long enough.
            (mode, Event::Key(Key::Function, Edge::Down)) => self.red_pressed(mode, now, out),
            // Key help, red + 5 together (or red then 5): leave key help.
            (Mode::KeyHelp { armed }, Event::Key(Key::D5, Edge::Down)) if armed || red_down => {
                self.spend_red();
                self.mode = Mode::Idle;
                self.say(Utterance::prompt("key-help-off"), out);
            }
            // Key help, a digit: describe it (with the red key held: the chord), do nothing.
            (Mode::KeyHelp { .. }, Event::Key(key, Edge::Down)) => {
                self.spend_red();
                self.mode = Mode::KeyHelp { armed: false };
                self.say_key_help(key, red_down, out);
            }
            // Red held and a digit: a chord, the digit's function.
            (_, Event::Key(key, Edge::Down)) if red_down => {
                self.spend_red();
                self.mode = Mode::Idle;
                self.function_key(key, out);
            }
            // A digit alone: the code, made fresh or repeated.
            (Mode::Idle, Event::Key(_, Edge::Down)) => self.request_code(Ask::Digit, now, out),
            // A digit in sticky function mode: one function, then back to idle.
            (Mode::Function, Event::Key(key, Edge::Down)) => {
                self.mode = Mode::Idle;
                self.function_key(key, out);
            }
            // A digit in the menu: its choice.
            (Mode::Menu, Event::Key(key, Edge::Down)) => self.menu_key(key, out),
            // Activation menu, a digit: say the serial number again.
            (Mode::Activation, Event::Key(_, Edge::Down)) => self.say_serial(out),
        }
    }

    /// Emits a draw if the screen changed.
    fn finish(&mut self, mut out: Vec<Effect>) -> Vec<Effect> {
        let screen = self.screen();
        if self.drawn.as_ref() != Some(&screen) {
            self.drawn = Some(screen.clone());
            out.push(Effect::Draw(screen));
        }
        out
    }

    /// Any accepted key edge: activity, and a press stops speech (5.1.3.5).
    fn key_taken(&mut self, edge: Edge, now: Now, out: &mut Vec<Effect>) {
        self.last_activity_ms = now.mono_ms;
        self.auto_off_warned = false;
        if edge == Edge::Down && self.is_on() {
            self.notice = None;
            out.push(Effect::StopSpeaking);
            // A waiting announcement is not said over the user's action, but can be repeated.
            if let Some((message, _)) = self.pending.take() {
                self.last_message = Some(message);
            }
        }
    }

    /// The red key went down while on (not reserving).
    fn red_pressed(&mut self, mode: Mode, now: Now, out: &mut Vec<Effect>) {
        let used = match mode {
            // Idle: wait for the release, a chord or the hold.
            Mode::Idle => false,
            // Sticky function mode: the red key cancels it.
            Mode::Function => {
                self.mode = Mode::Idle;
                self.guide("function-cancelled", out);
                true
            }
            // The menus: the red key leaves them.
            Mode::Menu | Mode::Activation => {
                self.mode = Mode::Idle;
                self.say(Utterance::prompt("menu-closed"), out);
                true
            }
            // Key help: the red key describes itself and arms the way out (then 5).
            Mode::KeyHelp { .. } => {
                self.mode = Mode::KeyHelp { armed: true };
                self.say_key_help(Key::Function, false, out);
                true
            }
            Mode::Off | Mode::Reserving { .. } => true,
        };
        self.red = Some(RedPress {
            since_ms: now.mono_ms,
            used,
            latched: false,
        });
    }

    fn red_released(&mut self, mode: Mode, now: Now, out: &mut Vec<Effect>) {
        let Some(press) = self.red.take() else { return };
        match (press.used, press.latched, mode) {
            // Already did its job (switched on, chord, left a menu).
            (true, _, _) => {}
            // Held until "function" was said: the next digit is a function.
            (false, true, Mode::Idle) => self.mode = Mode::Function,
            // A tap: the code.
            (false, false, Mode::Idle) => self.request_code(Ask::Red, now, out),
            (false, _, _) => {}
        }
    }

    /// The red key held down did something (a chord): its release does nothing more.
    fn spend_red(&mut self) {
        if let Some(press) = &mut self.red {
            press.used = true;
        }
    }

    fn fault(&self) -> Option<Fault> {
        if self.token.is_none() {
            Some(Fault::NotProvisioned)
        } else if self.clock_wrong {
            Some(Fault::ClockWrong)
        } else if self.storage_failed {
            Some(Fault::StorageFailed)
        } else {
            None
        }
    }

    fn fault_prompt(fault: Fault) -> &'static str {
        match fault {
            Fault::ClockWrong => "clock-wrong",
            Fault::NotProvisioned => "not-provisioned",
            Fault::StorageFailed => "storage-failed",
        }
    }

    /// Switches on: settings that reset after each use (5.1.3.13) go back to their start.
    fn power_on(&mut self, now: Now, out: &mut Vec<Effect>) {
        self.mode = Mode::Idle;
        self.red = None;
        self.volume = self
            .config
            .default_volume
            .clamp(1, self.config.max_volume.max(1));
        self.speaker_on = self.record.settings.always_aloud;
        self.clock_wrong = false;
        self.storage_failed = false;
        self.notice = None;
        self.last_message = None;
        self.last_now = None;
        self.last_activity_ms = now.mono_ms;
        self.auto_off_warned = false;
        self.battery_warned = false;
        self.check_clock(now, out);
        if let Some(fault) = self.fault() {
            self.say(Utterance::prompt(Self::fault_prompt(fault)), out);
        }
        if let Some(percent) = self.battery {
            self.battery_changed(percent, out);
        }
    }

    /// Switches off, saying `announce` first if given (else stopping any speech).
    fn power_off(&mut self, announce: Option<&str>, out: &mut Vec<Effect>) {
        if let Some(prompt) = announce {
            self.say(Utterance::prompt(prompt), out);
        } else {
            out.push(Effect::StopSpeaking);
        }
        self.clear_code();
        self.last_message = None;
        self.pending = None;
        self.mode = Mode::Off;
        self.red = None;
        self.keys.reset();
        out.push(Effect::PowerOff);
    }

    /// The wall clock must be past 2024 and never run backwards (RTC lost power, or set
    /// back): a wrong clock makes wrong TOTP codes, so it blocks them until power off.
    fn check_clock(&mut self, now: Now, out: &mut Vec<Effect>) {
        // HOTP codes do not depend on the time.
        if !matches!(self.token, Some(Token::Totp(_))) {
            return;
        }
        let tolerance_ms = self.config.clock_jump_tolerance_s.saturating_mul(1000);
        let too_early = now.unix_secs() < EARLIEST_TRUSTED_UNIX;
        let before_mark = now
            .unix_secs()
            .saturating_add(self.config.clock_jump_tolerance_s)
            < self.record.clock_mark;
        let jumped_back = self.last_now.is_some_and(|last| {
            let expected = last
                .unix_ms
                .saturating_add(now.mono_ms.saturating_sub(last.mono_ms));
            now.unix_ms.saturating_add(tolerance_ms) < expected
        });
        self.last_now = Some(now);
        if (too_early || before_mark || jumped_back) && !self.clock_wrong {
            self.clock_wrong = true;
            if self.shown.is_some() || matches!(self.mode, Mode::Reserving { .. }) {
                self.clear_code();
                self.mode = Mode::Idle;
                self.say(Utterance::prompt("clock-wrong"), out);
            }
        }
    }

    /// Clears a code whose step has passed or that has been shown long enough, and says so.
    fn expire_code(&mut self, now: Now, out: &mut Vec<Effect>) {
        let Some(shown) = &self.shown else { return };
        let step_over = match (&self.token, shown.step) {
            (Some(Token::Totp(totp)), Some(step)) => totp.step_at(now.unix_secs()) != Ok(step),
            _ => false,
        };
        let timed_out = now.mono_ms.saturating_sub(shown.shown_mono_ms)
            >= self.config.code_timeout_s.saturating_mul(1000);
        if step_over || timed_out {
            self.clear_code();
            let (notice, prompt) = if step_over {
                (Notice::CodeExpired, "code-expired")
            } else {
                (Notice::CodeCleared, "code-cleared")
            };
            self.notice = Some(notice);
            let due = self
                .code_said_ms
                .map_or(0, |said| said.saturating_add(self.config.code_speech_ms));
            if now.mono_ms >= due {
                self.say(Utterance::prompt(prompt), out);
            } else {
                self.pending = Some((Utterance::prompt(prompt), due));
            }
        }
    }

    /// Forgets the code: off the screen, out of memory, and out of "repeat last message".
    fn clear_code(&mut self) {
        self.shown = None;
        let had_code = self.last_message.as_ref().is_some_and(|message| {
            message
                .parts
                .iter()
                .any(|part| matches!(part, Part::Code(_)))
        });
        if had_code {
            self.last_message = None;
        }
    }

    fn tick(&mut self, now: Now, out: &mut Vec<Effect>) {
        if self
            .pending
            .as_ref()
            .is_some_and(|(_, due)| now.mono_ms >= *due)
        {
            if let Some((message, _)) = self.pending.take() {
                self.say(message, out);
            }
        }
        if let Some(press) = self.red {
            let held_ms = now.mono_ms.saturating_sub(press.since_ms);
            if !press.used && held_ms >= self.config.power_off_hold_ms {
                self.notice = Some(Notice::PoweringOff);
                return self.power_off(Some("powering-off"), out);
            }
            if !press.used && !press.latched && held_ms >= self.config.function_hold_ms {
                self.red = Some(RedPress {
                    latched: true,
                    ..press
                });
                self.guide("function-mode", out);
            }
            // Holding the red key is activity: it never times out under the user's finger.
            self.last_activity_ms = now.mono_ms;
        }
        let Some(auto_off_s) = self.config.auto_off_s else {
            return;
        };
        let idle_ms = now.mono_ms.saturating_sub(self.last_activity_ms);
        let warn_at_ms = auto_off_s
            .saturating_sub(self.config.auto_off_warning_s)
            .saturating_mul(1000);
        if idle_ms >= auto_off_s.saturating_mul(1000) {
            self.notice = Some(Notice::PoweringOff);
            self.power_off(Some("powering-off"), out);
        } else if idle_ms >= warn_at_ms && !self.auto_off_warned {
            self.auto_off_warned = true;
            let seconds = auto_off_s.saturating_sub(idle_ms / 1000);
            self.notice = Some(Notice::AutoOff(seconds));
            let text = seconds.to_string();
            self.say(
                Utterance::default().then_prompt_with("auto-off-warning", &[("seconds", &text)]),
                out,
            );
        }
    }

    fn headphones_changed(&mut self, plugged: bool, out: &mut Vec<Effect>) {
        if plugged == self.headphones {
            return;
        }
        self.headphones = plugged;
        if plugged {
            self.notice = Some(Notice::HeadphonesIn);
            self.say(Utterance::prompt("headphones-connected"), out);
        } else {
            out.push(Effect::StopSpeaking);
            self.notice = Some(Notice::HeadphonesOut);
            self.say(Utterance::prompt("headphones-disconnected"), out);
        }
    }

    fn battery_changed(&mut self, percent: u8, out: &mut Vec<Effect>) {
        self.battery = Some(percent);
        if percent <= self.config.battery_critical_percent {
            self.notice = Some(Notice::PoweringOff);
            self.power_off(Some("battery-critical"), out);
        } else if percent <= self.config.battery_low_percent && !self.battery_warned {
            self.battery_warned = true;
            self.notice = Some(Notice::BatteryLow(percent));
            let text = percent.to_string();
            self.say(
                Utterance::default().then_prompt_with("battery-low", &[("percent", &text)]),
                out,
            );
        } else if percent > self.config.battery_low_percent.saturating_add(5) {
            self.battery_warned = false;
        }
    }

    /// The user asks for the code (red key tapped, or a digit): repeat the one shown, or
    /// make a fresh one. Without headphones the speaker first offers; a second press of the
    /// red key takes the offer and reads the code aloud (the user's explicit choice).
    fn request_code(&mut self, ask: Ask, now: Now, out: &mut Vec<Effect>) {
        if let Some(shown) = &self.shown {
            let code = shown.code;
            if ask == Ask::Red && shown.aloud_offered && !self.headphones && !self.speaker_on {
                self.speaker_on = true;
                self.notice = Some(Notice::Speaker(true));
                return self.say(Utterance::prompt("your-code-is").then_code(code), out);
            }
            let message = Utterance::prompt("repeating")
                .then_prompt("your-code-is")
                .then_code(code);
            return self.say(message, out);
        }
        if let Some(fault) = self.fault() {
            return self.say(Utterance::prompt(Self::fault_prompt(fault)), out);
        }
        match &self.token {
            Some(Token::Totp(totp)) => {
                let Ok(step) = totp.step_at(now.unix_secs()) else {
                    self.clock_wrong = true;
                    return self.say(Utterance::prompt("clock-wrong"), out);
                };
                let code = totp.code_for_step(step);
                self.show(code, Some(step), now, out);
                if now.unix_secs() > self.record.clock_mark {
                    self.record.clock_mark = now.unix_secs();
                    out.push(Effect::Persist(self.record));
                }
            }
            Some(Token::Hotp(_)) => {
                let counter = self.record.hotp_next.unwrap_or(0);
                self.mode = Mode::Reserving { counter };
                self.record.hotp_next = Some(counter.saturating_add(1));
                self.record.clock_mark = self.record.clock_mark.max(now.unix_secs());
                out.push(Effect::Persist(self.record));
            }
            None => {}
        }
    }

    fn show_hotp(&mut self, counter: u64, now: Now, out: &mut Vec<Effect>) {
        self.mode = Mode::Idle;
        if let Some(Token::Hotp(hotp)) = &self.token {
            let code = hotp.code(counter);
            self.show(code, None, now, out);
        }
    }

    fn show(&mut self, code: Code, step: Option<u64>, now: Now, out: &mut Vec<Effect>) {
        self.shown = Some(Shown {
            code,
            step,
            shown_mono_ms: now.mono_ms,
            aloud_offered: false,
        });
        self.say(Utterance::prompt("your-code-is").then_code(code), out);
    }

    /// The step of the code on screen, if it is a TOTP code (for tests and the simulator).
    pub fn shown_step(&self) -> Option<u64> {
        self.shown.as_ref().and_then(|shown| shown.step)
    }

    /// Says `message`, routing it: a code goes to the headphones when they are in, to the
    /// speaker when the user chose it; otherwise the speaker says only that the code is on
    /// the screen and how to hear it, never a digit (5.1.3.9).
    fn say(&mut self, message: Utterance, out: &mut Vec<Effect>) {
        let private = message
            .parts
            .iter()
            .any(|part| matches!(part, Part::Code(_)));
        let (utterance, channel) = if self.headphones {
            (message.clone(), Channel::Headphones)
        } else if !private || self.speaker_on {
            (message.clone(), Channel::Speaker)
        } else {
            self.notice = Some(Notice::ConnectHeadphones);
            if let Some(shown) = &mut self.shown {
                shown.aloud_offered = true;
            }
            (Utterance::prompt("code-on-screen"), Channel::Speaker)
        };
        if utterance
            .parts
            .iter()
            .any(|part| matches!(part, Part::Code(_)))
        {
            self.code_said_ms = Some(self.event_ms);
        }
        self.last_message = Some(message);
        let settings = self.record.settings;
        out.push(Effect::Say(Speech {
            utterance,
            channel,
            lang: settings.lang,
            grouping: settings.grouping,
            rate: settings.rate,
            volume: self.volume,
        }));
    }

    /// Says a navigation prompt ("function mode", "menu") that "repeat last message" skips,
    /// so red + 0 repeats what was said before it.
    fn guide(&mut self, prompt: &str, out: &mut Vec<Effect>) {
        let last = self.last_message.take();
        self.say(Utterance::prompt(prompt), out);
        self.last_message = last;
    }

    fn settings_changed(&mut self, spoken: Utterance, notice: Notice, out: &mut Vec<Effect>) {
        self.keys
            .set_double_strike_ms(self.record.settings.double_strike_ms);
        self.notice = Some(notice);
        self.say(spoken, out);
        out.push(Effect::Persist(self.record));
    }

    /// A function: red + a digit (held together, or sticky). Right-hand keys turn a
    /// setting up, left-hand keys down (MitID's rule); see [`function_of`].
    fn function_key(&mut self, key: Key, out: &mut Vec<Effect>) {
        let Some(function) = function_of(key) else {
            return; // the red key is never its own function
        };
        match function {
            Function::Repeat => match self.last_message.clone() {
                Some(message) => self.say(message, out),
                None => self.say(Utterance::prompt("nothing-to-repeat"), out),
            },
            Function::Volume(up) => {
                let max = self.config.max_volume.max(1);
                let limit = if up { max } else { 1 };
                let (level, prompt) = if self.volume == limit {
                    (self.volume, if up { "volume-max" } else { "volume-min" })
                } else if up {
                    (self.volume + 1, "volume-up")
                } else {
                    (self.volume - 1, "volume-down")
                };
                self.volume = level;
                self.notice = Some(Notice::Volume(level));
                let text = level.to_string();
                self.say(
                    Utterance::prompt(prompt).then_prompt_with("volume-level", &[("level", &text)]),
                    out,
                );
            }
            Function::Rate(faster) => {
                let rates = [Rate::Slow, Rate::Normal, Rate::Fast];
                let index = rates
                    .iter()
                    .position(|rate| *rate == self.record.settings.rate)
                    .unwrap_or(1);
                let next = if faster {
                    (index + 1).min(rates.len() - 1)
                } else {
                    index.saturating_sub(1)
                };
                let rate = rates[next];
                self.record.settings.rate = rate;
                let prompt = match (rate, next == index) {
                    (Rate::Slow, true) => "rate-slowest",
                    (Rate::Fast, true) => "rate-fastest",
                    (Rate::Slow, _) => "rate-slow",
                    (Rate::Normal, _) => "rate-normal",
                    (Rate::Fast, _) => "rate-fast",
                };
                self.settings_changed(Utterance::prompt(prompt), Notice::Rate(rate), out);
            }
            Function::Language(forward) => {
                let count = Lang::ALL.len();
                let index = Lang::ALL
                    .iter()
                    .position(|lang| *lang == self.record.settings.lang)
                    .unwrap_or(0);
                let next = if forward {
                    (index + 1) % count
                } else {
                    (index + count - 1) % count
                };
                self.set_language(Lang::ALL[next], out);
            }
            Function::Grouping => {
                let next = match self.record.settings.grouping {
                    Grouping::Threes => Grouping::Pairs,
                    Grouping::Pairs => Grouping::Single,
                    Grouping::Single => Grouping::Threes,
                };
                self.record.settings.grouping = next;
                let prompt = match next {
                    Grouping::Threes => "grouping-threes",
                    Grouping::Pairs => "grouping-pairs",
                    Grouping::Single => "grouping-single",
                };
                self.settings_changed(Utterance::prompt(prompt), Notice::Grouping(next), out);
            }
            Function::KeyHelp => {
                self.mode = Mode::KeyHelp { armed: false };
                self.say(Utterance::prompt("key-help-on"), out);
            }
            Function::Menu => {
                self.mode = Mode::Menu;
                self.guide("menu", out);
            }
        }
    }

    fn set_language(&mut self, lang: Lang, out: &mut Vec<Effect>) {
        self.record.settings.lang = lang;
        self.settings_changed(
            Utterance::prompt("language-set"),
            Notice::Language(lang),
            out,
        );
    }

    /// The settings menu (red + 8), then a digit.
    fn menu_key(&mut self, key: Key, out: &mut Vec<Effect>) {
        match key {
            Key::D1 => {
                self.mode = Mode::Idle;
                let next = match self.record.settings.lang {
                    Lang::Da => Lang::En,
                    Lang::En => Lang::Da,
                };
                self.set_language(next, out);
            }
            Key::D2 => {
                self.mode = Mode::Idle;
                let always = !self.record.settings.always_aloud;
                self.record.settings.always_aloud = always;
                self.speaker_on = always;
                let prompt = if always {
                    "always-aloud-on"
                } else {
                    "always-aloud-off"
                };
                self.settings_changed(Utterance::prompt(prompt), Notice::Speaker(always), out);
            }
            Key::D3 => {
                self.mode = Mode::Activation;
                self.say_serial(out);
            }
            Key::D4 => {
                self.mode = Mode::Idle;
                let current = self.record.settings.double_strike_ms;
                let next = DOUBLE_STRIKE_STEPS
                    .iter()
                    .copied()
                    .find(|step| *step > current)
                    .unwrap_or(0);
                self.record.settings.double_strike_ms = next;
                let text = next.to_string();
                let spoken = if next == 0 {
                    Utterance::prompt("double-strike-off")
                } else {
                    Utterance::default().then_prompt_with("double-strike", &[("ms", &text)])
                };
                self.settings_changed(spoken, Notice::DoubleStrike(next), out);
            }
            Key::D5 => {
                self.mode = Mode::Idle;
                self.record.settings.invert = !self.record.settings.invert;
                let invert = self.record.settings.invert;
                let prompt = if invert { "invert-on" } else { "invert-off" };
                self.settings_changed(Utterance::prompt(prompt), Notice::Invert(invert), out);
            }
            Key::D9 => {
                self.notice = Some(Notice::PoweringOff);
                self.power_off(Some("powering-off"), out);
            }
            Key::D0 => self.guide("menu", out),
            _ => {
                self.notice = Some(Notice::NotAChoice);
                self.say(Utterance::prompt("not-a-choice").then_prompt("menu"), out);
            }
        }
    }

    fn say_serial(&mut self, out: &mut Vec<Effect>) {
        let serial = self.serial.clone();
        self.say(
            Utterance::prompt("activation-menu")
                .then_prompt("serial-number-is")
                .then_serial(&serial),
            out,
        );
    }

    /// In key help: the key's name and what it does alone and with the red key; with the
    /// red key held (`chord`), what the chord does.
    fn say_key_help(&mut self, key: Key, chord: bool, out: &mut Vec<Effect>) {
        let function = function_of(key).map_or("function", Function::name);
        let id = if chord {
            "key-help-chord"
        } else {
            "key-help-key"
        };
        self.say(
            Utterance::default()
                .then_prompt_with(id, &[("key", key.name()), ("function", function)]),
            out,
        );
    }
}

/// What red + a digit does. One table for the device, its key help and its docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// 0: repeat the last message.
    Repeat,
    /// 1 down, 3 up.
    Volume(bool),
    /// 4 slower, 6 faster.
    Rate(bool),
    /// 7 back, 9 on (through the languages).
    Language(bool),
    /// 2: threes, pairs, single digits.
    Grouping,
    /// 5 (the key with the raised dot): key help on.
    KeyHelp,
    /// 8: the settings menu.
    Menu,
}

impl Function {
    /// The stable name used in key-help prompts.
    pub fn name(self) -> &'static str {
        match self {
            Function::Repeat => "repeat",
            Function::Volume(true) => "volume-up",
            Function::Volume(false) => "volume-down",
            Function::Rate(true) => "rate-up",
            Function::Rate(false) => "rate-down",
            Function::Language(true) => "language-next",
            Function::Language(false) => "language-previous",
            Function::Grouping => "grouping",
            Function::KeyHelp => "key-help",
            Function::Menu => "menu",
        }
    }
}

/// The function of red + digit `key` (`None` for the red key itself): on each row the
/// right-hand key turns its setting up and the left-hand key down (bottom row volume,
/// middle row speed, top row language).
pub fn function_of(key: Key) -> Option<Function> {
    let up = key.column() == Some(Column::Right);
    Some(match key {
        Key::Function => return None,
        Key::D0 => Function::Repeat,
        Key::D1 | Key::D3 => Function::Volume(up),
        Key::D4 | Key::D6 => Function::Rate(up),
        Key::D7 | Key::D9 => Function::Language(up),
        Key::D2 => Function::Grouping,
        Key::D5 => Function::KeyHelp,
        Key::D8 => Function::Menu,
    })
}

#[cfg(test)]
mod tests;
