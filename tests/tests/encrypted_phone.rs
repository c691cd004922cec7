//! An encrypted phone (issue 16): real sync-core clients with a key against the
//! real server, on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL. Nothing in
//! the phone's data folder reads without the key, a wrong key changes nothing,
//! and a plain folder is encrypted on the first start with a key, losing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alongside_tests::{PASSWORD, backend_test, spawn_app};
use sync_core::{Client, ClientError, ReflectionInput, SessionKind, Store, StoreKey};

const NOTE: &str = "Mrs Adeyemi's hoist transfer, room 9: calm throughout";
const ACCOUNT: &str = "I was nervous at first and then it went well";
const REFLECTION: &str = "The family asked me about her medication";

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

/// The files under `dir` whose bytes hold `needle` (as UTF-8 or UTF-16).
fn holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let utf16: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    files(dir)
        .into_iter()
        .filter(|(_, bytes)| [needle.as_bytes(), &utf16].iter().any(|n| bytes.windows(n.len()).any(|w| w == *n)))
        .map(|(path, _)| path)
        .collect()
}

/// A phone that signs in as `email`, writes a session's notes, its own account
/// and a reflection, and syncs. Returns the client and the session id.
fn write_and_sync(dir: &Path, address: &str, key: Option<StoreKey>, email: &str, mentorship: &str) -> (Client, String) {
    let client = Client::with_key(dir, address, key).unwrap();
    client.login(email, PASSWORD, "phone").unwrap();
    let sid = client.create_session(mentorship, SessionKind::Shadowing, "2026-06-01").unwrap();
    client.edit_notes(&sid, 0, 0, NOTE).unwrap();
    client.set_my_account(&sid, ACCOUNT).unwrap();
    let reflection = ReflectionInput {
        what_happened: REFLECTION.into(),
        feelings: "tired".into(),
        went_well: "the transfer".into(),
        to_improve: "asking sooner".into(),
        next_time: "check the care plan".into(),
    };
    client.add_reflection(&reflection).unwrap();
    let report = client.sync().unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(client.pending().unwrap(), 0);
    (client, sid)
}

