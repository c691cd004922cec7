//! The client's small files beside the stores: a damaged one never stops the app
//! from starting, and never touches a store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use sync_core::{Client, Store};

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
