//! Unit tests of grant computation.

use super::*;

fn manifest(extra: &str) -> Manifest {
    Manifest::parse(&format!(
        r#"
id = "hotline"
version = "1.0.0"
wit = "0.1.0"
name = {{ zh = "热线", en = "Hotline" }}
{extra}
"#
    ))
    .unwrap()
}

const REQUEST: &str = r#"
[capabilities]
storage = true
blobs = true
events-publish = ["hotline.order.*", "inspection.problem.opened"]
storage-read = ["directory/halls", "hr/staff"]
[limits]
memory-mib = 512
timeout-ms = 2000
"#;

#[test]
fn module_reads_are_granted_per_pair() {
    let reader = Manifest::parse(
        r#"
id = "reporting"
version = "1.0.0"
wit = "0.1.4"
name = { zh = "报表", en = "Reports" }
[capabilities]
module-reads = ["supervision", "hotline"]
"#,
    )
    .unwrap();
    let policy = Policy::parse(
        r#"
[[module-read]]
reader = "reporting"
target = "supervision"
[[module-read]]
reader = "other"
target = "hotline"
"#,
    )
    .unwrap();
    let g = grant(&reader, &policy);
    assert!(g.can_read_module("supervision"));
    assert!(!g.can_read_module("hotline"));
    assert!(!g.can_read_module("queue"));
    assert!(
        g.denied()
            .contains(&Capability::ModuleRead("hotline".into()))
    );
    assert_eq!(
        "module-read:hotline".parse::<Capability>(),
        Ok(Capability::ModuleRead("hotline".into()))
    );
    assert!("module-read:Hotline".parse::<Capability>().is_err());
    let bad = Policy::parse("[[module-read]]\nreader = \"R\"\ntarget = \"*\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("module-read[0].reader: must be a plugin id"),
        "{bad}"
    );
    assert!(
        bad.contains("module-read[0].target: must be a plugin id"),
        "{bad}"
    );
}

#[test]
fn deny_by_default() {
    let g = grant(&manifest(REQUEST), &Policy::default());
    assert!(g.capabilities().is_empty());
    assert_eq!(g.denied().len(), 8);
    assert!(!g.allows(&Capability::Log));
    assert!(!g.can_publish("hotline.order.created"));
    assert!(!g.can_read("hotline", "orders"));
    assert_eq!(
        g.limits(),
        EffectiveLimits {
            memory_mib: 128,
            timeout_ms: 2000,
            max_body_kib: 1024
        }
    );
}

#[test]
fn grant_is_request_intersect_policy() {
    let policy = Policy::parse(
        r#"
[plugins."*"]
allow = ["storage", "log", "clock", "config"]
events-publish = ["*.*.*"]

[plugins.hotline]
allow = ["storage", "log"]
events-publish = ["hotline.*.*"]
limits = { memory-mib = 1024 }

[[storage-read]]
reader = "hotline"
target = "directory/*"
"#,
    )
    .unwrap();
    let g = grant(&manifest(REQUEST), &policy);
    let granted: Vec<String> = g.capabilities().iter().map(ToString::to_string).collect();
    assert_eq!(
        granted,
        vec![
            "storage",
            "events-publish:hotline.order.*",
            "storage-read:directory/halls",
            "log"
        ]
    );
    let denied: Vec<String> = g.denied().iter().map(ToString::to_string).collect();
    assert_eq!(
        denied,
        vec![
            "events-publish:inspection.problem.opened",
            "storage-read:hr/staff",
            "blobs",
            "clock"
        ]
    );
    assert!(g.allows(&Capability::Storage));
    assert!(!g.allows(&Capability::Config), "not requested");
    assert!(g.can_publish("hotline.order.created"));
    assert!(!g.can_publish("hotline.order"));
    assert!(
        !g.can_publish("hotline.order.*"),
        "publishing needs a concrete topic"
    );
    assert!(!g.can_publish("inspection.problem.opened"));
    assert!(g.can_read("hotline", "anything"));
    assert!(g.can_read("directory", "halls"));
    assert!(!g.can_read("directory", "staff"), "not requested");
    assert!(!g.can_read("hr", "staff"));
    assert_eq!(g.plugin(), "hotline");
    // Plugin cap 1024 over global 128; the manifest asked for 512.
    assert_eq!(g.limits().memory_mib, 512);
    assert_eq!(g.limits().timeout_ms, 2000);
}

#[test]
fn config_schema_implies_config() {
    let m = manifest(
        "[config.schema]\ntype = \"object\"\nproperties = { a = { type = \"string\" } }\n",
    );
    assert!(m.requested_capabilities().contains(&Capability::Config));
    let policy = Policy::parse("[plugins.\"*\"]\nallow = [\"config\"]\n").unwrap();
    assert!(grant(&m, &policy).allows(&Capability::Config));
}

#[test]
fn policy_lowers_limits() {
    let policy = Policy::parse("[limits]\ntimeout-ms = 1000\n").unwrap();
    let g = grant(&manifest(REQUEST), &policy);
    assert_eq!(g.limits().timeout_ms, 1000);
    let none = Grant::none("x", g.limits());
    assert!(none.capabilities().is_empty());
}