/// The secrets a phone folder must not show: the words, the email, the name, the tokens.
fn secrets(dir: &Path, key: Option<&StoreKey>, client: &Client, email: &str) -> Vec<String> {
    let account = client.account().unwrap();
    let store = Store::open_with_key(&dir.join(format!("{}.sqlite3", account.user_id)), key).unwrap();
    let token = |name: &str| store.setting(name).unwrap().unwrap();
    vec![
        NOTE.into(),
        ACCOUNT.into(),
        REFLECTION.into(),
        email.into(),
        account.display_name.clone(),
        token("access_token"),
        token("refresh_token"),
    ]
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_a_key_no_file_in_the_phone_folder_holds_the_notes_the_email_or_the_tokens(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("keyed").await;
        let (plain_dir, keyed_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (address, m) = (app.address.clone(), org.mentorship_id.clone());
        let (mentee_email, mentor_email) = (org.mentee.email.clone(), org.mentor.email.clone());
        let (plain_path, keyed_path) = (plain_dir.path().to_owned(), keyed_dir.path().to_owned());
        tokio::task::spawn_blocking(move || {
            // A plain phone as the control: the scan finds the secrets there (all but
            // the account and the reflection, which Automerge's save may compress).
            let (plain, _) = write_and_sync(&plain_path, &address, None, &mentee_email, &m);
            for secret in secrets(&plain_path, None, &plain, &mentee_email) {
                if secret != ACCOUNT && secret != REFLECTION {
                    assert!(!holding(&plain_path, &secret).is_empty(), "{backend}: the scan misses {secret}");
                }
            }

            let key = key(1);
            let (keyed, sid) = write_and_sync(&keyed_path, &address, Some(key.clone()), &mentor_email, &m);
            let secrets = secrets(&keyed_path, Some(&key), &keyed, &mentor_email);
            // While the app runs (a live log) and after it is closed.
            for secret in &secrets {
                assert_eq!(holding(&keyed_path, secret), Vec::<PathBuf>::new(), "{backend}: {secret} readable");
            }
            // The mentee's plain phone got the keyed phone's words through the server.
            plain.sync().unwrap();
            assert_eq!(plain.session(&sid).unwrap().notes, NOTE, "{backend}");
            drop(keyed);
            for secret in &secrets {
                assert_eq!(holding(&keyed_path, secret), Vec::<PathBuf>::new(), "{backend}: {secret} readable");
            }
            let again = Client::with_key(&keyed_path, &address, Some(key)).unwrap();
            assert_eq!(again.session(&sid).unwrap().accounts.values().next().map(String::as_str), Some(ACCOUNT));
        })
        .await
        .unwrap();
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_key_is_a_storage_error_and_changes_nothing_on_disk(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("wrongkey").await;
        let dir = tempfile::tempdir().unwrap();
        let (address, m, email, path) =
            (app.address.clone(), org.mentorship_id.clone(), org.mentor.email.clone(), dir.path().to_owned());
        tokio::task::spawn_blocking(move || {
            let (client, sid) = write_and_sync(&path, &address, Some(key(1)), &email, &m);
            client.edit_notes(&sid, 0, 0, "Unsynced: ").unwrap();
            drop(client);
            let before = files(&path);

            for wrong in [Some(key(2)), None] {
                let err = Client::with_key(&path, &address, wrong).unwrap_err();
                assert!(matches!(err, ClientError::Storage { .. }), "{backend}: {err}");
                assert_eq!(files(&path), before, "{backend}: nothing on disk changed");
            }
            let client = Client::with_key(&path, &address, Some(key(1))).unwrap();
            assert_eq!(client.session(&sid).unwrap().notes, format!("Unsynced: {NOTE}"), "{backend}");
            assert_eq!(client.pending().unwrap(), 1, "{backend}: the unsynced write is still pending");
            client.sync().unwrap();
            assert_eq!(client.pending().unwrap(), 0, "{backend}");
        })
        .await
        .unwrap();
    }
}

backend_test! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_plain_phone_folder_is_encrypted_on_the_first_start_with_a_key_losing_nothing(backend) {
        let app = spawn_app(backend).await;
        let org = app.seed_org("upgrade").await;
        let (dir, mentee_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (address, m, email) = (app.address.clone(), org.mentorship_id.clone(), org.mentor.email.clone());
        let mentee_email = org.mentee.email.clone();
        let (path, mentee_path) = (dir.path().to_owned(), mentee_dir.path().to_owned());
        tokio::task::spawn_blocking(move || {
            // The app before encryption: one session synced, then offline edits.
            let (plain, synced) = write_and_sync(&path, &address, None, &email, &m);
            let account = plain.account().unwrap();
            let offline = plain.create_session(&m, SessionKind::Meeting, "2026-06-02").unwrap();
            plain.edit_notes(&offline, 0, 0, "Written offline before the upgrade").unwrap();
            plain.edit_notes(&synced, 0, 0, "Also offline: ").unwrap();
            assert_eq!(plain.pending().unwrap(), 2);
            let secrets = secrets(&path, None, &plain, &email);
            drop(plain);

            // The upgraded app passes a key from now on.
            let key = key(3);
            let upgraded = Client::with_key(&path, &address, Some(key.clone())).unwrap();
            assert_eq!(upgraded.account(), Some(account.clone()), "{backend}: still signed in as before");
            assert_eq!(upgraded.pending().unwrap(), 2, "{backend}: every pending change kept");
            assert_eq!(upgraded.session(&synced).unwrap().notes, format!("Also offline: {NOTE}"), "{backend}");
            assert_eq!(upgraded.session(&offline).unwrap().notes, "Written offline before the upgrade", "{backend}");
            assert_eq!(upgraded.reflections().unwrap()[0].input.what_happened, REFLECTION, "{backend}");
            assert_eq!(upgraded.sessions(&m).unwrap().len(), 2, "{backend}");
            for secret in &secrets {
                assert_eq!(holding(&path, secret), Vec::<PathBuf>::new(), "{backend}: {secret} still readable");
            }

            // The pending changes reach the server under the same device.
            let report = upgraded.sync().unwrap();
            assert!(report.rejected.is_empty(), "{backend}: {report:?}");
            assert_eq!(upgraded.pending().unwrap(), 0, "{backend}");
            upgraded.logout(sync_core::SignOut::KeepData).unwrap();
            let again = upgraded.login(&email, PASSWORD, "phone").unwrap();
            assert_eq!(again.device_id, account.device_id, "{backend}: the sealed accounts index keeps the device");
            let mentee = Client::new(&mentee_path, &address).unwrap();
            mentee.login(&mentee_email, PASSWORD, "mentee phone").unwrap();
            mentee.sync().unwrap();
            assert_eq!(mentee.session(&offline).unwrap().notes, "Written offline before the upgrade", "{backend}");
            assert_eq!(mentee.session(&synced).unwrap().notes, format!("Also offline: {NOTE}"), "{backend}");
        })
        .await
        .unwrap();
    }
}
