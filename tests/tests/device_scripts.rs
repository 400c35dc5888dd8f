//! Every device behaviour as a script run by the real `host-sim run` binary on a virtual
//! clock: the headphones rule, timeouts, repeat, the sticky function key, the clock fault,
//! power cuts with HOTP, automatic switch-off, low battery and key help.

use std::process::{Command, Output};

use otp::{KeyUri, Totp};
use tests::{binary, run, stderr, stdout};

/// 12:00:05 UTC: the code of this 30-second step is valid for 25 more seconds.
const START: &str = "2026-11-25 12:00:05 UTC";
const START_UNIX: u64 = 1_795_608_005;
const TOTP_URI: &str = "otpauth://totp/t:t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const HOTP_URI: &str = "otpauth://hotp/t:t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0";
const DIGITS: [&str; 10] = [
    "nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni",
];

/// The code shown at `unix` for the TOTP test device, grouped "482 079".
fn shown_at(unix: u64) -> String {
    let code = Totp::mitid(&KeyUri::parse(TOTP_URI).unwrap().secret)
        .code_at(unix)
        .unwrap()
        .to_string();
    format!("{} {}", &code[..3], &code[3..])
}

/// The words "fire otte to | nul syv ni" for a grouped code "482 079".
fn words(shown: &str) -> String {
    shown
        .split(' ')
        .map(|group| {
            group
                .bytes()
                .map(|b| DIGITS[usize::from(b - b'0')])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn run_script(script: &str, start: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("test.script");
    std::fs::write(&path, script).expect("writing the script");
    let mut command = Command::new(binary("host-sim", "host-sim"));
    command.args(["run", "--json", "--audio", "none", "--start", start]);
    command.arg(&path).args(extra);
    run(&mut command)
}

/// Runs a script that must pass, with the TOTP device unless `extra` says otherwise.
fn passes(script: &str, extra: &[&str]) -> String {
    let extra = if extra.is_empty() {
        &["--secret-uri", TOTP_URI][..]
    } else {
        extra
    };
    let output = run_script(script, START, extra);
    assert!(
        output.status.success(),
        "script failed: {}\n--- script ---\n{script}\n--- log ---\n{}",
        stderr(&output),
        stdout(&output)
    );
    stdout(&output)
}

#[test]
fn a_key_press_shows_and_speaks_the_grouped_code() {
    let code = shown_at(START_UNIX);
    let log = passes(
        &format!(
            r#"
            press red
            expect said "Klar"
            expect screen "Klar"
            press 5
            expect screen "{code}"
            expect said "Din kode er || {words}" on headphones
            "#,
            words = words(&code)
        ),
        &[],
    );
    // --json: one object per effect, with the fields the issue names.
    let first_say = log
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON lines"))
        .find(|value| value.get("say").is_some())
        .expect("something was said");
    assert_eq!(first_say["lang"], "da");
    assert_eq!(first_say["channel"], "headphones");
    assert!(first_say["t_ms"].is_u64());
}

#[test]
fn pressing_again_repeats_the_code() {
    let code = shown_at(START_UNIX);
    passes(
        &format!(
            r#"
            press red
            press 5
            expect said "Din kode er"
            press 5
            expect said "Jeg gentager || Din kode er || {words}"
            expect screen "{code}"
            "#,
            words = words(&code)
        ),
        &[],
    );
}

#[test]
fn without_headphones_the_code_is_shown_but_never_spoken_aloud() {
    let code = shown_at(START_UNIX);
    passes(
        &format!(
            r#"
            headphones out
            press red
            press 5
            expect screen "{code}"
            expect said "Tilslut høretelefoner for at høre koden" on speaker
            expect not said "Din kode er"
            headphones in
            press 5
            expect said "Din kode er" on headphones
            expect not said "Din kode er" on speaker
            "#
        ),
        &[],
    );
}

#[test]
fn the_speaker_speaks_codes_only_after_the_user_turns_it_on() {
    passes(
        r#"
        headphones out
        press red
        press red          # function
        press red          # the menu
        expect said "Menu"
        press 2            # speaker on
        expect said "Højttaleren er slået til"
        press 5
        expect said "Din kode er" on speaker
        "#,
        &[],
    );
}

#[test]
fn the_code_clears_when_its_time_step_ends() {
    let code = shown_at(START_UNIX);
    passes(
        &format!(
            r#"
            press red
            press 5
            expect screen "{code}"
            wait 20s
            expect screen "{code}"
            wait 6s
            expect not screen "{code}"
            expect said "Koden er udløbet"
            press 5
            expect screen "{next}"
            "#,
            next = shown_at(START_UNIX + 30)
        ),
        &[],
    );
}

#[test]
fn the_sticky_function_key_and_hold_and_press_both_change_settings() {
    passes(
        r#"
        press red
        press red          # sticky: press and release the function key …
        expect said "Funktion"
        press 6            # … then a right-hand key: louder
        expect said "Højere. || Lydstyrke 5."
        expect screen "Lydstyrke 5"
        down red           # hold the function key …
        press 4            # … and press a left-hand key: quieter
        up red
        expect said "Lavere. || Lydstyrke 4."
        press red
        press 0            # function + 0 repeats the last message
        expect said "Lavere. || Lydstyrke 4."
        press red
        press 8            # speech rate
        expect said "Hurtig tale"
        "#,
        &[],
    );
}

#[test]
fn a_clock_that_lost_its_time_shows_no_code_and_says_so() {
    // A dead RTC battery: the clock starts in 2020.
    let output = run_script(
        r#"
        press red
        expect said "Uret er forkert — ring til support"
        expect screen "Uret er forkert"
        press 5
        expect not said "Din kode"
        expect screen "Ring til support"
        "#,
        "2020-01-01 00:00:00 UTC",
        &["--secret-uri", TOTP_URI],
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stderr(&output),
        stdout(&output)
    );
}

#[test]
fn an_hotp_code_is_never_shown_twice_across_power_cuts() {
    // RFC 4226 Appendix D: counters 0, 1, 2 give these codes.
    passes(
        r#"
        press red
        press 5
        expect screen "755 224"
        power-cut
        power-on
        press 5
        expect screen "287 082"
        power-cut
        power-on
        press 5
        expect not screen "287 082"
        expect screen "359 152"
        "#,
        &["--secret-uri", HOTP_URI],
    );
}

#[test]
fn the_device_warns_before_it_switches_itself_off() {
    passes(
        r#"
        press red
        wait 149s
        expect not said "slukker om"
        wait 2s
        expect said "Kodeoplæseren slukker om 30 sekunder"
        wait 31s
        expect said "Slukker"
        expect not screen "Klar"
        "#,
        &[],
    );
}

#[test]
fn a_low_battery_is_announced() {
    passes(
        r#"
        press red
        battery 5%
        expect said "Batteriet er lavt: 5 procent"
        "#,
        &[],
    );
}

#[test]
fn key_help_describes_keys_until_left() {
    passes(
        r#"
        press red
        press red
        press 5
        expect said "Tastehjælp"
        press 3
        expect said "Tast 3"
        expect not screen "Din kode"
        press red
        press 5
        expect said "Tastehjælp slut"
        "#,
        &[],
    );
}

#[test]
fn a_failed_expectation_names_its_line() {
    let output = run_script(
        "press red\n\nexpect screen \"999 999\"\n",
        START,
        &["--secret-uri", TOTP_URI],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("line 3: expected the screen to show \"999 999\""),
        "{message}"
    );
}

#[test]
fn a_bad_script_line_stops_the_run_with_its_number() {
    let output = run_script("press red\npress x\n", START, &["--secret-uri", TOTP_URI]);
    // A mistake in the script is the user's (2); a failed expectation is a result (1).
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("line 2: expected a key (0-9 or red), found \"x\""),
        "{message}"
    );
}
