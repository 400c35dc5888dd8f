//! Speech to the telephone's 8 kHz: a band-limited (windowed sinc) resampler from rubato,
//! so nothing above 4 kHz folds back into the call as noise.

use rubato::{
    Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction,
};

/// The sample rate of a G.711 line.
pub const LINE_RATE: u32 = 8000;

/// Why audio could not be resampled.
#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {from} Hz: {reason}")]
pub struct ResampleError {
    pub from: u32,
    pub reason: String,
}

/// Resamples mono 16-bit audio from `from` Hz to 8 kHz; the output has the input's
/// duration (rounded to a sample) and no delay.
pub fn to_line_rate(samples: &[i16], from: u32) -> Result<Vec<i16>, ResampleError> {
    if from == LINE_RATE || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    let error = |reason: String| ResampleError { from, reason };
    if from == 0 {
        return Err(error("the sample rate is zero".into()));
    }
    let params = SincInterpolationParameters {
        sinc_len: 128,
        // Cut a little below the new Nyquist frequency (4 kHz).
        f_cutoff: 0.92,
        interpolation: SincInterpolationType::Linear,
        oversampling_factor: 128,
        window: WindowFunction::BlackmanHarris2,
    };
    let ratio = f64::from(LINE_RATE) / f64::from(from);
    let wanted = (samples.len() as f64 * ratio).round() as usize;
    let mut input: Vec<f32> = samples.iter().map(|s| f32::from(*s) / 32768.0).collect();
    // Enough zeros after the end to flush the filter's delay.
    input.extend(std::iter::repeat_n(0.0, params.sinc_len * 2));
    let mut resampler = SincFixedIn::<f32>::new(ratio, 1.0, params, input.len(), 1)
        .map_err(|e| error(e.to_string()))?;
    // rubato's SincFixedIn already aligns its output with its input (its
    // `output_delay` is compensated inside): the first output sample is time zero.
    let out = resampler
        .process(&[input], None)
        .map_err(|e| error(e.to_string()))?;
    let channel = out.into_iter().next().unwrap_or_default();
    Ok(channel
        .into_iter()
        .take(wanted)
        .map(|x| (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, rate: u32, seconds: f32, amplitude: f32) -> Vec<i16> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                (amplitude * 32767.0 * (std::f32::consts::TAU * freq * t).sin()) as i16
            })
            .collect()
    }

    fn rms(samples: &[i16]) -> f32 {
        (samples.iter().map(|s| f32::from(*s).powi(2)).sum::<f32>() / samples.len() as f32).sqrt()
    }

    /// Zero crossings per second / 2 = frequency.
    fn frequency(samples: &[i16], rate: u32) -> f32 {
        let crossings = samples
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        crossings as f32 / 2.0 / (samples.len() as f32 / rate as f32)
    }

    #[test]
    fn a_tone_keeps_its_pitch_length_and_level() {
        for from in [22050, 16000, 44100] {
            let input = sine(1000.0, from, 1.0, 0.5);
            let out = to_line_rate(&input, from).unwrap();
            assert_eq!(out.len(), 8000, "from {from}");
            let f = frequency(&out[400..7600], LINE_RATE);
            assert!((f - 1000.0).abs() < 5.0, "from {from}: {f} Hz");
            let level = rms(&out[400..7600]) / rms(&input);
            assert!((0.95..1.05).contains(&level), "from {from}: level {level}");
        }
    }

    #[test]
    fn nothing_above_4_khz_folds_back() {
        // A 6 kHz tone would alias to 2 kHz without the filter.
        let input = sine(6000.0, 22050, 1.0, 0.5);
        let out = to_line_rate(&input, 22050).unwrap();
        assert!(rms(&out[400..7600]) < 0.01 * rms(&input), "{}", rms(&out));
    }

    #[test]
    fn the_start_is_not_delayed() {
        // A click at 0.5 s stays at 0.5 s.
        let mut input = vec![0i16; 22050];
        input[11025] = 30000;
        let out = to_line_rate(&input, 22050).unwrap();
        let peak = out
            .iter()
            .enumerate()
            .max_by_key(|(_, s)| s.abs())
            .unwrap()
            .0;
        assert!((3998..=4002).contains(&peak), "peak at {peak}");
    }

    #[test]
    fn line_rate_and_empty_input_pass_through() {
        assert_eq!(to_line_rate(&[1, 2, 3], 8000).unwrap(), [1, 2, 3]);
        assert!(to_line_rate(&[], 22050).unwrap().is_empty());
        assert!(to_line_rate(&[1], 0).is_err());
    }
}
