//! Sync: the server side of `POST /v1/sync` and `GET /v1/sync/live`.
//!
//! - [`engine`] answers one sync request: which documents the caller may read
//!   (from pairings, never from the request), the checks on every received change
//!   (actor, access, write rules over raw operations), persistence, and the reply.
//! - [`cache`] keeps hot documents in memory so a busy document is not reloaded
//!   from bytes on every request.
//! - [`projection`] turns documents into the metadata the console reads.
//! - [`live`] tells connected devices and consoles which documents changed, within
//!   one process and, on PostgreSQL, across processes through LISTEN/NOTIFY.
//!
//! Automerge work is CPU-bound and synchronous: handlers run the engine inside
//! `web::block`, never on the async executor threads.

pub mod cache;
pub mod engine;
pub mod live;
pub mod projection;

/// Everything sync keeps between requests.
pub struct SyncState {
    /// Hot documents.
    pub cache: cache::DocCache,
    /// Live update fan-out.
    pub notifier: live::Notifier,
}

/// Documents kept in memory per server process. A session document of a few
/// thousand edits is tens of kilobytes; this bounds the cache to a few hundred MB.
pub const CACHED_DOCUMENTS: usize = 4096;

impl SyncState {
    pub fn new() -> Self {
        Self { cache: cache::DocCache::new(CACHED_DOCUMENTS), notifier: live::Notifier::new() }
    }
}

impl Default for SyncState {
    fn default() -> Self {
        Self::new()
    }
}
