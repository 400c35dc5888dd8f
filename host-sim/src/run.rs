//! Runs a parsed script against a [`Simulator`]: each step becomes events on the virtual
//! clock, each expectation is checked, and the first one that fails stops the run.

use reader_device::keys::Key;

use crate::script::{Channel, Line, ScriptKey, Step};
use crate::sim::{Entry, Simulator, EDGE_GAP};

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct Failure {
    pub line: usize,
    pub message: String,
}

fn key(key: ScriptKey) -> Key {
    match key {
        ScriptKey::Red => Key::Function,
        ScriptKey::Digit(digit) => Key::from_digit(digit).expect("the parser only makes 0-9"),
    }
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Headphones => "headphones",
        Channel::Speaker => "speaker",
    }
}

/// Runs the steps in order. `emit` sees every log entry as it is made. Speech checks look
/// at what was said since the previous speech check (or the start).
pub fn run(
    sim: &mut Simulator,
    lines: &[Line],
    emit: &mut dyn FnMut(&Entry),
) -> Result<(), Failure> {
    let mut emitted = 0;
    let mut said_from = 0;
    for line in lines {
        let fail = |message: String| Failure {
            line: line.number,
            message,
        };
        match &line.step {
            Step::Press(k) => sim.press(key(*k)),
            Step::Hold(k, duration) => sim.hold(key(*k), *duration),
            Step::Down(k) => {
                sim.key_down(key(*k));
                sim.wait(EDGE_GAP);
            }
            Step::Up(k) => {
                sim.key_up(key(*k));
                sim.wait(EDGE_GAP);
            }
            Step::Wait(duration) => sim.wait(*duration),
            Step::Headphones(plugged) => sim.set_headphones(*plugged),
            Step::Battery(percent) => sim.set_battery(*percent),
            Step::PowerCut => sim.power_cut(),
            Step::PowerOn => sim
                .power_on()
                .map_err(|e| fail(format!("the device did not boot: {e:#}")))?,
            Step::ExpectScreen { text, present } => {
                let shown = sim.screen_text();
                if shown.contains(text.as_str()) != *present {
                    let shown = if shown.is_empty() {
                        "nothing (it is off)".to_owned()
                    } else {
                        format!("{:?}", shown.replace('\n', " / "))
                    };
                    return Err(fail(format!(
                        "expected the screen {} {text:?}, but it shows {shown}",
                        if *present { "to show" } else { "not to show" }
                    )));
                }
            }
            Step::ExpectSaid {
                text,
                present,
                channel,
            } => {
                let (said, len): (Vec<(String, &str)>, usize) = sim.with_log(|log| {
                    let said = log[said_from..]
                        .iter()
                        .filter_map(|entry| match entry {
                            Entry::Say { say, channel, .. } => Some((say.clone(), *channel)),
                            _ => None,
                        })
                        .collect();
                    (said, log.len())
                });
                let matches = said.iter().any(|(words, on)| {
                    words.contains(text.as_str()) && channel.is_none_or(|c| channel_name(c) == *on)
                });
                said_from = len;
                if matches != *present {
                    let place = channel
                        .map(|c| format!(" on the {}", channel_name(c)))
                        .unwrap_or_default();
                    let heard = if said.is_empty() {
                        "nothing was said".to_owned()
                    } else {
                        let list: Vec<String> = said
                            .iter()
                            .map(|(words, on)| format!("{words:?} ({on})"))
                            .collect();
                        format!("it said {}", list.join(", "))
                    };
                    return Err(fail(format!(
                        "expected {text:?}{place} {} since the last speech check, but {heard}",
                        if *present {
                            "to be said"
                        } else {
                            "not to be said"
                        }
                    )));
                }
            }
        }
        emitted = sim.with_log(|log| {
            log[emitted..].iter().for_each(&mut *emit);
            log.len()
        });
    }
    Ok(())
}
