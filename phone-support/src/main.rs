//! `phone-support`: check flow files, tell the opening hours and holidays, check
//! witnesses and documents, run the keypad voice menu, and open the agent console.

use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, NaiveDateTime};
use clap::{Parser, Subcommand};

use phone_support::console::{documents_lines, hours_lines, verdict_lines, Console};
use phone_support::console_shell::{run_plain, run_tui, OutcomeLog};
use phone_support::device::HttpDirectory;
use phone_support::dtmf::{self, Press};
use phone_support::flow::FlowSet;
use phone_support::ivr::Ivr;
use phone_support::line::{
    run_call, AudioLine, CallRecord, Line, LocalLine, PlaybackSpeaker, Speaker, TextSpeaker,
    VoiceSpeaker,
};
use phone_support::rules::holidays::holidays;
use phone_support::rules::hours::copenhagen_now;
use phone_support::rules::witness::WitnessFacts;
use phone_support::sip::{
    self, config::LineConfig, prompts::Prompts, prompts::VoiceChoice, Settings,
};
use phone_support::web::auth::{AccountError, AccountFile, Right};
use phone_support::web::{WebConfig, WebState};
use speech::{Catalogue, Voice, WavSink};

#[derive(Parser)]
#[command(
    name = "phone-support",
    version,
    about = "Telephone support for the MitID audio code reader (33 98 00 10)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once at start: the size of the `sip` variant does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Validate flow files; without files, the shipped flows. Problems are printed as
    /// FILE:LINE: step "ID": PROBLEM.
    Check { files: Vec<PathBuf> },
    /// Whether the line is open now (or at --at, Copenhagen local time) and when that changes.
    Hours {
        /// "YYYY-MM-DD HH:MM", Copenhagen local time.
        #[arg(long)]
        at: Option<String>,
    },
    /// The Danish public holidays of a year, one a line: date, Danish name.
    Holidays { year: i32 },
    /// Whether someone may be a witness at Borgerservice.
    WitnessCheck {
        /// DDMMYY-SSSS
        #[arg(long)]
        cpr: String,
        /// YYYY-MM-DD: when they got MitID.
        #[arg(long)]
        mitid_since: String,
        /// YYYY-MM-DD,YYYY-MM-DD,…: when they witnessed for others before.
        #[arg(long, value_delimiter = ',')]
        witnessed: Vec<String>,
        /// YYYY-MM-DD: the day they would witness (default: today in Copenhagen).
        #[arg(long)]
        on: Option<String>,
    },
    /// Whether documents are enough to get MitID at Borgerservice.
    DocumentsCheck {
        /// passport, driving-licence, health-card, other-with-cpr, baptism-certificate,
        /// name-certificate, tax-statement, old-tax-statement, benefit:YYYY-MM-DD
        #[arg(long, value_delimiter = ',')]
        have: Vec<String>,
        #[arg(long)]
        on: Option<String>,
    },
    /// Run the keypad voice menu. Keys come from the keyboard (type 0–9, * or # and Enter)
    /// or, with --dtmf-wav, as DTMF tones from a recording. Prompts are printed as text and
    /// spoken through the speakers, or written to --wav-out.
    Ivr {
        /// Flow files (default: the shipped flows).
        #[arg(long, num_args = 1..)]
        flows: Vec<PathBuf>,
        /// Caller audio (mono 16-bit WAV) to detect DTMF keys in.
        #[arg(long)]
        dtmf_wav: Option<PathBuf>,
        /// Write the menu's speech to this WAV instead of the speakers.
        #[arg(long)]
        wav_out: Option<PathBuf>,
        /// Text only: no synthesized speech.
        #[arg(long)]
        text_only: bool,
        /// "YYYY-MM-DD HH:MM": pretend it is this Copenhagen local time.
        #[arg(long)]
        at: Option<String>,
    },
    /// Write DTMF tones for keys ("11*#") to a WAV file, for test calls.
    Dtmf {
        keys: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 8000)]
        rate: u32,
        /// Silence before each key, in ms (a caller thinking).
        #[arg(long, default_value_t = 1000)]
        gap_ms: u32,
    },
    /// Answer calls over SIP (UDP) and run the voice menu on each, with prompts as RTP
    /// (PCMU/PCMA) and keys as RFC 4733 events or in-band tones. Prints "listening on
    /// ADDR:PORT" once ready (with the real port when --listen asks for port 0).
    Sip {
        /// A configuration file (see config/support-line.toml); options below override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// ADDRESS:PORT for SIP (default 127.0.0.1:5060; port 0 lets the system pick).
        #[arg(long)]
        listen: Option<String>,
        /// RTP ports, FROM-TO (default 20000-20999), or 0 for ports the system picks.
        #[arg(long)]
        rtp_ports: Option<String>,
        /// The address put in SDP and Contact (default: the listen address).
        #[arg(long)]
        advertise: Option<String>,
        /// espeak, none (transcripts only), or a voice pack directory.
        #[arg(long)]
        voice: Option<String>,
        /// Flow files (default: the shipped flows).
        #[arg(long, num_args = 1..)]
        flows: Vec<PathBuf>,
        /// Write each call's transcript to DIR/call-CALLID.txt.
        #[arg(long)]
        transcripts: Option<PathBuf>,
        /// Write counters and RTP timing as JSON to this file every second.
        #[arg(long)]
        stats: Option<PathBuf>,
        #[arg(long)]
        max_calls: Option<u64>,
        #[arg(long)]
        call_limit_secs: Option<u64>,
        #[arg(long)]
        inactivity_secs: Option<u64>,
        /// How long to ring before answering, in ms.
        #[arg(long)]
        ring_ms: Option<u64>,
        /// "YYYY-MM-DD HH:MM": pretend it is this Copenhagen local time.
        #[arg(long)]
        at: Option<String>,
        /// The validation service, for self-service unlock by keypad; the admin token is
        /// read from KODE_ADMIN_TOKEN.
        #[arg(long)]
        service: Option<String>,
        /// ADDRESS:PORT for the control API the agents' console reads the calls from
        /// (port 0 lets the system pick; prints "control on ADDR:PORT"). If
        /// KODE_LINE_TOKEN is set, requests must carry it as a bearer token.
        #[arg(long)]
        control: Option<String>,
        /// The menu's languages, the first spoken first (default: da,en).
        #[arg(long, value_delimiter = ',')]
        languages: Vec<String>,
    },
    /// The agent console. The admin token is read from KODE_ADMIN_TOKEN.
    Console {
        /// The service's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        service: String,
        /// The append-only outcome log.
        #[arg(long, default_value = "phone-support-outcomes.log")]
        log: PathBuf,
        /// Plain text for screen readers: the screen is printed after each command.
        #[arg(long)]
        plain: bool,
        #[arg(long, num_args = 1..)]
        flows: Vec<PathBuf>,
        #[arg(long)]
        at: Option<String>,
    },
    /// The agents' web console. The service's admin token is read from KODE_ADMIN_TOKEN,
    /// the line's (if it has one) from KODE_LINE_TOKEN. Prints "listening on ADDR:PORT".
    Web {
        /// ADDRESS:PORT (port 0 lets the system pick).
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// The service's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        service: String,
        /// The SIP line's control API (`phone-support sip --control`).
        #[arg(long, default_value = "http://127.0.0.1:5070")]
        line: String,
        /// Accounts (agents.json), the audit log (audit.log) and the outbox.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where new activation codes go for the letter printer or SMS gateway
        /// (default: DATA/outbox).
        #[arg(long)]
        outbox: Option<PathBuf>,
        /// The console is behind TLS: Secure cookies.
        #[arg(long)]
        secure_cookies: bool,
        #[arg(long, num_args = 1..)]
        flows: Vec<PathBuf>,
        /// "YYYY-MM-DD HH:MM": pretend it is this Copenhagen local time (for the rules).
        #[arg(long)]
        at: Option<String>,
    },
    /// The web console's agents: add (password read from standard input), list, unlock
    /// (lift a lock after wrong passwords), remove.
    Agents {
        #[command(subcommand)]
        command: AgentsCommand,
        /// The web console's data directory.
        #[arg(long, global = true)]
        data: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AgentsCommand {
    /// Adds an agent; the password is the first line of standard input.
    Add {
        name: String,
        /// Rights, comma-separated: lookup, unlock, activation.
        #[arg(long, value_delimiter = ',')]
        rights: Vec<String>,
    },
    /// Lists agents, their rights and locks.
    List,
    /// Lifts the lock after wrong passwords.
    Unlock { name: String },
    /// Removes an agent.
    Remove { name: String },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("phone-support: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_at(at: &Option<String>) -> Result<Option<NaiveDateTime>> {
    at.as_deref()
        .map(|text| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
                .with_context(|| format!("--at {text:?} must be \"YYYY-MM-DD HH:MM\""))
        })
        .transpose()
}

fn parse_date(what: &str, text: &str) -> Result<NaiveDate> {
    text.parse()
        .with_context(|| format!("{what} {text:?} must be a real date as YYYY-MM-DD"))
}

fn clock(fixed: Option<NaiveDateTime>) -> impl FnMut() -> NaiveDateTime {
    move || fixed.unwrap_or_else(copenhagen_now)
}

fn load_flows(files: &[PathBuf]) -> Result<FlowSet> {
    let set = if files.is_empty() {
        FlowSet::shipped()
    } else {
        FlowSet::load(files)
    };
    set.map_err(|errors| anyhow::anyhow!("invalid flows:\n{errors}"))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { files } => {
            let result = if files.is_empty() {
                FlowSet::shipped()
            } else {
                FlowSet::load(&files)
            };
            match result {
                Ok(set) => {
                    for flow in &set.flows {
                        println!(
                            "ok {}: {} (menu key {}, {} steps)",
                            flow.file.display(),
                            flow.id,
                            flow.menu_key,
                            flow.steps.len()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    eprintln!("{errors}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Hours { at } => {
            let now = parse_at(&at)?.unwrap_or_else(copenhagen_now);
            for line in hours_lines(now) {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Holidays { year } => {
            for (date, holiday) in holidays(year)? {
                println!("{date} {}", holiday.name_da());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::WitnessCheck {
            cpr,
            mitid_since,
            witnessed,
            on,
        } => {
            let cpr = cpr.parse().context("--cpr")?;
            let mitid_since = parse_date("--mitid-since", &mitid_since)?;
            let witnessed = witnessed
                .iter()
                .filter(|d| !d.is_empty())
                .map(|d| parse_date("--witnessed", d))
                .collect::<Result<Vec<_>>>()?;
            let on = match on {
                Some(on) => parse_date("--on", &on)?,
                None => copenhagen_now().date(),
            };
            let facts = WitnessFacts {
                cpr,
                mitid_since,
                witnessed,
            };
            for line in verdict_lines(&facts, on) {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::DocumentsCheck { have, on } => {
            let on = match on {
                Some(on) => parse_date("--on", &on)?
                    .and_hms_opt(12, 0, 0)
                    .context("noon")?,
                None => copenhagen_now(),
            };
            let lines = documents_lines(&have.join(","), on);
            for line in &lines {
                println!("{line}");
            }
            if lines.iter().any(|l| l.starts_with("unknown document")) {
                bail!("{}", lines.join("; "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dtmf {
            keys,
            out,
            rate,
            gap_ms,
        } => {
            let mut pcm = speech::Pcm::new(rate);
            for key in keys.chars() {
                pcm.samples.extend(dtmf::silence(rate, gap_ms));
                pcm.samples
                    .extend(dtmf::synthesize(&key.to_string(), rate, Press::default())?);
            }
            pcm.write_wav(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} keys, {:.1} s)",
                out.display(),
                keys.len(),
                pcm.duration_secs()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Ivr {
            flows,
            dtmf_wav,
            wav_out,
            text_only,
            at,
        } => {
            let flows = load_flows(&flows)?;
            let fixed = parse_at(&at)?;
            let text = TextSpeaker::new(Catalogue::embedded()?, io::stdout());
            let record = match (&wav_out, text_only) {
                (_, true) => ivr_call(&flows, dtmf_wav.as_deref(), text, fixed)?,
                (Some(path), false) => {
                    let voice = Voice::espeak().context("starting espeak-ng")?;
                    let sink = WavSink::create(path, voice.sample_rate())
                        .with_context(|| format!("creating {}", path.display()))?;
                    let speaker = VoiceSpeaker::new(Catalogue::embedded()?, voice, sink);
                    let mut pair = (text, speaker);
                    let record = ivr_call(&flows, dtmf_wav.as_deref(), &mut pair, fixed)?;
                    pair.1.into_sink().finish().context("finishing the WAV")?;
                    record
                }
                (None, false) => {
                    let voice = Voice::espeak().context("starting espeak-ng")?;
                    let speaker = PlaybackSpeaker::open(Catalogue::embedded()?, voice, None)
                        .context("opening the speakers (use --wav-out FILE or --text-only without a sound card)")?;
                    ivr_call(&flows, dtmf_wav.as_deref(), (text, speaker), fixed)?
                }
            };
            println!("path: {}", record.visited.join(" > "));
            println!(
                "ending: {}",
                record
                    .ending
                    .map_or("the caller hung up".to_owned(), |e| format!("{e:?}"))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sip {
            config,
            listen,
            rtp_ports,
            advertise,
            voice,
            flows,
            transcripts,
            stats,
            max_calls,
            call_limit_secs,
            inactivity_secs,
            ring_ms,
            at,
            service,
            control,
            languages,
        } => {
            let file = match &config {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    LineConfig::parse(&text).with_context(|| path.display().to_string())?
                }
                None => LineConfig::default(),
            };
            let options = LineConfig {
                listen,
                rtp_ports,
                advertise,
                max_calls,
                call_limit_secs,
                inactivity_secs,
                ring_ms,
                flows: Some(flows),
                voice,
                transcripts,
                stats_file: stats,
                control,
                languages: Some(languages).filter(|l| !l.is_empty()),
                queue_wait_per_caller_secs: None,
                queue_announce_secs: None,
                hours_weekdays: None,
                hours_weekends: None,
            };
            let (mut settings, voice, flow_files) = file.overridden_by(options).settings()?;
            settings.fixed_time = parse_at(&at)?;
            settings.control_token = std::env::var("KODE_LINE_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
            if let Some(url) = service {
                let token = std::env::var("KODE_ADMIN_TOKEN")
                    .context("--service needs KODE_ADMIN_TOKEN, the service's admin token")?;
                settings.service = Some((url, token));
            }
            let flows: &'static FlowSet = Box::leak(Box::new(load_flows(&flow_files)?));
            run_sip(settings, voice, flows)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Console {
            service,
            log,
            plain,
            flows,
            at,
        } => {
            let flows = load_flows(&flows)?;
            let fixed = parse_at(&at)?;
            let token = std::env::var("KODE_ADMIN_TOKEN")
                .context("KODE_ADMIN_TOKEN must hold the service's admin token")?;
            let directory = HttpDirectory::new(&service, token);
            let mut log = OutcomeLog::open(&log)
                .with_context(|| format!("opening the outcome log {}", log.display()))?;
            let mut console = Console::new(&flows);
            if plain {
                let stdin = BufReader::new(io::stdin());
                run_plain(
                    &mut console,
                    &directory,
                    &mut log,
                    stdin,
                    io::stdout(),
                    clock(fixed),
                )?;
            } else {
                run_tui(&mut console, &directory, &mut log, clock(fixed))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Web {
            listen,
            service,
            line,
            data,
            outbox,
            secure_cookies,
            flows,
            at,
        } => {
            let data_dir = web_data_dir(data)?;
            let config = WebConfig {
                service,
                admin_token: std::env::var("KODE_ADMIN_TOKEN")
                    .context("KODE_ADMIN_TOKEN must hold the service's admin token")?,
                line,
                line_token: std::env::var("KODE_LINE_TOKEN").ok(),
                outbox: outbox.unwrap_or_else(|| data_dir.join("outbox")),
                data_dir,
                secure_cookies,
                flows: load_flows(&flows)?,
                at: parse_at(&at)?,
            };
            run_web(&listen, config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Agents { command, data } => {
            agents(command, &web_data_dir(data)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--data`, or `$XDG_DATA_HOME/kodeoplaeser/web-console` (`~/.local/share/…`).
fn web_data_dir(data: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = data {
        return Ok(dir);
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(
            std::env::var_os("HOME").context("no HOME to put the data in; pass --data DIR")?,
        )
        .join(".local/share"),
    };
    Ok(base.join("kodeoplaeser/web-console"))
}

fn agents(command: AgentsCommand, data: &Path) -> Result<()> {
    let file = AccountFile::new(data);
    let mut accounts = file.load()?;
    match command {
        AgentsCommand::Add { name, rights } => {
            let rights = rights
                .iter()
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.parse::<Right>())
                .collect::<Result<Vec<_>, _>>()?;
            let mut password = String::new();
            io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            accounts.add(&name, password, &rights)?;
            file.save(&accounts)?;
            println!(
                "added {name} ({})",
                rights_text(&accounts.agents[&name].rights)
            );
        }
        AgentsCommand::List => {
            let now = chrono::Utc::now().timestamp();
            for (name, account) in &accounts.agents {
                let lock = if account.lockout.locked_at(now) {
                    " LOCKED"
                } else {
                    ""
                };
                println!("{name}\t{}{lock}", rights_text(&account.rights));
            }
        }
        AgentsCommand::Unlock { name } => {
            let account = accounts
                .agents
                .get_mut(&name)
                .ok_or_else(|| AccountError::NoSuchAgent(name.clone()))?;
            account.lockout = Default::default();
            file.save(&accounts)?;
            println!("unlocked {name}");
        }
        AgentsCommand::Remove { name } => {
            accounts
                .agents
                .remove(&name)
                .ok_or_else(|| AccountError::NoSuchAgent(name.clone()))?;
            file.save(&accounts)?;
            println!("removed {name}");
        }
    }
    Ok(())
}

fn rights_text(rights: &[Right]) -> String {
    if rights.is_empty() {
        return "no rights beyond calls and guides".to_owned();
    }
    rights
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// The web console until SIGINT or SIGTERM.
fn run_web(listen: &str, config: WebConfig) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(io::stderr)
        .with_ansi(false)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("starting tokio")?;
    runtime.block_on(async move {
        let state = WebState::new(config)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!("listening on {}", listener.local_addr()?);
        use std::io::Write as _;
        io::stdout().flush()?;
        let shutdown = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(_) => return,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        phone_support::web::run(listener, state, shutdown).await?;
        Ok(())
    })
}

/// The SIP line until SIGINT or SIGTERM.
fn run_sip(settings: Settings, voice: VoiceChoice, flows: &'static FlowSet) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rsipstack=warn".into()),
        )
        .with_writer(io::stderr)
        .with_ansi(false)
        .init();
    let prompts = Prompts::start(voice).context("starting the voice")?;
    let runtime = tokio::runtime::Runtime::new().context("starting tokio")?;
    runtime.block_on(async move {
        // The menu's opening words are rendered before the first call rings.
        let mut ivr = Ivr::new(flows);
        for effect in ivr.start() {
            if let phone_support::ivr::Effect::Say(lang, words) = effect {
                prompts
                    .render(lang, &words)
                    .await
                    .context("rendering the welcome")?;
            }
        }
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stopper = shutdown.clone();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(e) => {
                        tracing::error!("cannot watch SIGTERM: {e}");
                        return;
                    }
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            tracing::info!("stopping");
            stopper.cancel();
        });
        sip::serve(settings, flows, prompts, shutdown).await
    })
}

/// One call over a DTMF recording or the keyboard.
fn ivr_call(
    flows: &FlowSet,
    dtmf_wav: Option<&Path>,
    speaker: impl Speaker,
    fixed: Option<NaiveDateTime>,
) -> Result<CallRecord> {
    let mut ivr = Ivr::new(flows);
    let mut line: Box<dyn Line + '_> = match dtmf_wav {
        Some(path) => {
            let pcm = speech::Pcm::read_wav(path)
                .with_context(|| format!("reading {} (mono 16-bit WAV)", path.display()))?;
            Box::new(AudioLine::new(
                pcm.samples.into_iter(),
                pcm.sample_rate,
                speaker,
            ))
        }
        None => Box::new(LocalLine::new(
            BufReader::new(io::stdin()),
            speaker,
            io::stderr(),
        )),
    };
    Ok(run_call(&mut ivr, line.as_mut(), clock(fixed))?)
}
