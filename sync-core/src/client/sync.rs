//! The sync algorithm: reconcile the device's documents with the server, usually
//! in one round trip (see [`crate::protocol`]).
//!
//! Each round builds its request under the state lock, sends it without the lock,
//! and re-locks to apply the reply, so edits go on while the request is in flight.
//! Those edits are never lost nor taken as synced: a round acknowledges only the
//! local writes its request carried (the write counter when it was built), the
//! reply is merged into the document as it is now rather than written over it,
//! and the next sync offers whatever is newer than the server's heads.
//!
//! A device that synced before opens with its change cursor and only the
//! documents holding local writes (see [`cursor`]); the whole inventory is the
//! fallback and a daily reconciliation.

use std::collections::HashMap;

use automerge::sync;
use automerge::{ActorId, Change, ChangeHash, ObjType, PatchAction, Prop, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::error::invalid;
use super::{Client, ClientError, Rejection};
use crate::document::{Document, DocumentError};
use crate::ids::{DocRole, DocumentId};
use crate::protocol::{self, DocOffer, DocReply, SyncCursor, SyncRequest};
use crate::replica::Replica;
use crate::rules;
use crate::store::{StoredRejection, SyncMark};

mod cursor;
mod rebase;
mod rehome;
mod snapshot;

use self::cursor::Mode;

/// More round trips than this in one sync means something is wrong; stop and
/// report what converged.
const MAX_ROUND_TRIPS: u32 = 10;

/// Why text written while a refused request was in flight is kept as a rejection.
const WRITTEN_IN_FLIGHT: &str =
    "written while the server was refusing an earlier change to this document; its version was restored";

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// HTTP round trips made.
    pub round_trips: u32,
    /// Documents whose local changes were sent.
    pub docs_sent: u32,
    /// Documents that received changes or arrived whole.
    pub docs_received: u32,
    /// Request bytes.
    pub bytes_sent: u64,
    /// Response bytes.
    pub bytes_received: u64,
    /// Changes refused in this sync.
    pub rejected: Vec<Rejection>,
    /// Documents deleted from this device in this sync.
    pub purged: Vec<String>,
}

/// Progress of a sync, for a progress bar.
pub trait SyncProgress {
    /// Called after each round trip with the running totals.
    fn progress(&self, docs_sent: u32, docs_received: u32);
}

impl Client {
    /// Reconcile with the server: usually one round trip.
    pub fn sync(&self) -> Result<SyncReport, ClientError> {
        self.sync_with_progress(None)
    }

    /// What the signed-in person's store wrote since it was opened (durable
    /// commits, document bytes): for measuring what a sync costs the phone.
    pub fn store_write_stats(&self) -> Result<crate::store::WriteStats, ClientError> {
        let serial = self.current_serial()?;
        self.with_sign_in(serial, |s| Ok(s.replica.store().write_stats()))
    }

    /// [`Client::sync`], reporting progress after each round trip.
    pub fn sync_with_progress(&self, progress: Option<&dyn SyncProgress>) -> Result<SyncReport, ClientError> {
        // A second sync waits for the first rather than interleaving with it.
        let _one_at_a_time = self.syncing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let serial = self.current_serial()?;
        let mut run = SyncRun {
            report: SyncReport::default(),
            fallback: HashMap::new(),
            new_actor: false,
            rebased: false,
            inventory_needed: false,
            reminders_changed: false,
        };
        let complete = run.run(self, serial, progress)?;
        // After a successful sync only; a failure here keeps the cached list.
        let report = &run.report;
        let moved = complete
            || (run.reminders_changed
                && (report.docs_sent > 0 || report.docs_received > 0 || !report.purged.is_empty()));
        self.refresh_reminders_after_sync(serial, moved);
        Ok(run.report)
    }
}

