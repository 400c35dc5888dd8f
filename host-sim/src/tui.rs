//! The interactive terminal simulator: the device's framebuffer drawn in half-block cells,
//! its screen as text, the key map, what is being said, and (in the demo) the login host.
//! Simulated time follows the real clock. `q` or Ctrl-C leaves and restores the terminal.

use std::time::{Duration, Instant};

use anyhow::Result;
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::{DefaultTerminal, Frame};
use reader_device::keys::Key;
use service::ManualClock;

use crate::host::Checker;
use crate::sim::{Entry, Simulator, PANEL};

/// Battery levels the `b` key steps through.
const BATTERY_STEPS: [u8; 4] = [100, 15, 5, 2];

/// The login host shown beside the device in the demo.
pub struct HostPanel {
    pub checker: Checker,
    pub user: String,
    /// The embedded service's clock, kept at the simulation's time.
    pub clock: ManualClock,
}

/// Which part of the window the keyboard types into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Focus {
    Device,
    Host,
}

struct App {
    sim: Simulator,
    host: Option<HostPanel>,
    focus: Focus,
    typed: String,
    verdicts: Vec<String>,
    /// A fault of the simulator itself, shown until the next one.
    problem: Option<String>,
}

/// Runs the simulator until the user leaves.
pub async fn run(sim: Simulator, host: Option<HostPanel>) -> Result<()> {
    let mut app = App {
        sim,
        host,
        focus: Focus::Device,
        typed: String::new(),
        verdicts: Vec::new(),
        problem: None,
    };
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &mut app).await;
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> Result<()> {
    let started = Instant::now();
    let virtual_start = app.sim.elapsed_ms();
    loop {
        // Simulated time follows the wall clock (a press may have run ahead of it).
        let due = virtual_start + started.elapsed().as_millis() as u64;
        if due > app.sim.elapsed_ms() {
            app.sim
                .wait(Duration::from_millis(due - app.sim.elapsed_ms()));
        }
        terminal.draw(|frame| draw(frame, app))?;
        if !event::poll(Duration::from_millis(50))? {
            continue;
        }
        let TermEvent::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue; // no auto-repeat: only the first press counts
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c || (key.code == KeyCode::Char('q') && app.focus == Focus::Device) {
            return Ok(());
        }
        if key.code == KeyCode::Tab && app.host.is_some() {
            app.focus = match app.focus {
                Focus::Device => Focus::Host,
                Focus::Host => Focus::Device,
            };
            continue;
        }
        match app.focus {
            Focus::Device => device_key(app, key.code),
            Focus::Host => host_key(app, key.code).await?,
        }
    }
}

fn device_key(app: &mut App, code: KeyCode) {
    let sim = &mut app.sim;
    match code {
        KeyCode::Char(c @ '0'..='9') => {
            if let Some(key) = Key::from_digit(c as u8 - b'0') {
                sim.press(key);
            }
        }
        KeyCode::Enter | KeyCode::Char('f') => sim.press(Key::Function),
        KeyCode::Char('o') => sim.hold(Key::Function, Duration::from_millis(2_500)),
        // Hold the red key until it says "function", release: the next digit is a function
        // (the terminal cannot hold two keys; this is the device's one-key way, 5.9).
        KeyCode::Char('F') => sim.hold(Key::Function, Duration::from_millis(1_000)),
        KeyCode::Char('h') => {
            let plugged = !sim.headphones();
            sim.set_headphones(plugged);
        }
        KeyCode::Char('b') => {
            let next = BATTERY_STEPS
                .iter()
                .position(|level| *level == sim.battery())
                .map_or(0, |at| (at + 1) % BATTERY_STEPS.len());
            sim.set_battery(BATTERY_STEPS[next]);
        }
        KeyCode::Char('c') => sim.power_cut(),
        KeyCode::Char('p') => {
            if let Err(error) = sim.power_on() {
                app.problem = Some(format!("the device did not boot: {error:#}"));
            }
        }
        _ => {}
    }
}

