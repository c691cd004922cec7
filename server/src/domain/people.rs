//! Adding people to an organisation and showing them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::password;
use crate::db::people::{self, Person};
use crate::db::{self, DbConnection, devices, organisations, sites};
use crate::domain::{
    Actor, AuditObject, Email, NewPassword, Role, Roles, parse_input_date, record_audit, required_text,
};
use crate::error::ApiError;

/// Everything needed to add a person.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password: String,
    pub line_manager_id: Option<String>,
    pub site_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
}

/// A person as the API shows them (never the password hash).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct PersonView {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub line_manager_id: Option<String>,
    pub site_id: Option<String>,
    pub start_date: Option<String>,
    pub created_at: String,
    pub deactivated_at: Option<String>,
}

impl From<&Person> for PersonView {
    fn from(person: &Person) -> Self {
        Self {
            id: person.id.clone(),
            org_id: person.org_id.clone(),
            email: person.email.clone(),
            display_name: person.display_name.clone(),
            roles: person.roles().to_list(),
            line_manager_id: person.line_manager_id.clone(),
            site_id: person.site_id.clone(),
            start_date: person.start_date.clone(),
            created_at: person.created_at.clone(),
            deactivated_at: person.deactivated_at.clone(),
        }
    }
}

/// Validates and adds a person to `org_id`. The email must be new across all
/// organisations (409 otherwise); the line manager and site must belong to the
/// same organisation (404 otherwise).
pub fn create(conn: &mut DbConnection, org_id: &str, actor: &Actor, new: &NewPerson) -> Result<Person, ApiError> {
    let email = Email::parse(&new.email)?;
    let display_name = required_text("display_name", &new.display_name, 200)?;
    let password = NewPassword::parse(&new.password)?;
    if new.roles.is_empty() {
        return Err(ApiError::bad_request(
            "missing_roles",
            "a person needs at least one role (mentee, mentor, coordinator, admin)",
        ));
    }
    let start_date =
        new.start_date.as_deref().map(|text| parse_input_date("start_date", text).map(db::date_text)).transpose()?;
    let password_hash = password::hash(password.expose())?;
    let roles = Roles::from_list(&new.roles);

    crate::db::write_transaction(conn, |conn| {
        if organisations::find_by_id(conn, org_id)?.is_none() {
            return Err(ApiError::not_found("organisation"));
        }
        if let Some(manager_id) = &new.line_manager_id
            && people::find_by_id(conn, org_id, manager_id)?.is_none()
        {
            return Err(ApiError::not_found("line manager"));
        }
        if let Some(site_id) = &new.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(ApiError::not_found("site"));
        }
        if people::find_by_email(conn, email.as_str())?.is_some() {
            return Err(email_taken());
        }
        let person = Person {
            id: db::new_id(),
            org_id: org_id.to_owned(),
            email: email.as_str().to_owned(),
            display_name,
            is_mentee: roles.mentee,
            is_mentor: roles.mentor,
            is_coordinator: roles.coordinator,
            is_admin: roles.admin,
            line_manager_id: new.line_manager_id.clone(),
            site_id: new.site_id.clone(),
            start_date,
            password_hash,
            created_at: db::now(),
            deactivated_at: None,
        };
        people::insert(conn, &person).map_err(|error| match ApiError::from(error) {
            // Two concurrent adds of the same email: the unique index decides.
            ApiError::Conflict { .. } => email_taken(),
            other => other,
        })?;
        record_audit(
            conn,
            org_id,
            actor,
            "person.created",
            AuditObject { kind: "person", id: &person.id },
            serde_json::json!({ "roles": roles.to_list() }),
        )?;
        Ok(person)
    })
}

fn email_taken() -> ApiError {
    ApiError::conflict("email_taken", "a person with this email already exists")
}

/// A change to a person, as the API takes it. `None` leaves a field alone; for
/// the optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PersonUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub line_manager_id: Option<Option<String>>,
    pub site_id: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<Option<String>>,
    /// `false` deactivates (and revokes every device, so phones wipe); `true`
    /// reactivates (the person signs in again on new devices).
    pub active: Option<bool>,
}

