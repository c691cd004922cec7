//! The device store encrypted with the app's key (SQLCipher): nothing readable
//! without it, a wrong key changes nothing, and a plain store is encrypted on its
//! first keyed open without losing anything, even when killed half-way.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::pair;
use sha2::{Digest, Sha256};
use sync_core::automerge::ActorId;
use sync_core::{DocHeader, DocumentId, Pair, Replica, Store, StoreError, StoreKey, StoredRejection};

const NOTE: &str = "Mr Okafor's hoist transfer went well in room 12";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.secret-access-token";

fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes(&[byte; 32]).unwrap()
}

/// Every file under `dir`, recursively, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn hashes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(dir).into_iter().map(|(path, bytes)| (path, Sha256::digest(bytes).to_vec())).collect()
}

/// The files under `dir` holding `needle`.
fn holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(path, _)| path)
        .collect()
}

/// A store with one session holding [`NOTE`] and a token setting; left as a
/// killed app leaves it (connection never closed, the log not folded in).
fn write_and_kill(path: &Path, key: Option<&StoreKey>, pair: Pair) -> DocHeader {
    let mut replica = Replica::open_with_key(path, key, pair.mentor_id, ActorId::random()).unwrap();
    let header = DocHeader::session(DocumentId::new_random(), pair);
    replica.ensure(header).unwrap();
    replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, NOTE)).unwrap();
    replica.store_mut().set_setting("access_token", Some(TOKEN)).unwrap();
    std::mem::forget(replica);
    header
}

fn notes(replica: &mut Replica, id: DocumentId) -> String {
    replica.read(id, |doc| Ok(doc.session_view()?.notes)).unwrap()
}

#[test]
fn an_encrypted_store_and_its_log_hold_no_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, encrypted) = (dir.path().join("plain"), dir.path().join("encrypted"));
    let pair = pair();
    write_and_kill(&plain.join("store.sqlite3"), None, pair);
    let header = write_and_kill(&encrypted.join("store.sqlite3"), Some(&key(1)), pair);
    assert!(encrypted.join("store.sqlite3-wal").exists(), "the log is live");

    // The scan finds the words where nothing is encrypted, so it can fail.
    assert!(!holding(&plain, NOTE).is_empty() && !holding(&plain, TOKEN).is_empty());
    for needle in [NOTE, TOKEN, "hoist", "SQLite format 3"] {
        assert_eq!(holding(&encrypted, needle), Vec::<PathBuf>::new(), "{needle} readable");
    }
    let mut replica =
        Replica::open_with_key(&encrypted.join("store.sqlite3"), Some(&key(1)), pair.mentor_id, ActorId::random())
            .unwrap();
    assert_eq!(notes(&mut replica, header.id), NOTE);
    assert_eq!(replica.store().setting("access_token").unwrap().as_deref(), Some(TOKEN));
    drop(replica);
    for needle in [NOTE, TOKEN] {
        assert_eq!(holding(&encrypted, needle), Vec::<PathBuf>::new(), "{needle} readable after closing");
    }
}

#[test]
fn a_wrong_key_or_no_key_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let pair = pair();
    let header = write_and_kill(&path, Some(&key(1)), pair);
    let before = hashes(dir.path());
    assert!(before.keys().any(|p| p.to_string_lossy().ends_with("-wal")), "a live log is part of the test");

    let err = Store::open_with_key(&path, Some(&key(2))).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("does not open with this key"), "{err}");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(hashes(dir.path()), before, "nothing on disk changed");

    let mut replica = Replica::open_with_key(&path, Some(&key(1)), pair.mentor_id, ActorId::random()).unwrap();
    assert_eq!(notes(&mut replica, header.id), NOTE);
}

/// A plain store as the app before encryption leaves it: three documents (one
/// synced, two with local writes pending), a rejection and settings, killed with
/// its log not folded in. Returns the headers.
fn plain_store(path: &Path, pair: Pair) -> Vec<DocHeader> {
    let mut replica = Replica::open(path, pair.mentor_id, ActorId::random()).unwrap();
    let headers: Vec<DocHeader> = (0..3).map(|_| DocHeader::session(DocumentId::new_random(), pair)).collect();
    for (n, header) in headers.iter().enumerate() {
        replica.ensure(*header).unwrap();
        replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, &format!("{NOTE} #{n}"))).unwrap();
    }
    let synced = replica.store().sync_mark(headers[0].id).unwrap().unwrap();
    replica.store_mut().mark_synced(headers[0].id, &["ab".repeat(32)], synced.local_seq).unwrap();
    replica.edit(headers[1].id, |doc, me| doc.set_my_account(me, "My own account, unsynced")).unwrap();
    let rejection = StoredRejection {
        document_id: headers[2].id.to_string(),
        path: "/feedback".into(),
        reason: "mentor only".into(),
        kept_text: "words kept for the user".into(),
        created_at: "2026-03-14T09:00:00Z".into(),
    };
    replica.store_mut().add_rejection(&rejection).unwrap();
    replica.store_mut().set_setting("access_token", Some(TOKEN)).unwrap();
    std::mem::forget(replica);
    headers
}

/// Copy a store's files (as a kill leaves them) into `to`.
fn copy_store(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).unwrap();
        }
    }
}

