//! Domain vocabulary (roles, statuses, validated input) and the operations that
//! the HTTP handlers, the command line and the demo seed share. Operations take a
//! `&mut DbConnection` and run synchronously; handlers call them inside
//! `Db::run`.

pub mod devices;
pub mod mentorships;
pub mod organisations;
pub mod people;

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// What a person may do in their organisation. A person has any set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Mentee,
    Mentor,
    Coordinator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Mentee, Role::Mentor, Role::Coordinator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Mentee => "mentee",
            Role::Mentor => "mentor",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        Role::ALL.into_iter().filter(|role| self.has(*role)).collect()
    }

    /// Coordinators and admins manage the organisation's people and devices.
    pub fn manages_org(self) -> bool {
        self.coordinator || self.admin
    }
}

/// A syntactically plausible email address, trimmed and lowercased so login by
/// email is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let email = raw.trim().to_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && email.len() <= 254
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err(ApiError::bad_request("invalid_email", format!("`{}` is not a valid email address", raw.trim())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked for a minimum length.
pub struct NewPassword<'a>(&'a str);

impl<'a> NewPassword<'a> {
    pub const MIN_LEN: usize = 8;

    pub fn parse(raw: &'a str) -> Result<Self, ApiError> {
        if raw.chars().count() < Self::MIN_LEN {
            return Err(ApiError::bad_request(
                "weak_password",
                format!("passwords must be at least {} characters long", Self::MIN_LEN),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        self.0
    }
}

/// Kinds of site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    CareHome,
    CommunityTeam,
    Ward,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::CareHome => "care_home",
            SiteKind::CommunityTeam => "community_team",
            SiteKind::Ward => "ward",
        }
    }
}

/// Where a pairing is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MentorshipStatus {
    Proposed,
    Active,
    Paused,
    Completed,
    Ended,
}

impl MentorshipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "proposed" => Self::Proposed,
            "active" => Self::Active,
            "paused" => Self::Paused,
            "completed" => Self::Completed,
            "ended" => Self::Ended,
            _ => return None,
        })
    }

    /// Proposed, active and paused pairings still tie mentor and mentee together.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Proposed | Self::Active | Self::Paused)
    }
}

/// Parses a `YYYY-MM-DD` date from input.
pub fn parse_input_date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    crate::db::parse_date(text).ok_or_else(|| {
        ApiError::bad_request("invalid_date", format!("`{field}` must be a date written YYYY-MM-DD, got `{text}`"))
    })
}

/// Parses a uuid from input; ids that are not uuids cannot exist, hence 404.
pub fn parse_id(what: &str, text: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(text).map(|id| id.to_string()).map_err(|_| ApiError::not_found(what))
}

/// Who caused a change, for the audit trail. The command line acts as nobody in
/// particular (`Actor::system()`).
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub person_id: Option<String>,
    pub device_id: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self::default()
    }
}

/// What an audit event is about.
#[derive(Debug, Clone, Copy)]
pub struct AuditObject<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

/// Appends one audit event. Server-side actions happen when the server records
/// them, so event time and server time are the same instant.
pub fn record_audit(
    conn: &mut crate::db::DbConnection,
    org_id: &str,
    actor: &Actor,
    action: &str,
    object: AuditObject<'_>,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let now = crate::db::now();
    crate::db::audit_events::insert(
        conn,
        &crate::db::audit_events::AuditEvent {
            id: crate::db::new_id(),
            org_id: org_id.to_owned(),
            actor_person_id: actor.person_id.clone(),
            device_id: actor.device_id.clone(),
            action: action.to_owned(),
            object_type: object.kind.to_owned(),
            object_id: object.id.to_owned(),
            event_time: now.clone(),
            server_time: now,
            detail: detail.to_string(),
        },
    )?;
    Ok(())
}

/// Trims a required free-text field and checks its length.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::bad_request("missing_field", format!("`{field}` must not be empty")));
    }
    if value.chars().count() > max_chars {
        return Err(ApiError::bad_request(
            "field_too_long",
            format!("`{field}` must be at most {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}
