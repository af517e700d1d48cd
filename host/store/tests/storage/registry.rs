//! The plugin registry tables.

use bantong_store::{Error, PluginRecord, PluginVersion};
use serde_json::json;

use crate::both;
use crate::common::{Backend, TestDb};

both!(plugins_versions_and_config);

fn version(plugin: &str, v: &str, at: i64) -> PluginVersion {
    PluginVersion {
        plugin_id: plugin.into(),
        version: v.into(),
        digest: format!("sha256:{v}"),
        manifest_toml: format!("id = \"{plugin}\"\nversion = \"{v}\"\n"),
        signature: (v != "0.1.0").then(|| "sig".to_owned()),
        key_id: None,
        artefact_sha256: "ab".repeat(32),
        installed_at: at,
        installed_by: "admin".into(),
    }
}

async fn plugins_versions_and_config(backend: Backend) {
    let db = TestDb::new(backend).await;
    let reg = db.store.registry();
    let rec = PluginRecord {
        id: "acme.visitors".into(),
        active_version: None,
        enabled: false,
        quarantined_at: None,
        updated_at: 1,
    };
    reg.upsert_plugin(&rec).await.unwrap();
    reg.upsert_plugin(&PluginRecord {
        id: "zeta".into(),
        ..rec.clone()
    })
    .await
    .unwrap();
    assert_eq!(reg.get_plugin("acme.visitors").await.unwrap().unwrap(), rec);
    assert!(reg.get_plugin("missing").await.unwrap().is_none());

    reg.add_version(&version("acme.visitors", "0.1.0", 10))
        .await
        .unwrap();
    reg.add_version(&version("acme.visitors", "0.2.0", 20))
        .await
        .unwrap();
    assert!(matches!(
        reg.add_version(&version("acme.visitors", "0.2.0", 30))
            .await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        reg.add_version(&version("ghost", "1.0.0", 1)).await,
        Err(Error::NotFound(_))
    ));
    let versions = reg.list_versions("acme.visitors").await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>(),
        vec!["0.1.0", "0.2.0"]
    );
    assert_eq!(
        reg.get_version("acme.visitors", "0.2.0")
            .await
            .unwrap()
            .unwrap(),
        version("acme.visitors", "0.2.0", 20)
    );

    reg.set_active_version("acme.visitors", "0.2.0")
        .await
        .unwrap();
    assert!(matches!(
        reg.set_active_version("acme.visitors", "9.9.9").await,
        Err(Error::NotFound(_))
    ));
    reg.set_enabled("acme.visitors", true).await.unwrap();
    assert!(matches!(
        reg.set_enabled("ghost", true).await,
        Err(Error::NotFound(_))
    ));
    let p = reg.get_plugin("acme.visitors").await.unwrap().unwrap();
    assert_eq!(
        (p.active_version.as_deref(), p.enabled, p.quarantined_at),
        (Some("0.2.0"), true, None)
    );

    reg.set_quarantined("acme.visitors", true).await.unwrap();
    let p = reg.get_plugin("acme.visitors").await.unwrap().unwrap();
    assert!(
        p.quarantined_at.is_some() && !p.enabled,
        "quarantine disables"
    );
    reg.set_quarantined("acme.visitors", false).await.unwrap();
    assert!(
        reg.get_plugin("acme.visitors")
            .await
            .unwrap()
            .unwrap()
            .quarantined_at
            .is_none()
    );
    let ids: Vec<String> = reg
        .list_plugins()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec!["acme.visitors", "zeta"]);

    reg.set_config("acme.visitors", None, &json!({"greeting": "hi"}), "admin")
        .await
        .unwrap();
    reg.set_config(
        "acme.visitors",
        Some("hall-2"),
        &json!({"greeting": "你好"}),
        "admin",
    )
    .await
    .unwrap();
    reg.set_config(
        "acme.visitors",
        Some("hall-2"),
        &json!({"greeting": "hello"}),
        "ops",
    )
    .await
    .unwrap();
    assert!(matches!(
        reg.set_config("acme.visitors", Some(""), &json!({}), "x")
            .await,
        Err(Error::Invalid(_))
    ));
    let district = reg
        .get_config("acme.visitors", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (district.hall, district.config),
        (None, json!({"greeting": "hi"}))
    );
    let hall = reg
        .get_config("acme.visitors", Some("hall-2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (hall.config, hall.updated_by.as_str()),
        (json!({"greeting": "hello"}), "ops")
    );
    let all = reg.list_config("acme.visitors").await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.hall.clone()).collect::<Vec<_>>(),
        vec![None, Some("hall-2".to_owned())]
    );
    assert!(
        reg.delete_config("acme.visitors", Some("hall-2"))
            .await
            .unwrap()
    );
    assert!(
        !reg.delete_config("acme.visitors", Some("hall-2"))
            .await
            .unwrap()
    );

    assert!(reg.remove_version("acme.visitors", "0.1.0").await.unwrap());
    assert!(reg.remove_plugin("acme.visitors").await.unwrap());
    assert!(!reg.remove_plugin("acme.visitors").await.unwrap());
    assert!(reg.list_versions("acme.visitors").await.unwrap().is_empty());
    assert!(reg.list_config("acme.visitors").await.unwrap().is_empty());
}
