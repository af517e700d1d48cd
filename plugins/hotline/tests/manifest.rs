//! `manifest.toml` parses with the host's parser and agrees with the code:
//! the same routes, views and collections, and config defaults that resolve
//! to the built-in settings.

use std::collections::BTreeSet;

use bantong_hotline::plugin::{Hotline, Settings, router};
use bantong_manifest::Manifest;
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
    let provided: BTreeSet<(String, String)> = Hotline::views()
        .iter()
        .map(|v| (v.id().to_owned(), v.kind().to_string()))
        .collect();
    assert_eq!(declared, provided);
    Ok(())
}

#[test]
fn only_the_catalogue_is_public_and_it_only_reads() -> Result<(), String> {
    let public: Vec<(String, String)> = manifest()?
        .routes
        .iter()
        .filter(|r| r.public)
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(public, [("GET".to_owned(), "/categories".to_owned())]);
    Ok(())
}

#[test]
fn config_defaults_resolve_and_the_schema_refuses_nonsense() -> Result<(), String> {
    let m = manifest()?;
    let defaults: Settings =
        serde_json::from_value(m.config_defaults()).map_err(|e| e.to_string())?;
    assert_eq!(defaults.seats.len(), 6);
    assert_eq!(defaults.repeat_window_days, 7);
    let schema = m
        .config_schema()
        .map_err(|e| e.to_string())?
        .ok_or("no schema")?;
    for bad in [
        serde_json::json!({ "repeat_window_days": -1 }),
        serde_json::json!({ "on_dissatisfied": "ignore" }),
        serde_json::json!({ "kpi": { "answer_within_s": 0 } }),
        serde_json::json!({ "calendar": { "holidays": ["2025/10/01"] } }),
        serde_json::json!({ "seats": [] }),
        serde_json::json!({ "colour": "red" }),
    ] {
        assert!(schema.validate(&bad).is_err(), "{bad} should be refused");
    }
    assert!(
        schema
            .validate(&serde_json::json!({ "kpi": { "answer_within_s": 20 }, "calendar": { "holidays": ["2026-01-01"] } }))
            .is_ok()
    );
    Ok(())
}
