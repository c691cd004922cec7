//! Incremental saves (a chunk per write, folded into a snapshot now and then),
//! one transaction for many writes, and the upgrade of stores from before chunks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::pair;
use sync_core::automerge::ActorId;
use sync_core::{DocHeader, Document, DocumentId, Replica, Store, StoreError};

const CHILD_ENV: &str = "ALONGSIDE_TRANSACTION_WRITER";
/// Documents the killed child writes in its one transaction.
const CHILD_DOCUMENTS: usize = 3_000;

fn type_line(replica: &mut Replica, id: DocumentId, n: usize) {
    replica
        .edit(id, |doc, me| {
            let len = doc.session_view()?.notes.encode_utf16().count();
            doc.edit_notes(me, len, 0, &format!("line {n};"))
        })
        .unwrap();
}

#[test]
fn edits_append_small_chunks_that_are_folded_into_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mentor.sqlite3");
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    replica.ensure(header).unwrap();
    // A document of some size first, so a full save per edit would cost far more
    // than a chunk.
    replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, &"A long shift on the unit. ".repeat(400))).unwrap();
    let mut largest_layout = 0;
    let before = replica.store().write_stats();
    for n in 0..300 {
        type_line(&mut replica, header.id, n);
        let layout = replica.store().load(header.id).unwrap().unwrap().layout;
        assert!(!layout.wants_compaction() || layout.chunks == 0, "after edit {n}: {layout:?}");
        largest_layout = largest_layout.max(layout.chunks);
    }
    let after = replica.store().write_stats();
    assert_eq!(after.commits - before.commits, 300, "one durable write per edit");
    let stored = replica.store().load(header.id).unwrap().unwrap();
    assert!(largest_layout > 10, "edits were appended as chunks ({largest_layout} at most)");
    let snapshot = stored.layout.snapshot_bytes;
    let per_edit = (after.document_bytes - before.document_bytes) / 300;
    assert!(per_edit < snapshot / 2, "an edit wrote {per_edit} bytes on average; the snapshot is {snapshot}");
    assert_eq!(replica.store().sync_mark(header.id).unwrap().unwrap().local_seq, 302, "every edit counted");
    drop(replica);

    // Everything is there after reopening: snapshot and chunks load as one document.
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    let notes = replica.read(header.id, |doc| Ok(doc.session_view()?.notes)).unwrap();
    for n in 0..300 {
        assert!(notes.contains(&format!("line {n};")), "line {n} lost");
    }
    // And it goes on appending after the reload.
    type_line(&mut replica, header.id, 300);
    let stored = replica.store().load(header.id).unwrap().unwrap();
    let mut doc = Document::load(stored.header, &stored.bytes, ActorId::random()).unwrap();
    assert!(doc.session_view().unwrap().notes.ends_with("line 299;line 300;"));
}

#[test]
fn chunks_appended_without_loading_are_folded_when_the_document_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mentee.sqlite3");
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    // The server's copy grows by one change at a time; the phone stores each as a chunk.
    let mut server = Document::create(header, ActorId::random()).unwrap();
    let mut store = Store::open(&path).unwrap();
    store.save_remote(&header, &server.save()).unwrap();
    let mut heads = server.heads();
    for n in 0..100 {
        server.edit_notes(pair.mentor_id, 0, 0, &format!("entry {n}. ")).unwrap();
        let chunk = server.automerge().save_after(&heads);
        heads = server.heads();
        store.append_remote(&header, &chunk).unwrap();
    }
    let stored = store.load(header.id).unwrap().unwrap();
    assert_eq!(stored.layout.chunks, 100);
    assert!(stored.layout.wants_compaction());
    let mut replica = Replica::with_store(store, pair.mentee_id, ActorId::random());
    let notes = replica.read(header.id, |doc| Ok(doc.session_view()?.notes)).unwrap();
    assert_eq!(notes, server.session_view().unwrap().notes);
    let stored = replica.store().load(header.id).unwrap().unwrap();
    assert_eq!(stored.layout.chunks, 0, "folded into a snapshot on first read");
    assert_eq!(replica.store().sync_mark(header.id).unwrap().unwrap().local_seq, 0, "no local write");
    let mut reloaded = Document::load(stored.header, &stored.bytes, ActorId::random()).unwrap();
    assert_eq!(reloaded.heads(), server.heads());
}

#[test]
fn a_failed_transaction_leaves_the_store_and_memory_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mentor.sqlite3");
    let pair = pair();
    let kept = DocHeader::session(DocumentId::new_random(), pair);
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    replica.ensure(kept).unwrap();
    type_line(&mut replica, kept.id, 0);
    let mark = replica.store().sync_mark(kept.id).unwrap().unwrap();
    let commits = replica.store().write_stats().commits;

    let fresh = DocHeader::session(DocumentId::new_random(), pair);
    let result: Result<(), StoreError> = replica.transaction(|replica| {
        replica.ensure(fresh).unwrap();
        type_line(replica, kept.id, 1);
        replica.store_mut().mark_synced(kept.id, &["ab".repeat(32)], 1)?;
        // Part-way, something fails (here: SQLite refuses a statement).
        replica.store_mut().set_setting("x", Some("y"))?;
        Err(StoreError::Io(std::io::Error::other("failed part-way")))
    });
    assert!(result.is_err());
    assert_eq!(replica.store().write_stats().commits, commits, "nothing was committed");
    assert!(replica.store().load(fresh.id).unwrap().is_none(), "the new document is not stored");
    assert_eq!(replica.store().sync_mark(kept.id).unwrap().unwrap(), mark, "the mark is as before");
    assert_eq!(replica.store().setting("x").unwrap(), None);
    let notes = replica.read(kept.id, |doc| Ok(doc.session_view()?.notes)).unwrap();
    assert_eq!(notes, "line 0;", "memory was reset to what the store holds");
    // The store goes on working, and a successful transaction is one commit.
    let result: Result<(), StoreError> = replica.transaction(|replica| {
        replica.ensure(fresh).unwrap();
        for n in 1..20 {
            type_line(replica, kept.id, n);
        }
        Ok(())
    });
    result.unwrap();
    assert_eq!(replica.store().write_stats().commits, commits + 1, "twenty writes, one commit");
    drop(replica);
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    assert!(replica.read(kept.id, |doc| Ok(doc.session_view()?.notes)).unwrap().ends_with("line 19;"));
    assert!(replica.store().load(fresh.id).unwrap().is_some());
}

