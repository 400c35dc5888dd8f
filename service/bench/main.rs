//! Load benchmark: validations per second and latency of the service over loopback HTTP,
//! with 10 000 activated TOTP devices, on SQLite or PostgreSQL — or, with `--target-url`,
//! of an external privacyIDEA answering `/validate/check` for tokens BENCH-0…BENCH-N.
//!
//! Two phases, each bounded in time and count: a closed loop at `--concurrency` (the peak
//! rate), then an open loop at half that rate (latency measured from each request's
//! scheduled send time, so a stalled server cannot hide its queue). Output is one JSON
//! line per phase, for `bench/run.sh` to compare.

/// The same allocator as the `service` binary, so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use otp::{Secret, Totp};
use serde_json::json;
use service::{AdminToken, AppState, Clock, ManualClock, SecretBox, Service};

/// Base32 of RFC 4226's secret; every bench device shares it (the codes differ by time).
const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[derive(Parser)]
struct Args {
    /// Database for our service (`sqlite://PATH` or `postgres://…`); ignored with --target-url.
    #[arg(long)]
    db: Option<String>,
    /// Benchmark privacyIDEA at this base URL instead (tokens BENCH-0… must exist).
    #[arg(long)]
    target_url: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    devices: u64,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// At most this many requests per phase.
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u64,
    /// A label for the output.
    #[arg(long, default_value = "kode")]
    label: String,
}

/// Where requests go and how a device's current code is made.
#[derive(Clone)]
struct Target {
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    base: String,
    privacyidea: bool,
    prefix: String,
    devices: u64,
    totp: Totp,
    /// Our service runs on a manual clock that the load moves forward one step per round
    /// over all devices, so that every request carries a fresh, valid code.
    clock: Option<ManualClock>,
    sequence: Arc<AtomicU64>,
}

impl Target {
    fn now_s(&self) -> u64 {
        match &self.clock {
            Some(clock) => (clock.now_ms() / 1000) as u64,
            None => chrono::Utc::now().timestamp() as u64,
        }
    }

    /// Sends one validation; returns whether it was accepted.
    async fn validate(&self) -> Result<bool> {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let device = n % self.devices;
        if let Some(clock) = &self.clock {
            if device == 0 && n > 0 {
                clock.advance_ms(30_000);
            }
        }
        let code = self.totp.code_at(self.now_s())?.to_string();
        let request = if self.privacyidea {
            let body = format!("serial={}{device}&pass={code}", self.prefix);
            hyper::Request::post(format!("{}/validate/check", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(body)))?
        } else {
            let body =
                json!({"user": format!("{}{device}", self.prefix), "code": code}).to_string();
            hyper::Request::post(format!("{}/v1/validate", self.base))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))?
        };
        let response = self.client.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status.is_server_error() {
            anyhow::bail!("server error {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(if self.privacyidea {
            let answer: serde_json::Value = serde_json::from_slice(&body)?;
            answer["result"]["value"] == true
        } else {
            status.is_success()
        })
    }
}

struct Phase {
    requests: u64,
    accepted: u64,
    errors: u64,
    elapsed: f64,
    /// From each request's scheduled time (open loop) or send time (closed loop) to its
    /// answer: what a caller waits, including any queue in the driver.
    latencies_us: Vec<u64>,
    /// From the moment the request was actually sent: the service's own latency.
    sent_latencies_us: Vec<u64>,
    /// How late each request was sent after it was due (the driver's own delay).
    lateness_us: Vec<u64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed
    }

    fn percentile_ms(latencies: &mut [u64], p: f64) -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        latencies.sort_unstable();
        let index = ((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        latencies[index.min(latencies.len() - 1)] as f64 / 1000.0
    }
}

/// Runs `workers` loops for `seconds`. Closed loop without `rate`; with it, request `k`
/// is due at `k / rate`, released by a pacer thread (finer than tokio's 1 ms timer, whose
/// rounding would add up to a millisecond of the driver's own delay to every request).
async fn phase(
    target: &Target,
    workers: usize,
    seconds: f64,
    rate: Option<f64>,
    max: u64,
) -> Phase {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let total = match rate {
        Some(rate) => ((seconds * rate) as u64).min(max),
        None => max,
    };
    let due = Arc::new(tokio::sync::Semaphore::new(0));
    if let Some(rate) = rate {
        let due = due.clone();
        std::thread::spawn(move || {
            let mut released = 0;
            while released < total {
                let elapsed = start.elapsed().as_secs_f64();
                let now_due = ((elapsed * rate) as u64 + 1).min(total);
                if now_due > released {
                    due.add_permits((now_due - released) as usize);
                    released = now_due;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        });
    }
    let issued = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let target = target.clone();
        let issued = issued.clone();
        let due = due.clone();
        tasks.push(tokio::spawn(async move {
            let (mut accepted, mut errors) = (0u64, 0u64);
            let (mut latencies, mut sent_latencies, mut lateness) =
                (Vec::new(), Vec::new(), Vec::new());
            loop {
                let k = issued.fetch_add(1, Ordering::Relaxed);
                if k >= total {
                    break;
                }
                let scheduled = match rate {
                    Some(rate) => {
                        match due.acquire().await {
                            Ok(permit) => permit.forget(),
                            Err(_) => break,
                        }
                        start + Duration::from_secs_f64(k as f64 / rate)
                    }
                    None if Instant::now() >= deadline => break,
                    None => Instant::now(),
                };
                let sent = Instant::now();
                lateness.push(sent.saturating_duration_since(scheduled).as_micros() as u64);
                match target.validate().await {
                    Ok(true) => accepted += 1,
                    Ok(false) => {}
                    Err(error) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("request failed: {error:#}");
                        }
                    }
                }
                latencies.push(scheduled.elapsed().as_micros() as u64);
                sent_latencies.push(sent.elapsed().as_micros() as u64);
            }
            (accepted, errors, latencies, sent_latencies, lateness)
        }));
    }
    let mut result = Phase {
        requests: 0,
        accepted: 0,
        errors: 0,
        elapsed: 0.0,
        latencies_us: Vec::new(),
        sent_latencies_us: Vec::new(),
        lateness_us: Vec::new(),
    };
    for task in tasks {
        let (accepted, errors, latencies, sent, late) = task.await.expect("worker panicked");
        result.accepted += accepted;
        result.errors += errors;
        result.requests += latencies.len() as u64;
        result.latencies_us.extend(latencies);
        result.sent_latencies_us.extend(sent);
        result.lateness_us.extend(late);
    }
    result.elapsed = start.elapsed().as_secs_f64();
    result
}

