//! The plugin registry the host keeps: installed plugins, their versions
//! (manifest, signature, artefact blob) and per-hall configuration.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRecord {
    pub id: String,
    pub active_version: Option<String>,
    pub enabled: bool,
    /// When the host quarantined the plugin (ms), if it did.
    pub quarantined_at: Option<i64>,
    pub updated_at: i64,
}

/// One installed version of a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginVersion {
    pub plugin_id: String,
    pub version: String,
    pub digest: String,
    pub manifest_toml: String,
    pub signature: Option<String>,
    pub key_id: Option<String>,
    /// SHA-256 of the artefact blob.
    pub artefact_sha256: String,
    pub installed_at: i64,
    pub installed_by: String,
}

/// Configuration of a plugin for one hall (`hall: None` = district).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginConfig {
    pub plugin_id: String,
    pub hall: Option<String>,
    pub config: Value,
    pub updated_at: i64,
    pub updated_by: String,
}

/// Typed access to the registry tables; see [`Store::registry`].
#[derive(Debug, Clone, Copy)]
pub struct Registry<'a> {
    store: &'a Store,
}

const PLUGIN_COLS: &str = "id, active_version, enabled, quarantined_at, updated_at";
const VERSION_COLS: &str = "plugin_id, version, digest, manifest_toml, signature, key_id, artefact_sha256, installed_at, installed_by";
const CONFIG_COLS: &str = "plugin_id, hall, config, updated_at, updated_by";

fn plugin_from_row(r: &AnyRow) -> Result<PluginRecord> {
    Ok(PluginRecord {
        id: values::text(r, "id")?,
        active_version: values::opt_text(r, "active_version")?,
        enabled: values::int(r, "enabled")? != 0,
        quarantined_at: values::opt_int(r, "quarantined_at")?,
        updated_at: values::int(r, "updated_at")?,
    })
}

fn version_from_row(r: &AnyRow) -> Result<PluginVersion> {
    Ok(PluginVersion {
        plugin_id: values::text(r, "plugin_id")?,
        version: values::text(r, "version")?,
        digest: values::text(r, "digest")?,
        manifest_toml: values::text(r, "manifest_toml")?,
        signature: values::opt_text(r, "signature")?,
        key_id: values::opt_text(r, "key_id")?,
        artefact_sha256: values::text(r, "artefact_sha256")?,
        installed_at: values::int(r, "installed_at")?,
        installed_by: values::text(r, "installed_by")?,
    })
}

fn config_from_row(r: &AnyRow) -> Result<PluginConfig> {
    let hall = values::text(r, "hall")?;
    Ok(PluginConfig {
        plugin_id: values::text(r, "plugin_id")?,
        hall: (!hall.is_empty()).then_some(hall),
        config: values::json(r, "config")?,
        updated_at: values::int(r, "updated_at")?,
        updated_by: values::text(r, "updated_by")?,
    })
}

impl Store {
    /// The plugin registry.
    pub fn registry(&self) -> Registry<'_> {
        Registry { store: self }
    }
}

