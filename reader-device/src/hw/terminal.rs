//! Hardware for a text terminal, so the device program runs on any Linux: keys as lines
//! on stdin, the screen as text on stdout, speech into WAV files, the system clock.
//!
//! Input lines: `1` (press and release a key), `f` (the function key), `f+3` (hold the
//! function key and press 3), `hold f 2500` (hold a key for 2.5 s), `wait 500`,
//! `headphones on|off`, `battery 12`, `quit`. Several may share a line, separated by `;`.

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::sim::{SimBattery, SimHeadphones};
use super::{AudioOut, Display, HwError, Keypad, Rtc};
use crate::core::Channel;
use crate::framebuffer::Framebuffer;
use crate::keys::{Edge, Key};
use crate::screen::Screen;

/// One parsed input command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Edge(Key, Edge),
    Wait(u64),
    Headphones(bool),
    Battery(u8),
    Quit,
}

/// Parses one input line into commands; the error names the bad word.
pub fn parse_line(line: &str) -> Result<Vec<Command>, String> {
    let mut commands = Vec::new();
    // Real presses last a while: edges closer than the debounce window would be bounce.
    let press = |key: Key, hold: u64, commands: &mut Vec<Command>| {
        commands.push(Command::Edge(key, Edge::Down));
        commands.push(Command::Wait(hold));
        commands.push(Command::Edge(key, Edge::Up));
        commands.push(Command::Wait(80));
    };
    for part in line
        .split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            ["quit"] | ["exit"] => commands.push(Command::Quit),
            ["wait", ms] => commands.push(Command::Wait(
                ms.parse()
                    .map_err(|_| format!("wait: {ms:?} is not milliseconds"))?,
            )),
            ["headphones", "on"] => commands.push(Command::Headphones(true)),
            ["headphones", "off"] => commands.push(Command::Headphones(false)),
            ["battery", percent] => commands.push(Command::Battery(
                percent
                    .trim_end_matches('%')
                    .parse()
                    .ok()
                    .filter(|p: &u8| *p <= 100)
                    .ok_or_else(|| format!("battery: {percent:?} is not 0-100"))?,
            )),
            ["hold", key, ms] => {
                let key = key.parse::<Key>().map_err(|error| error.to_string())?;
                let ms = ms
                    .parse()
                    .map_err(|_| format!("hold: {ms:?} is not milliseconds"))?;
                press(key, ms, &mut commands);
            }
            [chord] if chord.contains('+') => {
                let (held, pressed) = chord.split_once('+').unwrap_or_default();
                let held = held.parse::<Key>().map_err(|error| error.to_string())?;
                let pressed = pressed.parse::<Key>().map_err(|error| error.to_string())?;
                commands.push(Command::Edge(held, Edge::Down));
                commands.push(Command::Wait(80));
                press(pressed, 80, &mut commands);
                commands.push(Command::Edge(held, Edge::Up));
                commands.push(Command::Wait(80));
            }
            [key] => press(
                key.parse::<Key>().map_err(|error| error.to_string())?,
                80,
                &mut commands,
            ),
            _ => return Err(format!("cannot read {part:?}")),
        }
    }
    Ok(commands)
}

/// Keys from stdin (read on a thread), plus the headphone and battery commands.
pub struct TerminalKeypad {
    lines: Receiver<String>,
    pending: VecDeque<Command>,
    not_before: Instant,
    headphones: SimHeadphones,
    battery: SimBattery,
    quit: Arc<AtomicBool>,
}

impl std::fmt::Debug for TerminalKeypad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalKeypad")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl TerminalKeypad {
    /// Reads stdin; end of input counts as `quit` once everything before it is done.
    pub fn stdin(headphones: SimHeadphones, battery: SimBattery, quit: Arc<AtomicBool>) -> Self {
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    return;
                }
            }
            let _ = sender.send("quit".to_owned());
        });
        TerminalKeypad {
            lines,
            pending: VecDeque::new(),
            not_before: Instant::now(),
            headphones,
            battery,
            quit,
        }
    }
}

impl Keypad for TerminalKeypad {
    fn next_edge(&mut self, timeout: Duration) -> Result<Option<(Key, Edge)>, HwError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.pending.is_empty() {
                match self
                    .lines
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                {
                    Ok(line) => match parse_line(&line) {
                        Ok(commands) => self.pending.extend(commands),
                        Err(problem) => eprintln!("input: {problem}"),
                    },
                    Err(_) => return Ok(None),
                }
                continue;
            }
            let now = Instant::now();
            if now < self.not_before {
                if self.not_before > deadline {
                    std::thread::sleep(deadline.saturating_duration_since(now));
                    return Ok(None);
                }
                std::thread::sleep(self.not_before - now);
            }
            match self.pending.pop_front() {
                Some(Command::Edge(key, edge)) => return Ok(Some((key, edge))),
                Some(Command::Wait(ms)) => {
                    self.not_before = Instant::now() + Duration::from_millis(ms)
                }
                Some(Command::Headphones(plugged)) => self.headphones.set(plugged),
                Some(Command::Battery(percent)) => self.battery.set(percent),
                Some(Command::Quit) => {
                    self.quit.store(true, Ordering::SeqCst);
                    return Ok(None);
                }
                None => {}
            }
        }
    }
}

/// Prints the screen's text when it changes (and optionally its pixels).
#[derive(Debug, Default)]
pub struct TextDisplay {
    last: Option<String>,
    draw_pixels: bool,
}

