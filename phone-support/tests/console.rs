//! The agent console against a device service over HTTP: full-screen under tmux, and
//! plain text through pipes. The service here is a small in-test HTTP server that answers
//! `GET /v1/devices/{serial}` like the real one (the real service is wired in by the
//! workspace's end-to-end tests).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;

mod common;
use common::run_with_input;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "test-admin-token";
const DEVICE_JSON: &str = r#"{"serial":"KO000123","kind":"totp","state":"active","user":"u-77",
"imported_at":"2026-01-01T00:00:00Z","activated_at":"2026-01-02T10:00:00Z",
"last_used_at":"2026-11-25T10:58:00Z","failures":3,"blocked_until":"2026-11-25T11:30:00Z",
"blocks":1,"drift_steps":2,"activation_code":null}"#;

/// Serves device views; records each request line with whether the token was right.
fn fake_service() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut authorized = false;
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let lower = header.to_ascii_lowercase();
                if lower.trim() == format!("authorization: bearer {}", TOKEN.to_ascii_lowercase()) {
                    authorized = true;
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let request = request_line.trim().to_owned();
            log.lock()
                .unwrap()
                .push(format!("{request} authorized={authorized}"));
            let (status, body) = if !authorized {
                ("401 Unauthorized", r#"{"error":"unauthorized"}"#.to_owned())
            } else if request == "GET /v1/devices/KO000123 HTTP/1.1" {
                ("200 OK", DEVICE_JSON.to_owned())
            } else if request == "POST /v1/devices/KO000123/unlock HTTP/1.1" {
                ("200 OK", r#"{"status":"unlocked"}"#.to_owned())
            } else {
                ("404 Not Found", r#"{"error":"not found"}"#.to_owned())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

/// Polls `probe` until it returns true or 20 s pass (a wait, not a timing assertion).
fn wait_for(mut probe: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if probe() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (apt-get install tmux)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "console"])
    }

    fn type_line(&self, text: &str) {
        self.run(&["send-keys", "-t", "console", "-l", text]);
        self.run(&["send-keys", "-t", "console", "Enter"]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn full_screen_console_under_tmux_shows_the_device_from_the_service() {
    let (url, seen) = fake_service();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("outcomes.log");
    let tmux = Tmux {
        socket: format!("phone-support-test-{}", std::process::id()),
    };
    let command = format!(
        "env KODE_ADMIN_TOKEN={TOKEN} TERM=xterm-256color {} console --service {url} --log {} --at '2026-11-25 12:00'",
        env!("CARGO_BIN_EXE_phone-support"),
        log.display()
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "140",
        "-y",
        "45",
        &command,
    ]);
    assert!(
        wait_for(|| tmux.screen().contains("Command (help, quit)")),
        "{}",
        tmux.screen()
    );
    assert!(tmux.screen().contains("flow 3: Koden bliver afvist"));

    tmux.type_line("flow 3");
    tmux.type_line("2");
    assert!(
        wait_for(|| tmux.screen().contains("spærres midlertidigt")),
        "{}",
        tmux.screen()
    );
    tmux.type_line("device KO-000123");
    assert!(
        wait_for(|| tmux.screen().contains("BLOCKED until 2026-11-25T11:30:00Z")),
        "{}",
        tmux.screen()
    );
    let screen = tmux.screen();
    assert!(screen.contains("activation state: active"), "{screen}");
    assert!(screen.contains("wrong codes in a row: 3"), "{screen}");
    assert!(screen.contains("clock drift: 2 time steps"), "{screen}");
    assert!(
        screen.contains("what-happened: 2: hvis kodeoplæseren er spærret"),
        "{screen}"
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["GET /v1/devices/KO000123 HTTP/1.1 authorized=true"]
    );

    tmux.type_line("end escalated block to be lifted");
    assert!(wait_for(
        || std::fs::read_to_string(&log).is_ok_and(|t| t.ends_with('\n'))
    ));
    tmux.type_line("quit");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged,
        "2026-11-25T12:00:00\tflow=code-refused\tstep=blocked\tanswers=1\tserial=KO-000123\toutcome=escalated\tnote=block to be lifted\n"
    );
}

/// The plain-text console against the service at `url`, logging to `log`, with `token`
/// as the admin token and `input` typed.
fn plain_console(
    url: &str,
    log: &std::path::Path,
    extra: &[&str],
    token: &str,
    input: &str,
) -> std::process::Output {
    let mut args = vec![
        "console",
        "--plain",
        "--service",
        url,
        "--log",
        log.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_with_input(&args, &[("KODE_ADMIN_TOKEN", token)], input)
}

#[test]
fn plain_text_console_for_screen_readers() {
    let (url, _) = fake_service();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("outcomes.log");
    std::fs::write(&log, "earlier call\n").unwrap();
    let output = plain_console(
        &url,
        &log,
        &["--at", "2026-11-25 21:00"],
        "wrong-token",
        "hours\nflow 4\n2\ndocs health-card,tax-statement\ndevice KO-000123\nend resolved\nquit\n",
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Check:\n  closed — Wednesday 2026-11-25 21:00"),
        "{text}"
    );
    assert!(text.contains("  opens Thursday 2026-11-26 08:00"));
    assert!(text.contains("Så skal du have to andre dokumenter med."));
    assert!(text.contains(
        "  enough: two documents; then answer questions from the CPR register or bring a witness"
    ));
    assert!(
        text.contains("the service refused the admin token (HTTP 401)"),
        "{text}"
    );
    // Append-only: the earlier line stays.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.starts_with("earlier call\n2026-11-25T21:00:00\tflow=get-mitid\tstep=two-documents"),
        "{logged}"
    );
}

#[test]
fn plain_console_lifts_a_block_and_looks_again() {
    let (url, seen) = fake_service();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("outcomes.log");
    let output = plain_console(
        &url,
        &log,
        &[],
        TOKEN,
        "unlock KO-000123\nunlock ../etc\nquit\n",
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Block lifted; the device below was looked up again."),
        "{text}"
    );
    assert!(
        text.contains("serial number has '.' at position 1"),
        "{text}"
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [
            "POST /v1/devices/KO000123/unlock HTTP/1.1 authorized=true",
            "GET /v1/devices/KO000123 HTTP/1.1 authorized=true"
        ]
    );
}
