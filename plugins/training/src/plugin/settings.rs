//! The plugin's configuration (district level, `[config.schema]` of the
//! manifest) and the district's people (the platform's directory).

use std::collections::BTreeMap;

use bantong_sdk::{Response, config, directory, log, notices};
use serde::Deserialize;

use crate::exam::Candidate;

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The roles an exam enrols when it names none.
    pub staff_roles: Vec<String>,
    /// 合格线 of a new exam, percent.
    pub pass: u32,
    /// 优秀线 of a new exam, percent.
    pub excellent: u32,
    /// Mastery below this share of a knowledge point's marks is a gap.
    pub gap_percent: u32,
    /// Days to complete a follow-up assignment.
    pub assignment_days: u32,
    /// What certificate numbers start with (then year, level, sequence).
    pub certificate_prefix: String,
    /// Days within which a failed spot check is checked again.
    pub recheck_days: u32,
    /// 行政办事员 routes per level from the official standard; a level
    /// named here takes exactly these routes, the others keep the
    /// defaults.
    pub certification_routes: Vec<crate::cert::LevelRoute>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            staff_roles: vec!["window-staff".into()],
            pass: 60,
            excellent: 90,
            gap_percent: 60,
            assignment_days: 14,
            certificate_prefix: "BT".into(),
            recheck_days: 7,
            certification_routes: Vec::new(),
        }
    }
}

/// The configuration, or the defaults when none is set.
pub fn load() -> Result<Settings, Response> {
    config::get::<Settings>()
        .map_err(|e| Response::error(500, "config", format!("training config: {e}")))
}

/// The certification rules in force.
pub fn certification_rules(s: &Settings) -> Result<Vec<crate::cert::Rule>, Response> {
    crate::cert::rules(&s.certification_routes)
        .map_err(|e| Response::error(500, "config", format!("行政办事员申报条件配置有误：{e}")))
}

/// The people of `roles` in `halls` (every hall when empty), each once, as
/// candidates: a person's hall is the first they act for (none for
/// district-wide people).
pub fn candidates(roles: &[String], halls: &[String]) -> Result<Vec<Candidate>, Response> {
    let mut found: BTreeMap<String, Candidate> = BTreeMap::new();
    for role in roles {
        for p in directory::people(role)? {
            let hall = (!p.district_wide)
                .then(|| p.halls.first().cloned())
                .flatten();
            let in_scope =
                halls.is_empty() || hall.as_ref().is_some_and(|h| halls.iter().any(|x| x == h));
            if in_scope {
                found.entry(p.user_id.clone()).or_insert(Candidate {
                    user_id: p.user_id,
                    name: p.display_name,
                    hall,
                });
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The roles a one-to-one assignment may name besides the staff roles.
const ALSO_STAFF: [&str; 4] = [
    "window-staff",
    "hall-manager",
    "hotline-agent",
    "door-service",
];

/// A person of the staff roles by user id or username, as a candidate.
pub fn person(staff_roles: &[String], key: &str) -> Result<Option<Candidate>, Response> {
    let roles = staff_roles
        .iter()
        .map(String::as_str)
        .chain(ALSO_STAFF)
        .collect::<std::collections::BTreeSet<_>>();
    for role in roles {
        if let Some(p) = directory::people(role)?
            .into_iter()
            .find(|p| p.user_id == key || p.username == key)
        {
            let hall = (!p.district_wide)
                .then(|| p.halls.first().cloned())
                .flatten();
            return Ok(Some(Candidate {
                user_id: p.user_id,
                name: p.display_name,
                hall,
            }));
        }
    }
    Ok(None)
}

/// Each person of the staff roles: username → user id (read once, for
/// resolving a list of names).
pub fn user_ids_by_username(staff_roles: &[String]) -> Result<BTreeMap<String, String>, Response> {
    let roles = staff_roles
        .iter()
        .map(String::as_str)
        .chain(ALSO_STAFF)
        .collect::<std::collections::BTreeSet<_>>();
    let mut out = BTreeMap::new();
    for role in roles {
        for p in directory::people(role)? {
            out.insert(p.username, p.user_id);
        }
    }
    Ok(out)
}

/// The display name of a trainer, hall manager or member of staff.
pub fn name_of(user_id: &str) -> Option<String> {
    ["hr-officer", "district-admin", "hall-manager", "leader"]
        .into_iter()
        .chain(ALSO_STAFF)
        .find_map(|role| {
            directory::people(role)
                .ok()?
                .into_iter()
                .find(|p| p.user_id == user_id)
                .map(|p| p.display_name)
        })
}

/// The halls' Chinese names by id.
pub fn hall_names() -> BTreeMap<String, String> {
    directory::halls()
        .into_iter()
        .map(|h| (h.id, h.name_zh))
        .collect()
}

/// Sends a portal notice to each person; failures are logged, not fatal
/// (the work itself is stored).
pub fn notify(people: &[(String, Option<String>)], text: &str, topic: &str) {
    for (user, hall) in people {
        if let Err(e) = notices::portal(user, text, topic, hall.as_deref()) {
            log::warn(&format!("notice to {user} failed: {e}"));
        }
    }
}