/// Split a request that offers more than [`protocol::MAX_DOCUMENTS_PER_REQUEST`]
/// documents into requests that each offer at most that many. Only the last one
/// carries the complete inventory, naming the documents the earlier ones offered
/// in `offered_before`, so the server sends none of them as missing and purges
/// from every part alike.
fn split(request: SyncRequest) -> Vec<SyncRequest> {
    let limit = protocol::MAX_DOCUMENTS_PER_REQUEST;
    if request.documents.len() <= limit {
        return vec![request];
    }
    let SyncRequest { protocol, complete_inventory, documents, oldest_unsynced_secs, cursor, .. } = request;
    let parts: Vec<Vec<DocOffer>> = documents.chunks(limit).map(<[DocOffer]>::to_vec).collect();
    let count = parts.len();
    let mut before = Vec::new();
    let mut requests = Vec::with_capacity(count);
    for (n, documents) in parts.into_iter().enumerate() {
        let last = n + 1 == count;
        let ids: Vec<DocumentId> = documents.iter().map(|d| d.header.id).collect();
        requests.push(SyncRequest {
            protocol,
            complete_inventory: complete_inventory && last,
            documents,
            oldest_unsynced_secs,
            offered_before: if last && complete_inventory { std::mem::take(&mut before) } else { Vec::new() },
            // The first part reads the server's position before the others.
            cursor: if n == 0 { cursor.clone() } else { None },
        });
        before.extend(ids);
    }
    requests
}

/// What a round's request carried of one document: enough to acknowledge exactly
/// that and nothing written after.
struct Sent {
    /// The document's local write counter when the request was built.
    local_seq: i64,
    /// The document's heads when the request was built.
    heads: Vec<ChangeHash>,
}

/// One sync: its report so far and the documents using the fallback protocol.
struct SyncRun {
    report: SyncReport,
    fallback: HashMap<DocumentId, sync::State>,
    /// The server issued this device a fresh actor in this sync.
    new_actor: bool,
    /// A document was rebased under the fresh actor in this round: send it.
    rebased: bool,
    /// The server did not take the cursor, or a reply showed the device lacks
    /// something it stands for: the next round sends the whole inventory.
    inventory_needed: bool,
    /// A reply did not say that the person's reminders are unchanged.
    reminders_changed: bool,
}

impl SyncRun {
    /// Whether a round sent the whole inventory.
    fn run(&mut self, client: &Client, serial: u64, progress: Option<&dyn SyncProgress>) -> Result<bool, ClientError> {
        // The first round offers every document, or with a cursor only those
        // with local writes; later ones only those in the fallback protocol,
        // unless a session was re-homed and must go up or the server asks for
        // the inventory.
        let mut mode = client.with_sign_in(serial, |s| Ok(cursor::opening(s.replica.store())?))?;
        let mut kept: Option<SyncCursor> = None;
        let mut reconciled = false;
        let mut rounds = 0;
        while rounds < MAX_ROUND_TRIPS {
            rounds += 1;
            let (request, sent) = client.with_sign_in(serial, |s| self.build_request(&mut s.replica, &mode))?;
            if !mode.opens() && request.documents.is_empty() {
                break;
            }
            let mut rehomed = false;
            // A device holding more documents than one request may offer sends
            // them in parts, one round trip each (see `split`).
            for (n, request) in split(request).into_iter().enumerate() {
                let (moved, reply_cursor) = self.round_trip(client, serial, &request, &sent)?;
                rehomed |= moved;
                // The first part's position: read before any later part's reads.
                if mode.opens() && n == 0 {
                    kept = reply_cursor;
                }
            }
            reconciled |= matches!(mode, Mode::Complete);
            if let Some(progress) = progress {
                progress.progress(self.report.docs_sent, self.report.docs_received);
            }
            let again = rehomed || std::mem::take(&mut self.rebased) || std::mem::take(&mut self.inventory_needed);
            mode = if again { Mode::Complete } else { Mode::Fallback };
            if self.fallback.is_empty() && !again {
                break;
            }
        }
        // Kept only if the device holds everything it stands for.
        let settled = self.fallback.is_empty() && !mode.opens() && !self.inventory_needed;
        let keep = kept.filter(|_| settled);
        client.with_sign_in(serial, |s| Ok(cursor::keep(s.replica.store_mut(), keep.as_ref(), reconciled)?))?;
        Ok(reconciled)
    }

