//! The district's service catalogue (事项库) as data the district keeps.
//!
//! A district administrator publishes a new version by importing the
//! spreadsheet (`POST /api/catalogue/import`, the `.xlsx` that
//! `GET /api/catalogue/export.xlsx` gives) or by sending JSON
//! (`PUT /api/catalogue`). Either way the whole catalogue is checked
//! (`bantong_hall_kit::catalogue`) and refused with every problem named —
//! the sheet, the Excel row number and the column — storing nothing; a
//! publish names the version it started from, so two administrators
//! cannot overwrite each other unawares. Every version is kept and audited.
//!
//! Module plugins read the current version through the WIT `catalogue`
//! interface ([`Cache`]); hall agents get it on their retained
//! `down/catalogue` topic and keep it on disk.

use std::sync::{Arc, Mutex};

use bantong_hall_kit::catalogue::sheet::{self, SheetProblem};
use bantong_hall_kit::catalogue::{Catalogue, Counts, Item};
use bantong_store::{CatalogueVersion, NewCatalogueVersion, Store};
use serde_json::{Value, json};

use crate::identity::{Identity, Principal};

/// The largest spreadsheet an import accepts.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// Longest note on a version, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// Why publishing was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("this needs the district-admin role")]
    Forbidden,
    /// The workbook could not be read at all.
    #[error("{0}")]
    Unreadable(String),
    /// Rows or fields are wrong; nothing was stored.
    #[error("事项库有 {} 处错误，未导入 / the catalogue has {} problems; nothing was stored", .0.len(), .0.len())]
    Problems(Vec<SheetProblem>),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(bantong_store::Error),
    #[error("audit: {0}")]
    Audit(String),
}

impl From<bantong_store::Error> for PublishError {
    fn from(e: bantong_store::Error) -> Self {
        match e {
            bantong_store::Error::Conflict(m) => PublishError::Conflict(m),
            other => PublishError::Store(other),
        }
    }
}

/// Reads an uploaded workbook into a catalogue, or every problem (a file
/// that is no workbook, or has no 事项 sheet, is one problem at row 0).
pub fn from_workbook(bytes: &[u8]) -> Result<Catalogue, PublishError> {
    bantong_hall_kit::catalogue::workbook::catalogue(bytes).map_err(|problems| {
        match problems.as_slice() {
            [one] if one.row == 0 && one.sheet.is_empty() => {
                PublishError::Unreadable(one.message.clone())
            }
            _ => PublishError::Problems(problems),
        }
    })
}

/// A catalogue's items by code.
fn by_code(c: &Catalogue) -> std::collections::HashMap<&str, &Item> {
    c.items.iter().map(|i| (i.code.as_str(), i)).collect()
}

/// What changed between two catalogues, by item code.
fn changes(before: Option<&Catalogue>, after: &Catalogue) -> Value {
    let empty = Catalogue::default();
    let before = before.unwrap_or(&empty);
    // By code, so a 5,000-item catalogue is compared in one pass each way.
    let (old, new) = (by_code(before), by_code(after));
    let added: Vec<&str> = after
        .items
        .iter()
        .filter(|i| !old.contains_key(i.code.as_str()))
        .map(|i| i.code.as_str())
        .collect();
    let removed: Vec<&str> = before
        .items
        .iter()
        .filter(|i| !new.contains_key(i.code.as_str()))
        .map(|i| i.code.as_str())
        .collect();
    let changed: Vec<&str> = after
        .items
        .iter()
        .filter(|i| old.get(i.code.as_str()).is_some_and(|b| *b != *i))
        .map(|i| i.code.as_str())
        .collect();
    json!({
        "added": added,
        "removed": removed,
        "changed": changed,
        "categories_changed": before.categories != after.categories,
    })
}

/// The current catalogue and its version, parsed (`None`: none yet).
pub async fn current(
    store: &Store,
) -> Result<Option<(CatalogueVersion, Catalogue)>, bantong_store::Error> {
    match store.catalogue().get(None).await? {
        Some((info, body)) => Ok(Some((info, serde_json::from_str(&body)?))),
        None => Ok(None),
    }
}

/// One version, parsed.
pub async fn version(
    store: &Store,
    version: i64,
) -> Result<Option<(CatalogueVersion, Catalogue)>, bantong_store::Error> {
    match store.catalogue().get(Some(version)).await? {
        Some((info, body)) => Ok(Some((info, serde_json::from_str(&body)?))),
        None => Ok(None),
    }
}

/// A request to publish.
pub struct Publish<'a> {
    pub catalogue: Catalogue,
    pub note: &'a str,
    /// `import:<file name>` or `api`.
    pub source: String,
    /// The version the administrator started from (0: none).
    pub base: i64,
}

