//! The headless script language: one event or expectation per line, parsed into typed steps.
//!
//! ```text
//! press red            # key down + up; keys: 0-9, red
//! hold red 2s          # key down, wait, key up
//! down red / up red    # the halves of a press, to hold one key while pressing another
//! wait 31s             # durations: 500ms, 31s, 5m, 1h
//! headphones out | headphones in
//! battery 5%
//! power-cut            # lose power without warning; the next line restarts the device
//! power-on
//! expect screen "482 079"
//! expect not screen "482"
//! expect said "Din kode er" [on headphones|speaker]
//! expect not said "Din kode er" [on headphones|speaker]
//! ```

use std::time::Duration;

/// A key on the device: a digit or the red function key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKey {
    Digit(u8),
    Red,
}

/// Which audio output an expectation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Headphones,
    Speaker,
}

/// One line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Press(ScriptKey),
    Hold(ScriptKey, Duration),
    Down(ScriptKey),
    Up(ScriptKey),
    Wait(Duration),
    Headphones(bool),
    Battery(u8),
    PowerCut,
    PowerOn,
    ExpectScreen {
        text: String,
        present: bool,
    },
    ExpectSaid {
        text: String,
        present: bool,
        channel: Option<Channel>,
    },
}

/// A step with the line it came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub step: Step,
}

/// A script line that is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses a whole script; the first bad line stops parsing with its number and the reason.
pub fn parse(text: &str) -> Result<Vec<Line>, ParseError> {
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let content = strip_comment(raw).trim();
        if content.is_empty() {
            continue;
        }
        let step = parse_step(content).map_err(|message| ParseError {
            line: number,
            message,
        })?;
        lines.push(Line { number, step });
    }
    Ok(lines)
}

/// Removes a `#` comment that is not inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..at],
            _ => {}
        }
    }
    line
}

fn parse_step(line: &str) -> Result<Step, String> {
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let exactly = |count: usize| {
        if words.len() == count {
            Ok(())
        } else {
            Err(format!(
                "`{command}` takes {count} argument{}, found {}",
                if count == 1 { "" } else { "s" },
                words.len()
            ))
        }
    };
    match command {
        "press" | "down" | "up" => {
            exactly(1)?;
            let key = parse_key(words[0])?;
            Ok(match command {
                "press" => Step::Press(key),
                "down" => Step::Down(key),
                _ => Step::Up(key),
            })
        }
        "hold" => {
            exactly(2)?;
            Ok(Step::Hold(parse_key(words[0])?, parse_duration(words[1])?))
        }
        "wait" => {
            exactly(1)?;
            Ok(Step::Wait(parse_duration(words[0])?))
        }
        "headphones" => {
            exactly(1)?;
            match words[0] {
                "in" => Ok(Step::Headphones(true)),
                "out" => Ok(Step::Headphones(false)),
                other => Err(format!(
                    "expected `in` or `out` after headphones, found {other:?}"
                )),
            }
        }
        "battery" => {
            exactly(1)?;
            let percent = words[0]
                .strip_suffix('%')
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| *n <= 100)
                .ok_or_else(|| format!("expected a battery level like 5%, found {:?}", words[0]))?;
            Ok(Step::Battery(percent))
        }
        "power-cut" => exactly(0).map(|()| Step::PowerCut),
        "power-on" => exactly(0).map(|()| Step::PowerOn),
        "expect" => parse_expect(rest),
        other => Err(format!(
            "unknown command {other:?} (expected press, hold, down, up, wait, headphones, \
             battery, power-cut, power-on or expect)"
        )),
    }
}

fn parse_expect(rest: &str) -> Result<Step, String> {
    let (present, rest) = match rest.strip_prefix("not ") {
        Some(rest) => (false, rest.trim_start()),
        None => (true, rest),
    };
    let (what, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (text, after) = parse_quoted(rest.trim_start())?;
    let after = after.trim();
    match what {
        "screen" if after.is_empty() => Ok(Step::ExpectScreen { text, present }),
        "screen" => Err(format!("unexpected {after:?} after the screen text")),
        "said" => {
            let channel = match after {
                "" => None,
                "on headphones" => Some(Channel::Headphones),
                "on speaker" => Some(Channel::Speaker),
                other => {
                    return Err(format!(
                        "expected `on headphones` or `on speaker` after the text, found {other:?}"
                    ))
                }
            };
            Ok(Step::ExpectSaid {
                text,
                present,
                channel,
            })
        }
        other => Err(format!(
            "expected `screen` or `said` after expect, found {other:?}"
        )),
    }
}

/// Reads a double-quoted string with `\"` and `\\` escapes; returns it and what follows.
fn parse_quoted(text: &str) -> Result<(String, &str), String> {
    let body = text
        .strip_prefix('"')
        .ok_or_else(|| format!("expected a quoted text like \"482 079\", found {text:?}"))?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &body[at + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                _ => return Err("only \\\" and \\\\ may follow a backslash".into()),
            },
            c => value.push(c),
        }
    }
    Err("the quoted text has no closing \"".into())
}

