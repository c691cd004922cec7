//! Queries on `devices`.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};
use crate::schema::devices;

/// A phone or browser signed in as one person, with its own Automerge actor id.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: DeviceId,
    pub person_id: PersonId,
    pub org_id: OrgId,
    pub name: String,
    /// 32 lowercase hex characters (16 random bytes), issued by the server.
    pub actor_id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// Access tokens carry the epoch of the sign-in they were issued in; signing
    /// out moves on. (The column keeps its first name.)
    #[diesel(column_name = session_epoch)]
    pub sign_in_epoch: i32,
}

pub fn insert(conn: &mut DbConnection, device: &Device) -> QueryResult<()> {
    diesel::insert_into(devices::table).values(device).execute(conn).map(drop)
}

/// Not scoped to an organisation: used to check the device named in a token.
pub fn find_by_id(conn: &mut DbConnection, id: DeviceId) -> QueryResult<Option<Device>> {
    devices::table.find(id).select(Device::as_select()).first(conn).optional()
}

pub fn find_by_id_in_org(conn: &mut DbConnection, org_id: OrgId, id: DeviceId) -> QueryResult<Option<Device>> {
    devices::table
        .filter(devices::org_id.eq(org_id))
        .filter(devices::id.eq(id))
        .select(Device::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_person(conn: &mut DbConnection, org_id: OrgId, person_id: PersonId) -> QueryResult<Vec<Device>> {
    devices::table
        .filter(devices::org_id.eq(org_id))
        .filter(devices::person_id.eq(person_id))
        .order((devices::created_at, devices::id))
        .select(Device::as_select())
        .load(conn)
}

pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Device>> {
    devices::table
        .filter(devices::org_id.eq(org_id))
        .order((devices::person_id, devices::created_at, devices::id))
        .select(Device::as_select())
        .load(conn)
}

/// Marks the device revoked unless it already is. Returns rows changed.
pub fn update_revoked(conn: &mut DbConnection, id: DeviceId, at: Timestamp) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        diesel::update(devices::table.filter(devices::id.eq(id)).filter(devices::revoked_at.is_null()))
            .set(devices::revoked_at.eq(at))
            .execute(conn)
    })
}

/// Records activity, writing at most once per `since` so that ordinary requests
/// do not all turn into writes.
pub fn update_last_seen(conn: &mut DbConnection, id: DeviceId, now: Timestamp, since: Timestamp) -> QueryResult<usize> {
    diesel::update(
        devices::table
            .filter(devices::id.eq(id))
            .filter(devices::last_seen_at.is_null().or(devices::last_seen_at.lt(since))),
    )
    .set(devices::last_seen_at.eq(now))
    .execute(conn)
}

/// Ends every access token issued to the device so far (see `sign_in_epoch`).
pub fn update_next_epoch(conn: &mut DbConnection, id: DeviceId) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        diesel::update(devices::table.find(id)).set(devices::session_epoch.eq(devices::session_epoch + 1)).execute(conn)
    })
}

/// Ends the access tokens of every device of a person except `keep`.
pub fn update_next_epoch_by_person(
    conn: &mut DbConnection,
    person_id: PersonId,
    keep: Option<DeviceId>,
) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        let all = devices::table.filter(devices::person_id.eq(person_id));
        let next = devices::session_epoch.eq(devices::session_epoch + 1);
        match keep {
            Some(device) => diesel::update(all.filter(devices::id.ne(device))).set(next).execute(conn),
            None => diesel::update(all).set(next).execute(conn),
        }
    })
}
