//! The messages of the fabric, their limits and their decoders.
//!
//! Everything is JSON (UTF-8, unknown fields refused) so an operator can read
//! traffic with `mosquitto_sub`; an attachment (an alert's JPEG snapshot)
//! travels base64-encoded inside its event. Every decoder checks the size
//! first, then the shape, then the values; a message that fails gets a
//! [`DecodeError`] naming what was wrong, and the receiver changes nothing.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::topic::AgentId;

/// Largest message of any kind, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1000;
/// Largest attachment after base64 decoding.
pub const MAX_ATTACHMENT_BYTES: usize = 1024 * 1024;
/// Largest `data` of one event, serialized.
pub const MAX_EVENT_DATA_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("message of {0} bytes is larger than the {MAX_MESSAGE_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("invalid message: {0}")]
    Invalid(String),
}

/// Checks a decoded message's values beyond its shape.
pub trait Validate {
    fn validate(&self) -> Result<(), String>;
}

/// Decodes and validates one message.
pub fn decode<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let value: T =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    value.validate().map_err(DecodeError::Invalid)?;
    Ok(value)
}

/// Encodes a message. Serializing these types cannot fail; an empty vector
/// would be refused by every decoder.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    serde_json::to_vec(message).unwrap_or_default()
}

fn short_name(what: &str, s: &str, max: usize) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {s:?} must be 1-{max} characters of a-z, 0-9, '-', '_' and '.'"
        ))
    }
}

fn bounded_text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        Err(format!("{what} is longer than {max} bytes"))
    } else {
        Ok(())
    }
}

/// Birth and death of an agent's connection, retained on `up/status`.
///
/// The death is the connection's Last Will, written at connect time with
/// the same `boot` and `conn`; the host ignores a death that does not match
/// the latest birth (an old connection's will arriving late).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub state: LinkState,
    /// Random id of this agent process start.
    pub boot: String,
    /// Connection number within the boot, from 1.
    pub conn: u64,
    /// Agent software version.
    pub version: String,
    /// Agent clock when the status was written.
    pub ts_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    Online,
    Offline,
}

impl Validate for Status {
    fn validate(&self) -> Result<(), String> {
        bounded_text("boot", &self.boot, 64)?;
        bounded_text("version", &self.version, 64)?;
        if self.boot.is_empty() {
            return Err("boot must not be empty".into());
        }
        Ok(())
    }
}

/// Periodic liveness and health, QoS 0 on `up/heartbeat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub ts_ms: i64,
    pub uptime_s: u64,
    pub outbox: OutboxState,
    #[serde(default)]
    pub plugins: Vec<PluginState>,
    #[serde(default)]
    pub cameras: Vec<CameraState>,
    /// The hall's devices and their health.
    #[serde(default)]
    pub devices: Vec<DeviceState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxState {
    /// Events accepted and not yet acknowledged.
    pub pending: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// The outbox's limit in bytes.
    pub limit_bytes: u64,
    /// Next sequence number to assign.
    pub next_seq: u64,
    /// Highest sequence number acknowledged by the host.
    pub acked: u64,
    /// Events refused because the outbox was full, since the agent started.
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginState {
    pub id: String,
    pub version: String,
    pub digest: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraState {
    pub id: String,
    pub ok: bool,
    pub fps: f32,
}

/// A peripheral as the heartbeat reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceState {
    pub id: String,
    pub class: String,
    pub healthy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Validate for Heartbeat {
    fn validate(&self) -> Result<(), String> {
        if self.plugins.len() > 64 || self.cameras.len() > 64 || self.devices.len() > 64 {
            return Err("too many plugins, cameras or devices in a heartbeat".into());
        }
        for d in &self.devices {
            short_name("device id", &d.id, 64)?;
            bounded_text("device class", &d.class, 32)?;
            bounded_text("device detail", d.detail.as_deref().unwrap_or(""), 512)?;
        }
        for p in &self.plugins {
            short_name("plugin id", &p.id, 64)?;
            bounded_text("plugin version", &p.version, 64)?;
            bounded_text("plugin digest", &p.digest, 80)?;
            bounded_text("plugin state", &p.state, 32)?;
        }
        for c in &self.cameras {
            short_name("camera id", &c.id, 32)?;
        }
        Ok(())
    }
}

/// A batch of upstream events on `up/events`, in sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub events: Vec<Event>,
}

/// One upstream event. `seq` is assigned by the agent's outbox: 1, 2, 3, …
/// without gaps, never reused, so the host can apply each exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub seq: u64,
    /// Agent clock when the event happened.
    pub ts_ms: i64,
    /// What happened, e.g. `alert.window-unattended`, `camera.offline`.
    pub kind: String,
    /// Who raised it: a plugin id, or `agent`.
    pub source: String,
    /// Camera, window or device the event is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default)]
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// A small file riding with an event (an alert's JPEG snapshot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub media_type: String,
    /// Standard base64.
    pub base64: String,
}

