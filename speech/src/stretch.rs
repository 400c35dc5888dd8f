//! Time-stretching without changing pitch (WSOLA: overlap-added windows, each shifted a
//! little to line up with the previous one), so a voice pack's clips follow the speaking
//! rate. No crate in our dependency set does this for 16-bit mono.

use std::f32::consts::PI;

/// Returns `samples` played `factor` times as long (1.5 = slower, 0.7 = faster) at the
/// same pitch. Factors within 1% of 1 return the clip unchanged.
pub fn stretch(samples: &[i16], factor: f32, sample_rate: u32) -> Vec<i16> {
    if (factor - 1.0).abs() < 0.01 || samples.is_empty() || factor <= 0.0 {
        return samples.to_vec();
    }
    let frame = ((sample_rate as usize * 25 / 1000) & !1).max(16);
    let hop = frame / 2;
    let tolerance = (sample_rate as usize * 5 / 1000).max(1) as isize;
    let window: Vec<f32> = (0..frame)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f32 / frame as f32).cos())
        .collect();
    // Zero padding on both sides keeps every window in bounds (and the loops vectorizable).
    let pad = frame + tolerance as usize;
    let mut input = vec![0.0f32; pad];
    input.extend(samples.iter().map(|&s| f32::from(s)));
    input.resize(input.len() + pad + frame, 0.0);
    let window_at = |start: isize, len: usize| -> &[f32] {
        let from = (start + pad as isize) as usize;
        &input[from..from + len]
    };

    let out_len = (samples.len() as f32 * factor).round() as usize;
    let mut out = vec![0.0f32; out_len + frame];
    let mut norm = vec![0.0f32; out_len + frame];
    let last_start = samples.len().saturating_sub(frame) as isize;
    let mut previous: isize = 0;
    let mut k = 0;
    while k * hop < out_len {
        let nominal = ((k * hop) as f32 / factor).round() as isize;
        let start = if k == 0 {
            0
        } else {
            // The continuation of the previous frame is what this frame should resemble.
            let natural = window_at(previous + hop as isize, hop);
            let mut best = nominal.clamp(0, last_start);
            let mut best_score = f32::MIN;
            for delta in -tolerance..=tolerance {
                let candidate = (nominal + delta).clamp(0, last_start);
                let score = dot(natural, window_at(candidate, hop));
                if score > best_score {
                    best_score = score;
                    best = candidate;
                }
            }
            best
        };
        let offset = k * hop;
        let source = window_at(start, frame);
        for i in 0..frame {
            out[offset + i] += source[i] * window[i];
            norm[offset + i] += window[i];
        }
        previous = start;
        k += 1;
    }
    out.truncate(out_len);
    out.iter()
        .zip(&norm)
        .map(|(&value, &weight)| {
            let value = if weight > 1e-3 { value / weight } else { value };
            value
                .round()
                .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
        })
        .collect()
}

/// Dot product in eight independent lanes, so the compiler can vectorize it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, secs: f32, rate: u32) -> Vec<i16> {
        (0..(secs * rate as f32) as usize)
            .map(|i| ((2.0 * PI * freq * i as f32 / rate as f32).sin() * 10_000.0) as i16)
            .collect()
    }

    /// Zero crossings per second, a stand-in for pitch.
    fn crossings_per_sec(samples: &[i16], rate: u32) -> f32 {
        let n = samples
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        n as f32 / (samples.len() as f32 / rate as f32)
    }

    #[test]
    fn changes_length_but_not_pitch() {
        let rate = 22050;
        let tone = sine(440.0, 0.5, rate);
        for factor in [0.7, 1.5] {
            let out = stretch(&tone, factor, rate);
            let expected = (tone.len() as f32 * factor).round() as usize;
            assert_eq!(out.len(), expected);
            let pitch = crossings_per_sec(&out[500..out.len() - 500], rate);
            assert!(
                (pitch - 880.0).abs() < 30.0,
                "factor {factor}: {pitch} crossings/s"
            );
            // No dropouts in the middle: level stays near the input's.
            let level = crate::audio::rms(&out[500..out.len() - 500]);
            assert!((level - crate::audio::rms(&tone)).abs() < 0.05, "{level}");
        }
    }

    #[test]
    fn unity_is_identity() {
        let tone = sine(300.0, 0.1, 22050);
        assert_eq!(stretch(&tone, 1.0, 22050), tone);
    }
}
