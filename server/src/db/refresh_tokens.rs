//! Queries on `refresh_tokens`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DeviceId, PersonId, Timestamp};
use crate::schema::refresh_tokens;

/// One issued refresh token, stored as the sha256 of the opaque value. Tokens
/// rotated from one sign-in share a `family_id`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub family_id: String,
    pub device_id: DeviceId,
    pub person_id: PersonId,
    pub token_hash: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

pub fn insert(conn: &mut DbConnection, token: &RefreshToken) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table).values(token).execute(conn).map(drop)
}

pub fn find_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used if nobody has used it yet; 0 rows changed means it was
/// already used (a replay or a race, treated alike).
pub fn update_used(conn: &mut DbConnection, id: &str, at: Timestamp) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::id.eq(id)).filter(refresh_tokens::used_at.is_null()))
        .set(refresh_tokens::used_at.eq(at))
        .execute(conn)
}

pub fn update_revoked_by_family(conn: &mut DbConnection, family_id: &str, at: Timestamp) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
}

pub fn update_revoked_by_device(conn: &mut DbConnection, device_id: DeviceId, at: Timestamp) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::device_id.eq(device_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(at))
    .execute(conn)
}

/// Revokes every refresh token of a person's devices except `keep`'s (the
/// device making the change, if any). Returns rows changed.
pub fn update_revoked_by_person(
    conn: &mut DbConnection,
    person_id: PersonId,
    keep: Option<DeviceId>,
    at: Timestamp,
) -> QueryResult<usize> {
    let open = refresh_tokens::table
        .filter(refresh_tokens::person_id.eq(person_id))
        .filter(refresh_tokens::revoked_at.is_null());
    match keep {
        Some(device) => diesel::update(open.filter(refresh_tokens::device_id.ne(device)))
            .set(refresh_tokens::revoked_at.eq(at))
            .execute(conn),
        None => diesel::update(open).set(refresh_tokens::revoked_at.eq(at)).execute(conn),
    }
}
