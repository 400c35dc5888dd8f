//! Shared by the SIP end-to-end tests: the `phone-support sip` server on loopback with
//! system-chosen ports, sipp scenarios against it, and what the server left behind (its
//! log, stats and transcripts) once stopped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp");

/// A running `phone-support sip`.
pub struct Server {
    child: Option<Child>,
    stdout: BufReader<std::process::ChildStdout>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// What a stopped server left.
pub struct Finished {
    pub log: String,
    pub stats: serde_json::Value,
    /// Each call's transcript.
    pub transcripts: Vec<String>,
}

impl Server {
    /// Starts the server on 127.0.0.1, port 0, RTP ports from the system, transcripts and
    /// stats in a temporary folder; `extra` options are added.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with_env(extra, &[])
    }

    /// [`Server::start`] with environment variables set.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let transcripts = dir.path().join("transcripts");
        std::fs::create_dir(&transcripts).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_phone-support"))
            .args(["sip", "--listen", "127.0.0.1:0", "--rtp-ports", "0"])
            .arg("--transcripts")
            .arg(&transcripts)
            .arg("--stats")
            .arg(dir.path().join("stats.json"))
            .args(extra)
            .env("RUST_LOG", "info,rsipstack=warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("phone-support runs");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let log =
                    std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                panic!("the server did not start: {first:?}\n{log}")
            });
        Server {
            child: Some(child),
            stdout,
            port,
            dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The control API's base URL, from the "control on ADDR" line (started with
    /// `--control 127.0.0.1:0`).
    pub fn control_url(&mut self) -> String {
        let mut line = String::new();
        while self.stdout.read_line(&mut line).unwrap_or(0) > 0 {
            if let Some(address) = line.trim().strip_prefix("control on ") {
                return format!("http://{address}");
            }
            line.clear();
        }
        panic!("the server printed no control address:\n{}", self.log())
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Waits until the log holds `text` (up to `limit`).
    pub fn wait_for_log(&self, text: &str, limit: Duration) -> bool {
        let end = std::time::Instant::now() + limit;
        while std::time::Instant::now() < end {
            if self.log().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Stops the server with SIGTERM (it writes its stats on the way out).
    pub fn stop(mut self) -> Finished {
        let mut child = self.child.take().unwrap();
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        let log = self.log();
        assert!(status.success(), "the server exited with {status}:\n{log}");
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
        let stats = std::fs::read_to_string(self.dir.path().join("stats.json"))
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap_or(serde_json::Value::Null);
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("transcripts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let transcripts = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        Finished {
            log,
            stats,
            transcripts,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A UDP port free on loopback now, with the one two above free too (sipp's media port
/// and the one it keeps for video).
pub fn free_port() -> u16 {
    loop {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        if port < 65000 && UdpSocket::bind(("127.0.0.1", port + 2)).is_ok() {
            return port;
        }
    }
}

/// Runs one sipp call of `scenario` against the server in `cwd`; whether it succeeded,
/// and sipp's error log when it did not.
pub fn sipp(server: &Server, scenario: &str, extra: &[&str], cwd: &Path) -> Result<(), String> {
    sipp_at(&server.address(), scenario, extra, cwd)
}

/// [`sipp`] against a server's address (for a call placed from another thread).
pub fn sipp_at(address: &str, scenario: &str, extra: &[&str], cwd: &Path) -> Result<(), String> {
    let output = Command::new("sipp")
        .arg(address)
        .arg("-sf")
        .arg(Path::new(SCENARIOS).join(scenario))
        .args(["-m", "1", "-i", "127.0.0.1", "-nostdin", "-trace_err"])
        .args(["-timeout", "90s", "-timeout_error"])
        .args([
            "-p",
            &free_port().to_string(),
            "-mp",
            &free_port().to_string(),
        ])
        .args(extra)
        .current_dir(cwd)
        .output()
        .expect("sipp must be installed (package sip-tester, scripts/install-deps)");
    if output.status.success() {
        return Ok(());
    }
    let mut errors = String::new();
    for entry in std::fs::read_dir(cwd).unwrap().flatten() {
        if entry.file_name().to_string_lossy().ends_with("_errors.log") {
            errors += &std::fs::read_to_string(entry.path()).unwrap_or_default();
        }
    }
    Err(format!(
        "sipp {scenario} failed ({}):\n{}\n{errors}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// A number from the stats JSON (`"keys_event"` or `"lateness_ms.p99"`).
pub fn stat(stats: &serde_json::Value, path: &str) -> f64 {
    let mut value = stats;
    for part in path.split('.') {
        value = &value[part];
    }
    value
        .as_f64()
        .unwrap_or_else(|| panic!("no {path} in {stats}"))
}
