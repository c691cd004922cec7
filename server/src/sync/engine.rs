//! Answers one sync request.
//!
//! For every offered document: is the caller allowed to hold it (computed from
//! pairings, never from the request)? Then every new change is checked: its actor
//! is the caller's device, its dependencies are known, and the write rules
//! (`sync_core::rules`) pass on its raw operations. A document's changes are kept
//! or refused together; a refusal concerns that document only. The kept changes
//! of the whole request are stored with the documents' new heads and projections
//! in one transaction, under row locks on PostgreSQL so several server processes
//! never interleave writes to one document. Only then does the reply acknowledge
//! them.
//!
//! The reply carries what the device lacks. When the device's heads include
//! changes the server does not have and were not offered (a side lost state), the
//! reply carries an Automerge sync message instead and that document continues
//! with Automerge's sync protocol until both sides agree.

mod checks;
mod respond;

use std::collections::{HashMap, HashSet};

use sync_core::automerge::sync;
use sync_core::automerge::{ActorId, Change, ChangeHash};
use sync_core::protocol::{self, DocOffer, DocReply, SyncRequest, SyncResponse, WireRejection};
use sync_core::rules::{ObjectIndex, Rule};
use sync_core::{DocHeader, Document, DocumentError};

pub(crate) use self::checks::{Access, may_hold, readable};
use self::checks::{Verdict, check_and_apply};
pub use self::respond::{ServerWriter, write_on_server};
use super::SyncError;
use super::cache::{self, CachedDoc, DocCache};
use super::cursor;
use super::projection::{self, Projection};
use crate::db::DbConnection;
use crate::db::devices as devices_db;
use crate::db::documents::{self as documents_db, DocumentRef, NewChange, NewDocument};
use crate::db::group_commit::Writer;
use crate::db::projections::{self as projections_db, Owner};
use crate::db::retired_actors as retired_actors_db;
use crate::db::scheme_projections as scheme_db;
use crate::domain::AuditObject;
use crate::domain::audit::{self, NewEvent};
use crate::model::{DeviceId, DocumentId, GroupId, MentorshipId, OrgId, PersonId, Timestamp};

/// Stored changes after the snapshot beyond which a document is compacted. Low,
/// because a compacted document is sent whole from its stored snapshot without
/// loading (a fresh device's pull, see `whole_reply`) and loads compact when it
/// does load; a compaction costs one save, spread over this many changes.
pub const COMPACT_AFTER: i32 = 16;

/// The actor the server writes genesis-only documents with; it never writes content.
fn server_actor() -> ActorId {
    ActorId::from(*b"alongside-server")
}

/// Who is syncing.
#[derive(Debug, Clone)]
pub struct Caller {
    pub person: PersonId,
    pub org_id: OrgId,
    pub device_id: DeviceId,
    pub actor: ActorId,
    /// The auth generation the token check's cached rows were read at
    /// (`db::auth_cache`): checked against the database's in the request's
    /// snapshot, [`SyncError::AuthChanged`] if it moved on. `None` for a caller
    /// the server made itself (the demo).
    pub auth_tag: Option<i64>,
}

/// A document whose stored state changed in this request.
#[derive(Debug, Clone)]
pub struct ChangedDoc {
    pub id: DocumentId,
    pub org_id: OrgId,
    pub mentorship_id: Option<MentorshipId>,
    pub owner_id: Option<PersonId>,
    pub group_id: Option<GroupId>,
    /// Changes stored after its snapshot: compaction is due when large.
    pub changes_since_snapshot: i32,
    /// Its projection was written (new, or a projected field changed).
    pub projected: bool,
}

/// What answering a sync request came to: the reply and what changed.
#[derive(Debug)]
pub struct SyncOutcome {
    pub response: SyncResponse,
    pub changed: Vec<ChangedDoc>,
}

/// An offered document that passed the access test, decoded.
struct Decoded<'a> {
    offer: &'a DocOffer,
    stored_ref: Option<&'a DocumentRef>,
    client_heads: Vec<ChangeHash>,
    offered: Vec<Change>,
    message: Option<sync::Message>,
}

impl Decoded<'_> {
    fn id(&self) -> DocumentId {
        self.offer.header.id
    }

    fn writes(&self) -> bool {
        !self.offered.is_empty() || self.message.is_some()
    }
}

