//! Unit tests of policy parsing and validation.

use super::*;

const POLICY: &str = r#"
[plugins."*"]
allow = ["config", "log", "clock"]

[plugins.hotline]
allow = ["storage", "blobs", "config", "log", "clock"]
events-publish = ["hotline.*.*"]
limits = { timeout-ms = 10000 }

[[storage-read]]
reader = "report"
target = "hotline/*"

[[storage-read]]
reader = "*"
target = "directory/halls"

[limits]
memory-mib = 256
"#;

#[test]
fn parses_with_defaults() {
    let policy = Policy::parse(POLICY).unwrap();
    assert_eq!(policy.limits.memory_mib, 256);
    assert_eq!(policy.limits.timeout_ms, DEFAULT_TIMEOUT_MS);
    assert_eq!(policy.plugins.len(), 2);
    assert_eq!(
        policy.entry("hotline").map(|e| e.limits.timeout_ms),
        Some(Some(10_000))
    );
    assert_eq!(
        policy.entry("other").map(|e| e.allow.len()),
        Some(3),
        "falls back to *"
    );
    assert!(Policy::default().entry("x").is_none());
}

#[test]
fn read_rules() {
    let policy = Policy::parse(POLICY).unwrap();
    assert!(policy.allows_read("report", "hotline", "work_orders"));
    assert!(!policy.allows_read("inspection", "hotline", "work_orders"));
    assert!(policy.allows_read("inspection", "directory", "halls"));
    assert!(!policy.allows_read("inspection", "directory", "staff"));
}

#[test]
fn problems_name_the_field() {
    let error = Policy::parse(
        r#"
[plugins.Bad]
allow = ["storage", "events-publish:a.b", "camera"]
events-publish = ["a..b"]

[[storage-read]]
reader = "R"
target = "hotline"
"#,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "plugins.Bad: \"Bad\" is not a plugin id or \"*\"\n\
         plugins.Bad.allow[1]: \"events-publish:a.b\" must be one of storage, blobs, config, log, clock, notices, documents, directory (events-publish and storage-read have their own keys)\n\
         plugins.Bad.allow[2]: \"camera\" must be one of storage, blobs, config, log, clock, notices, documents, directory (events-publish and storage-read have their own keys)\n\
         plugins.Bad.events-publish[0]: \"a..b\": every dot-separated segment must be lowercase letters, digits, '_' or '-', or a single \"*\"\n\
         storage-read[0].reader: must be a plugin id or \"*\"\n\
         storage-read[0].target: must be owner/collection, where collection may be \"*\""
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    let error = Policy::parse("[plugins.hotline]\nallows = []\n").unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("plugins.hotline.allows: unknown field `allows`"),
        "{text}"
    );
}