fn parse_key(word: &str) -> Result<ScriptKey, String> {
    match word {
        "red" | "f" | "function" => Ok(ScriptKey::Red),
        digit if digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit() => {
            Ok(ScriptKey::Digit(digit.as_bytes()[0] - b'0'))
        }
        other => Err(format!("expected a key (0-9 or red), found {other:?}")),
    }
}

/// Parses `500ms`, `31s`, `1.5s`, `5m`, `1h`.
pub fn parse_duration(word: &str) -> Result<Duration, String> {
    let bad = || format!("expected a duration like 500ms, 31s, 5m or 1h, found {word:?}");
    let split = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (number, unit) = word.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_script() {
        let script = r#"
            press red            # key down + up
            hold red 2s
            wait 31s
            headphones out
            headphones in
            battery 5%
            power-cut
            power-on
            down red
            press 0
            up red
            expect screen "482 079"
            expect said "Din kode er # not a comment" on headphones
            expect not said "Din kode" on speaker
            expect not screen "\"quoted\""
        "#;
        let steps: Vec<Step> = parse(script).unwrap().into_iter().map(|l| l.step).collect();
        assert_eq!(
            steps,
            [
                Step::Press(ScriptKey::Red),
                Step::Hold(ScriptKey::Red, Duration::from_secs(2)),
                Step::Wait(Duration::from_secs(31)),
                Step::Headphones(false),
                Step::Headphones(true),
                Step::Battery(5),
                Step::PowerCut,
                Step::PowerOn,
                Step::Down(ScriptKey::Red),
                Step::Press(ScriptKey::Digit(0)),
                Step::Up(ScriptKey::Red),
                Step::ExpectScreen {
                    text: "482 079".into(),
                    present: true
                },
                Step::ExpectSaid {
                    text: "Din kode er # not a comment".into(),
                    present: true,
                    channel: Some(Channel::Headphones)
                },
                Step::ExpectSaid {
                    text: "Din kode".into(),
                    present: false,
                    channel: Some(Channel::Speaker)
                },
                Step::ExpectScreen {
                    text: "\"quoted\"".into(),
                    present: false
                },
            ]
        );
    }

    #[test]
    fn bad_lines_name_the_line_and_what_was_expected() {
        let cases = [
            ("press red\npress x", "line 2: expected a key (0-9 or red), found \"x\""),
            ("wait 3 s", "line 1: `wait` takes 1 argument, found 2"),
            ("wait soon", "line 1: expected a duration like 500ms, 31s, 5m or 1h, found \"soon\""),
            ("battery 120%", "line 1: expected a battery level like 5%, found \"120%\""),
            ("\n\nexpect screen 482", "line 3: expected a quoted text like \"482 079\", found \"482\""),
            ("expect said \"x", "line 1: the quoted text has no closing \""),
            ("expect said \"x\" loudly", "line 1: expected `on headphones` or `on speaker` after the text, found \"loudly\""),
            ("jump", "line 1: unknown command \"jump\" (expected press, hold, down, up, wait, headphones, battery, power-cut, power-on or expect)"),
        ];
        for (script, message) in cases {
            assert_eq!(parse(script).unwrap_err().to_string(), message, "{script}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("5").is_err());
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in "(.{0,40}\n){0,5}") {
            let _ = parse(&text);
        }

        #[test]
        fn parsing_near_misses_never_panics(
            command in "(press|hold|wait|expect|battery|headphones)",
            args in "[ a-z0-9%\"\\\\.#]{0,20}",
        ) {
            let _ = parse(&format!("{command} {args}"));
        }
    }
}
