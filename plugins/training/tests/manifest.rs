//! `manifest.toml` parses with the host's parser and agrees with the code:
//! the same routes, views and collections, and config defaults that resolve
//! to the built-in settings.

use std::collections::BTreeSet;

use bantong_manifest::Manifest;
use bantong_sdk::Plugin;
use bantong_training::plugin::{Settings, Training, router};

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
    let provided: BTreeSet<(String, String)> = Training::views()
        .iter()
        .map(|v| (v.id().to_owned(), v.kind().to_string()))
        .collect();
    assert_eq!(declared, provided);
    Ok(())
}

#[test]
fn nothing_is_public_and_staff_routes_are_the_callers_own() -> Result<(), String> {
    let m = manifest()?;
    assert!(m.routes.iter().all(|r| !r.public));
    // Routes without roles are under /my/ (narrowed to the caller by the
    // plugin), the materials list every learner reads, or signing in to a
    // class (which checks the caller is on its roster).
    let open: Vec<String> = m
        .routes
        .iter()
        .filter(|r| r.roles.is_empty() && !r.module_read)
        .map(|r| r.path.clone())
        .collect();
    assert!(
        open.iter()
            .all(|p| p.starts_with("/my/") || p == "/materials" || p == "/classes/{id}/sign-in"),
        "{open:?}"
    );
    Ok(())
}

#[test]
fn config_defaults_resolve_and_the_schema_refuses_nonsense() -> Result<(), String> {
    let m = manifest()?;
    let defaults: Settings =
        serde_json::from_value(m.config_defaults()).map_err(|e| e.to_string())?;
    assert_eq!(defaults, Settings::default());
    let schema = m
        .config_schema()
        .map_err(|e| e.to_string())?
        .ok_or("no schema")?;
    for bad in [
        serde_json::json!({ "pass": 0 }),
        serde_json::json!({ "gap_percent": 101 }),
        serde_json::json!({ "staff_roles": ["leader"] }),
        serde_json::json!({ "colour": "red" }),
    ] {
        assert!(schema.validate(&bad).is_err(), "{bad} should be refused");
    }
    let good = serde_json::json!({ "pass": 70, "staff_roles": ["window-staff", "door-service"] });
    assert!(schema.validate(&good).is_ok());
    let s: Settings = serde_json::from_value(good).map_err(|e| e.to_string())?;
    assert_eq!((s.pass, s.staff_roles.len()), (70, 2));
    Ok(())
}