impl Attachment {
    pub fn new(media_type: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            media_type: media_type.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .map_err(|e| format!("attachment is not base64: {e}"))
    }
}

/// Media types an attachment may have.
pub const ATTACHMENT_TYPES: &[&str] = &["image/jpeg", "image/png"];

impl Validate for Event {
    fn validate(&self) -> Result<(), String> {
        if self.seq == 0 {
            return Err("event seq starts at 1".into());
        }
        short_name("event kind", &self.kind, 64)?;
        short_name("event source", &self.source, 64)?;
        if let Some(subject) = &self.subject {
            bounded_text("event subject", subject, 128)?;
        }
        let data_len = serde_json::to_vec(&self.data).map(|v| v.len()).unwrap_or(0);
        if data_len > MAX_EVENT_DATA_BYTES {
            return Err(format!(
                "event {} data is {data_len} bytes; the limit is {MAX_EVENT_DATA_BYTES}",
                self.seq
            ));
        }
        if let Some(a) = &self.attachment {
            if !ATTACHMENT_TYPES.contains(&a.media_type.as_str()) {
                return Err(format!(
                    "event {} attachment type {:?} is not one of {ATTACHMENT_TYPES:?}",
                    self.seq, a.media_type
                ));
            }
            if a.base64.len() / 4 * 3 > MAX_ATTACHMENT_BYTES {
                return Err(format!(
                    "event {} attachment is larger than {MAX_ATTACHMENT_BYTES} bytes",
                    self.seq
                ));
            }
            a.bytes().map_err(|e| format!("event {}: {e}", self.seq))?;
        }
        Ok(())
    }
}

impl Validate for EventBatch {
    fn validate(&self) -> Result<(), String> {
        if self.events.is_empty() {
            return Err("an event batch must not be empty".into());
        }
        if self.events.len() > MAX_BATCH_EVENTS {
            return Err(format!(
                "an event batch holds at most {MAX_BATCH_EVENTS} events, not {}",
                self.events.len()
            ));
        }
        for pair in self.events.windows(2) {
            if pair[1].seq != pair[0].seq + 1 {
                return Err(format!(
                    "event batch sequence is not contiguous: {} then {}",
                    pair[0].seq, pair[1].seq
                ));
            }
        }
        self.events.iter().try_for_each(Validate::validate)
    }
}

/// One event of a leniently decoded batch: the event, or its sequence
/// number and why it was refused.
pub type LenientEvent = Result<Event, (u64, String)>;

/// Decodes a batch event by event, so one invalid event (an agent bug)
/// cannot block the agent's sequence forever: each entry is the event, or
/// its sequence number and what was wrong with it. The batch itself must
/// still be well-formed JSON with sequence numbers in order.
pub fn decode_batch_lenient(bytes: &[u8]) -> Result<Vec<LenientEvent>, DecodeError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        events: Vec<Value>,
    }
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let raw: Raw =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if raw.events.is_empty() || raw.events.len() > MAX_BATCH_EVENTS {
        return Err(DecodeError::Invalid(format!(
            "an event batch holds 1 to {MAX_BATCH_EVENTS} events, not {}",
            raw.events.len()
        )));
    }
    let mut out = Vec::with_capacity(raw.events.len());
    let mut expected: Option<u64> = None;
    for value in raw.events {
        let seq = value
            .get("seq")
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .ok_or_else(|| DecodeError::Invalid("an event without a valid seq".into()))?;
        if expected.is_some_and(|e| e != seq) {
            return Err(DecodeError::Invalid(format!(
                "event batch sequence is not contiguous at {seq}"
            )));
        }
        expected = Some(seq + 1);
        let event = serde_json::from_value::<Event>(value)
            .map_err(|e| e.to_string())
            .and_then(|e| e.validate().map(|()| e));
        out.push(event.map_err(|why| (seq, why)));
    }
    Ok(out)
}

