//! The district's directory (since WIT 0.1.3): its halls and the people
//! who act in the platform, as the district administrator keeps them. A
//! module that plans work across halls or hands it to people (inspection
//! visits, rotas, callbacks) reads them here instead of keeping its own
//! list.
//!
//! [`halls`] is public within the district and needs no capability;
//! [`people`] is personal data and needs the `directory` capability
//! (`directory = true` under `[capabilities]`, and the operator's policy
//! allowing it). Neither is part of the call's unit of work: both read
//! what is committed.
//!
//! ```ignore
//! use bantong_sdk::directory;
//!
//! // Every hall, each inspector in turn.
//! let inspectors = directory::people("inspector")?;
//! for (hall, inspector) in directory::halls().iter().zip(inspectors.iter().cycle()) {
//!     // … plan a visit of `hall.id` by `inspector.user_id`
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::bindings::bantong::platform::directory as wit;
use crate::error::Error;

/// One township or street service hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hall {
    /// Stable slug, e.g. `bailou`: what [`crate::Request::hall`] and a
    /// document's hall hold.
    pub id: String,
    /// The administrative or internal code; [`halls`] are ordered by it.
    pub code: String,
    /// The Chinese name.
    pub name_zh: String,
    /// The English name.
    pub name_en: String,
    /// `demonstration` (示范型), `standard` (标准型) or `basic` (简朴型).
    pub grade: String,
}

/// A person who may act in the platform (an enabled account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Stable user id: what a [`crate::Caller`]'s `user_id` holds and what
    /// [`crate::notices::portal`] is addressed to.
    pub user_id: String,
    /// Login name (lower case, unique).
    pub username: String,
    /// The name to show.
    pub display_name: String,
    /// Role names, e.g. `inspector`, `hall-manager`.
    pub roles: Vec<String>,
    /// The ids of the halls the person acts for; ignored when
    /// `district_wide`.
    pub halls: Vec<String>,
    /// True when the person may act for every hall.
    pub district_wide: bool,
}

impl Person {
    /// Whether the person may act for `hall`.
    pub fn acts_for(&self, hall: &str) -> bool {
        self.district_wide || self.halls.iter().any(|h| h == hall)
    }
}

/// Every hall of the district, ordered by code. Needs no capability.
pub fn halls() -> Vec<Hall> {
    wit::halls()
        .into_iter()
        .map(|h| Hall {
            id: h.id,
            code: h.code,
            name_zh: h.name_zh,
            name_en: h.name_en,
            grade: h.grade,
        })
        .collect()
}

/// The enabled people holding `role` (e.g. `inspector`), ordered by
/// username; disabled accounts are left out, and a role nobody holds
/// answers an empty list. [`Error::Denied`] (403 when returned from a
/// handler with `?`) without the `directory` capability.
pub fn people(role: &str) -> Result<Vec<Person>, Error> {
    Ok(wit::people(role)
        .map_err(Error::from)?
        .into_iter()
        .map(|p| Person {
            user_id: p.user_id,
            username: p.username,
            display_name: p.display_name,
            roles: p.roles,
            halls: p.halls,
            district_wide: p.district_wide,
        })
        .collect())
}
