//! Dispatch of edge plugins: uploaded signed packages, the desired state of
//! each agent (retained on its `down/desired` topic), operator rollback and
//! pinning, and the artefact download for agents.

use bantong_fabric::msg::{Desired, DesiredPlugin};
use bantong_fabric::topic::{self, Down};
use bantong_fabric::{AgentId, encode};
use bantong_manifest::{Package, World};
use rumqttc::QoS;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::Edge;
use super::registry::sha256_hex;
use crate::error::AppError;
use crate::identity::{Principal, attributed, constant_time_eq, now_ms};

/// `POST /api/edge/deployments` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// Package digest (`sha256:<hex>`) of an uploaded artefact.
    pub digest: String,
    /// Target agents.
    pub agents: Vec<String>,
    /// The plugin's config for these agents (validated against its schema;
    /// defaults fill what is missing).
    #[serde(default)]
    pub config: Option<Value>,
    /// Seconds the new version must stay healthy (default 30).
    pub health_window_s: Option<u32>,
    /// Also replace pinned deployments.
    #[serde(default)]
    pub force: bool,
}

impl Edge {
    /// Stores a signed edge plugin package for dispatch. Needs
    /// `district-admin`; the signature must verify against the host's
    /// trusted keys, so the host never dispatches what agents would refuse.
    pub async fn upload_artefact(
        &self,
        actor: &Principal,
        bytes: &[u8],
    ) -> Result<Value, AppError> {
        super::require_admin(actor, "uploading edge plugins")?;
        let package = Package::decode(bytes).map_err(|e| AppError::validation(e.to_string()))?;
        package
            .verify(&self.trusted)
            .map_err(|e| AppError::validation(format!("signature: {e}")))?;
        let manifest = package.manifest();
        if manifest.world != World::Edge {
            return Err(AppError::validation(format!(
                "{} is not an edge plugin",
                manifest.id
            )));
        }
        let blob = self.store.put_artefact(bytes).await?;
        let digest = package.digest().to_string();
        let now = now_ms();
        let mut tx = self.registry.identity().audit().begin().await?;
        sqlx::query(
            "INSERT INTO edge_artefacts (digest, plugin, version, blob, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(digest.as_str())
        .bind(manifest.id.as_str())
        .bind(manifest.version.to_string())
        .bind(blob.sha256.as_str())
        .bind(actor.user_id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let entry = attributed(
            actor,
            "edge.artefact.upload",
            "edge-artefact",
            &digest,
            json!({ "plugin": manifest.id, "version": manifest.version.to_string() }),
            now,
        );
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(
            json!({ "plugin": manifest.id, "version": manifest.version.to_string(), "digest": digest }),
        )
    }

    async fn artefact(&self, digest: &str) -> Result<(String, String, String), AppError> {
        let row = sqlx::query("SELECT plugin, version, blob FROM edge_artefacts WHERE digest = $1")
            .bind(digest)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| AppError::not_found(format!("edge artefact {digest}")))?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    /// The package bytes for an agent's download.
    pub async fn artefact_bytes(&self, digest: &str) -> Result<Vec<u8>, AppError> {
        let (_, _, blob) = self.artefact(digest).await?;
        let (_, bytes) = self
            .store
            .get_blob(&blob)
            .await?
            .ok_or_else(|| AppError::not_found(format!("edge artefact {digest}")))?;
        Ok(bytes)
    }

    /// Checks an agent's HTTP Basic credentials (its MQTT login).
    pub async fn authenticate_agent(&self, authorization: Option<&str>) -> Option<AgentId> {
        use base64::Engine;
        let encoded = authorization?.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, secret) = text.split_once(':')?;
        let row = sqlx::query(
            "SELECT secret_sha256 FROM edge_agents WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(user)
        .fetch_optional(self.store.pool())
        .await
        .ok()??;
        let expected: String = row.try_get(0).ok()?;
        constant_time_eq(expected.as_bytes(), sha256_hex(secret).as_bytes())
            .then(|| AgentId::parse(user).ok())
            .flatten()
    }

    /// The plugin, version and effective config of a deployment of
    /// `digest`: `config` validated against the plugin's JSON Schema, with
    /// its defaults filled in.
    pub(crate) async fn deployable(
        &self,
        digest: &str,
        config: Option<&Value>,
    ) -> Result<(String, String, Value), AppError> {
        let (plugin, version, package) = self.artefact_package(digest).await?;
        let config = match package.manifest().config_schema() {
            Ok(Some(schema)) => schema
                .resolve(config, None)
                .map_err(|errors| {
                    let details: Vec<Value> = errors
                        .iter()
                        .map(|e| json!({ "path": e.path, "message_zh": e.message_zh, "message_en": e.message_en }))
                        .collect();
                    AppError::validation(format!("invalid config for {plugin}")).with_details(json!(details))
                })?,
            Ok(None) => config.cloned().unwrap_or_else(|| json!({})),
            Err(e) => return Err(AppError::internal("artefact schema", e)),
        };
        Ok((plugin, version, config))
    }

    /// An uploaded artefact's plugin, version and decoded package.
    async fn artefact_package(&self, digest: &str) -> Result<(String, String, Package), AppError> {
        let (plugin, version, blob) = self.artefact(digest).await?;
        let (_, bytes) = self
            .store
            .get_blob(&blob)
            .await?
            .ok_or_else(|| AppError::not_found("artefact bytes"))?;
        let package =
            Package::decode(&bytes).map_err(|e| AppError::internal("stored artefact", e))?;
        Ok((plugin, version, package))
    }

    /// The config schema of an uploaded artefact, if it declares one.
    pub(crate) async fn artefact_schema(
        &self,
        digest: &str,
    ) -> Result<Option<bantong_manifest::ConfigSchema>, AppError> {
        let (_, _, package) = self.artefact_package(digest).await?;
        package
            .manifest()
            .config_schema()
            .map_err(|e| AppError::internal("artefact schema", e))
    }

    /// Sets what `agents` should run and publishes their desired state.
    pub async fn deploy(&self, actor: &Principal, req: DeployRequest) -> Result<Value, AppError> {
        super::require_admin(actor, "deploying edge plugins")?;
        let (plugin, version, config) = self.deployable(&req.digest, req.config.as_ref()).await?;
        let target = Target {
            plugin: &plugin,
            digest: &req.digest,
            config: &config.to_string(),
            health_window_s: health_window(req.health_window_s),
            force: req.force,
        };
        let now = now_ms();
        let mut changed = Vec::new();
        let mut skipped = Vec::new();
        let mut tx = self.registry.identity().audit().begin().await?;
        for agent in &req.agents {
            let hall = agent_hall(&mut tx, actor, agent).await?;
            match assign(&mut tx, agent, &target, now).await? {
                Assigned::Pinned => {
                    skipped.push(agent.clone());
                    continue;
                }
                Assigned::Changed { .. } => {}
            }
            let entry = attributed(
                actor,
                "edge.deploy",
                "edge-agent",
                agent,
                json!({ "plugin": plugin, "version": version, "digest": req.digest }),
                now,
            )
            .hall(hall.as_str());
            self.audit_in(&mut tx, &entry).await?;
            changed.push(agent.clone());
        }
        tx.commit().await?;
        for agent in &changed {
            self.publish_desired(agent).await?;
        }
        Ok(
            json!({ "plugin": plugin, "version": version, "deployed": changed, "skipped_pinned": skipped }),
        )
    }

    /// Goes back to the previous version of `plugin` on `agent` (and pins it,
    /// so a rollout does not undo the operator's decision).
    pub async fn rollback(
        &self,
        actor: &Principal,
        agent: &str,
        plugin: &str,
    ) -> Result<Value, AppError> {
        super::require_admin(actor, "rolling back edge plugins")?;
        let now = now_ms();
        let mut tx = self.registry.identity().audit().begin().await?;
        let row = sqlx::query(
            "SELECT digest, previous_digest FROM edge_desired WHERE agent_id = $1 AND plugin = $2",
        )
        .bind(agent)
        .bind(plugin)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("{plugin} on {agent}")))?;
        let current: String = row.try_get(0)?;
        let Some(previous) = row.try_get::<Option<String>, _>(1)? else {
            return Err(AppError::conflict(format!(
                "{plugin} on {agent} has no previous version"
            )));
        };
        sqlx::query(
            "UPDATE edge_desired SET digest = $1, previous_digest = $2, pinned = 1, updated_at = $3 \
             WHERE agent_id = $4 AND plugin = $5",
        )
        .bind(previous.as_str())
        .bind(current.as_str())
        .bind(now)
        .bind(agent)
        .bind(plugin)
        .execute(&mut *tx)
        .await?;
        bump_revision(&mut tx, agent).await?;
        let entry = attributed(
            actor,
            "edge.rollback",
            "edge-agent",
            agent,
            json!({ "plugin": plugin, "from": current, "to": previous }),
            now,
        );
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        self.publish_desired(agent).await?;
        Ok(json!({ "agent": agent, "plugin": plugin, "digest": previous, "pinned": true }))
    }

