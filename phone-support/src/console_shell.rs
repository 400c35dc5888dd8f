//! The agent console's shell: performs the core's actions (device look-ups, the
//! append-only outcome log) and shows it either full-screen (ratatui) or as plain text
//! for screen readers. Keyboard only: type a command, press Enter.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::Path;

use chrono::NaiveDateTime;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Direction, Layout};
use ratatui::text::Line as TextLine;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::DefaultTerminal;

use crate::console::{Action, Console, Section};
use crate::device::DeviceDirectory;

/// One line per call, appended; earlier lines are never rewritten.
pub struct OutcomeLog {
    file: File,
}

impl OutcomeLog {
    pub fn open(path: &Path) -> io::Result<OutcomeLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(OutcomeLog { file })
    }

    pub fn append(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.file, "{line}")?;
        self.file.flush()
    }
}

/// Carries out an action; returns false when the console should quit.
pub fn perform(
    console: &mut Console<'_>,
    action: Action,
    directory: &dyn DeviceDirectory,
    log: &mut OutcomeLog,
) -> io::Result<bool> {
    match action {
        Action::None => {}
        Action::LookUp(serial) => console.device_result(directory.device(&serial)),
        Action::Unlock(serial) => {
            let unlocked = directory.unlock(&serial);
            if unlocked.is_ok() {
                console.device_result(directory.device(&serial));
            }
            console.unlock_result(unlocked);
        }
        Action::Log(line) => log.append(&line)?,
        Action::Quit => return Ok(false),
    }
    Ok(true)
}

/// Sections as plain text: a title line, then its lines indented.
pub fn plain_text(sections: &[Section]) -> String {
    let mut out = String::new();
    for section in sections {
        out.push_str(section.title);
        out.push_str(":\n");
        for line in &section.lines {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Plain-text mode: prints the screen after every command, reads commands line by line.
pub fn run_plain(
    console: &mut Console<'_>,
    directory: &dyn DeviceDirectory,
    log: &mut OutcomeLog,
    input: impl BufRead,
    mut out: impl Write,
    mut clock: impl FnMut() -> NaiveDateTime,
) -> io::Result<()> {
    write!(out, "{}> ", plain_text(&console.sections()))?;
    out.flush()?;
    for line in input.lines() {
        let action = console.command(&line?, clock());
        if !perform(console, action, directory, log)? {
            return Ok(());
        }
        write!(out, "{}> ", plain_text(&console.sections()))?;
        out.flush()?;
    }
    Ok(())
}

/// Full-screen mode.
pub fn run_tui(
    console: &mut Console<'_>,
    directory: &dyn DeviceDirectory,
    log: &mut OutcomeLog,
    mut clock: impl FnMut() -> NaiveDateTime,
) -> io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let result = tui_loop(&mut terminal, console, directory, log, &mut clock);
    ratatui::restore();
    result
}

fn tui_loop(
    terminal: &mut DefaultTerminal,
    console: &mut Console<'_>,
    directory: &dyn DeviceDirectory,
    log: &mut OutcomeLog,
    clock: &mut impl FnMut() -> NaiveDateTime,
) -> io::Result<()> {
    let mut typed = String::new();
    loop {
        terminal.draw(|frame| draw(frame, console, &typed))?;
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return Ok(()),
            KeyCode::Char(c) => typed.push(c),
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Esc => typed.clear(),
            KeyCode::Enter => {
                let action = console.command(&typed, clock());
                typed.clear();
                if !perform(console, action, directory, log)? {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
}

fn block(section: &Section) -> Paragraph<'_> {
    let lines: Vec<TextLine> = section
        .lines
        .iter()
        .map(|l| TextLine::raw(l.as_str()))
        .collect();
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::default().borders(Borders::ALL).title(section.title))
}

fn draw(frame: &mut ratatui::Frame, console: &Console<'_>, typed: &str) {
    let sections = console.sections();
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(8),
            Constraint::Length(7),
            Constraint::Length(3),
        ])
        .split(frame.area());
    let columns = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
        .split(rows[0]);
    let (left, right): (Vec<&Section>, Vec<&Section>) = sections
        .iter()
        .filter(|s| s.title != "Message")
        .partition(|s| matches!(s.title, "Flows" | "Step" | "Say"));
    for (area, group) in [(columns[0], left), (columns[1], right)] {
        // Short sections take their height; the flow text and the last section fill the rest.
        let constraints: Vec<Constraint> = group
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if i + 1 == group.len() || matches!(s.title, "Say" | "Flows") {
                    Constraint::Fill(1)
                } else {
                    // Wrapped lines take more rows than there are lines.
                    let width = usize::from(area.width.saturating_sub(2)).max(1);
                    let rows: usize = s
                        .lines
                        .iter()
                        .map(|l| l.chars().count().div_ceil(width).max(1))
                        .sum();
                    Constraint::Length(rows as u16 + 2)
                }
            })
            .collect();
        let areas = Layout::default()
            .direction(Direction::Vertical)
            .constraints(constraints)
            .split(area);
        for (section, area) in group.iter().zip(areas.iter()) {
            frame.render_widget(block(section), *area);
        }
    }
    if let Some(message) = sections.iter().find(|s| s.title == "Message") {
        frame.render_widget(block(message), rows[1]);
    }
    let input = Paragraph::new(format!("> {typed}")).block(
        Block::default()
            .borders(Borders::ALL)
            .title("Command (help, quit)"),
    );
    frame.render_widget(input, rows[2]);
    frame.set_cursor_position((rows[2].x + 3 + typed.chars().count() as u16, rows[2].y + 1));
}
