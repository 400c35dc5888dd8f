//! `otp`: print or check one-time codes, with oathtool's options and output.

use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDateTime};
use clap::{Parser, Subcommand, ValueEnum};
use otp::{Algorithm, Digits, Hotp, KeyUri, Secret, Totp, Window};

/// Exit status when a CODE is not found in the window (the same as oathtool's).
const EXIT_NOT_FOUND: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "otp",
    version,
    about = "Generate and validate HOTP/TOTP one-time codes (oathtool-compatible).",
    long_about = "Generate and validate HOTP/TOTP one-time codes.\n\n\
        Options and output follow oathtool. KEY is hex unless -b is given; \
        '-' reads it from standard input and '@FILE' from a file, so it need not \
        appear in the process list.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Use event-based HOTP mode (the default).
    #[arg(long, conflicts_with = "totp")]
    hotp: bool,

    /// Use time-based TOTP mode, with SHA1 (default), SHA256 or SHA512.
    #[arg(long, value_name = "MODE", num_args = 0..=1, require_equals = true,
          default_missing_value = "sha1", ignore_case = true)]
    totp: Option<Mode>,

    /// KEY is base32 instead of hex.
    #[arg(short = 'b', long = "base32")]
    base32: bool,

    /// HOTP counter value.
    #[arg(
        short = 'c',
        long = "counter",
        value_name = "COUNTER",
        default_value_t = 0
    )]
    counter: u64,

    /// Number of digits in the code (6 to 10).
    #[arg(
        short = 'd',
        long = "digits",
        value_name = "DIGITS",
        default_value_t = 6
    )]
    digits: u32,

    /// TOTP time-step duration, e.g. 30, 30s, 1m.
    #[arg(
        short = 's',
        long = "time-step-size",
        value_name = "DURATION",
        default_value = "30s"
    )]
    step: String,

    /// When TOTP time steps start counting.
    #[arg(
        short = 'S',
        long = "start-time",
        value_name = "TIME",
        default_value = "1970-01-01 00:00:00 UTC"
    )]
    start: String,

    /// Use this time as the current time for TOTP ("YYYY-MM-DD HH:MM:SS UTC", "@UNIX" or "now").
    #[arg(short = 'N', long = "now", value_name = "TIME", default_value = "now")]
    now: String,

    /// Number of additional codes to generate or validate against.
    #[arg(short = 'w', long = "window", value_name = "WIDTH")]
    window: Option<u64>,

    /// The secret: hex (or base32 with -b), '-' for standard input, '@FILE' for a file.
    #[arg(value_name = "KEY", required = true)]
    key: Option<String>,

    /// A code to validate: prints its position in the window, or exits 2 if not found.
    #[arg(value_name = "CODE")]
    code: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the current code of an otpauth:// Key URI.
    Uri {
        /// The otpauth:// URI, '-' for standard input or '@FILE'.
        key_uri: String,
        /// Use this time as the current time ("YYYY-MM-DD HH:MM:SS UTC", "@UNIX" or "now").
        #[arg(short = 'N', long = "now", value_name = "TIME", default_value = "now")]
        now: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    Sha1,
    Sha256,
    Sha512,
}

impl From<Mode> for Algorithm {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Sha1 => Algorithm::Sha1,
            Mode::Sha256 => Algorithm::Sha256,
            Mode::Sha512 => Algorithm::Sha512,
        }
    }
}

/// Reads KEY (or a URI) as given, from standard input ('-') or from a file ('@FILE').
fn read_argument(value: &str) -> Result<String> {
    if value == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the key from standard input")?;
        Ok(text.trim().to_owned())
    } else if let Some(path) = value.strip_prefix('@') {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        Ok(text.trim().to_owned())
    } else {
        Ok(value.to_owned())
    }
}

/// Parses a time as Unix seconds: "now", "@UNIX", "YYYY-MM-DD HH:MM:SS UTC" or RFC 3339.
fn parse_time(text: &str) -> Result<u64> {
    let text = text.trim();
    if text == "now" {
        return Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs());
    }
    let seconds = if let Some(unix) = text.strip_prefix('@') {
        unix.parse::<i64>()
            .with_context(|| format!("time {text:?}: expected @ and whole seconds"))?
    } else if let Some(utc) = text.strip_suffix("UTC") {
        NaiveDateTime::parse_from_str(utc.trim(), "%Y-%m-%d %H:%M:%S")
            .with_context(|| format!("time {text:?}: expected \"YYYY-MM-DD HH:MM:SS UTC\""))?
            .and_utc()
            .timestamp()
    } else {
        DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("time {text:?}: expected \"YYYY-MM-DD HH:MM:SS UTC\", RFC 3339 or @UNIX")
            })?
            .timestamp()
    };
    u64::try_from(seconds).with_context(|| format!("time {text:?} is before 1970"))
}

