//! The sync wire format: one CBOR request, one CBOR response.
//!
//! The request carries the device's whole inventory (every document's header and
//! heads) and, for each document with local changes, the changes the server lacks,
//! computed from the last heads both sides are known to share. The response
//! carries, per document, the changes the device lacks (or the whole document),
//! how many offered changes were accepted, a rejection if any, and the ids the
//! device must purge. In the common case that is the whole exchange.
//!
//! A device that has synced before sends instead a [`SyncCursor`] (where it stands
//! in the server's sequence of changes) and only the documents with local
//! changes; the reply then carries the documents changed after the cursor that
//! the person may read, and a new cursor. The whole inventory stays the fallback:
//! no cursor, a cursor the server does not recognise, access that changed, and a
//! periodic reconciliation chosen by the device.
//!
//! When the shortcut cannot apply (a side lost state, history diverged), the
//! server answers that document with an Automerge sync message instead and the
//! device continues with Automerge's own sync protocol for it.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::ids::{DocHeader, DocumentId};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The most documents one sync request may offer. A device holding more splits
/// its sync into several requests (the last one carrying the ids offered before
/// in [`SyncRequest::offered_before`]); the server refuses a larger request with
/// 413 `too_many_documents`. Bounds the work and memory of one request (30,000
/// offers cost 12 s of CPU and 80 MB) and keeps every query's parameters well
/// under SQLite's limit.
pub const MAX_DOCUMENTS_PER_REQUEST: usize = 1_000;

/// The most ids [`SyncRequest::offered_before`] may list (16 bytes each).
pub const MAX_OFFERED_BEFORE: usize = 100_000;

/// The content type of sync bodies.
pub const CONTENT_TYPE: &str = "application/cbor";

/// A device's sync request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Whether `documents` lists every document the device holds. Only then does
    /// the server send documents the device lacks and ids to purge.
    pub complete_inventory: bool,
    /// One entry per document.
    pub documents: Vec<DocOffer>,
    /// Age in seconds of the oldest local change not yet on the server, for the
    /// console's device health.
    pub oldest_unsynced_secs: Option<u64>,
    /// With `complete_inventory`, when the device holds more than
    /// [`MAX_DOCUMENTS_PER_REQUEST`] documents: the ids it offered in the earlier
    /// requests of this sync, which belong to the inventory but are not offered
    /// again (so the server does not send them as documents the device lacks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered_before: Vec<DocumentId>,
    /// Without `complete_inventory`: where the device stood after its last sync.
    /// The server then also sends every document changed after it that the person
    /// may read. Absent from older devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<SyncCursor>,
}

/// Where a device stands in the server's sequence of changes: it holds every
/// change the server numbered up to `seq` in the person's organisation, as far
/// as the person could read them when the cursor was issued. Opaque to devices:
/// they keep the last one the server sent and send it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// The database that issued it (a random identity of its own).
    pub epoch: String,
    /// The organisation's sequence number covered.
    pub seq: u64,
    /// A fingerprint of what the person could read (pairings, groups, erasures in
    /// the organisation) when it was issued: any difference asks for the whole
    /// inventory, which purges and sends what changed.
    pub access: ByteBuf,
}

/// What a device has of one document, and what it offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocOffer {
    /// What the document is.
    pub header: DocHeader,
    /// The device's heads (32-byte change hashes).
    pub heads: Vec<ByteBuf>,
    /// Changes the server lacks, in causal order (raw Automerge change bytes).
    pub changes: Vec<ByteBuf>,
    /// An Automerge sync message, while this document uses the fallback protocol.
    pub sync_message: Option<ByteBuf>,
}

/// The server's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// One entry per document the device offered or may now read.
    pub documents: Vec<DocReply>,
    /// Documents the device must delete: access withdrawn.
    pub purge: Vec<DocumentId>,
    /// A fresh actor (hex) for this device, issued when changes were refused as
    /// `actor_rolled_back` (a restored store reused its actor's sequence numbers);
    /// the device writes under it from now on. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// Where the device stands once it has applied this reply (and finished any
    /// fallback it started). Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<SyncCursor>,
    /// The request's cursor was not recognised (another database, a restore) or
    /// the person's access changed since: send the whole inventory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inventory_needed: bool,
    /// Nothing the person's reminders are worked out from changed after the
    /// request's cursor, nor in this request (no projection of a document they
    /// may read was written): the phone need not fetch its reminders again.
    /// Absent (false) from older servers and whenever in doubt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reminders_unchanged: bool,
}

/// The server's answer for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocReply {
    /// What the document is.
    pub header: DocHeader,
    /// The server's heads after this request.
    pub heads: Vec<ByteBuf>,
    /// Changes the device lacks.
    pub changes: Vec<ByteBuf>,
    /// The whole document: the device did not have it, or must return to the
    /// server's version after a rejection.
    pub snapshot: Option<ByteBuf>,
    /// How many of the offered changes the server kept (duplicates included).
    pub accepted: u32,
    /// Why the rest were refused.
    pub rejection: Option<WireRejection>,
    /// An Automerge sync message: continue with the fallback protocol.
    pub sync_message: Option<ByteBuf>,
}

/// Why the server refused changes to a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRejection {
    /// The path written, e.g. `/feedback/strengths`.
    pub path: String,
    /// A stable code (`mentor_only`, `wrong_actor`, ...).
    pub code: String,
    /// A sentence for people.
    pub reason: String,
}

/// A body that is not a valid sync message, or a message that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// Not CBOR of the expected shape.
    #[error("malformed sync body: {0}")]
    Malformed(String),
    /// Another protocol version.
    #[error("sync protocol {found} is not supported (this side speaks {PROTOCOL_VERSION})")]
    Version {
        /// The version received.
        found: u32,
    },
    /// The message could not be encoded. Writing into memory does not fail and
    /// every message type serializes, so this is a bug, but it is reported rather
    /// than sent as an empty body.
    #[error("encoding a sync message failed: {0}")]
    Encode(String),
}

/// Encode a message as CBOR.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    ciborium::into_writer(message, &mut out).map_err(|error| ProtocolError::Encode(error.to_string()))?;
    Ok(out)
}

/// Decode a request, checking its protocol version.
pub fn decode_request(bytes: &[u8]) -> Result<SyncRequest, ProtocolError> {
    let request: SyncRequest = decode(bytes)?;
    if request.protocol != PROTOCOL_VERSION {
        return Err(ProtocolError::Version { found: request.protocol });
    }
    Ok(request)
}

/// Decode a response, checking its protocol version.
pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, ProtocolError> {
    let response: SyncResponse = decode(bytes)?;
    if response.protocol != PROTOCOL_VERSION {
        return Err(ProtocolError::Version { found: response.protocol });
    }
    Ok(response)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ProtocolError> {
    ciborium::from_reader(bytes).map_err(|error| ProtocolError::Malformed(error.to_string()))
}

/// Heads as wire bytes.
pub fn heads_to_wire(heads: &[automerge::ChangeHash]) -> Vec<ByteBuf> {
    heads.iter().map(|h| ByteBuf::from(h.0.to_vec())).collect()
}

/// Heads from wire bytes; `None` if any is not 32 bytes.
pub fn heads_from_wire(heads: &[ByteBuf]) -> Option<Vec<automerge::ChangeHash>> {
    heads.iter().map(|h| automerge::ChangeHash::try_from(h.as_slice()).ok()).collect()
}
