//! The device store: durability across SIGKILL, and damaged files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::pair;
use sync_core::automerge::ActorId;
use sync_core::{DocHeader, DocumentId, Replica, ReplicaError, SessionKind, Store, StoreError, StoreKey};

const CHILD_ENV: &str = "ALONGSIDE_STORE_WRITER";

/// Not a test on its own: the child process of the SIGKILL tests. It appends
/// numbered lines to a session's notes and prints `saved N` after each write
/// returns. The spec is `path|header json|key hex` (no key: empty).
#[test]
#[ignore = "run as a child process by killed_writer_loses_nothing_it_reported_saved"]
fn store_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let mut parts = spec.splitn(3, '|');
    let (path, header_json, key_hex) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let header: DocHeader = serde_json::from_str(header_json).expect("header");
    let sync_core::DocScope::Pair { mentor_id, .. } = header.scope else { panic!("pair doc") };
    let key = (!key_hex.is_empty()).then(|| StoreKey::from_bytes(&hex_decode(key_hex)).unwrap());
    let mut replica = Replica::open_with_key(path.as_ref(), key.as_ref(), mentor_id, ActorId::random()).expect("open");
    replica.ensure(header).expect("ensure");
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        replica
            .edit(header.id, |doc, me| {
                let len = doc.session_view()?.notes.encode_utf16().count();
                doc.edit_notes(me, len, 0, &format!("line {n};"))
            })
            .expect("edit");
        writeln!(out, "saved {n}").expect("stdout");
        out.flush().expect("flush");
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn killed_writer_loses_nothing_it_reported_saved() {
    killed_writer_rounds(None);
}

#[test]
fn killed_writer_with_a_key_loses_nothing_it_reported_saved() {
    killed_writer_rounds(Some([0x5a; 32]));
}

fn killed_writer_rounds(key_bytes: Option<[u8; 32]>) {
    let key = key_bytes.map(|bytes| StoreKey::from_bytes(&bytes).unwrap());
    let key_hex: String = key_bytes.iter().flatten().map(|b| format!("{b:02x}")).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mentor.sqlite3");
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let exe = std::env::current_exe().unwrap();
    let seed = std::process::id() as u64;

    let mut rounds_with_saves = 0;
    for round in 0..5u64 {
        let mut child = Command::new(&exe)
            .args(["--exact", "store_writer_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}|{}|{key_hex}", path.display(), serde_json::to_string(&header).unwrap()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill at a pseudo-random moment after the writer got going.
        let wait_ms = 30 + (seed.wrapping_mul(6364136223846793005).wrapping_add(round * 7919) % 120);
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("saved ") {
                    last = n.trim().parse::<u64>().ok();
                }
            }
            last
        });
        std::thread::sleep(Duration::from_millis(wait_ms));
        // SIGKILL: no destructors, no flush, like the OS killing a backgrounded app.
        child.kill().unwrap();
        child.wait().unwrap();
        let last_saved = reader.join().unwrap();

        let mut replica = Replica::open_with_key(&path, key.as_ref(), pair.mentor_id, ActorId::random())
            .expect("store reopens cleanly");
        let notes = replica.read(header.id, |doc| Ok(doc.session_view()?.notes)).unwrap_or_default();
        if let Some(last) = last_saved {
            rounds_with_saves += 1;
            for n in 0..=last {
                assert!(notes.contains(&format!("line {n};")), "round {round}: line {n} reported saved but lost");
            }
        }
        // Start each round from a fresh store so every round writes from line 0.
        drop(replica);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    assert!(rounds_with_saves >= 3, "the writer was killed before it saved anything too often");
}

#[test]
fn corrupt_store_is_a_clear_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite3");
    let garbage = b"this is not an sqlite database, it is a shopping list: milk, bread".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file must not be replaced");
}

#[test]
fn truncated_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let pair = pair();
    {
        let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
        for _ in 0..20 {
            let header = DocHeader::session(DocumentId::new_random(), pair);
            replica.ensure(header).unwrap();
            replica
                .edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, &"A long shift on the dementia unit. ".repeat(200)))
                .unwrap();
        }
    }
    // Fold the WAL into the main file, then cut the file in half.
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let _ = std::fs::remove_file(format!("{}-wal", path.display()));
    let _ = std::fs::remove_file(format!("{}-shm", path.display()));
    let cut = std::fs::read(&path).unwrap();
    match Store::open(&path) {
        Err(StoreError::Corrupt { .. }) => {}
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(store) => {
            // SQLite may open a cut file; reading it must then fail cleanly, not panic.
            let headers = store.headers();
            assert!(headers.is_err() || headers.unwrap().len() < 20, "a cut file cannot still hold everything");
        }
    }
    assert_eq!(std::fs::read(&path).unwrap(), cut, "the file must not be replaced");
}

#[test]
fn other_sqlite_files_are_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE recipes (name TEXT);").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 1, "nothing was added to someone else's database");
}

