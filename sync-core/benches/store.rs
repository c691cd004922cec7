//! The device store with and without encryption (SQLCipher with the app's key),
//! in a release build: `cargo bench -p sync-core --bench store`. Prints JSON with
//! medians in microseconds and the encrypted / plain ratios, and what one local
//! edit's save costs: a full save per edit (as before incremental saves) against
//! the replica's incremental save (a chunk, folded now and then).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: fail loudly

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use sync_core::automerge::ActorId;
use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, Replica, Store, StoreKey, UserId};

/// Documents in the store that is opened, and edits in each.
const DOCUMENTS: usize = 50;
const EDITS: usize = 400;

fn median_us(iterations: usize, mut work: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A session's saved bytes after `EDITS` typing bursts.
fn session_bytes(pair: Pair) -> (DocHeader, Vec<u8>) {
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = Document::create(header, ActorId::random()).unwrap();
    for i in 0..EDITS {
        let len = doc.session_view().unwrap().notes.encode_utf16().count();
        doc.edit_notes(pair.mentor_id, (i * 7919) % (len + 1), 0, &format!("shift note {i}, ")).unwrap();
    }
    (header, doc.save())
}

fn measure(dir: &Path, key: Option<&StoreKey>, documents: &[(DocHeader, Vec<u8>)]) -> serde_json::Value {
    let path = dir.join(if key.is_some() { "encrypted.sqlite3" } else { "plain.sqlite3" });
    {
        let mut store = Store::open_with_key(&path, key).unwrap();
        for (header, bytes) in documents {
            store.save_remote(header, bytes).unwrap();
        }
    }
    let open_us = median_us(30, || drop(Store::open_with_key(&path, key).unwrap()));
    let (header, bytes) = &documents[0];
    // A cold read: open, then one document (its pages decrypted on the way in).
    let open_and_read_us = median_us(30, || {
        let store = Store::open_with_key(&path, key).unwrap();
        std::hint::black_box(store.load(header.id).unwrap());
    });
    let mut store = Store::open_with_key(&path, key).unwrap();
    // A local edit's durable write (WAL, synchronous=FULL: an fsync per write).
    let write_us = median_us(200, || store.save_local(header, bytes).unwrap());
    let read_us = median_us(200, || {
        std::hint::black_box(store.load(header.id).unwrap());
    });
    let inventory_us = median_us(100, || {
        std::hint::black_box(store.inventory().unwrap());
    });
    json!({
        "open_us_p50": open_us,
        "open_and_first_read_us_p50": open_and_read_us,
        "write_us_p50": write_us,
        "read_us_p50": read_us,
        "inventory_us_p50": inventory_us,
    })
}

/// Edits in the document whose per-edit save is measured (about 25 KB saved,
/// as in the documents bench), and edits measured.
const LARGE_EDITS: usize = 2_000;
const MEASURED_EDITS: usize = 300;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

/// One local edit's save: the whole document per edit (the store's way before
/// chunks) against the replica's incremental save. Times include the durable
/// write (an fsync); `save_cpu` is the Automerge part alone.
fn edit_costs(dir: &Path, pair: Pair) -> serde_json::Value {
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = Document::create(header, ActorId::random()).unwrap();
    let mut len = 0;
    for i in 0..LARGE_EDITS {
        let text = format!("shift note {i}, ");
        doc.edit_notes(pair.mentor_id, (i * 7919) % (len + 1), 0, &text).unwrap();
        len += text.encode_utf16().count();
    }
    let bytes = doc.save();
    let mut edit = |doc: &mut Document, i: usize| {
        let text = format!("more {i}, ");
        doc.edit_notes(pair.mentor_id, (i * 7919) % (len + 1), 0, &text).unwrap();
        len += text.encode_utf16().count();
    };

    // Before: a full save and a whole-row write per edit.
    let mut store = Store::open(&dir.join("full.sqlite3")).unwrap();
    store.save_local(&header, &bytes).unwrap();
    let mut full = Document::load(header, &bytes, ActorId::random()).unwrap();
    let written = store.write_stats().document_bytes;
    let mut full_us: Vec<f64> = (0..MEASURED_EDITS)
        .map(|i| {
            edit(&mut full, i);
            let start = Instant::now();
            let saved = full.save();
            store.save_local(&header, &saved).unwrap();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let full_bytes = (store.write_stats().document_bytes - written) / MEASURED_EDITS as u64;
    full_us.sort_by(f64::total_cmp);
    let full_save_cpu_us = median_us(50, || {
        std::hint::black_box(full.save());
    });

    // After: the replica's incremental save (the edit included, as `Replica::edit` times it).
    let mut store = Store::open(&dir.join("incremental.sqlite3")).unwrap();
    store.save_local(&header, &bytes).unwrap();
    let mut replica = Replica::with_store(store, pair.mentor_id, ActorId::random());
    replica.read(header.id, |_| Ok(())).unwrap();
    let written = replica.store().write_stats().document_bytes;
    let mut incremental_us: Vec<f64> = (0..MEASURED_EDITS)
        .map(|i| {
            let start = Instant::now();
            replica
                .edit(header.id, |doc, me| {
                    let text = format!("more {i}, ");
                    let at = (i * 7919) % (len + 1);
                    len += text.encode_utf16().count();
                    doc.edit_notes(me, at, 0, &text)
                })
                .unwrap();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let incremental_bytes = (replica.store().write_stats().document_bytes - written) / MEASURED_EDITS as u64;
    incremental_us.sort_by(f64::total_cmp);
    let doc = replica.document(header.id).unwrap();
    let heads = doc.heads();
    doc.edit_notes(pair.mentor_id, 0, 0, "x").unwrap();
    let incremental_save_cpu_us = median_us(50, || {
        std::hint::black_box(doc.automerge().save_after(&heads));
    });
    json!({
        "document_bytes": bytes.len(),
        "document_changes": LARGE_EDITS + 1,
        "full_save_per_edit": {
            "us_p50": percentile(&full_us, 50.0),
            "us_p99": percentile(&full_us, 99.0),
            "bytes_written_per_edit": full_bytes,
            "save_cpu_us_p50": full_save_cpu_us,
        },
        "incremental_save_per_edit": {
            "us_p50": percentile(&incremental_us, 50.0),
            "us_p99": percentile(&incremental_us, 99.0),
            "bytes_written_per_edit": incremental_bytes,
            "save_cpu_us_p50": incremental_save_cpu_us,
        },
    })
}

fn main() {
    let pair = Pair {
        mentorship_id: MentorshipId::new_random(),
        mentor_id: UserId::new_random(),
        mentee_id: UserId::new_random(),
    };
    let documents: Vec<_> = (0..DOCUMENTS).map(|_| session_bytes(pair)).collect();
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::from_bytes(&[0x42; 32]).unwrap();
    let plain = measure(dir.path(), None, &documents);
    let encrypted = measure(dir.path(), Some(&key), &documents);

    // Encrypting a plain store of this size on the first keyed open.
    let mut migrate: Vec<f64> = (0..5)
        .map(|_| {
            let path = dir.path().join("migrating.sqlite3");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            {
                let mut store = Store::open(&path).unwrap();
                for (header, bytes) in &documents {
                    store.save_remote(header, bytes).unwrap();
                }
            }
            let started = Instant::now();
            assert!(Store::encrypt_if_plain(&path, &key).unwrap());
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    migrate.sort_by(f64::total_cmp);

    let edit_save = edit_costs(dir.path(), pair);

    let ratio = |name: &str| encrypted[name].as_f64().unwrap() / plain[name].as_f64().unwrap();
    let report = json!({
        "documents": DOCUMENTS,
        "document_bytes": documents[0].1.len(),
        "plain": plain,
        "encrypted": encrypted,
        "ratio_open": ratio("open_us_p50"),
        "ratio_open_and_first_read": ratio("open_and_first_read_us_p50"),
        "ratio_write": ratio("write_us_p50"),
        "ratio_read": ratio("read_us_p50"),
        "ratio_inventory": ratio("inventory_us_p50"),
        "encrypt_plain_store_us_p50": migrate[migrate.len() / 2],
        "edit_save": edit_save,
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
