//! `manifest.toml` parses with the host's parser and agrees with the code:
//! the same routes and views, reads only of the modules the code reads, and
//! a config default the code falls back to.

use std::collections::BTreeSet;

use bantong_manifest::{Capability, Manifest};
use bantong_reporting::plugin::{Reporting, router};
use bantong_sdk::Plugin;

fn manifest() -> Result<Manifest, String> {
    Manifest::parse(include_str!("../manifest.toml"))
        .map_err(|e| format!("manifest.toml is invalid:\n{e}"))
}

#[test]
fn manifest_routes_match_the_router() -> Result<(), String> {
    let declared: BTreeSet<(String, String)> = manifest()?
        .routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    let served: BTreeSet<(String, String)> = router()
        .routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    assert_eq!(declared, served);
    Ok(())
}

#[test]
fn manifest_views_match_the_plugin() -> Result<(), String> {
    let declared: BTreeSet<(String, String)> = manifest()?
        .views
        .iter()
        .map(|v| (v.id.clone(), v.kind.to_string()))
        .collect();
    let provided: BTreeSet<(String, String)> = Reporting::views()
        .iter()
        .map(|v| (v.id().to_owned(), v.kind().to_string()))
        .collect();
    assert_eq!(declared, provided);
    Ok(())
}

#[test]
fn it_reads_modules_and_is_read_by_none() -> Result<(), String> {
    let m = manifest()?;
    let reads: BTreeSet<Capability> = m
        .requested_capabilities()
        .into_iter()
        .filter(|c| matches!(c, Capability::ModuleRead(_)))
        .collect();
    assert_eq!(
        reads,
        BTreeSet::from([
            Capability::ModuleRead("supervision".into()),
            Capability::ModuleRead("hotline".into()),
            Capability::ModuleRead("hr".into()),
            Capability::ModuleRead("training".into()),
            Capability::ModuleRead("door-service".into()),
        ])
    );
    assert!(m.routes.iter().all(|r| !r.public && !r.module_read));
    assert_eq!(
        m.config_defaults()["issuer"],
        serde_json::json!("保定市莲池区政务服务管理局")
    );
    Ok(())
}