#[test]
fn replica_refuses_forbidden_edits_before_writing_and_tracks_pending() {
    let dir = tempfile::tempdir().unwrap();
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut mentee = Replica::open(&dir.path().join("mentee.sqlite3"), pair.mentee_id, ActorId::random()).unwrap();
    assert!(mentee.ensure(header).unwrap());
    assert!(!mentee.ensure(header).unwrap(), "joining twice is harmless");
    mentee.edit(header.id, |doc, me| doc.set_session_basics(me, SessionKind::Meeting, "2026-04-02")).unwrap();
    let mark = mentee.store().sync_mark(header.id).unwrap().unwrap();
    let err = mentee.edit(header.id, |doc, me| doc.set_feedback(me, "x", "y")).unwrap_err();
    assert!(matches!(err, ReplicaError::Document(sync_core::DocumentError::Forbidden(_))));
    assert_eq!(mentee.store().sync_mark(header.id).unwrap().unwrap(), mark, "nothing written");
    assert_eq!(mentee.store().pending_count().unwrap(), 1);
    assert!(matches!(mentee.read(DocumentId::new_random(), |d| d.session_view()), Err(ReplicaError::NotFound(_))));
    let other = DocHeader::session(header.id, common::pair());
    assert!(mentee.ensure(other).is_err(), "same id, other pair");
}

/// The layout the store had before versioned migrations (it set `user_version = 1`
/// itself), as shipped.
const FIRST_LAYOUT: &str = "
CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    header       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    local_seq    INTEGER NOT NULL DEFAULT 0,
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    server_heads TEXT NOT NULL DEFAULT '',
    sync_state   BLOB,
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
PRAGMA user_version = 1;
";

#[test]
fn a_store_written_before_migrations_opens_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let pair = pair();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    let mut doc = sync_core::Document::create(header, ActorId::random()).unwrap();
    doc.edit_notes(pair.mentor_id, 0, 0, "Written by the old app.").unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(FIRST_LAYOUT).unwrap();
        conn.execute(
            "INSERT INTO documents (id, header, bytes, local_seq, acked_seq, server_heads, sync_state, pending_since, updated_at)
             VALUES (?1, ?2, ?3, 3, 1, 'abc,def', x'0102', '2026-03-14T09:00:00Z', '2026-03-14T09:05:00Z')",
            rusqlite::params![header.id.to_string(), serde_json::to_string(&header).unwrap(), doc.save()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO rejections (document_id, path, reason, kept_text, created_at)
             VALUES (?1, '/feedback/strengths', 'mentor only', 'kept words', '2026-03-14T09:06:00Z')",
            [header.id.to_string()],
        )
        .unwrap();
        conn.execute("INSERT INTO settings (key, value) VALUES ('access_token', 'tok')", []).unwrap();
    }

    let store = Store::open(&path).expect("an old store opens");
    assert_eq!(store.headers().unwrap(), vec![header]);
    let mark = store.sync_mark(header.id).unwrap().unwrap();
    assert_eq!((mark.local_seq, mark.acked_seq), (3, 1));
    assert_eq!(mark.server_heads, vec!["abc".to_owned(), "def".to_owned()]);
    assert_eq!(store.pending_count().unwrap(), 1);
    assert_eq!(store.oldest_pending_since().unwrap().as_deref(), Some("2026-03-14T09:00:00Z"));
    let stored = store.load(header.id).unwrap().unwrap();
    let mut reloaded = sync_core::Document::load(stored.header, &stored.bytes, ActorId::random()).unwrap();
    assert_eq!(reloaded.session_view().unwrap().notes, "Written by the old app.");
    let rejections = store.rejections().unwrap();
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].kept_text, "kept words");
    assert_eq!(store.setting("access_token").unwrap().as_deref(), Some("tok"));
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 4, "migrated to the current layout");
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('documents')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!columns.contains(&"sync_state".to_owned()), "the unused column is gone: {columns:?}");
    drop(conn);
    Store::open(&path).expect("a migrated store opens again");
}

#[test]
fn a_store_from_a_newer_app_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.sqlite3");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerFormat { found: 99, .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not be changed");
}

#[test]
fn an_empty_store_file_is_corrupt_not_a_fresh_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "the file must not be replaced");
}

#[test]
fn a_killed_store_whose_main_file_was_emptied_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.sqlite3");
    let pair = pair();
    let mut replica = Replica::open(&path, pair.mentor_id, ActorId::random()).unwrap();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    replica.ensure(header).unwrap();
    replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, "Written before the kill.")).unwrap();
    // As a kill leaves it: the connection never closed, its log not folded in.
    std::mem::forget(replica);
    assert!(dir.path().join("killed.sqlite3-wal").exists(), "the log is there");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    // Losing the main file entirely, with the log left behind, is damage too.
    std::fs::remove_file(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(!path.exists(), "no fresh store is made in its place");
}

#[test]
fn a_new_store_is_created_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite3");
    drop(Store::open(&path).unwrap());
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().contains(".new")), "no temporary left: {names:?}");
    Store::open(&path).expect("reopens");
}
