//! The agent console's core: the current flow step and exactly what to say, the caller's
//! answers so far, the document and witness checkers, the device's state, and the outcome
//! of each call. Typed commands in, [`Action`]s out for the shell to perform (device
//! look-ups, log lines); both the full-screen and the plain-text front ends render the same
//! [`Console::sections`].

use chrono::NaiveDateTime;
use speech::Lang;

use crate::device::{DeviceView, LookupError};
use crate::flow::{Check, End, FlowSet};
use crate::rules::cpr::CprError;
use crate::rules::documents::{check_documents, Document, UnknownDocument, DOCUMENT_WORDS};
use crate::rules::hours::{status_at, PHONE_NUMBER};
use crate::rules::witness::{check_witness, WitnessFacts};

/// What the shell must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    /// Look this serial up and call [`Console::device_result`].
    LookUp(String),
    /// Lift this device's block, then call [`Console::unlock_result`].
    Unlock(String),
    /// Append this line to the outcome log.
    Log(String),
    Quit,
}

/// A titled block of lines on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    step: String,
    choice: String,
}

/// The console's state for the call in progress.
#[derive(Debug, Clone)]
pub struct Console<'f> {
    flows: &'f FlowSet,
    lang: Lang,
    /// (flow, step) and the steps before it.
    at: Option<(usize, usize)>,
    back: Vec<usize>,
    answers: Vec<Answer>,
    serial: Option<String>,
    device: Option<Result<DeviceView, String>>,
    check: Vec<String>,
    message: String,
}

pub const HELP: &[&str] = &[
    "flow N: start flow N (see the list)   1–8: the caller's choice   back: previous step",
    "lang da | lang en: language of the texts   hours: opening hours",
    "device SERIAL: look the device up   unlock SERIAL: lift a block",
    "witness CPR MITID-SINCE [DATE,DATE…]: check a witness (dates YYYY-MM-DD)",
    "docs WORD,WORD…: check documents",
    "end OUTCOME [NOTE]: log the call and start the next   help   quit",
];

impl<'f> Console<'f> {
    pub fn new(flows: &'f FlowSet) -> Self {
        Console {
            flows,
            lang: Lang::Da,
            at: None,
            back: Vec::new(),
            answers: Vec::new(),
            serial: None,
            device: None,
            check: Vec::new(),
            message: "Type a command and press Enter; help lists them.".to_owned(),
        }
    }

    /// Handles one typed command at Copenhagen local time `now`.
    pub fn command(&mut self, input: &str, now: NaiveDateTime) -> Action {
        let input = input.trim();
        let (word, rest) = input.split_once(char::is_whitespace).unwrap_or((input, ""));
        let rest = rest.trim();
        match word.to_ascii_lowercase().as_str() {
            "" => Action::None,
            "help" | "?" => {
                self.message = HELP.join("\n");
                Action::None
            }
            "quit" | "exit" => Action::Quit,
            "flow" | "start" => {
                let flow = rest
                    .chars()
                    .next()
                    .and_then(|key| self.flows.by_menu_key(key));
                match flow {
                    Some(flow) => {
                        self.at = Some((flow, 0));
                        self.back.clear();
                        self.message =
                            format!("Started: {}", self.flows.flows[flow].title.get(self.lang));
                        self.on_step(now);
                    }
                    None => {
                        self.message =
                            format!("No flow {rest:?}; the flows are listed on the left.")
                    }
                }
                Action::None
            }
            "back" | "b" | "#" => {
                match self.back.pop() {
                    Some(step) => {
                        if let Some((flow, _)) = self.at {
                            self.at = Some((flow, step));
                            self.answers.pop();
                            self.message = "Went back one step.".to_owned();
                        }
                    }
                    None => self.message = "Already at the first step.".to_owned(),
                }
                Action::None
            }
            "lang" => {
                match rest.parse::<Lang>() {
                    Ok(lang) => {
                        self.lang = lang;
                        self.message = format!("Texts now in {lang}.");
                    }
                    Err(e) => self.message = e.to_string(),
                }
                Action::None
            }
            "hours" => {
                self.check = hours_lines(now);
                Action::None
            }
            "device" | "unlock" => {
                if rest.is_empty() {
                    self.message = format!("Give the serial number: {word} SERIAL");
                    return Action::None;
                }
                self.serial = Some(rest.to_owned());
                if word.eq_ignore_ascii_case("device") {
                    self.message = format!("Looking up {rest}…");
                    Action::LookUp(rest.to_owned())
                } else {
                    self.message = format!("Lifting the block on {rest}…");
                    Action::Unlock(rest.to_owned())
                }
            }
            "witness" => {
                self.check = witness_lines(rest, now);
                Action::None
            }
            "docs" | "documents" => {
                self.check = documents_lines(rest, now);
                Action::None
            }
            "end" => {
                if rest.is_empty() {
                    self.message =
                        "Give the outcome: end OUTCOME [NOTE], e.g. end resolved".to_owned();
                    return Action::None;
                }
                let line = self.outcome_line(rest, now);
                *self = Console::new(self.flows);
                self.message = "Call logged. Ready for the next call.".to_owned();
                Action::Log(line)
            }
            _ if word.len() == 1 && word.chars().all(|c| c.is_ascii_digit()) => {
                self.choose(word.chars().next().unwrap_or('0'), now);
                Action::None
            }
            _ => {
                self.message = format!("Unknown command {word:?}; type help.");
                Action::None
            }
        }
    }

