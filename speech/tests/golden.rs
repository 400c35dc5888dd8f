//! Golden token sequences: codes and serials in both languages and groupings, and every
//! catalogue prompt (one golden file per catalogue file). After an intended change, run
//! `UPDATE_GOLDEN=1 cargo test -p speech --test golden` and review the diff. A catalogue
//! file without a golden file (a room just added) fails until its golden file is created
//! the same way and committed.

use std::fmt::Write as _;
use std::path::PathBuf;

use speech::{Catalogue, Grouping, Lang, Rate, Settings, Utterance};

/// Compares `actual` with the golden file `name`; `UPDATE_GOLDEN=1` writes it instead.
/// A missing golden file fails like a different one.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    check_golden(&path, actual, std::env::var_os("UPDATE_GOLDEN").is_some());
}

fn check_golden(path: &std::path::Path, actual: &str, update: bool) {
    if update {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|error| {
        panic!(
            "no golden file {} ({error}); create it with UPDATE_GOLDEN=1 cargo test -p speech --test golden, and review it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the rendered tokens (if intended: UPDATE_GOLDEN=1 cargo test -p speech --test golden)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
#[should_panic(expected = "no golden file")]
fn a_missing_golden_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    check_golden(&dir.path().join("prompts-new-room.txt"), "== da x\n", false);
}

#[test]
fn codes_and_serials() {
    let catalogue = Catalogue::embedded().unwrap();
    let mut out = String::new();
    for lang in Lang::ALL {
        for grouping in [Grouping::Threes, Grouping::Pairs, Grouping::Single] {
            for code in ["482079", "0123456789", "9876543"] {
                let settings = Settings {
                    lang,
                    grouping,
                    rate: Rate::Normal,
                };
                let script = catalogue
                    .render(
                        &Utterance::prompt("your-code-is")
                            .then_code(otp::Code::from_digits(code).unwrap()),
                        settings,
                    )
                    .unwrap();
                writeln!(
                    out,
                    "== {lang} {grouping:?} code {code}: {}",
                    script.words_line()
                )
                .unwrap();
                out.push_str(&script.debug_listing());
            }
        }
        for serial in ["123456789012", "1234-5678-90", "KP2026000001"] {
            let settings = Settings {
                lang,
                ..Settings::default()
            };
            let script = catalogue
                .render(
                    &Utterance::prompt("serial-number-is")
                        .then_serial(&otp::Serial::parse(serial).unwrap()),
                    settings,
                )
                .unwrap();
            writeln!(out, "== {lang} serial {serial}: {}", script.words_line()).unwrap();
            out.push_str(&script.debug_listing());
        }
    }
    golden("codes-and-serials.txt", &out);
}

#[test]
fn every_prompt_in_both_languages() {
    let catalogue = Catalogue::embedded().unwrap();
    let mut files = std::collections::BTreeMap::<String, String>::new();
    for (id, info) in catalogue.messages() {
        // Arguments get a fixed sample value so the golden file is stable.
        let args: Vec<(&str, &str)> = info.args.iter().map(|a| (a.as_str(), "7")).collect();
        let out = files.entry(info.file.clone()).or_default();
        for lang in Lang::ALL {
            let settings = Settings {
                lang,
                ..Settings::default()
            };
            let script = catalogue
                .render(&Utterance::default().then_prompt_with(id, &args), settings)
                .unwrap_or_else(|e| panic!("{id} ({lang}): {e}"));
            writeln!(out, "== {lang} {id} {args:?}").unwrap();
            out.push_str(&script.debug_listing());
        }
    }
    assert!(files.contains_key("speech.ftl"));
    for (file, listing) in files {
        // Every prompt must say something in both languages.
        assert!(
            !listing.contains(": \n"),
            "{file}: a prompt renders empty:\n{listing}"
        );
        golden(
            &format!("prompts-{}.txt", file.trim_end_matches(".ftl")),
            &listing,
        );
    }
}
