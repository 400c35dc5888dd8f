//! The login systems that speak RADIUS, with Debian's real packages (installed by
//! `scripts/install-deps`): `radclient` → FreeRADIUS 3.2 with rlm_rest → the `service`
//! binary, and `pamtester` → pam_radius_auth → FreeRADIUS → the service. FreeRADIUS runs
//! in the foreground as this test's child, from a copy of
//! `service/integrations/freeradius/` on a loopback port of its own, and is killed at the
//! end: nothing depends on a system service.
//!
//! Each path is checked for: a right code accepted, the same code replayed refused, a
//! wrong code refused, and after three wrong codes a right one refused as blocked — with
//! the reason in the Reply-Message and no code in any log.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tests::{binary, run, stderr, stdout, store_args};

const TOKEN: &str = "radius-e2e-token";
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RADIUS_SECRET: &str = "radius-e2e-shared-secret";
/// RFC 4226 Appendix D: the HOTP codes of the secret above for counters 0, 1, 2, 3.
const HOTP: [&str; 4] = ["755224", "287082", "359152", "969429"];
/// A code that none of the above is.
const WRONG: &str = "000000";

/// A child process killed (and reaped) when dropped, with its output gathered.
struct Running {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Running {
    fn start(command: &mut Command, what: &str) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {what} ({e}); scripts/install-deps installs it")
            });
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut text = output.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        Running { child, output }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    fn wait_for(&mut self, text: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.output().contains(text) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{what} exited with {status}:\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not say {text:?}:\n{}",
                self.output()
            );
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PAM service file under /etc/pam.d (PAM reads no other place), removed when dropped.
struct PamService {
    path: PathBuf,
}