    /// Send one request and apply its reply; whether a session was re-homed.
    fn round_trip(
        &mut self,
        client: &Client,
        serial: u64,
        request: &SyncRequest,
        sent: &HashMap<DocumentId, Sent>,
    ) -> Result<(bool, Option<SyncCursor>), ClientError> {
        let body = protocol::encode(request).map_err(|e| invalid(e.to_string()))?;
        self.report.bytes_sent += body.len() as u64;
        // The network, without the state lock: edits go on meanwhile.
        let response = client.authed(serial, |token| client.transport.sync(token, &body))?;
        self.report.round_trips += 1;
        self.report.bytes_received += response.len() as u64;
        let response =
            protocol::decode_response(&response).map_err(|e| invalid(format!("server sent a bad sync reply: {e}")))?;
        if request.cursor.is_some() && (response.inventory_needed || response.cursor.is_none()) {
            // Not recognised (or a server without cursors): send the inventory.
            self.inventory_needed = true;
        }
        self.reminders_changed |= !response.reminders_unchanged;
        let reply_cursor = response.cursor.clone();
        let mut rehomed = false;
        client.with_sign_in(serial, |s| {
            if let Some(actor) = &response.actor_id {
                s.adopt_actor(actor)?;
                self.new_actor = true;
            }
            if response.purge.is_empty() && response.documents.is_empty() {
                return Ok(());
            }
            // The whole reply is one store transaction (one fsync): a failure or a
            // kill part-way leaves the store as it was before the reply, which the
            // next sync then asks for again.
            s.replica.transaction(|replica| {
                for id in response.purge {
                    if let Some(header) = rehome::rehome_if_unsynced(replica, id)? {
                        self.note_rehomed(replica, id, header.id)?;
                        rehomed = true;
                    }
                    replica.remove(id)?;
                    self.fallback.remove(&id);
                    self.report.purged.push(id.to_string());
                }
                for reply in response.documents {
                    let sent = sent.get(&reply.header.id);
                    self.apply_reply(replica, reply, sent)?;
                }
                Ok::<_, ClientError>(())
            })
        })?;
        Ok((rehomed, reply_cursor))
    }