/// Parses a duration like oathtool: a number of seconds, optionally with s, m or h.
fn parse_step(text: &str) -> Result<u64> {
    let (number, unit) = match text
        .trim()
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        Some((at, _)) => text.trim().split_at(at),
        None => (text.trim(), "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => bail!("time step {text:?}: expected seconds, optionally followed by s, m or h"),
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .with_context(|| format!("time step {text:?}: not a number of seconds"))?;
    if seconds == 0 {
        bail!("time step {text:?}: must be at least one second");
    }
    Ok(seconds)
}

fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(Command::Uri { key_uri, now }) = cli.command {
        let uri = KeyUri::parse(&read_argument(&key_uri)?).context("invalid otpauth URI")?;
        println!("{}", uri.code_at(parse_time(&now)?)?);
        return Ok(ExitCode::SUCCESS);
    }

    let key_text = read_argument(cli.key.as_deref().unwrap_or_default())?;
    let secret = if cli.base32 {
        Secret::from_base32(&key_text).context("base32 decoding of the key failed")?
    } else {
        Secret::from_hex(&key_text).context("hex decoding of the key failed")?
    };
    let digits = Digits::new(cli.digits)?;
    let window = cli.window.unwrap_or(0);

    // For TOTP the window reaches both ways when validating, and forwards when printing.
    let (hotp, start, verify_window) = match cli.totp {
        Some(mode) => {
            let period = parse_step(&cli.step)?;
            let t0 = parse_time(&cli.start)?;
            let totp = Totp::new(&secret, mode.into(), digits, period, t0)?;
            let step = totp.step_at(parse_time(&cli.now)?)?;
            (totp.hotp().clone(), step, Window::around(window))
        }
        None => (
            Hotp::new(&secret, Algorithm::Sha1, digits),
            cli.counter,
            Window::ahead(window),
        ),
    };

    match cli.code {
        None => {
            let end = start.saturating_add(window);
            for counter in start..=end {
                println!("{}", hotp.code(counter));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(code) => match hotp.verify(&code, start, verify_window)? {
            Some(matched) => {
                println!("{}", matched.abs_diff(start));
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("otp: code {code:?} not found in the window");
                Ok(ExitCode::from(EXIT_NOT_FOUND))
            }
        },
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("otp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(
            parse_time("2009-02-13 23:31:30 UTC").unwrap(),
            1_234_567_890
        );
        assert_eq!(parse_time("2009-02-13T23:31:30Z").unwrap(), 1_234_567_890);
        assert_eq!(parse_time("@59").unwrap(), 59);
        assert!(parse_time("1969-12-31 23:59:59 UTC").is_err());
        let message = format!("{:#}", parse_time("13/02/2009").unwrap_err());
        assert!(message.contains("13/02/2009"), "{message}");
    }

    #[test]
    fn steps_parse() {
        assert_eq!(parse_step("30").unwrap(), 30);
        assert_eq!(parse_step("30s").unwrap(), 30);
        assert_eq!(parse_step("1m").unwrap(), 60);
        assert!(parse_step("0").is_err());
        assert!(parse_step("1d").is_err());
        assert!(parse_step("m").is_err());
    }

    #[test]
    fn arguments_parse_like_oathtool() {
        Cli::command_for_test().debug_assert();
        let cli = Cli::try_parse_from(["otp", "--totp=SHA256", "-d", "8", "abcd"]).unwrap();
        assert!(matches!(cli.totp, Some(Mode::Sha256)));
        let cli = Cli::try_parse_from(["otp", "--totp", "abcd", "123456"]).unwrap();
        assert!(matches!(cli.totp, Some(Mode::Sha1)));
        assert_eq!(cli.code.as_deref(), Some("123456"));
        assert!(Cli::try_parse_from(["otp"]).is_err());
        let cli = Cli::try_parse_from(["otp", "uri", "otpauth://totp/a?secret=AA"]).unwrap();
        assert!(cli.command.is_some());
    }

    impl Cli {
        fn command_for_test() -> clap::Command {
            <Cli as clap::CommandFactory>::command()
        }
    }
}
