//! The device store with and without encryption (SQLCipher with the app's key),
//! in a release build: `cargo bench -p sync-core --bench store`. Prints JSON with
//! medians in microseconds and the encrypted / plain ratios.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: fail loudly

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use sync_core::automerge::ActorId;
use sync_core::{DocHeader, Document, DocumentId, MentorshipId, Pair, Store, StoreKey, UserId};

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
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
