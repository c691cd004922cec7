//! Adding people to an organisation, changing them, and showing them.

use serde::Serialize;
use utoipa::ToSchema;

use super::permissions::{self, AccessChange};
use super::{Actor, AuditObject, DomainError, Email, NewPassword, parse_input_date, record_audit, required_text};
use crate::auth::password;
use crate::db::departures::{self, Departure};
use crate::db::people::{self, Person};
use crate::db::{self, DbConnection, devices, organisations, sites};
use crate::model::{Day, LeavingReason, OrgId, PersonId, Role, Roles, SiteId, Timestamp};

/// Everything needed to add a person.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password: String,
    pub line_manager_id: Option<PersonId>,
    pub site_id: Option<SiteId>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
}

/// A person as the API shows them (never the password hash).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct PersonView {
    #[schema(value_type = Uuid)]
    pub id: PersonId,
    #[schema(value_type = Uuid)]
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    #[schema(value_type = Option<Uuid>)]
    pub line_manager_id: Option<PersonId>,
    #[schema(value_type = Option<Uuid>)]
    pub site_id: Option<SiteId>,
    #[schema(value_type = Option<String>)]
    pub start_date: Option<Day>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub deactivated_at: Option<Timestamp>,
    /// The day a deactivated person left (`YYYY-MM-DD`); `null` while active.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub left_on: Option<Day>,
    /// Why they left; `null` while active or when the deactivation gave no reason.
    #[serde(default)]
    pub leaving_reason: Option<LeavingReason>,
    /// Capacity, languages, shift pattern and specialisms, for matching; sent
    /// by `GET` and `PATCH /v1/people/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<super::training::MentorProfile>,
}

impl From<&Person> for PersonView {
    fn from(person: &Person) -> Self {
        Self {
            id: person.id,
            org_id: person.org_id,
            email: person.email.clone(),
            display_name: person.display_name.clone(),
            roles: person.roles().to_list(),
            line_manager_id: person.line_manager_id,
            site_id: person.site_id,
            start_date: person.start_date,
            created_at: person.created_at,
            deactivated_at: person.deactivated_at,
            left_on: None,
            leaving_reason: None,
            profile: None,
        }
    }
}

impl PersonView {
    /// The view with the person's departure (read separately, see [`departure`]).
    pub fn with_departure(self, departure: Option<&Departure>) -> Self {
        Self { left_on: departure.map(|d| d.left_on), leaving_reason: departure.and_then(|d| d.leaving_reason), ..self }
    }
}

/// A deactivated person's departure, if recorded.
pub fn departure(conn: &mut DbConnection, org_id: OrgId, id: PersonId) -> Result<Option<Departure>, DomainError> {
    Ok(departures::find_by_person(conn, org_id, id)?)
}

/// Every departure recorded in the organisation, by person.
pub fn departures(
    conn: &mut DbConnection,
    org_id: OrgId,
) -> Result<std::collections::HashMap<PersonId, Departure>, DomainError> {
    Ok(departures::find_by_org(conn, org_id)?.into_iter().map(|d| (d.person_id, d)).collect())
}

/// The day a person started in post: their start date, or else the day their
/// account was made.
pub fn started_in_post(person: &Person) -> Day {
    person.start_date.unwrap_or_else(|| person.created_at.day())
}

fn missing_roles() -> DomainError {
    DomainError::invalid("missing_roles", "a person needs at least one role (mentee, mentor, coordinator, admin)")
}