impl Registry<'_> {
    async fn changed(&self, q: &Sql, what: &str) -> Result<()> {
        if sql::execute(self.store.pool(), q).await? == 0 {
            Err(Error::NotFound(what.to_owned()))
        } else {
            Ok(())
        }
    }

    /// Inserts a plugin or replaces its row.
    pub async fn upsert_plugin(&self, p: &PluginRecord) -> Result<()> {
        sql::check_plugin_id(&p.id)?;
        let mut q = Sql::new(format!("INSERT INTO plugins ({PLUGIN_COLS}) VALUES ("));
        q.bind(p.id.as_str())
            .push(", ")
            .bind(p.active_version.clone())
            .push(", ")
            .bind(i64::from(p.enabled));
        q.push(", ")
            .bind(p.quarantined_at)
            .push(", ")
            .bind(p.updated_at);
        q.push(
            ") ON CONFLICT (id) DO UPDATE SET active_version = excluded.active_version, \
             enabled = excluded.enabled, quarantined_at = excluded.quarantined_at, updated_at = excluded.updated_at",
        );
        sql::execute(self.store.pool(), &q).await?;
        Ok(())
    }

    pub async fn get_plugin(&self, id: &str) -> Result<Option<PluginRecord>> {
        let mut q = Sql::new(format!("SELECT {PLUGIN_COLS} FROM plugins WHERE id = "));
        q.bind(id);
        sql::fetch_optional(self.store.pool(), &q)
            .await?
            .as_ref()
            .map(plugin_from_row)
            .transpose()
    }

    /// Every plugin, ordered by id.
    pub async fn list_plugins(&self) -> Result<Vec<PluginRecord>> {
        let q = Sql::new(format!("SELECT {PLUGIN_COLS} FROM plugins ORDER BY id"));
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(plugin_from_row)
            .collect()
    }

    pub async fn set_enabled(&self, id: &str, enabled: bool) -> Result<()> {
        let mut q = Sql::new("UPDATE plugins SET enabled = ");
        q.bind(i64::from(enabled))
            .push(", updated_at = ")
            .bind(sql::now_ms())
            .push(" WHERE id = ")
            .bind(id);
        self.changed(&q, &format!("plugin {id:?}")).await
    }

    /// Makes an installed version the active one.
    pub async fn set_active_version(&self, id: &str, version: &str) -> Result<()> {
        if self.get_version(id, version).await?.is_none() {
            return Err(Error::NotFound(format!(
                "version {version:?} of plugin {id:?}"
            )));
        }
        let mut q = Sql::new("UPDATE plugins SET active_version = ");
        q.bind(version)
            .push(", updated_at = ")
            .bind(sql::now_ms())
            .push(" WHERE id = ")
            .bind(id);
        self.changed(&q, &format!("plugin {id:?}")).await
    }

    /// Quarantines (`true`: records now and disables) or releases a plugin.
    pub async fn set_quarantined(&self, id: &str, quarantined: bool) -> Result<()> {
        let now = sql::now_ms();
        let mut q = Sql::new("UPDATE plugins SET quarantined_at = ");
        if quarantined {
            q.bind(now).push(", enabled = 0");
        } else {
            q.push("NULL");
        }
        q.push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        self.changed(&q, &format!("plugin {id:?}")).await
    }

    /// Removes a plugin with its versions and configuration. Its documents
    /// and blobs stay. Returns whether it existed.
    pub async fn remove_plugin(&self, id: &str) -> Result<bool> {
        let mut tx = self.store.begin_write().await?;
        for table in ["plugin_versions", "plugin_config"] {
            let mut q = Sql::new(format!("DELETE FROM {table} WHERE plugin_id = "));
            q.bind(id);
            sql::execute(&mut *tx, &q).await?;
        }
        let mut q = Sql::new("DELETE FROM plugins WHERE id = ");
        q.bind(id);
        let n = sql::execute(&mut *tx, &q).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Records an installed version; the plugin row must exist. Installing
    /// the same version twice is a conflict.
    pub async fn add_version(&self, v: &PluginVersion) -> Result<()> {
        if self.get_plugin(&v.plugin_id).await?.is_none() {
            return Err(Error::NotFound(format!("plugin {:?}", v.plugin_id)));
        }
        let mut q = Sql::new(format!(
            "INSERT INTO plugin_versions ({VERSION_COLS}) VALUES ("
        ));
        q.bind(v.plugin_id.as_str())
            .push(", ")
            .bind(v.version.as_str())
            .push(", ")
            .bind(v.digest.as_str());
        q.push(", ")
            .bind(v.manifest_toml.as_str())
            .push(", ")
            .bind(v.signature.clone());
        q.push(", ")
            .bind(v.key_id.clone())
            .push(", ")
            .bind(v.artefact_sha256.as_str());
        q.push(", ")
            .bind(v.installed_at)
            .push(", ")
            .bind(v.installed_by.as_str());
        q.push(") ON CONFLICT DO NOTHING");
        if sql::execute(self.store.pool(), &q).await? == 0 {
            return Err(Error::Conflict(format!(
                "version {:?} of {:?} is already installed",
                v.version, v.plugin_id
            )));
        }
        Ok(())
    }

    pub async fn get_version(&self, id: &str, version: &str) -> Result<Option<PluginVersion>> {
        let mut q = Sql::new(format!(
            "SELECT {VERSION_COLS} FROM plugin_versions WHERE plugin_id = "
        ));
        q.bind(id).push(" AND version = ").bind(version);
        sql::fetch_optional(self.store.pool(), &q)
            .await?
            .as_ref()
            .map(version_from_row)
            .transpose()
    }

    /// Installed versions of a plugin, oldest installation first.
    pub async fn list_versions(&self, id: &str) -> Result<Vec<PluginVersion>> {
        let mut q = Sql::new(format!(
            "SELECT {VERSION_COLS} FROM plugin_versions WHERE plugin_id = "
        ));
        q.bind(id).push(" ORDER BY installed_at, version");
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(version_from_row)
            .collect()
    }

    pub async fn remove_version(&self, id: &str, version: &str) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM plugin_versions WHERE plugin_id = ");
        q.bind(id).push(" AND version = ").bind(version);
        Ok(sql::execute(self.store.pool(), &q).await? > 0)
    }

    /// The stored config of a plugin for a hall (`None` = district).
    pub async fn get_config(&self, id: &str, hall: Option<&str>) -> Result<Option<PluginConfig>> {
        let mut q = Sql::new(format!(
            "SELECT {CONFIG_COLS} FROM plugin_config WHERE plugin_id = "
        ));
        q.bind(id)
            .push(" AND hall = ")
            .bind(hall.unwrap_or_default());
        sql::fetch_optional(self.store.pool(), &q)
            .await?
            .as_ref()
            .map(config_from_row)
            .transpose()
    }

    /// Stores (replacing) a plugin's config for a hall. Validation against
    /// the manifest's schema is the caller's job.
    pub async fn set_config(
        &self,
        id: &str,
        hall: Option<&str>,
        config: &Value,
        by: &str,
    ) -> Result<()> {
        sql::check_plugin_id(id)?;
        if hall == Some("") {
            return Err(Error::invalid(
                "a hall id cannot be empty; use None for district config",
            ));
        }
        let mut q = Sql::new(format!(
            "INSERT INTO plugin_config ({CONFIG_COLS}) VALUES ("
        ));
        q.bind(id)
            .push(", ")
            .bind(hall.unwrap_or_default())
            .push(", ")
            .bind(serde_json::to_string(config)?);
        q.push(", ").bind(sql::now_ms()).push(", ").bind(by);
        q.push(
            ") ON CONFLICT (plugin_id, hall) DO UPDATE SET config = excluded.config, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        );
        sql::execute(self.store.pool(), &q).await?;
        Ok(())
    }

    /// Every stored config of a plugin, district first, then by hall.
    pub async fn list_config(&self, id: &str) -> Result<Vec<PluginConfig>> {
        let mut q = Sql::new(format!(
            "SELECT {CONFIG_COLS} FROM plugin_config WHERE plugin_id = "
        ));
        q.bind(id).push(" ORDER BY hall");
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(config_from_row)
            .collect()
    }

    pub async fn delete_config(&self, id: &str, hall: Option<&str>) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM plugin_config WHERE plugin_id = ");
        q.bind(id)
            .push(" AND hall = ")
            .bind(hall.unwrap_or_default());
        Ok(sql::execute(self.store.pool(), &q).await? > 0)
    }
}
