//! Roles of the service centre's people and the authenticated principal a request carries.

use serde::{Deserialize, Serialize};

use crate::audit::ActorKind;

/// A role from the design brief's list of users. Stored and sent as its kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Enrols halls and edge boxes, manages users, roles and plugins.
    DistrictAdmin,
    /// One-number hotline seat (一号统领).
    HotlineAgent,
    /// Runs a township or street service hall.
    HallManager,
    /// Comprehensive-window staff (综合受理).
    WindowStaff,
    /// Door-to-door service staff (上门办).
    DoorService,
    /// Supervision for effectiveness (监督促效).
    Inspector,
    /// Recruitment, training, exams, attendance and rosters.
    HrOfficer,
    /// Dashboards and reports.
    Leader,
    /// Third-party plugin developer.
    Vendor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::DistrictAdmin,
        Role::HotlineAgent,
        Role::HallManager,
        Role::WindowStaff,
        Role::DoorService,
        Role::Inspector,
        Role::HrOfficer,
        Role::Leader,
        Role::Vendor,
    ];

    /// The stable kebab-case name, as stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "district-admin",
            Role::HotlineAgent => "hotline-agent",
            Role::HallManager => "hall-manager",
            Role::WindowStaff => "window-staff",
            Role::DoorService => "door-service",
            Role::Inspector => "inspector",
            Role::HrOfficer => "hr-officer",
            Role::Leader => "leader",
            Role::Vendor => "vendor",
        }
    }

    /// The zh-CN label shown in the portal.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "区级管理员",
            Role::HotlineAgent => "热线坐席",
            Role::HallManager => "大厅负责人",
            Role::WindowStaff => "综合窗口人员",
            Role::DoorService => "上门办人员",
            Role::Inspector => "督查人员",
            Role::HrOfficer => "人事培训专员",
            Role::Leader => "领导",
            Role::Vendor => "第三方开发商",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::DistrictAdmin => "District administrator",
            Role::HotlineAgent => "Hotline agent",
            Role::HallManager => "Hall manager",
            Role::WindowStaff => "Window staff",
            Role::DoorService => "Door-service staff",
            Role::Inspector => "Inspector",
            Role::HrOfficer => "HR / training officer",
            Role::Leader => "Leader",
            Role::Vendor => "Vendor",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// How a principal was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PrincipalKind {
    /// A browser session.
    User,
    /// An API token acting as its user.
    Token { token_id: String },
    /// The host itself or an operator's CLI command; never produced from a credential.
    System,
}

/// The authenticated caller of a request: who, with which roles, over which halls.
/// Built fresh from the database on every authentication, so role and hall changes
/// apply at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Hall ids the principal may act in (ignored when `district_wide`).
    pub halls: Vec<String>,
    /// May act in every hall.
    pub district_wide: bool,
    /// The password was set by someone else (bootstrap or reset) and must be changed;
    /// the HTTP layer should allow little else until it is.
    pub must_change_password: bool,
    pub kind: PrincipalKind,
}

impl Principal {
    /// A district-wide administrator principal for the host's own work and operator CLI
    /// commands, attributed in the audit log as `system:<name>`. Never hand one to a request.
    pub fn system(name: &str) -> Principal {
        Principal {
            user_id: format!("system:{name}"),
            username: format!("system:{name}"),
            display_name: format!("system ({name})"),
            roles: vec![Role::DistrictAdmin],
            halls: Vec::new(),
            district_wide: true,
            must_change_password: false,
            kind: PrincipalKind::System,
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }

    /// Holds the district-admin role.
    pub fn is_admin(&self) -> bool {
        self.has_role(Role::DistrictAdmin)
    }

    /// May see and act on data of `hall`.
    pub fn can_access_hall(&self, hall: &str) -> bool {
        self.district_wide || self.halls.iter().any(|h| h == hall)
    }

    /// How the audit log names this principal.
    pub fn actor_kind(&self) -> ActorKind {
        match self.kind {
            PrincipalKind::User => ActorKind::User,
            PrincipalKind::Token { .. } => ActorKind::Token,
            PrincipalKind::System => ActorKind::System,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn hall_scope() {
        let mut p = Principal::system("t");
        p.district_wide = false;
        p.halls = vec!["bailou".into()];
        assert!(p.can_access_hall("bailou"));
        assert!(!p.can_access_hall("wuyao"));
        p.district_wide = true;
        assert!(p.can_access_hall("wuyao"));
    }
}
