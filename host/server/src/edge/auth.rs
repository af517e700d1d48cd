//! Who may connect to the embedded broker: the host itself (a fresh random
//! password per process) and every enrolled, unrevoked agent, each limited
//! to its own topics.

use std::collections::HashMap;
use std::sync::RwLock;

use bantong_broker::{Authenticator, ConnectReturnCode, Rights};
use bantong_fabric::{AgentId, topic};

use super::registry::sha256_hex;
use crate::identity::constant_time_eq;

/// Credentials the embedded broker accepts.
#[derive(Debug, Default)]
pub struct AgentAuth {
    /// Agent id → sha256 of its secret.
    agents: RwLock<HashMap<String, String>>,
    /// The host's own username and password hash.
    host: RwLock<Option<(String, String)>>,
}

impl AgentAuth {
    pub fn set_host(&self, username: &str, password: &str) {
        *self.host.write().unwrap_or_else(|p| p.into_inner()) =
            Some((username.to_owned(), sha256_hex(password)));
    }

    pub fn insert(&self, agent: &str, secret_sha256: String) {
        self.agents
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(agent.to_owned(), secret_sha256);
    }

    pub fn remove(&self, agent: &str) {
        self.agents
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(agent);
    }

    pub fn replace_all(&self, all: Vec<(String, String)>) {
        *self.agents.write().unwrap_or_else(|p| p.into_inner()) = all.into_iter().collect();
    }
}

impl Authenticator for AgentAuth {
    fn authenticate(
        &self,
        client_id: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<Rights, ConnectReturnCode> {
        let (Some(username), Some(password)) = (username, password) else {
            return Err(ConnectReturnCode::BadUserNamePassword);
        };
        let presented = sha256_hex(password);
        if let Some((host_user, host_hash)) = &*self.host.read().unwrap_or_else(|p| p.into_inner())
            && host_user == username
        {
            return if constant_time_eq(host_hash.as_bytes(), presented.as_bytes()) {
                Ok(Rights::all())
            } else {
                Err(ConnectReturnCode::BadUserNamePassword)
            };
        }
        let agents = self.agents.read().unwrap_or_else(|p| p.into_inner());
        let Some(expected) = agents.get(username) else {
            return Err(ConnectReturnCode::BadUserNamePassword);
        };
        if !constant_time_eq(expected.as_bytes(), presented.as_bytes()) {
            return Err(ConnectReturnCode::BadUserNamePassword);
        }
        // An agent connects under its own id, so session take-over can only
        // ever replace its own older connection.
        if client_id != username {
            return Err(ConnectReturnCode::BadClientId);
        }
        let agent = AgentId::parse(username).map_err(|_| ConnectReturnCode::NotAuthorized)?;
        let (publish, subscribe) = topic::agent_rights(&agent);
        Ok(Rights {
            publish: vec![publish],
            subscribe: vec![subscribe],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_get_only_their_own_topics() {
        let auth = AgentAuth::default();
        auth.set_host("host", "pw-host");
        auth.insert("hall-a-1", sha256_hex("s1"));
        let rights = auth.authenticate("hall-a-1", Some("hall-a-1"), Some("s1"));
        let Ok(rights) = rights else {
            panic!("agent refused: {rights:?}")
        };
        assert!(rights.may_publish("bantong/v1/agent/hall-a-1/up/events"));
        assert!(!rights.may_publish("bantong/v1/agent/hall-b-1/up/events"));
        assert!(rights.may_subscribe("bantong/v1/agent/hall-a-1/down/#"));
        assert!(!rights.may_subscribe("bantong/v1/agent/+/down/#"));
        assert_eq!(
            auth.authenticate("hall-a-1", Some("hall-a-1"), Some("wrong")),
            Err(ConnectReturnCode::BadUserNamePassword)
        );
        assert_eq!(
            auth.authenticate("other", Some("hall-a-1"), Some("s1")),
            Err(ConnectReturnCode::BadClientId)
        );
        assert_eq!(
            auth.authenticate("x", Some("host"), Some("pw-host")),
            Ok(Rights::all())
        );
        auth.remove("hall-a-1");
        assert!(
            auth.authenticate("hall-a-1", Some("hall-a-1"), Some("s1"))
                .is_err()
        );
    }
}