/// Starts our service in-process on a loopback port with `devices` activated devices.
async fn start_service(
    db: &str,
    devices: u64,
    clock: &ManualClock,
    prefix: &str,
) -> Result<(String, Service)> {
    let service = Service::open(db, SecretBox::new(&[9; 32]), Arc::new(clock.clone()))
        .await
        .with_context(|| format!("opening {db}"))?;
    let lines: String = (0..devices)
        .map(|i| format!("{prefix}{i} otpauth://totp/bench?secret={SECRET_B32}\n"))
        .collect();
    let started = Instant::now();
    service.import(&lines, None, "bench").await?;
    // Bench fixture only: bind every device to its user directly (activating 10 000
    // devices one by one would measure activation, not validation).
    let pool = sqlx::AnyPool::connect(db).await?;
    sqlx::query("UPDATE devices SET user_id = serial, state = 'active' WHERE serial LIKE $1")
        .bind(format!("{prefix}%"))
        .execute(&pool)
        .await?;
    pool.close().await;
    eprintln!(
        "{devices} devices imported and activated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let state = AppState {
        service: service.clone(),
        admin: AdminToken::new(None),
    };
    tokio::spawn(service::run(listener, state, std::future::pending()));
    Ok((format!("http://{address}"), service))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    sqlx::any::install_default_drivers();
    let tag = chrono::Utc::now().timestamp_millis();
    let mut ours = None;
    let (base, clock, prefix, privacyidea) = match &args.target_url {
        Some(url) => (
            url.trim_end_matches('/').to_owned(),
            None,
            "BENCH-".to_owned(),
            true,
        ),
        None => {
            let db = args.db.clone().context("give --db or --target-url")?;
            let clock = ManualClock::at_ms(1_800_000_000_000);
            let prefix = format!("B{tag}-");
            let (base, service) = start_service(&db, args.devices, &clock, &prefix).await?;
            ours = Some(service);
            (base, Some(clock), prefix, false)
        }
    };
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build(connector);
    let target = Target {
        client,
        base,
        privacyidea,
        prefix,
        devices: args.devices,
        totp: Totp::mitid(&Secret::from_base32(SECRET_B32)?),
        clock,
        sequence: Arc::new(AtomicU64::new(0)),
    };
    let mut peak = phase(
        &target,
        args.concurrency,
        args.seconds,
        None,
        args.max_requests,
    )
    .await;
    let half = peak.rate() / 2.0;
    let mut steady = phase(
        &target,
        args.concurrency,
        args.seconds,
        Some(half),
        args.max_requests,
    )
    .await;
    if let Some(service) = &ours {
        let stats = service.store().commit_stats();
        let transactions = stats.transactions.load(Ordering::Relaxed).max(1);
        eprintln!(
            "group commit: {transactions} transactions, {:.1} writes each",
            stats.writes.load(Ordering::Relaxed) as f64 / transactions as f64
        );
    }
    if let (Some(db), false) = (&args.db, privacyidea) {
        // Leave a shared database as it was found (the audit lines stay: the log is
        // append-only).
        let pool = sqlx::AnyPool::connect(db).await?;
        sqlx::query("DELETE FROM devices WHERE serial LIKE $1")
            .bind(format!("{}%", target.prefix))
            .execute(&pool)
            .await?;
        pool.close().await;
    }
    for (name, result) in [("peak", &mut peak), ("half_peak", &mut steady)] {
        println!(
            "{}",
            json!({
                "label": args.label,
                "phase": name,
                "requests": result.requests,
                "accepted": result.accepted,
                "errors": result.errors,
                "seconds": (result.elapsed * 100.0).round() / 100.0,
                "validations_per_s": result.rate().round(),
                "p50_ms": Phase::percentile_ms(&mut result.latencies_us, 0.50),
                "p99_ms": Phase::percentile_ms(&mut result.latencies_us, 0.99),
                "p99_from_send_ms": Phase::percentile_ms(&mut result.sent_latencies_us, 0.99),
                "p99_send_late_ms": Phase::percentile_ms(&mut result.lateness_us, 0.99),
            })
        );
    }
    Ok(())
}
