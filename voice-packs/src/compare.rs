//! Whether a rebuilt pack holds the same clips as the shipped one.
//!
//! A pack built from espeak-ng rebuilds to the same bytes. A pack built with Piper does on
//! one machine (two rebuilds here, one of them on a single core, were identical), but on
//! another machine a clip's samples may move by a few steps of rounding — measured: at most
//! ±7 of 32 767, signal to difference 78–93 dB, same lengths — most likely because
//! onnxruntime picks its arithmetic kernels by the CPU (AVX2, AVX-512, …). [`compare_packs`] therefore asks for the same files, byte-identical
//! `pack.toml` and other non-WAV files, the same sample rate and length (clips read with
//! [`Pcm::decode_wav`], mono 16-bit as every pack's are), and samples within a tolerance,
//! and names every file that differs beyond it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use speech::Pcm;

/// The default tolerance, in sample steps of 16-bit audio: ±32 is −60 dBFS, far below
/// hearing and far above the rounding between CPUs measured here (±7).
pub const DEFAULT_TOLERANCE: u16 = 32;

/// Why two packs could not be compared (not a difference between them).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    // The cause is in the message (not a `source`), so it is said once, whoever prints it.
    #[error("reading the folder {}: {cause}", dir.display())]
    ReadDir { dir: PathBuf, cause: std::io::Error },
    #[error("reading {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// How two packs differ in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Difference {
    /// The file is in one pack only (`in_first` says which).
    #[error("{file}: only in the {} pack", if *in_first { "first" } else { "second" })]
    OnlyIn { file: String, in_first: bool },
    /// A file that is not a clip (`pack.toml`, …) differs in its bytes.
    #[error("{file}: the bytes differ")]
    Bytes { file: String },
    /// A clip cannot be read as mono 16-bit WAV in one of the packs.
    #[error("{file}: not a readable mono 16-bit WAV: {why}")]
    Unreadable { file: String, why: String },
    /// The clips' sample rates differ.
    #[error("{file}: {first} Hz against {second} Hz")]
    SampleRate {
        file: String,
        first: u32,
        second: u32,
    },
    /// The clips have different numbers of samples.
    #[error("{file}: {first} samples against {second}")]
    Length {
        file: String,
        first: usize,
        second: usize,
    },
    /// A sample differs by more than the tolerance.
    #[error("{file}: samples differ by up to {largest} (first at sample {at_sample})")]
    Samples {
        file: String,
        largest: u32,
        at_sample: usize,
    },
}

/// What [`compare_packs`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Files compared (present in both packs).
    pub files: usize,
    /// Files with the same bytes.
    pub identical: usize,
    /// Clips whose samples differ, all within the tolerance.
    pub within_tolerance: usize,
    /// The largest sample difference within the tolerance, and its clip.
    pub largest: Option<(String, u32)>,
    /// Every difference beyond the tolerance, by file name.
    pub differences: Vec<Difference>,
}

