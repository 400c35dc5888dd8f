//! Differential test: `otp` must print what `oathtool` (Debian package `oathtool`) prints,
//! and exit the same way, for many random keys, counters, times, digit counts and windows.

use std::process::{Command, Output};

use chrono::DateTime;
use otp::{Algorithm, Digits, Hotp, Secret, Totp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CASES: usize = 400;

fn run(program: &str, args: &[String]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e} (install it: scripts/install-deps installs oathtool)")
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One random invocation: the arguments (which oathtool and `otp` share), and a code near
/// the window (before, inside or after it) to validate, made with the library.
fn random_case(rng: &mut StdRng) -> (Vec<String>, String) {
    let mut args = Vec::new();
    let key: Vec<u8> = (0..rng.gen_range(10..=64)).map(|_| rng.gen()).collect();
    let digits = rng.gen_range(6..=8);
    args.push(format!("--digits={digits}"));
    let window: u64 = if rng.gen_bool(0.6) {
        rng.gen_range(0..20)
    } else {
        0
    };
    if window > 0 || rng.gen_bool(0.5) {
        args.push(format!("-w{window}"));
    }
    let reach = i64::try_from(window).expect("small") + 1;
    let secret = Secret::new(key.clone());
    let code = if rng.gen_bool(0.5) {
        let (mode, algorithm) = [
            ("", Algorithm::Sha1),
            ("=sha1", Algorithm::Sha1),
            ("=SHA256", Algorithm::Sha256),
            ("=sha512", Algorithm::Sha512),
        ][rng.gen_range(0..4)];
        args.push(format!("--totp{mode}"));
        let now: i64 = rng.gen_range(2_000_000..4_102_444_800); // 1970 … 2100
        args.push("-N".into());
        args.push(utc(now));
        let step = if rng.gen_bool(0.3) {
            let step = [1, 10, 30, 60, 90][rng.gen_range(0..5)];
            args.push(format!("--time-step-size={step}s"));
            step
        } else {
            30
        };
        let start = if rng.gen_bool(0.2) {
            let start = rng.gen_range(0..1_000_000);
            args.push("-S".into());
            args.push(utc(start));
            start
        } else {
            0
        };
        let totp = Totp::new(
            &secret,
            algorithm,
            Digits::new(digits).unwrap(),
            step,
            start as u64,
        )
        .unwrap();
        let current = totp.step_at(now as u64).unwrap() as i64;
        totp.code_for_step((current + rng.gen_range(-reach..=reach)) as u64)
    } else {
        let counter = rng.gen_range(0..u64::MAX / 2);
        args.push("-c".into());
        args.push(counter.to_string());
        let hotp = Hotp::new(&secret, Algorithm::Sha1, Digits::new(digits).unwrap());
        hotp.code(counter.wrapping_add_signed(rng.gen_range(-1..=reach)))
    };
    if rng.gen_bool(0.3) {
        args.push("-b".into());
        args.push(data_encoding::BASE32.encode(&key));
    } else {
        args.push(hex(&key));
    }
    (args, code.to_string())
}

fn utc(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .expect("in range")
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

#[test]
fn otp_agrees_with_oathtool() {
    let otp = env!("CARGO_BIN_EXE_otp");
    let seed = 20_261_125;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut validations, mut found, mut not_found) = (0, 0, 0);
    for case in 0..CASES {
        let (mut args, code) = random_case(&mut rng);
        // Two cases in three also validate a code near the window.
        if rng.gen_bool(0.66) {
            args.push(code);
            validations += 1;
        }
        let expected = run("oathtool", &args);
        let actual = run(otp, &args);
        assert_eq!(
            String::from_utf8_lossy(&actual.stdout),
            String::from_utf8_lossy(&expected.stdout),
            "case {case} (seed {seed}): otp {}",
            args.join(" ")
        );
        assert_eq!(
            actual.status.code(),
            expected.status.code(),
            "exit status, case {case} (seed {seed}): otp {}\notp said: {}",
            args.join(" "),
            String::from_utf8_lossy(&actual.stderr)
        );
        match expected.status.code() {
            Some(0) => found += 1,
            Some(2) => not_found += 1,
            other => panic!(
                "oathtool failed ({other:?}) on case {case}: {}",
                args.join(" ")
            ),
        }
    }
    // The random cases must exercise both outcomes of validation, or they prove little.
    assert!(validations > CASES / 2, "{validations} validations");
    assert!(not_found > 20, "only {not_found} codes outside the window");
    assert!(
        found - (CASES - validations) > 50,
        "only {found} codes found"
    );
}

#[test]
fn uri_subcommand_prints_the_current_code() {
    let otp = env!("CARGO_BIN_EXE_otp");
    let uri = "otpauth://totp/Test:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8";
    let out = run(
        otp,
        &["uri".into(), uri.into(), "-N".into(), "@1111111109".into()],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "07081804\n");
    let expected = run(
        "oathtool",
        &[
            "--totp".into(),
            "-d8".into(),
            "-N".into(),
            "2005-03-18 01:58:29 UTC".into(),
            "3132333435363738393031323334353637383930".into(),
        ],
    );
    assert_eq!(out.stdout, expected.stdout);
}

#[test]
fn bad_keys_are_reported_with_their_position() {
    let otp = env!("CARGO_BIN_EXE_otp");
    let out = run(otp, &["-b".into(), "GEZDGN1V".into()]);
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("not base32 at position 7"), "{message}");
    let out = run(otp, &["uri".into(), "otpauth://totp/a?secret=GEZ!".into()]);
    assert_eq!(out.status.code(), Some(1));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("secret: not base32 at position 4"),
        "{message}"
    );
}
