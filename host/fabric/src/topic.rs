//! The versioned topic scheme.
//!
//! Every topic an agent touches lives under its own prefix:
//!
//! ```text
//! bantong/v1/agent/{agent}/up/status     agent → host  retained, QoS 1; birth, and death as Last Will
//! bantong/v1/agent/{agent}/up/heartbeat  agent → host  QoS 0, every `heartbeat_s`
//! bantong/v1/agent/{agent}/up/events     agent → host  QoS 1; batches of sequenced events
//! bantong/v1/agent/{agent}/up/report     agent → host  QoS 1; deployment state
//! bantong/v1/agent/{agent}/up/reply      agent → host  QoS 1; command results (correlation id)
//! bantong/v1/agent/{agent}/down/ack      host → agent  QoS 1; highest sequence applied
//! bantong/v1/agent/{agent}/down/desired  host → agent  retained, QoS 1; plugins, versions, config
//! bantong/v1/agent/{agent}/down/command  host → agent  QoS 1; commands with correlation ids
//! bantong/v1/agent/{agent}/down/catalogue host → agent retained, QoS 1; the service catalogue
//! ```
//!
//! An agent may publish only to its own `up/#` and subscribe only to its own
//! `down/#` ([`agent_rights`]); an agent id belongs to exactly one hall, so
//! no agent can read or write another hall's traffic. The version segment
//! (`v1`) changes only with an incompatible message change; a host serves
//! both versions while halls upgrade.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The root of the scheme, version included.
pub const ROOT: &str = "bantong/v1/agent";

/// An agent's id: 1–63 characters of `a-z 0-9 _ -`, starting with a letter
/// or digit. Safe as an MQTT username and topic level and in file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgentId(String);

impl AgentId {
    pub fn parse(s: &str) -> Result<AgentId, String> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && (b == b'-' || b == b'_'))
            });
        if ok {
            Ok(AgentId(s.to_owned()))
        } else {
            Err(format!(
                "invalid agent id {s:?}: use 1-63 of a-z, 0-9, '-' and '_', starting with a letter or digit"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgentId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        AgentId::parse(&s)
    }
}

impl From<AgentId> for String {
    fn from(id: AgentId) -> String {
        id.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Agent → host channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Up {
    Status,
    Heartbeat,
    Events,
    Report,
    Reply,
}

/// Host → agent channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Down {
    Ack,
    Desired,
    Command,
    /// The district's service catalogue (an agent that does not know this
    /// channel ignores it).
    Catalogue,
}

impl Up {
    pub fn name(self) -> &'static str {
        match self {
            Up::Status => "status",
            Up::Heartbeat => "heartbeat",
            Up::Events => "events",
            Up::Report => "report",
            Up::Reply => "reply",
        }
    }

    fn from_name(s: &str) -> Option<Up> {
        Some(match s {
            "status" => Up::Status,
            "heartbeat" => Up::Heartbeat,
            "events" => Up::Events,
            "report" => Up::Report,
            "reply" => Up::Reply,
            _ => return None,
        })
    }
}

impl Down {
    pub fn name(self) -> &'static str {
        match self {
            Down::Ack => "ack",
            Down::Desired => "desired",
            Down::Command => "command",
            Down::Catalogue => "catalogue",
        }
    }

    fn from_name(s: &str) -> Option<Down> {
        Some(match s {
            "ack" => Down::Ack,
            "desired" => Down::Desired,
            "command" => Down::Command,
            "catalogue" => Down::Catalogue,
            _ => return None,
        })
    }
}

/// A parsed topic of the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    Up(AgentId, Up),
    Down(AgentId, Down),
}

pub fn up(agent: &AgentId, channel: Up) -> String {
    format!("{ROOT}/{agent}/up/{}", channel.name())
}

pub fn down(agent: &AgentId, channel: Down) -> String {
    format!("{ROOT}/{agent}/down/{}", channel.name())
}

/// Parses a topic of this scheme; anything else is `None`.
pub fn parse(topic: &str) -> Option<Topic> {
    let rest = topic.strip_prefix(ROOT)?.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let agent = AgentId::parse(parts.next()?).ok()?;
    let direction = parts.next()?;
    let channel = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    match direction {
        "up" => Up::from_name(channel).map(|c| Topic::Up(agent, c)),
        "down" => Down::from_name(channel).map(|c| Topic::Down(agent, c)),
        _ => None,
    }
}

/// The filter the host subscribes to for all agents' upstream traffic.
pub fn host_filter() -> String {
    format!("{ROOT}/+/up/#")
}

/// The filters an agent may publish to and subscribe to: its own, only.
pub fn agent_rights(agent: &AgentId) -> (String, String) {
    (
        format!("{ROOT}/{agent}/up/#"),
        format!("{ROOT}/{agent}/down/#"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids() {
        assert!(AgentId::parse("xiangyang-edge-1").is_ok());
        assert!(AgentId::parse("a").is_ok());
        for bad in ["", "-a", "A1", "a/b", "a+b", "a#", "a.b", &"a".repeat(64)] {
            assert!(AgentId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn round_trip() -> Result<(), String> {
        let a = AgentId::parse("hall-1-edge")?;
        for c in [Up::Status, Up::Heartbeat, Up::Events, Up::Report, Up::Reply] {
            assert_eq!(parse(&up(&a, c)), Some(Topic::Up(a.clone(), c)));
        }
        for c in [Down::Ack, Down::Desired, Down::Command, Down::Catalogue] {
            assert_eq!(parse(&down(&a, c)), Some(Topic::Down(a.clone(), c)));
        }
        assert_eq!(parse("bantong/v1/agent/a/up/nope"), None);
        assert_eq!(parse("bantong/v1/agent/a/up/events/x"), None);
        assert_eq!(parse("bantong/v2/agent/a/up/events"), None);
        assert_eq!(parse("bantong/v1/agent/A/up/events"), None);
        Ok(())
    }
}
