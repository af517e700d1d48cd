//! The complete example manifest (`tests/data/example.toml`) through every part of the crate.

use bantong_manifest::{
    Capability, Digest, FieldType, Manifest, ManifestError, Method, Package, PackageError, Policy,
    TrustedKeys, ViewKind, World, grant, keygen,
};
use serde_json::json;

const EXAMPLE: &str = include_str!("data/example.toml");

fn example() -> Result<Manifest, ManifestError> {
    Manifest::parse(EXAMPLE)
}

#[test]
fn example_parses() {
    let m = example().unwrap();
    assert_eq!(m.id, "door-service");
    assert_eq!(m.version, semver::Version::new(1, 4, 0));
    assert_eq!(m.world, World::Module);
    assert_eq!(m.routes.len(), 6);
    assert_eq!(m.subscriptions.len(), 2);
    assert_eq!(m.schedules[0].timezone_offset_minutes, 480);
    assert_eq!(m.schedules[1].timezone_offset_minutes, 480, "default");
    assert_eq!(
        m.collections[0].fields.get("applicant.district"),
        Some(&FieldType::String)
    );
    assert_eq!(m.views[2].kind, ViewKind::Form);
    assert_eq!(m.limits.max_body_kib, Some(4096));
}

#[test]
fn example_capabilities() {
    let requested: Vec<String> = example()
        .unwrap()
        .requested_capabilities()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        requested,
        vec![
            "storage",
            "events-publish:door-service.visit.*",
            "storage-read:directory/halls",
            "blobs",
            "config",
            "log",
            "clock"
        ]
    );
}

#[test]
fn example_routes() {
    let table = example().unwrap().route_table();
    let (route, params) = table.r#match(Method::Get, "/visits/export").unwrap();
    assert_eq!(route.roles, vec!["leader"]);
    assert!(params.is_empty());
    let (route, params) = table.r#match(Method::Patch, "/visits/v-17/status").unwrap();
    assert_eq!(route.path, "/visits/{id}/status");
    assert_eq!(params, vec![("id".to_owned(), "v-17".to_owned())]);
    let (route, _) = table.r#match(Method::Get, "/availability").unwrap();
    assert!(route.public);
    assert!(table.r#match(Method::Delete, "/visits/1").is_none());
    assert_eq!(
        table.allowed_methods("/visits"),
        vec![Method::Get, Method::Post]
    );
}

#[test]
fn example_schedules() {
    let m = example().unwrap();
    // 2024-05-01T00:00:00Z is 08:00 in UTC+8; 18:00 UTC+8 is 10:00 UTC.
    let may_1 = 1_714_521_600_000;
    assert_eq!(
        m.schedules[0].next_after(may_1),
        Some(may_1 + 10 * 3_600_000)
    );
    // 06:00:00 UTC+8 on the 1st of June is 22:00 UTC on 31 May.
    assert_eq!(
        m.schedules[1].next_after(may_1),
        Some(may_1 + 31 * 86_400_000 - 2 * 3_600_000)
    );
}

#[test]
fn example_config() {
    let m = example().unwrap();
    assert_eq!(
        m.config_defaults(),
        json!({
            "max_daily_visits": 20,
            "reminder_channel": "sms",
            "working_hours": {"start": "08:30", "end": "17:30"}
        })
    );
    let schema = m.config_schema().unwrap().unwrap();
    let resolved = schema
        .resolve(
            Some(&json!({"service_area": "城关镇"})),
            Some(&json!({"working_hours": {"end": "18:00"}})),
        )
        .unwrap();
    assert_eq!(
        resolved["working_hours"],
        json!({"start": "08:30", "end": "18:00"})
    );
    assert_eq!(resolved["max_daily_visits"], 20);
}

#[test]
fn example_grant() {
    let policy = Policy::parse(
        r#"
[plugins."*"]
allow = ["storage", "config", "log", "clock"]
events-publish = ["door-service.*.*"]

[[storage-read]]
reader = "*"
target = "directory/halls"

[limits]
max-body-kib = 1024
"#,
    )
    .unwrap();
    let g = grant(&example().unwrap(), &policy);
    assert!(!g.allows(&Capability::Blobs));
    assert!(g.can_publish("door-service.visit.scheduled"));
    assert!(g.can_read("directory", "halls"));
    assert_eq!(g.limits().max_body_kib, 1024, "policy lowers 4096");
    assert_eq!(g.limits().memory_mib, 64);
}

#[test]
fn example_round_trips() {
    let m = example().unwrap();
    assert_eq!(Manifest::parse(&m.to_toml().unwrap()).unwrap(), m);
    assert_eq!(
        Manifest::from_canonical(&m.canonical_bytes().unwrap()).unwrap(),
        m
    );
}

#[test]
fn example_package_signs_and_verifies() {
    let wasm = b"\0asm\x0d\x00\x01\x00component".to_vec();
    let (secret, public) = keygen();
    let mut package = Package::new(example().unwrap(), wasm.clone()).unwrap();
    package.sign(&secret);
    let bytes = package.encode();

    let trusted = TrustedKeys::from_text(&public.to_text()).unwrap();
    let decoded = Package::decode(&bytes).unwrap();
    let verified = decoded.verify(&trusted).unwrap();
    assert_eq!(verified.key_id, public.key_id());
    assert_eq!(
        verified.digest,
        Digest::of(&example().unwrap(), &wasm).unwrap()
    );
    let shown = verified.digest.to_string();
    assert!(shown.starts_with("sha256:") && shown.len() == 71);

    let (_, stranger) = keygen();
    let strangers: TrustedKeys = [stranger].into_iter().collect();
    assert!(matches!(
        decoded.verify(&strangers),
        Err(PackageError::Signature(_))
    ));
}
