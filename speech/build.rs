//! Embeds every `catalogue/<lang>/<file>.ftl` so a newly added file is picked up without
//! code changes: writes `$OUT_DIR/catalogue_files.rs` with one `include_str!` per file.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("catalogue");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut files = Vec::new();
    let mut langs: Vec<_> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|entry| entry.expect("readable catalogue entry").path())
        .filter(|path| path.is_dir())
        .collect();
    langs.sort();
    for lang_dir in langs {
        println!("cargo:rerun-if-changed={}", lang_dir.display());
        let lang = lang_dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut ftls: Vec<_> = fs::read_dir(&lang_dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", lang_dir.display()))
            .map(|entry| entry.expect("readable catalogue entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "ftl"))
            .collect();
        ftls.sort();
        for path in ftls {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.push((lang.clone(), name, path));
        }
    }

    let mut out = String::from("&[\n");
    for (lang, name, path) in files {
        writeln!(
            out,
            "    crate::catalogue::Source {{ lang: {lang:?}, file: {name:?}, text: include_str!({:?}) }},",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue_files.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}
