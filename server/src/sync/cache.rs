//! A cache of hot documents, bounded by an estimate of the memory they hold.
//!
//! Each entry is its own mutex: requests touching the same document take turns,
//! requests touching different documents run side by side. An entry holds the
//! loaded document, the object index the write rules need, and the id of the last
//! stored change it reflects, so a stale entry (another server process wrote) is
//! caught up from the database instead of reloaded.
//!
//! The budget is in bytes, not documents: a count would let a few thousand large
//! documents take gigabytes. The map is a `quick_cache` weighted cache (sharded,
//! scan-resistant eviction close to S3-FIFO). An entry's weight is re-estimated
//! from Automerge's own counts each time a request lets go of it ([`estimate`]),
//! and the cache evicts to stay within the budget. An entry a request is holding
//! is pinned: it is not evicted under that request, so two copies of one document
//! never live side by side in one process. A document heavier than one shard's
//! share of the budget is not kept at all: every request loads it afresh.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use quick_cache::sync::{Cache, EntryAction, EntryResult};
use quick_cache::{DefaultHashBuilder, Lifecycle, OptionsBuilder, Weighter};
use sync_core::automerge::ReadDoc;
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
    /// Operations the document had when it was made (from a snapshot, or the
    /// genesis): Automerge holds those far more compactly than ones applied later.
    loaded_ops: u64,
}

impl CachedDoc {
    /// A document just loaded from a snapshot (or created from its genesis) that
    /// reflects stored changes up to `last_change_id`; its index is still empty.
    pub fn new(doc: Document, last_change_id: i64) -> Self {
        let loaded_ops = doc.automerge_ref().stats().num_ops;
        Self { doc, index: ObjectIndex::default(), last_change_id, since_snapshot: 0, projection: None, loaded_ops }
    }

    /// Replace the document by `compact`, the same document loaded from its
    /// snapshot (after a compaction): same history, so the index stays.
    pub fn take_compact(&mut self, compact: Document) {
        self.loaded_ops = compact.automerge_ref().stats().num_ops;
        self.doc = compact;
    }
}

/// What an entry costs besides its operations and changes: the slot, the
/// header, the projection and an empty Automerge document's tables.
pub const ENTRY_BYTES: u64 = 16 * 1024;
/// Heap bytes per Automerge operation applied after loading (stored changes
/// caught up, changes received). Measured (`server/tests/doc_cache.rs`): about
/// 210 bytes per operation for pasted text, up to 280 for typed text.
pub const BYTES_PER_APPLIED_OP: u64 = 320;
/// Heap bytes per operation loaded from a snapshot, which Automerge keeps in its
/// compressed columns: measured at 1-2 bytes.
pub const BYTES_PER_LOADED_OP: u64 = 16;
/// Heap bytes per operation of the write rules' index (`rules::ObjectIndex`
/// keeps a slot fingerprint per operation in a hash table): 17 bytes a table
/// slot, up to 2.3 slots per operation just after the table doubled.
pub const BYTES_PER_INDEXED_OP: u64 = 40;
/// Heap bytes per change in the change graph (hash, actor, clock, dependencies)
/// with the objects it creates in the object index: measured at about 160 for
/// text edits and up to 900 for goal-plan changes that create objects, in
/// documents loaded from snapshots; with the applied-operation factor this also
/// covers goal plans built change by change (about 2,300 per change in all).
pub const BYTES_PER_CHANGE: u64 = 1536;

/// The estimated heap bytes of one entry: an upper bound on every document shape
/// measured. Cheap enough to run whenever a request lets go of an entry, since
/// Automerge keeps both counts.
pub fn estimate(cached: Option<&CachedDoc>) -> u64 {
    let Some(cached) = cached else { return ENTRY_BYTES };
    let stats = cached.doc.automerge_ref().stats();
    let loaded = cached.loaded_ops.min(stats.num_ops);
    let applied = stats.num_ops - loaded;
    ENTRY_BYTES
        .saturating_add(loaded.saturating_mul(BYTES_PER_LOADED_OP))
        .saturating_add(applied.saturating_mul(BYTES_PER_APPLIED_OP))
        .saturating_add(stats.num_changes.saturating_mul(BYTES_PER_CHANGE))
        .saturating_add(stats.num_ops.saturating_mul(BYTES_PER_INDEXED_OP))
}