/// Not a test on its own: the child of
/// `a_transaction_killed_part_way_leaves_the_store_as_before`. Writes
/// `CHILD_DOCUMENTS` documents in one transaction, printing `written N` as it goes.
#[test]
#[ignore = "run as a child process by a_transaction_killed_part_way_leaves_the_store_as_before"]
fn transaction_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let pair = pair();
    let mut doc = Document::create(DocHeader::session(DocumentId::new_random(), pair), ActorId::random()).unwrap();
    doc.edit_notes(pair.mentor_id, 0, 0, &"Notes from the server. ".repeat(40)).unwrap();
    let bytes = doc.save();
    let mut store = Store::open(path.as_ref()).unwrap();
    let mut out = std::io::stdout().lock();
    let result: Result<(), StoreError> = store.transaction(|store| {
        for n in 0..CHILD_DOCUMENTS {
            let header = DocHeader::session(DocumentId::new_random(), pair);
            store.save_remote(&header, &bytes)?;
            store.mark_synced(header.id, &["ab".repeat(32)], 0)?;
            if n % 100 == 0 {
                writeln!(out, "written {n}").unwrap();
                out.flush().unwrap();
            }
        }
        Ok(())
    });
    result.unwrap();
    writeln!(out, "committed").unwrap();
    out.flush().unwrap();
}

#[test]
fn a_transaction_killed_part_way_leaves_the_store_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite3");
    drop(Store::open(&path).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut killed_part_way = 0;
    for round in 0..4 {
        let mut child = Command::new(&exe)
            .args(["--exact", "transaction_writer_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill once the transaction is well under way.
        let target = format!("written {}", 500 + round * 500);
        let mut committed = false;
        for line in lines.by_ref() {
            let line = line.unwrap();
            committed |= line == "committed";
            if line == target || committed {
                break;
            }
        }
        // SIGKILL: no destructors, no rollback, like the OS killing the app.
        child.kill().unwrap();
        child.wait().unwrap();
        let store = Store::open(&path).expect("the store reopens cleanly");
        let count = store.headers().unwrap().len();
        if committed {
            assert_eq!(count, CHILD_DOCUMENTS, "round {round}: a committed transaction is whole");
        } else {
            assert_eq!(count, 0, "round {round}: a transaction killed part-way left {count} documents");
            killed_part_way += 1;
        }
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        drop(Store::open(&path).unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(killed_part_way >= 3, "the child committed before it could be killed too often");
}

/// The layout of store version 2 (before chunks), as shipped.
const SECOND_LAYOUT: &str = "
CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    header       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    local_seq    INTEGER NOT NULL DEFAULT 0,
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    server_heads TEXT NOT NULL DEFAULT '',
    pending_since TEXT,
    updated_at   TEXT NOT NULL
);
CREATE TABLE rejections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    kept_text   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
PRAGMA user_version = 2;
";

#[test]
fn a_store_from_before_chunks_is_upgraded_in_place_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = Document::create(header, ActorId::random()).unwrap();
    doc.edit_notes(pair.mentor_id, 0, 0, "Written by the previous app.").unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(SECOND_LAYOUT).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL;").unwrap();
        conn.execute(
            "INSERT INTO documents (id, header, bytes, local_seq, acked_seq, server_heads, pending_since, updated_at)
             VALUES (?1, ?2, ?3, 4, 2, 'abc', '2026-03-14T09:00:00Z', '2026-03-14T09:05:00Z')",
            rusqlite::params![header.id.to_string(), serde_json::to_string(&header).unwrap(), doc.save()],
        )
        .unwrap();
    }
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).expect("the old store opens");
    let mark = replica.store().sync_mark(header.id).unwrap().unwrap();
    assert_eq!((mark.local_seq, mark.acked_seq, mark.server_heads.clone()), (4, 2, vec!["abc".to_owned()]));
    let notes = replica.read(header.id, |doc| Ok(doc.session_view()?.notes)).unwrap();
    assert_eq!(notes, "Written by the previous app.");
    // Edits now append chunks to the old row's snapshot.
    replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, "New: ")).unwrap();
    let stored = replica.store().load(header.id).unwrap().unwrap();
    assert_eq!(stored.layout.chunks, 1);
    assert_eq!(replica.store().sync_mark(header.id).unwrap().unwrap().local_seq, 5);
    drop(replica);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    drop(conn);
    // Upgraded to the layout a new store gets, whatever number that has reached.
    let fresh_path = dir.path().join("fresh.sqlite3");
    drop(Replica::open(&fresh_path, pair.mentor_id, ActorId::random()).unwrap());
    let fresh = rusqlite::Connection::open(&fresh_path).unwrap();
    let current: i64 = fresh.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert!(current >= 3, "a new store has at least the chunk layout");
    assert_eq!(version, current);
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    let notes = replica.read(header.id, |doc| Ok(doc.session_view()?.notes)).unwrap();
    assert_eq!(notes, "New: Written by the previous app.");
}
