//! `host-sim`: the audio code reader on a desktop — interactive, scripted, as a login host,
//! or as the whole demo.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use host_sim::audio::AudioMode;
use host_sim::host::{Checker, Verdict};
use host_sim::sim::{Entry, Simulator};
use host_sim::{demo, run, script, setup, tui};

#[derive(Parser)]
#[command(
    name = "host-sim",
    version,
    about = "Desktop simulator of the Kodeoplæser audio code reader"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    device: DeviceArgs,
    /// Where speech goes: speakers, none, or wav:DIR (one WAV file per utterance).
    /// Default: speakers, but none for `run` and a WAV folder for the headless demo.
    #[arg(long, global = true)]
    audio: Option<AudioMode>,
}

#[derive(Args, Clone)]
struct DeviceArgs {
    /// The device's secret as an otpauth:// URI (default: RFC 4226's test key).
    #[arg(
        long,
        value_name = "URI",
        conflicts_with = "provisioning",
        global = true
    )]
    secret_uri: Option<String>,
    /// A provisioning file: an otpauth:// URI or a PSKC file (serial KP2026000001).
    #[arg(long, value_name = "FILE", global = true)]
    provisioning: Option<PathBuf>,
    /// The device clock's start, "YYYY-MM-DD HH:MM:SS UTC" (default: now).
    #[arg(long, value_name = "TIME", global = true)]
    start: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// The interactive terminal simulator (the default).
    Tui,
    /// Run a script of events on a virtual clock; exits 1 at the first failed expectation.
    Run {
        script: PathBuf,
        /// Print one JSON object per effect.
        #[arg(long)]
        json: bool,
    },
    /// The login host: asks for a user id and a code, and checks it with the service.
    Host {
        /// A running service's base URL; without it the service runs in this process.
        #[arg(long, value_name = "URL")]
        service: Option<String>,
        /// The embedded service's database (default: the service's own default).
        #[arg(long, value_name = "URL", conflicts_with = "service")]
        db: Option<String>,
        /// The embedded service's at-rest key file (default: beside the default database).
        #[arg(long, value_name = "FILE", conflicts_with = "service")]
        key_file: Option<PathBuf>,
        /// Log in as this user instead of asking.
        #[arg(long)]
        user: Option<String>,
    },
    /// Everything on embedded defaults: service, device, host. Interactive in a terminal.
    Demo {
        /// Run the demo start to end without a terminal UI; exit 0 only when accepted.
        #[arg(long)]
        headless: bool,
    },
}

fn now_ms() -> Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_millis() as u64)
}

fn start_ms(args: &DeviceArgs) -> Result<u64> {
    match &args.start {
        Some(text) => setup::parse_start(text),
        None => now_ms(),
    }
}

fn device_setup(args: &DeviceArgs) -> Result<host_sim::sim::Setup> {
    let uri = match (&args.secret_uri, &args.provisioning) {
        (Some(uri), _) => otp::KeyUri::parse(uri).context("--secret-uri")?,
        (None, Some(path)) => return setup::device_from_file(path, &setup::default_serial()),
        (None, None) => {
            otp::KeyUri::parse(setup::DEFAULT_SECRET_URI).context("the default secret")?
        }
    };
    setup::device_from_uri(&uri, &setup::default_serial())
}

fn describe(entry: &Entry) -> String {
    match entry {
        Entry::Screen { t_ms, screen } => format!(
            "{:>9.3} s  screen: {}",
            *t_ms as f64 / 1000.0,
            screen.replace('\n', " / ")
        ),
        Entry::Say {
            t_ms,
            say,
            channel,
            wav,
            ..
        } => format!(
            "{:>9.3} s  say ({channel}): {say}{}",
            *t_ms as f64 / 1000.0,
            wav.as_deref()
                .map(|w| format!("  [{w}]"))
                .unwrap_or_default()
        ),
        Entry::Power { t_ms, power } => format!("{:>9.3} s  power {power}", *t_ms as f64 / 1000.0),
        Entry::Silent { t_ms, silent } => {
            format!("{:>9.3} s  silent: {silent}", *t_ms as f64 / 1000.0)
        }
    }
}

fn run_script(cli: &Cli, path: &PathBuf, json: bool) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let lines = script::parse(&text).with_context(|| format!("script {}", path.display()))?;
    let audio = cli.audio.clone().unwrap_or(AudioMode::None);
    let mut sim = Simulator::new(device_setup(&cli.device)?, start_ms(&cli.device)?, &audio)?;
    let mut stdout = std::io::stdout().lock();
    let result = run::run(&mut sim, &lines, &mut |entry| {
        let line = if json {
            serde_json::to_string(entry).expect("log entries serialize")
        } else {
            describe(entry)
        };
        let _ = writeln!(stdout, "{line}");
    });
    match result {
        Ok(()) => {
            if !json {
                let _ = writeln!(
                    stdout,
                    "script passed: {} steps, {:.1} s simulated",
                    lines.len(),
                    sim.elapsed_ms() as f64 / 1000.0
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            eprintln!("host-sim: {}: {failure}", path.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run_host(
    service_url: Option<String>,
    db: Option<String>,
    key_file: Option<PathBuf>,
    user: Option<String>,
) -> Result<ExitCode> {
    let checker = match service_url {
        Some(url) => Checker::Remote(url),
        None => Checker::Embedded(host_sim::host::open_embedded(db, key_file).await?),
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> Result<Option<String>> {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
        Ok(lines.next().transpose()?.map(|line| line.trim().to_owned()))
    };
    let mut all_accepted = true;
    loop {
        let user = match &user {
            Some(user) => user.clone(),
            None => match ask("host: user id: ")? {
                Some(user) if !user.is_empty() => user,
                Some(_) => continue,
                None => break,
            },
        };
        let Some(code) = ask("host: the code you heard: ")? else {
            break;
        };
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let verdict = checker.check(&user, &code).await?;
        println!("host: {verdict} (user {user})");
        all_accepted &= verdict == Verdict::Accepted;
    }
    Ok(if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Some(Command::Run { script, json }) => run_script(&cli, script, *json),
        Some(Command::Host {
            service,
            db,
            key_file,
            user,
        }) => run_host(service.clone(), db.clone(), key_file.clone(), user.clone()).await,
        Some(Command::Demo { headless }) => {
            let headless =
                *headless || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal();
            demo::run(cli.audio.clone(), headless, start_ms(&cli.device)?).await
        }
        Some(Command::Tui) | None => {
            if !std::io::stdout().is_terminal() {
                bail!("the simulator needs a terminal; for scripts use `host-sim run SCRIPT`");
            }
            let audio = cli.audio.clone().unwrap_or(AudioMode::Speakers);
            let sim = Simulator::new(device_setup(&cli.device)?, start_ms(&cli.device)?, &audio)?;
            tui::run(sim, None).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("host-sim: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("host-sim: {error:#}");
            ExitCode::from(2)
        }
    }
}
