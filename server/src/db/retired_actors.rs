//! Queries on `retired_actors`: the actors a device wrote under before the
//! server issued it a fresh one (see `sync::engine`, actor rollback).

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{DeviceId, Timestamp};
use crate::schema::{devices, retired_actors};

/// The actors `device_id` wrote under before its current one (hex).
pub fn find_by_device(conn: &mut DbConnection, device_id: DeviceId) -> QueryResult<Vec<String>> {
    retired_actors::table
        .filter(retired_actors::device_id.eq(device_id))
        .order(retired_actors::retired_at)
        .select(retired_actors::actor_id)
        .load(conn)
}

/// Whether `actor_id` is one `device_id` wrote under before its current one.
pub fn is_retired(conn: &mut DbConnection, device_id: DeviceId, actor_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        retired_actors::table
            .filter(retired_actors::device_id.eq(device_id))
            .filter(retired_actors::actor_id.eq(actor_id)),
    ))
    .get_result(conn)
}

/// Give the device the actor `fresh`, retiring `current` (inside the caller's
/// transaction). Changes nothing when the device's actor is no longer `current`
/// (a concurrent request rotated it first); returns whether it rotated.
pub fn rotate(
    conn: &mut DbConnection,
    device_id: DeviceId,
    current: &str,
    fresh: &str,
    at: Timestamp,
) -> QueryResult<bool> {
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        let updated =
            diesel::update(devices::table.filter(devices::id.eq(device_id)).filter(devices::actor_id.eq(current)))
                .set(devices::actor_id.eq(fresh))
                .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        diesel::insert_into(retired_actors::table)
            .values((
                retired_actors::actor_id.eq(current),
                retired_actors::device_id.eq(device_id),
                retired_actors::retired_at.eq(at),
            ))
            .execute(conn)?;
        Ok(true)
    })
}