    /// Pins or unpins `plugin` on `agent` at its current version.
    pub async fn pin(
        &self,
        actor: &Principal,
        agent: &str,
        plugin: &str,
        pinned: bool,
    ) -> Result<(), AppError> {
        super::require_admin(actor, "pinning edge plugins")?;
        let now = now_ms();
        let mut tx = self.registry.identity().audit().begin().await?;
        let changed = sqlx::query("UPDATE edge_desired SET pinned = $1, updated_at = $2 WHERE agent_id = $3 AND plugin = $4")
            .bind(i64::from(pinned))
            .bind(now)
            .bind(agent)
            .bind(plugin)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found(format!("{plugin} on {agent}")));
        }
        let entry = attributed(
            actor,
            if pinned { "edge.pin" } else { "edge.unpin" },
            "edge-agent",
            agent,
            json!({ "plugin": plugin }),
            now,
        );
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends `entry` to the audit log inside the caller's transaction.
    pub(crate) async fn audit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        entry: &crate::audit::AuditEntry,
    ) -> Result<(), AppError> {
        self.registry
            .identity()
            .audit()
            .record_in(conn, entry)
            .await?;
        Ok(())
    }

    /// What `agent` should run, for people: each plugin's version, digest,
    /// whether it is pinned (rollouts skip it) and when it was set.
    pub async fn desired_summary(&self, agent: &str) -> Result<Vec<Value>, AppError> {
        Ok(self
            .desired_rows(agent)
            .await?
            .into_iter()
            .map(|r| {
                json!({ "plugin": r.plugin, "version": r.version, "digest": r.digest,
                        "pinned": r.pinned, "updated_at": r.updated_at })
            })
            .collect())
    }

    /// `agent`'s desired plugins as stored, by plugin id.
    async fn desired_rows(&self, agent: &str) -> Result<Vec<DesiredRow>, AppError> {
        let rows = sqlx::query(
            "SELECT d.plugin, a.version, d.digest, d.config, d.health_window_s, d.pinned, d.updated_at \
             FROM edge_desired d JOIN edge_artefacts a ON a.digest = d.digest \
             WHERE d.agent_id = $1 ORDER BY d.plugin",
        )
        .bind(agent)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DesiredRow {
                    plugin: r.try_get(0)?,
                    version: r.try_get(1)?,
                    digest: r.try_get(2)?,
                    config: r.try_get(3)?,
                    health_window_s: r.try_get(4)?,
                    pinned: r.try_get::<i64, _>(5)? != 0,
                    updated_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// The desired state of `agent` as stored.
    pub async fn desired_for(&self, agent: &str) -> Result<Desired, AppError> {
        let revision: i64 = sqlx::query("SELECT revision FROM edge_revisions WHERE agent_id = $1")
            .bind(agent)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        let plugins = self
            .desired_rows(agent)
            .await?
            .into_iter()
            .map(|r| DesiredPlugin {
                id: r.plugin,
                version: r.version,
                digest: r.digest,
                signature: String::new(),
                config: serde_json::from_str(&r.config).unwrap_or(Value::Null),
                health_window_s: u32::try_from(r.health_window_s).unwrap_or(30),
            })
            .collect();
        Ok(Desired {
            revision: u64::try_from(revision).unwrap_or(0),
            plugins,
        })
    }

    /// Publishes `agent`'s desired state, retained.
    pub async fn publish_desired(&self, agent: &str) -> Result<(), AppError> {
        let id = AgentId::parse(agent).map_err(AppError::validation)?;
        let desired = self.desired_for(agent).await?;
        if let Some(client) = self.client() {
            client
                .publish(
                    topic::down(&id, Down::Desired),
                    QoS::AtLeastOnce,
                    true,
                    encode(&desired),
                )
                .await
                .map_err(|e| AppError::internal("publishing desired state", e))?;
        }
        Ok(())
    }

    /// Sends the current service catalogue to every agent that may connect
    /// (retained on `down/catalogue`), after a publish and whenever the
    /// fabric connects. A failure is logged: the next connect sends it.
    pub async fn publish_catalogue(&self) {
        let agents = match self.registry.credentials().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("sending the catalogue: listing agents: {e}");
                return;
            }
        };
        for (agent, _) in agents {
            self.publish_catalogue_to(&agent).await;
        }
    }

    /// Sends the current service catalogue to one agent.
    pub async fn publish_catalogue_to(&self, agent: &str) {
        let Ok(id) = AgentId::parse(agent) else {
            return;
        };
        let Some(client) = self.client() else {
            return;
        };
        let (info, body) = match self.store.catalogue().get(None).await {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("sending the catalogue: {e}");
                return;
            }
        };
        let update = bantong_fabric::msg::CatalogueUpdate {
            version: u64::try_from(info.version).unwrap_or(0),
            published_at: info.published_at,
            body: serde_json::from_str(&body).unwrap_or(Value::Null),
        };
        if let Err(e) = client
            .publish(
                topic::down(&id, Down::Catalogue),
                QoS::AtLeastOnce,
                true,
                encode(&update),
            )
            .await
        {
            tracing::warn!(%agent, "sending the catalogue: {e}");
        }
    }

    /// Re-publishes every agent's desired state (after the fabric connects:
    /// the embedded broker keeps retained messages in memory only).
    pub async fn publish_all_desired(&self) -> Result<(), AppError> {
        let rows = sqlx::query("SELECT agent_id FROM edge_revisions")
            .fetch_all(self.store.pool())
            .await?;
        for r in rows {
            let agent: String = r.try_get(0)?;
            self.publish_desired(&agent).await?;
        }
        Ok(())
    }
}