/// One cache slot; `None` until loaded. Clones share the slot.
#[derive(Clone)]
pub struct Slot {
    inner: Arc<SlotInner>,
}

struct SlotInner {
    id: DocumentId,
    doc: Mutex<Option<CachedDoc>>,
    /// The weight the cache last recorded for this slot.
    weight: AtomicU64,
    /// The cache to tell about a new weight; a slot outlives its cache in tests.
    cache: Weak<Entries>,
}

impl Slot {
    fn new(id: DocumentId, cache: Weak<Entries>) -> Self {
        let inner = SlotInner { id, doc: Mutex::new(None), weight: AtomicU64::new(ENTRY_BYTES), cache };
        Self { inner: Arc::new(inner) }
    }

    /// Whether a request panicked while holding this slot (until the next lock).
    pub fn is_poisoned(&self) -> bool {
        self.inner.doc.is_poisoned()
    }
}

/// The value stored in the map. The weight is fixed while the value sits in the
/// map (quick_cache requires it), so a new weight means replacing the value.
#[derive(Clone)]
struct Entry {
    slot: Slot,
    weight: u64,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<DocumentId, Entry> for ByWeight {
    fn weight(&self, _id: &DocumentId, entry: &Entry) -> u64 {
        // Never 0: zero-weight entries are never evicted.
        entry.weight.max(1)
    }
}

/// Pins entries a request holds, and drops evicted documents after the shard's
/// lock is released rather than under it.
#[derive(Clone)]
struct Pinning;

impl Lifecycle<DocumentId, Entry> for Pinning {
    type RequestState = Vec<Entry>;

    fn is_pinned(&self, _id: &DocumentId, entry: &Entry) -> bool {
        // The map holds one reference; any other is a request's (or a replacement
        // in flight, which is about to take this one's place).
        Arc::strong_count(&entry.slot.inner) > 1
    }

    fn begin_request(&self) -> Self::RequestState {
        Vec::new()
    }

    fn on_evict(&self, evicted: &mut Self::RequestState, _id: DocumentId, entry: Entry) {
        evicted.push(entry);
    }
}

type Entries = Cache<DocumentId, Entry, ByWeight, DefaultHashBuilder, Pinning>;

/// The size of a document the estimated item count is based on (a session of a
/// few thousand edits); it only sizes the shards and the eviction history.
const TYPICAL_DOCUMENT_BYTES: u64 = 64 * 1024;

/// Hot documents, within a budget of estimated bytes.
pub struct DocCache {
    entries: Arc<Entries>,
}

impl DocCache {
    /// An empty cache whose entries together weigh at most `budget_bytes`.
    pub fn with_budget(budget_bytes: u64) -> Self {
        let budget = budget_bytes.max(ENTRY_BYTES);
        let items = usize::try_from(budget / TYPICAL_DOCUMENT_BYTES).unwrap_or(usize::MAX).max(1);
        // Few shards: each gets an equal share of the budget and a document must
        // fit in one share. The map is locked only to hand out or re-weigh a slot.
        let options = OptionsBuilder::new().estimated_items_capacity(items).weight_capacity(budget).shards(4).build();
        let entries = match options {
            Ok(options) => Cache::with_options(options, ByWeight, DefaultHashBuilder::default(), Pinning),
            // Unreachable with both sizes given; fall back to quick_cache's own sizing.
            Err(_) => Cache::with(items, budget, ByWeight, DefaultHashBuilder::default(), Pinning),
        };
        Self { entries: Arc::new(entries) }
    }

    /// The slot of a document, created empty if absent. A request still holding a
    /// slot that was evicted (an oversized document) keeps it.
    pub fn slot(&self, id: DocumentId) -> Slot {
        let weak = Arc::downgrade(&self.entries);
        let created = self.entries.get_or_insert_with(&id, || {
            let slot = Slot::new(id, weak);
            Ok::<_, std::convert::Infallible>(Entry { weight: ENTRY_BYTES, slot })
        });
        match created {
            Ok(entry) => entry.slot,
            Err(never) => match never {},
        }
    }

    /// Forget a document (after a failed write left memory ahead of storage).
    pub fn evict(&self, id: DocumentId) {
        self.entries.remove(&id);
    }

    /// How many documents are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The estimated bytes of every cached entry together.
    pub fn weight(&self) -> u64 {
        self.entries.weight()
    }

