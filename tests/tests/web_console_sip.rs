//! The web console against the real SIP line: `phone-support sip --control` answers a
//! sipp call that asks for an agent (English, then 0), the console (no browser) shows it
//! waiting from the line's event stream, an agent takes it and sees the hand-over, and
//! ending it on the console ends the call. Needs `sipp` (scripts/install-deps).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::web_console::{Client, World, LINE_TOKEN, PASSWORD};
use tests::{binary, KillOnDrop};

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_sipp_call_waiting_on_the_real_line_is_taken_and_ended_in_the_console() {
    let world = World::start();
    let phone = binary("phone-support", "phone-support");
    let work = tempfile::tempdir().unwrap();
    let mut line = KillOnDrop(
        Command::new(&phone)
            .args([
                "sip",
                "--listen",
                "127.0.0.1:0",
                "--rtp-ports",
                "0",
                "--voice",
                "none",
            ])
            .args(["--at", "2026-11-25 12:00", "--control", "127.0.0.1:0"])
            .env("KODE_LINE_TOKEN", LINE_TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting phone-support sip"),
    );
    let mut stdout = BufReader::new(line.0.stdout.take().unwrap());
    let (mut sip, mut control) = (None, None);
    while sip.is_none() || control.is_none() {
        let mut text = String::new();
        assert!(stdout.read_line(&mut text).unwrap() > 0, "the line stopped");
        if let Some(address) = text.trim().strip_prefix("listening on ") {
            sip = Some(address.to_owned());
        }
        if let Some(address) = text.trim().strip_prefix("control on ") {
            control = Some(format!("http://{address}"));
        }
    }
    let (sip, control) = (sip.unwrap(), control.unwrap());
    let (_console, console_url) = world.second_console(&control);

    // The caller: 9 for English, 0 for an agent, then holds.
    std::fs::write(work.path().join("keys.csv"), "SEQUENTIAL\n90;\n").unwrap();
    let scenario =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../phone-support/tests/sipp/walk.xml");
    let caller = {
        let dir = work.path().to_owned();
        std::thread::spawn(move || {
            Command::new("sipp")
                .arg(&sip)
                .arg("-sf")
                .arg(scenario)
                .args(["-inf", "keys.csv", "-m", "1", "-i", "127.0.0.1", "-nostdin"])
                .args(["-timeout", "90s", "-timeout_error"])
                .args([
                    "-p",
                    &free_port().to_string(),
                    "-mp",
                    &free_port().to_string(),
                ])
                .current_dir(dir)
                .output()
                .expect("sipp must be installed (package sip-tester, scripts/install-deps)")
        })
    };

    let mut alice = Client::new(&console_url);
    assert_eq!(alice.sign_in("alice", PASSWORD).status, 303);
    let end = Instant::now() + Duration::from_secs(30);
    let (home, id) = loop {
        let home = alice.get("/");
        let marker = "action=\"/calls/";
        if let Some(start) = home.body.find(marker) {
            let id = home.body[start + marker.len()..]
                .split('/')
                .next()
                .unwrap()
                .to_owned();
            break (home, id);
        }
        assert!(
            Instant::now() < end,
            "no waiting call on the page:\n{}",
            home.body
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        home.body.contains("<td>Waiting</td><td>English</td>"),
        "{}",
        home.body
    );
    let csrf = home.csrf();
    let taken = alice.post(&format!("/calls/{id}/take"), &[("csrf", &csrf)]);
    assert_eq!(taken.location, Some(format!("/calls/{id}")));
    let mut page = alice.get(&format!("/calls/{id}"));
    for _ in 0..50 {
        if page.body.contains("With an agent") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        page = alice.get(&format!("/calls/{id}"));
    }
    assert!(page.body.contains("With an agent"), "{}", page.body);
    assert!(
        page.body.contains("+4511223344"),
        "the caller's number: {}",
        page.body
    );
    std::thread::sleep(Duration::from_millis(500));
    let done = alice.post(
        &format!("/calls/{id}/done"),
        &[("csrf", &csrf), ("outcome", "resolved"), ("note", "")],
    );
    assert_eq!(done.location.as_deref(), Some("/?recorded=1"));
    let output = caller.join().unwrap();
    assert!(
        output.status.success(),
        "sipp's call did not complete: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(world.console_audit().contains(&format!(
        "\"agent\":\"alice\",\"action\":\"take_call\",\"subject\":\"{id}\",\"result\":\"ok\""
    )));
}