/// The host's acknowledgement on `down/ack`: every event up to and including
/// `upto` is applied and may be deleted by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    pub upto: u64,
    /// The host saw a gap after `upto`: resend from `upto + 1` now rather
    /// than waiting for the resend timeout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resend: bool,
}

impl Validate for Ack {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The district's service catalogue (事项库) as published, retained on
/// `down/catalogue` for every agent. The agent keeps the newest version it
/// has seen on disk and answers its plugins' `catalogue.current` from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueUpdate {
    /// The published version, 1, 2, 3 …; an agent ignores an older one.
    pub version: u64,
    /// When it was published (ms since the epoch).
    pub published_at: i64,
    /// The catalogue (a JSON object, checked by the host when published).
    pub body: Value,
}

impl Validate for CatalogueUpdate {
    fn validate(&self) -> Result<(), String> {
        if self.version == 0 {
            return Err("catalogue version must be at least 1".into());
        }
        if !self.body.is_object() {
            return Err("catalogue body must be a JSON object".into());
        }
        Ok(())
    }
}

/// What the host wants an agent to run, retained on `down/desired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desired {
    /// Increases with every change; an agent ignores an older revision.
    pub revision: u64,
    pub plugins: Vec<DesiredPlugin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredPlugin {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the artefact; the agent fetches it by this digest.
    pub digest: String,
    /// The package's ed25519 signature (base64), checked against the agent's
    /// trusted keys.
    pub signature: String,
    /// Effective config for this hall, already validated by the host.
    #[serde(default)]
    pub config: Value,
    /// Seconds the new version must stay healthy before it is kept.
    pub health_window_s: u32,
}

impl Validate for Desired {
    fn validate(&self) -> Result<(), String> {
        if self.plugins.len() > 64 {
            return Err("at most 64 plugins per agent".into());
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.plugins {
            short_name("plugin id", &p.id, 64)?;
            bounded_text("plugin version", &p.version, 64)?;
            if !seen.insert(p.id.as_str()) {
                return Err(format!("plugin {} appears twice", p.id));
            }
            let hex = p.digest.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("plugin {} digest must be sha256:<64 hex>", p.id));
            }
            bounded_text("plugin signature", &p.signature, 256)?;
        }
        Ok(())
    }
}

/// A command to one agent on `down/command`; answered on `up/reply` with
/// the same `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Correlation id chosen by the host.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub args: Value,
    /// Host clock after which the command must not run.
    pub expires_ms: i64,
    /// The edge plugin to run it (its `on-command` export); none for the
    /// agent's own commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
}

