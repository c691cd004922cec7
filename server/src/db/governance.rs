//! Queries for retention and erasure: `retention_settings`, the tombstones in
//! `erased_documents`, and deleting a document with everything derived from it.

use diesel::prelude::*;

use super::DbConnection;
use crate::model::{Day, DeviceId, DocumentId, GroupId, MentorshipId, MentorshipStatus, OrgId, PersonId, Timestamp};
use crate::schema::{
    action_projections, devices, document_changes, documents, erased_documents, goal_projections, mentorships, people,
    retention_settings, session_projections,
};

/// An organisation's retention periods.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = retention_settings)]
pub struct RetentionRow {
    pub org_id: OrgId,
    pub pair_document_years: i32,
    pub leaver_days: i32,
    pub audit_years: i32,
    pub device_inactive_days: i32,
    pub updated_at: Timestamp,
}

pub fn find_retention(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Option<RetentionRow>> {
    retention_settings::table
        .filter(retention_settings::org_id.eq(org_id))
        .select(RetentionRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts or replaces the organisation's settings.
pub fn upsert_retention(conn: &mut DbConnection, row: &RetentionRow) -> QueryResult<()> {
    let updated = diesel::update(retention_settings::table.filter(retention_settings::org_id.eq(row.org_id)))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(retention_settings::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// A tombstone: what is left of an erased document.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = erased_documents)]
pub struct Tombstone {
    pub id: DocumentId,
    pub org_id: OrgId,
    pub kind: String,
    pub mentorship_id: Option<MentorshipId>,
    pub owner_id: Option<PersonId>,
    pub erased_at: Timestamp,
    pub reason: String,
}

/// Which of `ids` were erased.
pub fn find_erased(conn: &mut DbConnection, org_id: OrgId, ids: &[DocumentId]) -> QueryResult<Vec<DocumentId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Only the organisation's own: another's tombstone must not tell its ids apart.
    // One statement whatever the number of ids (see `id_list`).
    match conn {
        DbConnection::Sqlite(conn) => erased_documents::table
            .filter(erased_documents::org_id.eq(org_id))
            .filter(super::id_list::in_json(erased_documents::id, ids))
            .select(erased_documents::id)
            .load(conn),
        DbConnection::Pg(conn) => erased_documents::table
            .filter(erased_documents::org_id.eq(org_id))
            .filter(erased_documents::id.eq_any(ids))
            .select(erased_documents::id)
            .load(conn),
    }
}

/// The organisation's tombstones, newest first.
pub fn find_tombstones(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Tombstone>> {
    erased_documents::table
        .filter(erased_documents::org_id.eq(org_id))
        .order(erased_documents::erased_at.desc())
        .select(Tombstone::as_select())
        .load(conn)
}

/// A stored document's identity, for erasing it.
#[derive(Debug, Clone, Queryable)]
pub struct StoredDoc {
    pub id: DocumentId,
    pub kind: String,
    pub mentorship_id: Option<MentorshipId>,
    pub owner_id: Option<PersonId>,
}

/// The documents of these pairings.
pub fn find_docs_of_pairings(conn: &mut DbConnection, ids: &[MentorshipId]) -> QueryResult<Vec<StoredDoc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    documents::table
        .filter(documents::mentorship_id.eq_any(ids))
        .order(documents::id)
        .select((documents::id, documents::kind, documents::mentorship_id, documents::owner_id))
        .load(conn)
}

/// The documents of these groups (group sessions).
pub fn find_docs_of_groups(conn: &mut DbConnection, org_id: OrgId, ids: &[GroupId]) -> QueryResult<Vec<StoredDoc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    documents::table
        .filter(documents::org_id.eq(org_id))
        .filter(documents::group_id.eq_any(ids))
        .order(documents::id)
        .select((documents::id, documents::kind, documents::mentorship_id, documents::owner_id))
        .load(conn)
}

/// These documents of the organisation (a concern's, found through its
/// projection).
pub fn find_docs_by_ids(conn: &mut DbConnection, org_id: OrgId, ids: &[DocumentId]) -> QueryResult<Vec<StoredDoc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    documents::table
        .filter(documents::org_id.eq(org_id))
        .filter(documents::id.eq_any(ids))
        .order(documents::id)
        .select((documents::id, documents::kind, documents::mentorship_id, documents::owner_id))
        .load(conn)
}

/// The documents these people own alone (their journals, survey responses and
/// the concerns they raised).
pub fn find_owned_docs(conn: &mut DbConnection, org_id: OrgId, owners: &[PersonId]) -> QueryResult<Vec<StoredDoc>> {
    if owners.is_empty() {
        return Ok(Vec::new());
    }
    documents::table
        .filter(documents::org_id.eq(org_id))
        .filter(documents::owner_id.eq_any(owners))
        .order(documents::id)
        .select((documents::id, documents::kind, documents::mentorship_id, documents::owner_id))
        .load(conn)
}

/// Deletes a document, its changes and its projections, and leaves `tombstone`
/// (inside the caller's transaction).
pub fn erase_document(conn: &mut DbConnection, tombstone: &Tombstone) -> QueryResult<()> {
    let id = tombstone.id;
    diesel::delete(action_projections::table.filter(action_projections::document_id.eq(id))).execute(conn)?;
    diesel::delete(goal_projections::table.filter(goal_projections::document_id.eq(id))).execute(conn)?;
    diesel::delete(session_projections::table.filter(session_projections::document_id.eq(id))).execute(conn)?;
    super::survey_responses::delete(conn, id)?;
    super::concerns::delete(conn, id)?;
    diesel::delete(document_changes::table.filter(document_changes::document_id.eq(id))).execute(conn)?;
    diesel::delete(documents::table.filter(documents::id.eq(id))).execute(conn)?;
    match conn {
        DbConnection::Sqlite(conn) => {
            diesel::insert_into(erased_documents::table).values(tombstone).on_conflict_do_nothing().execute(conn)?
        }
        DbConnection::Pg(conn) => {
            diesel::insert_into(erased_documents::table).values(tombstone).on_conflict_do_nothing().execute(conn)?
        }
    };
    Ok(())
}

/// Pairings of the organisation that ended or completed on or before `cutoff`.
pub fn find_pairings_ended_by(conn: &mut DbConnection, org_id: OrgId, cutoff: Day) -> QueryResult<Vec<MentorshipId>> {
    mentorships::table
        .filter(mentorships::org_id.eq(org_id))
        .filter(mentorships::status.eq_any([MentorshipStatus::Ended, MentorshipStatus::Completed]))
        .filter(mentorships::ended_on.le(cutoff))
        .select(mentorships::id)
        .load(conn)
}

/// People of the organisation deactivated at or before `cutoff`.
pub fn find_leavers_before(conn: &mut DbConnection, org_id: OrgId, cutoff: Timestamp) -> QueryResult<Vec<PersonId>> {
    people::table
        .filter(people::org_id.eq(org_id))
        .filter(people::deactivated_at.le(cutoff))
        .select(people::id)
        .load(conn)
}

/// Devices of the organisation not revoked and not seen since `cutoff` (a
/// device never seen counts from when it was registered).
pub fn find_devices_idle_since(
    conn: &mut DbConnection,
    org_id: OrgId,
    cutoff: Timestamp,
) -> QueryResult<Vec<DeviceId>> {
    devices::table
        .filter(devices::org_id.eq(org_id))
        .filter(devices::revoked_at.is_null())
        .filter(
            devices::last_seen_at.lt(cutoff).or(devices::last_seen_at.is_null().and(devices::created_at.lt(cutoff))),
        )
        .select(devices::id)
        .load(conn)
}

/// Every organisation's id (for the daily retention run).
pub fn find_org_ids(conn: &mut DbConnection) -> QueryResult<Vec<OrgId>> {
    crate::schema::organisations::table.select(crate::schema::organisations::id).load(conn)
}

/// Replaces a person's name, email and password with a pseudonym and an
/// unusable hash, and their devices' names (which phones choose, often after
/// their owner) with a neutral one (erasure).
pub fn pseudonymise_person(
    conn: &mut DbConnection,
    org_id: OrgId,
    id: PersonId,
    display_name: &str,
    email: &str,
    password_hash: &str,
) -> QueryResult<usize> {
    super::write_transaction(conn, |conn| {
        super::auth_cache::changed(conn)?;
        diesel::update(devices::table.filter(devices::org_id.eq(org_id)).filter(devices::person_id.eq(id)))
            .set(devices::name.eq("erased person's device"))
            .execute(conn)?;
        diesel::update(people::table.filter(people::org_id.eq(org_id)).filter(people::id.eq(id)))
            .set((
                people::display_name.eq(display_name),
                people::email.eq(email),
                people::password_hash.eq(password_hash),
            ))
            .execute(conn)
    })
}
