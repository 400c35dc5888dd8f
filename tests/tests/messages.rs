//! A user's mistake on the command line, for every binary: one clear line on stderr naming
//! what is wrong, exit status 2 (`otp` keeps oathtool's 1, as its oathtool comparison
//! requires), and never a backtrace — these machines run with `RUST_BACKTRACE=1`, which
//! makes an error returned from `main` print one.

use std::process::Command;

use tests::{binary, run, stderr};

/// Runs `package`'s binary `name` with `args` and backtraces asked for, and checks that it
/// fails with `status` and exactly one line that contains `expected`.
fn one_clear_line(package: &str, name: &str, args: &[&str], status: i32, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let output = run(Command::new(binary(package, name))
        .args(args)
        .current_dir(dir.path())
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path()));
    let said = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(status),
        "{name} {args:?}: status\n{said}"
    );
    let lines: Vec<&str> = said
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{name} {args:?}: not one line of error:\n{said}"
    );
    assert!(
        lines[0].starts_with(&format!("{name}: ")) && lines[0].contains(expected),
        "{name} {args:?}: {expected:?} not said:\n{said}"
    );
    assert!(!said.to_lowercase().contains("backtrace"), "{said}");
}

#[test]
fn otp_bad_key() {
    one_clear_line(
        "otp",
        "otp",
        &["-b", "GEZDGN1V"],
        1,
        "not base32 at position 7",
    );
}

#[test]
fn speech_bad_serial() {
    one_clear_line(
        "speech",
        "speech",
        &["words", "--serial", "KP20,26"],
        2,
        "--serial \"KP20,26\": serial number has ',' at position 5",
    );
}

#[test]
fn voice_pack_missing_pack() {
    one_clear_line(
        "voice-packs",
        "voice-pack",
        &["validate", "no-such-pack"],
        2,
        "cannot read pack.toml",
    );
}

#[test]
fn reader_device_missing_config() {
    one_clear_line(
        "reader-device",
        "reader-device",
        &["--config", "no-such-device.toml"],
        2,
        "no-such-device.toml",
    );
}

#[test]
fn host_sim_missing_script() {
    one_clear_line(
        "host-sim",
        "host-sim",
        &["run", "no-such.script"],
        2,
        "no-such.script",
    );
}

#[test]
fn service_missing_import_file() {
    one_clear_line(
        "service",
        "service",
        &[
            "--db",
            "sqlite://kode.db",
            "--key-file",
            "secret.key",
            "import",
            "no-such-devices.txt",
        ],
        2,
        "no-such-devices.txt",
    );
}

#[test]
fn phone_support_bad_date() {
    one_clear_line(
        "phone-support",
        "phone-support",
        &["hours", "--at", "2026-13-01 10:00"],
        2,
        "--at",
    );
}

#[test]
fn phone_support_agents_bad_right() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    one_clear_line(
        "phone-support",
        "phone-support",
        &[
            "agents", "--data", &data, "add", "alice", "--rights", "root",
        ],
        2,
        "unknown right \"root\"",
    );
}
