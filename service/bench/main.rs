//! Load benchmark: validations per second and latency of the service over loopback HTTP,
//! with 10 000 activated TOTP devices, on SQLite or PostgreSQL — or, with `--target-url`,
//! of an external privacyIDEA answering `/validate/check` for tokens BENCH-0…BENCH-N.
//!
//! Two phases, each bounded in time and count: a closed loop at `--concurrency` (the peak
//! rate), then an open loop at half that rate (latency measured from each request's
//! scheduled send time, so a stalled server cannot hide its queue). Output is one JSON
//! line per phase, for `bench/run.sh` to compare: rate, latency percentiles, writes per
//! group commit, and the whole machine's CPU per request. `--rate R` runs one open loop
//! at R instead (to compare two builds at one load); `--timeline FILE` writes when in
//! each phase the slow requests came.

/// The same allocator as the `service` binary, so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod machine;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
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
    /// Run only an open loop at this many requests per second (instead of the peak, then
    /// half of it): to compare the cost of a change at one fixed load.
    #[arg(long)]
    rate: Option<f64>,
    /// A label for the output.
    #[arg(long, default_value = "kode")]
    label: String,
    /// Our service's endpoint: `v1` (`POST /v1/validate`, JSON) or `check` (privacyIDEA's
    /// `POST /validate/check` with a form body, as privacyIDEA is driven).
    #[arg(long, default_value = "v1", value_parser = ["v1", "check"])]
    endpoint: String,
    /// Instead of a load, measure the machine's own floor (pauses of a spinning thread on
    /// each core, then `fdatasync` on this directory's disk) for `--seconds` each.
    #[arg(long, value_name = "DIR")]
    machine_probe: Option<std::path::PathBuf>,
    /// Write each phase's timeline here (CSV, one line per 10 ms of due time: requests,
    /// how many took over 5 ms, the longest): to see when the slow ones came.
    #[arg(long)]
    timeline: Option<std::path::PathBuf>,
}

/// Where requests go and how a device's current code is made.
#[derive(Clone)]
struct Target {
    /// `host:port` to connect to.
    address: String,
    privacyidea: bool,
    /// Our service through `/validate/check` rather than `/v1/validate`.
    check: bool,
    prefix: String,
    devices: u64,
    totp: Totp,
    /// Our service runs on a manual clock that the load moves forward one step per round
    /// over all devices, so that every request carries a fresh, valid code.
    clock: Option<ManualClock>,
    sequence: Arc<AtomicU64>,
}

/// One worker's HTTP/1.1 connection, kept alive between its requests and opened again
/// when the server closes it (gunicorn's sync workers, which serve privacyIDEA, close
/// after every answer). A worker has one request in flight, so it needs no pool: the
/// driver spends its CPU on requests, not on finding a connection for them.
#[derive(Default)]
struct Connection(Option<SendRequest<Full<Bytes>>>);

impl Connection {
    async fn sender(&mut self, address: &str) -> Result<&mut SendRequest<Full<Bytes>>> {
        if self.0.as_ref().is_some_and(|sender| sender.is_closed()) {
            self.0 = None;
        }
        if self.0.is_none() {
            let tcp = tokio::net::TcpStream::connect(address)
                .await
                .with_context(|| format!("connecting to {address}"))?;
            tcp.set_nodelay(true)?;
            let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
            tokio::spawn(connection);
            self.0 = Some(sender);
        }
        let sender = self.0.as_mut().expect("opened above");
        if sender.ready().await.is_err() {
            self.0 = None;
            anyhow::bail!("the connection to {address} closed");
        }
        Ok(self.0.as_mut().expect("ready above"))
    }
}

/// The part of privacyIDEA's answer the driver reads: `result.value`.
#[derive(serde::Deserialize)]
struct CheckAnswer {
    result: CheckResult,
}

#[derive(serde::Deserialize)]
struct CheckResult {
    #[serde(default)]
    value: bool,
}

