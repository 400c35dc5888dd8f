//! Code generation and verification speed, keyed-once against the naive path (a fresh
//! HMAC key schedule per code), in one run so the ratio needs no other baseline.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, Mac};
use otp::{Algorithm, Digits, Hotp, Secret, Window};
use sha1::Sha1;

const KEY: &[u8] = b"12345678901234567890";

/// RFC 4226 written the obvious way: key the HMAC again for every counter.
fn naive_hotp(key: &[u8], counter: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let value = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    (value & 0x7fff_ffff) % 1_000_000
}

fn generation(c: &mut Criterion) {
    let hotp = Hotp::new(&Secret::new(KEY.to_vec()), Algorithm::Sha1, Digits::SIX);
    assert_eq!(
        hotp.code(7).to_string(),
        format!("{:06}", naive_hotp(KEY, 7))
    );
    let mut group = c.benchmark_group("hotp_sha1_generate");
    group.throughput(Throughput::Elements(1));
    let mut counter = 0u64;
    group.bench_function("keyed_once", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            black_box(hotp.code(black_box(counter)))
        })
    });
    group.bench_function("naive_rekey", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            black_box(naive_hotp(black_box(KEY), black_box(counter)))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("hotp_generate_by_hash");
    group.throughput(Throughput::Elements(1));
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
        let hotp = Hotp::new(&Secret::new(KEY.to_vec()), algorithm, Digits::SIX);
        group.bench_function(algorithm.name(), |b| {
            b.iter(|| black_box(hotp.code(black_box(42))))
        });
    }
    group.finish();
}

fn verification(c: &mut Criterion) {
    let hotp = Hotp::new(&Secret::new(KEY.to_vec()), Algorithm::Sha1, Digits::SIX);
    let last_in_window = hotp.code(1_010).to_string();
    let mut group = c.benchmark_group("hotp_sha1_verify_window_10");
    group.throughput(Throughput::Elements(11));
    group.bench_function("keyed_once", |b| {
        b.iter(|| black_box(hotp.verify(black_box(&last_in_window), 1_000, Window::ahead(10))))
    });
    group.bench_function("naive_rekey", |b| {
        let wanted: u32 = last_in_window.parse().expect("digits");
        b.iter(|| black_box((1_000..=1_010).find(|&n| naive_hotp(black_box(KEY), n) == wanted)))
    });
    group.finish();
}

criterion_group!(benches, generation, verification);
criterion_main!(benches);
