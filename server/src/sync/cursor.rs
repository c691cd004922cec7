//! The change cursor (issue 12): what changed for a device since it last synced,
//! without its inventory.
//!
//! Every sync write transaction that stores changes takes the next sequence
//! number of its organisation ([`take_seq`]: an upsert on the organisation's
//! `sync_counters` row, whose row lock lasts until the commit) and stamps it on
//! the documents and changes it stored ([`stamp`]). Because the number is taken
//! under that lock, as the transaction's last write, a transaction holding
//! number `n` committed (and became visible) before any transaction could take
//! `n + 1`: numbers are visible in order, so a reader that sees the counter at
//! `c` sees every change numbered up to `c`, however many processes write. On
//! SQLite `BEGIN IMMEDIATE` serialises writers anyway.
//!
//! A cursor is `(epoch, seq, access)`: the database's random identity, the
//! counter as read before anything the reply reports, and a fingerprint of what
//! the person could read (pairings with their people, groups, the device, the
//! organisation's erasures). A cursor of another epoch, ahead of the counter, or
//! with another fingerprint is not recognised: the device is asked for its whole
//! inventory, which purges and sends what an access change or an erasure calls
//! for. Otherwise the reply carries, for each document the person may read that
//! changed after the cursor and that the request did not offer, the changes
//! numbered after the cursor that other devices wrote (the device has its own),
//! or the whole document if it was first stored after the cursor or changes
//! after the cursor were folded into its snapshot.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};
use sync_core::protocol::{self, DocReply, SyncCursor};

use super::SyncError;
use super::cache::DocCache;
use super::engine::{Access, Caller, ChangedDoc, may_hold, stored_header, stored_heads, whole_reply};
use crate::db::DbConnection;
use crate::db::documents::DocumentRef;
use crate::db::id_list::{in_json, json_texts};
use crate::db::keep_prepared::{KeepPrepared, run_kept};
use crate::model::{DeviceId, DocumentId, GroupId, MentorshipId, OrgId};
use crate::schema::{document_changes, document_positions, documents, sync_counters};

/// Where the database stands for one organisation: read before anything a reply
/// reports, so the reply holds at least everything numbered up to `seq`.
#[derive(Debug, Clone, QueryableByName)]
pub struct Position {
    #[diesel(sql_type = Text)]
    pub epoch: String,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// The organisation's erased documents, for the access fingerprint.
    #[diesel(sql_type = BigInt)]
    pub erasures: i64,
    /// `sync_epoch.auth_generation`: what the token check's cache is checked
    /// against (`db::auth_cache::matches_database`).
    #[diesel(sql_type = BigInt)]
    pub auth_generation: i64,
}

/// [`position`]'s one statement, on SQLite and on PostgreSQL.
const POSITION_SQLITE: &str = "\
SELECT e.epoch AS epoch, \
       COALESCE((SELECT c.seq FROM sync_counters c WHERE c.org_id = ?), 0) AS seq, \
       (SELECT COUNT(*) FROM erased_documents x WHERE x.org_id = ?) AS erasures, \
       e.auth_generation AS auth_generation \
FROM sync_epoch e LIMIT 1";
const POSITION_PG: &str = "\
SELECT e.epoch AS epoch, \
       COALESCE((SELECT c.seq FROM sync_counters c WHERE c.org_id = $1), 0) AS seq, \
       (SELECT COUNT(*) FROM erased_documents x WHERE x.org_id = $1) AS erasures, \
       e.auth_generation AS auth_generation \
FROM sync_epoch e LIMIT 1";

