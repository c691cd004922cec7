//! Domain rules and the operations that the HTTP handlers, the console, the
//! command line and the demo seed share. Operations take a `&mut DbConnection`
//! and run synchronously; handlers call them inside `Db::run`.
//!
//! Who may do what is decided here, in [`permissions`], and every operation
//! checks its own rule, so no caller can forget one. What counts as contact or
//! as overdue is [`programme`]'s. Failures are a [`DomainError`]; the HTTP edge
//! turns it into a response (`error::ApiError`), the command line into a
//! message.

pub mod audit;
pub mod concerns;
pub mod devices;
pub mod digest;
pub mod erasure;
pub mod groups;
pub mod matching;
pub mod mentorships;
pub mod organisations;
pub mod oversight;
pub mod passwords;
pub mod people;
pub mod permissions;
pub mod programme;
pub mod programmes;
pub mod reminders;
pub mod retention;
pub mod subject_access;
pub mod surveys;
pub mod training;

use crate::auth::password::PasswordError;
use crate::db::{self, DbConnection, DbError};
pub use crate::model::{
    Day, DeviceId, EndOutcome, MentorshipId, MentorshipStatus, OrgId, PersonId, Role, Roles, SiteId, SiteKind,
    Timestamp,
};

/// Why a domain operation did not happen. Messages are lowercase fragments;
/// the edges make sentences of them.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The thing does not exist, or is not the caller's to know of.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The current state does not allow it (an open pairing exists, ...).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The caller's roles do not allow it.
    #[error("{message}")]
    Forbidden { message: String },
    /// The input is not acceptable.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot hash the password")]
    Password(#[from] PasswordError),
}

impl DomainError {
    /// `what` names the thing, e.g. `not_found("mentorship")`.
    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound { what }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden { message: message.into() }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { code, message: message.into() }
    }
}

impl From<diesel::result::Error> for DomainError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

/// A syntactically plausible email address, trimmed and lowercased so login by
/// email is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
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
            Err(DomainError::invalid("invalid_email", format!("`{}` is not a valid email address", raw.trim())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy of [`passwords`] (NIST SP 800-63B:
/// long enough, not guessable, no composition rules).
pub struct NewPassword<'a>(&'a str);

impl<'a> NewPassword<'a> {
    pub const MIN_LEN: usize = passwords::MIN_LEN;

    /// `about` names the person (email, display name): a password made of those
    /// is refused as guessable.
    pub fn parse(raw: &'a str, about: &[&str]) -> Result<Self, DomainError> {
        passwords::check_policy(raw, about)?;
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        self.0
    }
}

/// Parses a `YYYY-MM-DD` date from input.
pub fn parse_input_date(field: &str, text: &str) -> Result<Day, DomainError> {
    text.parse().map_err(|_| {
        DomainError::invalid("invalid_date", format!("`{field}` must be a date written YYYY-MM-DD, got `{text}`"))
    })
}

/// Who is acting: what the rules in [`permissions`] judge, and who the audit
/// trail names. The command line acts as nobody in particular with every power
/// (`Actor::system()`).
#[derive(Debug, Clone)]
pub struct Actor {
    pub person_id: Option<PersonId>,
    pub device_id: Option<DeviceId>,
    pub roles: Roles,
}

impl Actor {
    pub fn system() -> Self {
        Self { person_id: None, device_id: None, roles: Roles::ALL }
    }

    /// A person, signed in on `device_id` (none for the console and for
    /// failed sign-ins).
    pub fn person(person: &db::people::Person, device_id: Option<DeviceId>) -> Self {
        Self { person_id: Some(person.id), device_id, roles: person.roles() }
    }

    /// Whether the actor is this person.
    pub fn is(&self, person: PersonId) -> bool {
        self.person_id == Some(person)
    }
}

/// What an audit event is about: a kind (`person`, `device`, ...) and its id.
#[derive(Debug, Clone)]
pub struct AuditObject {
    pub kind: &'static str,
    pub id: String,
}

impl AuditObject {
    pub fn new(kind: &'static str, id: impl std::fmt::Display) -> Self {
        Self { kind, id: id.to_string() }
    }
}

/// Appends one audit event to the organisation's chain ([`audit::record`]).
/// Server-side actions happen when the server records them, so event time and
/// server time are the same instant.
pub fn record_audit(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    action: &str,
    object: AuditObject,
    detail: serde_json::Value,
) -> Result<(), DomainError> {
    audit::record(conn, org_id, audit::NewEvent::by(actor, action, object, detail))
}

/// Trims a required free-text field and checks its length.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid("missing_field", format!("`{field}` must not be empty")));
    }
    if value.chars().count() > max_chars {
        return Err(DomainError::invalid(
            "field_too_long",
            format!("`{field}` must be at most {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}
