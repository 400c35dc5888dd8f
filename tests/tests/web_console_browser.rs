//! The agents' web console in a real browser: runs the service, the console (and a second
//! one whose line is down) and a fake SIP line, blocks a device, then runs
//! `phone-support/web-tests/console.test.mjs` (node's test runner, playwright-core with
//! Debian's chromium, axe-core) against them; afterwards the person logs in with the
//! device's code. Screenshots and the axe-core results go to
//! `target/web-console-artefacts/`. Needs node, `npm ci` in phone-support/web-tests and
//! /usr/bin/chromium (scripts/install-deps and scripts/test provide them): without them
//! this test fails and says what is missing.

use std::path::PathBuf;
use std::process::Command;

use tests::web_console::{World, PASSWORD, SECRET_B32, SERIAL, USER};

fn web_tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../phone-support/web-tests")
        .canonicalize()
        .expect("phone-support/web-tests")
}

#[test]
fn the_console_in_chromium_with_axe_core_on_every_page() {
    let dir = web_tests_dir();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's chromium (scripts/install-deps does)"
    );
    assert!(
        Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "node is missing: install Debian's nodejs and npm (scripts/install-deps does)"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            dir.join("node_modules").join(package).exists(),
            "{package} is missing: run `npm ci` in {} (scripts/test does)",
            dir.display()
        );
    }

    let world = World::start();
    world.block_device();
    let (_noline, noline_url) = world.second_console("http://127.0.0.1:9");
    let artefacts =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/web-console-artefacts");
    let _ = std::fs::remove_dir_all(&artefacts);

    let output = Command::new("node")
        .args(["--test", "console.test.mjs"])
        .current_dir(&dir)
        .env("CONSOLE_URL", &world.console_url)
        .env("NOLINE_URL", &noline_url)
        .env("LINE_URL", world.line.url())
        .env("SERIAL", SERIAL)
        .env("PERSON", USER)
        .env("PASSWORD", PASSWORD)
        .env("ARTEFACTS", &artefacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("running node");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}"
    );

    // The browser lifted the block: the person logs in with the device's next code.
    assert!(!world.blocked());
    assert_eq!(world.validate(&tests::code_now(SECRET_B32, 1)), 200);
    assert!(world
        .service_audit()
        .contains("\tadmin:alice\tunlock\tKO000901\tok"));
    assert!(artefacts.join("08-device-blocked.png").exists());
}
