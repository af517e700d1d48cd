//! Fuzzes manifest parsing (TOML and canonical JSON) and checks that every
//! accepted manifest round-trips through both forms and that its helpers
//! never panic.

#![no_main]

use bantong_manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(manifest) = Manifest::parse(text) {
            check(&manifest);
        }
    }
    if let Ok(manifest) = Manifest::from_canonical(data) {
        check(&manifest);
    }
});

fn check(manifest: &Manifest) {
    let canonical = manifest.canonical_bytes().expect("canonical form");
    let back = Manifest::from_canonical(&canonical).expect("canonical form parses");
    assert_eq!(&back, manifest, "canonical round trip");

    let toml = manifest.to_toml().expect("TOML form");
    let back = Manifest::parse(&toml).expect("TOML form parses");
    assert_eq!(
        back.canonical_bytes().expect("canonical form"),
        canonical,
        "TOML round trip"
    );

    let table = manifest.route_table();
    for route in &manifest.routes {
        // A parameter segment such as "{id}" is itself a valid value.
        assert!(table.r#match(route.method, &route.path).is_some());
        let _ = table.allowed_methods(&route.path);
    }
    for schedule in &manifest.schedules {
        let _ = schedule.next_after(0);
        let _ = schedule.next_after(i64::MAX);
        let _ = schedule.next_after(i64::MIN);
    }
    let _ = manifest.requested_capabilities();
    let defaults = manifest.config_defaults();
    if let Some(schema) = manifest.config_schema().expect("schema compiles") {
        let _ = schema.validate(&defaults);
        let _ = schema.resolve(Some(&defaults), None);
    }
}
