//! What the end-to-end tests in `tests/tests/` share: building and finding the product's
//! real binaries, and running them with their output captured.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The path of binary `name` from package `package`, built first (once per test process)
/// so that a test never runs a stale binary.
pub fn binary(package: &str, name: &str) -> PathBuf {
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    if built.insert(name.to_owned()) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args(["build", "--quiet", "-p", package, "--bin", name])
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo to build {name}: {e}"));
        assert!(
            output.status.success(),
            "building {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Test executables live in target/<profile>/deps; binaries one level up.
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
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