impl Target {
    fn now_s(&self) -> u64 {
        match &self.clock {
            Some(clock) => (clock.now_ms() / 1000) as u64,
            None => chrono::Utc::now().timestamp() as u64,
        }
    }

    /// Sends one validation on `connection`; returns whether it was accepted.
    async fn validate(&self, connection: &mut Connection) -> Result<bool> {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let device = n % self.devices;
        if let Some(clock) = &self.clock {
            if device == 0 && n > 0 {
                clock.advance_ms(30_000);
            }
        }
        let code = self.totp.code_at(self.now_s())?.to_string();
        let pi_shape = self.privacyidea || self.check;
        let (path, content_type, body) = if pi_shape {
            let who = if self.privacyidea { "serial" } else { "user" };
            let body = format!("{who}={}{device}&pass={code}", self.prefix);
            ("/validate/check", "application/x-www-form-urlencoded", body)
        } else {
            let body =
                json!({"user": format!("{}{device}", self.prefix), "code": code}).to_string();
            ("/v1/validate", "application/json", body)
        };
        let request = hyper::Request::post(path)
            .header(hyper::header::HOST, &self.address)
            .header(hyper::header::CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(body)))?;
        let sender = connection.sender(&self.address).await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status.is_server_error() {
            anyhow::bail!("server error {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(if pi_shape {
            serde_json::from_slice::<CheckAnswer>(&body)?.result.value
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
    latency: Latencies,
    /// The whole machine's CPU time while the phase ran (service, database and driver).
    cpu: Option<CpuTime>,
    /// This process's CPU time in the phase, in seconds: with our service in-process, the
    /// service, its SQLite writer and the driver, and none of what else the machine runs.
    process_cpu_s: Option<f64>,
}

/// A phase's latencies in microseconds, as histograms shared by the workers: recording
/// a request costs no allocation, so the driver's bookkeeping cannot stall the load it
/// measures (vectors of every latency, growing in step in all workers, did: each
/// doubling was a burst of copying and page faults; so did a histogram per worker, some
/// 130 MB of fresh memory at the start of a phase).
struct Latencies {
    /// From each request's scheduled time (open loop) or send time (closed loop) to its
    /// answer: what a caller waits, including any queue in the driver.
    from_due: Histogram<u64>,
    /// From the moment the request was actually sent: the service's own latency.
    from_send: Histogram<u64>,
    /// How late each request was sent after it was due (the driver's own delay).
    lateness: Histogram<u64>,
    /// Per [`TIMELINE_STEP`] of due time since `start`: requests, how many took over
    /// [`SLOW`], and the longest (µs) — where in the phase the slow ones were.
    timeline: Vec<[u64; 3]>,
    start: Instant,
}

/// A latency histogram in microseconds: 1 µs to 10 min, three significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

/// The `q` quantile of a histogram in microseconds, in milliseconds.
fn ms(histogram: &Histogram<u64>, q: f64) -> f64 {
    histogram.value_at_quantile(q) as f64 / 1000.0
}

/// The timeline's resolution, and what counts as slow in it (the p99 target).
const TIMELINE_STEP: Duration = Duration::from_millis(10);
const SLOW: Duration = Duration::from_millis(5);

impl Latencies {
    fn new(start: Instant, seconds: f64) -> Latencies {
        let steps = (seconds / TIMELINE_STEP.as_secs_f64()) as usize + 1;
        Latencies {
            from_due: histogram(),
            from_send: histogram(),
            lateness: histogram(),
            timeline: vec![[0; 3]; steps],
            start,
        }
    }

    fn record(&mut self, due: Instant, sent: Instant) {
        let waited = due.elapsed();
        let us = |duration: Duration| duration.as_micros() as u64;
        self.from_due.saturating_record(us(waited));
        self.from_send.saturating_record(us(sent.elapsed()));
        self.lateness
            .saturating_record(us(sent.saturating_duration_since(due)));
        let step = (due.saturating_duration_since(self.start).as_nanos() / TIMELINE_STEP.as_nanos())
            as usize;
        if let Some(slot) = self.timeline.get_mut(step) {
            slot[0] += 1;
            slot[1] += u64::from(waited > SLOW);
            slot[2] = slot[2].max(us(waited));
        }
    }
}

/// Busy and total CPU time of the whole machine, from `/proc/stat` (Linux), in ticks.
#[derive(Clone, Copy)]
struct CpuTime {
    busy: u64,
    /// Time the hypervisor ran something else while this machine's CPUs wanted to run
    /// (part of `busy`): on a virtual machine, a stall no process here can see or avoid.
    steal: u64,
    total: u64,
}

impl CpuTime {
    fn now() -> Option<CpuTime> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let ticks: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|field| field.parse().ok())
            .collect::<Option<_>>()?;
        // user nice system idle iowait irq softirq steal …
        let idle = ticks.get(3)? + ticks.get(4)?;
        let total: u64 = ticks.iter().take(8).sum();
        Some(CpuTime {
            busy: total - idle,
            steal: *ticks.get(7)?,
            total,
        })
    }

