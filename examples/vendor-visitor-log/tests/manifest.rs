//! `manifest.toml` parses with the host's parser and agrees with the code:
//! same routes, same views, config defaults equal to `Settings::default()`.

use std::collections::BTreeSet;

use bantong_manifest::Manifest;
use bantong_sdk::Plugin;
use vendor_visitor_log::{Settings, VisitorLog, router};

/// The parsed manifest, or every problem the host's parser found.
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
    let declared: Vec<(String, String)> = manifest()?
        .views
        .iter()
        .map(|v| (v.id.clone(), v.kind.to_string()))
        .collect();
    let provided: Vec<(String, String)> = VisitorLog::views()
        .iter()
        .map(|v| (v.id().to_owned(), v.kind().to_string()))
        .collect();
    assert_eq!(declared, provided);
    Ok(())
}

#[test]
fn config_defaults_are_the_code_defaults() -> Result<(), String> {
    let m = manifest()?;
    let defaults: Settings = serde_json::from_value(m.config_defaults()).unwrap();
    assert_eq!(defaults, Settings::default());
    let schema = m.config_schema().unwrap().unwrap();
    assert!(
        schema
            .validate(&serde_json::json!({ "purposes": [] }))
            .is_err()
    );
    assert!(
        schema
            .validate(&serde_json::json!({ "require_phone": "yes" }))
            .is_err()
    );
    Ok(())
}
