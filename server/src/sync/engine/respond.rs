//! Writes the server makes into a stored document on someone's behalf: a
//! coordinator's response to a concern, made from the console or the HTTP API
//! (coordinators' phones never hold concerns). The edit goes through
//! sync-core's document writers and so through the same write rules, in the
//! part the caller granted after its own role check; the change is stored like
//! a device's (with the person, no device), projected, and reaches the author's
//! phone as any other change on its next sync.

use sync_core::automerge::{ActorId, Change};
use sync_core::{DocHeader, Document, DocumentError};

use super::{ChangedDoc, load, server_actor, stored_header, write_projection};
use crate::db::DbConnection;
use crate::db::documents::{self as documents_db, NewChange};
use crate::model::{DocumentId, OrgId, PersonId, Timestamp};
use crate::sync::SyncError;
use crate::sync::cache::{self, CachedDoc, DocCache};
use crate::sync::projection;

/// Who the server writes for: a person of an organisation, already checked by
/// the caller for what the edit needs (a coordinator's role).
#[derive(Debug, Clone, Copy)]
pub struct ServerWriter {
    pub org_id: OrgId,
    pub person: PersonId,
}

/// The actor of the server's writes on people's behalf. One actor for every
/// such write is safe: writers to one document are serialised (the cache entry's
/// lock in-process, the row lock of `lock_version` across PostgreSQL processes)
/// and the cached copy is caught up with storage before each edit, so its
/// sequence numbers only grow. Fixed 16 bytes, apart from device actors
/// (random) and the genesis and server actors.
fn office_actor() -> ActorId {
    ActorId::from(*b"alongside-office")
}

/// Edit the stored document `id` as `writer` and store the change. Runs inside
/// the caller's write transaction; should that transaction fail after this
/// returns, the caller evicts `id` from `cache` (memory would be ahead of
/// storage). The outer `Err` is the server's failure; the inner one is the
/// edit's refusal (the rules, or the document's state), after which nothing was
/// written.
pub fn write_on_server<R>(
    conn: &mut DbConnection,
    cache: &DocCache,
    writer: ServerWriter,
    id: DocumentId,
    edit: impl FnOnce(&mut Document, PersonId) -> Result<R, DocumentError>,
) -> Result<Result<(R, ChangedDoc), DocumentError>, SyncError> {
    let stored = documents_db::find_refs_by_ids(conn, &[id])?.into_iter().next().ok_or(SyncError::NotFound)?;
    let header = stored_header(&stored)?;
    let slot = cache.slot(id);
    let mut guard = cache::lock(&slot);
    let version = documents_db::lock_version(conn, id)?.ok_or(SyncError::NotFound)?;
    let cached = load(conn, &mut guard, header, Some(version))?;
    let before = cached.doc.heads();
    cached.doc.automerge().set_actor(office_actor());
    let edited = edit(&mut cached.doc, writer.person);
    cached.doc.automerge().set_actor(server_actor());
    let value = match edited {
        Ok(value) => value,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let new: Vec<Change> = cached.doc.automerge().get_changes(&before);
    let stored = store(conn, cached, &header, writer, &new);
    match stored {
        Ok(changed) => Ok(Ok((value, changed))),
        Err(error) => {
            // The edit is in memory but not in storage: drop the copy.
            *guard = None;
            Err(error)
        }
    }
}

/// Store the server's new changes of a document, its heads and its projection.
fn store(
    conn: &mut DbConnection,
    cached: &mut CachedDoc,
    header: &DocHeader,
    writer: ServerWriter,
    new: &[Change],
) -> Result<ChangedDoc, SyncError> {
    let id = header.id;
    let now = Timestamp::now();
    cached.index.extend(new).map_err(|v| SyncError::stored(id, v.to_string()))?;
    let rows: Vec<NewChange> = new
        .iter()
        .map(|change| NewChange {
            document_id: id,
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
            device_id: None,
            person_id: Some(writer.person),
            received_at: now,
            seq: None,
        })
        .collect();
    let last = documents_db::append_changes(conn, id, &rows)?;
    let heads: Vec<String> = cached.doc.heads().iter().map(ToString::to_string).collect();
    let added = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    documents_db::update_heads(conn, id, &heads.join(","), last, added, now)?;
    cached.last_change_id = last;
    cached.since_snapshot = cached.since_snapshot.saturating_add(added);
    let projected =
        projection::project(&mut cached.doc).map_err(|e| SyncError::Unreadable { message: e.to_string() })?;
    write_projection(conn, header, writer.org_id, &projected, now)?;
    cached.projection = Some(projected);
    let changed = ChangedDoc {
        id,
        org_id: writer.org_id,
        mentorship_id: header.mentorship_id(),
        owner_id: header.owner_id(),
        group_id: header.group_id(),
        changes_since_snapshot: cached.since_snapshot,
        projected: true,
    };
    // Numbered like a sync's changes (last, as a sync does), so a phone
    // syncing with a cursor receives them.
    crate::sync::cursor::stamp(conn, writer.org_id, std::slice::from_ref(&changed), None)?;
    Ok(changed)
}
