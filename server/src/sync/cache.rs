//! A bounded in-memory cache of hot documents.
//!
//! Each entry is its own mutex: requests touching the same document take turns,
//! requests touching different documents run side by side. An entry holds the
//! loaded document, the object index the write rules need, and the id of the last
//! stored change it reflects, so a stale entry (another server process wrote) is
//! caught up from the database instead of reloaded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use sync_core::rules::ObjectIndex;
use sync_core::{Document, DocumentId};

/// A document as loaded on the server.
pub struct CachedDoc {
    /// The document.
    pub doc: Document,
    /// Where every object of it was created, for the write rules.
    pub index: ObjectIndex,
    /// The last stored change reflected in `doc`.
    pub last_change_id: i64,
    /// Changes stored after the snapshot, as far as this process knows: the trigger
    /// for compaction, so an estimate is enough.
    pub since_snapshot: i32,
    /// The projection last written, so an edit that changes nothing the console
    /// sees (most edits: notes, accounts) writes no projection rows.
    pub projection: Option<super::projection::Projection>,
}

/// One cache slot; `None` until loaded.
pub type Slot = Arc<Mutex<Option<CachedDoc>>>;

struct Entry {
    slot: Slot,
    last_used: u64,
}

/// Hot documents, at most `capacity` of them.
pub struct DocCache {
    entries: Mutex<HashMap<DocumentId, Entry>>,
    tick: std::sync::atomic::AtomicU64,
    capacity: usize,
}

impl DocCache {
    /// An empty cache holding at most `capacity` documents.
    pub fn new(capacity: usize) -> Self {
        Self { entries: Mutex::new(HashMap::new()), tick: Default::default(), capacity: capacity.max(1) }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<DocumentId, Entry>> {
        // The map holds no invariants a panic could break halfway.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The slot of a document, created empty if absent. Evicts the least recently
    /// used entry when full; a request still holding an evicted slot keeps it.
    pub fn slot(&self, id: DocumentId) -> Slot {
        let tick = self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = self.map();
        if let Some(entry) = map.get_mut(&id) {
            entry.last_used = tick;
            return entry.slot.clone();
        }
        if map.len() >= self.capacity
            && let Some(oldest) = map.iter().min_by_key(|(_, e)| e.last_used).map(|(id, _)| *id)
        {
            map.remove(&oldest);
        }
        let slot = Slot::default();
        map.insert(id, Entry { slot: slot.clone(), last_used: tick });
        slot
    }

    /// Forget a document (after a failed write left memory ahead of storage).
    pub fn evict(&self, id: DocumentId) {
        self.map().remove(&id);
    }

    /// How many documents are cached.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

/// Lock a slot, carrying on after a panic in another request. That request may
/// have stopped halfway through applying changes it never stored, leaving memory
/// ahead of storage, so the entry is dropped and reloaded from storage.
pub fn lock(slot: &Slot) -> MutexGuard<'_, Option<CachedDoc>> {
    slot.lock().unwrap_or_else(|poisoned| {
        let mut guard = poisoned.into_inner();
        *guard = None;
        slot.clear_poison();
        guard
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::{DocHeader, DocumentId, Pair};

    #[test]
    fn an_entry_a_panicking_request_held_is_dropped_and_reloaded() {
        let cache = DocCache::new(4);
        let pair = Pair {
            mentorship_id: sync_core::MentorshipId::new_random(),
            mentor_id: sync_core::UserId::new_random(),
            mentee_id: sync_core::UserId::new_random(),
        };
        let header = DocHeader::session(DocumentId::new_random(), pair);
        let slot = cache.slot(header.id);
        let doc = Document::create(header, sync_core::automerge::ActorId::random()).expect("genesis");
        *lock(&slot) = Some(CachedDoc {
            doc,
            index: ObjectIndex::default(),
            last_change_id: 7,
            since_snapshot: 0,
            projection: None,
        });
        let held = slot.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = lock(&held);
            panic!("a request fails halfway");
        })
        .join();
        assert!(panicked.is_err());
        assert!(slot.is_poisoned());
        assert!(lock(&slot).is_none(), "memory may be ahead of storage: reload");
        assert!(!slot.is_poisoned());
    }
}