/// Checks and publishes a new version on behalf of a district
/// administrator, with an audit entry naming what changed.
pub async fn publish(
    store: &Store,
    identity: &Identity,
    actor: &Principal,
    request: Publish<'_>,
) -> Result<CatalogueVersion, PublishError> {
    if !actor.is_admin() {
        return Err(PublishError::Forbidden);
    }
    let note = request.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS || note.chars().any(char::is_control) {
        return Err(PublishError::Invalid(format!(
            "说明不能超过 {MAX_NOTE_CHARS} 个字符 / the note is at most {MAX_NOTE_CHARS} characters on one line"
        )));
    }
    let problems = request.catalogue.problems();
    if !problems.is_empty() {
        // JSON submissions: the same problems, placed by list index.
        return Err(PublishError::Invalid(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let before = current(store).await?;
    let body = serde_json::to_string(&request.catalogue).map_err(bantong_store::Error::from)?;
    if body.len() > bantong_fabric::msg::MAX_MESSAGE_BYTES - 1024 {
        return Err(PublishError::Invalid(format!(
            "事项库过大（{} 字节），无法下发到大厅 / the catalogue is {} bytes, too large to send to the halls",
            body.len(),
            body.len()
        )));
    }
    let now = crate::identity::now_ms();
    let published = store
        .catalogue()
        .publish(&NewCatalogueVersion {
            body: &body,
            items: request.catalogue.items.len() as i64,
            note,
            source: &request.source,
            published_at: now,
            published_by: &actor.user_id,
            base: (request.base > 0).then_some(request.base),
        })
        .await?;
    let entry = crate::identity::attributed(
        actor,
        "catalogue.publish",
        "catalogue",
        &published.version.to_string(),
        json!({
            "version": published.version,
            "items": published.items,
            "note": published.note,
            "source": published.source,
            "changes": changes(before.as_ref().map(|(_, c)| c), &request.catalogue),
        }),
        now,
    );
    identity
        .audit()
        .record(&entry)
        .await
        .map_err(|e| PublishError::Audit(e.to_string()))?;
    Ok(published)
}

/// The JSON a version is answered as: its metadata, counts, every window
/// category (the five first) and the items.
pub fn version_json(info: &CatalogueVersion, catalogue: &Catalogue) -> Value {
    let counts: Counts = catalogue.counts();
    json!({
        "id": info.version.to_string(),
        "version": info.version,
        "note": info.note,
        "source": info.source,
        "published_at": info.published_at,
        "published_by": info.published_by,
        "counts": counts,
        "categories": catalogue
            .all_categories()
            .map(|(id, name)| json!({"id": id, "name": name, "items": catalogue.items_in(id).count()}))
            .collect::<Vec<_>>(),
        "extra_categories": catalogue.categories,
        "items": catalogue
            .items
            .iter()
            .map(|i| {
                let mut j = json!(i);
                j["id"] = json!(i.code);
                j["category_name"] = json!(catalogue.category_name(&i.category).unwrap_or(&i.category));
                j
            })
            .collect::<Vec<_>>(),
    })
}

/// What [`version_json`] answers before anything is published.
pub fn empty_json() -> Value {
    let empty = Catalogue::default();
    json!({
        "version": null,
        "counts": empty.counts(),
        "categories": empty
            .all_categories()
            .map(|(id, name)| json!({"id": id, "name": name, "items": 0}))
            .collect::<Vec<_>>(),
        "extra_categories": [],
        "items": [],
    })
}

/// The workbook of a version: the importable `.xlsx`.
pub fn workbook(info: &CatalogueVersion, catalogue: &Catalogue) -> Result<Vec<u8>, String> {
    let (y, m, d) = bantong_hall_kit::time::local_date(info.published_at);
    let doc = sheet::document(
        catalogue,
        &format!("第 {} 版（{y}年{m}月{d}日发布）", info.version),
    );
    bantong_documents::xlsx::render(&doc).map_err(|e| e.to_string())
}

/// The catalogue as plugins read it: (version, published at, JSON body),
/// re-read only when the stored version changes.
#[derive(Debug, Default)]
pub struct Cache {
    held: Mutex<Option<(u64, i64, Arc<str>)>>,
}

impl Cache {
    /// The current version's number (one small query; the body is not
    /// read). A failed read answers none.
    pub async fn version(&self, store: &Store) -> Option<u64> {
        match store.catalogue().current_version().await {
            Ok(v) => u64::try_from(v?).ok(),
            Err(e) => {
                tracing::error!("reading the catalogue version: {e}");
                None
            }
        }
    }

    /// The current version for a plugin call. A failed read answers none,
    /// which a plugin shows as "no catalogue" rather than stale items.
    pub async fn current(&self, store: &Store) -> Option<(u64, i64, Arc<str>)> {
        let latest = self.version(store).await?;
        if let Ok(held) = self.held.lock()
            && let Some(h) = held.as_ref()
            && h.0 == latest
        {
            return Some(h.clone());
        }
        let fresh = match store.catalogue().get(None).await {
            Ok(Some((info, body))) => (
                u64::try_from(info.version).ok()?,
                info.published_at,
                Arc::<str>::from(body),
            ),
            Ok(None) => return None,
            Err(e) => {
                tracing::error!("reading the catalogue: {e}");
                return None;
            }
        };
        if let Ok(mut held) = self.held.lock() {
            *held = Some(fresh.clone());
        }
        Some(fresh)
    }
}