/// The database's identity, the organisation's last sequence number, its
/// erasures and the token check's generation, in one statement.
pub fn position(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Position> {
    match conn {
        DbConnection::Sqlite(conn) => {
            KeepPrepared(diesel::sql_query(POSITION_SQLITE).bind::<Text, _>(org_id).bind::<Text, _>(org_id))
                .get_result(conn)
        }
        DbConnection::Pg(conn) => KeepPrepared(diesel::sql_query(POSITION_PG).bind::<Text, _>(org_id)).get_result(conn),
    }
}

/// Take the organisation's next sequence number (inside the write transaction,
/// as late as possible: the counter row stays locked until the commit).
pub fn take_seq(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<i64> {
    let insert = diesel::insert_into(sync_counters::table)
        .values((sync_counters::org_id.eq(org_id), sync_counters::seq.eq(1_i64)))
        .on_conflict(sync_counters::org_id)
        .do_update()
        .set(sync_counters::seq.eq(sync_counters::seq + 1_i64))
        .returning(sync_counters::seq);
    match conn {
        DbConnection::Sqlite(conn) => KeepPrepared(insert).get_result(conn),
        DbConnection::Pg(conn) => KeepPrepared(insert).get_result(conn),
    }
}

/// On SQLite, the sequence number for this transaction's changes, taken at the
/// first call (and kept in `taken`), so they are stored numbered: a SQLite
/// writer holds the database's write lock from its first statement to its
/// commit, so a number taken early is as good as one taken last. On PostgreSQL
/// `None`: [`stamp`] takes it last, to hold the counter's row lock only briefly.
pub fn seq_up_front(conn: &mut DbConnection, org_id: OrgId, taken: &mut Option<i64>) -> QueryResult<Option<i64>> {
    if matches!(conn, DbConnection::Pg(_)) {
        return Ok(None);
    }
    if taken.is_none() {
        *taken = Some(take_seq(conn, org_id)?);
    }
    Ok(*taken)
}

/// Number the documents this transaction changed (with their scope, as in
/// their `documents` rows), and the changes it stored. `taken`: the number
/// [`seq_up_front`] took and stored the changes with, if it did.
pub fn stamp(conn: &mut DbConnection, org_id: OrgId, changed: &[ChangedDoc], taken: Option<i64>) -> QueryResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let seq = match taken {
        Some(seq) => seq,
        None => take_seq(conn, org_id)?,
    };
    for doc in changed {
        let (id, projected) = (doc.id, doc.projected);
        let insert = diesel::insert_into(document_positions::table).values((
            document_positions::document_id.eq(id),
            document_positions::org_id.eq(org_id),
            document_positions::change_seq.eq(seq),
            document_positions::first_seq.eq(seq),
            document_positions::compacted_seq.eq(0_i64),
            document_positions::projected_seq.eq(seq),
            document_positions::mentorship_id.eq(doc.mentorship_id),
            document_positions::owner_id.eq(doc.owner_id),
            document_positions::group_id.eq(doc.group_id),
        ));
        let upsert = insert.on_conflict(document_positions::document_id).do_update();
        let both = (document_positions::change_seq.eq(seq), document_positions::projected_seq.eq(seq));
        let change_only = document_positions::change_seq.eq(seq);
        let returned = document_positions::change_seq;
        if projected {
            run_kept!(&mut *conn, upsert.set(both).returning(returned), i64)?;
        } else {
            run_kept!(&mut *conn, upsert.set(change_only).returning(returned), i64)?;
        }
        if taken.is_some() {
            continue;
        }
        run_kept!(
            &mut *conn,
            diesel::update(
                document_changes::table
                    .filter(document_changes::document_id.eq(id))
                    .filter(document_changes::seq.is_null()),
            )
            .set(document_changes::seq.eq(Some(seq)))
            .returning(document_changes::id),
            i64
        )?;
    }
    Ok(())
}

/// Before deleting a document's changes up to change id `upto` (a compaction):
/// remember the highest number among them, so a cursor before it gets the
/// snapshot.
pub fn note_compaction(conn: &mut DbConnection, id: DocumentId, upto: i64) -> QueryResult<()> {
    let folded: Option<Option<i64>> = document_changes::table
        .filter(document_changes::document_id.eq(id))
        .filter(document_changes::id.le(upto))
        .select(diesel::dsl::max(document_changes::seq))
        .first(conn)
        .optional()?;
    if let Some(Some(seq)) = folded {
        diesel::update(
            document_positions::table
                .filter(document_positions::document_id.eq(id))
                .filter(document_positions::compacted_seq.lt(seq)),
        )
        .set(document_positions::compacted_seq.eq(seq))
        .execute(conn)?;
    }
    Ok(())
}

/// What the person could read, as a fingerprint: any change of a pairing (ended,
/// other people), of a group membership, or an erasure in the organisation
/// (`position.erasures`) changes it. Computed from committed state on every
/// request, so it cannot be skipped by interleaved commits.
pub(crate) fn fingerprint(caller: &Caller, access: &Access, position: &Position) -> Vec<u8> {
    let mut pairs: Vec<String> =
        access.pairs.values().map(|p| format!("{}:{}:{}", p.mentorship_id, p.mentor_id, p.mentee_id)).collect();
    pairs.sort();
    let mut groups: Vec<String> = access.groups.iter().map(ToString::to_string).collect();
    groups.sort();
    let mut hash = Sha256::new();
    hash.update(format!("{}\n{}\n{}\n", caller.person, caller.device_id, position.erasures));
    for entry in pairs.iter().chain(&groups) {
        hash.update(entry.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize()[..16].to_vec()
}

/// Whether a request's cursor holds here: same database, not ahead of it, and
/// the same access.
pub fn recognised(cursor: &SyncCursor, position: &Position, access: &[u8]) -> bool {
    cursor.epoch == position.epoch
        && i64::try_from(cursor.seq).is_ok_and(|seq| seq <= position.seq)
        && cursor.access.as_slice() == access
}

/// The cursor for a reply.
pub fn issue(position: &Position, access: Vec<u8>) -> SyncCursor {
    SyncCursor { epoch: position.epoch.clone(), seq: u64::try_from(position.seq).unwrap_or(0), access: access.into() }
}

/// A readable document changed after the cursor, as stored.
#[derive(Debug, Queryable, QueryableByName)]
struct ChangedRow {
    #[diesel(sql_type = Text)]
    id: DocumentId,
    #[diesel(sql_type = Text)]
    header: String,
    #[diesel(sql_type = BigInt)]
    last_change_id: i64,
    #[diesel(sql_type = Text)]
    heads: String,
    #[diesel(sql_type = BigInt)]
    change_seq: i64,
    #[diesel(sql_type = BigInt)]
    first_seq: i64,
    #[diesel(sql_type = BigInt)]
    compacted_seq: i64,
    #[diesel(sql_type = BigInt)]
    projected_seq: i64,
}

/// [`changed_rows`] on SQLite. Driven by the positions' scope indexes: for each
/// of the person's pairings and groups, and their own documents, the positions
/// numbered after the cursor (one index range each, empty when nothing
/// changed), then each one's document by its key. So the read costs what
/// changed, never how many documents the person holds (nor, as a walk of
/// `(org_id, change_seq)` would, what the organisation changed).
const CHANGED_ROWS_SQLITE: &str = "\
SELECT d.id AS id, d.header AS header, d.last_change_id AS last_change_id, d.heads AS heads, \
       p.change_seq AS change_seq, p.first_seq AS first_seq, p.compacted_seq AS compacted_seq, \
       p.projected_seq AS projected_seq \
FROM document_positions p CROSS JOIN documents d \
WHERE d.id = p.document_id AND p.org_id = ? AND d.org_id = ? AND p.change_seq > ? \
  AND (p.mentorship_id IN (SELECT value FROM json_each(?)) OR p.owner_id = ? \
       OR p.group_id IN (SELECT value FROM json_each(?))) \
ORDER BY d.id";

/// The documents of the person's pairings, groups and own that changed after
/// `since`, by id.
fn changed_rows(conn: &mut DbConnection, caller: &Caller, access: &Access, since: i64) -> QueryResult<Vec<ChangedRow>> {
    let mentorship_ids: Vec<MentorshipId> = access.pairs.keys().copied().collect();
    let group_ids: Vec<GroupId> = access.groups.iter().copied().collect();
    match conn {
        DbConnection::Sqlite(conn) => KeepPrepared(
            diesel::sql_query(CHANGED_ROWS_SQLITE)
                .bind::<Text, _>(caller.org_id)
                .bind::<Text, _>(caller.org_id)
                .bind::<BigInt, _>(since)
                .bind::<Text, _>(json_texts(&mentorship_ids))
                .bind::<Text, _>(caller.person)
                .bind::<Text, _>(json_texts(&group_ids)),
        )
        .load(conn),
        DbConnection::Pg(conn) => document_positions::table
            .inner_join(documents::table)
            .filter(document_positions::org_id.eq(caller.org_id))
            .filter(document_positions::change_seq.gt(since))
            .filter(documents::org_id.eq(caller.org_id))
            .filter(
                document_positions::mentorship_id
                    .eq_any(&mentorship_ids)
                    .or(document_positions::owner_id.eq(caller.person))
                    .or(document_positions::group_id.eq_any(&group_ids)),
            )
            .order(documents::id)
            .select((
                documents::id,
                documents::header,
                documents::last_change_id,
                documents::heads,
                document_positions::change_seq,
                document_positions::first_seq,
                document_positions::compacted_seq,
                document_positions::projected_seq,
            ))
            .load(conn),
    }
}

/// What changed after a cursor for one person.
pub(crate) struct ChangedSince {
    /// Replies for the documents the request did not offer.
    pub replies: Vec<DocReply>,
    /// A document the person may read (offered or not) had its projection
    /// written after the cursor: their reminders may have changed.
    pub projections_changed: bool,
}

/// Replies for the documents the person may read that changed after `since`
/// and that the request did not offer (`offered`). One snapshot
/// ([`crate::db::read_snapshot`]), so heads, changes and compaction agree.
pub(crate) fn changed_since(
    conn: &mut DbConnection,
    cache: &DocCache,
    caller: &Caller,
    access: &Access,
    since: i64,
    offered: &HashSet<DocumentId>,
) -> Result<ChangedSince, SyncError> {
    crate::db::read_snapshot(conn, |conn| -> Result<ChangedSince, SyncError> {
        let rows = changed_rows(conn, caller, access, since)?;
        let mut projections_changed = false;
        let mut wanted = Vec::new();
        for row in rows {
            if offered.contains(&row.id) {
                // Offered, so already through the access test (or purged by
                // the reply, which then does not vouch for the reminders).
                projections_changed |= row.projected_seq > since;
                continue;
            }
            let doc_ref = DocumentRef { id: row.id, header: row.header.clone(), last_change_id: row.last_change_id };
            let header = stored_header(&doc_ref)?;
            if !may_hold(&header, caller, access) {
                continue;
            }
            projections_changed |= row.projected_seq > since;
            wanted.push((row, header));
        }
        // A document compacted after the cursor goes whole; for the others, what
        // other devices wrote after the cursor (the device has its own), all
        // read in one statement.
        let partial: Vec<DocumentId> =
            wanted.iter().filter(|(row, _)| row.compacted_seq <= since).map(|(row, _)| row.id).collect();
        let mut changes = changes_from_others(conn, &partial, since, caller.device_id)?;
        let mut replies = Vec::new();
        for (row, header) in wanted {
            let changes: Vec<Vec<u8>> = changes
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|(seq, _)| *seq <= row.change_seq)
                .map(|(_, bytes)| bytes)
                .collect();
            if changes.is_empty() && row.compacted_seq <= since {
                continue;
            }
            let reply = if row.compacted_seq > since || row.first_seq > since {
                whole_reply(conn, cache, header, row.last_change_id)?
            } else {
                let heads = stored_heads(row.id, &row.heads)?;
                DocReply {
                    header,
                    heads: protocol::heads_to_wire(&heads),
                    changes: changes.into_iter().map(Into::into).collect(),
                    snapshot: None,
                    accepted: 0,
                    rejection: None,
                    sync_message: None,
                }
            };
            replies.push(reply);
        }
        Ok(ChangedSince { replies, projections_changed })
    })
}

/// A document's changes as (number, bytes), in the order stored.
type NumberedChanges = Vec<(i64, Vec<u8>)>;

/// The changes of `ids` numbered after `since` that devices other than
/// `device` wrote (or the server), by document. One statement whatever the number of documents.
fn changes_from_others(
    conn: &mut DbConnection,
    ids: &[DocumentId],
    since: i64,
    device: DeviceId,
) -> QueryResult<HashMap<DocumentId, NumberedChanges>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let others = document_changes::device_id.ne(device).or(document_changes::device_id.is_null());
    let order = (document_changes::document_id, document_changes::id);
    let columns = (document_changes::document_id, document_changes::seq, document_changes::bytes);
    let rows: Vec<(DocumentId, Option<i64>, Vec<u8>)> = match conn {
        DbConnection::Sqlite(conn) => document_changes::table
            .filter(in_json(document_changes::document_id, ids))
            .filter(document_changes::seq.gt(since))
            .filter(others)
            .order(order)
            .select(columns)
            .load(conn)?,
        DbConnection::Pg(conn) => document_changes::table
            .filter(document_changes::document_id.eq_any(ids))
            .filter(document_changes::seq.gt(since))
            .filter(others)
            .order(order)
            .select(columns)
            .load(conn)?,
    };
    let mut by_document: HashMap<DocumentId, NumberedChanges> = HashMap::new();
    for (id, seq, bytes) in rows {
        // `seq > since` holds, so it is there.
        if let Some(seq) = seq {
            by_document.entry(id).or_default().push((seq, bytes));
        }
    }
    Ok(by_document)
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::CHANGED_ROWS_SQLITE;
    use crate::db::{DbConnection, connect_one, run_migrations};

    #[derive(QueryableByName)]
    struct PlanRow {
        #[diesel(sql_type = Text)]
        detail: String,
    }

    /// The cursor's read takes, for each scope of the person's, only the
    /// positions numbered after the cursor; it walks neither the person's
    /// documents nor the organisation's positions.
    #[test]
    fn the_cursor_read_costs_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let mut conn = connect_one(&url).unwrap();
        run_migrations(&mut conn).unwrap();
        let DbConnection::Sqlite(sqlite) = &mut conn else { panic!("a SQLite URL gives SQLite") };
        let plan: Vec<PlanRow> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {CHANGED_ROWS_SQLITE}"))
            .bind::<Text, _>("org")
            .bind::<Text, _>("org")
            .bind::<diesel::sql_types::BigInt, _>(0)
            .bind::<Text, _>("[\"m\"]")
            .bind::<Text, _>("person")
            .bind::<Text, _>("[]")
            .load(sqlite)
            .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|row| row.detail).collect();
        assert!(plan.iter().any(|line| line.contains("MULTI-INDEX OR")), "{plan:#?}");
        for index in ["document_positions_by_mentorship", "document_positions_by_owner", "document_positions_by_group"]
        {
            assert!(
                plan.iter().any(|line| line.contains(index) && line.contains("change_seq>?")),
                "{index}: {plan:#?}"
            );
        }
        // No table walked: only the id lists are scanned.
        assert!(plan.iter().all(|line| !line.starts_with("SCAN") || line.contains("json_each")), "{plan:#?}");
    }
}
