//! Queries on `documents` and `document_changes`.
//!
//! A document is stored as an optional snapshot (covering change ids up to
//! `snapshot_upto`) plus the changes stored after it. Writers to one document are
//! serialised: in-process by the document cache, across PostgreSQL processes by a
//! row lock taken with [`lock_version`]; so change ids of one document only grow.

use diesel::prelude::*;

use super::DbConnection;
use super::id_list::in_json;
use super::keep_prepared::{KeepPrepared, run_kept};
use crate::model::{DeviceId, DocumentId, GroupId, MentorshipId, OrgId, PersonId, Timestamp};
use crate::schema::{document_changes, documents};

/// A new document row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = documents)]
pub struct NewDocument<'a> {
    pub id: DocumentId,
    pub org_id: OrgId,
    pub kind: &'a str,
    pub mentorship_id: Option<MentorshipId>,
    pub owner_id: Option<PersonId>,
    pub group_id: Option<GroupId>,
    pub header: &'a str,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A change to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = document_changes)]
pub struct NewChange {
    pub document_id: DocumentId,
    pub hash: String,
    pub bytes: Vec<u8>,
    pub device_id: Option<DeviceId>,
    pub person_id: Option<PersonId>,
    pub received_at: Timestamp,
    /// Its change-cursor number when known as it is stored (SQLite, see
    /// `sync::cursor::seq_up_front`); else `cursor::stamp` numbers it later.
    pub seq: Option<i64>,
}

/// A document's identity and version, without its content.
#[derive(Debug, Clone, Queryable)]
pub struct DocumentRef {
    pub id: DocumentId,
    /// The header as JSON (sync-core's `DocHeader`).
    pub header: String,
    pub last_change_id: i64,
}

/// What is needed to load a document.
#[derive(Debug, Clone, Queryable)]
pub struct StoredState {
    pub snapshot: Option<Vec<u8>>,
    pub snapshot_upto: i64,
}

/// The stored documents among `ids`, in any organisation: document ids are
/// global, so an id taken by another organisation must be seen as taken (and then
/// refused), never as new.
pub fn find_refs_by_ids(conn: &mut DbConnection, ids: &[DocumentId]) -> QueryResult<Vec<DocumentRef>> {
    let columns = (documents::id, documents::header, documents::last_change_id);
    // One statement whatever the number of ids (see `id_list`).
    match conn {
        DbConnection::Sqlite(conn) => documents::table.filter(in_json(documents::id, ids)).select(columns).load(conn),
        DbConnection::Pg(conn) => documents::table.filter(documents::id.eq_any(ids)).select(columns).load(conn),
    }
}

/// Every document of the given pairings and groups, and the owner's journal.
pub fn find_refs_readable(
    conn: &mut DbConnection,
    org_id: OrgId,
    mentorship_ids: &[MentorshipId],
    group_ids: &[GroupId],
    owner_id: PersonId,
) -> QueryResult<Vec<DocumentRef>> {
    let columns = (documents::id, documents::header, documents::last_change_id);
    match conn {
        DbConnection::Sqlite(conn) => documents::table
            .filter(documents::org_id.eq(org_id))
            .filter(
                in_json(documents::mentorship_id, mentorship_ids)
                    .or(documents::owner_id.eq(owner_id))
                    .or(in_json(documents::group_id, group_ids)),
            )
            .select(columns)
            .load(conn),
        DbConnection::Pg(conn) => documents::table
            .filter(documents::org_id.eq(org_id))
            .filter(
                documents::mentorship_id
                    .eq_any(mentorship_ids)
                    .or(documents::owner_id.eq(owner_id))
                    .or(documents::group_id.eq_any(group_ids)),
            )
            .select(columns)
            .load(conn),
    }
}

/// The snapshot of a document, if it has one.
pub fn find_stored(conn: &mut DbConnection, id: DocumentId) -> QueryResult<Option<StoredState>> {
    documents::table
        .filter(documents::id.eq(id))
        .select((documents::snapshot, documents::snapshot_upto))
        .first(conn)
        .optional()
}

/// Up to which change a document's stored snapshot reaches (0: none yet), without
/// reading the snapshot.
pub fn snapshot_upto(conn: &mut DbConnection, id: DocumentId) -> QueryResult<Option<i64>> {
    documents::table.filter(documents::id.eq(id)).select(documents::snapshot_upto).first(conn).optional()
}

/// A document's stored snapshot and heads, when the snapshot holds every stored
/// change (compacted since its last write): the whole document as it stands,
/// with no Automerge work.
pub fn find_current_snapshot(conn: &mut DbConnection, id: DocumentId) -> QueryResult<Option<(Vec<u8>, String)>> {
    let row: Option<(Option<Vec<u8>>, String)> = documents::table
        .filter(documents::id.eq(id))
        .filter(documents::snapshot_upto.ge(documents::last_change_id))
        .select((documents::snapshot, documents::heads))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(snapshot, heads)| snapshot.map(|bytes| (bytes, heads))))
}

