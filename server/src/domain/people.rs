//! Adding people to an organisation and showing them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::password;
use crate::db::people::{self, Person};
use crate::db::{self, DbConnection, organisations, sites};
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
