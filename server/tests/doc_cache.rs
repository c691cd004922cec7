//! The document cache's byte budget against the heap it really holds.
//!
//! A counting allocator measures the live heap while documents are loaded the
//! way the server loads them (a saved snapshot, or the genesis plus every stored
//! change applied, then the object index built). The estimate the cache weighs
//! entries by (`sync::cache::estimate`) must cover what was measured, and a cache
//! fed far more large documents than its budget must stay within that budget in
//! real heap, not only by its own estimate.
//!
//! Its own test binary, because the allocator is global; the tests take turns so
//! one's allocations do not show in the other's count.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use alongside_server::sync::cache::{self, CachedDoc, DocCache};
use sync_core::automerge::{ActorId, Change, ReadDoc};
use sync_core::rules::ObjectIndex;
use sync_core::{DocHeader, Document, DocumentId, GoalCategory, MentorshipId, Pair, UserId};

struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn live() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

fn pair() -> Pair {
    Pair { mentorship_id: MentorshipId::new_random(), mentor_id: UserId::new_random(), mentee_id: UserId::new_random() }
}

/// A session whose notes were typed in `edits` edits of `chars` characters each.
fn typed_session(edits: usize, chars: usize) -> Document {
    let pair = pair();
    let mut doc = Document::create(DocHeader::session(DocumentId::new_random(), pair), ActorId::random()).unwrap();
    let words = "handover went well; ".repeat(chars / 20 + 1);
    let mut len = 0;
    for _ in 0..edits {
        doc.edit_notes(pair.mentor_id, len, 0, &words[..chars]).unwrap();
        len += chars;
    }
    doc
}

/// A goal plan with `goals` goals, each with a progress note: many objects.
fn goal_plan(goals: usize) -> Document {
    let pair = pair();
    let mut doc = Document::create(DocHeader::goal_plan(pair), ActorId::random()).unwrap();
    for n in 0..goals {
        let id = doc.add_goal(pair.mentee_id, &format!("Goal {n}"), GoalCategory::Confidence, None).unwrap();
        doc.add_goal_progress(pair.mentee_id, &id, "2026-05-01", "Led the morning handover").unwrap();
    }
    doc
}

/// A stored document as the server reads it back.
struct Stored {
    header: DocHeader,
    /// A compacted snapshot.
    snapshot: Vec<u8>,
    /// Every change, for a document never compacted.
    changes: Vec<Change>,
}

impl Stored {
    fn of(mut source: Document) -> Self {
        let changes = source.automerge().get_changes(&[]).into_iter().collect();
        Self { header: *source.header(), snapshot: source.save(), changes }
    }
}

/// How the server loaded a document.
#[derive(Clone, Copy, Debug)]
enum Loaded {
    Snapshot,
    /// The genesis with every stored change applied.
    Changes,
    /// The genesis, then the changes a few at a time, as syncs bring them.
    Incremental,
}

fn load_as_server(stored: &Stored, how: Loaded) -> CachedDoc {
    let actor = ActorId::from(*b"alongside-server");
    let doc = match how {
        Loaded::Snapshot => Document::load(stored.header, &stored.snapshot, actor).unwrap(),
        Loaded::Changes | Loaded::Incremental => Document::create(stored.header, actor).unwrap(),
    };
    // As the engine does: made from the snapshot or genesis, then caught up.
    let mut cached = CachedDoc::new(doc, 1);
    if let Loaded::Changes | Loaded::Incremental = how {
        for batch in stored.changes.chunks(match how {
            Loaded::Incremental => 4,
            _ => usize::MAX,
        }) {
            cached.doc.automerge().apply_changes(batch.to_vec()).unwrap();
        }
    }
    cached.index = ObjectIndex::build(cached.doc.automerge()).unwrap();
    cached
}

#[test]
fn the_estimate_covers_the_heap_a_loaded_document_holds() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let shapes: Vec<(&str, Document)> = vec![
        ("notes typed 1 character per change", typed_session(2_000, 1)),
        ("notes typed 20 characters per change", typed_session(1_000, 20)),
        ("notes pasted 2,000 characters per change", typed_session(25, 2_000)),
        ("goal plan of 150 goals", goal_plan(150)),
        ("goal plan of 400 goals", goal_plan(400)),
        ("goal plan of 1000 goals", goal_plan(1000)),
        ("a new session", typed_session(0, 0)),
    ];
    for (name, source) in shapes {
        let stored = Stored::of(source);
        for how in [Loaded::Snapshot, Loaded::Changes, Loaded::Incremental] {
            let before = live();
            let cached = load_as_server(&stored, how);
            let held = live() - before;
            let estimated = cache::estimate(Some(&cached));
            let stats = ReadDoc::stats(cached.doc.automerge_ref());
            println!(
                "{name} ({how:?}): {} ops, {} changes: held {held} B, estimated {estimated} B",
                stats.num_ops, stats.num_changes
            );
            assert!(estimated as i64 >= held, "{name} ({how:?}): estimated {estimated} B < held {held} B");
        }
    }
}

#[test]
fn a_cache_fed_large_documents_stays_within_its_budget() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let budget: u64 = 32 << 20;
    let stored: Vec<Stored> = (0..4).map(|_| Stored::of(typed_session(100, 100))).collect();
    let cache = DocCache::with_budget(budget);
    let before = live();
    let mut peak = 0;
    for round in 0..40 {
        let cached = load_as_server(&stored[round % 4], Loaded::Changes);
        // Each is a distinct document to the cache, as forty sessions would be.
        let slot = cache.slot(DocumentId::new_random());
        *cache::lock(&slot) = Some(cached);
        drop(slot);
        peak = peak.max(live() - before);
        assert!(cache.weight() <= cache.budget(), "estimated {} > budget {}", cache.weight(), cache.budget());
    }
    // About 3.3 MB each by estimate: several fit, forty do not.
    assert!((2..40).contains(&cache.len()), "{} documents kept", cache.len());
    // The cache's own table and eviction history come on top of the documents.
    let slack = 1 << 20;
    assert!(peak <= (budget + slack) as i64, "the cache held {peak} B of heap with a budget of {budget} B");
    println!("{} documents kept, estimated {} B, heap at most {peak} B", cache.len(), cache.weight());
}