/// The stored changes of a document after change id `after`, oldest first.
pub fn find_changes_after(conn: &mut DbConnection, id: DocumentId, after: i64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    document_changes::table
        .filter(document_changes::document_id.eq(id))
        .filter(document_changes::id.gt(after))
        .order(document_changes::id.asc())
        .select((document_changes::id, document_changes::bytes))
        .load(conn)
}

/// Create the document row unless another writer already did.
pub fn insert_if_absent(conn: &mut DbConnection, row: &NewDocument<'_>) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(conn) => {
            diesel::insert_into(documents::table).values(row).on_conflict_do_nothing().execute(conn)?
        }
        DbConnection::Pg(conn) => {
            diesel::insert_into(documents::table).values(row).on_conflict_do_nothing().execute(conn)?
        }
    };
    Ok(())
}

/// The id of the last stored change, locking the row against other writers until
/// the transaction ends (PostgreSQL; SQLite has a single writer anyway).
pub fn lock_version(conn: &mut DbConnection, id: DocumentId) -> QueryResult<Option<i64>> {
    let query = documents::table.filter(documents::id.eq(id)).select(documents::last_change_id);
    match conn {
        DbConnection::Sqlite(conn) => query.first(conn).optional(),
        DbConnection::Pg(conn) => query.for_update().first(conn).optional(),
    }
}

/// Store changes (duplicates are skipped) and return the new last change id.
pub fn append_changes(conn: &mut DbConnection, id: DocumentId, rows: &[NewChange]) -> QueryResult<i64> {
    match conn {
        // SQLite cannot combine a multi-row insert with ON CONFLICT in diesel.
        DbConnection::Sqlite(sqlite) => {
            let mut inserted = None;
            for row in rows {
                let ids = KeepPrepared(
                    diesel::insert_into(document_changes::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .returning(document_changes::id),
                )
                .load::<i64>(sqlite)?;
                inserted = ids.into_iter().chain(inserted).max();
            }
            // Ids are AUTOINCREMENT: a new row's is above every id the table
            // ever held, so the last one inserted is the document's last. With
            // none inserted (all were stored already), look it up.
            if let Some(last) = inserted {
                return Ok(last);
            }
        }
        DbConnection::Pg(conn) => {
            diesel::insert_into(document_changes::table).values(rows).on_conflict_do_nothing().execute(conn)?;
        }
    }
    let last: Option<i64> = document_changes::table
        .filter(document_changes::document_id.eq(id))
        .select(diesel::dsl::max(document_changes::id))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}

/// Record the document's new heads after storing `added` changes.
pub fn update_heads(
    conn: &mut DbConnection,
    id: DocumentId,
    heads: &str,
    last_change_id: i64,
    added: i32,
    now: Timestamp,
) -> QueryResult<()> {
    run_kept!(
        conn,
        diesel::update(documents::table.filter(documents::id.eq(id)))
            .set((
                documents::heads.eq(heads),
                documents::last_change_id.eq(last_change_id),
                documents::changes_since_snapshot.eq(documents::changes_since_snapshot + added),
                documents::updated_at.eq(now),
            ))
            .returning(documents::last_change_id),
        i64
    )
    .map(drop)
}

/// Fold the changes up to `upto` into `snapshot`. Changes stored after `upto`
/// meanwhile stay and still count. The changes the previous snapshot folded (up
/// to `previous_upto`) are deleted now; those this one folds stay until the next,
/// so a device whose cursor is from after the previous compaction still catches
/// up with the few changes it lacks, not the whole document.
pub fn compact(
    conn: &mut DbConnection,
    id: DocumentId,
    snapshot: &[u8],
    previous_upto: i64,
    upto: i64,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let of_document = document_changes::document_id.eq(id);
        let folded: i64 = document_changes::table
            .filter(of_document)
            .filter(document_changes::id.gt(previous_upto))
            .filter(document_changes::id.le(upto))
            .count()
            .get_result(conn)?;
        diesel::delete(document_changes::table.filter(of_document).filter(document_changes::id.le(previous_upto)))
            .execute(conn)?;
        let folded = i32::try_from(folded).unwrap_or(i32::MAX);
        diesel::update(documents::table.filter(documents::id.eq(id)))
            .set((
                documents::snapshot.eq(Some(snapshot)),
                documents::snapshot_upto.eq(upto),
                documents::changes_since_snapshot.eq(documents::changes_since_snapshot - folded),
            ))
            .execute(conn)
            .map(drop)
    })
}
