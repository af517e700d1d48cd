//! Conveniences on the contract's plain types: methods, callers, events and
//! scheduled jobs.

use core::fmt;

use serde::de::DeserializeOwned;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use crate::bindings::bantong::platform::types::{Caller, Event, Job, Method};

impl Method {
    /// Every method a plugin route may answer, in a stable order.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The upper-case HTTP name, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Parses an HTTP method name, case-insensitively.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Caller {
    /// A caller for tests and tools.
    pub fn new(user_id: impl Into<String>, username: impl Into<String>) -> Self {
        Caller {
            user_id: user_id.into(),
            username: username.into(),
            roles: Vec::new(),
            halls: Vec::new(),
            district_wide: false,
        }
    }

    /// Adds a role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds a hall to the caller's scope.
    pub fn with_hall(mut self, hall: impl Into<String>) -> Self {
        self.halls.push(hall.into());
        self
    }

    /// Makes the caller district-wide.
    pub fn district_wide(mut self) -> Self {
        self.district_wide = true;
        self
    }

    /// Whether the caller holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the caller may act for `hall`.
    pub fn can_act_for(&self, hall: &str) -> bool {
        self.district_wide || self.halls.iter().any(|h| h == hall)
    }

    /// The id of the module reading this plugin through
    /// [`crate::modules::get`] (the caller `module:<id>`, role `module`),
    /// or `None` for a person or a token. The host lets such a caller in
    /// only on routes marked `module-read` and only when the operator
    /// granted that module the read: a route may answer it as a
    /// district-wide reader.
    pub fn module(&self) -> Option<&str> {
        self.user_id
            .strip_prefix("module:")
            .filter(|_| self.has_role("module"))
    }

    /// Whether this is a machine using an API token (`token:<id>`).
    pub fn is_machine(&self) -> bool {
        self.user_id.starts_with("token:")
    }
}

/// `{"user_id","username","roles","halls","district_wide"}`.
impl Serialize for Caller {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Caller", 5)?;
        st.serialize_field("user_id", &self.user_id)?;
        st.serialize_field("username", &self.username)?;
        st.serialize_field("roles", &self.roles)?;
        st.serialize_field("halls", &self.halls)?;
        st.serialize_field("district_wide", &self.district_wide)?;
        st.end()
    }
}

impl Event {
    /// The payload parsed into `T`; the error message names the event.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(&self.payload).map_err(|e| {
            format!(
                "event {} on `{}` has an unexpected payload: {e}",
                self.id, self.topic
            )
        })
    }
}

/// `{"id","topic","source","hall","payload","occurred_at"}` with the payload
/// inlined as JSON (or as a string when it is not valid JSON).
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let payload: serde_json::Value = serde_json::from_str(&self.payload)
            .unwrap_or_else(|_| serde_json::Value::String(self.payload.clone()));
        let mut st = s.serialize_struct("Event", 6)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("topic", &self.topic)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("hall", &self.hall)?;
        st.serialize_field("payload", &payload)?;
        st.serialize_field("occurred_at", &self.occurred_at)?;
        st.end()
    }
}

/// `{"name","scheduled_at","fire_id"}`.
impl Serialize for Job {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Job", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("scheduled_at", &self.scheduled_at)?;
        st.serialize_field("fire_id", &self.fire_id)?;
        st.end()
    }
}