impl Comparison {
    /// No difference beyond the tolerance.
    pub fn same(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The largest difference between two equally long sample runs and where it first
/// reaches that size (`None` when they are equal).
pub fn largest_difference(first: &[i16], second: &[i16]) -> Option<(u32, usize)> {
    let mut largest: Option<(u32, usize)> = None;
    for (at, (a, b)) in first.iter().zip(second).enumerate() {
        let diff = (i32::from(*a) - i32::from(*b)).unsigned_abs();
        if diff > 0 && largest.is_none_or(|(size, _)| diff > size) {
            largest = Some((diff, at));
        }
    }
    largest
}

/// Compares the packs in `first` and `second` (flat folders), file by file.
pub fn compare_packs(
    first: &Path,
    second: &Path,
    tolerance: u16,
) -> Result<Comparison, CompareError> {
    let names_first = file_names(first)?;
    let names_second = file_names(second)?;
    let mut result = Comparison::default();
    for name in names_first.union(&names_second) {
        let in_first = names_first.contains(name);
        if in_first != names_second.contains(name) {
            result.differences.push(Difference::OnlyIn {
                file: name.clone(),
                in_first,
            });
            continue;
        }
        result.files += 1;
        let bytes_a = read(&first.join(name))?;
        let bytes_b = read(&second.join(name))?;
        if bytes_a == bytes_b {
            result.identical += 1;
            continue;
        }
        if !name.ends_with(".wav") {
            result
                .differences
                .push(Difference::Bytes { file: name.clone() });
            continue;
        }
        match compare_clips(name, &bytes_a, &bytes_b, tolerance) {
            Ok(largest) => {
                result.within_tolerance += 1;
                if result.largest.as_ref().is_none_or(|(_, l)| largest > *l) {
                    result.largest = Some((name.clone(), largest));
                }
            }
            Err(difference) => result.differences.push(difference),
        }
    }
    Ok(result)
}

/// Two clips' bytes that differ: `Ok(largest sample difference)` when within `tolerance`.
fn compare_clips(name: &str, a: &[u8], b: &[u8], tolerance: u16) -> Result<u32, Difference> {
    let decode = |bytes: &[u8]| {
        Pcm::decode_wav(bytes).map_err(|e| Difference::Unreadable {
            file: name.to_owned(),
            why: e.to_string(),
        })
    };
    let (a, b) = (decode(a)?, decode(b)?);
    if a.sample_rate != b.sample_rate {
        return Err(Difference::SampleRate {
            file: name.to_owned(),
            first: a.sample_rate,
            second: b.sample_rate,
        });
    }
    if a.samples.len() != b.samples.len() {
        return Err(Difference::Length {
            file: name.to_owned(),
            first: a.samples.len(),
            second: b.samples.len(),
        });
    }
    match largest_difference(&a.samples, &b.samples) {
        Some((largest, at_sample)) if largest > u32::from(tolerance) => Err(Difference::Samples {
            file: name.to_owned(),
            largest,
            at_sample,
        }),
        Some((largest, _)) => Ok(largest),
        // Same samples, other header bytes.
        None => Ok(0),
    }
}

fn file_names(dir: &Path) -> Result<BTreeSet<String>, CompareError> {
    let error = |cause| CompareError::ReadDir {
        dir: dir.to_owned(),
        cause,
    };
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let entry = entry.map_err(error)?;
        if entry.file_type().map_err(error)?.is_file() {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

fn read(path: &Path) -> Result<Vec<u8>, CompareError> {
    std::fs::read(path).map_err(|cause| CompareError::Read {
        path: path.to_owned(),
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_runs_have_no_difference() {
        assert_eq!(largest_difference(&[1, -2, 3], &[1, -2, 3]), None);
    }

    #[test]
    fn the_largest_difference_and_where_it_first_is() {
        assert_eq!(
            largest_difference(&[0, 5, 0, -5], &[1, -2, 7, 2]),
            Some((7, 1))
        );
        assert_eq!(
            largest_difference(&[i16::MIN], &[i16::MAX]),
            Some((65_535, 0))
        );
    }

    proptest! {
        #[test]
        fn the_largest_difference_bounds_every_sample(
            pairs in proptest::collection::vec((any::<i16>(), any::<i16>()), 0..64)
        ) {
            let (a, b): (Vec<i16>, Vec<i16>) = pairs.into_iter().unzip();
            match largest_difference(&a, &b) {
                None => prop_assert_eq!(&a, &b),
                Some((size, at)) => {
                    prop_assert!(size > 0);
                    prop_assert_eq!((i32::from(a[at]) - i32::from(b[at])).unsigned_abs(), size);
                    for (x, y) in a.iter().zip(&b) {
                        prop_assert!((i32::from(*x) - i32::from(*y)).unsigned_abs() <= size);
                    }
                    for (x, y) in a[..at].iter().zip(&b[..at]) {
                        prop_assert!((i32::from(*x) - i32::from(*y)).unsigned_abs() < size);
                    }
                }
            }
        }
    }
}
