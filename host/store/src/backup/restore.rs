//! Restoring an archive written by [`Store::backup`] into an empty
//! installation of either dialect: blobs are verified against their hashes
//! and put in place, then every row is inserted inside one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncBufReadExt as _;

use super::catalog::{self, Kind, Table};
use super::{BackupManifest, FORMAT, FORMAT_VERSION};
use crate::blobs;
use crate::db::{Dialect, Store};
use crate::error::{Error, Result};
use crate::sql::{self, Bind, Sql};
use crate::values::HEX_KEY;

impl Store {
    /// Restores a backup archive into this installation, which must be empty
    /// (every table without rows). Works across dialects.
    pub async fn restore(&self, path: &Path) -> Result<BackupManifest> {
        let staging = tempfile::Builder::new()
            .prefix(".restore-")
            .tempdir_in(&self.config().blob_dir)?;
        let archive = path.to_path_buf();
        let stage = staging.path().to_path_buf();
        let shas = tokio::task::spawn_blocking(move || extract(&archive, &stage)).await??;

        let manifest: BackupManifest = serde_json::from_slice(
            &tokio::fs::read(staging.path().join("manifest.json"))
                .await
                .map_err(|_| Error::Corrupt("the archive has no manifest.json".into()))?,
        )?;
        if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
            return Err(Error::invalid(format!(
                "unsupported archive format {:?} version {}",
                manifest.format, manifest.format_version
            )));
        }
        if u64::try_from(shas.len()).ok() != Some(manifest.blobs) {
            return Err(Error::Corrupt(format!(
                "manifest lists {} blobs, archive holds {}",
                manifest.blobs,
                shas.len()
            )));
        }
        let applied = catalog::migrations(self).await?;
        if let Some(missing) = manifest.migrations.iter().find(|v| !applied.contains(v)) {
            return Err(Error::invalid(format!(
                "the archive needs migration {missing}, which this installation has not applied; upgrade first"
            )));
        }
        let targets: BTreeMap<String, Table> = catalog::tables(self)
            .await?
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect();
        for t in &manifest.tables {
            let target = targets
                .get(&t.name)
                .ok_or_else(|| Error::invalid(format!("table {:?} does not exist here", t.name)))?;
            if let Some(c) = t.columns.iter().find(|c| target.column(c).is_none()) {
                return Err(Error::invalid(format!(
                    "column {}.{c} does not exist here",
                    t.name
                )));
            }
        }
        self.ensure_empty(&targets, None).await?;

        let blob_dir = self.config().blob_dir.clone();
        let stage = staging.path().to_path_buf();
        let placed = shas.clone();
        tokio::task::spawn_blocking(move || place_blobs(&stage, &blob_dir, &placed)).await??;