    fn build_request(
        &mut self,
        replica: &mut Replica,
        mode: &Mode,
    ) -> Result<(SyncRequest, HashMap<DocumentId, Sent>), ClientError> {
        let mut offers = Vec::new();
        let mut sent = HashMap::new();
        let complete = matches!(mode, Mode::Complete);
        // With a cursor only the documents with local writes are loaded, and those
        // in the fallback protocol; without, every document.
        let inventory = match mode {
            Mode::Complete => replica.store().inventory()?,
            Mode::Cursor(_) => {
                let mut pending = replica.store().pending_inventory()?;
                for id in self.fallback.keys() {
                    if !pending.headers.iter().any(|h| h.id == *id)
                        && let Some(stored) = replica.store().load(*id)?
                    {
                        pending.headers.push(stored.header);
                    }
                }
                pending
            }
            Mode::Fallback => {
                let mut fallback = crate::store::Inventory::default();
                for id in self.fallback.keys() {
                    if let Some(stored) = replica.store().load(*id)? {
                        fallback.headers.push(stored.header);
                    }
                }
                fallback.headers.sort_by_key(|h| h.id);
                fallback
            }
        };
        if !inventory.unreadable.is_empty() {
            // Left out of the offer, so the server sends its copy, which repairs them.
            tracing::error!(ids = ?inventory.unreadable, "skipping documents whose stored header is unreadable");
        }
        for header in inventory.headers {
            if matches!(mode, Mode::Fallback) && !self.fallback.contains_key(&header.id) {
                continue;
            }
            let mark = replica.store().sync_mark(header.id)?.unwrap_or_default();
            let doc = match replica.document(header.id) {
                Ok(doc) => doc,
                Err(error) => {
                    // One unreadable document must not stop the others from syncing.
                    // Not offered, it is one the device lacks: the server sends its
                    // copy, which repairs it (`repair`).
                    tracing::error!(%error, "skipping a document that cannot be loaded");
                    continue;
                }
            };
            let heads = doc.heads();
            let (changes, sync_message) = match self.fallback.get_mut(&header.id) {
                Some(state) => {
                    let message = match doc.generate_sync_message(state) {
                        Ok(message) => message,
                        Err(error) => {
                            // The state holds the server's last message; start afresh next round.
                            tracing::error!(%error, "skipping a document whose sync message failed");
                            self.fallback.remove(&header.id);
                            replica.forget(header.id);
                            continue;
                        }
                    };
                    (Vec::new(), message.map(|m| ByteBuf::from(m.encode())))
                }
                None => {
                    let shared: Vec<_> =
                        mark.server_heads.iter().filter_map(|h| h.parse().ok()).filter(|h| doc.has_change(h)).collect();
                    let changes = if shared == heads { Vec::new() } else { doc.automerge().get_changes(&shared) };
                    let changes: Vec<ByteBuf> = changes.iter().map(|c| ByteBuf::from(c.raw_bytes().to_vec())).collect();
                    (changes, None)
                }
            };
            if !changes.is_empty() {
                self.report.docs_sent += 1;
            }
            offers.push(DocOffer { header, heads: protocol::heads_to_wire(&heads), changes, sync_message });
            sent.insert(header.id, Sent { local_seq: mark.local_seq, heads });
        }
        let oldest_unsynced_secs = replica.store().oldest_pending_since()?.and_then(|since| {
            let since = time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339).ok()?;
            u64::try_from((time::OffsetDateTime::now_utc() - since).whole_seconds()).ok()
        });
        let request = SyncRequest {
            protocol: protocol::PROTOCOL_VERSION,
            complete_inventory: complete,
            documents: offers,
            oldest_unsynced_secs,
            offered_before: Vec::new(),
            cursor: match mode {
                Mode::Cursor(cursor) => Some(cursor.clone()),
                _ => None,
            },
        };
        Ok((request, sent))
    }

    /// Apply the server's answer for one document to the document as it is now,
    /// which may hold edits made while the request was in flight.
    fn apply_reply(&mut self, replica: &mut Replica, reply: DocReply, sent: Option<&Sent>) -> Result<(), ClientError> {
        let header = reply.header;
        let id = header.id;
        if !header.is_consistent() || header.role_of(replica.user()) == DocRole::Outsider {
            return Err(invalid(format!("server sent document {id} that this person cannot hold")));
        }
        let server_heads = protocol::heads_from_wire(&reply.heads)
            .ok_or_else(|| invalid(format!("server sent malformed heads for {id}")))?;
        // Whether the device holds the document now: it may have been created (a
        // goal plan, a joined session) while the request was in flight.
        let held = replica.store().sync_mark(id)?;
        if held.is_none() && reply.snapshot.is_none() && reply.sync_message.is_none() && reply.rejection.is_none() {
            // Changes to a document the device does not hold (a cursor that stood
            // for more than the device has): the inventory will bring it whole.
            if !reply.changes.is_empty() {
                tracing::warn!(%id, "the server sent changes to a document this device lacks; sending the inventory");
                self.inventory_needed = true;
            }
            return Ok(());
        }
        if held.is_some()
            && !replica.is_open(id)
            && reply.snapshot.is_none()
            && reply.rejection.is_none()
            && reply.sync_message.is_none()
        {
            // Plain catch-up of a document not in memory: store the changes as
            // they came, to be loaded with it when it is next read.
            return self.append_changes(replica, &reply, sent);
        }
        if let Some(mark) = &held
            && replica.document(id).is_err()
        {
            return self.repair(replica, &reply, mark);
        }
        if let (Some(mark), Some(rejection), Some(snapshot)) = (&held, &reply.rejection, &reply.snapshot)
            && rejection.code == rebase::ACTOR_ROLLED_BACK
            && self.new_actor
        {
            return self.rebase(replica, &reply, mark, snapshot);
        }

        if let Some(rejection) = &reply.rejection {
            let mut kept = vec![(rejection.path.clone(), rejection.reason.clone(), String::new())];
            if let Some(mark) = &held {
                let doc = replica.document(id)?;
                let server_heads: Vec<ChangeHash> =
                    mark.server_heads.iter().filter_map(|h| h.parse().ok()).filter(|h| doc.has_change(h)).collect();
                kept[0].2 = kept_text(doc, &rejection.path, &server_heads);
                if let (Some(sent), Some(_)) = (sent, &reply.snapshot) {
                    // Edits made in flight build on the refused changes and go with them
                    // when the server's version is restored: keep their text as well.
                    for path in written_since(doc, &sent.heads) {
                        let text = kept_text(doc, &path, &sent.heads);
                        if path != rejection.path && !text.trim().is_empty() {
                            kept.push((path, WRITTEN_IN_FLIGHT.to_owned(), text));
                        }
                    }
                }
            }
            for (path, reason, kept_text) in kept {
                let stored = StoredRejection {
                    document_id: id.to_string(),
                    path,
                    reason,
                    kept_text,
                    created_at: crate::document::now_rfc3339(),
                };
                replica.store_mut().add_rejection(&stored)?;
                self.report.rejected.push(stored.into());
            }
        }

        let before = match held {
            Some(_) => Some(replica.document(id)?.heads()),
            None => None,
        };
        if let Some(snapshot) = &reply.snapshot {
            match (&held, &reply.rejection) {
                // New to this device, or back to the server's version after a
                // rejection: stored as it came (checked whole, not loaded), and
                // loaded when it is first read.
                (None, _) | (Some(_), Some(_)) => {
                    snapshot::check(snapshot)
                        .map_err(|e| invalid(format!("server sent an unreadable document {id}: {e}")))?;
                    replica.store_mut().save_remote(&header, snapshot)?;
                    replica.forget(id);
                }
                (Some(_), None) => {
                    let mut incoming = Document::load(header, snapshot, ActorId::random())
                        .map_err(|e| invalid(format!("server sent an unreadable document {id}: {e}")))?;
                    let merged = replica.document(id)?.merge(&mut incoming);
                    forget_if_panicked(replica, id, merged)?;
                }
            }
            self.report.docs_received += 1;
        } else if !reply.changes.is_empty() {
            let changes = received_changes(&reply)?;
            let applied = replica.document(id)?.apply_changes(changes);
            forget_if_panicked(replica, id, applied)?;
            if !replica.document(id)?.automerge().get_missing_deps(&[]).is_empty() {
                // Changes wait for ones the device lacks: the inventory brings them.
                tracing::warn!(%id, "changes from the server wait for dependencies; sending the inventory");
                self.inventory_needed = true;
            }
            self.report.docs_received += 1;
        }

        match &reply.sync_message {
            Some(message) => {
                let message = sync::Message::decode(message)
                    .map_err(|e| invalid(format!("server sent a malformed sync message for {id}: {e}")))?;
                let state = self.fallback.entry(id).or_default();
                let received = replica.document(id)?.receive_sync_message(state, message);
                if let Err(DocumentError::AutomergePanic { .. }) = &received {
                    // The state may hold what made Automerge panic: start afresh.
                    self.fallback.remove(&id);
                }
                forget_if_panicked(replica, id, received)?;
            }
            None => {
                self.fallback.remove(&id);
            }
        }

        if let Some(before) = before {
            let doc = replica.document(id)?;
            if doc.heads() != before && (reply.rejection.is_none() || reply.snapshot.is_none()) {
                // An incremental save of what arrived, not the whole document.
                replica.save_received(id)?;
            }
        }
        if reply.sync_message.is_none() {
            self.mark_synced(replica, &reply, &server_heads, sent)?;
        }
        Ok(())
    }

    /// Store the changes of a reply for a document not in memory as one chunk
    /// after it, without loading it (checked as [`received_changes`] does).
    fn append_changes(
        &mut self,
        replica: &mut Replica,
        reply: &DocReply,
        sent: Option<&Sent>,
    ) -> Result<(), ClientError> {
        let id = reply.header.id;
        let server_heads = protocol::heads_from_wire(&reply.heads)
            .ok_or_else(|| invalid(format!("server sent malformed heads for {id}")))?;
        if !reply.changes.is_empty() {
            received_changes(reply)?;
            let chunk: Vec<u8> = reply.changes.iter().flat_map(|bytes| bytes.iter().copied()).collect();
            replica.store_mut().append_remote(&reply.header, &chunk)?;
            self.report.docs_received += 1;
        }
        self.fallback.remove(&id);
        self.mark_synced(replica, reply, &server_heads, sent)
    }

    /// Record the server's heads and the local writes it now holds.
    fn mark_synced(
        &mut self,
        replica: &mut Replica,
        reply: &DocReply,
        server_heads: &[ChangeHash],
        sent: Option<&Sent>,
    ) -> Result<(), ClientError> {
        let id = reply.header.id;
        let acked = match (&reply.rejection, sent) {
            // Everything on the device was either kept by the server or kept as a rejection.
            (Some(_), _) => replica.store().sync_mark(id)?.map(|m| m.local_seq).unwrap_or(0),
            // Only what the request carried: later writes stay pending.
            (None, Some(sent)) => sent.local_seq,
            (None, None) => 0,
        };
        let heads: Vec<String> = server_heads.iter().map(ToString::to_string).collect();
        replica.store_mut().mark_synced(id, &heads, acked)?;
        Ok(())
    }
}

