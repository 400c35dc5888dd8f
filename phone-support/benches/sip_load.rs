//! Load benchmark of the SIP line: sipp places N concurrent calls on loopback (each
//! answered, listening to the menu, pressing 9 once, hanging up after HOLD_S seconds) and
//! the server reports how late its RTP packets left against their 20 ms slots, its CPU,
//! the time from 200 OK to the first prompt packet, and whether every key arrived.
//! Each level runs RUNS times on a fresh server; the table shows medians. The baseline is
//! the machine's own floor, measured during the same run: a bare thread (same real-time
//! priority as the server's RTP thread) sleeping to 1 ms ticks and recording how late it
//! wakes. On a shared or virtual machine that floor, not the server, often sets the p99.
//!
//! With AUDIO=1 (the default) every caller also sends its own audio the whole call, as a
//! phone does: 50 PCMU packets a second of quiet pink noise, which the line decodes and
//! runs through its in-band DTMF detector (tests/sipp/load-audio.xml); AUDIO=0 callers
//! send only the key (tests/sipp/load.xml).
//!
//! `cargo bench -p phone-support --bench sip_load` (LEVELS=1,100,250,500,750,1000 RUNS=3
//! HOLD_S=10 RATE=200 AUDIO=1 to change). Needs sipp, sox and espeak-ng.

#[path = "../tests/line/mod.rs"]
mod line;

use std::process::Command;
use std::time::{Duration, Instant};

use line::{free_port, stat, Server, SCENARIOS};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ")".
    (ticks(11) + ticks(12)) / 100.0
}

#[derive(Debug, Clone, Default)]
struct Measure {
    calls: u32,
    p50: f64,
    p99: f64,
    p999: f64,
    over_2ms_share: f64,
    cpu_percent: f64,
    first_p50: f64,
    first_p99: f64,
    keys: f64,
    received: f64,
    sipp_ok: bool,
    floor_p99: f64,
    floor_p999: f64,
    wake_p99: f64,
}

