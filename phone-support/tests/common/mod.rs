//! Shared by the binary's end-to-end tests: run `phone-support` with input typed on stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `phone-support ARGS` with `env` set, `input` written to its stdin (then closed), and
/// its output once it has exited.
pub fn run_with_input(args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phone-support"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("the binary reads its input");
    child.wait_with_output().expect("the binary exits")
}
