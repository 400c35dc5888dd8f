//! What the end-to-end tests in `tests/tests/` share: building and finding the product's
//! real binaries, running them with their output captured, and driving terminal programs
//! under tmux; a fake SIP line control API and the web console's world.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub mod fake_line;
pub mod web_console;

static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The path of binary `name` from package `package`, built first (once per test process)
/// in the profile and target directory of the running test, so that a test never runs a
/// stale binary, nor one of another profile (`cargo test --release` tests release
/// binaries).
pub fn binary(package: &str, name: &str) -> PathBuf {
    // Test executables live in <target>/<profile dir>/deps; binaries one level up.
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    if built.insert(name.to_owned()) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let (target_dir, profile) = build_location(dir);
        let output = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "--bin",
                name,
                "--profile",
                &profile,
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo to build {name}: {e}"));
        assert!(
            output.status.success(),
            "building {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The target directory and the cargo profile whose binaries go to `profile_dir`
/// (`target/debug` is the `dev` and `test` profiles' directory, `target/release` the
/// `release` and `bench` profiles'; a custom profile has its own name).
fn build_location(profile_dir: &Path) -> (&Path, String) {
    let target_dir = profile_dir.parent().unwrap_or(Path::new("target"));
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev".to_owned(),
        Some(other) => other.to_owned(),
    };
    (target_dir, profile)
}

/// A child process killed (and reaped) when this is dropped, so a failing test leaves no
/// server behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The 6-digit TOTP code (MitID's: SHA-1, 30 s) of base32 `secret`, `offset` steps from now.
pub fn code_now(secret: &str, offset: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64;
    otp::Totp::mitid(&otp::Secret::from_base32(secret).expect("a base32 secret"))
        .code_for_step((now / 30 + offset) as u64)
        .to_string()
}

/// Runs a command and returns its output; panics with the command line if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A program running in its own tmux session, read with `capture-pane` and typed into
/// with `send-keys`; the session is killed when this is dropped.
pub struct Tmux {
    name: String,
}

impl Tmux {
    /// Starts `command` in a detached session `width` × `height` cells large.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        let tmux = Tmux {
            name: format!("{name}-{}", std::process::id()),
        };
        let (width, height) = (width.to_string(), height.to_string());
        tmux.call(&[
            "new-session",
            "-d",
            "-s",
            &tmux.name,
            "-x",
            &width,
            "-y",
            &height,
            command,
        ]);
        tmux
    }

    fn call(&self, args: &[&str]) -> String {
        let output = run(Command::new("tmux").args(args));
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            stderr(&output)
        );
        stdout(&output)
    }

    /// What the pane shows now.
    pub fn screen(&self) -> String {
        self.call(&["capture-pane", "-p", "-t", &self.name])
    }

    /// Sends tmux key names ("Enter", "Tab", "q" …).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        self.call(&args);
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, text: &str) {
        self.call(&["send-keys", "-t", &self.name, "-l", text]);
        self.keys(&["Enter"]);
    }

    /// Reads the pane until `found` picks something out of it, or fails after `limit`
    /// with what the pane showed.
    pub fn wait_until<T>(
        &self,
        limit: Duration,
        what: &str,
        found: impl Fn(&str) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if let Some(value) = found(&screen) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "the pane never showed {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Reads the pane until it shows `text`; returns the screen.
    pub fn wait_for(&self, text: &str, limit: Duration) -> String {
        self.wait_until(limit, &format!("{text:?}"), |screen| {
            screen.contains(text).then(|| screen.to_owned())
        })
    }

    /// Whether the session is still there (its program has not exited).
    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.name])
            .output()
            .is_ok_and(|output| output.status.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
    }
}

/// The `service` options for an SQLite database and an at-rest key file in `dir`.
pub fn store_args(dir: &Path) -> Vec<String> {
    vec![
        "--db".into(),
        format!("sqlite://{}", dir.join("kode.db").display()),
        "--key-file".into(),
        dir.join("secret.key").display().to_string(),
    ]
}

/// Imports one TOTP device `serial` with base32 `secret` into the store in `dir`.
pub fn import_totp(service: &Path, dir: &Path, serial: &str, secret: &str) {
    let import = dir.join("devices.txt");
    std::fs::write(
        &import,
        format!("{serial} otpauth://totp/MitID:{serial}?secret={secret}\n"),
    )
    .unwrap();
    let output = run(Command::new(service)
        .arg("import")
        .arg(&import)
        .args(store_args(dir)));
    assert!(output.status.success(), "import: {}", stderr(&output));
}

/// Starts a server that prints "listening on ADDR" first (bound already, port 0 being
/// the system's choice); gives it and its URL. Its standard error is the caller's choice.
pub fn start_listening(command: &mut Command, what: &str) -> (KillOnDrop, String) {
    let mut child = KillOnDrop(
        command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {what}: {e}")),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{what}'s first line is not its address: {line:?}"))
        .to_owned();
    let url = if address.starts_with("http") {
        address
    } else {
        format!("http://{address}")
    };
    (child, url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_built_in_the_test_s_own_profile_and_target() {
        assert_eq!(
            build_location(Path::new("/w/target/debug")),
            (Path::new("/w/target"), "dev".to_owned())
        );
        assert_eq!(
            build_location(Path::new("/w/target/release")),
            (Path::new("/w/target"), "release".to_owned())
        );
        assert_eq!(
            build_location(Path::new("/elsewhere/ci")),
            (Path::new("/elsewhere"), "ci".to_owned())
        );
    }
}
