//! Content-addressed blobs: files named by their SHA-256 under the blob
//! directory (`ab/cdef…`), written to a temporary file, fsync'd and renamed
//! into place, with one `blobs` row each. Content is checked against the
//! declared media type before it is stored, and hashed again when read.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
}

/// `image/png; charset=x` → `image/png`.
fn media_type(declared: &str) -> String {
    declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Checks that `bytes` really are of media type `ty`. Types without a check
/// are refused, except `application/octet-stream`, which means "any bytes".
pub(crate) fn check_content(ty: &str, bytes: &[u8]) -> Result<()> {
    let ok = match ty {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "image/webp" => bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "application/wasm" => bytes.starts_with(b"\0asm"),
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
        }
        "text/plain" | "text/csv" | "text/markdown" => std::str::from_utf8(bytes).is_ok(),
        "application/json" => serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok(),
        "application/octet-stream" => true,
        other => {
            return Err(Error::invalid(format!(
                "no content check exists for media type {other:?}"
            )));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("content does not look like {ty}")))
    }
}

/// Validates a hex SHA-256 string.
pub(crate) fn check_sha(sha: &str) -> Result<()> {
    if sha.len() == 64
        && sha
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "not a lowercase hex SHA-256: {sha:?}"
        )))
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `<dir>/ab/cdef…` for a validated hash.
pub(crate) fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(&sha[2..])
}

/// Writes `bytes` to `dest` atomically: temp file in the same directory,
/// fsync, rename, fsync of the directory. Does nothing if `dest` already
/// holds exactly these bytes (a damaged file is replaced).
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if dest.exists() && std::fs::read(dest)? == bytes {
        return Ok(());
    }
    let dir = dest
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Makes a rename durable where the platform allows it.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Largest plugin package accepted by [`Store::put_artefact`].
pub const MAX_ARTEFACT_BYTES: usize = 64 * 1024 * 1024;
/// Media type recorded for plugin packages.
pub const ARTEFACT_TYPE: &str = "application/vnd.bantong.plugin";

fn blob_from_row(row: &sqlx::any::AnyRow) -> Result<BlobRef> {
    Ok(BlobRef {
        sha256: values::text(row, "sha256")?,
        size: values::unsigned(values::int(row, "size")?, "size")?,
        content_type: values::text(row, "content_type")?,
    })
}

impl Store {
    /// Stores a blob after checking its size, its declared type against the
    /// allowed list and its content against the type. Storing the same bytes
    /// again returns the existing record (with its first content type).
    pub async fn put_blob(&self, bytes: &[u8], declared_content_type: &str) -> Result<BlobRef> {
        let config = self.config();
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size > config.max_blob_bytes {
            return Err(Error::TooLarge(format!(
                "blob of {size} bytes (limit {})",
                config.max_blob_bytes
            )));
        }
        let ty = media_type(declared_content_type);
        if !config.blob_types.iter().any(|t| media_type(t) == ty) {
            return Err(Error::invalid(format!("media type {ty:?} is not accepted")));
        }
        check_content(&ty, bytes)?;
        self.write_blob(bytes, ty).await
    }

    /// Stores a plugin package (`.btpkg`) as a blob. Packages are verified by
    /// the plugin manager, not by media type, so the user-facing type list
    /// does not apply; the size is bounded by [`MAX_ARTEFACT_BYTES`].
    pub async fn put_artefact(&self, bytes: &[u8]) -> Result<BlobRef> {
        if bytes.len() > MAX_ARTEFACT_BYTES {
            return Err(Error::TooLarge(format!(
                "plugin package of {} bytes (limit {MAX_ARTEFACT_BYTES})",
                bytes.len()
            )));
        }
        self.write_blob(bytes, ARTEFACT_TYPE.to_owned()).await
    }

    /// Writes checked content and records it.
    async fn write_blob(&self, bytes: &[u8], ty: String) -> Result<BlobRef> {
        let config = self.config();
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let sha = sha256_hex(bytes);
        let path = blob_path(&config.blob_dir, &sha);
        let data = bytes.to_vec();
        tokio::task::spawn_blocking(move || write_atomic(&path, &data)).await??;

        let mut q = Sql::new("INSERT INTO blobs (sha256, size, content_type, created_at) VALUES (");
        q.bind(sha.as_str())
            .push(", ")
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .push(", ");
        q.bind(ty)
            .push(", ")
            .bind(sql::now_ms())
            .push(") ON CONFLICT DO NOTHING");
        sql::execute(self.pool(), &q).await?;
        self.blob_ref(&sha)
            .await?
            .ok_or_else(|| Error::NotFound(format!("blob {sha} vanished")))
    }

    /// The record of a blob, without reading its content.
    pub async fn blob_ref(&self, sha256: &str) -> Result<Option<BlobRef>> {
        check_sha(sha256)?;
        let mut q = Sql::new("SELECT sha256, size, content_type FROM blobs WHERE sha256 = ");
        q.bind(sha256);
        sql::fetch_optional(self.pool(), &q)
            .await?
            .as_ref()
            .map(blob_from_row)
            .transpose()
    }

    /// Reads a blob and verifies its hash; a mismatch or a missing file is
    /// [`Error::Corrupt`].
    pub async fn get_blob(&self, sha256: &str) -> Result<Option<(BlobRef, Vec<u8>)>> {
        let Some(blob) = self.blob_ref(sha256).await? else {
            return Ok(None);
        };
        let path = blob_path(&self.config().blob_dir, sha256);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Corrupt(format!(
                    "blob {sha256} is recorded but its file is missing"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&bytes) != sha256 {
            return Err(Error::Corrupt(format!(
                "blob {sha256} does not match its hash"
            )));
        }
        Ok(Some((blob, bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert!(check_content("image/png", b"\x89PNG\r\n\x1a\nrest").is_ok());
        assert!(check_content("image/png", b"GIF89a").is_err());
        assert!(check_content("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]).is_ok());
        assert!(check_content("image/webp", b"RIFF\0\0\0\0WEBPVP8 ").is_ok());
        assert!(check_content("image/webp", b"RIFF\0\0\0\0WAVE").is_err());
        assert!(check_content("application/pdf", b"%PDF-1.7").is_ok());
        assert!(check_content("text/plain", &[0xFF, 0xFE]).is_err());
        assert!(check_content("application/json", b"{\"a\":1}").is_ok());
        assert!(check_content("application/json", b"{\"a\":").is_err());
        assert!(check_content("video/x-unknown", b"").is_err());
    }

    #[test]
    fn hashes_and_paths() {
        let sha = sha256_hex(b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_sha(&sha).is_ok());
        assert!(check_sha("../../etc/passwd").is_err());
        assert!(check_sha(&sha.to_uppercase()).is_err());
        assert_eq!(
            blob_path(Path::new("/b"), &sha),
            Path::new("/b/ba").join(&sha[2..])
        );
        assert_eq!(media_type("Text/Plain; charset=utf-8"), "text/plain");
    }

    #[test]
    fn atomic_write_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ab").join("cd");
        write_atomic(&dest, b"one").unwrap();
        write_atomic(&dest, b"one").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"one");
        std::fs::write(&dest, b"damaged").unwrap();
        write_atomic(&dest, b"one").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"one");
        let leftovers = std::fs::read_dir(dir.path().join("ab")).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