/// The changes of a reply, each checked: well formed, and one Automerge would
/// write itself (else a saved document could not be loaded again).
fn received_changes(reply: &DocReply) -> Result<Vec<Change>, ClientError> {
    let id = reply.header.id;
    let changes = reply
        .changes
        .iter()
        .map(|bytes| Change::from_bytes(bytes.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("server sent a malformed change for {id}: {e}")))?;
    if let Some(violation) = changes.iter().find_map(|c| rules::verify_change(c).err()) {
        return Err(invalid(format!("server sent a malformed change for {id}: {violation}")));
    }
    Ok(changes)
}

impl SyncRun {
    /// Tell the user (as a rejection on the new session, which the app lists) that
    /// their session continues under a new id.
    fn note_rehomed(&mut self, replica: &mut Replica, old: DocumentId, new: DocumentId) -> Result<(), ClientError> {
        tracing::warn!(%old, %new, "a session id was taken by another pairing; its text moved to a new session");
        let stored = StoredRejection {
            document_id: new.to_string(),
            path: "/".into(),
            reason: format!(
                "session {old} could not be synced because its id is in use elsewhere; \
                 everything written in it continues in this session"
            ),
            kept_text: String::new(),
            created_at: crate::document::now_rfc3339(),
        };
        replica.store_mut().add_rejection(&stored)?;
        self.report.rejected.push(stored.into());
        Ok(())
    }

