//! Sync: the server side of `POST /v1/sync`, `GET /v1/sync/live` and
//! `GET /v1/documents/{id}`.
//!
//! - [`engine`] answers one sync request: which documents the caller may read
//!   (from pairings, never from the request), the checks on every received change
//!   (actor, access, write rules over raw operations), persistence, and the reply.
//! - [`read`] answers the typed JSON view of one stored document.
//! - [`cache`] keeps hot documents in memory so a busy document is not reloaded
//!   from bytes on every request.
//! - [`projection`] turns documents into the metadata the console reads.
//! - [`live`] tells connected devices and consoles which documents changed, within
//!   one process and, on PostgreSQL, across processes through LISTEN/NOTIFY.
//!
//! Automerge work is CPU-bound and synchronous: handlers run the engine inside
//! `web::block`, never on the async executor threads. Failures are a
//! [`SyncError`]; the HTTP edge turns it into a response.

pub mod cache;
pub mod cursor;
pub mod engine;
pub mod live;
pub mod projection;
pub mod read;

use crate::db::DbError;
use crate::model::DocumentId;

/// What sync keeps between requests: the hot documents and the live-update
/// fan-out.
pub struct SyncHub {
    /// Hot documents.
    pub cache: cache::DocCache,
    /// Live update fan-out.
    pub notifier: live::Notifier,
}

/// The document cache's default budget: a session document of a few thousand
/// edits is estimated at a few hundred kilobytes in memory.
pub const DEFAULT_CACHE_MB: u64 = 256;

impl SyncHub {
    /// A hub whose document cache holds at most `cache_bytes` (estimated).
    pub fn new(cache_bytes: u64) -> Self {
        Self { cache: cache::DocCache::with_budget(cache_bytes), notifier: live::Notifier::new() }
    }
}

impl Default for SyncHub {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_MB << 20)
    }
}

/// Why a sync request, or the read of one document, failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request cannot be read (a malformed change, heads or sync message,
    /// a document offered twice).
    #[error("{message}")]
    Malformed { code: &'static str, message: String },
    /// The request offers more documents than one request may (see
    /// `sync_core::protocol::MAX_DOCUMENTS_PER_REQUEST`); the client splits.
    #[error(
        "a sync request may offer at most {limit} documents ({offered} offered) and list at most {inventory_limit} offered before; split it into several requests"
    )]
    TooManyDocuments { offered: usize, limit: usize, inventory_limit: usize },
    /// Not there, or not the caller's to read: the two are not told apart.
    #[error("document not found")]
    NotFound,
    /// Stored, but its values cannot be read as its kind (the write rules police
    /// who writes where, not value shapes).
    #[error("{message}")]
    Unreadable { message: String },
    #[error(transparent)]
    Db(#[from] DbError),
    /// What is stored cannot be loaded: corruption or a bug, never the caller's
    /// doing.
    #[error("stored document {id} cannot be loaded")]
    Stored {
        id: DocumentId,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Something the token check decides on changed since the caller's rows
    /// were read (a device revoked, a person deactivated...): check the token
    /// again and start over (`routes::sync` does, before anyone sees this).
    #[error("the account changed while this sync began; try again")]
    AuthChanged,
    /// An invariant of the engine did not hold (a bug).
    #[error("sync engine invariant broken: {0}")]
    Invariant(&'static str),
}

impl SyncError {
    fn malformed(code: &'static str, message: String) -> Self {
        Self::Malformed { code, message }
    }

    fn stored(id: DocumentId, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Stored { id, source: source.into() }
    }
}

impl From<diesel::result::Error> for SyncError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}