/// Seconds a new version must stay healthy (default 30, at most an hour).
pub(crate) fn health_window(requested: Option<u32>) -> i64 {
    i64::from(requested.unwrap_or(30).clamp(1, 3600))
}

/// The hall of a live agent `actor` may manage, or a validation error
/// naming the agent (unknown and out-of-scope agents look the same).
pub(crate) async fn agent_hall(
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    agent: &str,
) -> Result<String, AppError> {
    let hall: Option<String> =
        sqlx::query_scalar("SELECT hall FROM edge_agents WHERE id = $1 AND revoked_at IS NULL")
            .bind(agent)
            .fetch_optional(&mut *conn)
            .await?;
    hall.filter(|h| actor.can_access_hall(h))
        .ok_or_else(|| AppError::validation(format!("unknown edge agent {agent}")))
}

/// One row of `edge_desired` with its artefact's version.
struct DesiredRow {
    plugin: String,
    version: String,
    digest: String,
    config: String,
    health_window_s: i64,
    pinned: bool,
    updated_at: i64,
}

/// One plugin version and config to put into agents' desired state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub plugin: &'a str,
    pub digest: &'a str,
    /// Effective config as JSON text.
    pub config: &'a str,
    pub health_window_s: i64,
    /// Also replace a pinned version.
    pub force: bool,
}

