//! The workspace's manifests keep DEVELOPERS.md's rule: a 0.x crate may break its API in
//! any release, so every 0.x dependency is pinned exactly (`=0.8.9`), not as a range.

use std::path::{Path, PathBuf};

fn manifests() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = vec![root.join("Cargo.toml")];
    for entry in std::fs::read_dir(&root).expect("the workspace root is readable") {
        let manifest = entry.expect("a directory entry").path().join("Cargo.toml");
        if manifest.is_file() {
            found.push(manifest);
        }
    }
    found
}

/// Every (table, crate, requirement) in a manifest's dependency tables.
fn requirements(manifest: &toml::Table) -> Vec<(String, String, String)> {
    let mut tables: Vec<(String, &toml::Table)> = Vec::new();
    for name in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(table) = manifest.get(name).and_then(toml::Value::as_table) {
            tables.push((name.to_owned(), table));
        }
    }
    if let Some(workspace) = manifest.get("workspace").and_then(toml::Value::as_table) {
        if let Some(table) = workspace
            .get("dependencies")
            .and_then(toml::Value::as_table)
        {
            tables.push(("workspace.dependencies".to_owned(), table));
        }
    }
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for (target, inner) in targets {
            for name in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(table) = inner.get(name).and_then(toml::Value::as_table) {
                    tables.push((format!("target.{target}.{name}"), table));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (table_name, table) in tables {
        for (krate, spec) in table {
            let version = match spec {
                toml::Value::String(version) => Some(version.as_str()),
                toml::Value::Table(spec) => spec.get("version").and_then(toml::Value::as_str),
                _ => None,
            };
            if let Some(version) = version {
                found.push((table_name.clone(), krate.clone(), version.to_owned()));
            }
        }
    }
    found
}

/// A requirement that lets Cargo pick another 0.x release than the one tested.
fn loose_zero(requirement: &str) -> bool {
    let requirement = requirement.trim();
    let bare = requirement.trim_start_matches(['^', '~']).trim();
    bare.starts_with("0.") && !requirement.starts_with('=')
}

#[test]
fn every_0x_dependency_is_pinned_exactly() {
    let mut loose = Vec::new();
    let mut checked = 0;
    for path in manifests() {
        let text = std::fs::read_to_string(&path).expect("a readable manifest");
        let manifest: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (table, krate, requirement) in requirements(&manifest) {
            checked += 1;
            if loose_zero(&requirement) {
                loose.push(format!(
                    "{}: [{table}] {krate} = \"{requirement}\"",
                    path.display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} dependencies found: the walk is broken"
    );
    assert!(
        loose.is_empty(),
        "0.x dependencies must be pinned exactly (\"=0.x.y\", the version in Cargo.lock):\n{}",
        loose.join("\n")
    );
}

#[test]
fn loose_and_exact_requirements_are_told_apart() {
    for loose in ["0.8", "^0.8.1", "~0.3", " 0.1 "] {
        assert!(loose_zero(loose), "{loose}");
    }
    for fine in ["=0.8.9", "1", "4.5", "=0.1.0", "1.0"] {
        assert!(!loose_zero(fine), "{fine}");
    }
}
