//! What the screen shows, as a value: the core produces a [`Screen`], the framebuffer
//! draws it, and tests and the simulator read it as plain text ("482 079").

use speech::{Grouping, Lang, Rate};

/// Why the device cannot make a code, shown and spoken until it is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The real-time clock lost power or jumped backwards: a code would be wrong.
    ClockWrong,
    /// No secret has been provisioned.
    NotProvisioned,
    /// The state file cannot be written, so an HOTP code cannot be reserved.
    StorageFailed,
}

/// Why the device is silent; the code is still shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Silence {
    /// No audio output device could be opened.
    NoAudioDevice,
    /// The voice could not be loaded or could not speak.
    VoiceBroken,
}

/// The main area of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Powered off: the screen is dark.
    Off,
    /// On and waiting: "press the red key for a code".
    Ready,
    /// A code, grouped when drawn as it is grouped when spoken. `Code` redacts itself in
    /// `Debug`, so a screen printed for debugging never shows it.
    Code {
        code: otp::Code,
    },
    /// Waiting for the digit after the red key (sticky function mode).
    Function,
    /// The settings menu (red + 8).
    Menu,
    /// Key-help mode: keys describe themselves.
    KeyHelp,
    /// The activation menu: the serial number, grouped.
    Activation {
        serial: otp::Serial,
    },
    /// An HOTP counter is being reserved before its code is shown.
    Working,
    Fault(Fault),
}

/// A one-line message under the main area: feedback for the last action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Volume(u8),
    Rate(Rate),
    Language(Lang),
    Grouping(Grouping),
    Speaker(bool),
    DoubleStrike(u64),
    Invert(bool),
    ConnectHeadphones,
    HeadphonesIn,
    HeadphonesOut,
    CodeExpired,
    CodeCleared,
    BatteryLow(u8),
    AutoOff(u64),
    NotAChoice,
    SettingsNotSaved,
    PoweringOff,
}

/// The status bar: what a sighted helper needs to see at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub headphones: bool,
    pub speaker_on: bool,
    pub battery_percent: Option<u8>,
    pub volume: u8,
    pub silence: Option<Silence>,
}

/// Everything on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub view: View,
    pub notice: Option<Notice>,
    pub status: Status,
    pub lang: Lang,
    pub grouping: Grouping,
    /// Light text on dark (default) or dark text on light.
    pub invert: bool,
}

