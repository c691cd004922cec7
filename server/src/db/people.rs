//! Queries on `people`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, OrgId, PersonId, Roles, SiteId, Timestamp};
use crate::schema::people;

/// One account. `email` is unique across all organisations so that login by
/// email is unambiguous.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = people)]
pub struct Person {
    pub id: PersonId,
    pub org_id: OrgId,
    pub email: String,
    pub display_name: String,
    pub is_mentee: bool,
    pub is_mentor: bool,
    pub is_coordinator: bool,
    pub is_admin: bool,
    pub line_manager_id: Option<PersonId>,
    pub site_id: Option<SiteId>,
    pub start_date: Option<Day>,
    /// argon2id PHC string; never leaves the server.
    pub password_hash: String,
    pub created_at: Timestamp,
    pub deactivated_at: Option<Timestamp>,
}

impl Person {
    pub fn roles(&self) -> Roles {
        Roles { mentee: self.is_mentee, mentor: self.is_mentor, coordinator: self.is_coordinator, admin: self.is_admin }
    }

    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

pub fn insert(conn: &mut DbConnection, person: &Person) -> QueryResult<()> {
    diesel::insert_into(people::table).values(person).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, org_id: OrgId, id: PersonId) -> QueryResult<Option<Person>> {
    people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::id.eq(id))
        .select(Person::as_select())
        .first(conn)
        .optional()
}

/// The person of `org_id` with this email. `email` must already be normalised
/// (see `domain::Email`).
pub fn find_by_email(conn: &mut DbConnection, org_id: OrgId, email: &str) -> QueryResult<Option<Person>> {
    people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::email.eq(email))
        .select(Person::as_select())
        .first(conn)
        .optional()
}

/// Every account with this email, in organisation-id order, at most `limit`:
/// one address may hold an account in several organisations. `email` must
/// already be normalised.
pub fn find_all_by_email(conn: &mut DbConnection, email: &str, limit: i64) -> QueryResult<Vec<Person>> {
    people::table
        .filter(people::email.eq(email))
        .order((people::org_id, people::id))
        .limit(limit)
        .select(Person::as_select())
        .load(conn)
}

pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Person>> {
    people::table
        .filter(people::org_id.eq(org_id))
        .order((people::display_name, people::id))
        .select(Person::as_select())
        .load(conn)
}

/// Fields to change on a person; `None` leaves a field as it is, and for
/// nullable columns `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = people)]
pub struct PersonChanges {
    pub display_name: Option<String>,
    pub is_mentee: Option<bool>,
    pub is_mentor: Option<bool>,
    pub is_coordinator: Option<bool>,
    pub is_admin: Option<bool>,
    pub line_manager_id: Option<Option<PersonId>>,
    pub site_id: Option<Option<SiteId>>,
    pub start_date: Option<Option<Day>>,
    pub deactivated_at: Option<Option<Timestamp>>,
}

pub fn update(conn: &mut DbConnection, org_id: OrgId, id: PersonId, changes: &PersonChanges) -> QueryResult<usize> {
    // Roles, name, email and deactivation are what the token check hands on.
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        diesel::update(people::table.filter(people::org_id.eq(org_id)).filter(people::id.eq(id)))
            .set(changes)
            .execute(conn)
    })
}

/// Ends every console login of a person, except `keep` (the login making the
/// change, if any): on deactivation, so they do not work again on reactivation,
/// and when the password changes. Returns rows changed.
pub fn update_console_logins_revoked(
    conn: &mut DbConnection,
    person_id: PersonId,
    keep: Option<&str>,
    at: Timestamp,
) -> QueryResult<usize> {
    use crate::schema::console_sessions;
    let open = console_sessions::table
        .filter(console_sessions::person_id.eq(person_id))
        .filter(console_sessions::revoked_at.is_null())
        .filter(console_sessions::id.ne(keep.unwrap_or("")));
    diesel::update(open).set(console_sessions::revoked_at.eq(at)).execute(conn)
}

/// Replaces a person's password hash. Returns rows changed.
pub fn update_password_hash(conn: &mut DbConnection, id: PersonId, password_hash: &str) -> QueryResult<usize> {
    diesel::update(people::table.filter(people::id.eq(id))).set(people::password_hash.eq(password_hash)).execute(conn)
}