    /// Write again, under the fresh actor and on top of the server's version,
    /// what the device wrote since it last shared heads with the server
    /// ([`rebase`]); one local write stays pending, and goes up next round.
    fn rebase(
        &mut self,
        replica: &mut Replica,
        reply: &DocReply,
        mark: &SyncMark,
        snapshot: &[u8],
    ) -> Result<(), ClientError> {
        let id = reply.header.id;
        let since: Vec<ChangeHash> = mark.server_heads.iter().filter_map(|h| h.parse().ok()).collect();
        let mut server = Document::load(reply.header, snapshot, replica.actor().clone())
            .map_err(|e| invalid(format!("server sent an unreadable document {id}: {e}")))?;
        let local = replica.document(id)?;
        rebase::rebase(local, &mut server, &since)?;
        let server_heads: Vec<String> = protocol::heads_from_wire(&reply.heads)
            .ok_or_else(|| invalid(format!("server sent malformed heads for {id}")))?
            .iter()
            .map(ToString::to_string)
            .collect();
        replica.store_mut().save_local(&reply.header, &server.save())?;
        replica.forget(id);
        replica.store_mut().mark_synced(id, &server_heads, mark.local_seq)?;
        self.fallback.remove(&id);
        self.rebased = true;
        tracing::warn!(%id, "changes under a rolled-back actor were written again under a fresh one");
        Ok(())
    }

    /// Replace a document the device holds but cannot read (damaged bytes or
    /// header) with the server's copy. Only when none of its local writes is
    /// pending: otherwise the damaged row may be the only trace of them, and is
    /// left exactly as it is for support.
    fn repair(&mut self, replica: &mut Replica, reply: &DocReply, mark: &SyncMark) -> Result<(), ClientError> {
        let id = reply.header.id;
        self.fallback.remove(&id);
        if mark.local_seq > mark.acked_seq {
            tracing::error!(%id, "a damaged document holds unsynced writes; left untouched");
            return Ok(());
        }
        let Some(snapshot) = &reply.snapshot else {
            // The server sends its whole copy of any document not offered; anything
            // else is an answer to an older request. The next sync repairs it.
            return Ok(());
        };
        let mut incoming = Document::load(reply.header, snapshot, ActorId::random())
            .map_err(|e| invalid(format!("server sent an unreadable document {id}: {e}")))?;
        replica.store_mut().restore_from_server(&reply.header, &incoming.save())?;
        replica.forget(id);
        let heads: Vec<String> = incoming.heads().iter().map(ToString::to_string).collect();
        replica.store_mut().mark_synced(id, &heads, mark.local_seq)?;
        tracing::warn!(%id, "a damaged document was replaced with the server's copy");
        self.report.docs_received += 1;
        Ok(())
    }
}