    /// The budget in bytes.
    pub fn budget(&self) -> u64 {
        self.entries.capacity()
    }
}

/// A locked slot. Reads and writes as the `Option<CachedDoc>` inside; when
/// dropped, it tells the cache the entry's new weight, which may evict others.
pub struct DocGuard<'a> {
    slot: &'a Slot,
    doc: MutexGuard<'a, Option<CachedDoc>>,
}

impl std::ops::Deref for DocGuard<'_> {
    type Target = Option<CachedDoc>;

    fn deref(&self) -> &Self::Target {
        &self.doc
    }
}

impl std::ops::DerefMut for DocGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.doc
    }
}

impl Drop for DocGuard<'_> {
    fn drop(&mut self) {
        let inner = &self.slot.inner;
        let weight = estimate(self.doc.as_ref());
        if inner.weight.swap(weight, Ordering::Relaxed) == weight {
            return;
        }
        let Some(entries) = inner.cache.upgrade() else { return };
        let too_heavy = weight > entries.shard_capacity();
        // Atomically, and only while the map still holds this very slot: an evicted
        // slot must not come back in place of one created after it. Re-inserting
        // (rather than changing the weight in place) is what makes the map evict
        // others down to the budget.
        let found = entries.entry(&inner.id, Some(Duration::ZERO), |_, entry| {
            match (Arc::ptr_eq(&entry.slot.inner, inner), too_heavy) {
                (false, _) => EntryAction::Retain(()),
                (true, false) => EntryAction::ReplaceWithGuard,
                (true, true) => EntryAction::Remove,
            }
        });
        if let EntryResult::Replaced(guard, _old) = found {
            // Err only when the map refuses it, which leaves it out: reloaded next time.
            let _ = guard.insert(Entry { slot: self.slot.clone(), weight });
        }
    }
}

/// Lock a slot, carrying on after a panic in another request. That request may
/// have stopped halfway through applying changes it never stored, leaving memory
/// ahead of storage, so the entry is dropped and reloaded from storage.
pub fn lock(slot: &Slot) -> DocGuard<'_> {
    let doc = slot.inner.doc.lock().unwrap_or_else(|poisoned| {
        let mut guard = poisoned.into_inner();
        *guard = None;
        slot.inner.doc.clear_poison();
        guard
    });
    DocGuard { slot, doc }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::{DocHeader, Pair};

    fn session_header() -> DocHeader {
        let pair = Pair {
            mentorship_id: sync_core::MentorshipId::new_random(),
            mentor_id: sync_core::UserId::new_random(),
            mentee_id: sync_core::UserId::new_random(),
        };
        DocHeader::new_session(pair)
    }

    fn loaded(header: DocHeader) -> CachedDoc {
        let doc = Document::create(header, sync_core::automerge::ActorId::random()).expect("genesis");
        CachedDoc::new(doc, 7)
    }

    #[test]
    fn an_entry_a_panicking_request_held_is_dropped_and_reloaded() {
        let cache = DocCache::with_budget(1 << 20);
        let header = session_header();
        let slot = cache.slot(header.id);
        *lock(&slot) = Some(loaded(header));
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

    #[test]
    fn one_document_has_one_slot_until_it_is_evicted() {
        let cache = DocCache::with_budget(1 << 20);
        let header = session_header();
        let first = cache.slot(header.id);
        *lock(&first) = Some(loaded(header));
        let second = cache.slot(header.id);
        assert!(Arc::ptr_eq(&first.inner, &second.inner));
        assert!(cache.weight() > ENTRY_BYTES, "a loaded document weighs more than an empty slot");
        drop((first, second));
        cache.evict(header.id);
        assert!(lock(&cache.slot(header.id)).is_none());
    }

    #[test]
    fn a_held_entry_is_not_evicted_and_others_are() {
        let budget = 64 * ENTRY_BYTES;
        let cache = DocCache::with_budget(budget);
        let header = session_header();
        let held = cache.slot(header.id);
        *lock(&held) = Some(loaded(header));
        for _ in 0..1000 {
            let header = session_header();
            let slot = cache.slot(header.id);
            *lock(&slot) = Some(loaded(header));
        }
        assert!(cache.weight() <= cache.budget(), "{} > {}", cache.weight(), cache.budget());
        assert!(cache.len() < 1000);
        assert!(Arc::ptr_eq(&cache.slot(header.id).inner, &held.inner), "the held entry stayed");
    }
}