        let mut tx = self.begin_write().await?;
        self.ensure_empty(&targets, Some(&mut tx)).await?;
        // What the host seeded on its own at start gives way to the
        // archive's rows.
        if targets.contains_key("district_calendar") {
            let mut q = Sql::new("DELETE FROM district_calendar WHERE updated_by = ");
            q.bind(crate::calendar::SEEDED_BY);
            sql::execute(&mut *tx, &q).await?;
        }
        for t in &manifest.tables {
            let Some(target) = targets.get(&t.name) else {
                continue;
            };
            let file = staging
                .path()
                .join("tables")
                .join(format!("{}.jsonl", t.name));
            let rows = self
                .insert_rows(&mut tx, target, &t.columns, &file, &shas)
                .await?;
            if rows != t.rows {
                return Err(Error::Corrupt(format!(
                    "table {} has {rows} rows, manifest says {}",
                    t.name, t.rows
                )));
            }
        }
        if self.dialect() == Dialect::Postgres {
            reset_sequences(&mut tx, &manifest, &targets).await?;
        }
        tx.commit().await?;
        Ok(manifest)
    }

    /// Refuses to go on when any table holds rows.
    async fn ensure_empty(
        &self,
        tables: &BTreeMap<String, Table>,
        mut tx: Option<&mut sqlx::Transaction<'static, sqlx::Any>>,
    ) -> Result<()> {
        let mut busy = Vec::new();
        for name in tables.keys() {
            let mut q = Sql::new(format!("SELECT COUNT(*) AS n FROM {}", sql::ident(name)?));
            // Years the host seeded on its own are not data (see restore).
            if name == "district_calendar" {
                q.push(" WHERE updated_by <> ")
                    .bind(crate::calendar::SEEDED_BY);
            }
            let row = match tx.as_deref_mut() {
                Some(tx) => sql::fetch_optional(&mut **tx, &q).await?,
                None => sql::fetch_optional(self.pool(), &q).await?,
            };
            let n = row
                .map(|r| crate::values::int(&r, "n"))
                .transpose()?
                .unwrap_or(0);
            if n > 0 {
                busy.push(format!("{name} ({n} rows)"));
            }
        }
        if busy.is_empty() {
            Ok(())
        } else {
            Err(Error::Conflict(format!(
                "restore needs an empty installation, but these tables hold data: {}",
                busy.join(", ")
            )))
        }
    }

    async fn insert_rows(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        table: &Table,
        columns: &[String],
        file: &Path,
        blob_shas: &[String],
    ) -> Result<u64> {
        let dialect = self.dialect();
        let mut kinds = Vec::with_capacity(columns.len());
        let mut names = Vec::with_capacity(columns.len());
        let mut params = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let kind = table
                .column(c)
                .map(|col| col.kind.clone())
                .unwrap_or(Kind::Text);
            let p = format!("${}", i + 1);
            params.push(match (&kind, dialect) {
                (Kind::Json, Dialect::Postgres) => format!("CAST({p} AS jsonb)"),
                (Kind::Other(t), Dialect::Postgres) => format!("CAST({p} AS {t})"),
                _ => p,
            });
            names.push(sql::ident(c)?);
            kinds.push(kind);
        }
        let overriding = if dialect == Dialect::Postgres {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        let text = format!(
            "INSERT INTO {} ({}){overriding} VALUES ({})",
            sql::ident(&table.name)?,
            names.join(", "),
            params.join(", ")
        );
        let known: BTreeSet<&str> = blob_shas.iter().map(String::as_str).collect();
        let reader = match tokio::fs::File::open(file).await {
            Ok(f) => tokio::io::BufReader::new(f),
            Err(_) => {
                return Err(Error::Corrupt(format!(
                    "the archive has no rows file for {}",
                    table.name
                )));
            }
        };
        let mut lines = reader.lines();
        let mut count = 0_u64;
        while let Some(line) = lines.next_line().await? {
            if line.trim().is_empty() {
                continue;
            }
            let Value::Object(row) = serde_json::from_str::<Value>(&line)? else {
                return Err(Error::Corrupt(format!(
                    "a row of {} is not a JSON object",
                    table.name
                )));
            };
            if table.name == "blobs" {
                let sha = row
                    .get("sha256")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !known.contains(sha) {
                    return Err(Error::Corrupt(format!(
                        "blob {sha:?} is listed but not in the archive"
                    )));
                }
            }
            let mut binds = Vec::with_capacity(columns.len());
            for (c, kind) in columns.iter().zip(&kinds) {
                binds.push(to_bind(
                    row.get(c).unwrap_or(&Value::Null),
                    kind,
                    &table.name,
                    c,
                )?);
            }
            sql::execute(
                &mut **tx,
                &Sql {
                    text: text.clone(),
                    binds,
                },
            )
            .await?;
            count += 1;
        }
        Ok(count)
    }
}

