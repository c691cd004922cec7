//! Queries on `console_sessions`, which holds the console's logins.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::model::{OrgId, PersonId, Timestamp};
use crate::schema::console_sessions;

/// One signed-in browser (a console login). `id` is the SHA-256 (hex) of the cookie's token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleLogin {
    pub id: String,
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

pub fn insert(conn: &mut DbConnection, login: &ConsoleLogin) -> QueryResult<()> {
    diesel::insert_into(console_sessions::table).values(login).execute(conn).map(drop)
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ConsoleLogin>> {
    console_sessions::table.find(id).select(ConsoleLogin::as_select()).first(conn).optional()
}

/// Records activity and slides the expiry; returns rows changed.
pub fn update_seen(conn: &mut DbConnection, id: &str, now: Timestamp, expires_at: Timestamp) -> QueryResult<usize> {
    diesel::update(console_sessions::table.find(id))
        .set((console_sessions::last_seen_at.eq(now), console_sessions::expires_at.eq(expires_at)))
        .execute(conn)
}

/// Ends a login unless it already ended; returns rows changed.
pub fn update_revoked(conn: &mut DbConnection, id: &str, at: Timestamp) -> QueryResult<usize> {
    diesel::update(console_sessions::table.find(id).filter(console_sessions::revoked_at.is_null()))
        .set(console_sessions::revoked_at.eq(at))
        .execute(conn)
}

/// Deletes a person's logins that expired or were revoked before `now`, so the
/// table does not grow with every sign-in.
pub fn delete_finished_for_person(conn: &mut DbConnection, person_id: PersonId, now: Timestamp) -> QueryResult<usize> {
    diesel::delete(
        console_sessions::table
            .filter(console_sessions::person_id.eq(person_id))
            .filter(console_sessions::expires_at.lt(now).or(console_sessions::revoked_at.is_not_null())),
    )
    .execute(conn)
}