/// Validates and adds a person to `org_id`. The email must be new in the
/// organisation (409 otherwise; other organisations' accounts are not consulted); the line manager and site must belong to the
/// same organisation (404 otherwise). Only admins add admins.
pub fn create(conn: &mut DbConnection, org_id: OrgId, actor: &Actor, new: &NewPerson) -> Result<Person, DomainError> {
    let roles = Roles::from_list(&new.roles);
    permissions::add_person(actor.roles, roles)?;
    let email = Email::parse(&new.email)?;
    let display_name = required_text("display_name", &new.display_name, 200)?;
    let password = NewPassword::parse(&new.password, &[email.as_str(), &display_name])?;
    if new.roles.is_empty() {
        return Err(missing_roles());
    }
    let start_date = new.start_date.as_deref().map(|text| parse_input_date("start_date", text)).transpose()?;
    let password_hash = password::hash(password.expose())?;

    db::write_transaction(conn, |conn| {
        if organisations::find_by_id(conn, org_id)?.is_none() {
            return Err(DomainError::not_found("organisation"));
        }
        if let Some(manager_id) = new.line_manager_id
            && people::find_by_id(conn, org_id, manager_id)?.is_none()
        {
            return Err(DomainError::not_found("line manager"));
        }
        if let Some(site_id) = new.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(DomainError::not_found("site"));
        }
        if people::find_by_email(conn, org_id, email.as_str())?.is_some() {
            return Err(email_taken());
        }
        let person = Person {
            id: PersonId::new_random(),
            org_id,
            email: email.as_str().to_owned(),
            display_name,
            is_mentee: roles.mentee,
            is_mentor: roles.mentor,
            is_coordinator: roles.coordinator,
            is_admin: roles.admin,
            line_manager_id: new.line_manager_id,
            site_id: new.site_id,
            start_date,
            password_hash,
            created_at: Timestamp::now(),
            deactivated_at: None,
        };
        people::insert(conn, &person).map_err(|error| match DomainError::from(error) {
            // Two concurrent adds of the same email: the unique index decides.
            DomainError::Db(db) if db.is_unique_violation() => email_taken(),
            other => other,
        })?;
        record_audit(
            conn,
            org_id,
            actor,
            "person.created",
            AuditObject::new("person", person.id),
            serde_json::json!({ "roles": roles.to_list() }),
        )?;
        Ok(person)
    })
}

/// The one person with this email, in `org_id` when given. Without an
/// organisation, an email with accounts in several organisations is a 409
/// `organisation_required` naming them (for operators at the command line; the
/// API never answers with this).
pub fn find_one_by_email(conn: &mut DbConnection, email: &Email, org_id: Option<OrgId>) -> Result<Person, DomainError> {
    if let Some(org_id) = org_id {
        return people::find_by_email(conn, org_id, email.as_str())?.ok_or_else(|| DomainError::not_found("person"));
    }
    let mut found = people::find_all_by_email(conn, email.as_str(), 100)?;
    match found.len() {
        0 => Err(DomainError::not_found("person")),
        1 => Ok(found.remove(0)),
        _ => {
            let orgs: Vec<String> = found.iter().map(|person| person.org_id.to_string()).collect();
            Err(DomainError::conflict(
                "organisation_required",
                format!("this email has accounts in several organisations; give one of {}", orgs.join(", ")),
            ))
        }
    }
}

fn email_taken() -> DomainError {
    DomainError::conflict("email_taken", "a person with this email already exists")
}

/// One person of the organisation, if the actor may read them
/// ([`permissions::read_person`]).
pub fn find(conn: &mut DbConnection, org_id: OrgId, actor: &Actor, id: PersonId) -> Result<Person, DomainError> {
    permissions::read_person(actor, id)?;
    people::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("person"))
}

/// Everyone in the organisation (managers).
pub fn list(conn: &mut DbConnection, org_id: OrgId, actor: &Actor) -> Result<Vec<Person>, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    Ok(people::find_by_org(conn, org_id)?)
}

/// A change to a person, as the API takes it. `None` leaves a field alone; for
/// the optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PersonUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub line_manager_id: Option<Option<PersonId>>,
    pub site_id: Option<Option<SiteId>>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<Option<String>>,
    /// `false` deactivates (and revokes every device, so phones wipe); `true`
    /// reactivates (the person signs in again on new devices) and forgets the
    /// departure (the audit trail keeps it).
    pub active: Option<bool>,
    /// `YYYY-MM-DD`: the day a leaver left (default: the day of deactivation).
    /// Only when deactivating, or correcting a deactivated person's record.
    pub left_on: Option<String>,
    /// Why they left; as `left_on`.
    pub leaving_reason: Option<LeavingReason>,
}