/// Converts a JSON value from the archive to a bound value for a column.
fn to_bind(v: &Value, kind: &Kind, table: &str, column: &str) -> Result<Bind> {
    Ok(match (v, kind) {
        (Value::Null, Kind::Int) => Bind::NullInt,
        (Value::Null, Kind::Float) => Bind::NullFloat,
        (Value::Null, Kind::Bool) => Bind::NullBool,
        (Value::Null, Kind::Bytes) => Bind::NullBytes,
        (Value::Null, _) => Bind::Null,
        (Value::Bool(b), Kind::Int | Kind::Float) => Bind::Int(i64::from(*b)),
        (Value::Bool(b), _) => Bind::Bool(*b),
        (Value::Number(n), Kind::Bool) => Bind::Bool(n.as_f64().unwrap_or(0.0) != 0.0),
        (Value::Number(n), _) => match n.as_i64() {
            Some(i) => Bind::Int(i),
            None => Bind::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        (Value::String(s), _) => Bind::Text(s.clone()),
        (Value::Object(m), _) if m.len() == 1 && m.contains_key(HEX_KEY) => {
            let hex = m.get(HEX_KEY).and_then(Value::as_str).unwrap_or_default();
            Bind::Bytes(
                hex::decode(hex)
                    .map_err(|_| Error::Corrupt(format!("bad hex in {table}.{column}")))?,
            )
        }
        _ => {
            return Err(Error::Corrupt(format!(
                "unexpected value in {table}.{column}"
            )));
        }
    })
}

/// PostgreSQL sequences behind serial columns continue after the restored rows.
async fn reset_sequences(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    manifest: &BackupManifest,
    targets: &BTreeMap<String, Table>,
) -> Result<()> {
    for t in &manifest.tables {
        let Some(table) = targets.get(&t.name) else {
            continue;
        };
        for col in table.columns.iter().filter(|c| c.kind == Kind::Int) {
            let mut q = Sql::new("SELECT pg_get_serial_sequence(");
            q.bind(sql::ident(&table.name)?)
                .push(", ")
                .bind(col.name.as_str())
                .push(") AS s");
            let seq = match sql::fetch_optional(&mut **tx, &q).await? {
                Some(r) => crate::values::opt_text(&r, "s")?,
                None => None,
            };
            if let Some(seq) = seq {
                let mut q = Sql::new("SELECT setval(CAST(");
                q.bind(seq).push(
                    format!(
                        " AS regclass), COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
                        c = sql::ident(&col.name)?,
                        t = sql::ident(&table.name)?
                    )
                    .as_str(),
                );
                sql::execute(&mut **tx, &q).await?;
            }
        }
    }
    Ok(())
}

/// Unpacks the archive into `staging`, accepting only the expected entries
/// and checking every blob against its name. Returns the blob hashes.
fn extract(archive: &Path, staging: &Path) -> Result<Vec<String>> {
    let file = std::fs::File::open(archive)?;
    let mut ar = tar::Archive::new(std::io::BufReader::new(file));
    std::fs::create_dir_all(staging.join("tables"))?;
    std::fs::create_dir_all(staging.join("blobs"))?;
    let mut shas = Vec::new();
    for entry in ar.entries()? {
        let mut entry = entry?;
        let ty = entry.header().entry_type();
        if ty.is_dir() {
            continue;
        }
        let name = entry.path()?.to_string_lossy().into_owned();
        if !ty.is_file() {
            return Err(Error::Corrupt(format!(
                "unexpected entry {name:?} in the archive"
            )));
        }
        let parts: Vec<&str> = name.split('/').collect();
        match parts.as_slice() {
            ["manifest.json"] => copy(&mut entry, &staging.join("manifest.json"), None)?,
            ["tables", f]
                if f.strip_suffix(".jsonl")
                    .is_some_and(|t| sql::ident(t).is_ok()) =>
            {
                copy(&mut entry, &staging.join("tables").join(f), None)?;
            }
            ["blobs", a, b] if a.len() == 2 && blobs::check_sha(&format!("{a}{b}")).is_ok() => {
                let sha = format!("{a}{b}");
                copy(&mut entry, &staging.join("blobs").join(&sha), Some(&sha))?;
                shas.push(sha);
            }
            _ => {
                return Err(Error::Corrupt(format!(
                    "unexpected entry {name:?} in the archive"
                )));
            }
        }
    }
    Ok(shas)
}

/// Copies one entry to `dest`; with `sha`, verifies the content and fsyncs.
fn copy(src: &mut impl std::io::Read, dest: &Path, sha: Option<&str>) -> Result<()> {
    let mut out = std::fs::File::create(dest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        out.write_all(chunk)?;
    }
    if let Some(sha) = sha {
        if hex::encode(hasher.finalize()) != sha {
            return Err(Error::Corrupt(format!(
                "blob {sha} in the archive does not match its hash"
            )));
        }
        out.sync_all()?;
    }
    Ok(())
}

/// Moves verified blobs from staging into the blob directory.
fn place_blobs(staging: &Path, blob_dir: &Path, shas: &[String]) -> Result<()> {
    for sha in shas {
        let dest: PathBuf = blobs::blob_path(blob_dir, sha);
        let dir = dest
            .parent()
            .ok_or_else(|| Error::invalid("blob path has no parent"))?;
        std::fs::create_dir_all(dir)?;
        std::fs::rename(staging.join("blobs").join(sha), &dest)?;
        blobs::sync_dir(dir)?;
    }
    Ok(())
}
