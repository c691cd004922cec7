//! Queries on `audit_events` and `audit_chain_heads`.
//!
//! Events are only ever inserted (see `domain::audit` for the chain); the one
//! delete is the retention run's, which on PostgreSQL must announce itself to
//! the table's trigger ([`delete_older_than`]).

use diesel::prelude::*;

use super::DbConnection;
use super::keep_prepared::run_kept;
use crate::model::{DeviceId, OrgId, PersonId, Timestamp};
use crate::schema::{audit_chain_heads, audit_events};

/// Who did what, from which device, when it happened and when the server learnt
/// of it. `detail` is a JSON object; `object_id` is the id of whatever
/// `object_type` names. `seq`, `prev_hash` and `hash` place the event in its
/// organisation's hash chain.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: String,
    pub org_id: OrgId,
    pub actor_person_id: Option<PersonId>,
    pub device_id: Option<DeviceId>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub event_time: Timestamp,
    pub server_time: Timestamp,
    pub detail: String,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

pub fn insert(conn: &mut DbConnection, event: &AuditEvent) -> QueryResult<()> {
    insert_many(conn, std::slice::from_ref(event))
}

/// One multi-row insert (the sync engine writes a request's events at once).
pub fn insert_many(conn: &mut DbConnection, events: &[AuditEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    // One row per statement, each kept prepared: a statement per number of
    // rows would fill the statement cache.
    for event in events {
        run_kept!(conn, diesel::insert_into(audit_events::table).values(event).returning(audit_events::seq), i64)?;
    }
    Ok(())
}

/// The organisation's events, oldest first (in chain order; events from before
/// the chain, `seq` 0, first).
pub fn find_by_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .order((audit_events::seq, audit_events::server_time, audit_events::id))
        .select(AuditEvent::as_select())
        .load(conn)
}

/// What to list of an organisation's events.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
    pub actor_id: Option<PersonId>,
    /// The thing the event is about (any kind of id).
    pub subject_id: Option<String>,
    pub action: Option<String>,
    /// Only events after this chain position (the paging cursor).
    pub after_seq: Option<i64>,
}

/// Up to `limit` events matching `filter`, in chain order.
pub fn find_page(
    conn: &mut DbConnection,
    org_id: OrgId,
    filter: &EventFilter,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit_events::table.filter(audit_events::org_id.eq(org_id)).into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(audit_events::server_time.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::server_time.lt(to));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_person_id.eq(actor));
    }
    if let Some(subject) = &filter.subject_id {
        query = query.filter(audit_events::object_id.eq(subject.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(after) = filter.after_seq {
        query = query.filter(audit_events::seq.gt(after));
    }
    query
        .order((audit_events::seq, audit_events::server_time, audit_events::id))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}

/// Events about a person or done by them, in chain order.
pub fn find_about_person(conn: &mut DbConnection, org_id: OrgId, person: PersonId) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::org_id.eq(org_id))
        .filter(audit_events::object_id.eq(person.to_string()).or(audit_events::actor_person_id.eq(person)))
        .order((audit_events::seq, audit_events::id))
        .select(AuditEvent::as_select())
        .load(conn)
}

/// The end of the organisation's chain (`(0, "")` before its first event),
/// locked until the transaction ends: on PostgreSQL by the row lock, on SQLite
/// by the write lock the caller's `BEGIN IMMEDIATE` holds.
pub fn lock_head(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<(i64, String)> {
    let row = (
        audit_chain_heads::org_id.eq(org_id),
        audit_chain_heads::last_seq.eq(0_i64),
        audit_chain_heads::last_hash.eq(""),
    );
    let query = audit_chain_heads::table
        .filter(audit_chain_heads::org_id.eq(org_id))
        .select((audit_chain_heads::last_seq, audit_chain_heads::last_hash));
    match conn {
        DbConnection::Sqlite(conn) => {
            diesel::insert_into(audit_chain_heads::table).values(row).on_conflict_do_nothing().execute(conn)?;
            query.first(conn)
        }
        DbConnection::Pg(conn) => {
            diesel::insert_into(audit_chain_heads::table).values(row).on_conflict_do_nothing().execute(conn)?;
            query.for_update().first(conn)
        }
    }
}

pub fn update_head(conn: &mut DbConnection, org_id: OrgId, last_seq: i64, last_hash: &str) -> QueryResult<()> {
    run_kept!(
        conn,
        diesel::update(audit_chain_heads::table.filter(audit_chain_heads::org_id.eq(org_id)))
            .set((audit_chain_heads::last_seq.eq(last_seq), audit_chain_heads::last_hash.eq(last_hash)))
            .returning(audit_chain_heads::last_seq),
        i64
    )
    .map(drop)
}

/// Deletes the organisation's events recorded before `before`; returns how many
/// and the hash of the newest one deleted. Call inside a write transaction: on
/// PostgreSQL the table's trigger lets the delete through only when the
/// transaction set `alongside.audit_retention` (here, `SET LOCAL`).
pub fn delete_older_than(
    conn: &mut DbConnection,
    org_id: OrgId,
    before: Timestamp,
) -> QueryResult<(usize, Option<String>)> {
    let old = audit_events::table.filter(audit_events::org_id.eq(org_id)).filter(audit_events::server_time.lt(before));
    let last_hash: Option<String> =
        old.order(audit_events::seq.desc()).select(audit_events::hash).first(conn).optional()?;
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SET LOCAL alongside.audit_retention = 'on'").execute(pg)?;
    }
    let deleted = diesel::delete(
        audit_events::table.filter(audit_events::org_id.eq(org_id)).filter(audit_events::server_time.lt(before)),
    )
    .execute(conn)?;
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SET LOCAL alongside.audit_retention = 'off'").execute(pg)?;
    }
    Ok((deleted, last_hash))
}
