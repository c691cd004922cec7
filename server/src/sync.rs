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

/// The document cache's default budget: a session document of a few thousand
/// edits is estimated at a few hundred kilobytes in memory.
pub const DEFAULT_CACHE_MB: u64 = 256;

impl SyncState {
    /// Sync state whose document cache holds at most `cache_bytes` (estimated).
    pub fn new(cache_bytes: u64) -> Self {
        Self { cache: cache::DocCache::with_budget(cache_bytes), notifier: live::Notifier::new() }
    }
}

impl Default for SyncState {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_MB << 20)
    }
}
