//! Self-service unlock over a real phone line, with the real binaries: the `service`
//! serves a blocked device, `phone-support sip` answers sipp's calls, and the caller keys
//! the serial number and two codes (RFC 4733 events). Two codes that do not follow each
//! other leave the device blocked; two consecutive ones lift the block. Needs sipp
//! (package sip-tester, installed by scripts/install-deps).

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};

use tests::{binary, import_totp, start_listening, stderr, store_args, KillOnDrop};

const TOKEN: &str = "sip-unlock-token";
const SERIAL: &str = "20261125";
const USER: &str = "person-12";
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The device's code `offset` steps from now.
fn code(offset: i64) -> String {
    tests::code_now(SECRET_B32, offset)
}

fn free_udp_port() -> u16 {
    loop {
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 65000 && UdpSocket::bind(("127.0.0.1", port + 2)).is_ok() {
            return port;
        }
    }
}

/// One sipp call that keys `keys` and waits for the menu to hang up.
fn call(sip: &str, keys: &str, work: &Path) {
    std::fs::write(work.join("keys.csv"), format!("SEQUENTIAL\n{keys};\n")).unwrap();
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../phone-support/tests/sipp/walk.xml");
    let output = Command::new("sipp")
        .arg(sip)
        .arg("-sf")
        .arg(scenario)
        .arg("-inf")
        .arg(work.join("keys.csv"))
        .args([
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-timeout",
            "120s",
            "-timeout_error",
        ])
        .args([
            "-p",
            &free_udp_port().to_string(),
            "-mp",
            &free_udp_port().to_string(),
        ])
        .current_dir(work)
        .output()
        .expect("sipp must be installed (package sip-tester, scripts/install-deps)");
    assert!(output.status.success(), "sipp: {}", stderr(&output));
}

fn blocked(url: &str) -> bool {
    let view: serde_json::Value = ureq::get(&format!("{url}/v1/devices/{SERIAL}"))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .expect("the device view")
        .into_json()
        .unwrap();
    !view["blocked_until"].is_null()
}

#[test]
fn a_blocked_device_is_unlocked_by_two_consecutive_codes_keyed_on_the_phone() {
    let service = binary("service", "service");
    let phone = binary("phone-support", "phone-support");
    let dir = tempfile::tempdir().unwrap();
    let store = store_args(dir.path());
    import_totp(&service, dir.path(), SERIAL, SECRET_B32);
    let (_service, url) = start_listening(
        Command::new(&service)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&store)
            .env("KODE_ADMIN_TOKEN", TOKEN)
            .stderr(Stdio::null()),
        "the service",
    );
    let issued: serde_json::Value = ureq::post(&format!("{url}/v1/activation-codes"))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .send_json(serde_json::json!({"serial": SERIAL, "user": USER, "channel": "sms"}))
        .expect("issuing an activation code")
        .into_json()
        .unwrap();
    ureq::post(&format!("{url}/v1/activate"))
        .send_json(serde_json::json!({
            "serial": SERIAL, "user": USER,
            "activation_code": issued["activation_code"], "code": code(0)
        }))
        .expect("activating");
    for wrong in ["000000", "000001", "000002"] {
        let _ = ureq::post(&format!("{url}/v1/validate"))
            .send_json(serde_json::json!({"user": USER, "code": wrong}));
    }
    assert!(blocked(&url), "three wrong codes should block the device");

    // The line, closed hours (so two failed attempts end in the hours and goodbye).
    let log = std::fs::File::create(dir.path().join("line.log")).unwrap();
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
            .args(["--at", "2026-11-25 21:00", "--service", &url])
            .env("KODE_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("starting phone-support sip"),
    );
    let mut first = String::new();
    BufReader::new(line.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let sip = first
        .trim()
        .strip_prefix("listening on ")
        .expect("the line's address")
        .to_owned();
    let work = tempfile::tempdir().unwrap();

    // Two tries with codes that do not follow each other: still blocked.
    let keys = format!(
        "34{SERIAL}#{}#{}#{}#{}#",
        code(10),
        code(12),
        code(5),
        code(3)
    );
    call(&sip, &keys, work.path());
    assert!(blocked(&url), "non-consecutive codes must not unlock");
    // The next code and the one after: unblocked.
    let keys = format!("34{SERIAL}#{}#{}#", code(1), code(2));
    call(&sip, &keys, work.path());
    assert!(!blocked(&url), "two consecutive codes should unlock");

    let said = std::fs::read_to_string(dir.path().join("line.log")).unwrap();
    assert!(
        said.contains("self-service unlock: Some(WrongCodes)"),
        "{said}"
    );
    assert!(
        said.contains("self-service unlock: Some(Unlocked)"),
        "{said}"
    );
    for secret in [code(1), code(2)] {
        assert!(!said.contains(&secret), "a code reached the line's log");
    }
}
