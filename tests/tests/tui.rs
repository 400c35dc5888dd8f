//! The interactive simulator in a real terminal: tmux runs it, keys go in with
//! `send-keys`, and the code is read off the screen with `capture-pane`.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use otp::{KeyUri, Totp};
use tests::{binary, run, stderr};

const START: &str = "2026-11-25 12:00:05 UTC";
const START_UNIX: u64 = 1_795_608_005;

fn tmux(args: &[&str]) -> String {
    let output = run(Command::new("tmux").args(args));
    assert!(
        output.status.success(),
        "tmux {args:?}: {}",
        stderr(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Reads the pane until it shows `text`, or fails after `limit` with what it showed.
fn wait_for(session: &str, text: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if screen.contains(text) {
            return screen;
        }
        assert!(
            Instant::now() < deadline,
            "the simulator never showed {text:?}; it shows:\n{screen}"
        );
        sleep(Duration::from_millis(100));
    }
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

#[test]
fn a_code_can_be_read_off_the_terminal_ui() {
    let host_sim = binary("host-sim", "host-sim");
    let uri = "otpauth://totp/t:t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let totp = Totp::mitid(&KeyUri::parse(uri).unwrap().secret);
    let code = totp.code_at(START_UNIX).unwrap().to_string();
    let shown = format!("{} {}", &code[..3], &code[3..]);

    let session = Session(format!("kode-tui-{}", std::process::id()));
    let command = format!(
        "{} --audio none --secret-uri '{uri}' --start '{START}'",
        host_sim.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "150",
        "-y",
        "48",
        &command,
    ]);
    wait_for(&session.0, "switched off", Duration::from_secs(20));

    tmux(&["send-keys", "-t", &session.0, "Enter"]); // the red key: switch on
    wait_for(&session.0, "Klar", Duration::from_secs(10));
    tmux(&["send-keys", "-t", &session.0, "5"]); // a code
    let screen = wait_for(&session.0, &shown, Duration::from_secs(10));
    assert!(
        screen.contains("Din kode er"),
        "the spoken words are shown too:\n{screen}"
    );

    tmux(&["send-keys", "-t", &session.0, "q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Command::new("tmux")
        .args(["has-session", "-t", &session.0])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(Instant::now() < deadline, "q did not leave the simulator");
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_interactive_demo_accepts_the_code_read_off_the_screen() {
    let host_sim = binary("host-sim", "host-sim");
    let session = Session(format!("kode-demo-{}", std::process::id()));
    let command = format!("{} demo --audio none", host_sim.display());
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session.0,
        "-x",
        "150",
        "-y",
        "50",
        &command,
    ]);
    wait_for(&session.0, "Login host", Duration::from_secs(30));

    tmux(&["send-keys", "-t", &session.0, "Enter"]); // switch on
    wait_for(&session.0, "Klar", Duration::from_secs(10));
    tmux(&["send-keys", "-t", &session.0, "5"]); // a code
                                                 // The code as the screen-as-text panel shows it: "482 079".
    let code_on_screen = |screen: &str| {
        screen
            .lines()
            .skip_while(|line| !line.contains("Screen as text"))
            .nth(1)
            .and_then(|line| {
                line.split('│')
                    .map(str::trim)
                    .find(|cell| cell.len() == 7 && cell.as_bytes()[3] == b' ')
                    .map(|cell| cell.replace(' ', ""))
            })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let shown = loop {
        let screen = tmux(&["capture-pane", "-p", "-t", &session.0]);
        if let Some(code) = code_on_screen(&screen) {
            break code;
        }
        assert!(
            Instant::now() < deadline,
            "no code on the screen:\n{screen}"
        );
        sleep(Duration::from_millis(100));
    };

    tmux(&["send-keys", "-t", &session.0, "Tab"]);
    tmux(&["send-keys", "-t", &session.0, &shown, "Enter"]);
    wait_for(
        &session.0,
        &format!("host: {shown}: accepted"),
        Duration::from_secs(10),
    );
    tmux(&["send-keys", "-t", &session.0, "Escape", "q"]);
}
