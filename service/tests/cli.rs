//! End-to-end: the real `service` binary imports files, issues an activation code, serves
//! HTTP on a loopback port, and answers as the API suite expects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const TOKEN: &str = "e2e-admin-token";

fn service(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_service"))
        .args(args)
        .arg("--db")
        .arg(format!("sqlite://{}", dir.join("kode.db").display()))
        .arg("--key-file")
        .arg(dir.join("secret.key"))
        .output()
        .expect("running the service binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One HTTP/1.1 request over a fresh loopback connection.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>, admin: bool) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = if admin {
        format!("Authorization: Bearer {TOKEN}\r\n")
    } else {
        String::new()
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let payload = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    (
        status,
        serde_json::from_str(payload).unwrap_or(Value::String(payload.to_owned())),
    )
}

/// The port a server started with `--listen 127.0.0.1:0` says it bound (its first line
/// of output, `listening on http://127.0.0.1:PORT`).
fn bound_port(server: &mut Child) -> u16 {
    let mut line = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("the server's first line is not its address: {line:?}"))
}

fn totp_now(offset: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let step = (now / 30 + offset) as u64;
    otp::Totp::mitid(&otp::Secret::from_base32(SECRET_B32).unwrap())
        .code_for_step(step)
        .to_string()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn import_activate_and_validate_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("devices.txt");
    std::fs::write(
        &lines,
        format!("# delivery 1\nKR-E2E-1 otpauth://totp/MitID:KR-E2E-1?secret={SECRET_B32}\n"),
    )
    .unwrap();
    let out = service(dir.path(), &["import", lines.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 1 devices"),
        "{}",
        text(&out.stdout)
    );

    // Importing the same serial again is refused, and says why.
    let out = service(dir.path(), &["import", lines.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("serial KRE2E1 already exists"),
        "{}",
        text(&out.stderr)
    );

    // RFC 6030 Figure 6, encrypted with the pre-shared key; a wrong key is refused.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let pskc = fixtures.join("rfc6030-figure6.pskc");
    let wrong_key = dir.path().join("wrong.psk");
    std::fs::write(&wrong_key, "00000000000000000000000000000000").unwrap();
    let out = service(
        dir.path(),
        &[
            "import",
            pskc.to_str().unwrap(),
            "--psk-file",
            wrong_key.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("MAC does not match") || stderr.contains("cannot decrypt"),
        "{stderr}"
    );
    let psk = fixtures.join("rfc6030-figure6.psk");
    let out = service(
        dir.path(),
        &[
            "import",
            pskc.to_str().unwrap(),
            "--psk-file",
            psk.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = service(
        dir.path(),
        &[
            "activation-code",
            "KR-E2E-1",
            "person-e2e",
            "--channel",
            "sms",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let issued: Value = serde_json::from_slice(&out.stdout).unwrap();
    let activation_code = issued["activation_code"].as_str().unwrap().to_owned();

    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_service"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--db")
            .arg(format!("sqlite://{}", dir.path().join("kode.db").display()))
            .arg("--key-file")
            .arg(dir.path().join("secret.key"))
            .env("KODE_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Listening before it says so: no retry, no wait.
    let port = bound_port(&mut server.0);
    assert_eq!(
        http(port, "GET", "/healthz", None, false),
        (200, json!({"status": "ok"}))
    );

    let activate = json!({"serial": "KR-E2E-1", "user": "person-e2e", "activation_code": activation_code, "code": totp_now(-1)});
    let (status, body) = http(port, "POST", "/v1/activate", Some(&activate), false);
    assert_eq!((status, body), (200, json!({"status": "active"})));
    let validate = json!({"user": "person-e2e", "code": totp_now(0)});
    let (status, body) = http(port, "POST", "/v1/validate", Some(&validate), false);
    assert_eq!((status, body), (200, json!({"result": "accepted"})));
    let (status, body) = http(port, "POST", "/v1/validate", Some(&validate), false);
    assert_eq!((status, body["reason"].as_str()), (401, Some("replayed")));
    let (status, body) = http(port, "GET", "/v1/devices/KR-E2E-1", None, false);
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, view) = http(port, "GET", "/v1/devices/KR-E2E-1", None, true);
    assert_eq!(status, 200);
    assert_eq!(view["state"], "active");
    let (status, view) = http(port, "GET", "/v1/devices/987654321", None, true);
    assert_eq!((status, view["kind"].as_str()), (200, Some("hotp")));
    drop(server);

    // The admin subcommands see what the server stored.
    let out = service(dir.path(), &["status", "KR-E2E-1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let view: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(view["user"], "person-e2e");
    assert!(view["last_used_at"].is_string());
    let out = service(dir.path(), &["unlock", "KR-E2E-1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = service(dir.path(), &["status", "NO-SUCH"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no device with serial NOSUCH"),
        "{}",
        text(&out.stderr)
    );
    // The secret is sealed at rest: the database file does not hold it in the clear.
    for file in ["kode.db", "kode.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(20).any(|w| w == b"12345678901234567890"),
            "{file}"
        );
    }
}