    fn choose(&mut self, key: char, now: NaiveDateTime) {
        let Some((flow, step)) = self.at else {
            self.message = "No flow yet: start one with flow N.".to_owned();
            return;
        };
        let current = &self.flows.flows[flow].steps[step];
        match current.choice(key) {
            Some(choice) => {
                self.answers.push(Answer {
                    step: current.id.clone(),
                    choice: format!("{key}: {}", choice.label.get(self.lang)),
                });
                self.back.push(step);
                self.at = Some((flow, choice.next));
                self.message = String::new();
                self.on_step(now);
            }
            None => self.message = format!("Step {:?} has no choice {key}.", current.id),
        }
    }

    /// Runs what a step's check can run by itself, and hints at the rest.
    fn on_step(&mut self, now: NaiveDateTime) {
        let Some((flow, step)) = self.at else { return };
        let step = &self.flows.flows[flow].steps[step];
        self.check = match step.check {
            Some(Check::Hours) => hours_lines(now),
            Some(Check::Device) => {
                vec!["This step needs the device: type device SERIAL".to_owned()]
            }
            Some(Check::Documents) => vec![format!(
                "Check documents: docs WORD,WORD… ({DOCUMENT_WORDS})"
            )],
            Some(Check::Witness) => {
                vec!["Check the witness: witness CPR MITID-SINCE [DATE,DATE…]".to_owned()]
            }
            None => std::mem::take(&mut self.check),
        };
        if step.end == Some(End::Agent) {
            self.message = "Final step: the caller needs you (an agent) to act.".to_owned();
        } else if step.end == Some(End::Done) {
            self.message = "Final step: the call is resolved; end resolved to log it.".to_owned();
        }
    }

    /// Stores the answer of a look-up.
    pub fn device_result(&mut self, result: Result<DeviceView, LookupError>) {
        self.message = match &result {
            Ok(view) => format!("Device {} found.", view.serial),
            Err(e) => format!("Look-up failed: {e}"),
        };
        self.device = Some(result.map_err(|e| e.to_string()));
    }

    /// Stores the answer of an unlock.
    pub fn unlock_result(&mut self, result: Result<(), LookupError>) {
        self.message = match result {
            Ok(()) => "Block lifted; the device below was looked up again.".to_owned(),
            Err(e) => format!("Unlock failed: {e}"),
        };
    }

    /// One tab-separated line for the outcome log (no secrets or codes are ever held).
    fn outcome_line(&self, rest: &str, now: NaiveDateTime) -> String {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        let (outcome, note) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (flow, step) = match self.at {
            Some((flow, step)) => {
                let flow = &self.flows.flows[flow];
                (flow.id.clone(), flow.steps[step].id.clone())
            }
            None => ("-".to_owned(), "-".to_owned()),
        };
        format!(
            "{}\tflow={}\tstep={}\tanswers={}\tserial={}\toutcome={}\tnote={}",
            now.format("%Y-%m-%dT%H:%M:%S"),
            flow,
            step,
            self.answers.len(),
            clean(self.serial.as_deref().unwrap_or("-")),
            clean(outcome),
            clean(note.trim()),
        )
    }

