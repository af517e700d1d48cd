//! Snapshot tests: invalid manifests and invalid configs, with their exact error text.
//!
//! Each `tests/data/invalid/<case>.toml` is parsed and its error compared with
//! `<case>.err`; each `tests/data/config/<case>.json` is resolved against the
//! example manifest's config schema and its errors compared with `<case>.err`.
//! Run with `BLESS=1` to (re)write the `.err` files, then review the diff.

use bantong_manifest::{ConfigError, Manifest};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir)
}

fn cases(dir: &str, ext: &str) -> io::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(data(dir))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == ext) {
            paths.push(path);
        }
    }
    paths.sort();
    assert!(!paths.is_empty(), "no cases in {dir}");
    Ok(paths)
}

/// Compares `actual` with the `.err` file next to `case`, or writes it.
fn check_snapshot(case: &Path, actual: &str, failures: &mut Vec<String>) -> io::Result<()> {
    let expected_path = case.with_extension("err");
    if std::env::var_os("BLESS").is_some() {
        return fs::write(&expected_path, actual);
    }
    let expected = fs::read_to_string(&expected_path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            case.display()
        ));
    }
    Ok(())
}

#[test]
fn invalid_manifests() {
    let mut failures = Vec::new();
    for case in cases("invalid", "toml").unwrap() {
        let text = fs::read_to_string(&case).unwrap();
        let actual = match Manifest::parse(&text) {
            Ok(_) => "(no error)\n".to_owned(),
            Err(e) => format!("{e}\n"),
        };
        check_snapshot(&case, &actual, &mut failures).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn render(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "{}\n  en: {}\n  zh: {}\n",
                e.path, e.message_en, e.message_zh
            )
        })
        .collect()
}

#[test]
fn invalid_configs() {
    let example = fs::read_to_string(data("example.toml")).unwrap();
    let manifest = Manifest::parse(&example).unwrap();
    let schema = manifest.config_schema().unwrap().unwrap();
    let mut failures = Vec::new();
    for case in cases("config", "json").unwrap() {
        let text = fs::read_to_string(&case).unwrap();
        // A case is {"district": ..., "hall": ...}; either may be absent.
        let layers: serde_json::Value = serde_json::from_str(&text).unwrap();
        let actual = match schema.resolve(layers.get("district"), layers.get("hall")) {
            Ok(_) => "(no error)\n".to_owned(),
            Err(errors) => render(&errors),
        };
        check_snapshot(&case, &actual, &mut failures).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
