//! The `service` command: serve the HTTP API, or run an admin action on the database.

/// mimalloc: many small short-lived allocations per request (HTTP, JSON, SQL).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use service::events::{Events, WebhookConfig};
use service::privacyidea::RealmMode;
use service::ratelimit::{Limiter, Limits, Rate};
use service::{AdminToken, AppState, Channel, Service, SystemClock};

#[derive(Parser)]
#[command(version, about = "Kodeoplæser validation service")]
struct Cli {
    /// Database: `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`.
    /// Default: an SQLite file in the user's data directory.
    #[arg(long, global = true, env = "KODE_DB")]
    db: Option<String>,
    /// File with the 32-byte at-rest key as 64 hex digits; created (mode 0600) if missing.
    /// Default: `secret.key` in the user's data directory.
    #[arg(long, global = true, env = "KODE_KEY_FILE")]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the JSON API. Admin calls need `Authorization: Bearer $KODE_ADMIN_TOKEN`.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Validations a minute from one client address (a burst of as many); 0 = no limit.
        #[arg(long, env = "KODE_RATE_PER_CLIENT", default_value_t = 600)]
        rate_per_client: u32,
        /// Validations a minute for one user (a burst of as many); 0 = no limit.
        #[arg(long, env = "KODE_RATE_PER_USER", default_value_t = 30)]
        rate_per_user: u32,
        /// Proxies (e.g. the FreeRADIUS server) whose `client` parameter names the client
        /// counted for the per-client limit; comma-separated addresses.
        #[arg(long, env = "KODE_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxy: Vec<std::net::IpAddr>,
        /// `/validate/check`'s `realm`: `ignore` it, or look up `user@realm` (`suffix`).
        #[arg(long, env = "KODE_REALM", default_value = "ignore", value_parser = ["ignore", "suffix"])]
        realm: String,
        /// Send events (activated, blocked, unblocked, import_done, repeated_failures) as
        /// JSON to this `http://` URL, signed with `KODE_WEBHOOK_KEY` (HMAC-SHA256).
        #[arg(long, env = "KODE_WEBHOOK_URL")]
        webhook_url: Option<String>,
    },
    /// Import devices from a PSKC file or a text file of `SERIAL otpauth://…` lines.
    Import {
        file: PathBuf,
        /// For encrypted PSKC: a file holding the pre-shared AES-128 key as 32 hex digits.
        #[arg(long)]
        psk_file: Option<PathBuf>,
    },
    /// Issue an activation code for a serial and a person.
    ActivationCode {
        serial: String,
        user: String,
        #[arg(long, value_parser = ["paper", "sms"], default_value = "paper")]
        channel: String,
    },
    /// Show a device's state (support view) as JSON.
    Status { serial: String },
    /// Lift a device's block and clear its failure count.
    Unlock { serial: String },
    /// Print the newest lines of the audit log, oldest first: time, actor, action,
    /// subject, result (tab-separated; never a code or a secret).
    Audit {
        #[arg(long, default_value_t = 50)]
        last: i64,
    },
}

async fn open(cli: &Cli) -> Result<Service> {
    service::open_local(
        cli.db.as_deref(),
        cli.key_file.as_deref(),
        Arc::new(SystemClock),
    )
    .await
    .context("opening the database")
}

fn actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

/// Errors are one line (with their causes, never a backtrace, whatever `RUST_BACKTRACE`
/// says) and exit 2.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("service: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let service = open(&cli).await?;
    match &cli.command {
        Command::Serve {
            listen,
            rate_per_client,
            rate_per_user,
            trusted_proxy,
            realm,
            webhook_url,
        } => {
            let service = match webhook_url {
                Some(url) => {
                    let key = std::env::var("KODE_WEBHOOK_KEY")
                        .ok()
                        .filter(|key| !key.is_empty())
                        .context("--webhook-url needs KODE_WEBHOOK_KEY (the HMAC key) set")?;
                    anyhow::ensure!(
                        url.starts_with("http://"),
                        "--webhook-url must be an http:// URL (got {url:?})"
                    );
                    service.with_events(Events::webhook(WebhookConfig::new(url, key.as_bytes())))
                }
                None => service,
            };
            let limits = Limits {
                per_client: Rate {
                    per_minute: *rate_per_client,
                },
                per_user: Rate {
                    per_minute: *rate_per_user,
                },
            };
            let token = std::env::var("KODE_ADMIN_TOKEN").ok();
            // The token itself is dropped here; only its hash is kept.
            let admin = AdminToken::new(token.as_deref());
            drop(token);
            if !admin.is_set() {
                tracing::warn!("KODE_ADMIN_TOKEN is not set: admin endpoints are disabled");
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let address = listener.local_addr()?;
            tracing::info!(%address, backend = ?service.store().backend(), "serving");
            // The bound address on stdout, for whoever started us with port 0.
            println!("listening on http://{address}");
            let state = AppState {
                limiter: Arc::new(Limiter::new(limits, trusted_proxy.clone())),
                realm: RealmMode::from_name(realm).unwrap_or_default(),
                ..AppState::new(service, admin)
            };
            service::run(listener, state, shutdown_signal())
                .await
                .context("serving HTTP")?;
        }
        Command::Import { file, psk_file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let psk = match psk_file {
                Some(path) => {
                    let hex = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let key = otp::Secret::from_hex(&hex)
                        .with_context(|| format!("pre-shared key in {}", path.display()))?;
                    Some(key)
                }
                None => None,
            };
            let count = service
                .import(&text, psk.as_ref().map(|k| k.expose()), &actor())
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!("imported {count} devices from {}", file.display());
        }
        Command::ActivationCode {
            serial,
            user,
            channel,
        } => {
            let channel = Channel::from_name(channel).context("channel must be paper or sms")?;
            let issued = service
                .issue_activation_code(serial, user, channel, &actor())
                .await?;
            println!(
                "{}",
                serde_json::json!({
                    "activation_code": issued.activation_code,
                    "expires_at": service::clock::rfc3339(issued.expires_at_ms),
                })
            );
        }
        Command::Status { serial } => {
            let view = service.device_view(serial, &actor()).await?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        Command::Unlock { serial } => {
            service.unlock(serial, &actor()).await?;
            println!("unlocked {serial}");
        }
        Command::Audit { last } => {
            let mut entries = service.store().audit_log(*last).await?;
            entries.reverse();
            for entry in entries {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    service::clock::rfc3339(entry.at_ms),
                    entry.actor,
                    entry.action,
                    entry.subject,
                    entry.result
                );
            }
        }
    }
    Ok(())
}
