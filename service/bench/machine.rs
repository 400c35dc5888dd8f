//! The machine's own floor, measured before the load with nothing else running: how
//! often a thread that never sleeps is paused (by the hypervisor, an interrupt or a
//! kernel thread), and how long an 8 KiB write plus `fdatasync` takes on the database's
//! disk (a commit's floor). A tail latency near these pauses is the machine's, not the
//! service's.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::{histogram, ms};

/// Gaps shorter than this are the loop's own jitter, not a pause.
const PAUSE: Duration = Duration::from_micros(500);
/// The probe's file cycles through this many bytes, as a write-ahead log segment would.
const FILE_BYTES: u64 = 16 << 20;
const BLOCK: usize = 8192;

/// Runs both probes, `seconds` each, one after the other; the disk probe writes a
/// scratch file in `dir` and removes it.
pub fn probe(dir: &Path, seconds: f64) -> Result<Value> {
    let duration = Duration::from_secs_f64(seconds);
    Ok(json!({
        "label": "machine",
        "seconds": seconds,
        "pauses": pauses(duration),
        "fdatasync": fdatasync(dir, duration)?,
    }))
}

/// One spinning thread per core; each records every gap between two readings of the
/// clock longer than [`PAUSE`].
fn pauses(duration: Duration) -> Value {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            std::thread::spawn(move || {
                let mut gaps = histogram();
                let start = Instant::now();
                let mut last = start;
                while last - start < duration {
                    let now = Instant::now();
                    let gap = now - last;
                    if gap > PAUSE {
                        gaps.saturating_record(gap.as_micros() as u64);
                    }
                    last = now;
                }
                gaps
            })
        })
        .collect();
    let mut gaps = histogram();
    for thread in threads {
        let theirs = thread.join().expect("probe thread panicked");
        gaps.add(&theirs).expect("same bounds");
    }
    let over = |ms: u64| gaps.count_between(ms * 1000, u64::MAX);
    json!({
        "cores": cores,
        "over_1ms": over(1),
        "over_3ms": over(3),
        "over_5ms": over(5),
        "max_ms": gaps.max() as f64 / 1000.0,
    })
}

/// 8 KiB written and `fdatasync`ed, again and again, in a scratch file in `dir`.
fn fdatasync(dir: &Path, duration: Duration) -> Result<Value> {
    let path = dir.join("kode-bench-fdatasync.probe");
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let block = [0x5a_u8; BLOCK];
    let mut latencies = histogram();
    let start = Instant::now();
    let mut offset = 0;
    // Time the disk held a sync beyond its first 5 ms: a request that arrives in it waits
    // longer than 5 ms for the disk alone, whatever the service does.
    let mut stalled_us = 0;
    let outcome = (|| -> std::io::Result<()> {
        while start.elapsed() < duration {
            let began = Instant::now();
            file.write_all_at(&block, offset)?;
            file.sync_data()?;
            let took = began.elapsed().as_micros() as u64;
            latencies.saturating_record(took);
            stalled_us += took.saturating_sub(5000);
            offset = (offset + BLOCK as u64) % FILE_BYTES;
        }
        Ok(())
    })();
    drop(file);
    let removed = std::fs::remove_file(&path);
    outcome.with_context(|| format!("writing {}", path.display()))?;
    removed.with_context(|| format!("removing {}", path.display()))?;
    Ok(json!({
        "syncs": latencies.len(),
        "p50_ms": ms(&latencies, 0.5),
        "p99_ms": ms(&latencies, 0.99),
        "p99_9_ms": ms(&latencies, 0.999),
        "over_5ms": latencies.count_between(5000, u64::MAX),
        "max_ms": latencies.max() as f64 / 1000.0,
        "stalled_over_5ms_share": stalled_us as f64 / start.elapsed().as_micros() as f64,
    }))
}
