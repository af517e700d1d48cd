//! `manifest.toml` parses with the host's parser and agrees with the code:
//! the same routes, views and collections, and config defaults that resolve
//! to the built-in settings.

use std::collections::BTreeSet;

use bantong_manifest::Manifest;
use bantong_sdk::Plugin;
use bantong_supervision::plugin::{Settings, Supervision, router};

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
    let provided: BTreeSet<(String, String)> = Supervision::views()
        .iter()
        .map(|v| (v.id().to_owned(), v.kind().to_string()))
        .collect();
    assert_eq!(declared, provided);
    Ok(())
}

#[test]
fn only_the_survey_form_is_public_and_it_is_rate_limited() -> Result<(), String> {
    let public: Vec<(String, String, Option<u32>)> = manifest()?
        .routes
        .iter()
        .filter(|r| r.public)
        .map(|r| (r.method.to_string(), r.path.clone(), r.per_minute))
        .collect();
    assert_eq!(
        public,
        [
            ("GET".to_owned(), "/public/survey".to_owned(), Some(60)),
            ("POST".to_owned(), "/public/survey".to_owned(), Some(10)),
        ]
    );
    Ok(())
}

#[test]
fn config_defaults_resolve_and_the_schema_refuses_nonsense() -> Result<(), String> {
    let m = manifest()?;
    let defaults: Settings =
        serde_json::from_value(m.config_defaults()).map_err(|e| e.to_string())?;
    assert_eq!(defaults.escalate_every_working_days, 3);
    assert_eq!((defaults.verify_days, defaults.rectify_days), (5, 15));
    assert!(defaults.survey_basic_counts);
    assert_eq!((defaults.survey_weight, defaults.phone_quota), (0, 10));
    let schema = m
        .config_schema()
        .map_err(|e| e.to_string())?
        .ok_or("no schema")?;
    for bad in [
        serde_json::json!({ "recurrence_window": 0 }),
        serde_json::json!({ "deadline": { "mode": "whenever" } }),
        serde_json::json!({ "deadline": { "mode": "working_days", "days": 0 } }),
        serde_json::json!({ "calendar": { "holidays": ["2026/10/01"] } }),
        serde_json::json!({ "colour": "red" }),
        serde_json::json!({ "survey_weight": 60 }),
    ] {
        assert!(schema.validate(&bad).is_err(), "{bad} should be refused");
    }
    let good =
        serde_json::json!({ "deadline": { "mode": "working_days", "days": 10 }, "verify_days": 3 });
    assert!(schema.validate(&good).is_ok());
    let s: Settings = serde_json::from_value(good).map_err(|e| e.to_string())?;
    assert_eq!(s.verify_days, 3);
    Ok(())
}