    /// Everything on screen, in reading order.
    pub fn sections(&self) -> Vec<Section> {
        let mut sections = Vec::new();
        match self.at {
            None => sections.push(Section {
                title: "Flows",
                lines: self
                    .flows
                    .flows
                    .iter()
                    .map(|f| format!("flow {}: {}", f.menu_key, f.title.get(self.lang)))
                    .collect(),
            }),
            Some((flow, step)) => {
                let flow = &self.flows.flows[flow];
                let step = &flow.steps[step];
                sections.push(Section {
                    title: "Step",
                    lines: vec![format!("{} / {}", flow.title.get(self.lang), step.id)],
                });
                let mut say = vec![step.say.get(self.lang).to_owned()];
                say.extend(
                    step.choices
                        .iter()
                        .map(|c| format!("{}: {}", c.key, c.label.get(self.lang))),
                );
                match step.end {
                    Some(End::Done) => say.push("(final step: resolved)".to_owned()),
                    Some(End::Agent) => {
                        say.push("(final step: needs an agent's action)".to_owned())
                    }
                    Some(End::Unlock) => {
                        say.push("(final step: self-service unlock by keypad)".to_owned())
                    }
                    None => {}
                }
                sections.push(Section {
                    title: "Say",
                    lines: say,
                });
            }
        }
        sections.push(Section {
            title: "Answers",
            lines: if self.answers.is_empty() {
                vec!["none yet".to_owned()]
            } else {
                self.answers
                    .iter()
                    .map(|a| format!("{}: {}", a.step, a.choice))
                    .collect()
            },
        });
        sections.push(Section {
            title: "Device",
            lines: match &self.device {
                None => vec!["not looked up".to_owned()],
                Some(Ok(view)) => view.lines(),
                Some(Err(e)) => vec![e.clone()],
            },
        });
        if !self.check.is_empty() {
            sections.push(Section {
                title: "Check",
                lines: self.check.clone(),
            });
        }
        if !self.message.is_empty() {
            sections.push(Section {
                title: "Message",
                lines: self.message.lines().map(str::to_owned).collect(),
            });
        }
        sections
    }
}

/// The line's status: a first line `open` or `closed`, then why and the next change.
pub fn hours_lines(now: NaiveDateTime) -> Vec<String> {
    let status = status_at(now);
    let today = status.today;
    let kind = match today.kind {
        crate::rules::hours::DayKind::Weekday => "a weekday".to_owned(),
        crate::rules::hours::DayKind::Saturday => "a Saturday".to_owned(),
        crate::rules::hours::DayKind::Sunday => "a Sunday".to_owned(),
        crate::rules::hours::DayKind::Holiday(h) => {
            format!("a public holiday ({}, {})", h.name_da(), h.name_en())
        }
    };
    let change = status.next_change.format("%A %Y-%m-%d %H:%M");
    vec![
        format!(
            "{} — {} is {kind}: open {}–{}",
            if status.open { "open" } else { "closed" },
            now.format("%A %Y-%m-%d %H:%M"),
            today.opens.format("%H:%M"),
            today.closes.format("%H:%M"),
        ),
        if status.open {
            format!("closes {change}")
        } else {
            format!("opens {change}")
        },
        format!(
            "Support {PHONE_NUMBER}: Monday–Friday 08–20; Saturdays, Sundays and public holidays 10–16 (Copenhagen time)"
        ),
    ]
}

/// What is wrong with the input of a witness check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessInputError {
    #[error("usage: witness CPR MITID-SINCE [DATE,DATE…]")]
    Usage,
    #[error(transparent)]
    Cpr(#[from] CprError),
    #[error("MitID-since date {0:?} must be YYYY-MM-DD")]
    MitidSince(String),
    #[error("witnessed date {0:?} must be YYYY-MM-DD")]
    Witnessed(String),
}

/// `CPR MITID-SINCE [DATE,DATE…]` → the facts about a would-be witness.
pub fn parse_witness(args: &str) -> Result<WitnessFacts, WitnessInputError> {
    let parts: Vec<&str> = args.split_whitespace().collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(WitnessInputError::Usage);
    }
    let cpr = parts[0].parse()?;
    let mitid_since = parts[1]
        .parse()
        .map_err(|_| WitnessInputError::MitidSince(parts[1].to_owned()))?;
    let mut witnessed = Vec::new();
    for date in parts
        .get(2)
        .map_or("", |s| s)
        .split(',')
        .filter(|s| !s.is_empty())
    {
        witnessed.push(
            date.parse()
                .map_err(|_| WitnessInputError::Witnessed(date.to_owned()))?,
        );
    }
    Ok(WitnessFacts {
        cpr,
        mitid_since,
        witnessed,
    })
}