/// What [`assign`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Assigned {
    /// The desired state now names the target; `previous` is the digest it
    /// named before, if any and different.
    Changed { previous: Option<String> },
    /// The agent's version is pinned and the target is not forced.
    Pinned,
}

/// Puts `target` into `agent`'s desired state (the caller publishes it
/// after commit). The replaced digest is kept as the rollback version.
pub(crate) async fn assign(
    conn: &mut sqlx::AnyConnection,
    agent: &str,
    target: &Target<'_>,
    now: i64,
) -> Result<Assigned, AppError> {
    let current =
        sqlx::query("SELECT digest, pinned FROM edge_desired WHERE agent_id = $1 AND plugin = $2")
            .bind(agent)
            .bind(target.plugin)
            .fetch_optional(&mut *conn)
            .await?;
    let (previous, pinned) = match &current {
        Some(r) => (
            Some(r.try_get::<String, _>(0)?),
            r.try_get::<i64, _>(1)? != 0,
        ),
        None => (None, false),
    };
    if pinned && !target.force {
        return Ok(Assigned::Pinned);
    }
    let previous = previous.filter(|p| p != target.digest);
    sqlx::query(
        "INSERT INTO edge_desired (agent_id, plugin, digest, previous_digest, config, health_window_s, pinned, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
         ON CONFLICT (agent_id, plugin) DO UPDATE SET digest = $3, \
         previous_digest = COALESCE($4, edge_desired.previous_digest), config = $5, health_window_s = $6, updated_at = $7",
    )
    .bind(agent)
    .bind(target.plugin)
    .bind(target.digest)
    .bind(previous.as_deref())
    .bind(target.config)
    .bind(target.health_window_s)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    bump_revision(conn, agent).await?;
    Ok(Assigned::Changed { previous })
}

pub(crate) async fn bump_revision(
    conn: &mut sqlx::AnyConnection,
    agent: &str,
) -> Result<(), AppError> {
    let updated =
        sqlx::query("UPDATE edge_revisions SET revision = revision + 1 WHERE agent_id = $1")
            .bind(agent)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if updated == 0 {
        sqlx::query("INSERT INTO edge_revisions (agent_id, revision) VALUES ($1, 1)")
            .bind(agent)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
