//! Blob visibility: content-addressed blobs are shared by content, so who
//! may read one is recorded per reference — the owner (a plugin, or `portal`
//! for uploads by people) and the hall it belongs to.

use crate::blobs::BlobRef;
use crate::db::Store;
use crate::error::Result;
use crate::scope::HallScope;
use crate::sql::{self, Sql};

/// Owner recorded for blobs uploaded by people through the HTTP API.
pub const PORTAL_OWNER: &str = "portal";

impl Store {
    /// Stores a blob (checked like [`Store::put_blob`]) and records that
    /// `owner` holds it for `hall` (`None`: district-level).
    pub async fn put_blob_for(
        &self,
        bytes: &[u8],
        content_type: &str,
        owner: &str,
        hall: Option<&str>,
        created_by: &str,
    ) -> Result<BlobRef> {
        let blob = self.put_blob(bytes, content_type).await?;
        let mut q = Sql::new(
            "INSERT INTO blob_refs (sha256, owner, hall, created_by, created_at) VALUES (",
        );
        q.bind(blob.sha256.as_str())
            .push(", ")
            .bind(owner)
            .push(", ");
        q.bind(hall.map(str::to_owned))
            .push(", ")
            .bind(created_by)
            .push(", ")
            .bind(sql::now_ms());
        q.push(") ON CONFLICT DO NOTHING");
        sql::execute(self.pool(), &q).await?;
        Ok(blob)
    }

    /// Whether a reader may see blob `sha256`: some reference to it lies in
    /// `halls` (district-level references are visible to everyone) and, when
    /// `owners` is given, belongs to one of those owners.
    pub async fn blob_visible(
        &self,
        sha256: &str,
        owners: Option<&[&str]>,
        halls: &HallScope,
    ) -> Result<bool> {
        let mut q = Sql::new("SELECT 1 FROM blob_refs WHERE sha256 = ");
        q.bind(sha256);
        if let Some(owners) = owners {
            if owners.is_empty() {
                return Ok(false);
            }
            q.push(" AND owner IN (");
            for (i, o) in owners.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(*o);
            }
            q.push(")");
        }
        halls.push_read_filter(&mut q, None);
        q.push(" LIMIT 1");
        Ok(sql::fetch_optional(self.pool(), &q).await?.is_some())
    }
}
