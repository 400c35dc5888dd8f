//! Counters and histograms of the running line, shared by all calls without locks: how
//! late each RTP packet left against its 20 ms slot, how long callers waited from the
//! 200 OK to the first prompt packet, calls and keys. Written as JSON for the benchmark.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A histogram of durations in buckets of `step`, the last bucket holding everything longer.
#[derive(Debug)]
pub struct Histogram {
    step: Duration,
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    pub fn new(step: Duration, buckets: usize) -> Self {
        Histogram {
            step,
            buckets: (0..buckets.max(1)).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn record(&self, value: Duration) {
        let index = (value.as_nanos() / self.step.as_nanos().max(1)) as usize;
        let index = index.min(self.buckets.len() - 1);
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The upper edge of the bucket holding quantile `q` (0–1); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        let total = self.count();
        if total == 0 {
            return Duration::ZERO;
        }
        let rank = ((total as f64 * q).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return self.step * (index as u32 + 1);
            }
        }
        self.step * self.buckets.len() as u32
    }

    /// How many values were above `limit`.
    pub fn above(&self, limit: Duration) -> u64 {
        let first = (limit.as_nanos() / self.step.as_nanos().max(1)) as usize;
        self.buckets
            .iter()
            .skip(first)
            .map(|b| b.load(Ordering::Relaxed))
            .sum()
    }
}

/// Everything the line counts.
#[derive(Debug)]
pub struct Stats {
    /// Send time minus the packet's 20 ms slot, in 50 µs steps up to 100 ms.
    pub lateness: Histogram,
    /// How late the sending thread woke for its millisecond, same buckets.
    pub wake: Histogram,
    /// 200 OK to first prompt packet, in 1 ms steps up to 10 s.
    pub first_prompt: Histogram,
    pub calls_active: AtomicU64,
    pub calls_total: AtomicU64,
    pub calls_refused: AtomicU64,
    pub packets_sent: AtomicU64,
    /// Audio packets from callers, decoded and run through the DTMF detector.
    pub packets_received: AtomicU64,
    pub keys_event: AtomicU64,
    pub keys_in_band: AtomicU64,
    pub bad_packets: AtomicU64,
    pub send_errors: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            lateness: Histogram::new(Duration::from_micros(50), 2000),
            wake: Histogram::new(Duration::from_micros(50), 2000),
            first_prompt: Histogram::new(Duration::from_millis(1), 10_000),
            calls_active: AtomicU64::new(0),
            calls_total: AtomicU64::new(0),
            calls_refused: AtomicU64::new(0),
            packets_sent: AtomicU64::new(0),
            packets_received: AtomicU64::new(0),
            keys_event: AtomicU64::new(0),
            keys_in_band: AtomicU64::new(0),
            bad_packets: AtomicU64::new(0),
            send_errors: AtomicU64::new(0),
        }
    }
}

impl Stats {
    pub fn to_json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "calls_active": get(&self.calls_active),
            "calls_total": get(&self.calls_total),
            "calls_refused": get(&self.calls_refused),
            "packets_sent": get(&self.packets_sent),
            "packets_received": get(&self.packets_received),
            "keys_event": get(&self.keys_event),
            "keys_in_band": get(&self.keys_in_band),
            "bad_packets": get(&self.bad_packets),
            "send_errors": get(&self.send_errors),
            "lateness_ms": {
                "p50": ms(self.lateness.quantile(0.5)),
                "p99": ms(self.lateness.quantile(0.99)),
                "p999": ms(self.lateness.quantile(0.999)),
                "max_bucket": ms(self.lateness.quantile(1.0)),
                "over_2ms": self.lateness.above(Duration::from_millis(2)),
                "count": self.lateness.count(),
            },
            "wake_ms": {
                "p50": ms(self.wake.quantile(0.5)),
                "p99": ms(self.wake.quantile(0.99)),
                "p999": ms(self.wake.quantile(0.999)),
                "over_2ms": self.wake.above(Duration::from_millis(2)),
            },
            "first_prompt_ms": {
                "p50": ms(self.first_prompt.quantile(0.5)),
                "p99": ms(self.first_prompt.quantile(0.99)),
                "count": self.first_prompt.count(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_bucket_upper_edges() {
        let h = Histogram::new(Duration::from_millis(1), 10);
        assert_eq!(h.quantile(0.99), Duration::ZERO);
        for ms in [0, 0, 1, 2, 2, 2, 3, 9, 50, 4] {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.count(), 10);
        assert_eq!(h.quantile(0.5), Duration::from_millis(3));
        assert_eq!(h.quantile(1.0), Duration::from_millis(10));
        assert_eq!(h.above(Duration::from_millis(3)), 4);
    }
}
