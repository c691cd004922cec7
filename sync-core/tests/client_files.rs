//! The client's small files beside the stores: a damaged one never stops the app
//! from starting, and never touches a store; with a key they are sealed, and a
//! plain folder is encrypted on the first start with one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use sync_core::{Client, ClientError, Store, StoreKey};

/// Nothing listens here: these tests never reach a server.
const NO_SERVER: &str = "http://127.0.0.1:9";

#[test]
fn an_empty_or_garbage_current_account_file_starts_signed_out_and_leaves_stores_alone() {
    let user = uuid::Uuid::new_v4();
    for contents in [&b""[..], b"\0\xff garbage", b"not-a-uuid\n", user.to_string().as_bytes()] {
        let dir = tempfile::tempdir().unwrap();
        // Another person's store sits beside it; it must not be opened or changed.
        let other = dir.path().join(format!("{}.sqlite3", uuid::Uuid::new_v4()));
        drop(Store::open(&other).unwrap());
        let before = std::fs::read(&other).unwrap();
        std::fs::write(dir.path().join("current-account"), contents).unwrap();

        let client = Client::new(dir.path(), NO_SERVER).expect("the app starts");
        assert_eq!(client.account(), None, "starts signed out for {contents:?}");
        assert_eq!(std::fs::read(&other).unwrap(), before, "the store is untouched");
        // A valid id naming no store must not create one.
        assert!(!dir.path().join(format!("{user}.sqlite3")).exists(), "no store is created from the file");
        // Signing in is still possible: it fails here only because there is no server.
        assert!(matches!(client.login("a@b.c", "pw", "phone"), Err(sync_core::ClientError::Offline { .. })));
    }
}

const EMAIL: &str = "ann.okafor@riverside.example";
const NAME: &str = "Ann Okafor";
const TOKEN: &str = "a-refresh-token-that-must-stay-secret";

/// A data folder as a version without encryption left it for a signed-in
/// person: their plain store (account and tokens), `current-account` and
/// `accounts.json`. Returns the user id.
fn plain_signed_in_folder(dir: &std::path::Path) -> String {
    let user = uuid::Uuid::new_v4().to_string();
    let mut store = Store::open(&dir.join(format!("{user}.sqlite3"))).unwrap();
    let account = serde_json::json!({
        "user_id": user, "org_id": uuid::Uuid::new_v4().to_string(), "display_name": NAME,
        "roles": ["mentee"], "device_id": uuid::Uuid::new_v4().to_string(), "actor_id": "ab".repeat(16),
    });
    store.set_setting("account", Some(&account.to_string())).unwrap();
    store.set_setting("refresh_token", Some(TOKEN)).unwrap();
    drop(store);
    std::fs::write(dir.join("current-account"), &user).unwrap();
    std::fs::write(dir.join("accounts.json"), serde_json::json!({ EMAIL: user }).to_string()).unwrap();
    user
}

fn files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).map(|p| (p.clone(), std::fs::read(p).unwrap())).collect()
}

fn readable(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn a_plain_folder_is_encrypted_on_the_first_start_with_a_key_and_stays_signed_in() {
    let dir = tempfile::tempdir().unwrap();
    let user = plain_signed_in_folder(dir.path());
    for needle in [EMAIL, NAME, TOKEN, user.as_str()] {
        assert!(!readable(dir.path(), needle).is_empty(), "{needle} is plain before");
    }
    let key = StoreKey::from_bytes(&[42; 32]).unwrap();

    let client = Client::with_key(dir.path(), NO_SERVER, Some(key.clone())).expect("the app starts");
    assert_eq!(client.account().map(|a| a.user_id), Some(user.clone()), "still signed in");
    for needle in [EMAIL, NAME, TOKEN, user.as_str()] {
        assert_eq!(readable(dir.path(), needle), Vec::<std::path::PathBuf>::new(), "{needle} readable");
    }
    drop(client);
    for needle in [EMAIL, NAME, TOKEN, user.as_str()] {
        assert_eq!(readable(dir.path(), needle), Vec::<std::path::PathBuf>::new(), "{needle} readable after closing");
    }
    let names: Vec<_> = files(dir.path()).into_keys().collect();
    assert_eq!(names.len(), 3, "the store, current-account, accounts.json and nothing else: {names:?}");

    // Starting again with the key finds everything; nothing is encrypted twice.
    let before = files(dir.path());
    let client = Client::with_key(dir.path(), NO_SERVER, Some(key)).unwrap();
    assert_eq!(client.account().map(|a| a.display_name), Some(NAME.to_owned()));
    drop(client);
    assert_eq!(files(dir.path()).into_keys().collect::<Vec<_>>(), before.into_keys().collect::<Vec<_>>());
}

#[test]
fn a_wrong_key_or_no_key_on_an_encrypted_folder_is_storage_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    plain_signed_in_folder(dir.path());
    let key = StoreKey::from_bytes(&[42; 32]).unwrap();
    drop(Client::with_key(dir.path(), NO_SERVER, Some(key.clone())).unwrap());
    let before = files(dir.path());

    let wrong = StoreKey::from_bytes(&[43; 32]).unwrap();
    let err = Client::with_key(dir.path(), NO_SERVER, Some(wrong)).unwrap_err();
    assert!(matches!(err, ClientError::Storage { .. }), "{err}");
    assert!(err.to_string().contains("does not open with this key"), "{err}");
    let err = Client::new(dir.path(), NO_SERVER).unwrap_err();
    assert!(matches!(err, ClientError::Storage { .. }), "{err}");
    assert!(err.to_string().contains("encrypted"), "{err}");
    assert_eq!(files(dir.path()), before, "nothing on disk changed");

    // Signed out (no current-account), the accounts index still checks the key.
    std::fs::remove_file(dir.path().join("current-account")).unwrap();
    let before = files(dir.path());
    let err = Client::with_key(dir.path(), NO_SERVER, Some(StoreKey::from_bytes(&[44; 32]).unwrap())).unwrap_err();
    assert!(matches!(err, ClientError::Storage { .. }), "{err}");
    assert_eq!(files(dir.path()), before, "nothing on disk changed");
    let client = Client::with_key(dir.path(), NO_SERVER, Some(key)).unwrap();
    assert_eq!(client.account(), None);
}

#[test]
fn with_a_key_a_garbage_current_account_still_starts_signed_out_and_leaves_stores_alone() {
    let key = StoreKey::from_bytes(&[5; 32]).unwrap();
    for contents in [&b""[..], b"\0\xff garbage", b"not-a-uuid\n"] {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join(format!("{}.sqlite3", uuid::Uuid::new_v4()));
        drop(Store::open_with_key(&other, Some(&key)).unwrap());
        let before = std::fs::read(&other).unwrap();
        std::fs::write(dir.path().join("current-account"), contents).unwrap();
        let client = Client::with_key(dir.path(), NO_SERVER, Some(key.clone())).expect("the app starts");
        assert_eq!(client.account(), None, "starts signed out for {contents:?}");
        assert_eq!(std::fs::read(&other).unwrap(), before, "the store is untouched");
    }
}