impl TextDisplay {
    pub fn new(draw_pixels: bool) -> Self {
        TextDisplay {
            last: None,
            draw_pixels,
        }
    }
}

impl Display for TextDisplay {
    fn show(&mut self, screen: &Screen, framebuffer: &Framebuffer) -> Result<(), HwError> {
        let text = screen.text();
        if self.last.as_ref() == Some(&text) {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        let framed: String = text
            .lines()
            .map(|line| format!("screen| {line}\n"))
            .collect();
        let pixels = if self.draw_pixels {
            framebuffer.to_half_blocks(2)
        } else {
            String::new()
        };
        write!(
            out,
            "{}{pixels}",
            if framed.is_empty() {
                "screen| (dark)\n".to_owned()
            } else {
                framed
            }
        )
        .and_then(|()| out.flush())
        .map_err(|error| HwError::Failed {
            part: "terminal",
            message: error.to_string(),
        })?;
        self.last = Some(text);
        Ok(())
    }

    fn sleep(&mut self, _asleep: bool) -> Result<(), HwError> {
        Ok(())
    }
}

/// Writes each utterance to `NNNN-<channel>.wav` in a folder.
pub struct WavAudio {
    dir: Option<PathBuf>,
    count: u32,
    current: Option<speech::WavSink>,
    last_file: Option<PathBuf>,
}

impl std::fmt::Debug for WavAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavAudio")
            .field("dir", &self.dir)
            .field("count", &self.count)
            .finish()
    }
}

impl WavAudio {
    /// Without a folder the audio output is missing, as on a board without a sound card.
    pub fn new(dir: Option<&Path>) -> Result<Self, HwError> {
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|error| HwError::Failed {
                part: "WAV output",
                message: format!("creating {}: {error}", dir.display()),
            })?;
        }
        Ok(WavAudio {
            dir: dir.map(Path::to_owned),
            count: 0,
            current: None,
            last_file: None,
        })
    }

    /// The file the latest utterance went to.
    pub fn last_file(&self) -> Option<&Path> {
        self.last_file.as_deref()
    }

    fn finish(&mut self) -> Result<(), HwError> {
        match self.current.take() {
            Some(sink) => sink.finish().map_err(|error| HwError::Failed {
                part: "WAV output",
                message: error.to_string(),
            }),
            None => Ok(()),
        }
    }
}

impl AudioOut for WavAudio {
    fn begin(&mut self, channel: Channel, sample_rate: u32) -> Result<(), HwError> {
        self.finish()?;
        let Some(dir) = &self.dir else {
            return Err(HwError::Unavailable {
                part: "audio output",
                reason: "no wav_dir configured".into(),
            });
        };
        self.count += 1;
        let name = match channel {
            Channel::Headphones => "headphones",
            Channel::Speaker => "speaker",
        };
        let path = dir.join(format!("{:04}-{name}.wav", self.count));
        let sink =
            speech::WavSink::create(&path, sample_rate).map_err(|error| HwError::Failed {
                part: "WAV output",
                message: error.to_string(),
            })?;
        self.current = Some(sink);
        self.last_file = Some(path);
        Ok(())
    }

    fn write(&mut self, samples: &[i16]) -> Result<(), HwError> {
        use speech::Sink;
        let Some(sink) = &mut self.current else {
            return Err(HwError::Stopped);
        };
        sink.write(samples).map_err(|error| HwError::Failed {
            part: "WAV output",
            message: error.to_string(),
        })
    }

    fn stop(&mut self) -> Result<(), HwError> {
        self.finish()
    }
}

/// The system clock (on a Pi with the kernel's RTC overlay, the hardware clock).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRtc;

impl Rtc for SystemRtc {
    fn unix_ms(&mut self) -> Result<u64, HwError> {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as u64)
            .map_err(|_| HwError::Failed {
                part: "system clock",
                message: "before 1970".into(),
            })
    }
}

/// A clock set to a given time when made, running at real speed from there.
#[derive(Debug, Clone, Copy)]
pub struct StartedRtc {
    start_ms: u64,
    started: Instant,
}

impl StartedRtc {
    pub fn at_unix(start_secs: u64) -> Self {
        StartedRtc {
            start_ms: start_secs.saturating_mul(1000),
            started: Instant::now(),
        }
    }
}

impl Rtc for StartedRtc {
    fn unix_ms(&mut self) -> Result<u64, HwError> {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(self.start_ms.saturating_add(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_starts_where_it_is_told() {
        let mut rtc = StartedRtc::at_unix(1_800_000_010);
        let now = rtc.unix_ms().unwrap();
        assert!(
            (1_800_000_010_000..1_800_000_020_000).contains(&now),
            "{now}"
        );
        assert!(rtc.unix_ms().unwrap() >= now);
    }

    #[test]
    fn parses_presses_chords_and_commands() {
        let commands = parse_line("f+3; headphones on; battery 12%; wait 5").unwrap();
        assert_eq!(commands[0], Command::Edge(Key::Function, Edge::Down));
        assert_eq!(commands[2], Command::Edge(Key::D3, Edge::Down));
        assert!(commands.contains(&Command::Headphones(true)));
        assert!(commands.contains(&Command::Battery(12)));
        assert_eq!(commands.last(), Some(&Command::Wait(5)));
        assert!(parse_line("x").unwrap_err().contains("unknown key"));
        assert!(parse_line("battery 300").is_err());
        assert_eq!(parse_line("").unwrap(), []);
    }
}
