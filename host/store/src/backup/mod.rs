//! Backup and restore of a whole installation as one portable tar archive:
//!
//! ```text
//! manifest.json            format, source dialect, migrations, tables in order, counts
//! tables/<table>.jsonl     one JSON object per row ({"column": value}), in table order
//! blobs/ab/cdef…           every blob file, named by its SHA-256
//! ```
//!
//! Integers stay JSON integers, text stays strings, NULL is null, JSON
//! columns are carried as their JSON text and binary columns as
//! `{"$hex": "…"}`. The archive restores into an empty installation of
//! either dialect.

mod catalog;
mod restore;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;

use crate::blobs;
use crate::db::{Dialect, Store};
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

use catalog::Kind;

/// The `format` field of every manifest.
const FORMAT: &str = "bantong-backup";
/// Bumped when the archive layout changes incompatibly.
const FORMAT_VERSION: u32 = 1;
/// Rows read per round trip while dumping.
const PAGE: i64 = 500;

/// What an archive holds, stored as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupManifest {
    pub format: String,
    pub format_version: u32,
    pub created_at: i64,
    /// `sqlite` or `postgres`.
    pub dialect: String,
    /// Applied migration versions of the source (metadata only).
    pub migrations: Vec<i64>,
    /// Tables in dependency order.
    pub tables: Vec<TableSummary>,
    pub blobs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    }
}

fn table_entry(name: &str) -> String {
    format!("tables/{name}.jsonl")
}

fn blob_entry(sha: &str) -> String {
    format!("blobs/{}/{}", &sha[..2], &sha[2..])
}

/// The SELECT list that reads a table through the Any driver: JSON and
/// other PostgreSQL types the driver cannot decode are read as text. On
/// SQLite each column is read as `+col` (a no-op on every value) so that
/// declared types the driver rejects (BOOLEAN, DATETIME, ...) do not matter.
fn select_list(dialect: Dialect, table: &catalog::Table) -> Result<String> {
    let mut cols = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        let q = sql::ident(&c.name)?;
        cols.push(match (&c.kind, dialect) {
            (Kind::Json | Kind::Other(_), Dialect::Postgres) => format!("{q}::text AS {q}"),
            (_, Dialect::Sqlite) => format!("+{q} AS {q}"),
            _ => q,
        });
    }
    Ok(cols.join(", "))
}

impl Store {
    /// Writes a consistent snapshot of every table and every blob to a new
    /// tar archive at `path` (which must not exist yet).
    pub async fn backup(&self, path: &Path) -> Result<BackupManifest> {
        if path.exists() {
            return Err(Error::Conflict(format!(
                "{} already exists",
                path.display()
            )));
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let staging = tempfile::Builder::new()
            .prefix(".bantong-backup-")
            .tempdir_in(parent)?;
        let dialect = self.dialect();
        let tables = catalog::tables(self).await?;
        let migrations = catalog::migrations(self).await?;

        // One read transaction gives a consistent snapshot of every table.
        let mut tx = match dialect {
            Dialect::Sqlite => self.pool().begin().await?,
            Dialect::Postgres => {
                self.pool()
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        };
        let mut summaries = Vec::with_capacity(tables.len());
        let mut blob_shas = Vec::new();
        for table in &tables {
            let file = staging.path().join(format!("{}.jsonl", table.name));
            let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(&file).await?);
            let select = format!(
                "SELECT {} FROM {} ORDER BY {} LIMIT ",
                select_list(dialect, table)?,
                sql::ident(&table.name)?,
                table.order_by()?
            );
            let mut rows = 0_u64;
            let mut offset = 0_i64;
            loop {
                let mut q = Sql::new(select.clone());
                q.bind(PAGE).push(" OFFSET ").bind(offset);
                let page = sql::fetch_all(&mut *tx, &q).await?;
                for row in &page {
                    let mut obj = serde_json::Map::new();
                    for (i, c) in table.columns.iter().enumerate() {
                        obj.insert(c.name.clone(), values::column_json(row, i)?);
                    }
                    if table.name == "blobs"
                        && let Some(sha) = obj.get("sha256").and_then(|v| v.as_str())
                    {
                        blobs::check_sha(sha)?;
                        blob_shas.push(sha.to_owned());
                    }
                    let mut line = serde_json::to_vec(&serde_json::Value::Object(obj))?;
                    line.push(b'\n');
                    out.write_all(&line).await?;
                    rows += 1;
                }
                if i64::try_from(page.len()).unwrap_or(0) < PAGE {
                    break;
                }
                offset += PAGE;
            }
            out.flush().await?;
            summaries.push(TableSummary {
                name: table.name.clone(),
                columns: table.columns.iter().map(|c| c.name.clone()).collect(),
                rows,
            });
        }
        tx.commit().await?;

        let manifest = BackupManifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            created_at: sql::now_ms(),
            dialect: dialect_name(dialect).to_owned(),
            migrations,
            tables: summaries,
            blobs: u64::try_from(blob_shas.len()).unwrap_or(u64::MAX),
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest)?;
        let blob_dir = self.config().blob_dir.clone();
        let dest = path.to_path_buf();
        let table_names: Vec<String> = manifest.tables.iter().map(|t| t.name.clone()).collect();
        tokio::task::spawn_blocking(move || {
            write_archive(
                &dest,
                staging.path(),
                &manifest_json,
                &table_names,
                &blob_dir,
                &blob_shas,
            )
        })
        .await??;
        Ok(manifest)
    }
}

/// Assembles the tar next to `dest`, fsyncs it and renames it into place.
fn write_archive(
    dest: &Path,
    staging: &Path,
    manifest: &[u8],
    tables: &[String],
    blob_dir: &Path,
    shas: &[String],
) -> Result<()> {
    let parent: PathBuf = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .into();
    let tmp = tempfile::Builder::new()
        .prefix(".bantong-backup-")
        .suffix(".tar")
        .tempfile_in(&parent)?;
    let mut builder = tar::Builder::new(tmp);
    let mut header = tar::Header::new_gnu();
    header.set_size(u64::try_from(manifest.len()).unwrap_or(u64::MAX));
    header.set_mode(0o644);
    header.set_mtime(u64::try_from(sql::now_ms() / 1000).unwrap_or(0));
    header.set_cksum();
    builder.append_data(&mut header, "manifest.json", manifest)?;
    for name in tables {
        builder.append_path_with_name(staging.join(format!("{name}.jsonl")), table_entry(name))?;
    }
    for sha in shas {
        let file = blobs::blob_path(blob_dir, sha);
        if !file.exists() {
            return Err(Error::Corrupt(format!(
                "blob {sha} is recorded but its file is missing"
            )));
        }
        builder.append_path_with_name(&file, blob_entry(sha))?;
    }
    let tmp = builder.into_inner()?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(dest)
        .map_err(|e| Error::Io(e.error))?;
    blobs::sync_dir(&parent)?;
    Ok(())
}