/// `CPR MITID-SINCE [DATE,DATE…]` → the witness verdict, first line `eligible` or
/// `not eligible`, or what is wrong with the input.
pub fn witness_lines(args: &str, on: NaiveDateTime) -> Vec<String> {
    match parse_witness(args) {
        Ok(facts) => verdict_lines(&facts, on.date()),
        Err(e) => vec![e.to_string()],
    }
}

/// The witness verdict as lines.
pub fn verdict_lines(facts: &WitnessFacts, on: chrono::NaiveDate) -> Vec<String> {
    let verdict = check_witness(facts, on);
    let mut lines = vec![if verdict.eligible() {
        "eligible"
    } else {
        "not eligible"
    }
    .to_owned()];
    lines.extend(verdict.reasons.iter().map(ToString::to_string));
    lines
}

/// `WORD,WORD…` (commas or spaces between) → the documents.
pub fn parse_documents(args: &str) -> Result<Vec<Document>, UnknownDocument> {
    args.split([',', ' '])
        .filter(|w| !w.is_empty())
        .map(str::parse)
        .collect()
}

/// `WORD,WORD…` → the document verdict.
pub fn documents_lines(args: &str, on: NaiveDateTime) -> Vec<String> {
    match parse_documents(args) {
        Ok(documents) => vec![check_documents(&documents, on.date()).to_string()],
        Err(e) => vec![e.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-25 12:00", "%Y-%m-%d %H:%M").unwrap()
    }

    fn text(console: &Console) -> String {
        console
            .sections()
            .iter()
            .map(|s| format!("{}:\n{}", s.title, s.lines.join("\n")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_call_through_a_flow_with_answers_back_and_log() {
        let flows = FlowSet::shipped().unwrap();
        let mut console = Console::new(&flows);
        assert!(text(&console).contains("flow 1: Opsætning af en ny kodeoplæser"));
        assert_eq!(console.command("flow 3", now()), Action::None);
        assert!(text(&console).contains("Hvad sker der?"));
        console.command("2", now());
        let screen = text(&console);
        assert!(screen.contains("spærres midlertidigt"), "{screen}");
        assert!(screen.contains("what-happened: 2: hvis kodeoplæseren er spærret"));
        assert!(screen.contains("type device SERIAL"));
        assert_eq!(
            console.command("device KO-1", now()),
            Action::LookUp("KO-1".into())
        );
        console.device_result(Err(LookupError::NotFound("KO-1".into())));
        assert!(text(&console).contains("no device with serial number KO-1"));
        console.command("back", now());
        assert!(text(&console).contains("Answers:\nnone yet"));
        console.command("lang en", now());
        assert!(text(&console).contains("What happens?"));
        let Action::Log(line) = console.command("end resolved\tcaller happy", now()) else {
            panic!("end logs");
        };
        assert_eq!(
            line,
            "2026-11-25T12:00:00\tflow=code-refused\tstep=what-happened\tanswers=0\tserial=KO-1\toutcome=resolved\tnote=caller happy"
        );
        assert!(text(&console).contains("flow 1:"));
    }

    #[test]
    fn checkers_and_mistakes_are_reported() {
        let flows = FlowSet::shipped().unwrap();
        let mut console = Console::new(&flows);
        console.command("witness 150609-4123 2020-01-01", now());
        assert!(text(&console).contains("Check:\nnot eligible\nNOT OK: age 17 (must be 18 or older); turns 18 on 2027-06-15"), "{}", text(&console));
        console.command("witness 320101-1234 2020-01-01", now());
        assert!(text(&console).contains("not a real date"));
        console.command("docs health-card,tax-statement", now());
        assert!(text(&console).contains("enough: two documents"));
        console.command("docs pas,foo", now());
        assert!(text(&console).contains("unknown document \"foo\""));
        console.command("1", now());
        assert!(text(&console).contains("No flow yet"));
        console.command("flow 9", now());
        assert!(text(&console).contains("No flow \"9\""));
        console.command("frobnicate", now());
        assert!(text(&console).contains("Unknown command \"frobnicate\""));
        console.command("hours", now());
        assert!(text(&console).contains("Check:\nopen — Wednesday 2026-11-25 12:00"));
        assert_eq!(console.command("quit", now()), Action::Quit);
    }
}
