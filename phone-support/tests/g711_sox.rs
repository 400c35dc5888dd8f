//! Our G.711 against sox's: every 16-bit sample encoded, every code decoded, both laws.
//! Needs `sox` (installed by scripts/install-deps).

use std::path::Path;
use std::process::Command;

use phone_support::telephony::g711::Law;

fn sox(args: &[&str]) {
    let status = Command::new("sox")
        .args(args)
        .status()
        .expect("sox must be installed (scripts/install-deps)");
    assert!(status.success(), "sox {args:?} failed");
}

fn sox_name(law: Law) -> &'static str {
    match law {
        Law::Mu => "u-law",
        Law::A => "a-law",
    }
}

#[test]
fn every_sample_encodes_as_sox_encodes_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("all.raw");
    let bytes: Vec<u8> = (i16::MIN..=i16::MAX).flat_map(i16::to_le_bytes).collect();
    std::fs::write(&input, bytes).unwrap();
    for law in [Law::Mu, Law::A] {
        let output = dir.path().join(format!("{}.raw", sox_name(law)));
        // -D: no dither, so sox quantises exactly.
        sox(&[
            "-D",
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            "signed",
            "-b",
            "16",
            "-c",
            "1",
            path(&input),
            "-t",
            "raw",
            "-e",
            sox_name(law),
            path(&output),
        ]);
        let theirs = std::fs::read(&output).unwrap();
        let ours: Vec<u8> = (i16::MIN..=i16::MAX).map(|s| law.encode(s)).collect();
        assert_eq!(theirs.len(), ours.len());
        let differing: Vec<i16> = (i16::MIN..=i16::MAX)
            .zip(theirs.iter().zip(&ours))
            .filter(|(_, (t, o))| t != o)
            .map(|(s, _)| s)
            .collect();
        assert!(
            differing.is_empty(),
            "{law:?}: {} samples differ from sox, first {:?}",
            differing.len(),
            &differing[..differing.len().min(8)]
        );
    }
}

#[test]
fn every_code_decodes_as_sox_decodes_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("codes.raw");
    std::fs::write(&input, (0..=255u8).collect::<Vec<_>>()).unwrap();
    for law in [Law::Mu, Law::A] {
        let output = dir.path().join(format!("{}-decoded.raw", sox_name(law)));
        sox(&[
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            sox_name(law),
            "-c",
            "1",
            path(&input),
            "-t",
            "raw",
            "-e",
            "signed",
            "-b",
            "16",
            path(&output),
        ]);
        let theirs: Vec<i16> = std::fs::read(&output)
            .unwrap()
            .chunks(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let ours: Vec<i16> = (0..=255u8).map(|b| law.decode(b)).collect();
        assert_eq!(theirs, ours, "{law:?} decoding differs from sox");
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