fn decode<'a>(offer: &'a DocOffer, stored_ref: Option<&'a DocumentRef>) -> Result<Decoded<'a>, SyncError> {
    let id = offer.header.id;
    let bad = SyncError::malformed;
    let client_heads = protocol::heads_from_wire(&offer.heads)
        .ok_or_else(|| bad("malformed_heads", format!("document {id}: heads must be 32-byte hashes")))?;
    let offered = offer
        .changes
        .iter()
        .map(|bytes| Change::from_bytes(bytes.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("malformed_change", format!("document {id}: a change could not be decoded: {e}")))?;
    let message = offer
        .sync_message
        .as_ref()
        .map(|m| sync::Message::decode(m))
        .transpose()
        .map_err(|e| bad("malformed_sync_message", format!("document {id}: {e}")))?;
    Ok(Decoded { offer, stored_ref, client_heads, offered, message })
}

/// What the write phase decided for one document.
struct Written {
    verdict: Verdict,
    /// The server's side of Automerge's sync protocol, when the device sent a message.
    state: sync::State,
}

/// Answer a sync request. Runs synchronously: call it from `web::block`.
///
/// Every offered document is decoded and access-checked before anything is
/// written, so a malformed body changes nothing. The writes of the whole request
/// (all documents' changes, heads, projections and the device's sync health)
/// then go into one transaction, holding the cache entries of the written
/// documents, locked in document-id order so concurrent requests cannot deadlock.
pub fn handle(
    conn: &mut DbConnection,
    cache: &DocCache,
    caller: &Caller,
    request: SyncRequest,
) -> Result<SyncOutcome, SyncError> {
    handle_with(conn, &Writer::Direct, cache, caller, request)
}

/// [`handle`], writing through `writer`: on SQLite the server's group writer,
/// so that concurrent requests share transactions and fsyncs (`db::group_commit`).
/// The write part stays one closure; nothing is acknowledged before its commit.
pub fn handle_with(
    conn: &mut DbConnection,
    writer: &Writer<'_>,
    cache: &DocCache,
    caller: &Caller,
    request: SyncRequest,
) -> Result<SyncOutcome, SyncError> {
    if request.documents.len() > protocol::MAX_DOCUMENTS_PER_REQUEST
        || request.offered_before.len() > protocol::MAX_OFFERED_BEFORE
    {
        return Err(SyncError::TooManyDocuments {
            offered: request.documents.len(),
            limit: protocol::MAX_DOCUMENTS_PER_REQUEST,
            inventory_limit: protocol::MAX_OFFERED_BEFORE,
        });
    }
    let mut seen = HashSet::new();
    for offer in &request.documents {
        let id = offer.header.id;
        if !seen.insert(id) {
            return Err(SyncError::malformed("duplicate_document", format!("document {id} is offered twice")));
        }
    }
    let Reads { position, access, fingerprint, since, stored, erased, actors, after, inventory } =
        read_before_writing(conn, cache, caller, &request, &seen)?;

    let mut response = SyncResponse {
        protocol: protocol::PROTOCOL_VERSION,
        cursor: Some(cursor::issue(&position, fingerprint)),
        inventory_needed: request.cursor.is_some() && !request.complete_inventory && since.is_none(),
        ..SyncResponse::default()
    };
    let mut decoded = Vec::new();
    for offer in &request.documents {
        let id = offer.header.id;
        if erased.contains(&id) {
            // Erased under the retention policy or an erasure: the device deletes
            // it, and anything it still had to send is refused, never stored again.
            response.purge.push(id);
            if !offer.changes.is_empty() || offer.sync_message.is_some() {
                response.documents.push(erased_reply(offer));
            }
            continue;
        }
        let stored_ref = stored.get(&id);
        let acceptable = match stored_ref {
            Some(stored) => stored_header(stored)? == offer.header,
            // A new document needs an id made for its scope (derived from it, or
            // certified for it): so an id stored under another scope, which
            // cannot be certified for this one, and an id made up without a
            // certificate (of a phone from before them) meet the same answer.
            None => offer.header.id_is_certified(),
        };
        if !acceptable || !may_hold(&offer.header, caller, &access) {
            // Access withdrawn, or never granted, or an id not made for this scope:
            // the device deletes it (keeping unsynced words under a fresh
            // certified id, see sync-core's `rehome`). Nothing about the server's
            // copy (if any) is revealed.
            response.purge.push(id);
            continue;
        }
        decoded.push(decode(offer, stored_ref)?);
    }

    let mut writers: Vec<&Decoded<'_>> = decoded.iter().filter(|d| d.writes()).collect();
    writers.sort_by_key(|d| d.id());
    let slots: Vec<_> = writers.iter().map(|d| cache.slot(d.id())).collect();
    let mut guards: HashMap<DocumentId, _> =
        writers.iter().zip(&slots).map(|(d, s)| (d.id(), cache::lock(s))).collect();
    let mut written: HashMap<DocumentId, Written> = HashMap::new();
    let mut changed = Vec::new();
    let mut received = Vec::new();
    let oldest = request.oldest_unsynced_secs.map(clamp_oldest_unsynced);
    let mut rolled_back = false;
    let mut seq = None;
    let result = writer.write(conn, |conn| -> Result<(), SyncError> {
        for doc in &writers {
            let (id, header) = (doc.id(), doc.offer.header);
            let slot = guards.get_mut(&id).ok_or(SyncError::Invariant("a written document lost its cache lock"))?;
            let version = documents_db::lock_version(conn, id)?;
            let cached = load(conn, slot, header, version)?;
            if version.is_some() {
                remember_stored_projection(cached);
            }
            let mut state = sync::State::new();
            let candidates = match &doc.message {
                Some(message) => match received_changes(cached, &mut state, message.clone())? {
                    Ok(candidates) => candidates,
                    Err(refusal) => {
                        // The fork took the input in, not the cached copy, but drop it anyway.
                        **slot = None;
                        written.insert(id, Written { verdict: Verdict::Rejected(refusal), state });
                        continue;
                    }
                },
                None => doc.offered.clone(),
            };
            let verdict = match check_and_apply(cached, caller, &actors, candidates) {
                Verdict::Rejected(refusal) if refusal.code == Rule::ActorRolledBack.code() => {
                    rolled_back = true;
                    Verdict::Rejected(refusal)
                }
                Verdict::Accepted(new) => {
                    if !new.is_empty() {
                        let numbered = cursor::seq_up_front(conn, caller.org_id, &mut seq)?;
                        changed.push(store_changes(conn, cached, caller, version.is_none(), &new, numbered)?);
                        received.push(change_event(caller, header, &new));
                    }
                    Verdict::Accepted(new)
                }
                Verdict::RejectedMidway(refusal) => {
                    // Reloaded from storage for the reply.
                    **slot = None;
                    Verdict::Rejected(refusal)
                }
                other => other,
            };
            written.insert(id, Written { verdict, state });
        }
        // Last of the writes to documents: on PostgreSQL the number is taken
        // here, and the counter row stays locked until the commit.
        cursor::stamp(conn, caller.org_id, &changed, seq)?;
        projections_db::record_device_sync(conn, caller.device_id, caller.org_id, Timestamp::now(), oldest)?;
        if rolled_back {
            response.actor_id = Some(issue_fresh_actor(conn, caller)?);
        }
        // Last, so the organisation's audit chain is held only until the commit.
        audit::record_many_in_transaction(conn, caller.org_id, std::mem::take(&mut received)).map_err(|error| {
            match error {
                crate::domain::DomainError::Db(error) => SyncError::Db(error),
                _ => SyncError::Invariant("recording the audit events of a sync failed"),
            }
        })?;
        Ok(())
    });
    if let Err(error) = result {
        // Memory may be ahead of storage now: empty the entries before letting go,
        // so a request waiting for one reloads instead of reading them.
        for guard in guards.values_mut() {
            **guard = None;
        }
        drop(guards);
        for doc in &writers {
            cache.evict(doc.id());
        }
        return Err(error);
    }

    // Replies for the written documents while their entries are still held; then
    // the others, one entry at a time (holding one while waiting for another
    // outside id order could deadlock with a concurrent request).
    let mut replies = HashMap::new();
    for doc in &writers {
        let id = doc.id();
        let outcome = written.remove(&id).ok_or(SyncError::Invariant("a written document has no verdict"))?;
        let slot = guards.get_mut(&id).ok_or(SyncError::Invariant("a written document lost its cache lock"))?;
        replies.insert(id, reply_for(conn, slot, doc, outcome)?);
    }
    drop(guards);
    for doc in &decoded {
        let reply = match replies.remove(&doc.id()) {
            Some(reply) => reply,
            None => {
                let slot = cache.slot(doc.id());
                let mut guard = cache::lock(&slot);
                let outcome = Written { verdict: Verdict::Accepted(Vec::new()), state: sync::State::new() };
                reply_for(conn, &mut guard, doc, outcome)?
            }
        };
        response.documents.push(reply);
    }

    if let Some(after) = after {
        response.documents.extend(after.replies);
        // Reminders are worked out from projections (and from the pairings,
        // which the cursor's access fingerprint covers): if none of the person's
        // changed, nor any written now, the phone keeps the list it has. What
        // coordinators change elsewhere (training, programme rules) reaches it
        // with its periodic fetch.
        response.reminders_unchanged = !request.complete_inventory
            && !after.projections_changed
            && response.purge.is_empty()
            && changed.iter().all(|doc| !doc.projected);
    }
    response.documents.extend(inventory);
    Ok(SyncOutcome { response, changed })
}

/// What a request reads before it writes.
struct Reads {
    /// Taken first: the reply holds at least everything numbered up to here
    /// (see `cursor`).
    position: cursor::Position,
    access: Access,
    fingerprint: Vec<u8>,
    /// The sent cursor's number, when it was recognised.
    since: Option<i64>,
    stored: HashMap<DocumentId, DocumentRef>,
    erased: HashSet<DocumentId>,
    /// The actors the device may write under (none read when it offers nothing to write).
    actors: Vec<ActorId>,
    /// What changed after a recognised cursor.
    after: Option<cursor::ChangedSince>,
    /// For an inventory: the documents the device lacks, whole.
    inventory: Vec<DocReply>,
}

/// Everything a request reads before it writes, in one snapshot: consistent
/// with itself, and on SQLite one emptying of the connection's page cache
/// instead of one per statement (in WAL mode a connection empties it when it
/// begins reading after another connection's commit, which the group writer
/// does hundreds of times a second). What the request writes itself is not in
/// the snapshot, and needs not be: its documents are in `offered`, which the
/// catch-up and the inventory leave out, and everything numbered after
/// `position` reaches the device with its next sync.
fn read_before_writing(
    conn: &mut DbConnection,
    cache: &DocCache,
    caller: &Caller,
    request: &SyncRequest,
    offered: &HashSet<DocumentId>,
) -> Result<Reads, SyncError> {
    crate::db::read_snapshot(conn, |conn| -> Result<Reads, SyncError> {
        let position = cursor::position(conn, caller.org_id)?;
        if let Some(tag) = caller.auth_tag
            && !crate::db::auth_cache::matches_database(tag, position.auth_generation)
        {
            return Err(SyncError::AuthChanged);
        }
        let access = readable(conn, caller)?;
        let fingerprint = cursor::fingerprint(caller, &access, &position);
        let since = match &request.cursor {
            Some(sent) if !request.complete_inventory => {
                let recognised = cursor::recognised(sent, &position, &fingerprint);
                if !recognised {
                    tracing::debug!(device = %caller.device_id, "a sync cursor was not recognised; asking for the inventory");
                }
                recognised.then(|| i64::try_from(sent.seq).unwrap_or(i64::MAX))
            }
            _ => None,
        };
        let offered_ids: Vec<DocumentId> = request.documents.iter().map(|o| o.header.id).collect();
        let stored = documents_db::find_refs_by_ids(conn, &offered_ids)?.into_iter().map(|r| (r.id, r)).collect();
        let erased = crate::db::governance::find_erased(conn, caller.org_id, &offered_ids)?.into_iter().collect();
        let writes = request.documents.iter().any(|o| !o.changes.is_empty() || o.sync_message.is_some());
        let actors = if writes { device_actors(conn, caller)? } else { Vec::new() };
        let after = match since {
            Some(since) => Some(cursor::changed_since(conn, cache, caller, &access, since, offered)?),
            None => None,
        };
        let inventory = if request.complete_inventory {
            inventory(conn, cache, caller, &access, request, offered)?
        } else {
            Vec::new()
        };
        Ok(Reads { position, access, fingerprint, since, stored, erased, actors, after, inventory })
    })
}

/// Whole replies for the documents the person may read that the device neither
/// offered now nor listed as offered before.
fn inventory(
    conn: &mut DbConnection,
    cache: &DocCache,
    caller: &Caller,
    access: &Access,
    request: &SyncRequest,
    offered: &HashSet<DocumentId>,
) -> Result<Vec<DocReply>, SyncError> {
    let mentorship_ids: Vec<MentorshipId> = access.pairs.keys().copied().collect();
    let group_ids: Vec<GroupId> = access.groups.iter().copied().collect();
    let readable = documents_db::find_refs_readable(conn, caller.org_id, &mentorship_ids, &group_ids, caller.person)?;
    let offered_before: HashSet<DocumentId> = request.offered_before.iter().copied().collect();
    let mut replies = Vec::new();
    for doc_ref in readable {
        let header = stored_header(&doc_ref)?;
        if offered.contains(&header.id) || offered_before.contains(&header.id) || !may_hold(&header, caller, access) {
            continue;
        }
        replies.push(whole_reply(conn, cache, header, doc_ref.last_change_id)?);
    }
    Ok(replies)
}

/// The whole of a stored document for a device that lacks it, as stored up to
/// change `last_change_id` at least. Not in the cache and compacted since its last
/// write: the stored snapshot as it is, with no Automerge work (most documents of
/// a fresh device's pull). Else from the cache, loaded or caught up as needed.
pub(crate) fn whole_reply(
    conn: &mut DbConnection,
    cache: &DocCache,
    header: DocHeader,
    last_change_id: i64,
) -> Result<DocReply, SyncError> {
    let id = header.id;
    let slot = cache.slot(id);
    let mut guard = cache::lock(&slot);
    let stored = if guard.is_none() { documents_db::find_current_snapshot(conn, id)? } else { None };
    let (heads, snapshot) = match stored {
        Some((bytes, heads)) => (stored_heads(id, &heads)?, bytes),
        None => (load(conn, &mut guard, header, Some(last_change_id))?.doc.heads(), snapshot_of(&mut guard)?),
    };
    Ok(DocReply {
        header,
        heads: protocol::heads_to_wire(&heads),
        changes: Vec::new(),
        snapshot: Some(snapshot.into()),
        accepted: 0,
        rejection: None,
        sync_message: None,
    })
}

/// Heads as stored in `documents.heads` (comma-separated hex).
pub(crate) fn stored_heads(id: DocumentId, text: &str) -> Result<Vec<ChangeHash>, SyncError> {
    text.split(',')
        .filter(|h| !h.is_empty())
        .map(str::parse::<ChangeHash>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SyncError::stored(id, e))
}

/// The reply for an offer of an erased document that carried changes.
fn erased_reply(offer: &DocOffer) -> DocReply {
    DocReply {
        header: offer.header,
        heads: Vec::new(),
        changes: Vec::new(),
        snapshot: None,
        accepted: 0,
        rejection: Some(WireRejection {
            path: "/".into(),
            code: ERASED.into(),
            reason: "erased: this document was erased under the organisation's retention policy or an erasure, \
                     and cannot be written again"
                .into(),
        }),
        sync_message: None,
    }
}

/// The rejection code (and the start of the reason) for writes to an erased document.
pub const ERASED: &str = "erased";

/// The audit event for the changes received for one document in one request:
/// who, which device, the changes' own times and how many; never their content.
/// (Each change is also kept in `document_changes` with its device and the
/// time the server received it.)
fn change_event(caller: &Caller, header: DocHeader, new: &[Change]) -> NewEvent {
    let times: Vec<i64> = new.iter().map(Change::timestamp).collect();
    let at =
        |secs: Option<&i64>| secs.and_then(|s| time::OffsetDateTime::from_unix_timestamp(*s).ok()).map(Timestamp::from);
    let first = at(times.iter().min());
    let last = at(times.iter().max());
    NewEvent {
        actor_person_id: Some(caller.person),
        device_id: Some(caller.device_id),
        action: "document.changed".into(),
        object: AuditObject::new("document", header.id),
        event_time: last,
        detail: serde_json::json!({
            "kind": header.kind.as_str(),
            "mentorship_id": header.mentorship_id().map(|id| id.to_string()),
            "changes": new.len(),
            "first_change_at": first.map(|t| t.to_string()),
            "last_change_at": last.map(|t| t.to_string()),
        }),
    }
}

/// The longest a device may say its oldest unsynced change has waited: a
/// phone's clock or a crafted request must not put absurd ages on the console.
pub const MAX_OLDEST_UNSYNCED_SECS: u64 = 366 * 24 * 3600;

/// The device's reported age of its oldest unsynced change, clamped to
/// [`MAX_OLDEST_UNSYNCED_SECS`].
fn clamp_oldest_unsynced(secs: u64) -> i64 {
    i64::try_from(secs.min(MAX_OLDEST_UNSYNCED_SECS)).unwrap_or(i64::MAX)
}

/// The actors the caller's device may send changes under: its current one,
/// then those it wrote under before the server issued it a fresh one.
fn device_actors(conn: &mut DbConnection, caller: &Caller) -> Result<Vec<ActorId>, SyncError> {
    let mut actors = vec![caller.actor.clone()];
    for hex_actor in retired_actors_db::find_by_device(conn, caller.device_id)? {
        match hex::decode(&hex_actor) {
            Ok(bytes) => actors.push(ActorId::from(bytes)),
            Err(_) => return Err(SyncError::Invariant("a retired actor id is not hex")),
        }
    }
    Ok(actors)
}

/// A device's changes reused sequence numbers its actor already has (its store
/// was restored from an older copy): give the device a fresh actor, bound to it
/// from now on, and return it (hex) for the reply. Tokens naming the old one
/// stay valid, and its changes are still the device's.
fn issue_fresh_actor(conn: &mut DbConnection, caller: &Caller) -> Result<String, SyncError> {
    let current = hex::encode(caller.actor.to_bytes());
    let fresh = crate::auth::tokens::new_actor_id();
    if retired_actors_db::rotate(conn, caller.device_id, &current, &fresh, Timestamp::now())? {
        tracing::info!(device = %caller.device_id, "a device reused its actor's sequence numbers; issued a fresh actor");
        return Ok(fresh);
    }
    // A concurrent request rotated it first: that one is the device's now.
    let device =
        devices_db::find_by_id(conn, caller.device_id)?.ok_or(SyncError::Invariant("a syncing device has no row"))?;
    Ok(device.actor_id)
}

/// Receive a device's sync message into a fork of the cached document and
/// return the changes it adds, for the same checks as offered changes. A
/// message Automerge panics on is refused for this document (the inner `Err`).
fn received_changes(
    cached: &mut CachedDoc,
    state: &mut sync::State,
    message: sync::Message,
) -> Result<Result<Vec<Change>, WireRejection>, SyncError> {
    let id = cached.doc.header().id;
    let received = cached.doc.fork().and_then(|mut fork| {
        fork.receive_sync_message(state, message)?;
        cached.doc.changes_added(&mut fork)
    });
    match received {
        Ok(changes) => Ok(Ok(changes)),
        Err(error @ DocumentError::AutomergePanic { .. }) => Ok(Err(checks::refused_by_automerge(id, &error))),
        Err(error) => Err(SyncError::malformed("malformed_sync_message", format!("document {id}: {error}"))),
    }
}

/// The whole document for a reply. Saving runs contained: a document that took
/// in crafted input could make Automerge panic here too.
pub(crate) fn snapshot_of(slot: &mut Option<CachedDoc>) -> Result<Vec<u8>, SyncError> {
    let cached = slot.as_mut().ok_or(SyncError::Invariant("document cache slot emptied while held"))?;
    let id = cached.doc.header().id;
    match cached.doc.save_contained() {
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            *slot = None;
            Err(SyncError::stored(id, error))
        }
    }
}

