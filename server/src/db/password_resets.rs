//! Queries on `password_resets`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{OrgId, PersonId, Timestamp};
use crate::schema::password_resets;

/// One issued reset code, stored only as its SHA-256.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: String,
    pub org_id: OrgId,
    pub person_id: PersonId,
    pub code_hash: String,
    /// Who issued it; `None` for the command line.
    pub issued_by: Option<PersonId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub fn insert(conn: &mut DbConnection, reset: &PasswordReset) -> QueryResult<()> {
    diesel::insert_into(password_resets::table).values(reset).execute(conn).map(drop)
}

/// The person's unused code with this hash, if any (expired ones included: the
/// caller decides).
pub fn find_unused(
    conn: &mut DbConnection,
    person_id: PersonId,
    code_hash: &str,
) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::person_id.eq(person_id))
        .filter(password_resets::code_hash.eq(code_hash))
        .filter(password_resets::used_at.is_null())
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()
}

/// Uses a code unless it was used already; 0 rows changed means it was.
pub fn update_used(conn: &mut DbConnection, id: &str, at: Timestamp) -> QueryResult<usize> {
    diesel::update(password_resets::table.find(id).filter(password_resets::used_at.is_null()))
        .set(password_resets::used_at.eq(at))
        .execute(conn)
}

/// Ends every unused code of a person (a new one was issued, or the password
/// changed). Returns rows changed.
pub fn update_used_by_person(conn: &mut DbConnection, person_id: PersonId, at: Timestamp) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::person_id.eq(person_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(at))
    .execute(conn)
}