impl Validate for Command {
    fn validate(&self) -> Result<(), String> {
        short_name("command id", &self.id, 64)?;
        short_name("command name", &self.name, 64)?;
        if let Some(plugin) = &self.plugin {
            short_name("command plugin", plugin, 64)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub id: String,
    pub ok: bool,
    #[serde(default)]
    pub result: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Validate for Reply {
    fn validate(&self) -> Result<(), String> {
        short_name("reply id", &self.id, 64)?;
        if let Some(e) = &self.error {
            bounded_text("reply error", e, 4096)?;
        }
        Ok(())
    }
}

/// Deployment state of an agent on `up/report`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The desired revision this report answers.
    pub revision: u64,
    pub plugins: Vec<PluginReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginReport {
    pub id: String,
    pub version: String,
    pub digest: String,
    pub state: DeployState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The version now running after a rollback, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployState {
    /// Fetching or verifying the artefact.
    Pending,
    /// Running, health window not yet passed.
    Trial,
    /// Running and healthy through its window.
    Running,
    /// Refused (digest, signature, incompatible) or failed to start.
    Failed,
    /// Failed its health check; the previous version runs again.
    RolledBack,
}

impl Validate for Report {
    fn validate(&self) -> Result<(), String> {
        if self.plugins.len() > 64 {
            return Err("at most 64 plugins per report".into());
        }
        for p in &self.plugins {
            short_name("plugin id", &p.id, 64)?;
            bounded_text("plugin version", &p.version, 64)?;
            bounded_text("plugin digest", &p.digest, 80)?;
            if let Some(e) = &p.error {
                bounded_text("plugin error", e, 4096)?;
            }
        }
        Ok(())
    }
}

/// `POST /api/edge/v1/enrol` body: a one-time token issued by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub token: String,
    /// Agent software version.
    pub version: String,
    /// The box's host name, for the operator.
    #[serde(default)]
    pub hostname: String,
}

/// The host's answer to a valid enrolment: the agent's identity and its own
/// MQTT credentials. The password is shown once and stored only hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolResponse {
    pub agent_id: AgentId,
    pub hall_id: String,
    pub mqtt_host: String,
    pub mqtt_port: u16,
    pub username: String,
    pub password: String,
    /// Public keys (one per line, the `bantong plugin keygen` format) that
    /// plugin signatures must verify against.
    pub trusted_keys: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64) -> Event {
        Event {
            seq,
            ts_ms: 1,
            kind: "alert.window-unattended".into(),
            source: "camera-watch".into(),
            subject: Some("cam-1/window-3".into()),
            data: serde_json::json!({"minutes": 5}),
            attachment: Some(Attachment::new("image/jpeg", b"\xff\xd8\xff")),
        }
    }

    #[test]
    fn batches_round_trip_and_must_be_contiguous() -> Result<(), DecodeError> {
        let batch = EventBatch {
            events: vec![event(7), event(8)],
        };
        let back: EventBatch = decode(&encode(&batch))?;
        assert_eq!(back, batch);
        let gap = EventBatch {
            events: vec![event(7), event(9)],
        };
        assert!(matches!(
            decode::<EventBatch>(&encode(&gap)),
            Err(DecodeError::Invalid(m)) if m.contains("contiguous")
        ));
        Ok(())
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        assert!(matches!(
            decode::<Ack>(b"{\"upto\": -1}"),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            decode::<Ack>(b"{\"upto\": 1, \"extra\": 2}"),
            Err(DecodeError::Malformed(m)) if m.contains("extra")
        ));
        let mut e = event(1);
        e.kind = "Alert!".into();
        assert!(matches!(
            decode::<EventBatch>(&encode(&EventBatch { events: vec![e] })),
            Err(DecodeError::Invalid(m)) if m.contains("event kind")
        ));
        let mut e = event(1);
        e.attachment = Some(Attachment {
            media_type: "image/jpeg".into(),
            base64: "***".into(),
        });
        assert!(matches!(
            decode::<EventBatch>(&encode(&EventBatch { events: vec![e] })),
            Err(DecodeError::Invalid(m)) if m.contains("base64")
        ));
        assert!(matches!(
            decode::<Ack>(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
            Err(DecodeError::TooLarge(_))
        ));
        assert!(matches!(
            decode::<EventBatch>(b"{\"events\": []}"),
            Err(DecodeError::Invalid(_))
        ));
    }

    #[test]
    fn lenient_batches_isolate_the_bad_event() -> Result<(), DecodeError> {
        let mut bad = event(8);
        bad.kind = "Bad Kind".into();
        let batch = EventBatch {
            events: vec![event(7), bad, event(9)],
        };
        let decoded = decode_batch_lenient(&encode(&batch))?;
        assert!(decoded[0].is_ok() && decoded[2].is_ok());
        assert!(matches!(&decoded[1], Err((8, why)) if why.contains("event kind")));
        assert!(decode_batch_lenient(b"{\"events\":[{\"seq\":1},{\"seq\":3}]}").is_err());
        Ok(())
    }

    #[test]
    fn desired_state_checks_digests_and_duplicates() {
        let plugin = DesiredPlugin {
            id: "camera-watch".into(),
            version: "1.0.0".into(),
            digest: format!("sha256:{}", "ab".repeat(32)),
            signature: "c2ln".into(),
            config: Value::Null,
            health_window_s: 60,
        };
        let ok = Desired {
            revision: 1,
            plugins: vec![plugin.clone()],
        };
        assert!(decode::<Desired>(&encode(&ok)).is_ok());
        let twice = Desired {
            revision: 1,
            plugins: vec![plugin.clone(), plugin.clone()],
        };
        assert!(decode::<Desired>(&encode(&twice)).is_err());
        let mut bad = plugin;
        bad.digest = "sha256:zz".into();
        assert!(
            decode::<Desired>(&encode(&Desired {
                revision: 1,
                plugins: vec![bad]
            }))
            .is_err()
        );
    }
}
