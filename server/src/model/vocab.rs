//! Roles and statuses. Their strings (JSON, the database, the command line) come
//! from one place: serde's `rename_all` and strum's `serialize_all`, both
//! snake_case.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text::text_column;

/// What a person may do in their organisation. A person has any set of roles.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    clap::ValueEnum,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Mentee,
    Mentor,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The role flags of one person, as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    pub mentee: bool,
    pub mentor: bool,
    pub coordinator: bool,
    pub admin: bool,
}

impl Roles {
    /// Every role: the command line acts with all of them.
    pub const ALL: Self = Self { mentee: true, mentor: true, coordinator: true, admin: true };

    pub fn from_list(roles: &[Role]) -> Self {
        Self {
            mentee: roles.contains(&Role::Mentee),
            mentor: roles.contains(&Role::Mentor),
            coordinator: roles.contains(&Role::Coordinator),
            admin: roles.contains(&Role::Admin),
        }
    }

    pub fn has(self, role: Role) -> bool {
        match role {
            Role::Mentee => self.mentee,
            Role::Mentor => self.mentor,
            Role::Coordinator => self.coordinator,
            Role::Admin => self.admin,
        }
    }

    pub fn to_list(self) -> Vec<Role> {
        <Role as strum::VariantArray>::VARIANTS.iter().copied().filter(|role| self.has(*role)).collect()
    }

    /// Coordinators and admins manage the organisation's people and devices.
    pub fn manages_org(self) -> bool {
        self.coordinator || self.admin
    }
}

/// Kinds of site.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SiteKind {
    CareHome,
    CommunityTeam,
    Ward,
}

/// Where a pairing is in its life: proposed -> active <-> paused -> ended |
/// completed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MentorshipStatus {
    Proposed,
    Active,
    Paused,
    Completed,
    Ended,
}

impl MentorshipStatus {
    /// The statuses that still tie mentor and mentee together.
    pub const OPEN: [Self; 3] = [Self::Proposed, Self::Active, Self::Paused];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Proposed, active and paused pairings still tie mentor and mentee together.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Every status but `ended` lets the pair hold their documents: `completed`
    /// pairings stay readable and writable by the pair.
    pub fn grants_access(self) -> bool {
        self != Self::Ended
    }
}

/// How a pairing ends.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EndOutcome {
    /// Ended early (moved on, mismatch, left the organisation).
    #[default]
    Ended,
    /// Ran its course.
    Completed,
}

impl EndOutcome {
    /// The status a pairing ending this way takes.
    pub fn status(self) -> MentorshipStatus {
        match self {
            Self::Ended => MentorshipStatus::Ended,
            Self::Completed => MentorshipStatus::Completed,
        }
    }
}

/// Why a person left the organisation (recorded when they are deactivated).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LeavingReason {
    Resigned,
    Dismissed,
    EndOfContract,
    Retired,
    Other,
}

impl LeavingReason {
    pub const ALL: [Self; 5] = [Self::Resigned, Self::Dismissed, Self::EndOfContract, Self::Retired, Self::Other];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How the console words it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Resigned => "Resigned",
            Self::Dismissed => "Dismissed",
            Self::EndOfContract => "End of contract",
            Self::Retired => "Retired",
            Self::Other => "Other",
        }
    }
}

text_column!(SiteKind, MentorshipStatus, LeavingReason);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_the_same_for_serde_strum_and_the_database() {
        for status in [
            MentorshipStatus::Proposed,
            MentorshipStatus::Active,
            MentorshipStatus::Paused,
            MentorshipStatus::Completed,
            MentorshipStatus::Ended,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.as_str().parse::<MentorshipStatus>().unwrap(), status);
        }
        assert_eq!(SiteKind::CommunityTeam.to_string(), "community_team");
        assert_eq!(serde_json::to_string(&SiteKind::CommunityTeam).unwrap(), "\"community_team\"");
        assert_eq!(Role::Coordinator.as_str(), "coordinator");
        assert!("ending".parse::<MentorshipStatus>().is_err());
        assert_eq!(EndOutcome::Completed.status(), MentorshipStatus::Completed);
    }

    #[test]
    fn roles_list_in_a_fixed_order() {
        let roles = Roles::from_list(&[Role::Admin, Role::Mentee]);
        assert_eq!(roles.to_list(), vec![Role::Mentee, Role::Admin]);
        assert!(roles.manages_org());
        assert!(!Roles::from_list(&[Role::Mentor]).manages_org());
    }
}