impl Drop for PamService {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A program Debian installs in /usr/sbin, which a non-login PATH may lack.
fn sbin(name: &str) -> PathBuf {
    let path = Path::new("/usr/sbin").join(name);
    if path.exists() {
        path
    } else {
        PathBuf::from(name)
    }
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What FreeRADIUS answered one Access-Request: Accept or not, and its Reply-Message.
#[derive(Debug)]
struct Answer {
    accepted: bool,
    reply_message: String,
}

fn radclient(port: u16, user: &str, code: &str) -> Answer {
    let mut child = Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "10"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["auth", RADIUS_SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient (freeradius-utils; scripts/install-deps installs it)");
    writeln!(
        child.stdin.take().unwrap(),
        "User-Name = \"{user}\", User-Password = \"{code}\""
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = stdout(&output);
    let accepted = text.contains("Received Access-Accept");
    assert!(
        accepted || text.contains("Received Access-Reject"),
        "no answer from FreeRADIUS:\n{text}{}",
        stderr(&output)
    );
    let reply_message = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Reply-Message = "))
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    Answer {
        accepted,
        reply_message,
    }
}

fn pamtester(service: &str, user: &str, code: &str) -> (bool, String) {
    let mut child = Command::new("pamtester")
        .args(["-v", service, user, "authenticate"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pamtester (scripts/install-deps installs it)");
    writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

/// The running world: the service with two activated HOTP readers, and FreeRADIUS.
struct World {
    dir: tempfile::TempDir,
    service_bin: PathBuf,
    service: Running,
    freeradius: Running,
    radius_port: u16,
}

impl World {
    fn start(users: &[&str]) -> World {
        let service_bin = binary("service", "service");
        let dir = tempfile::tempdir().unwrap();
        let store = store_args(dir.path());
        let import = dir.path().join("devices.txt");
        let lines: String = users
            .iter()
            .map(|user| {
                format!("KR-{user} otpauth://hotp/MitID:KR-{user}?secret={SECRET_B32}&counter=0\n")
            })
            .collect();
        std::fs::write(&import, lines).unwrap();
        let output = run(Command::new(&service_bin)
            .arg("import")
            .arg(&import)
            .args(&store));
        assert!(output.status.success(), "import: {}", stderr(&output));

        let port = free_tcp_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut service = Running::start(
            Command::new(&service_bin)
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .args(["--trusted-proxy", "127.0.0.1"])
                .args(&store)
                .env("KODE_ADMIN_TOKEN", TOKEN)
                .env("RUST_LOG", "debug"),
            "the service",
        );
        service.wait_for("serving", "the service");
        for user in users {
            let issued: serde_json::Value = ureq::post(&format!("{url}/v1/activation-codes"))
                .set("Authorization", &format!("Bearer {TOKEN}"))
                .send_json(serde_json::json!({"serial": format!("KR-{user}"), "user": user, "channel": "sms"}))
                .expect("issuing an activation code")
                .into_json()
                .unwrap();
            ureq::post(&format!("{url}/v1/activate"))
                .send_json(serde_json::json!({
                    "serial": format!("KR-{user}"), "user": user,
                    "activation_code": issued["activation_code"], "code": HOTP[0],
                }))
                .expect("activating with counter 0");
        }

        let raddb = dir.path().join("raddb");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/integrations/freeradius"),
            &raddb,
        );
        std::fs::create_dir_all(raddb.join("run")).unwrap();
        let radius_port = free_udp_port();
        let mut freeradius = Running::start(
            Command::new(sbin("freeradius"))
                .args(["-f", "-l", "stdout", "-d"])
                .arg(&raddb)
                .env("KODE_RADDB", &raddb)
                .env("KODE_SERVICE_URL", &url)
                .env("KODE_RADIUS_SECRET", RADIUS_SECRET)
                .env("KODE_RADIUS_ADDRESS", "127.0.0.1")
                .env("KODE_RADIUS_PORT", radius_port.to_string()),
            "freeradius (scripts/install-deps installs freeradius and freeradius-rest)",
        );
        freeradius.wait_for("Ready to process requests", "FreeRADIUS");
        World {
            dir,
            service_bin,
            service,
            freeradius,
            radius_port,
        }
    }

    fn status(&self, serial: &str) -> serde_json::Value {
        let output = run(Command::new(&self.service_bin)
            .args(["status", serial])
            .args(store_args(self.dir.path())));
        assert!(output.status.success(), "status: {}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    }

    /// Neither the service's nor FreeRADIUS's output holds a code that was sent.
    fn assert_no_code_logged(&self) {
        for (who, log) in [
            ("service", self.service.output()),
            ("FreeRADIUS", self.freeradius.output()),
        ] {
            for code in HOTP.iter().skip(1).chain([&WRONG]) {
                assert!(!log.contains(code), "{who} logged a code:\n{log}");
            }
        }
    }
}

#[test]
fn radclient_through_freeradius_accepts_the_right_code_and_rejects_the_rest() {
    let user = "radius-user";
    let world = World::start(&[user]);
    let port = world.radius_port;

    let answer = radclient(port, user, HOTP[1]);
    assert!(answer.accepted, "{answer:?}");
    assert_eq!(answer.reply_message, "Kodeoplæser: accepted");

    let answer = radclient(port, user, HOTP[1]);
    assert!(!answer.accepted, "a replayed code: {answer:?}");
    assert!(
        answer.reply_message.contains("already been used"),
        "{answer:?}"
    );

    let answer = radclient(port, "nobody-here", HOTP[2]);
    assert!(!answer.accepted, "{answer:?}");
    assert!(
        answer.reply_message.contains("no active code reader"),
        "{answer:?}"
    );

    for _ in 0..3 {
        let answer = radclient(port, user, WRONG);
        assert!(!answer.accepted, "a wrong code: {answer:?}");
        assert_eq!(answer.reply_message, "Kodeoplæser: wrong otp value");
    }
    let answer = radclient(port, user, HOTP[2]);
    assert!(
        !answer.accepted,
        "blocked, even with a right code: {answer:?}"
    );
    let until = world.status(&format!("KR-{user}"))["blocked_until"]
        .as_str()
        .expect("the device is blocked")
        .to_owned();
    assert_eq!(
        answer.reply_message,
        format!("Kodeoplæser: blocked after repeated wrong codes until {until}")
    );
    world.assert_no_code_logged();
}

#[test]
fn pamtester_through_pam_radius_auth_and_freeradius_likewise() {
    let user = "pam-user";
    let world = World::start(&[user]);
    let conf = world.dir.path().join("pam_radius_auth.conf");
    std::fs::write(
        &conf,
        format!("127.0.0.1:{} {RADIUS_SECRET} 10\n", world.radius_port),
    )
    .unwrap();
    let name = format!("kode-e2e-{}", std::process::id());
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../service/integrations/pam/kode"),
    )
    .expect("the shipped PAM example");
    let pam_file = example.replace(
        "conf=/etc/pam_radius_auth.conf",
        &format!("conf={}", conf.display()),
    );
    assert_ne!(pam_file, example, "the example names its conf= file");
    let path = PathBuf::from("/etc/pam.d").join(&name);
    std::fs::write(&path, pam_file).unwrap_or_else(|e| {
        panic!(
            "cannot write {} ({e}): PAM reads services only from /etc/pam.d, so this test \
             runs as root (as CI does)",
            path.display()
        )
    });
    let _pam = PamService { path };

    let (ok, said) = pamtester(&name, user, HOTP[1]);
    assert!(ok, "the right code: {said}");
    assert!(said.contains("successfully authenticated"), "{said}");

    let (ok, said) = pamtester(&name, user, HOTP[1]);
    assert!(!ok, "a replayed code: {said}");
    assert!(said.contains("Authentication failure"), "{said}");

    for _ in 0..3 {
        let (ok, said) = pamtester(&name, user, WRONG);
        assert!(!ok, "a wrong code: {said}");
    }
    let serial = format!("KR-{user}");
    assert!(
        world.status(&serial)["blocked_until"].is_string(),
        "three wrong codes block"
    );
    let (ok, said) = pamtester(&name, user, HOTP[2]);
    assert!(!ok, "blocked, even with a right code: {said}");
    // Support lifts the block; the code refused while blocked was not spent.
    let output = run(Command::new(&world.service_bin)
        .args(["unlock", &serial])
        .args(store_args(world.dir.path())));
    assert!(output.status.success(), "unlock: {}", stderr(&output));
    let (ok, said) = pamtester(&name, user, HOTP[2]);
    assert!(ok, "after the unlock: {said}");
    world.assert_no_code_logged();
}