/// Wakes every millisecond at real-time priority (when allowed) and records how late,
/// until `stop`; returns the p99 and p99.9 in ms.
fn floor_probe(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(f64, f64)> {
    std::thread::spawn(move || {
        let param = libc::sched_param { sched_priority: 10 };
        // SAFETY: pthread_self() is the calling thread; `param` outlives the call.
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
        let start = Instant::now();
        let mut lateness = Vec::new();
        let mut tick = 1u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let slot = start + Duration::from_millis(tick);
            let now = Instant::now();
            if slot > now {
                std::thread::sleep(slot - now);
            }
            lateness.push(Instant::now().saturating_duration_since(slot).as_secs_f64() * 1000.0);
            tick += 1;
        }
        lateness.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| {
            lateness
                .get(((lateness.len() as f64 * q) as usize).min(lateness.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0.0)
        };
        (at(0.99), at(0.999))
    })
}

fn run_level(calls: u32, hold: Duration, rate: u32, audio: bool) -> Measure {
    let server = Server::start(&[
        "--voice",
        "espeak",
        "--at",
        "2026-11-25 12:00",
        "--max-calls",
        "5000",
        "--ring-ms",
        "0",
    ]);
    let work = tempfile::tempdir().unwrap();
    if audio {
        // Five seconds of quiet pink noise as raw µ-law, looped by each caller.
        let made = Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-t", "ul"])
            .arg(work.path().join("caller.ul"))
            .args(["synth", "5", "pinknoise", "vol", "0.03"])
            .status()
            .expect("sox must be installed");
        assert!(made.success());
    }
    let cpu_before = cpu_seconds(server.pid());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = floor_probe(stop.clone());
    let started = Instant::now();
    let status = Command::new("sipp")
        .arg(server.address())
        .arg("-sf")
        .arg(std::path::Path::new(SCENARIOS).join(if audio {
            "load-audio.xml"
        } else {
            "load.xml"
        }))
        .args(["-i", "127.0.0.1", "-nostdin"])
        .args(["-m", &calls.to_string(), "-l", &calls.to_string()])
        .args(["-r", &rate.to_string(), "-rp", "1000"])
        .args(["-d", &hold.as_millis().to_string()])
        .args(["-timeout", "300s", "-timeout_error"])
        .args([
            "-p",
            &free_port().to_string(),
            "-mp",
            &free_port().to_string(),
        ])
        .current_dir(work.path())
        .output()
        .expect("sipp runs");
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(server.pid()) - cpu_before;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (floor_p99, floor_p999) = probe.join().unwrap();
    // Let the last BYEs settle, then stop (the stats are written on the way out).
    std::thread::sleep(Duration::from_millis(500));
    let done = server.stop();
    let s = &done.stats;
    let count = stat(s, "lateness_ms.count").max(1.0);
    Measure {
        calls,
        p50: stat(s, "lateness_ms.p50"),
        p99: stat(s, "lateness_ms.p99"),
        p999: stat(s, "lateness_ms.p999"),
        over_2ms_share: stat(s, "lateness_ms.over_2ms") / count,
        cpu_percent: 100.0 * cpu / wall,
        first_p50: stat(s, "first_prompt_ms.p50"),
        first_p99: stat(s, "first_prompt_ms.p99"),
        keys: stat(s, "keys_event"),
        received: stat(s, "packets_received"),
        sipp_ok: status.status.success(),
        floor_p99,
        floor_p999,
        wake_p99: stat(s, "wake_ms.p99"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken from the command line.
    let levels: Vec<u32> = std::env::var("LEVELS")
        .unwrap_or_else(|_| "1,100,250,500,750,1000".into())
        .split(',')
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let runs: usize = env_or("RUNS", 3);
    let hold = Duration::from_secs(env_or("HOLD_S", 10));
    let rate: u32 = env_or("RATE", 200);
    let audio = env_or("AUDIO", 1u8) != 0;
    println!(
        "sip_load: {} run(s) per level, {} s per call, {rate} calls/s ramp, callers {}, {} cores",
        runs,
        hold.as_secs(),
        if audio {
            "send audio (PCMU noise, 50 packets/s)"
        } else {
            "send only the key"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut rows: Vec<Vec<Measure>> = vec![Vec::new(); levels.len()];
    for run in 0..runs {
        for (i, calls) in levels.iter().enumerate() {
            let m = run_level(*calls, hold, rate, audio);
            eprintln!("run {run}: {m:?}");
            rows[i].push(m);
        }
    }
    println!(
        "{:>6} {:>9} {:>9} {:>10} {:>9} {:>10} {:>11} {:>10} {:>9} {:>7} {:>12} {:>12} {:>10} {:>11} {:>5}",
        "calls",
        "late p50",
        "late p99",
        "late p99.9",
        ">2ms",
        "floor p99",
        "floor p99.9",
        "p99/floor",
        "wake p99",
        "CPU %",
        "1st pkt p50",
        "1st pkt p99",
        "keys/call",
        "in pkt/call",
        "sipp"
    );
    for (i, measures) in rows.iter().enumerate() {
        let med = |f: fn(&Measure) -> f64| median(measures.iter().map(f).collect());
        let p99 = med(|m| m.p99);
        let floor = med(|m| m.floor_p99);
        println!(
            "{:>6} {:>7.2}ms {:>7.2}ms {:>8.2}ms {:>8.3}% {:>8.2}ms {:>10.2}ms {:>10.2}x {:>7.2}ms {:>7.0} {:>10.1}ms {:>10.1}ms {:>10.3} {:>11.0} {:>5}",
            levels[i],
            med(|m| m.p50),
            p99,
            med(|m| m.p999),
            100.0 * med(|m| m.over_2ms_share),
            floor,
            med(|m| m.floor_p999),
            if floor > 0.0 { p99 / floor } else { 0.0 },
            med(|m| m.wake_p99),
            med(|m| m.cpu_percent),
            med(|m| m.first_p50),
            med(|m| m.first_p99),
            med(|m| m.keys / f64::from(m.calls.max(1))),
            med(|m| m.received / f64::from(m.calls.max(1))),
            if measures.iter().all(|m| m.sipp_ok) { "ok" } else { "FAIL" },
        );
    }
    println!("late = send time minus the packet's 20 ms slot (50 µs buckets, upper edges); floor = a bare 1 ms sleeper's lateness in the same seconds; wake = the server's RTP thread waking late; CPU % of one core, server only; 1st pkt = 200 OK to first prompt packet; in pkt/call = the callers' audio packets the line decoded and listened to for tones, per call");
}