/// Who may change whom: coordinators and admins change people of their own
/// organisation; only admins grant, withdraw or hold the admin role (so only an
/// admin changes an admin); nobody deactivates themselves or withdraws their own
/// management role, so an organisation cannot lock itself out by accident.
pub fn update(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &Actor,
    actor_roles: Roles,
    id: &str,
    update: &PersonUpdate,
) -> Result<Person, ApiError> {
    let display_name =
        update.display_name.as_deref().map(|name| required_text("display_name", name, 200)).transpose()?;
    let roles = match &update.roles {
        Some(list) if list.is_empty() => {
            return Err(ApiError::bad_request(
                "missing_roles",
                "a person needs at least one role (mentee, mentor, coordinator, admin)",
            ));
        }
        Some(list) => Some(Roles::from_list(list)),
        None => None,
    };
    let start_date = match &update.start_date {
        Some(Some(text)) => Some(Some(db::date_text(parse_input_date("start_date", text)?))),
        Some(None) => Some(None),
        None => None,
    };
    let is_self = actor.person_id.as_deref() == Some(id);

    crate::db::write_transaction(conn, |conn| {
        let current = people::find_by_id(conn, org_id, id)?.ok_or_else(|| ApiError::not_found("person"))?;
        let admin_involved = current.is_admin || roles.is_some_and(|r| r.admin);
        if admin_involved && !actor_roles.admin {
            return Err(ApiError::forbidden("only admins change admins or grant the admin role"));
        }
        if is_self {
            let drops_management =
                roles.is_some_and(|r| (current.is_admin && !r.admin) || (current.is_coordinator && !r.coordinator));
            if update.active == Some(false) || drops_management {
                return Err(ApiError::conflict(
                    "own_access",
                    "you cannot deactivate yourself or withdraw your own coordinator or admin role",
                ));
            }
        }
        if let Some(Some(manager_id)) = &update.line_manager_id {
            if manager_id == id {
                return Err(ApiError::bad_request("invalid_line_manager", "a person cannot be their own line manager"));
            }
            if people::find_by_id(conn, org_id, manager_id)?.is_none() {
                return Err(ApiError::not_found("line manager"));
            }
        }
        if let Some(Some(site_id)) = &update.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(ApiError::not_found("site"));
        }
        let now = db::now();
        let deactivated_at = match update.active {
            Some(false) if current.is_active() => Some(Some(now.clone())),
            Some(true) if !current.is_active() => Some(None),
            _ => None,
        };
        let fields: Vec<&str> = [
            ("display_name", display_name.is_some()),
            ("roles", roles.is_some()),
            ("line_manager_id", update.line_manager_id.is_some()),
            ("site_id", update.site_id.is_some()),
            ("start_date", start_date.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect();
        if fields.is_empty() && deactivated_at.is_none() {
            // Nothing to change (reactivating someone active, say).
            return Ok(current);
        }
        let changes = people::PersonChanges {
            display_name: display_name.clone(),
            is_mentee: roles.map(|r| r.mentee),
            is_mentor: roles.map(|r| r.mentor),
            is_coordinator: roles.map(|r| r.coordinator),
            is_admin: roles.map(|r| r.admin),
            line_manager_id: update.line_manager_id.clone(),
            site_id: update.site_id.clone(),
            start_date: start_date.clone(),
            deactivated_at: deactivated_at.clone(),
        };
        people::update(conn, org_id, id, &changes)?;
        if matches!(deactivated_at, Some(Some(_))) {
            // A leaver's phones wipe on their next sync.
            for device in devices::find_by_person(conn, org_id, id)? {
                super::devices::revoke(conn, &device, actor)?;
            }
        }
        let action = match deactivated_at {
            Some(Some(_)) => "person.deactivated",
            Some(None) => "person.reactivated",
            None => "person.updated",
        };
        record_audit(
            conn,
            org_id,
            actor,
            action,
            AuditObject { kind: "person", id },
            serde_json::json!({ "fields": fields, "roles": roles.map(Roles::to_list) }),
        )?;
        people::find_by_id(conn, org_id, id)?.ok_or_else(|| ApiError::not_found("person"))
    })
}