fn assert_everything_kept(path: &Path, key: &StoreKey, pair: Pair, headers: &[DocHeader], pending: u64) {
    let mut replica = Replica::open_with_key(path, Some(key), pair.mentor_id, ActorId::random()).unwrap();
    for (n, header) in headers.iter().enumerate() {
        assert_eq!(notes(&mut replica, header.id), format!("{NOTE} #{n}"));
    }
    let store = replica.store();
    assert_eq!(store.pending_count().unwrap(), pending, "the pending writes are still pending");
    let synced = store.sync_mark(headers[0].id).unwrap().unwrap();
    assert_eq!(synced.server_heads, vec!["ab".repeat(32)]);
    assert_eq!(synced.acked_seq, synced.local_seq);
    let mark = store.sync_mark(headers[1].id).unwrap().unwrap();
    assert_eq!((mark.local_seq, mark.acked_seq), (3, 0), "genesis, notes, account: none acknowledged");
    assert_eq!(store.rejections().unwrap()[0].kept_text, "words kept for the user");
    assert_eq!(store.setting("access_token").unwrap().as_deref(), Some(TOKEN));
    assert!(store.oldest_pending_since().unwrap().is_some());
}

#[test]
fn a_plain_store_is_encrypted_on_its_first_keyed_open_keeping_everything() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.sqlite3");
    let pair = pair();
    let headers = plain_store(&original, pair);
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("store.sqlite3");
    copy_store(&original, &path);
    assert!(!holding(work.path(), NOTE).is_empty(), "plain before");

    let key = key(7);
    assert_everything_kept(&path, &key, pair, &headers, 2);
    for needle in [NOTE, TOKEN, "words kept", "SQLite format 3"] {
        assert_eq!(holding(work.path(), needle), Vec::<PathBuf>::new(), "{needle} readable after encryption");
    }
    let names: Vec<String> =
        files(work.path()).keys().map(|p| p.file_name().unwrap().to_string_lossy().into()).collect();
    assert!(names.iter().all(|n| !n.contains("encrypting")), "no temporary left: {names:?}");
    assert!(!Store::encrypt_if_plain(&path, &key).unwrap(), "already encrypted");
    assert!(matches!(Store::open(&path), Err(StoreError::Corrupt { .. })), "unreadable without the key");
    assert_everything_kept(&path, &key, pair, &headers, 2);
}

#[test]
fn a_half_made_encrypted_copy_from_a_killed_start_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let pair = pair();
    let headers = plain_store(&path, pair);
    std::fs::write(dir.path().join("store.sqlite3.encrypting"), b"half a file").unwrap();
    std::fs::write(dir.path().join("store.sqlite3.encrypting-journal"), b"half a journal").unwrap();
    assert_everything_kept(&path, &key(9), pair, &headers, 2);
    assert!(!dir.path().join("store.sqlite3.encrypting").exists());
    assert!(!dir.path().join("store.sqlite3.encrypting-journal").exists());
}

#[test]
fn a_damaged_plain_store_is_not_encrypted_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE recipes (name TEXT);").unwrap();
    let before = hashes(dir.path());
    let err = Store::open_with_key(&path, Some(&key(3))).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(hashes(dir.path()), before);
}

const MIGRATE_ENV: &str = "ALONGSIDE_STORE_ENCRYPTER";

/// Not a test on its own: the child process of the killed-encryption test. It
/// encrypts the plain store named in its environment, then prints `done`.
#[test]
#[ignore = "run as a child process by a_killed_encryption_loses_nothing"]
fn store_encrypter_child() {
    let Ok(path) = std::env::var(MIGRATE_ENV) else { return };
    println!("start");
    Store::encrypt_if_plain(Path::new(&path), &key(4)).unwrap();
    println!("done");
}

#[test]
fn a_killed_encryption_loses_nothing() {
    let template = tempfile::tempdir().unwrap();
    let original = template.path().join("original.sqlite3");
    let pair = pair();
    let headers = plain_store(&original, pair);
    {
        // Enough rows that the copy takes a while, so kills land in the middle.
        let mut replica = Replica::open(&original, pair.mentor_id, ActorId::random()).unwrap();
        for _ in 0..40 {
            let header = DocHeader::session(DocumentId::new_random(), pair);
            replica.ensure(header).unwrap();
            replica.edit(header.id, |doc, me| doc.edit_notes(me, 0, 0, &"Filler shift notes. ".repeat(400))).unwrap();
        }
        std::mem::forget(replica);
    }
    let exe = std::env::current_exe().unwrap();
    // How long an encryption takes here, so the kills spread over all of it.
    let took = {
        let work = tempfile::tempdir().unwrap();
        let path = work.path().join("store.sqlite3");
        copy_store(&original, &path);
        let started = std::time::Instant::now();
        let status = Command::new(&exe)
            .args(["--exact", "store_encrypter_child", "--ignored", "--test-threads=1"])
            .env(MIGRATE_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        started.elapsed()
    };
    let (mut mid_way, mut finished) = (0, 0);
    for round in 0..10u32 {
        let work = tempfile::tempdir().unwrap();
        let path = work.path().join("store.sqlite3");
        copy_store(&original, &path);
        let mut child = Command::new(&exe)
            .args(["--exact", "store_encrypter_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env(MIGRATE_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait for the child to start working, then kill it a little later each round.
        while let Some(Ok(line)) = lines.next() {
            if line.contains("start") {
                break;
            }
        }
        std::thread::sleep(took * round / 8);
        child.kill().unwrap();
        child.wait().unwrap();
        let done = lines.any(|line| line.is_ok_and(|l| l.contains("done")));
        if done {
            finished += 1;
        } else if work.path().join("store.sqlite3.encrypting").exists() {
            mid_way += 1;
        }
        assert_everything_kept(&path, &key(4), pair, &headers, 42);
        assert_eq!(holding(work.path(), NOTE), Vec::<PathBuf>::new(), "round {round}: encrypted in the end");
    }
    eprintln!("encryption took {took:?}; killed mid-way in {mid_way} rounds, after finishing in {finished}");
}
