//! The interactive simulator in a real terminal: tmux runs it, keys go in with
//! `send-keys`, and the code is read off the screen with `capture-pane`.

use std::thread::sleep;
use std::time::{Duration, Instant};

use otp::{KeyUri, Totp};
use tests::{binary, Tmux};

const START: &str = "2026-11-25 12:00:05 UTC";
const START_UNIX: u64 = 1_795_608_005;

/// The code in the "Screen as text" panel ("482 079"), without its space.
fn code_on_screen(screen: &str) -> Option<String> {
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
}

#[test]
fn a_code_can_be_read_off_the_terminal_ui() {
    let host_sim = binary("host-sim", "host-sim");
    let uri = "otpauth://totp/t:t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let totp = Totp::mitid(&KeyUri::parse(uri).unwrap().secret);
    let code = totp.code_at(START_UNIX).unwrap().to_string();

    let command = format!(
        "{} --audio none --secret-uri '{uri}' --start '{START}'",
        host_sim.display()
    );
    let tmux = Tmux::start("kode-tui", 150, 48, &command);
    tmux.wait_for("switched off", Duration::from_secs(20));

    tmux.keys(&["Enter"]); // the red key: switch on, show and say the code
    let shown = tmux.wait_until(Duration::from_secs(10), "a code", code_on_screen);
    assert_eq!(shown, code);
    assert!(
        tmux.screen().contains("Din kode er"),
        "the spoken words are shown too:\n{}",
        tmux.screen()
    );

    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() {
        assert!(Instant::now() < deadline, "q did not leave the simulator");
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_interactive_demo_accepts_the_code_read_off_the_screen() {
    let host_sim = binary("host-sim", "host-sim");
    let command = format!("{} demo --audio none", host_sim.display());
    let tmux = Tmux::start("kode-demo", 150, 50, &command);
    tmux.wait_for("Login host", Duration::from_secs(30));

    tmux.keys(&["Enter"]); // the red key: switch on, show and say the code
    let shown = tmux.wait_until(Duration::from_secs(10), "a code", code_on_screen);

    tmux.keys(&["Tab"]);
    tmux.keys(&[&shown, "Enter"]);
    tmux.wait_for(&format!("host: {shown}: accepted"), Duration::from_secs(10));
    tmux.keys(&["Escape", "q"]);
}
