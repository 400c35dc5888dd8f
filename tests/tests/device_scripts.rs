//! Every device behaviour as a script run by the real `host-sim run` binary on a virtual
//! clock: one press for the code, the headphones rule and reading aloud, timeouts, repeat,
//! every chord and the one-key way to them, the serial with letters, the clock fault,
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
fn one_press_of_the_red_key_switches_on_shows_and_says_the_code() {
    let code = shown_at(START_UNIX);
    let log = passes(
        &format!(
            r#"
            press red
            expect screen "{code}"
            expect said "Din kode er || {words}" on headphones
            expect not said "Klar"
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
fn the_red_key_again_says_the_code_again_and_digits_do_too() {
    let code = shown_at(START_UNIX);
    passes(
        &format!(
            r#"
            press red
            expect said "Din kode er"
            press red
            expect said "Jeg gentager || Din kode er || {words}"
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
fn without_headphones_the_first_press_offers_and_the_second_reads_aloud() {
    let code = shown_at(START_UNIX);
    passes(
        &format!(
            r#"
            headphones out
            press red
            expect screen "{code}"
            expect said "Koden står på skærmen. Tilslut høretelefoner, eller tryk på den røde tast igen" on speaker
            expect not said "Din kode er"
            press red
            expect said "Din kode er || {words}" on speaker
            "#,
            words = words(&code)
        ),
        &[],
    );
}

#[test]
fn headphones_in_keep_the_code_private() {
    passes(
        r#"
        headphones out
        press red
        expect not said "Din kode er"
        headphones in
        press red
        expect said "Din kode er" on headphones
        expect not said "Din kode er" on speaker
        "#,
        &[],
    );
}

#[test]
fn always_read_aloud_gives_the_code_on_the_speaker_in_one_press() {
    passes(
        r#"
        headphones out
        press red
        down red           # red + 8: the menu
        press 8
        up red
        expect said "Menu"
        press 2            # always read aloud
        expect said "Koden læses altid højt i højttaleren"
        hold red 3s        # switch off …
        expect said "Slukker"
        wait 1s
        press red          # … and on: one press, read aloud
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
            expect screen "{code}"
            wait 20s
            expect screen "{code}"
            wait 6s
            expect not screen "{code}"
            expect said "Koden er udløbet"
            press red
            expect screen "{next}"
            "#,
            next = shown_at(START_UNIX + 30)
        ),
        &[],
    );
}

#[test]
fn every_chord_right_keys_up_left_keys_down() {
    passes(
        r#"
        press red
        down red
        press 3            # red + 3: louder
        up red
        expect said "Højere. || Lydstyrke 5."
        expect screen "Lydstyrke 5"
        down red
        press 1            # red + 1: softer
        up red
        expect said "Lavere. || Lydstyrke 4."
        down red
        press 0            # red + 0: repeat the last message
        up red
        expect said "Lavere. || Lydstyrke 4."
        down red
        press 6            # red + 6: faster
        up red
        expect said "Hurtig tale"
        down red
        press 4            # red + 4: slower
        up red
        expect said "Normal tale"
        down red
        press 9            # red + 9: next language
        up red
        expect said "English speech"
        down red
        press 7            # red + 7: back
        up red
        expect said "Dansk tale"
        down red
        press 2            # red + 2: grouping
        up red
        expect said "Cifrene læses parvis"
        down red
        press 5            # red + 5: key help
        up red
        expect said "Tastehjælp"
        down red
        press 5            # red + 5 again: key help off
        up red
        expect said "Tastehjælp slut"
        down red
        press 8            # red + 8: the menu
        up red
        expect said "Menu"
        "#,
        &[],
    );
}

#[test]
fn every_function_without_pressing_two_keys_at_once() {
    passes(
        r#"
        press red
        hold red 1s        # hold until it says "function", release …
        expect said "Funktion"
        expect screen "Funktion"
        press 3            # … then the key alone: louder
        expect said "Højere. || Lydstyrke 5."
        hold red 1s
        press 0            # repeat
        expect said "Højere. || Lydstyrke 5."
        "#,
        &[],
    );
}

#[test]
fn the_activation_menu_spells_a_serial_with_letters_in_its_groups() {
    passes(
        r#"
        press red
        down red
        press 8
        up red
        press 3
        expect screen "KP20 2600 0001"
        expect said "Serienummeret er || kå pe to nul | to seks nul nul | nul nul nul en"
        expect not screen "ingen lyd"
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
        press red
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
        expect not screen "lydstyrke"
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
        down red
        press 5
        up red
        expect said "Tastehjælp"
        press 3
        expect said "Tast 3. Viser og læser koden. Med den røde tast: højere lydstyrke."
        expect not screen "Din kode"
        press red
        expect said "Den røde tast med en prik"
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
