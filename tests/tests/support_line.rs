//! Across the rooms, with the real binaries: the `service` serves a device, the login host
//! (`host-sim host --service`) gets wrong codes until the device is blocked, the agent
//! console shows the block from the running service (full screen under tmux, and in plain
//! text for screen readers, where the agent lifts it), and the citizen logs in.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::{binary, import_totp, start_listening, stderr, stdout, store_args, Tmux};

const TOKEN: &str = "support-e2e-token";
const SERIAL: &str = "KO000777";
const USER: &str = "person-7";
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The device's code `offset` steps from now.
fn code(offset: i64) -> String {
    tests::code_now(SECRET_B32, offset)
}

/// Types `input` into a binary's standard input and returns what it printed.
fn converse(command: &mut Command, input: &str) -> (bool, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the binary");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("typing");
    let output = child.wait_with_output().expect("waiting");
    (
        output.status.success(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

#[test]
fn a_blocked_device_is_seen_and_lifted_by_support_then_the_citizen_logs_in() {
    let service = binary("service", "service");
    let host_sim = binary("host-sim", "host-sim");
    let console = binary("phone-support", "phone-support");
    let dir = tempfile::tempdir().unwrap();
    let store = store_args(dir.path());

    import_totp(&service, dir.path(), SERIAL, SECRET_B32);
    let (_server, url) = start_listening(
        Command::new(&service)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&store)
            .env("KODE_ADMIN_TOKEN", TOKEN)
            .stderr(Stdio::null()),
        "the service",
    );

    // Support issues an activation code; the citizen activates with a code from the device.
    let issued: serde_json::Value = ureq::post(&format!("{url}/v1/activation-codes"))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .send_json(serde_json::json!({"serial": SERIAL, "user": USER, "channel": "sms"}))
        .expect("issuing an activation code")
        .into_json()
        .unwrap();
    let activation_code = issued["activation_code"]
        .as_str()
        .expect("an activation code");
    ureq::post(&format!("{url}/v1/activate"))
        .send_json(serde_json::json!({
            "serial": SERIAL, "user": USER, "activation_code": activation_code, "code": code(0)
        }))
        .expect("activating");

    // Three wrong codes through the login host block the device; then even a right one is refused.
    let host = || {
        let mut command = Command::new(&host_sim);
        command.args(["host", "--service", &url, "--user", USER]);
        command
    };
    let (accepted, said) = converse(&mut host(), "000000\n000001\n000002\n");
    assert!(!accepted);
    assert_eq!(
        said.matches("host: refused: wrong_code").count(),
        3,
        "{said}"
    );
    let (_, said) = converse(&mut host(), &format!("{}\n", code(1)));
    assert!(said.contains("host: refused: blocked"), "{said}");

    // The agent's full-screen console, under tmux, shows the block from the running service.
    let log = dir.path().join("outcomes.log");
    let command = format!(
        "env KODE_ADMIN_TOKEN={TOKEN} TERM=xterm-256color {} console --service {url} --log {}",
        console.display(),
        log.display()
    );
    let tmux = Tmux::start("kode-console", 140, 45, &command);
    tmux.wait_for("Command (help, quit)", Duration::from_secs(20));
    tmux.type_line(&format!("device {SERIAL}"));
    let screen = tmux.wait_for("BLOCKED until", Duration::from_secs(20));
    assert!(screen.contains("blocks since last"), "{screen}");
    assert!(screen.contains("activation state: active"), "{screen}");
    assert!(
        !screen.contains(SECRET_B32),
        "the console must never show the secret"
    );
    tmux.type_line("quit");

    // The agent looks the device up in the plain-text console, sees the block, and lifts it.
    let (ok, shown) = converse(
        Command::new(&console)
            .args(["console", "--plain", "--service", &url, "--log"])
            .arg(&log)
            .env("KODE_ADMIN_TOKEN", TOKEN),
        &format!("device {SERIAL}\nunlock {SERIAL}\nquit\n"),
    );
    assert!(ok, "{shown}");
    assert!(shown.contains(SERIAL), "{shown}");
    assert!(
        shown.to_lowercase().contains("blocked"),
        "the block is shown:\n{shown}"
    );
    assert!(shown.contains("Block lifted"), "{shown}");
    assert!(
        !shown.contains(SECRET_B32),
        "the console must never show the secret"
    );

    // The citizen logs in with the next code from the device.
    let (accepted, said) = converse(&mut host(), &format!("{}\n", code(1)));
    assert!(accepted, "{said}");
    assert!(
        said.contains(&format!("host: accepted (user {USER})")),
        "{said}"
    );
}