/// The header a document was stored with. One that does not read back is
/// corruption: an error, not a document silently treated as someone else's.
pub(crate) fn stored_header(stored: &DocumentRef) -> Result<DocHeader, SyncError> {
    let header: DocHeader = serde_json::from_str(&stored.header).map_err(|e| SyncError::stored(stored.id, e))?;
    if header.id != stored.id {
        return Err(SyncError::stored(stored.id, format!("the stored header names document {}", header.id)));
    }
    Ok(header)
}

/// Make sure the slot holds the document as stored (up to `stored_version`), or
/// the bare genesis if it was never stored.
pub(crate) fn load<'a>(
    conn: &mut DbConnection,
    slot: &'a mut Option<CachedDoc>,
    header: DocHeader,
    stored_version: Option<i64>,
) -> Result<&'a mut CachedDoc, SyncError> {
    // The cache is keyed by id alone, so an entry built for another header of this
    // id (an offer under another scope of an id not yet stored) is not this
    // document: reusing it would let that offer break the real owner's syncs.
    let stale = match (&*slot, stored_version) {
        (None, _) => true,
        (Some(cached), _) if *cached.doc.header() != header => true,
        (Some(cached), Some(version)) => cached.last_change_id < version,
        (Some(_), None) => false,
    };
    if stale {
        let loaded = match slot.take() {
            Some(cached) if stored_version.is_some() && *cached.doc.header() == header => catch_up(conn, cached)?,
            _ => load_fresh(conn, header, stored_version.is_some())?,
        };
        *slot = Some(loaded);
    }
    slot.as_mut().ok_or(SyncError::Invariant("document cache slot emptied while held"))
}

