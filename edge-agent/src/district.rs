//! District data the host sends every agent and the hall keeps on disk, so
//! that its plugins have it offline and across restarts: the service
//! catalogue (事项库), received on the retained `down/catalogue` topic and
//! answered to plugins' `catalogue.current`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use bantong_fabric::msg::CatalogueUpdate;

/// The catalogue as plugins read it: (version, published at, JSON body).
pub type Published = (u64, i64, Arc<str>);

/// The agent's copy of the district data; shared by every plugin host.
#[derive(Debug, Default)]
pub struct District {
    /// Where the copy is kept (`catalogue.json` in the data directory);
    /// `None` keeps it in memory only (tests).
    file: Option<PathBuf>,
    catalogue: RwLock<Option<Published>>,
}

impl District {
    /// The copy kept in `data_dir`, read at start; a missing or unreadable
    /// file means none yet (the host sends it again on connect).
    pub fn load(data_dir: &Path) -> District {
        let file = data_dir.join("catalogue.json");
        let catalogue = std::fs::read(&file)
            .ok()
            .and_then(|b| bantong_fabric::decode::<CatalogueUpdate>(&b).ok())
            .map(published);
        District {
            file: Some(file),
            catalogue: RwLock::new(catalogue),
        }
    }

    /// The current catalogue, if one has arrived.
    pub fn catalogue(&self) -> Option<Published> {
        self.catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes a catalogue from the host when it is newer than the copy
    /// held; stores it first (written to a temporary file and renamed).
    /// True when taken.
    pub fn offer(&self, update: &CatalogueUpdate) -> bool {
        let held = self.catalogue().map_or(0, |c| c.0);
        if update.version <= held {
            return false;
        }
        if let Some(file) = &self.file {
            let tmp = file.with_extension("json.tmp");
            let written = std::fs::write(&tmp, bantong_fabric::encode(update))
                .and_then(|_| std::fs::rename(&tmp, file));
            if let Err(e) = written {
                tracing::error!("storing catalogue version {}: {e}", update.version);
            }
        }
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) =
            Some(published(update.clone()));
        tracing::info!(version = update.version, "service catalogue received");
        true
    }
}

fn published(u: CatalogueUpdate) -> Published {
    (u.version, u.published_at, Arc::from(u.body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(version: u64) -> CatalogueUpdate {
        CatalogueUpdate {
            version,
            published_at: 1_700_000_000_000,
            body: json!({"items": [{"code": format!("v{version}")}]}),
        }
    }

    #[test]
    fn the_newest_version_is_kept_across_restarts() {
        let dir = tempfile::tempdir().expect("dir");
        let d = District::load(dir.path());
        assert!(d.catalogue().is_none());
        assert!(d.offer(&update(2)));
        assert!(!d.offer(&update(1)), "an older version is ignored");
        assert!(!d.offer(&update(2)), "the same version is not taken twice");
        let again = District::load(dir.path());
        let (version, _, body) = again.catalogue().expect("kept on disk");
        assert_eq!(version, 2);
        assert!(body.contains("v2"));
    }
}