async fn host_key(app: &mut App, code: KeyCode) -> Result<()> {
    match code {
        KeyCode::Char(c) if c.is_ascii_digit() && app.typed.len() < 10 => app.typed.push(c),
        KeyCode::Backspace => {
            app.typed.pop();
        }
        KeyCode::Esc => app.focus = Focus::Device,
        KeyCode::Enter => {
            if let Some(host) = &app.host {
                host.clock.set_ms(app.sim.unix_ms() as i64);
                let verdict = host.checker.check(&host.user, &app.typed).await?;
                app.verdicts.push(format!("{}: {verdict}", app.typed));
                app.typed.clear();
            }
        }
        _ => {}
    }
    Ok(())
}

fn draw(frame: &mut Frame, app: &mut App) {
    let [top, spoken_area, host_area, help_area] = Layout::vertical([
        Constraint::Min(12),
        Constraint::Length(8),
        Constraint::Length(if app.host.is_some() { 5 } else { 0 }),
        Constraint::Length(3),
    ])
    .areas(frame.area());
    let [device_area, text_area] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(top);

    draw_panel(frame, app, device_area);

    let screen = app.sim.screen_text();
    let screen_text = if screen.is_empty() {
        "(switched off — press Enter or f, the red key)".to_owned()
    } else {
        screen
    };
    let keys = "\n\n Keys:\n  [1] [2] [3]\n  [4] [5•] [6]\n  [7] [8] [9]\n      [0] [F]\n";
    frame.render_widget(
        Paragraph::new(format!("{screen_text}{keys}"))
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Screen as text "),
            ),
        text_area,
    );

    let mut spoken: Vec<Line> = Vec::new();
    if let Some(problem) = app.problem.clone().or_else(|| app.sim_problem()) {
        spoken.push(Line::styled(
            format!("no sound: {problem}"),
            Style::default().fg(Color::Yellow),
        ));
    }
    let recent: Vec<Entry> = app.sim.with_log(|log| {
        log.iter()
            .rev()
            .filter(|e| matches!(e, Entry::Say { .. }))
            .take(5)
            .cloned()
            .collect()
    });
    for entry in &recent {
        if let Entry::Say {
            t_ms, say, channel, ..
        } = entry
        {
            spoken.push(Line::raw(format!(
                "{:>7.1} s  ({channel}) {say}",
                *t_ms as f64 / 1000.0
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(Text::from(spoken)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Spoken (newest first) "),
        ),
        spoken_area,
    );

    if let Some(host) = &app.host {
        let focused = app.focus == Focus::Host;
        let title = if focused {
            " Login host — type the code you heard, Enter to log in, Esc to go back "
        } else {
            " Login host — Tab to type the code you heard "
        };
        let mut lines = vec![Line::raw(format!(
            "user: {}   code: {}{}",
            host.user,
            app.typed,
            if focused { "_" } else { "" }
        ))];
        lines.extend(
            app.verdicts
                .iter()
                .rev()
                .take(2)
                .map(|v| Line::raw(format!("host: {v}"))),
        );
        let style = if focused {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        frame.render_widget(
            Paragraph::new(Text::from(lines))
                .style(style)
                .block(Block::default().borders(Borders::ALL).title(title)),
            host_area,
        );
    }

    let help = "Enter/f red key (code) · F hold red, then 0-9: function · 0-9 keys · o hold red (off) · h headphones · b battery · c power cut · p power on · q quit";
    frame.render_widget(
        Paragraph::new(help)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::TOP)),
        help_area,
    );
}

fn draw_panel(frame: &mut Frame, app: &mut App, area: Rect) {
    let inner_w = area.width.saturating_sub(2).max(1) as u32;
    let inner_h = area.height.saturating_sub(2).max(1) as u32;
    // Each cell shows `scale` pixels across and 2×`scale` down.
    let scale = PANEL
        .0
        .div_ceil(inner_w)
        .max(PANEL.1.div_ceil(inner_h * 2))
        .max(1);
    frame.render_widget(
        Paragraph::new(
            app.sim
                .framebuffer()
                .map(|fb| fb.to_half_blocks(scale))
                .unwrap_or_default(),
        )
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Kodeoplæser (simulated) "),
        ),
        area,
    );
}

impl App {
    fn sim_problem(&self) -> Option<String> {
        self.sim.with_log(|log| {
            log.iter().rev().find_map(|entry| match entry {
                Entry::Silent { silent, .. } => Some(silent.clone()),
                _ => None,
            })
        })
    }
}