/// The code's digits in the groups they are shown and spoken in: 482079 → ["482", "079"].
/// The grouping is speech's ([`speech::words::group_code`]), the one place it is decided.
pub fn code_groups(code: &otp::Code, grouping: Grouping) -> Vec<String> {
    let digits = zeroize::Zeroizing::new(code.to_string());
    speech::words::group_code(&digits, grouping)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A serial number's groups, as speech reads them ([`speech::words::group_serial`]).
pub fn serial_groups(serial: &otp::Serial) -> Vec<&str> {
    speech::words::group_serial(serial)
}

impl Screen {
    /// The main area as lines of text: the code grouped ("482 079"), or a message.
    pub fn main_lines(&self) -> Vec<String> {
        let da = self.lang == Lang::Da;
        let pick = |danish: &str, english: &str| if da { danish } else { english }.to_owned();
        match &self.view {
            View::Off => Vec::new(),
            View::Ready => vec![
                pick("Klar", "Ready"),
                pick("Rød tast: kode", "Red key: code"),
            ],
            View::Code { code } => vec![code_groups(code, self.grouping).join(" ")],
            View::Function => vec![
                pick("Funktion", "Function"),
                pick("Vælg en tast", "Press a key"),
            ],
            View::Menu => vec![
                pick("Menu", "Menu"),
                pick("1 sprog 2 læs højt", "1 language 2 aloud"),
                pick("3 serienr. 4 dobbelttryk", "3 serial 4 double press"),
                pick("5 farver 9 sluk", "5 colours 9 off"),
            ],
            View::KeyHelp => vec![
                pick("Tastehjælp", "Key help"),
                pick("Rød+5: slut", "Red+5: end"),
            ],
            View::Activation { serial } => {
                vec![
                    pick("Serienummer", "Serial number"),
                    serial_groups(serial).join(" "),
                ]
            }
            View::Working => vec![pick("Et øjeblik", "One moment")],
            View::Fault(Fault::ClockWrong) => {
                vec![
                    pick("Uret er forkert", "The clock is wrong"),
                    pick("Ring til support", "Call support"),
                ]
            }
            View::Fault(Fault::NotProvisioned) => {
                vec![
                    pick("Ikke aktiveret", "Not activated"),
                    pick("Ring til support", "Call support"),
                ]
            }
            View::Fault(Fault::StorageFailed) => {
                vec![
                    pick("Lagerfejl", "Storage error"),
                    pick("Ring til support", "Call support"),
                ]
            }
        }
    }

    /// The notice line, if any.
    pub fn notice_line(&self) -> Option<String> {
        let da = self.lang == Lang::Da;
        let pick = |danish: &str, english: &str| if da { danish } else { english }.to_owned();
        let on_off = |on: bool| {
            if on {
                pick("til", "on")
            } else {
                pick("fra", "off")
            }
        };
        Some(match self.notice? {
            Notice::Volume(level) => format!("{} {level}", pick("Lydstyrke", "Volume")),
            Notice::Rate(rate) => match rate {
                Rate::Slow => pick("Langsom tale", "Slow speech"),
                Rate::Normal => pick("Normal tale", "Normal speech"),
                Rate::Fast => pick("Hurtig tale", "Fast speech"),
            },
            Notice::Language(Lang::Da) => "Dansk".to_owned(),
            Notice::Language(Lang::En) => "English".to_owned(),
            Notice::Grouping(grouping) => match grouping {
                Grouping::Threes => pick("Grupper: 3+3", "Groups: 3+3"),
                Grouping::Pairs => pick("Grupper: par", "Groups: pairs"),
                Grouping::Single => pick("Enkelte cifre", "Single digits"),
            },
            Notice::Speaker(on) => format!("{} {}", pick("Højttaler", "Speaker"), on_off(on)),
            Notice::DoubleStrike(0) => pick("Dobbelttryk-filter fra", "Double-press filter off"),
            Notice::DoubleStrike(ms) => format!(
                "{} {ms} ms",
                pick("Dobbelttryk-filter", "Double-press filter")
            ),
            Notice::Invert(on) => format!(
                "{} {}",
                pick("Omvendte farver", "Inverted colours"),
                on_off(on)
            ),
            Notice::ConnectHeadphones => pick("Tilslut høretelefoner", "Connect headphones"),
            Notice::HeadphonesIn => pick("Høretelefoner tilsluttet", "Headphones connected"),
            Notice::HeadphonesOut => pick("Høretelefoner fjernet", "Headphones removed"),
            Notice::CodeExpired => pick("Koden er udløbet", "The code has expired"),
            Notice::CodeCleared => pick("Koden er slettet", "The code was cleared"),
            Notice::BatteryLow(percent) => {
                format!("{} {percent}%", pick("Lavt batteri", "Battery low"))
            }
            Notice::AutoOff(seconds) => format!("{} {seconds} s", pick("Slukker om", "Off in")),
            Notice::NotAChoice => pick("Ikke et valg", "Not a choice"),
            Notice::SettingsNotSaved => pick("Indstilling ikke gemt", "Setting not saved"),
            Notice::PoweringOff => pick("Slukker", "Switching off"),
        })
    }

    /// The status bar as text: `[høretelefoner] batteri 80% lydstyrke 4`.
    pub fn status_line(&self) -> String {
        let da = self.lang == Lang::Da;
        let pick = |danish: &'static str, english: &'static str| if da { danish } else { english };
        let status = &self.status;
        let mut parts = Vec::new();
        if status.headphones {
            parts.push(pick("[høretelefoner]", "[headphones]").to_owned());
        }
        if status.speaker_on {
            parts.push(pick("[højttaler]", "[speaker]").to_owned());
        }
        match status.silence {
            Some(Silence::NoAudioDevice) => parts.push(
                pick(
                    "[ingen lyd: lydenhed mangler]",
                    "[no sound: no audio device]",
                )
                .to_owned(),
            ),
            Some(Silence::VoiceBroken) => {
                parts.push(pick("[ingen lyd: stemmefejl]", "[no sound: voice error]").to_owned())
            }
            None => {}
        }
        if let Some(percent) = status.battery_percent {
            parts.push(format!("{} {percent}%", pick("batteri", "battery")));
        }
        parts.push(format!("{} {}", pick("lydstyrke", "volume"), status.volume));
        parts.join(" ")
    }

    /// The whole screen as text, one line each: main area, notice, status bar. Empty when off.
    pub fn text(&self) -> String {
        if self.view == View::Off {
            return String::new();
        }
        let mut lines = self.main_lines();
        lines.extend(self.notice_line());
        lines.push(self.status_line());
        lines.join("\n")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A screen with a typical status bar (headphones in, 80 %, volume 4), in Danish.
    pub(crate) fn screen(view: View) -> Screen {
        Screen {
            view,
            notice: None,
            status: Status {
                headphones: true,
                speaker_on: false,
                battery_percent: Some(80),
                volume: 4,
                silence: None,
            },
            lang: Lang::Da,
            grouping: Grouping::Threes,
            invert: false,
        }
    }

    fn code(digits: &str) -> otp::Code {
        otp::Code::from_digits(digits).unwrap()
    }

    #[test]
    fn groups_digits_like_the_speech() {
        assert_eq!(
            code_groups(&code("482079"), Grouping::Threes),
            ["482", "079"]
        );
        assert_eq!(
            code_groups(&code("482079"), Grouping::Pairs),
            ["48", "20", "79"]
        );
        assert_eq!(
            code_groups(&code("2057776"), Grouping::Threes),
            ["205", "77", "76"],
            "as it is read: to nul fem | syv syv | syv seks"
        );
        assert_eq!(
            code_groups(&code("12345678"), Grouping::Threes),
            ["123", "456", "78"]
        );
        let serial = otp::Serial::parse("AB12-3456 78").unwrap();
        assert_eq!(serial_groups(&serial), ["AB1", "234", "56", "78"]);
    }

    proptest::proptest! {
        /// The screen shows a code in exactly the groups speech reads it in, for every
        /// code length and grouping.
        #[test]
        fn shown_groups_are_spoken_groups(
            digits in "[0-9]{6,10}",
            grouping in proptest::prop_oneof![
                proptest::strategy::Just(Grouping::Threes),
                proptest::strategy::Just(Grouping::Pairs),
                proptest::strategy::Just(Grouping::Single),
            ],
        ) {
            let shown = screen(View::Code { code: code(&digits) });
            let shown = Screen { grouping, ..shown };
            let catalogue = speech::Catalogue::embedded().unwrap();
            let script = catalogue
                .render(
                    &speech::Utterance::default().then_code(code(&digits)),
                    speech::Settings { lang: Lang::Da, grouping, rate: Rate::Normal },
                )
                .unwrap();
            let spoken: Vec<String> = script
                .tokens
                .split(|t| *t == speech::Token::Pause(speech::words::Pause::Group))
                .map(|group| speech::words::digits_of(group, Lang::Da))
                .collect();
            proptest::prop_assert_eq!(shown.main_lines()[0].clone(), spoken.join(" "));
        }
    }

    #[test]
    fn text_shows_the_grouped_code_and_status() {
        let mut code = screen(View::Code {
            code: code("482079"),
        });
        code.notice = Some(Notice::ConnectHeadphones);
        assert_eq!(
            code.text(),
            "482 079\nTilslut høretelefoner\n[høretelefoner] batteri 80% lydstyrke 4"
        );
        code.lang = Lang::En;
        code.grouping = Grouping::Pairs;
        assert!(code.text().starts_with("48 20 79\nConnect headphones"));
        assert_eq!(screen(View::Off).text(), "");
        assert!(screen(View::Fault(Fault::ClockWrong))
            .text()
            .starts_with("Uret er forkert\nRing til support"));
    }
}
