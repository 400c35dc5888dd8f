//! Import benchmark: `service import` of plain PSKC files of TOTP keys into a fresh
//! SQLite database, all or nothing in one transaction, at 2 000, 8 000 and 100 000 keys
//! (the sizes of issue 15: 5.5 s and 79.6 s before, hours for 100 000). Reports the
//! median of several runs per size and its ratio to the 2 000-key median of the same run:
//! linear time gives ratios near 4 and 50.
//!
//! `cargo bench -p service --bench import` (RUNS=5 by default; SIZES=2000,8000 to pick).

use std::sync::Arc;
use std::time::{Duration, Instant};

use service::{ManualClock, SecretBox, Service};

const TOTP_URN: &str = "urn:ietf:params:xml:ns:keyprov:pskc:totp";

/// A PSKC container of `count` TOTP keys, one package a few lines long each.
fn pskc(count: usize) -> String {
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n",
    );
    for n in 0..count {
        // A distinct 20-byte secret per key, base64.
        let secret = format!("{n:020}");
        let secret = data_encoding::BASE64.encode(secret.as_bytes());
        text.push_str(&format!(
            "  <KeyPackage>\n    <DeviceInfo><Manufacturer>Kode</Manufacturer>\
             <SerialNo>KB{n:08}</SerialNo></DeviceInfo>\n    \
             <Key Id=\"{n}\" Algorithm=\"{TOTP_URN}\">\n      \
             <AlgorithmParameters><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/>\
             </AlgorithmParameters>\n      <Data><Secret><PlainValue>{secret}</PlainValue>\
             </Secret><TimeInterval><PlainValue>30</PlainValue></TimeInterval></Data>\n    \
             </Key>\n  </KeyPackage>\n"
        ));
    }
    text.push_str("</KeyContainer>\n");
    text
}

/// One import of `text` into a fresh database; the time of the import alone.
async fn import_once(text: &str, count: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kode.db").display());
    let service = Service::open(
        &url,
        SecretBox::new(&[7; 32]),
        Arc::new(ManualClock::at_ms(1_800_000_000_000)),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let imported = service.import(text, None, "bench").await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(imported, count);
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(5);
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "2000,8000,100000".into())
        .split(',')
        .map(|size| {
            size.trim()
                .parse()
                .expect("SIZES: numbers, comma-separated")
        })
        .collect();
    println!("import of plain PSKC TOTP keys into fresh SQLite; median of {runs} runs");
    println!(
        "{:>8} {:>10} {:>12} {:>10} {:>16}",
        "keys", "MB", "median s", "µs/key", "ratio to first"
    );
    let mut baseline: Option<(usize, Duration)> = None;
    for count in sizes {
        let text = pskc(count);
        let mut times = Vec::new();
        for _ in 0..runs {
            times.push(import_once(&text, count).await);
        }
        let median = median(times);
        let (base_count, base_time) = *baseline.get_or_insert((count, median));
        let ratio = median.as_secs_f64() / base_time.as_secs_f64();
        println!(
            "{count:>8} {:>10.1} {:>12.3} {:>10.1} {:>9.1} (×{} keys)",
            text.len() as f64 / 1e6,
            median.as_secs_f64(),
            median.as_secs_f64() * 1e6 / count as f64,
            ratio,
            count as f64 / base_count as f64
        );
    }
}