/// Changes a person, within the rules of [`permissions::change_person`].
/// Deactivating a leaver revokes every device they hold.
pub fn update(
    conn: &mut DbConnection,
    org_id: OrgId,
    actor: &Actor,
    id: PersonId,
    update: &PersonUpdate,
) -> Result<Person, DomainError> {
    permissions::manage_organisation(actor.roles)?;
    let display_name =
        update.display_name.as_deref().map(|name| required_text("display_name", name, 200)).transpose()?;
    let roles = match &update.roles {
        Some(list) if list.is_empty() => return Err(missing_roles()),
        Some(list) => Some(Roles::from_list(list)),
        None => None,
    };
    let start_date = match &update.start_date {
        Some(Some(text)) => Some(Some(parse_input_date("start_date", text)?)),
        Some(None) => Some(None),
        None => None,
    };
    let left_on = update.left_on.as_deref().map(|text| parse_input_date("left_on", text.trim())).transpose()?;
    let departure_given = left_on.is_some() || update.leaving_reason.is_some();

    db::write_transaction(conn, |conn| {
        let current = people::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("person"))?;
        permissions::change_person(actor, &current, AccessChange { roles, deactivates: update.active == Some(false) })?;
        if let Some(Some(manager_id)) = update.line_manager_id {
            if manager_id == id {
                return Err(DomainError::invalid("invalid_line_manager", "a person cannot be their own line manager"));
            }
            if people::find_by_id(conn, org_id, manager_id)?.is_none() {
                return Err(DomainError::not_found("line manager"));
            }
        }
        if let Some(Some(site_id)) = update.site_id
            && sites::find_by_id(conn, org_id, site_id)?.is_none()
        {
            return Err(DomainError::not_found("site"));
        }
        let deactivated_at = match update.active {
            Some(false) if current.is_active() => Some(Some(Timestamp::now())),
            Some(true) if !current.is_active() => Some(None),
            _ => None,
        };
        let leaving = match deactivated_at {
            Some(Some(_)) => true,
            Some(None) => false,
            None => !current.is_active() && update.active != Some(true),
        };
        if departure_given && !leaving {
            return Err(DomainError::invalid(
                "not_leaving",
                "`left_on` and `leaving_reason` go with deactivating a person (`active: false`) or correcting a deactivated person's record",
            ));
        }
        let departure = if leaving && (departure_given || deactivated_at.is_some()) {
            let earlier = departures::find_by_person(conn, org_id, id)?;
            let left_on = left_on
                .or(earlier.as_ref().map(|d| d.left_on))
                .or(current.deactivated_at.map(Timestamp::day))
                .unwrap_or_else(Day::today);
            if left_on > Day::today() {
                return Err(DomainError::invalid("invalid_left_on", "`left_on` cannot be a day to come"));
            }
            let started = start_date.unwrap_or(current.start_date);
            if let Some(started) = started
                && left_on < started
            {
                return Err(DomainError::invalid(
                    "invalid_left_on",
                    format!("`left_on` ({left_on}) is before the person's start date ({started})"),
                ));
            }
            let leaving_reason = update.leaving_reason.or(earlier.and_then(|d| d.leaving_reason));
            Some(Departure { person_id: id, org_id, left_on, leaving_reason, recorded_at: Timestamp::now() })
        } else {
            None
        };
        let fields: Vec<&str> = [
            ("display_name", display_name.is_some()),
            ("roles", roles.is_some()),
            ("line_manager_id", update.line_manager_id.is_some()),
            ("site_id", update.site_id.is_some()),
            ("start_date", start_date.is_some()),
            ("left_on", departure.is_some() && deactivated_at.is_none() && left_on.is_some()),
            ("leaving_reason", departure.is_some() && deactivated_at.is_none() && update.leaving_reason.is_some()),
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
            line_manager_id: update.line_manager_id,
            site_id: update.site_id,
            start_date,
            deactivated_at,
        };
        let only_departure = fields.iter().all(|f| matches!(*f, "left_on" | "leaving_reason"));
        if !(only_departure && deactivated_at.is_none()) {
            // Diesel refuses an update that sets nothing.
            people::update(conn, org_id, id, &changes)?;
        }
        match (&departure, deactivated_at) {
            (Some(departure), _) => departures::upsert(conn, departure)?,
            (None, Some(None)) => {
                departures::delete(conn, org_id, id)?;
            }
            (None, _) => {}
        }
        if matches!(deactivated_at, Some(Some(_))) {
            // A leaver's phones wipe on their next sync; their console logins end
            // (for good: reactivation means signing in again).
            for device in devices::find_by_person(conn, org_id, id)? {
                super::devices::revoke(conn, &device, actor)?;
            }
            people::update_console_logins_revoked(conn, id, None, Timestamp::now())?;
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
            AuditObject::new("person", id),
            serde_json::json!({
                "fields": fields,
                "roles": roles.map(Roles::to_list),
                "left_on": departure.as_ref().map(|d| d.left_on.to_string()),
                "leaving_reason": departure.as_ref().and_then(|d| d.leaving_reason).map(LeavingReason::as_str),
            }),
        )?;
        people::find_by_id(conn, org_id, id)?.ok_or_else(|| DomainError::not_found("person"))
    })
}