/// The parts of a document written since `since`, as paths at most two keys deep
/// (`/notes`, `/accounts/<id>`, `/actions/<id>`); sign-offs left out (they hold no
/// text of the user's).
fn written_since(doc: &mut Document, since: &[ChangeHash]) -> Vec<String> {
    let now = doc.heads();
    let mut paths = Vec::new();
    if since == now.as_slice() {
        return paths;
    }
    for patch in doc.automerge().diff(since, &now) {
        let mut keys: Vec<String> = patch
            .path
            .iter()
            .map_while(|(_, prop)| match prop {
                Prop::Map(key) => Some(key.clone()),
                Prop::Seq(_) => None,
            })
            .take(2)
            .collect();
        if keys.len() < 2
            && let PatchAction::PutMap { key, .. } = &patch.action
        {
            keys.push(key.clone());
        }
        if keys.first().is_none_or(|top| top == "sign_offs") {
            continue;
        }
        let path = format!("/{}", keys.join("/"));
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// The words the user wrote that a refusal at `path` takes back, kept for them to
/// see and re-enter: the text at `path` (for a map, its text values, as
/// `key: text; key: text`). A refusal of the whole document (`/`, e.g. a change
/// by the wrong actor) keeps the text of every part written since `since`, the
/// heads the server last had. Never the document's own structure (root keys,
/// schema number): that is not the user's.
fn kept_text(doc: &mut Document, path: &str, since: &[ChangeHash]) -> String {
    let keys: Vec<&str> = path.split('/').filter(|k| !k.is_empty() && *k != "*").collect();
    if keys.is_empty() {
        let mut parts = Vec::new();
        for written in written_since(doc, since) {
            let text = kept_text(doc, &written, since);
            if !text.trim().is_empty() && !parts.contains(&text) {
                parts.push(text);
            }
        }
        return parts.join("\n");
    }
    let doc = doc.automerge_ref();
    let mut obj = ROOT;
    for (depth, key) in keys.iter().enumerate() {
        match doc.get(&obj, *key) {
            Ok(Some((Value::Object(_), child))) => obj = child,
            // Root scalars (the schema number) are the document's, not the user's.
            Ok(Some((Value::Scalar(_), _))) if depth == 0 => return String::new(),
            Ok(Some((Value::Scalar(value), _))) => return scalar_text(&value),
            // The write was into something the device no longer has: keep what
            // remains of the nearest part above it, but never the root itself.
            _ if depth == 0 => return String::new(),
            _ => break,
        }
    }
    object_text(doc, &obj)
}

/// The user's text in one object: a text's content, a map's string and text
/// values (`key: text; ...`).
fn object_text(doc: &automerge::AutoCommit, obj: &automerge::ObjId) -> String {
    match doc.object_type(obj) {
        Ok(ObjType::Text) => doc.text(obj).unwrap_or_default(),
        Ok(ObjType::Map | ObjType::Table) => {
            let mut parts = Vec::new();
            for key in doc.keys(obj) {
                let text = match doc.get(obj, &key) {
                    Ok(Some((Value::Scalar(value), _))) => match value.as_ref() {
                        automerge::ScalarValue::Str(s) => s.to_string(),
                        _ => continue,
                    },
                    Ok(Some((Value::Object(ObjType::Text), child))) => doc.text(&child).unwrap_or_default(),
                    _ => continue,
                };
                if !text.trim().is_empty() {
                    parts.push(format!("{key}: {text}"));
                }
            }
            parts.join("; ")
        }
        _ => String::new(),
    }
}

fn scalar_text(value: &automerge::ScalarValue) -> String {
    match value {
        automerge::ScalarValue::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Pass `result` on; after a contained Automerge panic the document in memory may
/// be half updated, so it is dropped and reloaded from the store on next use.
fn forget_if_panicked(
    replica: &mut Replica,
    id: DocumentId,
    result: Result<(), DocumentError>,
) -> Result<(), ClientError> {
    if let Err(DocumentError::AutomergePanic { .. }) = &result {
        replica.forget(id);
    }
    Ok(result?)
}
