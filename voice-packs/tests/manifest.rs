//! `pack.toml` as written by the builder and recorder reads back as the same manifest,
//! whatever the texts contain (quotes, Danish letters, newlines).

use proptest::prelude::*;
use speech::pack::{read_manifest, ClipEntry, Manifest};
use voice_packs::build::write_manifest;

fn clip() -> impl Strategy<Value = ClipEntry> {
    ("[a-z0-9-]{1,20}", "[a-zA-Z0-9 ._-]{1,20}", "\\PC{0,40}")
        .prop_map(|(id, file, text)| ClipEntry { id, file, text })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn written_manifests_read_back(
        language in "[a-z]{2}",
        speaker in "\\PC{0,30}",
        licence in "\\PC{0,30}",
        sample_rate in 8000u32..96000,
        loudness in -40.0f64..-5.0,
        clips in proptest::collection::vec(clip(), 0..6),
    ) {
        let manifest = Manifest {
            language,
            speaker,
            licence,
            sample_rate,
            loudness_lufs: loudness,
            clips,
        };
        let dir = tempfile::tempdir().unwrap();
        write_manifest(dir.path(), &manifest).unwrap();
        prop_assert_eq!(read_manifest(dir.path()).unwrap(), manifest);
    }
}

#[test]
fn a_manifest_with_an_unknown_field_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pack.toml"),
        "language = \"da\"\nspeaker = \"x\"\nlicence = \"x\"\nsample_rate = 22050\nloudness_lufs = -20.0\nvolume = 3\n",
    )
    .unwrap();
    let err = read_manifest(dir.path()).unwrap_err().to_string();
    assert!(err.contains("pack.toml is not valid"), "{err}");
    assert!(err.contains("unknown field `volume`"), "{err}");
    assert!(err.contains("line 6"), "{err}");
}