    fn since(self, start: CpuTime) -> CpuTime {
        CpuTime {
            busy: self.busy - start.busy,
            steal: self.steal - start.steal,
            total: self.total - start.total,
        }
    }
}

/// This process's CPU time so far (user + system, from `/proc/self/stat`), in seconds.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of proc(5) (utime, stime), counted from the state, field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / CLOCK_TICKS_PER_S)
}

/// The kernel's clock ticks per second for `/proc` times (`getconf CLK_TCK`: 100 on Linux).
const CLOCK_TICKS_PER_S: f64 = 100.0;

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed
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
    let cpu_start = CpuTime::now();
    let process_start = process_cpu_s();
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
    let latency = Arc::new(std::sync::Mutex::new(Latencies::new(start, seconds)));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let target = target.clone();
        let issued = issued.clone();
        let due = due.clone();
        let latency = latency.clone();
        tasks.push(tokio::spawn(async move {
            let (mut requests, mut accepted, mut errors) = (0u64, 0u64, 0u64);
            let mut connection = Connection::default();
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
                match target.validate(&mut connection).await {
                    Ok(true) => accepted += 1,
                    Ok(false) => {}
                    Err(error) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("request failed: {error:#}");
                        }
                    }
                }
                latency
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .record(scheduled, sent);
                requests += 1;
            }
            (requests, accepted, errors)
        }));
    }
    let (mut requests, mut accepted, mut errors) = (0, 0, 0);
    for task in tasks {
        let (r, a, e) = task.await.expect("worker panicked");
        (requests, accepted, errors) = (requests + r, accepted + a, errors + e);
    }
    Phase {
        requests,
        accepted,
        errors,
        elapsed: start.elapsed().as_secs_f64(),
        latency: Arc::into_inner(latency)
            .expect("the workers have ended")
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
        process_cpu_s: process_cpu_s()
            .zip(process_start)
            .map(|(end, start)| end - start),
        cpu: CpuTime::now()
            .zip(cpu_start)
            .map(|(end, start)| end.since(start)),
    }
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
    let state = AppState::new(service.clone(), AdminToken::new(None));
    tokio::spawn(service::run(listener, state, std::future::pending()));
    Ok((format!("http://{address}"), service))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.machine_probe {
        println!("{}", machine::probe(dir, args.seconds)?);
        return Ok(());
    }
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
            // Canonical serials (letters and digits): the fixture binds each user to its serial.
            let prefix = format!("B{tag}N");
            let (base, service) = start_service(&db, args.devices, &clock, &prefix).await?;
            ours = Some(service);
            (base, Some(clock), prefix, false)
        }
    };
    let target = Target {
        address: base
            .strip_prefix("http://")
            .context("the target URL must start with http://")?
            .to_owned(),
        privacyidea,
        check: args.endpoint == "check",
        prefix,
        devices: args.devices,
        totp: Totp::mitid(&Secret::from_base32(SECRET_B32)?),
        clock,
        sequence: Arc::new(AtomicU64::new(0)),
    };
    let commits = |service: &Option<Service>| {
        service.as_ref().map(|service| {
            let stats = service.store().commit_stats();
            (
                stats.transactions.load(Ordering::Relaxed),
                stats.writes.load(Ordering::Relaxed),
            )
        })
    };
    // Each phase with the group commit's (transactions, writes) over it.
    let mut phases = Vec::new();
    let rates = match args.rate {
        Some(rate) => vec![("warm_up", Some(rate)), ("fixed_rate", Some(rate))],
        None => vec![("peak", None), ("half_peak", None)],
    };
    for (name, rate) in rates {
        let before = commits(&ours);
        // The half-peak phase runs at half the rate the peak phase reached.
        let rate = match (name, phases.last()) {
            ("half_peak", Some((_, peak, _))) => Some(Phase::rate(peak) / 2.0),
            _ => rate,
        };
        // A fixed-rate run starts with 2 s that are not counted, so that its figures do not
        // include opening the connections.
        let warm_up = name == "warm_up";
        let seconds = if warm_up { 2.0 } else { args.seconds };
        let result = phase(&target, args.concurrency, seconds, rate, args.max_requests).await;
        let after = commits(&ours);
        let counts = before
            .zip(after)
            .map(|((t0, w0), (t1, w1))| (t1 - t0, w1 - w0));
        if !warm_up {
            phases.push((name, result, counts));
        }
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
    if let Some(path) = &args.timeline {
        let mut csv = format!("phase,ms,requests,over_{}ms,max_ms\n", SLOW.as_millis());
        for (name, result, _) in &phases {
            for (step, [requests, slow, max_us]) in result.latency.timeline.iter().enumerate() {
                let ms = step as u128 * TIMELINE_STEP.as_millis();
                let max_ms = *max_us as f64 / 1000.0;
                csv += &format!("{name},{ms},{requests},{slow},{max_ms}\n");
            }
        }
        std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
    }
    for (name, result, counts) in phases {
        let latency = &result.latency;
        // Writes per group-commit transaction in this phase (our service only).
        let writes_per_commit = counts.map(|(transactions, writes)| {
            (writes as f64 / transactions.max(1) as f64 * 10.0).round() / 10.0
        });
        // The whole machine's CPU (service, database, driver) per request, and how busy
        // the machine was.
        let cpu = result.cpu.map(|cpu| {
            let busy = cpu.busy as f64 / cpu.total.max(1) as f64;
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
            let us_per_request =
                busy * cores * result.elapsed * 1e6 / result.requests.max(1) as f64;
            (busy, us_per_request)
        });
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
                "p50_ms": ms(&latency.from_due, 0.50),
                "p99_ms": ms(&latency.from_due, 0.99),
                "p99_from_send_ms": ms(&latency.from_send, 0.99),
                "p99_send_late_ms": ms(&latency.lateness, 0.99),
                "writes_per_commit": writes_per_commit,
                "cpu_busy": cpu.map(|(busy, _)| (busy * 1000.0).round() / 1000.0),
                "cpu_us_per_request": cpu.map(|(_, us)| us.round()),
                "process_cpu_us_per_request": result.process_cpu_s.map(|seconds| {
                    (seconds * 1e6 / result.requests.max(1) as f64 * 10.0).round() / 10.0
                }),
                "cpu_stolen": result.cpu.map(|cpu| {
                    (cpu.steal as f64 / cpu.total.max(1) as f64 * 1000.0).round() / 1000.0
                }),
            })
        );
        // Every code sent is right and fresh: a phase that mostly refused measured
        // the refusal path, not validation, and its figures must not be reported.
        if !privacyidea && result.accepted * 100 < result.requests * 99 {
            anyhow::bail!(
                "{}: only {} of {} validations were accepted in phase {name}; the figures above are not validations",
                args.label,
                result.accepted,
                result.requests
            );
        }
    }
    Ok(())
}