fn load_fresh(conn: &mut DbConnection, header: DocHeader, stored: bool) -> Result<CachedDoc, SyncError> {
    let id = header.id;
    let state = if stored { documents_db::find_stored(conn, id)? } else { None };
    let genesis = || Document::create(header, server_actor()).map_err(|e| SyncError::stored(id, e));
    let (doc, after) = match state {
        Some(documents_db::StoredState { snapshot: Some(bytes), snapshot_upto }) => {
            (Document::load(header, &bytes, server_actor()).map_err(|e| SyncError::stored(id, e))?, snapshot_upto)
        }
        Some(documents_db::StoredState { snapshot: None, snapshot_upto }) => (genesis()?, snapshot_upto),
        None => (genesis()?, 0),
    };
    let mut cached = CachedDoc::new(doc, after);
    if stored {
        cached = catch_up(conn, cached)?;
    }
    cached.index = ObjectIndex::build(cached.doc.automerge()).map_err(|v| SyncError::stored(id, v.to_string()))?;
    Ok(cached)
}

/// Apply the changes stored after what the cached copy reflects.
fn catch_up(conn: &mut DbConnection, mut cached: CachedDoc) -> Result<CachedDoc, SyncError> {
    let id = cached.doc.header().id;
    let rows = documents_db::find_changes_after(conn, id, cached.last_change_id)?;
    let Some(last) = rows.last().map(|(id, _)| *id) else { return Ok(cached) };
    let changes = rows
        .into_iter()
        .map(|(_, bytes)| Change::from_bytes(bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SyncError::stored(id, e))?;
    cached.doc.apply_changes(changes.clone()).map_err(|e| SyncError::stored(id, e))?;
    cached.index.extend(&changes).map_err(|v| SyncError::stored(id, v.to_string()))?;
    cached.last_change_id = last;
    cached.since_snapshot = cached.since_snapshot.saturating_add(i32::try_from(changes.len()).unwrap_or(i32::MAX));
    // Another process wrote, and with it the projection: what this process
    // wrote last is no longer what is stored.
    cached.projection = None;
    Ok(cached)
}

/// Before a document is written, make sure its entry knows the projection that
/// is stored for it, so an edit that changes no projected field writes no
/// projection rows even on the first write after a load. What is stored is the
/// projection of the stored state (both are written in one transaction), so it
/// is computed from the document rather than read back: no round trip. A state
/// that cannot be projected leaves it unknown, and the next readable one is
/// written. (A document not stored yet has no projection rows at all.)
fn remember_stored_projection(cached: &mut CachedDoc) {
    if cached.projection.is_none() && cached.doc.header().kind != sync_core::DocKind::Journal {
        cached.projection = projection::project(&mut cached.doc).ok();
    }
}

/// The reply for one offered document, after the write phase decided on its
/// changes: what the device lacks, its rejection, or the next sync message.
fn reply_for(
    conn: &mut DbConnection,
    slot: &mut Option<CachedDoc>,
    doc: &Decoded<'_>,
    written: Written,
) -> Result<DocReply, SyncError> {
    let Written { verdict, mut state } = written;
    let header = doc.offer.header;
    let stored_version = doc.stored_ref.map(|r| r.last_change_id);
    let cached = load(conn, slot, header, stored_version)?;
    let server_heads = cached.doc.heads();
    let mut reply = DocReply {
        header,
        heads: protocol::heads_to_wire(&server_heads),
        changes: Vec::new(),
        snapshot: None,
        accepted: 0,
        rejection: None,
        sync_message: None,
    };
    let client_heads = &doc.client_heads;
    let known: Vec<ChangeHash> = client_heads.iter().copied().filter(|h| cached.doc.has_change(h)).collect();
    let refusal = match verdict {
        Verdict::Rejected(refusal) | Verdict::RejectedMidway(refusal) => Some(refusal),
        Verdict::Accepted(_) => {
            reply.accepted = u32::try_from(doc.offer.changes.len()).unwrap_or(u32::MAX);
            None
        }
        Verdict::MissingDependencies => None,
    };
    let refusal = match refusal {
        Some(refusal) => Some(refusal),
        None => {
            let in_step = known.len() == client_heads.len();
            let mut sorted_client = client_heads.clone();
            sorted_client.sort();
            let mut sorted_server = server_heads.clone();
            sorted_server.sort();
            if in_step && doc.message.is_none() {
                if known != server_heads {
                    reply.changes = cached
                        .doc
                        .automerge()
                        .get_changes(&known)
                        .iter()
                        .map(|c| c.raw_bytes().to_vec().into())
                        .collect();
                }
                None
            } else if sorted_client != sorted_server {
                // The state holds the device's bloom filter: received bytes.
                match cached.doc.generate_sync_message(&mut state) {
                    Ok(message) => {
                        reply.sync_message = message.map(|m| m.encode().into());
                        None
                    }
                    Err(error) => {
                        let refusal = checks::refused_by_automerge(header.id, &error);
                        *slot = None;
                        load(conn, slot, header, stored_version)?;
                        Some(refusal)
                    }
                }
            } else {
                None
            }
        }
    };
    if let Some(refusal) = refusal {
        // The device keeps its text as a rejection and returns to this version.
        reply.snapshot = Some(snapshot_of(slot)?.into());
        reply.rejection = Some(refusal);
    }
    Ok(reply)
}

/// Persist accepted changes with the document's heads and projections (inside the
/// caller's transaction).
fn store_changes(
    conn: &mut DbConnection,
    cached: &mut CachedDoc,
    caller: &Caller,
    is_new: bool,
    new: &[Change],
    seq: Option<i64>,
) -> Result<ChangedDoc, SyncError> {
    let header = *cached.doc.header();
    let id = header.id;
    let now = Timestamp::now();
    let mentorship_id = header.mentorship_id();
    let owner_id = header.owner_id();
    if is_new {
        let header_json =
            serde_json::to_string(&header).map_err(|_| SyncError::Invariant("a header does not serialise"))?;
        documents_db::insert_if_absent(
            conn,
            &NewDocument {
                id,
                org_id: caller.org_id,
                kind: header.kind.as_str(),
                mentorship_id,
                owner_id,
                group_id: header.group_id(),
                header: &header_json,
                created_at: now,
                updated_at: now,
            },
        )?;
    }
    let rows: Vec<NewChange> = new
        .iter()
        .map(|change| NewChange {
            document_id: id,
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
            device_id: Some(caller.device_id),
            person_id: Some(caller.person),
            received_at: now,
            seq,
        })
        .collect();
    let last = documents_db::append_changes(conn, id, &rows)?;
    let heads: Vec<String> = cached.doc.heads().iter().map(ToString::to_string).collect();
    let added = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    documents_db::update_heads(conn, id, &heads.join(","), last, added, now)?;
    cached.last_change_id = last;
    cached.since_snapshot = cached.since_snapshot.saturating_add(added);

    let mut projected = is_new;
    if header.kind != sync_core::DocKind::Journal {
        match projection::project(&mut cached.doc) {
            Ok(projection) if cached.projection.as_ref() == Some(&projection) => Ok(()),
            Ok(projection) => {
                projected = true;
                let written = write_projection(conn, &header, caller.org_id, &projection, now);
                // Remembered only once written; the transaction may still fail, in which
                // case the whole cached entry is evicted.
                cached.projection = Some(projection);
                written
            }
            Err(error) => {
                // The write rules govern who writes where, not the shape of values, so a
                // member's malformed value can make a document unreadable as typed
                // data. The change is kept (nothing is lost); the console shows the last
                // readable projection.
                // Only where: the message of a schema error quotes the value found,
                // which is the pair's own text.
                tracing::warn!(document = %id, at = unreadable_at(&error), "document could not be projected");
                Ok(())
            }
        }?;
    }
    Ok(ChangedDoc {
        id: header.id,
        org_id: caller.org_id,
        mentorship_id: header.mentorship_id(),
        owner_id,
        group_id: header.group_id(),
        changes_since_snapshot: cached.since_snapshot,
        projected,
    })
}

/// Write a document's projection where the console reads it.
fn write_projection(
    conn: &mut DbConnection,
    header: &DocHeader,
    org_id: OrgId,
    projection: &Projection,
    now: Timestamp,
) -> diesel::QueryResult<()> {
    let id = header.id;
    match (projection, header.mentorship_id(), header.group_id()) {
        (Projection::Session(session), Some(mentorship_id), _) => {
            projections_db::replace_session(conn, Owner { document_id: id, org_id, mentorship_id }, session, now)
        }
        (Projection::Goals(goals), Some(mentorship_id), _) => {
            projections_db::replace_goals(conn, Owner { document_id: id, org_id, mentorship_id }, goals)
        }
        (Projection::Agreement(agreement), Some(mentorship_id), _) => {
            scheme_db::replace_agreement(conn, id, org_id, mentorship_id, agreement, now)
        }
        (Projection::GroupSession(session), _, Some(group_id)) => {
            scheme_db::replace_group_session(conn, id, org_id, group_id, session, now)
        }
        (Projection::SurveyResponse(response), _, _) => match header.owner_id() {
            Some(respondent) => {
                crate::domain::surveys::project_response(conn, id, org_id, respondent, response.as_deref(), now)
            }
            None => Ok(()),
        },
        (Projection::Concern(concern), _, _) => match (header.concern_about(), header.owner_id()) {
            (Some(mentorship_id), Some(author_id)) => crate::db::concerns::replace(
                conn,
                crate::db::concerns::ConcernOwner { document_id: id, org_id, mentorship_id, author_id },
                concern,
                now,
            ),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Where a document could not be read as typed data, without the value found
/// there (pair-written text must not reach the logs).
fn unreadable_at(error: &DocumentError) -> &str {
    match error {
        DocumentError::Schema { path, .. } => path,
        DocumentError::Invalid(_) => "a value outside its vocabulary",
        DocumentError::NewerSchema { .. } => "/schema",
        _ => "the document",
    }
}

/// Fold a document's stored changes into a snapshot. Runs after the request,
/// on a blocking thread; writers to the document wait only for a fork.
pub fn compact(conn: &mut DbConnection, cache: &DocCache, id: DocumentId) -> Result<(), SyncError> {
    let slot = cache.slot(id);
    let (forked, upto, header) = {
        let mut guard = cache::lock(&slot);
        if guard.is_none() {
            // Evicted since the write: load it (compact from then on).
            let Some(stored) = documents_db::find_refs_by_ids(conn, &[id])?.pop() else { return Ok(()) };
            load(conn, &mut guard, stored_header(&stored)?, Some(stored.last_change_id))?;
        }
        let Some(cached) = guard.as_mut() else { return Ok(()) };
        let (upto, header) = (cached.last_change_id, *cached.doc.header());
        let forked = cached.doc.fork();
        if forked.is_err() {
            // Memory may no longer match storage: reload on the next request.
            *guard = None;
        }
        (forked, upto, header)
    };
    let previous_upto = documents_db::snapshot_upto(conn, id)?.unwrap_or(0);
    if previous_upto >= upto {
        return Ok(());
    }
    let snapshot = forked.and_then(|mut fork| fork.save_contained()).map_err(|e| SyncError::stored(id, e))?;
    // Before the changes up to the previous snapshot are deleted.
    cursor::note_compaction(conn, id, previous_upto)?;
    documents_db::compact(conn, id, &snapshot, previous_upto, upto)?;
    // Changes applied one by one take far more memory than the same loaded from
    // a snapshot: unless it moved on meanwhile, the entry takes the compact form.
    let compact = Document::load(header, &snapshot, server_actor()).ok();
    if let Some(cached) = cache::lock(&slot).as_mut() {
        cached.since_snapshot = 0;
        if let Some(compact) = compact.filter(|_| cached.last_change_id == upto) {
            cached.take_compact(compact);
        }
    }
    Ok(())
}
